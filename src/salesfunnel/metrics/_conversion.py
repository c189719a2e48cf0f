"""``conversion``: entities per main-path stage, step and overall rates, intervals."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal, overload

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._chart import FunnelData
from salesfunnel._display._format import MISSING
from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._util._i18n import counted, word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import NS_PER_UNIT, TS_MAX, TS_MIN, duration_ns
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._results import (
    Breakdown,
    breakdown,
    check_choice,
    check_log,
    check_merge,
    format_count,
    format_pct,
    ints,
    strs,
)
from salesfunnel.metrics._stats import check_level, jeffreys, wilson

__all__ = ["Conversion", "conversion"]

Semantic = Literal["reached", "entered", "ordered"]
Interval = Literal["wilson", "jeffreys"]
SEMANTICS = ("reached", "entered", "ordered")
INTERVALS = ("wilson", "jeffreys")


#: ``check_semantic(semantic, where=...)``: one of ``reached``, ``entered``, ``ordered``.
check_semantic = partial(check_choice, "semantic", options=SEMANTICS)
#: ``check_ci(ci, where=...)``: ``wilson`` or ``jeffreys``.
check_ci = partial(check_choice, "ci", options=INTERVALS)


def window_ns(window: Any, semantic: str) -> int | None:
    """``window`` (timedelta64 of any unit, timedelta or seconds) as integer nanoseconds.

    The conversion is exact and checked (:func:`salesfunnel._util._time.duration_ns`):
    nothing wraps around. A window at least as long as the widest possible log
    (``TS_MAX - TS_MIN``, about 584 years) can exclude no chain, so it **saturates** to
    ``None``, no limit: a 600-year or a million-year window is the same as no window.

    Raises
    ------
    InvalidParameterError
        A negative or non-finite window, a window of another type, or a window with a
        semantic other than ``"ordered"``.

    Examples
    --------
    >>> window_ns(np.timedelta64(30, "D"), "ordered"), window_ns(1.5, "ordered")
    (2592000000000000, 1500000000)
    >>> window_ns(np.timedelta64(600, "Y"), "ordered") is None
    True
    """
    if window is None:
        return None
    if semantic != "ordered":
        raise InvalidParameterError(
            f"window applies only to semantic='ordered'; got window={window!r} with "
            f"semantic={semantic!r}",
            parameter="window", value=window,
        )
    try:
        ns = duration_ns(window, parameter="window", unit="s", bounded=False)
    except InvalidParameterError:
        ns = -1
    if ns < 0:
        raise InvalidParameterError(
            "window must be a non-negative numpy.timedelta64, datetime.timedelta or number "
            f"of seconds; got {window!r}",
            parameter="window", value=window,
        )
    return None if ns >= TS_MAX - TS_MIN else ns


def describe_window(ns: int) -> str:
    """``2592000000000000`` -> ``'30 days'``."""
    for size, name in ((NS_PER_UNIT["D"], "day"), (NS_PER_UNIT["h"], "hour"),
                       (NS_PER_UNIT["m"], "minute"), (NS_PER_UNIT["s"], "second")):
        if ns % size == 0 and ns:
            n = ns // size
            return f"{n:,} {name}{'s' if n != 1 else ''}"
    return f"{ns:,} ns"


def _intervals(successes: npt.NDArray[np.int64], trials: npt.NDArray[np.int64], ci: str,
               level: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    fn = wilson if ci == "wilson" else jeffreys
    return fn(successes, trials, level)


@attrs.frozen
class Conversion(Displayable):
    """Entities per main-path stage with step and overall conversion.

    Only counts are stored (so results over entity partitions :meth:`merge` by
    addition); rates, drop-off and intervals are derived on access. Index ``k`` runs
    over the main path (open stages, then WON).

    Attributes
    ----------
    semantic : {"reached", "entered", "ordered"}
        How an entity counts at a stage (see :func:`conversion`).
    stages : tuple of str
        Main-path stage names.
    counts : tuple of int
        Entities counted at each main-path stage.
    entities : int
        Entities in the log, including those never counted at the first stage (e.g.
        entities with only LOST events).
    window : int or None
        The ``ordered`` window in nanoseconds (``None``: no window).
    ci : {"wilson", "jeffreys"}
        Interval method.
    level : float
        Interval confidence level.
    continued : tuple of int or None
        ``semantic="entered"`` only: ``continued[k]`` entities were counted at both stage
        ``k - 1`` and stage ``k`` (0 at ``k = 0``). The step rate, its interval and the
        drop-off of step ``k`` are measured on them, because under ``"entered"`` the
        entities at stage ``k`` need not be among those at ``k - 1`` (a deal can skip a
        stage or start further down). ``None`` for the nested semantics (``reached``,
        ``ordered``), where every entity counted at ``k`` is counted at ``k - 1``; an
        ``"entered"`` result without it has undefined (NaN) step rates.

    Examples
    --------
    >>> from salesfunnel.metrics import Conversion
    >>> c = Conversion("reached", ("lead", "demo", "won"), (200, 80, 20), 210)
    >>> c
    <Conversion reached: 3 stages, 210 entities, 20 won>
    >>> c.step_rate.tolist(), c.overall_rate.tolist(), c.bottleneck
    ([nan, 0.4, 0.25], [1.0, 0.4, 0.1], 'won')
    >>> print(c)
    Conversion (reached) of 210 entities; 95% Wilson intervals
    stage  count   step  95% interval    overall  drop-off
    -----  -----  -----  --------------  -------  --------
    lead     200      —  —                100.0%         —
    demo      80  40.0%  [33.5%, 46.9%]    40.0%       120
    won       20  25.0%  [16.8%, 35.5%]    10.0%        60
    bottleneck: won (step rate 25.0%)
    """

    semantic: str
    stages: tuple[str, ...] = attrs.field(converter=strs)
    counts: tuple[int, ...] = attrs.field(converter=ints)
    entities: int = attrs.field(converter=int)
    window: int | None = None
    ci: str = "wilson"
    level: float = 0.95
    continued: tuple[int, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(ints), kw_only=True)

    def __attrs_post_init__(self) -> None:
        if len(self.stages) != len(self.counts):
            raise InvalidParameterError(
                f"{len(self.stages)} stages but {len(self.counts)} counts; expected one "
                "count per stage", parameter="counts", value=self.counts,
            )
        if self.continued is not None and (
                self.semantic != "entered" or len(self.continued) != len(self.counts)):
            raise InvalidParameterError(
                f"continued is for semantic='entered', one count per stage; got "
                f"{self.continued!r} with semantic={self.semantic!r} and "
                f"{len(self.counts)} stages", parameter="continued", value=self.continued,
            )

    def _step_counts(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
        """``(successes, trials)`` of steps ``1..n-1``; ``None`` when undefined."""
        c = self.count_array
        if self.semantic != "entered":
            return c[1:], c[:-1]
        if self.continued is None:
            return None
        return np.asarray(self.continued[1:], dtype=np.int64), c[:-1]

    # -- derived ------------------------------------------------------------------------------
    @property
    def won(self) -> int:
        """Entities counted at the last main-path stage (WON)."""
        return self.counts[-1] if self.counts else 0

    @property
    def count_array(self) -> npt.NDArray[np.int64]:
        """:attr:`counts` as an int64 array."""
        return np.asarray(self.counts, dtype=np.int64)

    @property
    def step_rate(self) -> npt.NDArray[np.float64]:
        """Share of the entities at stage ``k - 1`` also counted at stage ``k``.

        ``counts[k] / counts[k - 1]`` for the nested semantics, ``continued[k] /
        counts[k - 1]`` for ``"entered"``; always in [0, 1]. NaN at ``k = 0``, where
        ``counts[k - 1] = 0``, and for an ``"entered"`` result without ``continued``.
        """
        out = np.full(len(self.counts), np.nan)
        steps = self._step_counts()
        if steps is not None:
            hit, trials = (a.astype(np.float64) for a in steps)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[1:] = np.where(trials > 0, hit / trials, np.nan)
        return out

    @property
    def overall_rate(self) -> npt.NDArray[np.float64]:
        """``counts[k] / counts[0]`` (nested semantics) or ``counts[k] / entities``
        (``"entered"``: the share of all entities seen at stage ``k``); NaN when the
        denominator is 0."""
        c = self.count_array.astype(np.float64)
        base = self._overall_base()
        if not len(c) or base == 0:
            return np.full(len(c), np.nan)
        out: npt.NDArray[np.float64] = c / base
        return out

    def _overall_base(self) -> int:
        if self.semantic == "entered":
            return self.entities
        return self.counts[0] if self.counts else 0

    @property
    def dropoff(self) -> npt.NDArray[np.int64]:
        """Entities counted at stage ``k - 1`` but not at stage ``k``; 0 at ``k = 0``.

        ``counts[k - 1] - counts[k]`` for the nested semantics, ``counts[k - 1] -
        continued[k]`` for ``"entered"`` (never negative); ``-1`` marks an undefined
        drop-off (an ``"entered"`` result without ``continued``).
        """
        out = np.zeros(len(self.counts), dtype=np.int64)
        steps = self._step_counts()
        if steps is None:
            out[1:] = -1
        else:
            out[1:] = steps[1] - steps[0]
        return out

    @property
    def dropoff_rate(self) -> npt.NDArray[np.float64]:
        """``1 - step_rate``."""
        return 1.0 - self.step_rate

    @property
    def step_interval(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """``(low, high)`` interval of each step rate (NaN where the rate is undefined)."""
        n = len(self.counts)
        low = np.full(n, np.nan)
        high = np.full(n, np.nan)
        steps = self._step_counts()
        if n > 1 and steps is not None:
            low[1:], high[1:] = _intervals(steps[0], steps[1], self.ci, self.level)
        return low, high

    @property
    def overall_interval(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """``(low, high)`` interval of each overall rate (NaN at ``k = 0``)."""
        c = self.count_array
        low = np.full(len(c), np.nan)
        high = np.full(len(c), np.nan)
        start = 0 if self.semantic == "entered" else 1
        if len(c) > start:
            low[start:], high[start:] = _intervals(
                c[start:], np.full(len(c) - start, self._overall_base()), self.ci, self.level)
        return low, high

    @property
    def bottleneck(self) -> str | None:
        """The stage entered by the lowest step rate (first on ties); ``None`` if undefined."""
        step = self.step_rate
        if not np.isfinite(step).any():
            return None
        return self.stages[int(np.nanargmin(step))]

    # -- merging ------------------------------------------------------------------------------
    def merge(self, other: Conversion) -> Conversion:
        """The result over the union of two disjoint sets of entities (counts add).

        Raises
        ------
        InvalidParameterError
            If ``other`` is not a Conversion with the same stages, semantic, window,
            interval method and level.

        Examples
        --------
        >>> from salesfunnel.metrics import Conversion
        >>> a = Conversion("reached", ("lead", "won"), (10, 2), 10)
        >>> a.merge(Conversion("reached", ("lead", "won"), (5, 3), 6)).counts
        (15, 5)
        """
        check_merge(self, other, ("stages", "semantic", "window", "ci", "level"))
        continued = None
        if self.continued is not None and other.continued is not None:
            continued = [a + b for a, b in zip(self.continued, other.continued, strict=True)]
        return attrs.evolve(
            self,
            counts=[a + b for a, b in zip(self.counts, other.counts, strict=True)],
            entities=self.entities + other.entities,
            continued=continued,
        )

    # -- presentation -------------------------------------------------------------------------
    def _rows(self) -> list[dict[str, Any]]:
        step, overall = self.step_rate, self.overall_rate
        s_low, s_high = self.step_interval
        o_low, o_high = self.overall_interval
        drop = self.dropoff
        return [
            {
                "stage": name,
                "count": self.counts[k],
                "step_rate": float(step[k]),
                "step_low": float(s_low[k]),
                "step_high": float(s_high[k]),
                "overall_rate": float(overall[k]),
                "overall_low": float(o_low[k]),
                "overall_high": float(o_high[k]),
                "dropoff": int(drop[k]),
            }
            for k, name in enumerate(self.stages)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings, counts and one row per stage (NaN as ``None``).

        Examples
        --------
        >>> from salesfunnel.metrics import Conversion
        >>> d = Conversion("reached", ("lead", "won"), (4, 1), 4).to_dict()
        >>> d["counts"], d["rows"][1]["step_rate"], d["bottleneck"]
        ([4, 1], 0.25, 'won')
        """
        return {
            "semantic": self.semantic,
            "stages": list(self.stages),
            "counts": list(self.counts),
            "entities": self.entities,
            "window_ns": self.window,
            "ci": self.ci,
            "level": self.level,
            "continued": None if self.continued is None else list(self.continued),
            "bottleneck": self.bottleneck,
            "rows": [{k: to_json_value(v) for k, v in row.items()} for row in self._rows()],
        }

    def to_pandas(self) -> Any:
        """One row per stage: count, rates, interval bounds and drop-off (``pandas`` extra).

        Examples
        --------
        >>> from salesfunnel.metrics import Conversion
        >>> Conversion("reached", ("lead", "won"), (4, 1), 4).to_pandas()[["stage", "count"]]
          stage  count
        0  lead      4
        1   won      1
        """
        pd = import_optional("pandas", "pandas", purpose="Conversion.to_pandas")
        return pd.DataFrame(self._rows())

    def _title(self, lang: str = "en") -> str:
        what = word(f"sem.{self.semantic}", lang)
        if self.semantic == "ordered":
            what += word("conv.window", lang) + (
                word("none", lang) if self.window is None else describe_window(self.window))
        method = "Wilson" if self.ci == "wilson" else "Jeffreys"
        return word("conv.title", lang).format(
            what, counted(self.entities, "entity", lang), format_pct(self.level, 0), method)

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        step, overall = self.step_rate, self.overall_rate
        low, high = self.step_interval
        drop = self.dropoff
        rows = []
        for k, name in enumerate(self.stages):
            interval = (MISSING if not np.isfinite(low[k])
                        else f"[{format_pct(low[k])}, {format_pct(high[k])}]")
            rows.append([name, format_count(self.counts[k]), format_pct(step[k]), interval,
                         format_pct(overall[k]),
                         MISSING if k == 0 or drop[k] < 0 else format_count(drop[k])])
        notes = []
        neck = self.bottleneck
        if neck is not None:
            k = self.stages.index(neck)
            notes.append(word("conv.bottleneck", lang).format(neck, format_pct(step[k])))
        elif self.counts and self.counts[0] == 0:
            notes.append(word("conv.undefined", lang))
        if self.semantic == "entered":
            notes.append(word("conv.entered", lang))
        # The interval column reads better left-aligned.
        headers = [word("stage", lang), word("count", lang), word("step", lang),
                   word("interval", lang).format(format_pct(self.level, 0)),
                   word("overall", lang), word("drop-off", lang)]
        table = Table(self._title(lang), headers, rows, notes=notes, align="<>><>>")
        return FunnelData(self.stages, self.counts), table


    def __repr__(self) -> str:
        n = len(self.stages)
        return (f"<Conversion {self.semantic}: {n} stage{'s' if n != 1 else ''}, "
                f"{self.entities:,} entit{'ies' if self.entities != 1 else 'y'}, "
                f"{self.won:,} won>")


# -- computation ------------------------------------------------------------------------------


def entity_levels(log: EventLog, semantic: str, window: int | None) -> npt.NDArray[np.int16]:
    """Per-entity level for the nested semantics (``reached``: depth; ``ordered``)."""
    if semantic == "reached":
        return K.depth(log)
    return K.ordered_levels(log, window)


def stage_counts(log: EventLog, semantic: str, window: int | None) -> npt.NDArray[np.int64]:
    """Entities counted at each main-path stage under ``semantic``."""
    n_path = K.path_length(log)
    if semantic == "entered":
        flags = K.entered(log)[:, :n_path]
        return flags.sum(axis=0, dtype=np.int64) if log.n_entities else np.zeros(n_path,
                                                                                   np.int64)
    return K.counts_at_least(entity_levels(log, semantic, window), n_path)


def continued_counts(flags: npt.NDArray[np.bool_],
                     codes: npt.NDArray[np.int64] | None = None,
                     n_groups: int = 1) -> npt.NDArray[np.int64]:
    """``(n_groups, n_path)``: entities flagged at both stage ``k - 1`` and ``k`` (0 at 0)."""
    n_path = flags.shape[1]
    out = np.zeros((n_groups, n_path), dtype=np.int64)
    for k in range(1, n_path):
        both = flags[:, k - 1] & flags[:, k]
        out[:, k] = (np.bincount(codes[both], minlength=n_groups) if codes is not None
                     else both.sum(dtype=np.int64))
    return out


def group_stage_counts(log: EventLog, groups: K.EntityGroups, semantic: str,
                       window: int | None) -> npt.NDArray[np.int64]:
    """``(n_groups, n_path)`` counts per group (segment values, cohorts, ...)."""
    n_path = K.path_length(log)
    if semantic == "entered":
        flags = K.entered(log)[:, :n_path]
        out = np.zeros((groups.n_groups, n_path), dtype=np.int64)
        for k in range(n_path):
            out[:, k] = np.bincount(groups.codes[flags[:, k]], minlength=groups.n_groups)
        return out
    level = entity_levels(log, semantic, window).astype(np.int64)
    hist = groups.count(np.clip(level + 1, 0, n_path), n_path + 1)
    return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]


@overload
def conversion(
    log: EventLog,
    *,
    semantic: Semantic = ...,
    window: Any = ...,
    ci: Interval = ...,
    level: float = ...,
    by: None = ...,
) -> Conversion: ...


@overload
def conversion(
    log: EventLog,
    *,
    semantic: Semantic = ...,
    window: Any = ...,
    ci: Interval = ...,
    level: float = ...,
    by: str,
) -> Breakdown[Conversion]: ...


def conversion(
    log: EventLog,
    *,
    semantic: Semantic = "reached",
    window: Any = None,
    ci: Interval = "wilson",
    level: float = 0.95,
    by: str | None = None,
) -> Conversion | Breakdown[Conversion]:
    """Entities per main-path stage, step and overall conversion, intervals, bottleneck.

    Parameters
    ----------
    log : EventLog
        The events.
    semantic : {"reached", "entered", "ordered"}
        ``"reached"`` (default, the CRM semantic): an entity counts at stage ``k`` when
        its depth is ``>= k`` (skipping a stage counts as passing it; a WON event reaches
        every stage; LOST events do not deepen). ``"entered"``: the entity has an event
        at stage ``k``; stages are counted independently, so a step rate is the share of
        the entities at stage ``k - 1`` also seen at ``k`` and the overall rate the share
        of all entities seen at ``k`` (see :attr:`Conversion.continued`).
        ``"ordered"``: ClickHouse ``windowFunnel``: the entity has a chain
        of events at stages ``0, 1, ..., k`` with non-decreasing times, each at most
        ``window`` after the chain's first event (events at equal times may chain).
    window : numpy.timedelta64, datetime.timedelta or float, optional
        The ``ordered`` window (numbers are seconds; inclusive, like ClickHouse).
        ``None`` means no limit; so does any window at least as long as the widest
        possible log (about 584 years): it converts exactly, never wraps around, and
        saturates to ``None`` (``Conversion.window`` is then ``None``). Only valid with
        ``semantic="ordered"``.
    ci : {"wilson", "jeffreys"}
        Interval for step and overall rates: Wilson score (default) or the central
        Jeffreys interval (quantiles of the Beta(k + 1/2, n - k + 1/2) posterior).
    level : float
        Confidence level of the intervals, in (0, 1).
    by : str, optional
        A segment column: return a :class:`Breakdown` with one result per value. An
        entity's value is the one on its first event.

    Returns
    -------
    Conversion or Breakdown
        ``counts[k]``, ``step_rate`` (``counts[k] / counts[k - 1]``), ``overall_rate``
        (``counts[k] / counts[0]``), ``dropoff``, intervals and the ``bottleneck`` (the
        stage with the lowest step rate). Empty logs give zero counts and NaN rates.

    Raises
    ------
    InvalidParameterError
        An unknown ``semantic``, ``ci`` or ``by``, a bad ``level``, or a ``window`` that is
        negative or given with a semantic other than ``"ordered"``.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import conversion
    >>> f = Funnel("deals", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
    ...                      Stage("lost", kind="lost")], skip_ahead=True)
    >>> log = EventLog.from_arrays(
    ...     f, entity=[1, 1, 2, 2, 3, 3, 4], stage=["lead", "won", "lead", "demo",
    ...     "lead", "lost", "lost"], ts=[0, 40, 0, 5, 0, 9, 3], unit="D")
    >>> conversion(log).counts
    (3, 2, 1)
    >>> conversion(log, semantic="entered").counts
    (3, 1, 1)
    >>> conversion(log, semantic="ordered", window=np.timedelta64(30, "D")).counts
    (3, 1, 0)
    >>> conversion(log)
    <Conversion reached: 3 stages, 4 entities, 1 won>
    """
    log = check_log(log)
    semantic = check_semantic(semantic, where="conversion")  # type: ignore[assignment]
    ci = check_ci(ci, where="conversion")  # type: ignore[assignment]
    level = check_level(level, where="conversion")
    win = window_ns(window, semantic)
    stages = tuple(s.name for s in log.funnel.path)
    flags = K.entered(log)[:, :len(stages)] if semantic == "entered" else None
    if by is not None:
        groups = K.entity_groups(log, by)
        counts = group_stage_counts(log, groups, semantic, win)
        cont = (None if flags is None
                else continued_counts(flags, groups.codes, groups.n_groups))
        return breakdown(groups, lambda g, rows: Conversion(
            semantic, stages, counts[g], len(rows), win, ci, level,
            continued=None if cont is None else cont[g]))
    cont1 = None if flags is None else continued_counts(flags)[0]
    return Conversion(semantic, stages, stage_counts(log, semantic, win), log.n_entities, win,
                      ci, level, continued=cont1)
