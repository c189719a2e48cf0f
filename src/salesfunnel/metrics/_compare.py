"""``compare``: per-step difference in conversion between two groups or two logs."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._format import MISSING
from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._engine import PartitionedLog
from salesfunnel._util._i18n import word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._validate import check_number, invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.metrics._conversion import Conversion, Semantic, conversion
from salesfunnel.metrics._results import (
    check_merge,
    format_count,
    format_pct,
    ints,
    strs,
)
from salesfunnel.metrics._stats import (
    check_level,
    newcombe_diff,
    prob_greater,
    two_proportion_ztest,
)

__all__ = ["Comparison", "compare"]

_F = npt.NDArray[np.float64]


def _signed_pct(value: float) -> str:
    return format_pct(value, signed=True)


def _prior(value: Any) -> tuple[float, float]:
    """attrs converter of :attr:`Comparison.prior` (see :func:`_check_prior`)."""
    return _check_prior(value, where="Comparison")


@attrs.frozen
class Comparison(Displayable):
    """Step-by-step comparison of conversion between ``a`` and ``b``.

    One row per step ``k -> k + 1`` of the main path plus an ``overall`` row (first stage
    to WON). For each row: both rates, the difference ``b - a`` with a Newcombe hybrid
    score interval (built from Wilson intervals), the two-sided p-value of the pooled
    two-proportion z-test, and ``P(b > a)``: the probability that ``b``'s true rate
    exceeds ``a``'s under independent Beta posteriors (``prior`` plus successes and
    failures), computed by deterministic numerical integration (no sampling).

    Attributes
    ----------
    semantic : str
        The conversion semantic both sides were counted with.
    steps : tuple of str
        Row labels, e.g. ``"lead -> demo"`` and ``"overall"``.
    a_successes, a_trials, b_successes, b_trials : tuple of int
        Entities converting at each step and entities at its start.
    level : float
        Confidence level of the difference intervals.
    prior : tuple of float
        Beta prior ``(alpha, beta)`` of the posteriors.
    names : tuple of str
        Display names of ``a`` and ``b``.

    Examples
    --------
    >>> from salesfunnel.metrics import Comparison, Conversion
    >>> a = Conversion("reached", ("lead", "won"), (1000, 100), 1000)
    >>> b = Conversion("reached", ("lead", "won"), (1000, 130), 1000)
    >>> cmp = Comparison.from_conversions(a, b)
    >>> cmp
    <Comparison reached: 1 step + overall, a 1,000 vs b 1,000 entities>
    >>> round(float(cmp.difference[0]), 3), round(float(cmp.p_value[0]), 4)
    (0.03, 0.0355)
    >>> round(float(cmp.prob_b_better[0]), 3)
    0.982
    """

    semantic: str
    steps: tuple[str, ...] = attrs.field(converter=strs)
    a_successes: tuple[int, ...] = attrs.field(converter=ints)
    a_trials: tuple[int, ...] = attrs.field(converter=ints)
    b_successes: tuple[int, ...] = attrs.field(converter=ints)
    b_trials: tuple[int, ...] = attrs.field(converter=ints)
    a_entities: int = 0
    b_entities: int = 0
    level: float = 0.95
    prior: tuple[float, float] = attrs.field(default=(1.0, 1.0), converter=_prior)
    names: tuple[str, str] = ("a", "b")
    stages: tuple[str, ...] = ()
    _p_better: tuple[float, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        values = []
        for ka, na, kb, nb in zip(self.a_successes, self.a_trials, self.b_successes,
                                  self.b_trials, strict=True):
            if 0 <= ka <= na and 0 <= kb <= nb:
                values.append(prob_greater(self.prior[0] + ka, self.prior[1] + na - ka,
                                           self.prior[0] + kb, self.prior[1] + nb - kb))
            else:
                values.append(float("nan"))
        object.__setattr__(self, "_p_better", tuple(values))

    @classmethod
    def from_conversions(
        cls,
        a: Conversion,
        b: Conversion,
        *,
        level: float = 0.95,
        prior: tuple[float, float] = (1.0, 1.0),
        names: tuple[str, str] = ("a", "b"),
    ) -> Comparison:
        """Compare two :class:`Conversion` results over the same stages and semantic.

        Raises
        ------
        InvalidParameterError
            Results over different stages, semantics or windows, a bad ``level`` or
            ``prior``.
        """
        for side, res in (("a", a), ("b", b)):
            if not isinstance(res, Conversion):
                raise invalid(side, res, "an EventLog or a Conversion", where="compare")
        for field in ("stages", "semantic", "window"):
            mine, theirs = getattr(a, field), getattr(b, field)
            if mine != theirs:
                raise InvalidParameterError(
                    f"cannot compare conversions with different {field}: {mine!r} (a) and "
                    f"{theirs!r} (b)", parameter="b", value=theirs,
                )
        level = check_level(level, where="compare")
        prior_t = _check_prior(prior, where="compare")
        if (not isinstance(names, tuple | list) or len(names) != 2
                or not all(isinstance(n, str) for n in names)):
            raise invalid("names", names, "two strings", where="compare")
        stages = a.stages
        steps = [f"{stages[k - 1]} -> {stages[k]}" for k in range(1, len(stages))]
        a_succ, a_tri = _successes_trials(a)
        b_succ, b_tri = _successes_trials(b)
        return cls(a.semantic, (*steps, "overall"), a_succ, a_tri, b_succ, b_tri,
                   a.entities, b.entities, level, prior_t, (names[0], names[1]), stages)

    # -- derived ------------------------------------------------------------------------------
    @property
    def rate_a(self) -> _F:
        """Rate of ``a`` per row (NaN where its trials are 0)."""
        return _rates(self.a_successes, self.a_trials)

    @property
    def rate_b(self) -> _F:
        """Rate of ``b`` per row."""
        return _rates(self.b_successes, self.b_trials)

    @property
    def difference(self) -> _F:
        """``rate_b - rate_a`` per row."""
        return self.rate_b - self.rate_a

    @property
    def interval(self) -> tuple[_F, _F]:
        """``(low, high)`` Newcombe interval of the difference at :attr:`level`."""
        ok = self._valid()
        low, high = newcombe_diff(self.a_successes, self.a_trials, self.b_successes,
                                  self.b_trials, self.level)
        return np.where(ok, low, np.nan), np.where(ok, high, np.nan)

    @property
    def p_value(self) -> _F:
        """Two-sided p-value of the pooled two-proportion z-test per row."""
        p = two_proportion_ztest(self.a_successes, self.a_trials, self.b_successes,
                                 self.b_trials)
        return np.where(self._valid(), p, np.nan)

    @property
    def prob_b_better(self) -> _F:
        """``P(rate_b > rate_a)`` under the Beta posteriors, per row."""
        return np.asarray(self._p_better, dtype=np.float64)

    def _valid(self) -> npt.NDArray[np.bool_]:
        ka, na = np.asarray(self.a_successes), np.asarray(self.a_trials)
        kb, nb = np.asarray(self.b_successes), np.asarray(self.b_trials)
        return np.asarray((na > 0) & (nb > 0) & (ka <= na) & (kb <= nb), dtype=np.bool_)

    # -- merging ------------------------------------------------------------------------------
    def merge(self, other: Comparison) -> Comparison:
        """Add the counts of a comparison over other entities and recompute the statistics.

        Raises
        ------
        InvalidParameterError
            If the two comparisons differ in steps, semantic, level, prior or names.
        """
        check_merge(self, other, ("steps", "semantic", "level", "prior", "names"))

        def add(x: tuple[int, ...], y: tuple[int, ...]) -> list[int]:
            return [i + j for i, j in zip(x, y, strict=True)]

        return Comparison(
            self.semantic, self.steps,
            add(self.a_successes, other.a_successes), add(self.a_trials, other.a_trials),
            add(self.b_successes, other.b_successes), add(self.b_trials, other.b_trials),
            self.a_entities + other.a_entities, self.b_entities + other.b_entities,
            self.level, self.prior, self.names, self.stages,
        )

    # -- presentation -------------------------------------------------------------------------
    def _rows(self) -> list[dict[str, Any]]:
        ra, rb, diff = self.rate_a, self.rate_b, self.difference
        low, high = self.interval
        p, better = self.p_value, self.prob_b_better
        return [
            {
                "step": step,
                "a_successes": self.a_successes[i], "a_trials": self.a_trials[i],
                "b_successes": self.b_successes[i], "b_trials": self.b_trials[i],
                "rate_a": float(ra[i]), "rate_b": float(rb[i]),
                "difference": float(diff[i]), "low": float(low[i]), "high": float(high[i]),
                "p_value": float(p[i]), "prob_b_better": float(better[i]),
            }
            for i, step in enumerate(self.steps)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings and one row per step (NaN as ``None``)."""
        return {
            "semantic": self.semantic,
            "names": list(self.names),
            "level": self.level,
            "prior": list(self.prior),
            "a_entities": self.a_entities,
            "b_entities": self.b_entities,
            "rows": [{k: to_json_value(v) for k, v in row.items()} for row in self._rows()],
        }

    def to_pandas(self) -> Any:
        """One row per step with counts, rates, difference, interval, p-value, P(b > a)."""
        pd = import_optional("pandas", "pandas", purpose="Comparison.to_pandas")
        return pd.DataFrame(self._rows())

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        ra, rb, diff = self.rate_a, self.rate_b, self.difference
        low, high = self.interval
        p, better = self.p_value, self.prob_b_better
        a_name, b_name = self.names
        rows = []
        of = word("cmp.of", lang)
        for i, step in enumerate(self.steps):
            interval = (MISSING if not np.isfinite(low[i])
                        else f"[{_signed_pct(low[i])}, {_signed_pct(high[i])}]")
            rows.append([
                step,
                of.format(format_pct(ra[i]), format_count(self.a_trials[i])),
                of.format(format_pct(rb[i]), format_count(self.b_trials[i])),
                _signed_pct(diff[i]), interval,
                MISSING if not np.isfinite(p[i]) else f"{p[i]:.4g}",
                format_pct(better[i]),
            ])
        level = format_pct(self.level, 0)
        head = word("cmp.title", lang).format(self.semantic, b_name, a_name, level, b_name,
                                              a_name, self.prior)
        return (Table(head, [word("step.name", lang), a_name, b_name, word("difference", lang),
                             word("interval", lang).format(level), word("p-value", lang),
                             f"P({b_name} > {a_name})"], rows),)


    def __repr__(self) -> str:
        n = len(self.steps) - 1
        return (f"<Comparison {self.semantic}: {n} step{'s' if n != 1 else ''} + overall, "
                f"{self.names[0]} {self.a_entities:,} vs {self.names[1]} "
                f"{self.b_entities:,} entities>")


def _rates(k: tuple[int, ...], n: tuple[int, ...]) -> _F:
    ka = np.asarray(k, dtype=np.float64)
    na = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(na > 0, ka / na, np.nan)


#: The largest ``alpha`` or ``beta`` of a prior: pseudo-counts worth a million
#: observations. Beyond it ``P(b > a)`` would cost seconds to minutes of quadrature
#: (and lose accuracy) for a prior that drowns any real data.
MAX_PRIOR = 1e6
#: The smallest: below it the Beta densities underflow (``1e-300`` divides by zero).
MIN_PRIOR = 1e-6


def _check_prior(prior: Any, *, where: str) -> tuple[float, float]:
    """``prior`` as (alpha, beta): two numbers in [MIN_PRIOR, MAX_PRIOR]."""
    expected = f"two numbers in [{MIN_PRIOR:g}, {MAX_PRIOR:,.0f}] (alpha, beta)"
    try:
        a, b = (check_number("prior", v, low=MIN_PRIOR, high=MAX_PRIOR) for v in prior)
    except (TypeError, ValueError):  # InvalidParameterError is a ValueError
        raise invalid("prior", prior, expected, where=where) from None
    return a, b


def _successes_trials(c: Conversion) -> tuple[list[int], list[int]]:
    """Per step then overall: (entities that converted, entities at the start), the
    numerators and denominators of ``c.step_rate`` and ``c.overall_rate[-1]``."""
    steps = c._step_counts()
    if steps is None:
        raise InvalidParameterError(
            "an 'entered' Conversion without 'continued' counts has no step rates to "
            "compare; compute it with conversion(log, semantic='entered')",
            parameter="a", value=c,
        )
    hit, trials = steps
    last = list(c.counts[-1:])
    base = [c._overall_base()] if last else []
    return [*map(int, hit), *last], [*map(int, trials), *base]


def compare(
    a: EventLog | PartitionedLog | Conversion,
    b: EventLog | PartitionedLog | Conversion,
    *,
    semantic: Semantic = "reached",
    window: Any = None,
    level: float = 0.95,
    prior: tuple[float, float] = (1.0, 1.0),
    names: tuple[str, str] = ("a", "b"),
    workers: int | None = None,
    progress: bool = False,
) -> Comparison:
    """Per-step difference in conversion between two groups or two logs.

    Parameters
    ----------
    a, b : EventLog, PartitionedLog or Conversion
        The two sides: logs (counted with ``semantic`` and ``window``), or conversion
        results, e.g. two groups of ``conversion(log, by="channel")``.
    semantic : {"reached", "entered", "ordered"}
        Conversion semantic for logs (ignored for Conversion inputs, which must agree).
    window : timedelta64, timedelta or seconds, optional
        The ``ordered`` window for logs.
    level : float
        Confidence level of the difference intervals.
    prior : (float, float)
        Beta prior of the posteriors for ``P(b > a)``; uniform by default. Each of
        ``alpha`` and ``beta`` is in ``[1e-6, 1e6]`` (at most a million
        pseudo-observations).
    names : (str, str)
        Display names of the two sides.
    workers, progress
        As in :func:`conversion`, for sides given as logs.

    Returns
    -------
    Comparison
        Rates, ``difference`` (``b - a``) with a Newcombe interval, ``p_value`` (pooled
        two-proportion z-test, two-sided) and ``prob_b_better`` per step and overall.
        Rows with no trials on a side give NaN.

    Raises
    ------
    InvalidParameterError
        Inputs of other types, different stages or semantics, bad options.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import compare, conversion
    >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(
    ...     f, entity=[1, 1, 2, 3, 3, 4, 4, 5], stage=[0, 1, 0, 0, 1, 0, 1, 0],
    ...     ts=[0, 1, 0, 0, 2, 0, 1, 0], unit="D",
    ...     segments={"channel": ["ads", "ads", "ads", "web", "web", "web", "web", "web"]})
    >>> groups = conversion(log, by="channel")
    >>> cmp = compare(groups["ads"], groups["web"], names=("ads", "web"))
    >>> cmp.rate_a.tolist(), [round(x, 4) for x in cmp.rate_b.tolist()]
    ([0.5, 0.5], [0.6667, 0.6667])
    """
    level = check_level(level, where="compare")
    ca = a if isinstance(a, Conversion) else _as_conversion(a, "a", semantic, window,
                                                             workers, progress)
    cb = b if isinstance(b, Conversion) else _as_conversion(b, "b", semantic, window,
                                                             workers, progress)
    return Comparison.from_conversions(ca, cb, level=level, prior=prior, names=names)


def _as_conversion(log: Any, side: str, semantic: Semantic, window: Any,
                   workers: int | None, progress: bool) -> Conversion:
    if not isinstance(log, EventLog | PartitionedLog):
        raise invalid(side, log, "an EventLog, a PartitionedLog or a Conversion",
                      where="compare")
    return conversion(log, semantic=semantic, window=window, workers=workers,
                      progress=progress)
