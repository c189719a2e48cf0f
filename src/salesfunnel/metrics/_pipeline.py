"""``pipeline``: the open pipeline as of a date, weighted value, win rate, sales velocity.

Units: amounts are in the log's currency; cycle lengths are reported in seconds and
days; sales velocity is currency **per day**.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import partial
from typing import Any, overload

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._format import MISSING
from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._engine import PartitionedLog
from salesfunnel._engine._exact import exact_group_sums, fraction_float
from salesfunnel._util._i18n import counted, word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import NS_PER_DAY, NS_PER_S, Naive, elapsed_ns, to_iso, to_ns
from salesfunnel._util._validate import check_number
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._parallel import run_partitioned
from salesfunnel.metrics._results import (
    Breakdown,
    breakdown,
    check_log,
    check_merge,
    check_same,
    floats,
    format_count,
    format_pct,
    ints,
    strs,
)
from salesfunnel.metrics._timing import exact_sum, format_duration

__all__ = ["Pipeline", "pipeline"]

_I64 = npt.NDArray[np.int64]


#: ``check_target(target, where=...)``: ``None`` or a finite number > 0 (the revenue
#: to cover).
check_target = partial(check_number, "target", low=0.0, low_open=True, allow_none=True)


def _target(value: Any) -> float | None:
    """attrs converter of :attr:`Pipeline.target` (converters take the value only)."""
    return check_target(value, where="Pipeline")


def _floats_or_none(value: Any) -> tuple[float, ...] | None:
    """attrs converter of the optional per-stage float fields."""
    return None if value is None else floats(value)


def _ints_or_none(value: Any) -> tuple[int, ...] | None:
    """attrs converter of the optional per-stage count fields."""
    return None if value is None else ints(value)


def _money(value: float) -> str:
    if not math.isfinite(value):
        return MISSING
    return f"{value:,.2f}"


@attrs.frozen(repr=False)
class Pipeline(Displayable):
    """Where every entity stands as of a date, and what the open pipeline is worth.

    Only additive aggregates are stored (counts and sums per current stage, the won
    cycles), so results over entity partitions :meth:`merge` by addition; everything
    else is derived on access. Undefined values are NaN and :attr:`reasons` says why.

    Attributes
    ----------
    stages : tuple of str
        All stage names (open, WON, LOST) in funnel order.
    kinds : tuple of str
        ``"open"``, ``"won"`` or ``"lost"`` per stage.
    probabilities : tuple of float
        Win probability per stage (NaN: not estimated).
    counts : tuple of int
        Entities whose current stage (latest event by :attr:`as_of`, ties to the larger
        stage index) is each stage.
    priced : tuple of int
        Of those, entities with an amount.
    value : tuple of float
        Sum of their amounts (each entity's latest amount by :attr:`as_of`).
    cycle_count : int
        Won entities (current stage WON) ...
    cycle_total : int
        ... and the exact sum of their cycles (first event to first WON event), in ns.
    as_of : int or None
        Cut-off in ns since the epoch (``None``: every event).
    target : float or None
        Revenue target for :attr:`coverage`.
    has_amount : bool
        Whether the log had an ``amount`` column.
    weighted : tuple of float, optional
        Only when the log has a per-event ``probability`` column: per stage, the sum of
        amount x probability over its priced entities, each at its latest known row
        probability (the stage's probability when it has none).
    estimated : tuple of int, optional
        With ``weighted``: per stage, the priced entities with a known probability ...
    estimated_value : tuple of float, optional
        ... and the sum of their amounts.

    Examples
    --------
    >>> p = Pipeline(("lead", "deal", "won", "lost"), ("open", "open", "won", "lost"),
    ...              (0.1, float("nan"), 1.0, 0.0), counts=(5, 2, 3, 2), priced=(5, 2, 3, 0),
    ...              value=(500.0, 800.0, 900.0, 0.0), cycle_count=3,
    ...              cycle_total=3 * 30 * 86_400 * 10**9, target=1000.0)
    >>> p
    <Pipeline: 7 open (weighted 50.00), 3 won, 2 lost, win rate 60.0%>
    >>> p.weighted_value, p.open_value, p.unestimated, p.win_rate
    (50.0, 1300.0, 2, 0.6)
    >>> p.average_won_amount, p.average_cycle_days, p.velocity
    (300.0, 30.0, 42.0)
    >>> p.reasons["weighted_value"]
    "2 open entities worth 800.00 at stages without a probability ('deal') are excluded"
    """

    stages: tuple[str, ...] = attrs.field(converter=strs)
    kinds: tuple[str, ...] = attrs.field(converter=strs)
    probabilities: tuple[float, ...] = attrs.field(converter=floats)
    counts: tuple[int, ...] = attrs.field(converter=ints)
    priced: tuple[int, ...] = attrs.field(converter=ints)
    value: tuple[float, ...] = attrs.field(converter=floats)
    cycle_count: int = attrs.field(default=0, converter=int)
    cycle_total: int = attrs.field(default=0, converter=int)
    as_of: int | None = None
    target: float | None = attrs.field(default=None, converter=_target)
    has_amount: bool = True
    weighted: tuple[float, ...] | None = attrs.field(default=None, converter=_floats_or_none)
    estimated: tuple[int, ...] | None = attrs.field(default=None, converter=_ints_or_none)
    estimated_value: tuple[float, ...] | None = attrs.field(default=None,
                                                            converter=_floats_or_none)
    #: The exact sums behind :attr:`value` (fractions), so that merges round once and
    #: every partitioning gives the same floats; ``None``: add the floats.
    sums: tuple[Fraction, ...] | None = attrs.field(default=None, kw_only=True, eq=False,
                                                    repr=False)
    #: The exact sums behind :attr:`weighted` and :attr:`estimated_value`, likewise.
    weighted_sums: tuple[Fraction, ...] | None = attrs.field(default=None, kw_only=True,
                                                             eq=False, repr=False)
    estimated_sums: tuple[Fraction, ...] | None = attrs.field(default=None, kw_only=True,
                                                              eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        n = len(self.stages)
        lengths = {f: len(getattr(self, f)) for f in ("kinds", "probabilities", "counts",
                                                       "priced", "value")}
        bad = {f: m for f, m in lengths.items() if m != n}
        if bad:
            raise InvalidParameterError(
                f"every per-stage field needs {n} values (one per stage); got {bad}",
                parameter=next(iter(bad)), value=bad,
            )

    # -- per kind -----------------------------------------------------------------------------
    def _of(self, kind: str) -> list[int]:
        return [k for k, x in enumerate(self.kinds) if x == kind]

    @property
    def entities(self) -> int:
        """Entities with at least one event by :attr:`as_of`."""
        return sum(self.counts)

    @property
    def open(self) -> int:
        """Entities whose current stage is OPEN: the open opportunities."""
        return sum(self.counts[k] for k in self._of("open"))

    @property
    def won(self) -> int:
        """Entities whose current stage is WON."""
        return sum(self.counts[k] for k in self._of("won"))

    @property
    def lost(self) -> int:
        """Entities whose current stage is LOST."""
        return sum(self.counts[k] for k in self._of("lost"))

    # -- value --------------------------------------------------------------------------------
    @property
    def open_value(self) -> float:
        """Unweighted open pipeline: the amounts of open entities (NaN without amounts)."""
        if not self.has_amount:
            return math.nan
        return float(sum(self.value[k] for k in self._of("open")))

    @property
    def unpriced(self) -> int:
        """Open entities without an amount (left out of both pipeline values)."""
        return sum(self.counts[k] - self.priced[k] for k in self._of("open"))

    def _unestimated_stages(self) -> list[int]:
        if self.estimated is not None:
            return [k for k in self._of("open") if self.priced[k] > self.estimated[k]]
        return [k for k in self._of("open") if math.isnan(self.probabilities[k])]

    @property
    def unestimated(self) -> int:
        """Open entities with an amount but no probability (their stage has none, nor
        their rows): excluded from :attr:`weighted_value`."""
        if self.estimated is not None:
            return sum(self.priced[k] - self.estimated[k] for k in self._of("open"))
        return sum(self.priced[k] for k in self._unestimated_stages())

    @property
    def unestimated_value(self) -> float:
        """Their amounts."""
        if self.estimated_value is not None:
            return float(sum(self.value[k] - self.estimated_value[k]
                             for k in self._of("open")))
        return float(sum(self.value[k] for k in self._unestimated_stages()))

    @property
    def weighted_value(self) -> float:
        """Sum of amount x probability over open entities with an amount: the entity's
        latest row probability when the log has them (see :attr:`weighted`), else its
        stage's; entities without one are left out (NaN without amounts)."""
        if not self.has_amount:
            return math.nan
        if self.weighted is not None:
            return float(sum(self.weighted[k] for k in self._of("open")))
        return float(sum(self.value[k] * self.probabilities[k] for k in self._of("open")
                         if not math.isnan(self.probabilities[k])))

    @property
    def stage_weighted_value(self) -> tuple[float, ...]:
        """Weighted value per stage (NaN for stages without a probability or amounts)."""
        if self.weighted is not None and self.estimated is not None:
            return tuple(w if self.has_amount and (e or not math.isnan(p)) else math.nan
                         for w, e, p in zip(self.weighted, self.estimated,
                                            self.probabilities, strict=True))
        return tuple(v * p if self.has_amount else math.nan
                     for v, p in zip(self.value, self.probabilities, strict=True))

    # -- rates --------------------------------------------------------------------------------
    @property
    def win_rate(self) -> float:
        """``won / (won + lost)`` (NaN when nothing is closed)."""
        closed = self.won + self.lost
        return self.won / closed if closed else math.nan

    @property
    def average_won_amount(self) -> float:
        """Mean amount of the won entities that have one."""
        won = self._of("won")
        n = sum(self.priced[k] for k in won)
        if not self.has_amount or not n:
            return math.nan
        return float(sum(self.value[k] for k in won)) / n

    @property
    def average_cycle(self) -> float:
        """Mean sales cycle of the won entities (first event to first WON), in seconds."""
        if not self.cycle_count:
            return math.nan
        return (self.cycle_total / self.cycle_count) / NS_PER_S

    @property
    def average_cycle_days(self) -> float:
        """:attr:`average_cycle` in days."""
        if not self.cycle_count:
            return math.nan
        return (self.cycle_total / self.cycle_count) / NS_PER_DAY

    @property
    def velocity(self) -> float:
        """Sales velocity, currency per day: ``open x win_rate x average_won_amount /
        average_cycle_days``."""
        days = self.average_cycle_days
        if not days > 0:  # NaN or a zero-length cycle
            return math.nan
        return self.open * self.win_rate * self.average_won_amount / days

    @property
    def coverage(self) -> float:
        """``weighted_value / target`` (NaN without a target)."""
        return self.weighted_value / self.target if self.target else math.nan

    @property
    def coverage_unweighted(self) -> float:
        """``open_value / target`` (NaN without a target)."""
        return self.open_value / self.target if self.target else math.nan

    @property
    def reasons(self) -> dict[str, str]:
        """Why a value is NaN, or what it leaves out: ``{attribute: explanation}``."""
        return self._reasons("en")

    def _reasons(self, lang: str) -> dict[str, str]:
        out: dict[str, str] = {}
        no_amount = word("why.no_amount", lang)
        if not self.has_amount:
            for name in ("open_value", "weighted_value", "average_won_amount"):
                out[name] = no_amount
        else:
            parts = []
            if self.unestimated:
                names = ", ".join(repr(self.stages[k]) for k in self._unestimated_stages())
                n = self.unestimated
                parts.append(word("why.unestimated" + ("1" if n == 1 else ""), lang).format(
                    n=f"{n:,}", value=_money(self.unestimated_value), names=names))
            if self.unpriced:
                n = self.unpriced
                parts.append(word("why.unpriced" + ("1" if n == 1 else ""), lang).format(
                    n=f"{n:,}"))
                out["open_value"] = parts[-1]
            if parts:
                out["weighted_value"] = "; ".join(parts)
            if math.isnan(self.average_won_amount):
                out["average_won_amount"] = word("why.no_won" if not self.won
                                                 else "why.no_won_amount", lang)
        if math.isnan(self.win_rate):
            out["win_rate"] = word("why.no_closed", lang)
        if not self.cycle_count:
            out["average_cycle"] = word("why.no_won", lang)
        if math.isnan(self.velocity):
            missing = [out[k] for k in ("win_rate", "average_won_amount", "average_cycle")
                       if k in out]
            out["velocity"] = ("; ".join(dict.fromkeys(missing)) if missing
                               else word("why.zero_cycle", lang))
        if self.target is None:
            out["coverage"] = word("why.no_target", lang)
        elif "weighted_value" in out:
            out["coverage"] = out["weighted_value"]
        for name in ("open_value", "weighted_value", "average_won_amount", "velocity",
                     "coverage", "coverage_unweighted"):
            if math.isinf(getattr(self, name)):  # shown as missing: say why
                out[name] = word("why.ratio_overflow" if name.startswith("coverage")
                                 else "why.overflow", lang)
        return out

    # -- merging ------------------------------------------------------------------------------
    def merge(self, other: Pipeline) -> Pipeline:
        """The result over the union of two disjoint sets of entities (sums add).

        Raises
        ------
        InvalidParameterError
            If ``other`` is not a :class:`Pipeline` over the same stages, ``as_of``,
            ``target`` and amount column.

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> from salesfunnel.metrics import pipeline
        >>> f = Funnel("f", [Stage("lead", probability=0.2), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=[1, 2, 2], stage=[0, 0, 1], ts=[0, 1, 3],
        ...                            amount=[100.0, 50.0, 60.0], unit="D")
        >>> a, b = log.partition(2)
        >>> pipeline(a).merge(pipeline(b)) == pipeline(log)
        True
        """
        check_merge(self, other, ("stages", "kinds", "as_of", "target", "has_amount"))
        check_same("Pipeline", "probabilities", [to_json_value(p) for p in self.probabilities],
                   [to_json_value(p) for p in other.probabilities])
        return attrs.evolve(
            self,
            counts=[a + b for a, b in zip(self.counts, other.counts, strict=True)],
            priced=[a + b for a, b in zip(self.priced, other.priced, strict=True)],
            value=([fraction_float(a + b) for a, b in zip(self.sums, other.sums, strict=True)]
                   if self.sums is not None and other.sums is not None
                   else [a + b for a, b in zip(self.value, other.value, strict=True)]),
            sums=(None if self.sums is None or other.sums is None
                  else tuple(a + b for a, b in zip(self.sums, other.sums, strict=True))),
            cycle_count=self.cycle_count + other.cycle_count,
            cycle_total=self.cycle_total + other.cycle_total,
            weighted=_add_exact(self.weighted, other.weighted, self.weighted_sums,
                                other.weighted_sums),
            weighted_sums=_add_sums(self.weighted_sums, other.weighted_sums),
            estimated=_add(self.estimated, other.estimated),
            estimated_value=_add_exact(self.estimated_value, other.estimated_value,
                                       self.estimated_sums, other.estimated_sums),
            estimated_sums=_add_sums(self.estimated_sums, other.estimated_sums),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[Any, ...]:
        # NaN probabilities compare equal to each other here (they mean "not estimated").
        return (self.stages, self.kinds, tuple(to_json_value(p) for p in self.probabilities),
                self.counts, self.priced, self.value, self.cycle_count, self.cycle_total,
                self.as_of, self.target, self.has_amount, self.weighted, self.estimated,
                self.estimated_value)

    # -- presentation -------------------------------------------------------------------------
    def summary(self) -> dict[str, float]:
        """The headline numbers as a flat ``{name: value}`` dict (NaN where undefined)."""
        return {
            "entities": self.entities, "open": self.open, "won": self.won, "lost": self.lost,
            "open_value": self.open_value, "weighted_value": self.weighted_value,
            "win_rate": self.win_rate, "average_won_amount": self.average_won_amount,
            "average_cycle_days": self.average_cycle_days, "velocity_per_day": self.velocity,
            "coverage": self.coverage, "coverage_unweighted": self.coverage_unweighted,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings, headline numbers, reasons and one row per stage.

        Examples
        --------
        >>> from salesfunnel.metrics import Pipeline
        >>> p = Pipeline(("lead", "won"), ("open", "won"), (0.5, 1.0), (2, 1), (2, 1),
        ...              (10.0, 7.0), cycle_count=1, cycle_total=86_400 * 10**9)
        >>> d = p.to_dict()
        >>> d["weighted_value"], d["velocity_per_day"], d["rows"][0]["weighted_value"]
        (5.0, 14.0, 5.0)
        """
        out: dict[str, Any] = {
            "as_of": None if self.as_of is None else to_iso(self.as_of),
            "target": self.target,
            "has_amount": self.has_amount,
        }
        out.update({k: to_json_value(v) for k, v in self.summary().items()})
        out["unpriced"] = self.unpriced
        out["unestimated"] = self.unestimated
        out["reasons"] = self.reasons
        out["rows"] = [{k: to_json_value(v) for k, v in row.items()} for row in self._rows()]
        return out

    def _rows(self) -> list[dict[str, Any]]:
        weighted = self.stage_weighted_value
        return [
            {"stage": s, "kind": kind, "probability": p, "count": n, "priced": m,
             "value": v if self.has_amount else math.nan,
             "weighted_value": w if kind == "open" else math.nan}
            for s, kind, p, n, m, v, w in zip(self.stages, self.kinds, self.probabilities,
                                              self.counts, self.priced, self.value, weighted,
                                              strict=True)
        ]

    def to_pandas(self) -> Any:
        """One row per stage: kind, probability, count, priced, value, weighted value
        (``pandas`` extra).

        Examples
        --------
        >>> from salesfunnel.metrics import Pipeline
        >>> p = Pipeline(("lead", "won"), ("open", "won"), (0.5, 1.0), (2, 1), (2, 1),
        ...              (10.0, 7.0))
        >>> p.to_pandas()[["stage", "count", "weighted_value"]]
          stage  count  weighted_value
        0  lead      2             5.0
        1   won      1             NaN
        """
        pd = import_optional("pandas", "pandas", purpose="Pipeline.to_pandas")
        return pd.DataFrame(self._rows())

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        rows = []
        for row in self._rows():
            rows.append([row["stage"], word(f"kind.{row['kind']}", lang),
                         format_pct(row["probability"]),
                         format_count(row["count"]), _money(row["value"]),
                         _money(row["weighted_value"])])
        when = (word("pipe.all", lang) if self.as_of is None
                else word("pipe.as_of", lang).format(to_iso(self.as_of)))
        title = word("pipe.title", lang).format(
            when, counted(self.entities, "entity", lang), self.open, self.won, self.lost)
        lines: list[str] = []
        lines.append(word("pipe.open", lang).format(_money(self.open_value),
                                                    _money(self.weighted_value)))
        lines.append(word("pipe.win", lang).format(
            format_pct(self.win_rate), _money(self.average_won_amount),
            format_duration(self.average_cycle, lang)))
        lines.append(word("pipe.velocity", lang).format(_money(self.velocity)))
        if self.target is not None:
            lines.append(word("pipe.coverage", lang).format(
                _money(self.target), format_pct(self.coverage),
                format_pct(self.coverage_unweighted)))
        reasons = self._reasons(lang)
        reasons.pop("coverage", None)
        lines.extend(word("note", lang).format(word(f"attr.{name}", lang), why)
                     for name, why in reasons.items())
        headers = [word(k, lang) for k in ("stage", "kind", "prob.", "count", "amount",
                                           "weighted")]
        return (Table(title, headers, rows, notes=lines, align="<<>>>>"),)


    def __repr__(self) -> str:
        weighted = ("" if not self.has_amount
                    else f" (weighted {_money(self.weighted_value)})")
        return (f"<Pipeline: {self.open:,} open{weighted}, {self.won:,} won, "
                f"{self.lost:,} lost, win rate {format_pct(self.win_rate)}>")


def _add(a: tuple[Any, ...] | None, b: tuple[Any, ...] | None) -> list[Any] | None:
    if a is None or b is None:
        if (a is None) != (b is None):
            raise InvalidParameterError(
                "cannot merge a Pipeline weighted by row probabilities with one that is "
                "not; expected both from logs with (or both without) a probability column",
                parameter="other", value=None,
            )
        return None
    return [x + y for x, y in zip(a, b, strict=True)]


def _add_sums(a: tuple[Fraction, ...] | None, b: tuple[Fraction, ...] | None
              ) -> tuple[Fraction, ...] | None:
    if a is None or b is None:
        return None
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _add_exact(a: tuple[float, ...] | None, b: tuple[float, ...] | None,
               sa: tuple[Fraction, ...] | None, sb: tuple[Fraction, ...] | None
               ) -> list[float] | None:
    """Merged floats: rounded once from the exact sums when both sides have them."""
    sums = _add_sums(sa, sb)
    if sums is None:
        return _add(a, b)
    return [fraction_float(x) for x in sums]


def latest_probability(log: EventLog) -> npt.NDArray[np.float64] | None:
    """Per entity: the probability of its latest event with one (as
    :func:`~salesfunnel.metrics._kernels.latest_amount` picks amounts), ``None`` when the
    log has no probability column."""
    if log.probability is None:
        return None
    return K.latest_amount(attrs.evolve(log, amount=log.probability))


def _pipeline_of(log: EventLog, rows: _I64 | None, current: npt.NDArray[Any],
                 amount: npt.NDArray[np.float64], entry: _I64, won_at: _I64,
                 as_of: int | None, target: float | None,
                 row_prob: npt.NDArray[np.float64] | None = None) -> Pipeline:
    f = log.funnel
    n_st = len(f.stages)
    if rows is not None:
        current, amount, entry, won_at = current[rows], amount[rows], entry[rows], won_at[rows]
        row_prob = None if row_prob is None else row_prob[rows]
    cur = current.astype(np.intp)
    priced = ~np.isnan(amount)
    counts = np.bincount(cur, minlength=n_st)
    n_priced = np.bincount(cur[priced], minlength=n_st)
    sums = exact_group_sums(cur[priced], amount[priced], n_st)
    value = [fraction_float(x) for x in sums]
    is_won = cur == f.won_index
    won_cycles = elapsed_ns(won_at[is_won], entry[is_won])
    extra: dict[str, Any] = {}
    if row_prob is not None:
        p_eff = np.where(np.isnan(row_prob), f.probabilities[cur], row_prob)
        est = priced & ~np.isnan(p_eff)
        extra["estimated"] = np.bincount(cur[est], minlength=n_st)
        # exact sums, like ``value``: every partitioning gives the same floats
        e_sums = exact_group_sums(cur[est], amount[est], n_st)
        w_sums = exact_group_sums(cur[est], amount[est] * p_eff[est], n_st)
        extra["estimated_value"] = [fraction_float(x) for x in e_sums]
        extra["weighted"] = [fraction_float(x) for x in w_sums]
        extra["estimated_sums"] = tuple(e_sums)
        extra["weighted_sums"] = tuple(w_sums)
    return Pipeline(f.names, [s.kind.value for s in f.stages], f.probabilities, counts,
                    n_priced, value, len(won_cycles), exact_sum(won_cycles), as_of, target,
                    log.amount is not None, sums=tuple(sums), **extra)


@overload
def pipeline(log: EventLog | PartitionedLog, *, as_of: Any = ..., target: float | None = ...,
             by: None = ..., naive: Naive = ...,
           workers: int | None = ...,
           progress: bool = ...,
) -> Pipeline: ...


@overload
def pipeline(log: EventLog | PartitionedLog, *, as_of: Any = ..., target: float | None = ...,
             by: str, naive: Naive = ...,
           workers: int | None = ...,
           progress: bool = ...,
) -> Breakdown[Pipeline]: ...


def pipeline(
    log: EventLog | PartitionedLog,
    *,
    as_of: Any = None,
    target: float | None = None,
    by: str | None = None,
    naive: Naive = "raise",
    workers: int | None = None,
    progress: bool = False,
) -> Pipeline | Breakdown[Pipeline]:
    """The pipeline as of a date: current stages, weighted value, win rate, velocity.

    Only events at or before ``as_of`` count; entities with none are left out.

    - **current stage** of an entity: the stage of its latest event (ties: the larger
      stage index). Open / won / lost entities are those whose current stage is OPEN /
      WON / LOST.
    - **amount** of an entity: the amount of its latest event with a known amount
      (ties: larger stage, then larger amount). A missing amount (NaN, as an event log
      keeps a missing value) is *unknown*: entities without a known amount count in
      ``counts`` but not in ``priced`` or any sum or average, and ``reasons`` says how
      many open ones were left out (``unpriced``).
    - **weighted pipeline** = sum over open entities of amount x probability of their
      current stage. Stages whose probability is not estimated (NaN) are excluded and
      reported in ``reasons``; so are open entities without an amount. When the log has
      a per-event ``probability`` column (a CRM's ``Probability``), each entity's latest
      known row probability is used instead of its stage's. A ``forecast_category``
      read with the log is the segment ``"forecast_category"``: ``by=`` it.
    - **win rate** = won / (won + lost).
    - **average won amount** over won entities; **average cycle** = mean of first event
      to first WON event over won entities.
    - **sales velocity** = open opportunities x win rate x average won amount / average
      cycle length in days: currency per day.
    - **coverage** = weighted (and unweighted) open pipeline / ``target``.

    Parameters
    ----------
    log : EventLog
        The events.
    as_of : datetime, str or numpy.datetime64, optional
        The snapshot date (timezone-aware). ``None``: every event.
    target : float, optional
        Revenue target (> 0) for the pipeline coverage.
    by : str, optional
        A segment column: one :class:`Pipeline` per value (value on the first event).
    naive : {"raise", "utc"}
        A naive ``as_of`` (no UTC offset): refuse it, or read it as UTC (see
        :mod:`salesfunnel._util._time`).

    workers : int, optional
        Threads: the log is split by entity into partitions computed in parallel and
        merged (exactly: the result is the same for every number of workers). Default:
        the library option (:func:`salesfunnel.set_options`, the number of cores).
        Logs under 400,000 events run on one thread. A
        :class:`~salesfunnel.PartitionedLog` always runs per partition.
    progress : bool
        Show a progress bar on stderr (on a terminal, for work over a few seconds).

    Returns
    -------
    Pipeline or Breakdown
        Undefined values (no amount column, no won or lost deals, empty log) are NaN,
        with the explanation in ``Pipeline.reasons``; no warnings.

    Raises
    ------
    InvalidParameterError
        A naive or unparsable ``as_of``, a ``target`` that is not a positive number, an
        unknown ``by`` column.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import pipeline
    >>> f = Funnel("deals", [Stage("lead", probability=0.1), Stage("proposal", probability=0.5),
    ...                      Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> log = EventLog.from_arrays(
    ...     f, entity=[1, 1, 2, 2, 2, 3, 3, 4], stage=[0, 1, 0, 1, 2, 0, 3, 0],
    ...     ts=[0, 5, 0, 4, 10, 1, 3, 6], amount=[1000, 1200, 500, 800, 900, 300, 300, 2000],
    ...     unit="D")
    >>> p = pipeline(log, target=1000)
    >>> p
    <Pipeline: 2 open (weighted 800.00), 1 won, 1 lost, win rate 50.0%>
    >>> p.counts, p.open_value, p.coverage
    ((1, 1, 1, 1), 3200.0, 0.8)
    >>> p.average_won_amount, p.average_cycle_days, p.velocity
    (900.0, 10.0, 90.0)
    >>> pipeline(log, as_of="1970-01-05T00:00Z").counts
    (1, 1, 0, 1)
    """
    parted = run_partitioned(log, workers, progress, "pipeline", lambda part: pipeline(
        part, as_of=as_of, target=target, by=by, naive=naive, workers=1))
    if parted is not None:
        return parted
    log = check_log(log)
    cut = None if as_of is None else to_ns(as_of, parameter="as_of", naive=naive)
    target = check_target(target, where="pipeline")
    view = K.until(log, cut)
    pr = K.progress(view)
    current = pr.latest_stage
    amount = K.latest_amount(view)
    entry = pr.first_time
    won_at = pr.won_time
    row_prob = latest_probability(view)
    if by is None:
        return _pipeline_of(view, None, current, amount, entry, won_at, cut, target, row_prob)
    groups = K.entity_groups(view, by)  # the view keeps every segment column
    return breakdown(groups, lambda _, rows: _pipeline_of(
        view, rows, current, amount, entry, won_at, cut, target, row_prob))
