"""``timing``: stage-to-stage durations and the sales cycle (Kaplan-Meier: ``_survival``).

Units: every duration is measured in integer nanoseconds internally. Result attributes
(``mean``, ``median``, ``percentiles``, survival ``time``) are **seconds** as floats, with
``numpy.timedelta64[ns]`` twins (``mean_timedelta``, ...) and timedelta columns in
``to_pandas()``.

Memory trade-off: :class:`Durations` keeps every observed duration (8 bytes per entity
and step reached, in no particular order) so that results over entity partitions merge
*exactly* (the merged percentiles equal those over the whole log, bit for bit).
:class:`Survival` keeps one row per distinct duration (time, events, censored), which
also merges exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, overload

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._format import MISSING
from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._util._i18n import counted, word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import NS_PER_S, NS_PER_UNIT, elapsed_ns
from salesfunnel._util._validate import check_number, invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._results import (
    Breakdown,
    breakdown,
    check_log,
    check_merge,
    format_count,
    strs,
)

__all__ = [
    "Durations",
    "Timing",
    "format_duration",
    "timing",
]

_I64 = npt.NDArray[np.int64]
_U64 = npt.NDArray[np.uint64]
_I64_MAX = 2**63 - 1
_F64 = npt.NDArray[np.float64]


# -- small helpers --------------------------------------------------------------------------------


def format_duration(seconds: float, lang: str = "en") -> str:
    """A duration in seconds as short text in a fitting unit.

    Examples
    --------
    >>> format_duration(3 * 86400.0), format_duration(5400.0), format_duration(42.0)
    ('3.0 d', '1.5 h', '42.0 s')
    >>> format_duration(float("nan")), format_duration(3 * 86400.0, "zh")
    ('—', '3.0 天')
    """
    if seconds is None or not math.isfinite(seconds):
        return MISSING
    size = abs(seconds)
    for unit, name in ((NS_PER_UNIT["D"] / NS_PER_S, "d"), (NS_PER_UNIT["h"] / NS_PER_S, "h"),
                       (NS_PER_UNIT["m"] / NS_PER_S, "min")):
        if size >= unit:
            return f"{seconds / unit:,.1f} {word('unit.' + name, lang)}"
    return f"{seconds:.1f} {word('unit.s', lang)}"


def _timedelta(seconds: float) -> np.timedelta64:
    """Seconds as ``timedelta64[ns]``: NaT when undefined or beyond its +-292 years."""
    if not math.isfinite(seconds):
        return np.timedelta64("NaT", "ns")
    ns = round(seconds * NS_PER_S)
    if not -_I64_MAX <= ns <= _I64_MAX:
        return np.timedelta64("NaT", "ns")
    return np.timedelta64(ns, "ns")


def exact_sum(values: npt.NDArray[Any]) -> int:
    """Exact sum of non-negative int64 or uint64 values as a Python int (no overflow).

    Examples
    --------
    >>> import numpy as np
    >>> exact_sum(np.array([2**62, 2**62, 2**62], dtype=np.int64)) == 3 * 2**62
    True
    >>> exact_sum(np.array([2**64 - 3, 2**64 - 3], dtype=np.uint64)) == 2 * (2**64 - 3)
    True
    """
    if len(values) == 0:
        return 0
    v = np.asarray(values)
    v = v.astype(np.uint64) if v.dtype.kind != "u" else v.astype(np.uint64, copy=False)
    if int(v.max()) <= np.iinfo(np.int64).max // len(v):  # the sum cannot overflow
        return int(v.sum(dtype=np.uint64))
    high = int(np.sum(v >> np.uint64(32), dtype=np.uint64))
    low = int(np.sum(v & np.uint64(0xFFFFFFFF), dtype=np.uint64))
    return (high << 32) + low


def percentiles_of(values: npt.NDArray[Any], wanted: Sequence[float]) -> _F64:
    """``np.percentile(values, wanted)`` (default linear method), computed faster.

    numpy partitions a copy at several positions at once, which takes its scalar
    selection path; here the copy is first put in order around those positions with
    one single-position partition each (numpy's SIMD path, on the shrinking rest), so
    numpy's own partition finds most of the work done. The result is numpy's, bit for
    bit: the reordering only changes how fast it is found.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([7, 1, 5, 3, 9, 2], dtype=np.int64)
    >>> percentiles_of(v, [10.0, 50.0, 90.0]).tolist() == np.percentile(v, [10, 50, 90]).tolist()
    True
    """
    work = np.array(values)
    n = len(work)
    if n > 64:
        q = np.asarray(wanted, dtype=np.float64) / 100.0
        low = np.clip(np.floor((n - 1) * q), 0, n - 1).astype(np.int64)
        kths = np.unique(np.concatenate([[0, n - 1], low, np.minimum(low + 1, n - 1)]))
        start = 0
        for k in kths.tolist():
            work[start:].partition(k - start)
            start = k + 1
    out: _F64 = np.percentile(work, wanted, overwrite_input=True)
    return out


def check_percentiles(percentiles: Any, *, where: str | None = None) -> tuple[float, ...]:
    """Validate ``percentiles``: numbers in [0, 100]; returned sorted without duplicates."""
    expected = "a sequence of numbers in [0, 100]"
    if isinstance(percentiles, str | bytes) or not isinstance(percentiles, Iterable):
        raise invalid("percentiles", percentiles, expected, where=where)
    try:
        out = {check_number("percentiles", q, low=0.0, high=100.0) for q in percentiles}
    except InvalidParameterError:
        raise invalid("percentiles", percentiles, expected, where=where) from None
    return tuple(sorted(out))


# -- Durations ------------------------------------------------------------------------------------


def _readonly(values: Any) -> _I64:
    """``values`` as a read-only int64 array: a read-only int64 array that owns its data
    is kept as it is (the functions here build those), anything else is copied."""
    if (isinstance(values, np.ndarray) and values.dtype == np.int64 and values.ndim == 1
            and not values.flags.writeable and values.flags.owndata):
        return values
    arr = np.array(values, dtype=np.int64).ravel()
    arr.flags.writeable = False
    return arr


def _durations_ns(values: Any) -> _U64:
    """``values`` as a read-only uint64 array of nanoseconds (durations are never negative).

    A read-only uint64 array that owns its data is kept as it is (the functions here
    build those); other integers are checked (``>= 0``) and copied.
    """
    if (isinstance(values, np.ndarray) and values.dtype == np.uint64 and values.ndim == 1
            and not values.flags.writeable and values.flags.owndata):
        return values
    raw = np.asarray(values)
    if raw.size == 0:
        raw = raw.astype(np.int64)
    if raw.dtype.kind not in "iu" or (raw.dtype.kind == "i" and raw.size
                                      and int(raw.min()) < 0):
        raise InvalidParameterError(
            f"durations must be integers of nanoseconds >= 0; got {values!r}",
            parameter="values", value=values,
        )
    arr = raw.astype(np.uint64).ravel()
    arr.flags.writeable = False
    return arr


@attrs.frozen(eq=False, repr=False)
class Durations(Displayable):
    """The distribution of one duration over entities: a funnel step or the sales cycle.

    Attributes
    ----------
    source, target : str
        What the duration runs from and to (stage names; ``"first event"`` for the cycle).
    values : numpy.ndarray of uint64
        Every observed duration in nanoseconds, one per entity, in no particular order
        (read-only). Kept so that :meth:`merge` is exact. Unsigned: two times of a log
        may be up to about 584 years apart, more than int64 nanoseconds hold.
    percentiles : tuple of float
        The percentiles reported (0 - 100).
    count : int
        Number of durations.
    total : int
        Exact sum of the durations in nanoseconds.
    mean, median : float
        In seconds; NaN when ``count`` is 0 (see :attr:`reason`).
    quantiles : dict of float to float
        ``{q: percentile q in seconds}`` for each of :attr:`percentiles` (numpy's
        default linear interpolation).

    Examples
    --------
    >>> import numpy as np
    >>> d = Durations("lead", "demo", np.array([1, 2, 3, 10], dtype=np.int64) * 86_400 * 10**9)
    >>> d
    <Durations lead -> demo: 4 observations, median 2.5 d, mean 4.0 d>
    >>> d.median / 86_400, d.quantiles[90] / 86_400, d.median_timedelta
    (2.5, 7.9..., np.timedelta64(216000000000000,'ns'))
    """

    source: str
    target: str
    values: _U64 = attrs.field(converter=_durations_ns)
    percentiles: tuple[float, ...] = attrs.field(default=(10.0, 50.0, 90.0),
                                                 converter=check_percentiles)
    count: int = attrs.field(init=False)
    total: int = attrs.field(init=False)
    mean: float = attrs.field(init=False)
    median: float = attrs.field(init=False)
    quantiles: dict[float, float] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        v = self.values
        n = len(v)
        total = exact_sum(v)
        if n:
            wanted = sorted({50.0, *self.percentiles})
            got = percentiles_of(v, wanted) / NS_PER_S
            by_q = {q: float(x) for q, x in zip(wanted, got, strict=True)}
            mean = (total / n) / NS_PER_S
        else:
            by_q = {q: math.nan for q in (50.0, *self.percentiles)}
            mean = math.nan
        object.__setattr__(self, "count", n)
        object.__setattr__(self, "total", total)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "median", by_q[50.0])
        object.__setattr__(self, "quantiles", {q: by_q[q] for q in self.percentiles})

    @property
    def reason(self) -> str | None:
        """Why the statistics are NaN (``None`` when they are defined)."""
        return None if self.count else f"no entity reached {self.target!r}"

    @property
    def mean_timedelta(self) -> np.timedelta64:
        """:attr:`mean` as ``numpy.timedelta64[ns]`` (NaT when undefined)."""
        return _timedelta(self.mean)

    @property
    def median_timedelta(self) -> np.timedelta64:
        """:attr:`median` as ``numpy.timedelta64[ns]`` (NaT when undefined)."""
        return _timedelta(self.median)

    def percentile_timedelta(self, q: float) -> np.timedelta64:
        """Percentile ``q`` (one of :attr:`percentiles`) as ``numpy.timedelta64[ns]``.

        Raises
        ------
        InvalidParameterError
            If ``q`` is not one of :attr:`percentiles`.
        """
        if q not in self.quantiles:
            raise InvalidParameterError(
                f"percentile {q!r} was not computed; expected one of "
                f"{', '.join(f'{p:g}' for p in self.percentiles) or 'none'}",
                parameter="q", value=q,
            )
        return _timedelta(self.quantiles[q])

    def merge(self, other: Durations) -> Durations:
        """The distribution over the union of two disjoint sets of entities (exact).

        Raises
        ------
        InvalidParameterError
            If ``other`` is not a :class:`Durations` of the same step and percentiles.
        """
        check_merge(self, other, ("source", "target", "percentiles"))
        return Durations(self.source, self.target,
                         _frozen(np.concatenate([self.values, other.values])), self.percentiles)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Durations):
            return NotImplemented
        return (
            (self.source, self.target, self.percentiles, self.count, self.total)
            == (other.source, other.target, other.percentiles, other.count, other.total)
            and bool(np.array_equal(np.sort(self.values), np.sort(other.values)))
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary in seconds (the raw durations are not included).

        Examples
        --------
        >>> import numpy as np
        >>> Durations("a", "b", np.array([0, 4 * 10**9]), percentiles=(90,)).to_dict()
        {'from': 'a', 'to': 'b', 'count': 2, 'mean': 2.0, 'median': 2.0, 'p90': 3.6, 'reason': None}
        """
        out: dict[str, Any] = {"from": self.source, "to": self.target, "count": self.count,
                               "mean": to_json_value(self.mean),
                               "median": to_json_value(self.median)}
        for q, v in self.quantiles.items():
            out[f"p{q:g}"] = to_json_value(v)
        out["reason"] = self.reason
        return out

    def _row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"from": self.source, "to": self.target, "count": self.count,
                               "median": self.median_timedelta, "mean": self.mean_timedelta}
        for q in self.percentiles:
            row[f"p{q:g}"] = self.percentile_timedelta(q)
        return row

    def to_pandas(self) -> Any:
        """One row: ``from``, ``to``, ``count``, then ``median``, ``mean`` and one ``pQ``
        column per percentile as ``timedelta64[ns]`` (NaT where undefined; ``pandas``
        extra).

        Examples
        --------
        >>> import numpy as np
        >>> Durations("a", "b", np.array([0, 4 * 86_400 * 10**9]), percentiles=()).to_pandas()
          from to  count  median   mean
        0    a  b      2  2 days 2 days
        """
        return _durations_frame([self], "Durations.to_pandas")

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        headers, rows = _step_rows([(f"{self.source} -> {self.target}", self)],
                                   self.percentiles, lang)
        return (Table("", headers, rows, notes=[] if self.count else [self.reason]),)


    def __repr__(self) -> str:
        n = self.count
        head = f"<Durations {self.source} -> {self.target}: {n:,} observation{'s' * (n != 1)}"
        if not n:
            return head + ">"
        return (f"{head}, median {format_duration(self.median)}, "
                f"mean {format_duration(self.mean)}>")


def _durations_frame(durations: Sequence[Durations], purpose: str) -> Any:
    """One row per :class:`Durations` (see :meth:`Durations.to_pandas`)."""
    pd = import_optional("pandas", "pandas", purpose=purpose)
    frame = pd.DataFrame([d._row() for d in durations])
    for col in frame.columns[3:]:
        frame[col] = frame[col].astype("timedelta64[ns]")
    return frame


def _step_rows(items: Sequence[tuple[str, Durations]], percentiles: tuple[float, ...],
               lang: str) -> tuple[list[str], list[list[str]]]:
    shown = [q for q in percentiles if q != 50.0]  # p50 is the median column
    headers = [*(word(k, lang) for k in ("step.name", "count", "median", "mean")),
               *(f"p{q:g}" for q in shown)]
    rows = []
    for label, d in items:
        rows.append([label, format_count(d.count), format_duration(d.median, lang),
                     format_duration(d.mean, lang),
                     *(format_duration(d.quantiles[q], lang) for q in shown)])
    return headers, rows


# -- Timing ---------------------------------------------------------------------------------------


def _steps(values: Iterable[Durations]) -> tuple[Durations, ...]:
    return tuple(values)


@attrs.frozen(eq=True, repr=False)
class Timing(Displayable):
    """Durations between consecutive main-path stages, and the sales cycle.

    Step ``k`` (``steps[k - 1]``) runs from stage ``k - 1`` to stage ``k``: per entity
    that reached stage ``k`` (depth ``>= k``), the first time at depth ``>= k`` minus the
    first time at depth ``>= k - 1`` (0 when a skip reached both at once). The sales
    cycle runs from an entity's first event (any stage) to its first WON event, over the
    entities that won. Statistics are in seconds (see :class:`Durations`).

    Attributes
    ----------
    stages : tuple of str
        Main-path stage names (open stages, then WON).
    steps : tuple of Durations
        ``len(stages) - 1`` steps.
    cycle : Durations
        First event to first WON event.
    entities : int
        Entities in the log.
    percentiles : tuple of float
        Percentiles reported for every step.

    Examples
    --------
    >>> import numpy as np
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import timing
    >>> f = Funnel("deals", [Stage("lead"), Stage("demo"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 1, 2, 2], stage=[0, 1, 2, 0, 1],
    ...                            ts=[0, 2, 9, 0, 4], unit="D")
    >>> t = timing(log)
    >>> t
    <Timing: 2 steps, 2 entities, median sales cycle 9.0 d over 1 won>
    >>> t.step("demo").median / 86_400, t.cycle.count
    (3.0, 1)
    >>> print(t)
    Timing of 2 entities (durations from the first time at each depth)
    step                        count  median   mean    p10    p90
    --------------------------  -----  ------  -----  -----  -----
    lead -> demo                    2   3.0 d  3.0 d  2.2 d  3.8 d
    demo -> won                     1   7.0 d  7.0 d  7.0 d  7.0 d
    sales cycle (first -> won)      1   9.0 d  9.0 d  9.0 d  9.0 d
    """

    stages: tuple[str, ...] = attrs.field(converter=strs)
    steps: tuple[Durations, ...] = attrs.field(converter=_steps)
    cycle: Durations
    entities: int = attrs.field(converter=int)
    percentiles: tuple[float, ...] = attrs.field(default=(10.0, 50.0, 90.0),
                                                 converter=check_percentiles)

    def __attrs_post_init__(self) -> None:
        if len(self.steps) != max(len(self.stages) - 1, 0):
            raise InvalidParameterError(
                f"{len(self.stages)} stages need {max(len(self.stages) - 1, 0)} steps; got "
                f"{len(self.steps)}", parameter="steps", value=len(self.steps),
            )

    __hash__ = None  # type: ignore[assignment]

    def step(self, stage: str | int) -> Durations:
        """The step *into* ``stage`` (its name, or main-path index ``k >= 1``).

        Raises
        ------
        InvalidParameterError
            If there is no such step (the first stage has no step into it).
        """
        names = self.stages[1:]
        if isinstance(stage, int | np.integer) and not isinstance(stage, bool):
            if 1 <= int(stage) <= len(names):
                return self.steps[int(stage) - 1]
        elif stage in names:
            return self.steps[names.index(stage)]
        raise InvalidParameterError(
            f"no step into {stage!r}; expected one of {', '.join(map(repr, names)) or 'none'} "
            f"or an index 1..{len(names)}",
            parameter="stage", value=stage,
        )

    def merge(self, other: Timing) -> Timing:
        """The result over the union of two disjoint sets of entities (exact).

        Raises
        ------
        InvalidParameterError
            If ``other`` is not a :class:`Timing` with the same stages and percentiles.

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> from salesfunnel.metrics import timing
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=[1, 1, 2, 2], stage=[0, 1, 0, 1],
        ...                            ts=[0, 3, 0, 5], unit="D")
        >>> a, b = log.partition(2)
        >>> timing(a).merge(timing(b)) == timing(log)
        True
        """
        check_merge(self, other, ("stages", "percentiles"))
        return Timing(
            self.stages,
            [a.merge(b) for a, b in zip(self.steps, other.steps, strict=True)],
            self.cycle.merge(other.cycle),
            self.entities + other.entities,
            self.percentiles,
        )

    def _items(self, lang: str = "en") -> list[tuple[str, Durations]]:
        items = [(f"{d.source} -> {d.target}", d) for d in self.steps]
        items.append((word("timing.cycle", lang).format(self.cycle.target), self.cycle))
        return items

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; durations in seconds (NaN as ``None``).

        Examples
        --------
        >>> import numpy as np
        >>> from salesfunnel.metrics import Durations, Timing
        >>> d = Durations("lead", "won", np.array([10**9]), percentiles=())
        >>> Timing(("lead", "won"), [d], d, 1, percentiles=()).to_dict()["steps"][0]["mean"]
        1.0
        """
        return {
            "stages": list(self.stages),
            "entities": self.entities,
            "percentiles": list(self.percentiles),
            "unit": "seconds",
            "steps": [d.to_dict() for d in self.steps],
            "cycle": self.cycle.to_dict(),
        }

    def to_pandas(self) -> Any:
        """One row per step and one for the sales cycle (``pandas`` extra).

        Columns ``from``, ``to``, ``count``, then ``median``, ``mean`` and one ``pQ``
        column per percentile as ``timedelta64[ns]`` (NaT where undefined).

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> from salesfunnel.metrics import timing
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=[1, 1], stage=[0, 1], ts=[0, 3], unit="D")
        >>> timing(log, percentiles=()).to_pandas()
                 from   to  count  median   mean
        0        lead  won      1  3 days 3 days
        1 first event  won      1  3 days 3 days
        """
        return _durations_frame([*self.steps, self.cycle], "Timing.to_pandas")

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        headers, rows = _step_rows(self._items(lang), self.percentiles, lang)
        title = word("timing.title", lang).format(counted(self.entities, "entity", lang))
        return (Table(title, headers, rows),)


    def __repr__(self) -> str:
        n = len(self.steps)
        cyc = self.cycle
        median = (f"median sales cycle {format_duration(cyc.median)}" if cyc.count
                  else "no sales cycle")
        return (f"<Timing: {n} step{'s' * (n != 1)}, {self.entities:,} "
                f"entit{'ies' if self.entities != 1 else 'y'}, {median} over "
                f"{cyc.count:,} won>")


def _frozen(values: _U64) -> _U64:
    values.flags.writeable = False
    return values


def step_durations(first: _I64, n_path: int, rows: _I64 | None = None,
                   arrived: npt.NDArray[np.bool_] | None = None) -> list[_U64]:
    """Durations (ns) of steps ``1 .. n_path - 1`` from the first times at each depth.

    ``first`` is :func:`~salesfunnel.metrics._kernels.first_times` (stage-major, so a
    column is contiguous); ``rows`` optionally selects entities. Step ``k`` is
    ``first[:, k] - first[:, k - 1]`` over the entities with ``first[:, k]`` set (a
    skip gives 0: both columns hold the same time). Reaching stage ``k`` implies
    reaching ``k - 1``, so the entities are narrowed down step by step (with index
    arrays: ``take`` is several times faster than boolean-mask indexing).
    """
    out = []
    idx = rows
    prev = first[:, 0] if idx is None else first[:, 0].take(idx)
    for k in range(1, n_path):
        col = first[:, k] if idx is None else first[:, k].take(idx)
        reached = col != K.NEVER
        if not reached.all():
            sel = np.flatnonzero(reached)
            col = col.take(sel)
            prev = prev.take(sel)
            idx = sel if idx is None else idx.take(sel)
        if arrived is None:
            out.append(_frozen(elapsed_ns(col, prev)))
        else:  # only entities that were at stage k - 1 have a time from it
            at = arrived[:, k - 1] if idx is None else arrived[:, k - 1].take(idx)
            keep = np.flatnonzero(at)
            out.append(_frozen(elapsed_ns(col.take(keep), prev.take(keep))))
        prev = col
    return out


def _timing_of(stages: tuple[str, ...], first: _I64, entry: _I64, rows: _I64 | None,
               percentiles: tuple[float, ...], arrived: npt.NDArray[np.bool_]) -> Timing:
    """Timing of the entities ``rows`` (all when ``None``) from the first-time matrix,
    the per-entity first event times ``entry`` and the :func:`~K.arrived` flags."""
    n_path = len(stages)
    steps = [Durations(stages[k - 1], stages[k], values, percentiles)
             for k, values in enumerate(step_durations(first, n_path, rows, arrived),
                                        start=1)]
    won_at = first[:, n_path - 1]
    if rows is not None:
        won_at = won_at.take(rows)
        entry = entry.take(rows)
    won = np.flatnonzero(won_at != K.NEVER)
    cycle = Durations("first event", stages[-1],
                      _frozen(elapsed_ns(won_at.take(won), entry.take(won))), percentiles)
    return Timing(stages, steps, cycle, len(entry), percentiles)


@overload
def timing(log: EventLog, *, by: None = ..., percentiles: Sequence[float] = ...) -> Timing: ...


@overload
def timing(log: EventLog, *, by: str, percentiles: Sequence[float] = ...
           ) -> Breakdown[Timing]: ...


def timing(
    log: EventLog,
    *,
    by: str | None = None,
    percentiles: Sequence[float] = (10, 50, 90),
) -> Timing | Breakdown[Timing]:
    """Stage-to-stage durations (count, median, mean, percentiles) and the sales cycle.

    Parameters
    ----------
    log : EventLog
        The events.
    by : str, optional
        A segment column: return a :class:`Breakdown` with one :class:`Timing` per value
        (an entity's value is the one on its first event).
    percentiles : sequence of float
        Percentiles (0 - 100) to report besides the median and the mean; numpy's
        default linear interpolation.

    Returns
    -------
    Timing or Breakdown
        Step ``k`` = first time at depth ``>= k`` minus first time at depth ``>= k - 1``
        over the entities that reached stage ``k`` and were seen at stage ``k - 1`` when
        they first got that deep (an entity that skipped stage ``k - 1`` has no time out
        of it; see the "Metric semantics" page); the
        sales cycle = first event to first WON event over the entities that won.
        Statistics in seconds, with ``numpy.timedelta64`` twins. Steps nobody reached
        have ``count`` 0, NaN statistics and a ``reason``.

    Raises
    ------
    InvalidParameterError
        If ``log`` is not an EventLog, ``by`` is not a segment column, or a percentile
        is outside [0, 100].

    Notes
    -----
    Units: statistics are seconds (float64), ``Durations.values`` are nanoseconds
    (uint64), the ``*_timedelta`` accessors and ``to_pandas()`` give ``timedelta64[ns]``.

    Memory: each step keeps its durations (8 bytes per entity that reached the step, so
    at most ``8 x entities x steps`` bytes) so that :meth:`Timing.merge` is exact: the
    merged result equals the one over the whole log bit for bit (means from exact
    integer sums, percentiles from the same multiset). A sketch (t-digest) would be
    smaller but only approximately mergeable.

    One scatter of the events (``np.minimum.at``, no sort) gives every entity's first
    time at each stage; a running minimum over the stages turns that into the first
    time at each depth, and the step durations are differences of adjacent columns
    (no Python loop over events or entities).

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import timing
    >>> f = Funnel("deals", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
    ...                      Stage("lost", kind="lost")], skip_ahead=True)
    >>> log = EventLog.from_arrays(
    ...     f, entity=["a", "a", "b", "b", "c", "c"],
    ...     stage=["lead", "won", "lead", "demo", "lead", "lost"],
    ...     ts=[0, 30, 0, 6, 0, 9], unit="D", segments={"rep": ["x", "x", "y", "y", "x", "x"]})
    >>> t = timing(log)
    >>> [d.count for d in t.steps], t.step("demo").median / 86_400
    ([2, 0], 18.0)
    >>> t.cycle.median_timedelta.astype("timedelta64[D]")
    np.timedelta64(30,'D')
    >>> timing(log, by="rep")["y"].step("demo").count
    1
    """
    log = check_log(log)
    qs = check_percentiles(percentiles, where="timing")
    stages = tuple(s.name for s in log.funnel.path)
    first = K.first_times(log)
    entry = K.first_event_time(log)
    seen = K.arrived(log)
    if by is None:
        return _timing_of(stages, first, entry, None, qs, seen)
    return breakdown(K.entity_groups(log, by),
                     lambda _, rows: _timing_of(stages, first, entry, rows, qs, seen))


# -- Survival (Kaplan-Meier) ----------------------------------------------------------------------
