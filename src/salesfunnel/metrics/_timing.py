"""``timing``: stage-to-stage durations and the sales cycle (Kaplan-Meier: ``_survival``).

Units: every duration is measured in integer nanoseconds internally. Result attributes
(``mean``, ``median``, ``percentiles``, survival ``time``) are **seconds** as floats, with
``numpy.timedelta64[ns]`` twins (``mean_timedelta``, ...) and timedelta columns in
``to_pandas()``.

Memory trade-off: :class:`Durations` keeps every distinct observed duration with its
count (16 bytes per distinct value; durations stored in whole seconds or days repeat a
lot), so that results over entity partitions merge *exactly* (the merged percentiles
equal those over the whole log, bit for bit) and stay small. A sketch with a bounded
relative error is an explicit option (``timing(..., accuracy=0.01)``).
:class:`Survival` keeps one row per distinct duration (time, events, censored), which
also merges exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar, overload

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._format import MISSING
from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._engine import PartitionedLog, parallel_map
from salesfunnel._util._i18n import counted, word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import NS_PER_S, NS_PER_UNIT, elapsed_ns
from salesfunnel._util._validate import check_number, invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.events._factorize import sorted_packed
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._parallel import run_partitioned
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
_A = TypeVar("_A", bound=np.ndarray[Any, Any])
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


def _weighted_sum(values: _U64, counts: _I64) -> int:
    """Exact ``sum(values * counts)`` of uint64 durations as a Python int."""
    if len(values) == 0:
        return 0
    if int(counts.max()) == 1:
        return exact_sum(values)
    total = 0
    for start in range(0, len(values), _SUM_SLICE):  # slices: small temporaries (memory)
        v = np.asarray(values[start:start + _SUM_SLICE], dtype=np.uint64)
        c = counts[start:start + _SUM_SLICE]
        c_hi, c_lo = c >> 31, c & 0x7FFFFFFF
        # each product of a 32-bit half and a count is split again so sums never wrap
        for half, shift in (((v >> np.uint64(32)).astype(np.int64), 32),
                            ((v & np.uint64(0xFFFFFFFF)).astype(np.int64), 0)):
            total += (exact_sum(half * c_lo) + (exact_sum(half * c_hi) << 31)) << shift
    return total


#: values per slice of :func:`_weighted_sum`
_SUM_SLICE = 1 << 18


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


def check_accuracy(accuracy: Any, *, where: str | None = None) -> float | None:
    """``None`` (exact) or a relative accuracy in (0, 0.5]."""
    if accuracy is None:
        return None
    return check_number("accuracy", accuracy, where=where, low=0.0, high=0.5,
                        low_open=True, expected="None or a relative accuracy in (0, 0.5]")


def quantize(values: _U64, accuracy: float) -> _U64:
    """Durations rounded to a logarithmic grid: every value within ``accuracy`` (relative)
    of the original, and at most about ``ln(2**63) / (2 * accuracy)`` distinct values.

    The grid of DDSketch: value ``v > 0`` goes to bucket ``k = ceil(log_g(v))`` with
    ``g = (1 + a) / (1 - a)`` and is represented by ``2 g**k / (g + 1)``; 0 stays 0.

    Examples
    --------
    >>> import numpy as np
    >>> quantize(np.array([0, 1000, 1001, 10**12]), 0.01).tolist()
    [0, 1002, 1002, 999849948094]
    """
    v = np.asarray(values, dtype=np.uint64)
    gamma = (1.0 + accuracy) / (1.0 - accuracy)
    pos = v > 0
    k = np.ceil(np.log(v[pos].astype(np.float64)) / math.log(gamma))
    rep = np.rint(2.0 * np.exp(k * math.log(gamma)) / (gamma + 1.0))
    out = v.copy()
    out[pos] = np.minimum(rep, float(2**63)).astype(np.uint64)
    return out


def compact(values: Any, frequencies: Any = None) -> tuple[_U64, _I64]:
    """``(distinct, counts)``: the distinct durations in ascending order and how often
    each occurs, from raw observations (``frequencies`` None) or weighted values.

    Examples
    --------
    >>> import numpy as np
    >>> [a.tolist() for a in compact(np.array([5, 1, 5, 5]))]
    [[1, 5], [1, 3]]
    >>> [a.tolist() for a in compact([5, 1, 5], [2, 1, 0])]
    [[1, 5], [1, 2]]
    """
    if frequencies is None:
        # numpy's unique, with the bucketed radix sort (about twice as fast on millions)
        v = np.array(values, dtype=np.uint64).ravel()  # a copy: the sort may reuse it
        if len(v) == 0:
            return v, np.zeros(0, np.int64)
        v = sorted_packed(v, max(int(v.max()).bit_length(), 1))
        starts = _run_starts(v)
        return v.take(starts), np.diff(starts, append=len(v)).astype(np.int64, copy=False)
    v = np.asarray(values, dtype=np.uint64).ravel()
    w = np.asarray(frequencies, dtype=np.int64).ravel()
    if w.shape != v.shape or (len(w) and int(w.min()) < 0):
        raise InvalidParameterError(
            f"frequencies must be one count >= 0 per value ({len(v)} values); got "
            f"{len(w)} counts", parameter="frequencies", value=len(w))
    keep = w > 0
    v, w = v[keep], w[keep]
    if len(v) > 1 and not bool(np.all(v[1:] > v[:-1])):
        order = np.argsort(v, kind="stable")
        v, w = v[order], w[order]
        starts = _run_starts(v)
        v, w = v[starts], np.add.reduceat(w, starts)
    return v.astype(np.uint64), w.astype(np.int64)


def _run_starts(v: _U64) -> _I64:
    """Where each run of equal values of the sorted, non-empty ``v`` starts."""
    new = np.empty(len(v), dtype=np.bool_)
    new[0] = True
    np.not_equal(v[1:], v[:-1], out=new[1:])
    return np.flatnonzero(new)


def weighted_percentiles(distinct: _U64, counts: _I64, wanted: Sequence[float]) -> _F64:
    """``np.percentile(np.repeat(distinct, counts), wanted)`` without expanding: numpy's
    default linear method, bit for bit (``distinct`` ascending, ``counts`` > 0).

    Examples
    --------
    >>> import numpy as np
    >>> d, c = np.array([1, 4, 9]), np.array([3, 1, 2])
    >>> (weighted_percentiles(d, c, [0, 35, 50, 90, 100]).tolist()
    ...  == np.percentile(np.repeat(d, c), [0, 35, 50, 90, 100]).tolist())
    True
    """
    ends = np.cumsum(counts, dtype=np.int64)  # rank i (0-based) is at the first end > i
    n = int(ends[-1])
    q = np.true_divide(np.asarray(wanted, dtype=np.float64), 100)
    virtual = (n - 1) * q  # numpy's virtual index of the linear method
    prev = np.floor(virtual)
    nxt = prev + 1
    above = virtual >= n - 1
    prev[above] = n - 1
    nxt[above] = n - 1
    below = virtual < 0
    prev[below] = 0
    nxt[below] = 0
    prev_i = prev.astype(np.intp)
    nxt_i = nxt.astype(np.intp)
    gamma = np.asanyarray(virtual - np.where(above, -1, prev_i), dtype=virtual.dtype)
    a = distinct[np.searchsorted(ends, prev_i, side="right")]
    b = distinct[np.searchsorted(ends, nxt_i, side="right")]
    diff = b - a
    out = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5, casting="unsafe")
    result: _F64 = np.asarray(out, dtype=np.float64)
    return result


@attrs.frozen(eq=False, repr=False)
class Durations(Displayable):
    """The distribution of one duration over entities: a funnel step or the sales cycle.

    Kept compact and exact: the distinct durations and how often each occurs, so that
    :meth:`merge` gives exactly the result over the whole log and merged results stay
    small.

    Attributes
    ----------
    source, target : str
        What the duration runs from and to (stage names; ``"first event"`` for the cycle).
    values : numpy.ndarray of uint64
        The distinct observed durations in nanoseconds, ascending (read-only). Built from
        raw observations (one per entity, any order), or from distinct values with
        ``frequencies``. Unsigned: two times of a log may be up to about 584 years
        apart, more than int64 nanoseconds hold.
    percentiles : tuple of float
        The percentiles reported (0 - 100).
    frequencies : numpy.ndarray of int64
        How many entities had each of :attr:`values` (keyword-only; default: each given
        value is one observation).
    accuracy : float or None
        ``None``: exact. Otherwise the durations were rounded to a logarithmic grid with
        this relative accuracy (a sketch, see :func:`timing`); only results of the same
        accuracy merge.
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
    >>> w = Durations("lead", "demo", [86_400 * 10**9], frequencies=[1_000_000])
    >>> w.count, len(w.values), w.median / 86_400
    (1000000, 1, 1.0)
    """

    source: str
    target: str
    values: _U64 = attrs.field(converter=_durations_ns)
    percentiles: tuple[float, ...] = attrs.field(default=(10.0, 50.0, 90.0),
                                                 converter=check_percentiles)
    frequencies: _I64 | None = attrs.field(default=None, kw_only=True)
    accuracy: float | None = attrs.field(default=None, kw_only=True,
                                         converter=check_accuracy)
    count: int = attrs.field(init=False)
    total: int = attrs.field(init=False)
    mean: float = attrs.field(init=False)
    median: float = attrs.field(init=False)
    quantiles: dict[float, float] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        raw = self.values
        if self.accuracy is not None:
            raw = quantize(raw, self.accuracy)
        v, w = compact(raw, self.frequencies)
        self._finish(v, w, _weighted_sum(v, w))

    def _finish(self, v: _U64, w: _I64, total: int) -> None:
        """Set the compact form and the statistics from distinct ascending ``v``, their
        counts ``w`` > 0 and the exact ``total``."""
        object.__setattr__(self, "values", _frozen(v))
        object.__setattr__(self, "frequencies", _frozen(w))
        n = int(w.sum(dtype=np.int64))
        if n:
            wanted = sorted({50.0, *self.percentiles})
            got = weighted_percentiles(v, w, wanted) / NS_PER_S
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
        return Durations._merge_all([self, other])

    @classmethod
    def _merge_all(cls, items: Sequence[Durations], *, workers: int = 1) -> Durations:
        """``items[0].merge(items[1]).merge(...)`` in one pass (:meth:`merge` is this
        with two items; ``tree_merge`` uses it for more): the distinct values of all are
        sorted together once (a stable sort merges the ascending runs in about linear
        time) and equal values' counts summed, where merging pairs would sort the
        growing result again at every level of the tree. The exact totals add; merged
        values are on the accuracy grid already. ``workers`` is part of the protocol
        and unused (one distribution is one sort; ``Timing`` merges its steps on
        threads)."""
        first = items[0]
        for other in items[1:]:
            check_merge(first, other, ("source", "target", "percentiles", "accuracy"))
        if len(items) == 1:
            return first
        v = np.concatenate([d.values for d in items])
        w = np.concatenate([d.frequencies for d in items])
        if len(v):
            order = np.argsort(v, kind="stable")
            v = v.take(order)  # one at a time: the unsorted one is freed before the next
            w = w.take(order)
            del order
            starts = _run_starts(v)
            if len(starts) < len(v):
                v, w = v.take(starts), np.add.reduceat(w, starts)
        out = object.__new__(Durations)
        for name in ("source", "target", "percentiles", "accuracy"):
            object.__setattr__(out, name, getattr(first, name))
        out._finish(v, w, sum(d.total for d in items))
        return out

    def observations(self) -> _I64:
        """Every observed duration (ns), ascending: :attr:`values` repeated by
        :attr:`frequencies` (this expands the compact form; mind the memory).

        Examples
        --------
        >>> import numpy as np
        >>> Durations("a", "b", [3, 1, 3]).observations().tolist()
        [1, 3, 3]
        """
        assert self.frequencies is not None
        return np.repeat(self.values, self.frequencies)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Durations):
            return NotImplemented
        assert self.frequencies is not None and other.frequencies is not None
        return (
            (self.source, self.target, self.percentiles, self.count, self.total,
             self.accuracy)
            == (other.source, other.target, other.percentiles, other.count, other.total,
                other.accuracy)
            and bool(np.array_equal(self.values, other.values))
            and bool(np.array_equal(self.frequencies, other.frequencies))
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
        return Timing._merge_all([self, other])

    @classmethod
    def _merge_all(cls, items: Sequence[Timing], *, workers: int = 1) -> Timing:
        """Every item merged in one pass per step (see ``Durations._merge_all``;
        :meth:`merge` is this with two items); the steps and the cycle are independent,
        so they merge on up to ``workers`` threads."""
        first = items[0]
        for other in items[1:]:
            check_merge(first, other, ("stages", "percentiles"))
        columns = [*zip(*(t.steps for t in items), strict=True), [t.cycle for t in items]]
        merged = parallel_map(Durations._merge_all, columns, workers)
        return Timing(first.stages, merged[:-1], merged[-1],
                      sum(t.entities for t in items), first.percentiles)

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


def _frozen(values: _A) -> _A:
    values.flags.writeable = False
    return values


def step_durations(tables: K.FirstTables, n_path: int, rows: _I64 | None = None
                   ) -> Iterator[_U64]:
    """Durations (ns) of steps ``1 .. n_path - 1`` from the first times at each depth.

    ``tables`` is :func:`~salesfunnel.metrics._kernels.first_tables` (stage-major, so a
    column is contiguous, in the log's compact time units); ``rows`` optionally selects
    entities. Step ``k`` is ``units[:, k] - units[:, k - 1]`` over the entities with
    ``units[:, k]`` set that arrived at stage ``k - 1`` itself (a skip has no time out
    of the skipped stage). Reaching stage ``k`` implies reaching ``k - 1``, so the
    entities are narrowed down step by step (with index arrays: ``take`` is several
    times faster than boolean-mask indexing). A generator: the caller compacts each
    step before the next one is made (peak memory).
    """
    first = tables.units
    idx = rows
    prev = first[:, 0] if idx is None else first[:, 0].take(idx)
    for k in range(1, n_path):
        col = first[:, k] if idx is None else first[:, k].take(idx)
        reached = col != tables.never
        if not reached.all():
            sel = np.flatnonzero(reached)
            col = col.take(sel)
            prev = prev.take(sel)
            idx = sel if idx is None else idx.take(sel)
            del sel
        del reached
        at = tables.arrived(k - 1, idx)
        keep = None if at.all() else np.flatnonzero(at)
        del at
        out = (_elapsed(tables, col, prev) if keep is None
               else _elapsed(tables, col.take(keep), prev.take(keep)))
        del keep
        prev = col
        yield _frozen(out)
        del out


def _elapsed(tables: K.FirstTables, later: npt.NDArray[Any], earlier: npt.NDArray[Any]
             ) -> _U64:
    """``later - earlier`` (same units of ``tables``, ``later >= earlier``) in ns."""
    if tables.step == 1 and later.dtype == np.int64:
        exact: _U64 = elapsed_ns(later, earlier)  # exact over any int64 span
        return exact
    out: _U64 = np.subtract(later, earlier, dtype=np.int64).view(np.uint64)
    out *= np.uint64(tables.step)
    return out


def _timing_of(stages: tuple[str, ...], tables: K.FirstTables, rows: _I64 | None,
               percentiles: tuple[float, ...], accuracy: float | None = None) -> Timing:
    """Timing of the entities ``rows`` (all when ``None``) from :func:`K.first_tables`."""
    n_path = len(stages)
    steps = [Durations(stages[k - 1], stages[k], values, percentiles, accuracy=accuracy)
             for k, values in enumerate(step_durations(tables, n_path, rows), start=1)]
    won_at, entry = tables.units[:, n_path - 1], tables.entry
    if rows is not None:
        won_at = won_at.take(rows)
        entry = entry.take(rows)
    won = np.flatnonzero(won_at != tables.never)
    cycle = Durations("first event", stages[-1],
                      _frozen(_elapsed(tables, won_at.take(won), entry.take(won))),
                      percentiles, accuracy=accuracy)
    return Timing(stages, steps, cycle, len(entry), percentiles)


@overload
def timing(log: EventLog | PartitionedLog, *, by: None = ...,
           percentiles: Sequence[float] = ..., accuracy: float | None = ...,
           workers: int | None = ..., progress: bool = ...) -> Timing: ...


@overload
def timing(log: EventLog | PartitionedLog, *, by: str, percentiles: Sequence[float] = ...,
           accuracy: float | None = ..., workers: int | None = ...,
           progress: bool = ...) -> Breakdown[Timing]: ...


def timing(
    log: EventLog | PartitionedLog,
    *,
    by: str | None = None,
    percentiles: Sequence[float] = (10, 50, 90),
    accuracy: float | None = None,
    workers: int | None = None,
    progress: bool = False,
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

    accuracy : float, optional
        ``None`` (default): exact durations. A relative accuracy such as ``0.01``: every
        duration is rounded to a logarithmic grid (a sketch, DDSketch's mapping), so a
        step keeps at most a few thousand distinct values whatever the number of
        entities; percentiles are then within ``accuracy`` of the exact ones.
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

    Memory: each step keeps its distinct durations with their counts (16 bytes per
    distinct value, at most one per entity that reached the step) so that
    :meth:`Timing.merge` is exact: the merged result equals the one over the whole log
    bit for bit (means from exact integer sums, percentiles from the same multiset).
    Durations in whole seconds, hours or days repeat and stay small; ``accuracy=``
    bounds the size whatever the data, at the price of approximate percentiles.

    One scatter of the events (a scatter-minimum, no sort) gives every entity's first
    time at each stage, counted in the log's coarsest exact time unit (``int32`` when
    the log spans fewer than ``2**31 - 1`` of them: half the memory of nanoseconds); a
    running minimum over the stages turns that into the first time at each depth, and
    the step durations are differences of adjacent columns (no Python loop over events
    or entities).

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
    parted = run_partitioned(log, workers, progress, "timing", lambda part: timing(
        part, by=by, percentiles=percentiles, accuracy=accuracy, workers=1))
    if parted is not None:
        return parted
    log = check_log(log)
    qs = check_percentiles(percentiles, where="timing")
    acc = check_accuracy(accuracy, where="timing")
    stages = tuple(s.name for s in log.funnel.path)
    tables = K.first_tables(log)
    if by is None:
        return _timing_of(stages, tables, None, qs, acc)
    return breakdown(K.entity_groups(log, by),
                     lambda _, rows: _timing_of(stages, tables, rows, qs, acc))


# -- Survival (Kaplan-Meier) ----------------------------------------------------------------------
