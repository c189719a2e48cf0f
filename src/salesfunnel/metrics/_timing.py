"""``timing``: stage-to-stage durations and the sales cycle; ``survival``: Kaplan-Meier.

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
from typing import Any, Literal, overload

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._table import Table, render_text
from salesfunnel._util._optional import import_optional
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events._log import EventLog, _to_ns_scalar
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._results import (
    DASH,
    Breakdown,
    HtmlRepr,
    breakdown,
    check_choice,
    check_log,
    check_merge,
    format_count,
    format_number,
    format_pct,
    json_value,
    strs,
)
from salesfunnel.metrics._stats import check_level, z_value

__all__ = [
    "Durations",
    "Survival",
    "Timing",
    "as_of_ns",
    "format_duration",
    "survival",
    "timing",
]

_I64 = npt.NDArray[np.int64]
_F64 = npt.NDArray[np.float64]
NS_PER_S = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_S
LostPolicy = Literal["never", "censor"]
LOST_POLICIES = ("never", "censor")
#: Tolerance when comparing a survival estimate with 0.5 for the median: the product of
#: ``1 - d/n`` is exact in rational arithmetic but not in floating point.
_MEDIAN_TOL = 1e-12
#: Rows of a survival table shown by ``str()`` (evenly thinned beyond that).
_MAX_ROWS = 20


# -- small helpers --------------------------------------------------------------------------------


def format_duration(seconds: float) -> str:
    """A duration in seconds as short text in a fitting unit.

    Examples
    --------
    >>> format_duration(3 * 86400.0), format_duration(5400.0), format_duration(42.0)
    ('3.0 d', '1.5 h', '42.0 s')
    >>> format_duration(float("nan"))
    '—'
    """
    if seconds is None or not math.isfinite(seconds):
        return DASH
    size = abs(seconds)
    for unit, name in ((86_400.0, "d"), (3_600.0, "h"), (60.0, "min")):
        if size >= unit:
            return f"{seconds / unit:,.1f} {name}"
    return f"{seconds:.1f} s"


def _timedelta(seconds: float) -> np.timedelta64:
    if not math.isfinite(seconds):
        return np.timedelta64("NaT", "ns")
    return np.timedelta64(round(seconds * NS_PER_S), "ns")


def exact_sum(values: _I64) -> int:
    """Exact sum of non-negative int64 values as a Python int (no overflow).

    Examples
    --------
    >>> import numpy as np
    >>> exact_sum(np.array([2**62, 2**62, 2**62], dtype=np.int64)) == 3 * 2**62
    True
    """
    if len(values) == 0:
        return 0
    v = np.asarray(values, dtype=np.int64)
    if int(v.max()) <= np.iinfo(np.int64).max // len(v):  # the int64 sum cannot overflow
        return int(v.sum(dtype=np.int64))
    high = int(np.sum(v >> 32, dtype=np.int64))
    low = int(np.sum(v & 0xFFFFFFFF, dtype=np.int64))
    return (high << 32) + low


def percentiles_of(values: _I64, wanted: Sequence[float]) -> _F64:
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


def check_percentiles(percentiles: Any) -> tuple[float, ...]:
    """Validate ``percentiles``: numbers in [0, 100]; returned sorted without duplicates."""
    if isinstance(percentiles, str | bytes) or not isinstance(percentiles, Iterable):
        raise InvalidParameterError(
            f"percentiles must be a sequence of numbers in [0, 100]; got {percentiles!r}",
            parameter="percentiles", value=percentiles,
        )
    out = []
    for q in percentiles:
        if (isinstance(q, bool) or not isinstance(q, int | float | np.integer | np.floating)
                or not 0.0 <= float(q) <= 100.0):
            raise InvalidParameterError(
                f"percentiles must be numbers in [0, 100]; got {q!r} in {percentiles!r}",
                parameter="percentiles", value=percentiles,
            )
        out.append(float(q))
    return tuple(sorted(set(out)))


def as_of_ns(value: Any, *, parameter: str = "as_of") -> int:
    """A point in time as integer nanoseconds since the epoch (UTC).

    Accepts a timezone-aware :class:`datetime.datetime` (or pandas ``Timestamp``), an
    ISO 8601 string with an offset (``"2026-03-31T00:00Z"``) and ``numpy.datetime64``.

    Raises
    ------
    InvalidParameterError
        For naive datetimes, numbers (the unit would be a guess) and anything else.

    Examples
    --------
    >>> as_of_ns("1970-01-02T00:00:00+00:00")
    86400000000000
    >>> as_of_ns("2026-01-01")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: as_of must be a timezone-aware datetime, ...
    """
    problem = ("as_of must be a timezone-aware datetime, an ISO 8601 string with an offset "
               f"or a numpy.datetime64; got {value!r}").replace("as_of", parameter, 1)
    if isinstance(value, bool) or value is None:
        raise InvalidParameterError(problem, parameter=parameter, value=value)
    try:
        ns = _to_ns_scalar(value)
    except (ValueError, TypeError, OverflowError):
        ns = None
    if ns is None:
        raise InvalidParameterError(problem, parameter=parameter, value=value)
    return ns


def _iso(ns: int) -> str:
    return str(np.datetime64(ns, "ns").astype("datetime64[s]")) + "Z"


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


@attrs.frozen(eq=False, repr=False)
class Durations(HtmlRepr):
    """The distribution of one duration over entities: a funnel step or the sales cycle.

    Attributes
    ----------
    source, target : str
        What the duration runs from and to (stage names; ``"first event"`` for the cycle).
    values : numpy.ndarray of int64
        Every observed duration in nanoseconds, one per entity, in no particular order
        (read-only). Kept so that :meth:`merge` is exact.
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
    values: _I64 = attrs.field(converter=_readonly)
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
                               "mean": json_value(self.mean), "median": json_value(self.median)}
        for q, v in self.quantiles.items():
            out[f"p{q:g}"] = json_value(v)
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

    def _table(self) -> Table:
        headers, rows = _step_rows([(f"{self.source} -> {self.target}", self)],
                                   self.percentiles)
        return Table("", headers, rows, notes=[] if self.count else [self.reason])

    def __str__(self) -> str:
        return render_text(self._table())

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


def _step_rows(items: Sequence[tuple[str, Durations]], percentiles: tuple[float, ...]
               ) -> tuple[list[str], list[list[str]]]:
    shown = [q for q in percentiles if q != 50.0]  # p50 is the median column
    headers = ["step", "count", "median", "mean", *(f"p{q:g}" for q in shown)]
    rows = []
    for label, d in items:
        rows.append([label, format_count(d.count), format_duration(d.median),
                     format_duration(d.mean), *(format_duration(d.quantiles[q]) for q in shown)])
    return headers, rows


# -- Timing ---------------------------------------------------------------------------------------


def _steps(values: Iterable[Durations]) -> tuple[Durations, ...]:
    return tuple(values)


@attrs.frozen(eq=True, repr=False)
class Timing(HtmlRepr):
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

    def _items(self) -> list[tuple[str, Durations]]:
        items = [(f"{d.source} -> {d.target}", d) for d in self.steps]
        items.append((f"sales cycle (first -> {self.cycle.target})", self.cycle))
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

    def _table(self) -> Table:
        headers, rows = _step_rows(self._items(), self.percentiles)
        title = (f"Timing of {self.entities:,} entit{'ies' if self.entities != 1 else 'y'} "
                 "(durations from the first time at each depth)")
        return Table(title, headers, rows)

    def __str__(self) -> str:
        return render_text(self._table())

    def __repr__(self) -> str:
        n = len(self.steps)
        cyc = self.cycle
        median = (f"median sales cycle {format_duration(cyc.median)}" if cyc.count
                  else "no sales cycle")
        return (f"<Timing: {n} step{'s' * (n != 1)}, {self.entities:,} "
                f"entit{'ies' if self.entities != 1 else 'y'}, {median} over "
                f"{cyc.count:,} won>")


def _frozen(values: _I64) -> _I64:
    values.flags.writeable = False
    return values


def step_durations(first: _I64, n_path: int, rows: _I64 | None = None) -> list[_I64]:
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
        out.append(_frozen(np.subtract(col, prev)))
        prev = col
    return out


def _timing_of(stages: tuple[str, ...], first: _I64, entry: _I64, rows: _I64 | None,
               percentiles: tuple[float, ...]) -> Timing:
    """Timing of the entities ``rows`` (all when ``None``) from the first-time matrix
    and the per-entity first event times ``entry``."""
    n_path = len(stages)
    steps = [Durations(stages[k - 1], stages[k], values, percentiles)
             for k, values in enumerate(step_durations(first, n_path, rows), start=1)]
    won_at = first[:, n_path - 1]
    if rows is not None:
        won_at = won_at.take(rows)
        entry = entry.take(rows)
    won = np.flatnonzero(won_at != K.NEVER)
    cycle = Durations("first event", stages[-1],
                      _frozen(np.subtract(won_at.take(won), entry.take(won))), percentiles)
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
        over the entities that reached stage ``k`` (DESIGN.md "Metric semantics"); the
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
    (int64), the ``*_timedelta`` accessors and ``to_pandas()`` give ``timedelta64[ns]``.

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
    ([2, 1], 18.0)
    >>> t.cycle.median_timedelta.astype("timedelta64[D]")
    np.timedelta64(30,'D')
    >>> timing(log, by="rep")["y"].step("demo").count
    1
    """
    log = check_log(log)
    qs = check_percentiles(percentiles)
    stages = tuple(s.name for s in log.funnel.path)
    first = K.first_times(log)
    entry = K.first_event_time(log)
    if by is None:
        return _timing_of(stages, first, entry, None, qs)
    return breakdown(K.entity_groups(log, by),
                     lambda _, rows: _timing_of(stages, first, entry, rows, qs))


# -- Survival (Kaplan-Meier) ----------------------------------------------------------------------


def _unique_counts(times: _I64, events: npt.NDArray[np.bool_]) -> tuple[_I64, _I64, _I64]:
    """Distinct times with the number of events and of censored observations at each."""
    if len(times) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    if int(times.min()) >= 0 and int(times.max()) < 2**62:
        # Sort (time, event) packed in one int64 by value: much faster than an argsort.
        key = times << 1
        key |= events
        key.sort()
        flag = key & 1
        key >>= 1
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
        counts = np.diff(np.append(starts, len(key)))
        ev = np.add.reduceat(flag, starts)
        return key[starts], ev, counts - ev
    uniq, inverse = np.unique(times, return_inverse=True)
    n = len(uniq)
    ev = np.bincount(inverse[events], minlength=n).astype(np.int64)
    total = np.bincount(inverse, minlength=n).astype(np.int64)
    return uniq.astype(np.int64), ev, total - ev


@attrs.frozen(eq=False, repr=False)
class Survival(HtmlRepr):
    """Kaplan-Meier estimate of the time to conversion (first event to first WON).

    One row per distinct observed duration. ``S(t)`` is the probability of *not yet*
    having converted ``t`` after entry; ``1 - S(t)`` is the cumulative conversion curve.
    Confidence intervals are the exponential Greenwood ("log-log") intervals, as in
    lifelines.

    Attributes
    ----------
    stage : str
        The WON stage (the event of interest).
    as_of : int
        Cut-off in ns since the epoch: later events are ignored; entities not converted
        by then are right-censored.
    lost : {"never", "censor"}
        How entities whose current stage is LOST are treated (see :func:`survival`).
    time_ns : numpy.ndarray of int64
        Distinct durations (ns), ascending.
    events, censored : numpy.ndarray of int64
        Conversions and censored observations at each time.
    level : float
        Confidence level of the intervals.
    time : numpy.ndarray of float64
        :attr:`time_ns` in seconds.
    at_risk : numpy.ndarray of int64
        Entities with duration ``>= t`` (not yet converted or censored just before ``t``).
    survival, lower, upper : numpy.ndarray of float64
        ``S(t)`` and its confidence interval.
    observations, converted, right_censored : int
        Totals.
    median : float
        Smallest ``t`` with ``S(t) <= 0.5``, in seconds; NaN when never reached (see
        :attr:`reason`).

    Examples
    --------
    >>> import numpy as np
    >>> days = 86_400 * 10**9
    >>> s = Survival("won", 0, "never", np.array([1, 2, 4]) * days, np.array([1, 1, 0]),
    ...              np.array([0, 1, 1]))
    >>> s
    <Survival time to 'won' (Kaplan-Meier): fitted with 4 observations, 2 right-censored>
    >>> s.at_risk.tolist(), s.survival.tolist(), s.median / 86_400
    ([4, 3, 1], [0.75, 0.5, 0.5], 2.0)
    """

    stage: str
    as_of: int
    lost: str
    time_ns: _I64 = attrs.field(converter=_readonly)
    events: _I64 = attrs.field(converter=_readonly)
    censored: _I64 = attrs.field(converter=_readonly)
    level: float = attrs.field(default=0.95, converter=check_level)
    at_risk: _I64 = attrs.field(init=False)
    survival: _F64 = attrs.field(init=False)
    lower: _F64 = attrs.field(init=False)
    upper: _F64 = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        t, d, c = self.time_ns, self.events, self.censored
        if not len(t) == len(d) == len(c):
            raise InvalidParameterError(
                f"time_ns, events and censored must have equal lengths; got {len(t)}, "
                f"{len(d)}, {len(c)}", parameter="events", value=(len(t), len(d), len(c)),
            )
        removed = d + c
        at_risk = int(removed.sum()) - np.concatenate([[0], np.cumsum(removed)[:-1]]) \
            if len(t) else np.zeros(0, np.int64)
        at_risk = np.asarray(at_risk, dtype=np.int64)
        n = at_risk.astype(np.float64)
        df = d.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            surv = np.cumprod(1.0 - df / n) if len(t) else np.zeros(0)
            term = np.where(at_risk > d, df / (n * (n - df)), 0.0)
            var = np.cumsum(term)
            log_s = np.log(surv)
            half = z_value(self.level) * np.sqrt(var) / np.abs(log_s)
            inner = (surv > 0) & (surv < 1)
            lower = np.where(inner, surv ** np.exp(half), surv)
            upper = np.where(inner, surv ** np.exp(-half), surv)
        for name, arr in (("at_risk", at_risk), ("survival", surv), ("lower", lower),
                          ("upper", upper)):
            arr = np.asarray(arr)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Survival):
            return NotImplemented
        return ((self.stage, self.as_of, self.lost, self.level)
                == (other.stage, other.as_of, other.lost, other.level)
                and all(np.array_equal(getattr(self, f), getattr(other, f))
                        for f in ("time_ns", "events", "censored")))

    # -- derived ------------------------------------------------------------------------------
    @property
    def time(self) -> _F64:
        """Distinct durations in seconds."""
        return self.time_ns / NS_PER_S

    @property
    def timedelta(self) -> npt.NDArray[np.timedelta64]:
        """Distinct durations as ``timedelta64[ns]``."""
        return self.time_ns.astype("timedelta64[ns]")

    @property
    def observations(self) -> int:
        """Number of entities observed (entered at or before :attr:`as_of`)."""
        return int(self.events.sum() + self.censored.sum())

    @property
    def converted(self) -> int:
        """Number of entities that converted (won) by :attr:`as_of`."""
        return int(self.events.sum())

    @property
    def right_censored(self) -> int:
        """Number of censored entities."""
        return int(self.censored.sum())

    @property
    def median(self) -> float:
        """Median time to conversion in seconds (NaN when ``S`` never reaches 0.5)."""
        hit = np.flatnonzero(self.survival <= 0.5 + _MEDIAN_TOL)
        return float(self.time_ns[hit[0]] / NS_PER_S) if len(hit) else math.nan

    @property
    def median_timedelta(self) -> np.timedelta64:
        """:attr:`median` as ``numpy.timedelta64[ns]`` (NaT when undefined)."""
        hit = np.flatnonzero(self.survival <= 0.5 + _MEDIAN_TOL)
        return (np.timedelta64(int(self.time_ns[hit[0]]), "ns") if len(hit)
                else np.timedelta64("NaT", "ns"))

    @property
    def reason(self) -> str | None:
        """Why :attr:`median` is NaN (``None`` when it is defined)."""
        if not math.isnan(self.median):
            return None
        if not self.observations:
            return f"no entity entered by {_iso(self.as_of)}"
        return ("fewer than half of the entities converted within the follow-up "
                f"({self.converted:,} of {self.observations:,})")

    def survival_at(self, seconds: npt.ArrayLike) -> _F64:
        """``S(t)`` at arbitrary times ``t`` in seconds (a step function, 1 before the
        first event).

        Examples
        --------
        >>> import numpy as np
        >>> s = Survival("won", 0, "never", np.array([10**9, 2 * 10**9]), np.array([1, 1]),
        ...              np.array([0, 0]))
        >>> s.survival_at([0.5, 1.0, 1.5, 3.0]).tolist()
        [1.0, 0.5, 0.5, 0.0]
        """
        try:
            t = np.asarray(seconds, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"seconds must be numbers (durations in seconds); got {seconds!r}",
                parameter="seconds", value=seconds,
            ) from None
        idx = np.searchsorted(self.time, t, side="right") - 1
        values = np.concatenate([[1.0], self.survival])
        out: _F64 = values[idx + 1]
        return out

    # -- merging ------------------------------------------------------------------------------
    def merge(self, other: Survival) -> Survival:
        """The estimate over the union of two disjoint sets of entities (exact: the event
        and censoring counts at each time add up).

        Raises
        ------
        InvalidParameterError
            If ``other`` is not a :class:`Survival` with the same stage, ``as_of``,
            ``lost`` policy and level.
        """
        check_merge(self, other, ("stage", "as_of", "lost", "level"))
        times = np.concatenate([self.time_ns, other.time_ns])
        uniq, inverse = np.unique(times, return_inverse=True)
        events = np.zeros(len(uniq), dtype=np.int64)
        censored = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(events, inverse, np.concatenate([self.events, other.events]))
        np.add.at(censored, inverse, np.concatenate([self.censored, other.censored]))
        return Survival(self.stage, self.as_of, self.lost, uniq, events, censored, self.level)

    # -- presentation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings, totals, the median and one row per time (seconds).

        Examples
        --------
        >>> import numpy as np
        >>> s = Survival("won", 0, "never", np.array([10**9]), np.array([1]), np.array([1]))
        >>> d = s.to_dict()
        >>> d["observations"], d["median"], d["rows"][0]["survival"]
        (2, 1.0, 0.5)
        """
        return {
            "stage": self.stage,
            "as_of": _iso(self.as_of),
            "lost": self.lost,
            "level": self.level,
            "unit": "seconds",
            "observations": self.observations,
            "converted": self.converted,
            "right_censored": self.right_censored,
            "median": json_value(self.median),
            "reason": self.reason,
            "rows": [
                {"time": json_value(float(t)), "at_risk": int(n), "events": int(d),
                 "censored": int(c), "survival": json_value(float(s)),
                 "lower": json_value(float(lo)), "upper": json_value(float(hi))}
                for t, n, d, c, s, lo, hi in zip(self.time, self.at_risk, self.events,
                                                 self.censored, self.survival, self.lower,
                                                 self.upper, strict=True)
            ],
        }

    def to_pandas(self) -> Any:
        """The survival table (``pandas`` extra): ``time`` (timedelta64[ns]), ``at_risk``,
        ``events``, ``censored``, ``survival``, ``lower``, ``upper``.

        Examples
        --------
        >>> import numpy as np
        >>> s = Survival("won", 0, "never", np.array([86_400 * 10**9]), np.array([1]),
        ...              np.array([1]))
        >>> s.to_pandas()[["time", "at_risk", "survival"]]
            time  at_risk  survival
        0 1 days        2       0.5
        """
        pd = import_optional("pandas", "pandas", purpose="Survival.to_pandas")
        return pd.DataFrame({
            "time": self.timedelta, "at_risk": self.at_risk, "events": self.events,
            "censored": self.censored, "survival": self.survival, "lower": self.lower,
            "upper": self.upper,
        })

    def _table(self) -> Table:
        max_rows = _MAX_ROWS
        n = len(self.time_ns)
        idx = np.arange(n)
        if n > max_rows:  # evenly thinned, first and last rows kept
            idx = np.unique(np.linspace(0, n - 1, max_rows).round().astype(np.int64))
        rows = [[format_duration(float(self.time[i])), format_count(int(self.at_risk[i])),
                 format_count(int(self.events[i])), format_count(int(self.censored[i])),
                 format_pct(float(self.survival[i])),
                 f"[{format_pct(float(self.lower[i]))}, {format_pct(float(self.upper[i]))}]"]
                for i in idx]
        median = (format_duration(self.median) if not math.isnan(self.median)
                  else f"not reached ({self.reason})")
        head = (f"Kaplan-Meier time to {self.stage!r} as of {_iso(self.as_of)}: "
                f"{format_number(self.observations, 'observation')}, {self.converted:,} converted, "
                f"{self.right_censored:,} right-censored (lost: {self.lost})")
        shown = [] if n <= max_rows else [f"({len(idx)} of {n:,} rows shown)"]
        return Table(head, ["time", "at risk", "events", "censored", "S(t)",
                            f"{self.level:.0%} interval"], rows,
                     notes=[*shown, f"median time to conversion: {median}"])

    def __str__(self) -> str:
        return render_text(self._table())

    def __repr__(self) -> str:
        return (f"<Survival time to {self.stage!r} (Kaplan-Meier): fitted with "
                f"{self.observations:,} observation{'s' * (self.observations != 1)}, "
                f"{self.right_censored:,} right-censored>")


def check_lost(lost: Any) -> str:
    """Validate the ``lost`` policy of :func:`survival`."""
    return check_choice("lost", lost, LOST_POLICIES)


def observations(log: EventLog, as_of: int, lost: str) -> tuple[_I64, npt.NDArray[np.bool_]]:
    """Per entity of ``log`` (already cut at ``as_of``): duration (ns) and converted flag."""
    pr = K.progress(log)
    converted = pr.won_time != K.NEVER
    end = np.full(log.n_entities, as_of, dtype=np.int64)
    if lost == "censor":
        _, _, is_lost = K.stage_kinds(log.funnel)
        at_loss = is_lost[pr.latest_stage]
        end = np.where(at_loss, pr.last_time, end)
    end = np.where(converted, pr.won_time, end)
    return end - pr.first_time, converted


@overload
def survival(log: EventLog, *, as_of: Any, by: None = ..., lost: LostPolicy = ...,
             level: float = ...) -> Survival: ...


@overload
def survival(log: EventLog, *, as_of: Any, by: str, lost: LostPolicy = ...,
             level: float = ...) -> Breakdown[Survival]: ...


def survival(
    log: EventLog,
    *,
    as_of: Any,
    by: str | None = None,
    lost: LostPolicy = "never",
    level: float = 0.95,
) -> Survival | Breakdown[Survival]:
    """Kaplan-Meier time to conversion, with open deals right-censored at ``as_of``.

    Only events at or before ``as_of`` count. Each entity with such an event is one
    observation: entry = its first event; conversion = its first WON event; an entity
    not converted by ``as_of`` is right-censored.

    Parameters
    ----------
    log : EventLog
        The events.
    as_of : datetime, str or numpy.datetime64
        The cut-off (timezone-aware; ISO strings need an offset, e.g. ``"...Z"``).
    by : str, optional
        A segment column: one :class:`Survival` per value (value on the first event).
    lost : {"never", "censor"}
        Entities whose current stage (latest event by ``as_of``) is LOST:

        - ``"never"`` (default): a lost deal will not convert, so it stays in the risk
          set until ``as_of`` (censored there). With censoring only at ``as_of`` this
          makes ``1 - S(t)`` the cumulative incidence of winning with loss as a
          competing risk: "what share of entering deals win within ``t``".
        - ``"censor"``: censored at the time of its latest (LOST) event. This is the
          cause-specific view "time to win if deals could not be lost"; it
          overstates the share that eventually wins.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    Survival or Breakdown
        The survival table (time, at risk, events, censored, ``S(t)``, interval) and
        the median time to conversion.

    Raises
    ------
    InvalidParameterError
        A missing or naive ``as_of``, an unknown ``lost`` policy or ``by`` column, a bad
        ``level``.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import survival
    >>> f = Funnel("deals", [Stage("lead"), Stage("won", kind="won"),
    ...                      Stage("lost", kind="lost")])
    >>> log = EventLog.from_arrays(
    ...     f, entity=[1, 1, 2, 2, 3, 4, 4], stage=[0, 1, 0, 1, 0, 0, 2],
    ...     ts=["2026-01-01T00:00Z", "2026-01-11T00:00Z", "2026-01-01T00:00Z",
    ...         "2026-01-21T00:00Z", "2026-01-25T00:00Z", "2026-01-01T00:00Z",
    ...         "2026-01-05T00:00Z"])
    >>> km = survival(log, as_of="2026-01-31T00:00Z")
    >>> km
    <Survival time to 'won' (Kaplan-Meier): fitted with 4 observations, 2 right-censored>
    >>> (km.time / 86_400).tolist(), km.at_risk.tolist(), km.events.tolist()
    ([6.0, 10.0, 20.0, 30.0], [4, 3, 2, 1], [0, 1, 1, 0])
    >>> km.survival.round(4).tolist(), km.median / 86_400
    ([1.0, 0.6667, 0.3333, 0.3333], 20.0)
    >>> survival(log, as_of="2026-01-31T00:00Z", lost="censor").survival.tolist()
    [1.0, 1.0, 0.5, 0.0]
    """
    log = check_log(log)
    cut = as_of_ns(as_of)
    lost = check_lost(lost)  # type: ignore[assignment]
    level = check_level(level)
    stage = log.funnel.won.name
    view = K.until(log, cut)

    def fit(durations: _I64, converted: npt.NDArray[np.bool_]) -> Survival:
        t, d, c = _unique_counts(durations, converted)
        return Survival(stage, cut, lost, t, d, c, level)

    durations, converted = observations(view, cut, lost)
    if by is None:
        return fit(durations, converted)
    groups = K.entity_groups(view, by)  # the view keeps every segment column
    return breakdown(groups, lambda _, rows: fit(durations[rows], converted[rows]))
