"""The event log: the columnar table of stage events every metric reads.

An :class:`EventLog` holds one row per event: which entity (deal, lead, person), which
stage of a :class:`~salesfunnel.Funnel` it was observed at, and when. Optional columns are
an ``amount`` and any number of categorical segment columns (channel, rep, region).
Columns are numpy arrays; the log is immutable and caches derived arrays (sort orders,
per-entity aggregates) for the metric kernels in :mod:`salesfunnel.metrics._kernels`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._util._optional import import_optional
from salesfunnel._util._suggest import closest
from salesfunnel.errors import EventLogError, InvalidParameterError
from salesfunnel.model._funnel import Funnel
from salesfunnel.model._journey import Journey

__all__ = ["EventLog", "Segment", "SortedEvents"]

NS_PER_UNIT: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3_600 * 1_000_000_000,
    "D": 86_400 * 1_000_000_000,
}
_MAX_EXAMPLES = 5
_NS_MIN = -(2**63) + 1  # -2**63 is NaT
_NS_MAX = 2**63 - 1
_OUT_OF_RANGE = ("a time outside 1677-09-21 .. 2262-04-11 UTC (the range of int64 "
                 "nanoseconds)")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stage_dtype(n_stages: int) -> np.dtype[Any]:
    """The smallest signed integer dtype holding stage indices ``-1 .. n_stages - 1``."""
    if n_stages <= np.iinfo(np.int8).max:
        return np.dtype(np.int8)
    if n_stages <= np.iinfo(np.int16).max:
        return np.dtype(np.int16)
    return np.dtype(np.int32)


@attrs.frozen(eq=False)
class Segment:
    """A categorical column of an :class:`EventLog`: integer codes into ``categories``.

    Attributes
    ----------
    codes : numpy.ndarray of int32
        One code per event.
    categories : numpy.ndarray
        The distinct values; ``categories[codes]`` gives the value of every event.

    Examples
    --------
    >>> import numpy as np
    >>> seg = Segment(np.array([1, 0, 1], dtype=np.int32), np.array(["ads", "web"]))
    >>> seg.values().tolist()
    ['web', 'ads', 'web']
    """

    codes: npt.NDArray[np.int32]
    categories: np.ndarray[Any, Any]

    def values(self) -> np.ndarray[Any, Any]:
        """The value of every event (``categories[codes]``)."""
        return self.categories[self.codes]

    def __len__(self) -> int:
        return len(self.codes)

    def __repr__(self) -> str:
        cats = ", ".join(repr(_plain(c)) for c in self.categories[:5])
        more = ", ..." if len(self.categories) > 5 else ""
        n_cat = len(self.categories)
        return f"<Segment: {len(self.codes):,} events, {n_cat} values [{cats}{more}]>"


@attrs.frozen(eq=False)
class SortedEvents:
    """The events of a log in (entity, time, stage) order.

    Returned (and cached) by :meth:`EventLog.sorted_by_entity_time`.

    Attributes
    ----------
    order : numpy.ndarray of int64
        Permutation of the log's rows: ``log.ts[order]`` is the sorted ``ts``. Among exact
        duplicates (same entity, time and stage) the original row order is kept.
    entity, stage, ts : numpy.ndarray
        The sorted columns.
    bounds : numpy.ndarray of int64
        ``n_entities + 1`` offsets: the events of entity ``e`` are
        ``bounds[e]:bounds[e + 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[7, 3, 7], stage=[1, 0, 0], ts=[5, 1, 2], unit="s")
    >>> s = log.sorted_by_entity_time()
    >>> s.order.tolist(), s.bounds.tolist()
    ([1, 2, 0], [0, 1, 3])
    """

    order: npt.NDArray[np.int64]
    entity: npt.NDArray[np.int64]
    stage: np.ndarray[Any, Any]
    ts: npt.NDArray[np.int64]
    bounds: npt.NDArray[np.int64]

    @property
    def starts(self) -> npt.NDArray[np.int64]:
        """Offset of each entity's first event (``bounds[:-1]``)."""
        return self.bounds[:-1]

    @property
    def ends(self) -> npt.NDArray[np.int64]:
        """Offset one past each entity's last event (``bounds[1:]``)."""
        return self.bounds[1:]


def _plain(value: Any) -> Any:
    """A numpy scalar as the matching Python scalar (for messages and dicts)."""
    return value.item() if isinstance(value, np.generic) else value


def _bit_length(n: int) -> int:
    return max(int(n), 0).bit_length()


# -- factorization ------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, np.floating) and np.isnan(value):
        return True
    return isinstance(value, np.datetime64) and np.isnat(value)


_U64 = npt.NDArray[np.uint64]
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier for multiplicative hashing


def stable_order(keys: Sequence[tuple[np.ndarray[Any, Any], int]], n: int) -> npt.NDArray[np.int64]:
    """Stable argsort of ``n`` rows by several non-negative integer keys.

    ``keys`` lists ``(values, bits)`` most significant first; every value is in
    ``0 .. 2**bits - 1``. The keys are cut into digits of ``64 - log2(n)`` bits and sorted
    least significant digit first; each pass sorts plain ``uint64`` values (the digit with
    the row's current position packed below it), which numpy sorts with SIMD, far faster
    than ``argsort``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([3, 1, 3, 0]); b = np.array([9, 5, 2, 7])
    >>> stable_order([(a, 2), (b, 4)], 4).tolist()
    [3, 1, 2, 0]
    """
    ib = max(_bit_length(n - 1), 1)
    room = 64 - ib
    digits: list[_U64] = []
    cur: _U64 | None = None
    cur_bits = 0
    for values, bits in reversed(list(keys)):
        arr = values.astype(np.uint64, copy=False)
        used = 0
        while used < bits:
            take = min(bits - used, room - cur_bits)
            piece = arr >> np.uint64(used) if used else arr
            if used + take < 64:
                piece = piece & np.uint64((1 << take) - 1)
            cur = piece.copy() if cur is None else cur | (piece << np.uint64(cur_bits))
            cur_bits += take
            used += take
            if cur_bits == room:
                digits.append(cur)
                cur, cur_bits = None, 0
    if cur is not None or not digits:
        digits.append(np.zeros(n, np.uint64) if cur is None else cur)
    rows = np.arange(n, dtype=np.uint64)
    mask = np.uint64((1 << ib) - 1)
    order: npt.NDArray[np.int64] | None = None
    for digit in digits:
        packed = digit if order is None else digit[order]
        packed = packed << np.uint64(ib)
        packed |= rows
        packed.sort()
        packed &= mask
        pos = packed.view(np.int64)
        order = pos if order is None else order[pos]
    assert order is not None
    return order


def _dense(order: npt.NDArray[np.int64], keys_sorted: np.ndarray[Any, Any], n: int
           ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Codes from a sort: ``codes[order[i]]`` = number of distinct keys before ``i``."""
    new = np.empty(n, dtype=np.bool_)
    new[0] = True
    np.not_equal(keys_sorted[1:], keys_sorted[:-1], out=new[1:])
    codes_sorted = np.cumsum(new, dtype=np.int64)
    codes_sorted -= 1
    codes = np.empty(n, dtype=np.int64)
    codes[order] = codes_sorted
    return codes, new


def _factorize_int(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int64], np.ndarray[Any, Any]]:
    """Dense codes for integer ids, ordered like the sorted distinct ids.

    A lookup table when the ids span a small range; otherwise one SIMD sort of
    ``(id - min, row)`` packed into a ``uint64`` (of the id's high bits when the whole id
    does not fit, with runs of different ids sharing those bits re-sorted).
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, np.int64), values[:0].copy()
    lo = int(values.min())
    hi = int(values.max())
    span = hi - lo
    if span < 4 * n + 1024:
        # Small range: a direct lookup table (one pass, no sort).
        rel = (values - lo).astype(np.int64, copy=False)
        present = np.zeros(span + 1, dtype=np.bool_)
        present[rel] = True
        table = np.cumsum(present, dtype=np.int64) - 1
        uniques = (np.flatnonzero(present) + lo).astype(values.dtype)
        return table[rel], uniques
    bits = _bit_length(span)
    ib = max(_bit_length(n - 1), 1)
    rel_u = values.astype(np.uint64) - np.uint64(lo % 2**64)
    if bits + ib <= 64:
        order = stable_order([(rel_u, bits)], n)
        v_sorted = np.take(values, order)
    else:
        # Sort by the high 64 - ib bits only (packed with the row, one SIMD sort): that
        # orders different ids correctly unless they share those bits; such runs are then
        # re-sorted by the full id (few for spread-out ids; else fall back to argsort).
        rel_u >>= np.uint64(bits - (64 - ib))
        order = stable_order([(rel_u, 64 - ib)], n)
        high = np.take(rel_u, order)
        v_sorted = np.take(values, order)
        clash = high[1:] == high[:-1]
        clash &= v_sorted[1:] != v_sorted[:-1]
        n_clash = int(np.count_nonzero(clash))
        if n_clash > max(n // 64, 64):
            order = np.argsort(values).astype(np.int64, copy=False)
            v_sorted = np.take(values, order)
        elif n_clash:
            bad = np.unique(high[1:][clash])
            starts = np.searchsorted(high, bad, side="left")
            stops = np.searchsorted(high, bad, side="right")
            pos = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)])
            sub = np.lexsort((order[pos], v_sorted[pos]))
            order[pos] = order[pos][sub]
            v_sorted[pos] = v_sorted[pos][sub]
    codes, new = _dense(order, v_sorted, n)
    return codes, v_sorted[new]


def _factorize_objects(values: Sequence[Any] | np.ndarray[Any, Any]
                       ) -> tuple[npt.NDArray[np.int64], list[Any], npt.NDArray[np.bool_]]:
    """Codes for arbitrary hashable values (missing values get code -1 and a True flag).

    Distinct values are sorted when they are mutually comparable, else kept in order of
    first appearance.
    """
    arr = values if isinstance(values, np.ndarray) else None
    if arr is not None and arr.dtype.kind in "US":
        uniq, inv = np.unique(arr, return_inverse=True)
        return inv.astype(np.int64).ravel(), list(uniq.tolist()), np.zeros(len(arr), np.bool_)
    seen: dict[Any, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    missing = np.zeros(len(values), dtype=np.bool_)
    for i, v in enumerate(values):
        if isinstance(v, np.generic):
            v = v.item()
        if _is_missing(v):
            missing[i] = True
            codes[i] = -1
            continue
        try:
            codes[i] = seen.setdefault(v, len(seen))
        except TypeError:
            raise EventLogError(
                f"value {v!r} at row {i} is not hashable; expected hashable ids or categories",
                count=1,
                examples=[v],
            ) from None
    uniques = list(seen)
    try:
        order = sorted(range(len(uniques)), key=lambda j: uniques[j])
    except TypeError:
        return codes, uniques, missing
    remap = np.empty(len(uniques), dtype=np.int64)
    remap[np.asarray(order, dtype=np.int64)] = np.arange(len(uniques), dtype=np.int64)
    ok = ~missing
    codes[ok] = remap[codes[ok]]
    return codes, [uniques[j] for j in order], missing


def _object_array(items: Sequence[Any]) -> np.ndarray[Any, Any]:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def _as_array(values: Any, name: str) -> np.ndarray[Any, Any]:
    """A 1-D numpy array from a list, numpy array, pandas/polars/arrow column."""
    if isinstance(values, np.ndarray):
        arr = values
    else:
        dtype = getattr(values, "dtype", None)
        if dtype is not None and getattr(dtype, "tz", None) is not None:
            # pandas tz-aware Series / DatetimeIndex: its values are UTC datetime64 already,
            # which to_numpy with that dtype returns without a copy.
            unit = getattr(dtype, "unit", "ns")
            arr = np.asarray(values.to_numpy(dtype=f"datetime64[{unit}]"))
        elif hasattr(values, "to_numpy") and not isinstance(values, list | tuple):
            try:
                arr = np.asarray(values.to_numpy())
            except TypeError:
                arr = np.asarray(values)
        elif isinstance(values, np.ndarray | list | tuple) or hasattr(values, "__array__"):
            arr = np.asarray(values)
        else:
            try:
                arr = np.asarray(list(values))
            except TypeError:
                raise EventLogError(
                    f"column {name!r} must be a one-dimensional array-like (a list, numpy "
                    f"array, or pandas/polars/arrow column); got {type(values).__name__}",
                    count=1, examples=[values],
                ) from None
        if isinstance(values, list | tuple) and len(values) and (
                arr.dtype.kind == "O" or arr.ndim != 1 or (
                    arr.dtype.kind in "US" and not all(isinstance(v, str | bytes)
                                                       for v in values))):
            # Keep Python objects as they are: numpy would turn [1, "1"] into two
            # equal strings (or [("a", 1)] into a 2-D array).
            arr = _object_array(values)
    if arr.ndim != 1:
        raise EventLogError(f"column {name!r} must be one-dimensional; got shape {arr.shape}")
    return arr


# -- the log ------------------------------------------------------------------------------


class _Problems:
    """Collects invalid rows per reason while the columns are converted."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=np.bool_)
        self.reasons: list[tuple[str, int, list[Any]]] = []

    def add(self, mask: npt.NDArray[np.bool_], reason: str,
            values: np.ndarray[Any, Any] | Sequence[Any]) -> None:
        count = int(mask.sum())
        if not count:
            return
        rows = np.flatnonzero(mask)[:_MAX_EXAMPLES]
        examples = [_plain(values[int(r)]) for r in rows]
        self.reasons.append((reason, count, examples))
        self.bad |= mask

    def raise_or_drop(self, on_invalid: str) -> npt.NDArray[np.bool_] | None:
        if not self.reasons:
            return None
        if on_invalid == "drop":
            return ~self.bad
        total = int(self.bad.sum())
        parts = [
            f"{count:,} with {reason} (first: {', '.join(repr(e) for e in ex)})"
            for reason, count, ex in self.reasons
        ]
        examples = [e for _, _, ex in self.reasons for e in ex][:_MAX_EXAMPLES]
        raise EventLogError(
            f"{total:,} invalid event row{'s' if total != 1 else ''}: " + "; ".join(parts)
            + "; pass on_invalid='drop' to drop them",
            count=total,
            examples=examples,
        )


def _convert_stage(funnel: Funnel, values: np.ndarray[Any, Any], problems: _Problems
                   ) -> npt.NDArray[np.int64]:
    n_stages = len(funnel.stages)
    if values.dtype.kind in "iu":
        out = values.astype(np.int64, copy=False)
        bad = (out < 0) | (out >= n_stages)
        problems.add(bad, f"a stage index outside 0..{n_stages - 1}", values)
        return np.where(bad, 0, out) if bad.any() else out
    if values.dtype.kind == "f":
        ok = np.isfinite(values) & (values == np.round(values))
        out = np.where(ok, values, -1).astype(np.int64)
        bad = ~ok | (out < 0) | (out >= n_stages)
        problems.add(bad, f"a stage that is not an index in 0..{n_stages - 1}", values)
        return np.where(bad, 0, out)
    codes, uniques, missing = _factorize_objects(values)
    lookup = np.full(len(uniques) + 1, -1, dtype=np.int64)
    names = funnel.names
    index = {n: i for i, n in enumerate(names)}
    for j, u in enumerate(uniques):
        if isinstance(u, str) and u in index:
            lookup[j] = index[u]
        elif isinstance(u, int | np.integer) and not isinstance(u, bool) and 0 <= u < n_stages:
            lookup[j] = int(u)
    out = lookup[np.where(missing, len(uniques), codes)]
    bad = out < 0
    if bad.any():
        unknown = [uniques[int(c)] for c in np.unique(codes[bad & ~missing])[:3]]
        hint = ""
        if unknown and isinstance(unknown[0], str):
            hint = f"; did you mean {closest(unknown[0], names)[0]!r} for {unknown[0]!r}?"
        problems.add(missing, "a missing stage", values)
        problems.add(
            bad & ~missing,
            f"an unknown stage (expected one of {', '.join(repr(n) for n in names)}{hint})",
            values,
        )
        out = np.where(bad, 0, out)
    return out


def _datetime64_in_range(values: np.ndarray[Any, Any]) -> npt.NDArray[np.bool_]:
    """Which ``datetime64`` values (of any unit) fit in int64 nanoseconds (NaT counts as in
    range): numpy's unit conversion wraps around silently, so this is checked first."""
    unit, count = np.datetime_data(values.dtype)
    if unit in ("ns", "ps", "fs", "as", "generic"):
        return np.ones(values.shape, dtype=np.bool_)
    raw = values.view(np.int64)
    if unit in ("Y", "M"):  # months since 1970-01: 1677-10 .. 2262-04 is -3507 .. 3507
        months = raw.astype(np.float64) * (count * (12 if unit == "Y" else 1))
        ok: npt.NDArray[np.bool_] = np.abs(months) <= 3507
    else:
        per = 7 * NS_PER_UNIT["D"] if unit == "W" else NS_PER_UNIT[unit]
        limit = _NS_MAX // (count * per)
        ok = (raw <= limit) & (raw >= -limit)
    ok |= np.isnat(values)
    return ok


def _to_ns_scalar(value: Any) -> int | None:
    """One timestamp as ns since the epoch; None when missing; raise ValueError if naive,
    OverflowError outside the int64 nanosecond range."""
    if isinstance(value, np.generic):
        if isinstance(value, np.datetime64):
            if np.isnat(value):
                return None
            if not _datetime64_in_range(np.asarray([value]))[0]:
                raise OverflowError(str(value))
            return int(value.astype("datetime64[ns]").astype(np.int64))
        value = value.item()
    if _is_missing(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive")
        nanos = getattr(value, "nanosecond", 0)  # pandas.Timestamp
        delta = value - _EPOCH
        seconds = delta.days * 86_400 + delta.seconds
        ns = seconds * 1_000_000_000 + delta.microseconds * 1_000 + int(nanos)
        if not _NS_MIN <= ns <= _NS_MAX:
            raise OverflowError(str(value))
        return ns
    raise TypeError(type(value).__name__)


def _convert_ts(values: np.ndarray[Any, Any], unit: str | None, problems: _Problems
                ) -> npt.NDArray[np.int64]:
    kind = values.dtype.kind
    if kind == "M":
        missing = np.isnat(values)
        problems.add(missing, "a missing time (NaT)", values)
        wide = ~_datetime64_in_range(values)
        problems.add(wide, _OUT_OF_RANGE, values)
        with np.errstate(all="ignore"):
            out = values.astype("datetime64[ns]", copy=False).view(np.int64)
        bad = missing | wide
        return np.where(bad, 0, out) if bad.any() else out
    if kind in "iuf" and values.dtype != np.bool_:
        if unit is None:
            raise InvalidParameterError(
                f"numeric timestamps need unit= (one of {', '.join(map(repr, NS_PER_UNIT))}); "
                f"got dtype {values.dtype} and unit=None",
                parameter="unit",
                value=None,
            )
        factor = NS_PER_UNIT[unit]
        if kind == "f":
            missing = ~np.isfinite(values)
            problems.add(missing, "a missing time (NaN)", values)
            with np.errstate(invalid="ignore", over="ignore"):
                scaled = np.round(np.where(missing, 0.0, values) * factor)
                wide = ~(np.abs(scaled) < 2.0**63)
            problems.add(wide, _OUT_OF_RANGE, values)
            with np.errstate(invalid="ignore"):
                return np.where(wide, 0.0, scaled).astype(np.int64)
        wide = values > _NS_MAX // factor
        if kind == "i":
            wide |= values < _NS_MIN // factor + (_NS_MIN % factor != 0)
        if wide.any():
            problems.add(wide, _OUT_OF_RANGE, values)
            values = np.where(wide, 0, values)
        if factor == 1:
            return values.astype(np.int64, copy=False)
        return values.astype(np.int64) * factor
    out = np.zeros(len(values), dtype=np.int64)
    missing = np.zeros(len(values), dtype=np.bool_)
    naive = np.zeros(len(values), dtype=np.bool_)
    unparsable = np.zeros(len(values), dtype=np.bool_)
    wide = np.zeros(len(values), dtype=np.bool_)
    for i, v in enumerate(values):
        try:
            ns = _to_ns_scalar(v)
        except ValueError as exc:
            if str(exc) == "naive":
                naive[i] = True
            else:
                unparsable[i] = True
            continue
        except OverflowError:
            wide[i] = True
            continue
        except TypeError:
            unparsable[i] = True
            continue
        if ns is None:
            missing[i] = True
        else:
            out[i] = ns
    problems.add(missing, "a missing time", values)
    problems.add(naive, "a naive time (expected a timezone-aware datetime or ISO string "
                        "with an offset)", values)
    problems.add(unparsable, "a time that is not a datetime, ISO 8601 string or datetime64",
                 values)
    problems.add(wide, _OUT_OF_RANGE, values)
    return out


def _convert_amount(values: np.ndarray[Any, Any], problems: _Problems) -> npt.NDArray[np.float64]:
    if values.dtype.kind in "iufb":
        out = values.astype(np.float64, copy=False)
    else:
        out = np.empty(len(values), dtype=np.float64)
        for i, v in enumerate(values):
            try:
                out[i] = float(v) if v is not None else np.nan
            except (TypeError, ValueError):
                out[i] = np.nan
    bad = ~np.isfinite(out)
    problems.add(bad, "a missing or non-finite amount", values)
    return np.where(bad, 0.0, out) if bad.any() else out


def _convert_segment(name: str, values: Any) -> Segment:
    if isinstance(values, Segment):
        return values
    cat = getattr(values, "cat", None)
    if cat is not None and hasattr(cat, "codes"):  # pandas categorical Series
        codes = np.asarray(cat.codes, dtype=np.int64)
        categories = np.asarray(cat.categories)
        if (codes < 0).any():
            categories = np.concatenate([categories.astype(object), np.array([None], object)])
            codes = np.where(codes < 0, len(categories) - 1, codes)
        return Segment(codes.astype(np.int32), categories)
    arr = _as_array(values, name)
    if arr.dtype.kind in "iub":
        c, u = _factorize_int(arr)
        return Segment(c.astype(np.int32), u)
    codes, uniques, missing = _factorize_objects(arr)
    if missing.any():
        uniques = [*uniques, None]
        codes = np.where(missing, len(uniques) - 1, codes)
    categories = np.asarray(uniques) if uniques and all(
        isinstance(u, str) for u in uniques) else _object_array(uniques)
    return Segment(codes.astype(np.int32), categories)


def _check_on_invalid(on_invalid: Any) -> None:
    if on_invalid not in ("raise", "drop"):
        raise InvalidParameterError(
            f"on_invalid must be 'raise' or 'drop'; got {on_invalid!r}",
            parameter="on_invalid",
            value=on_invalid,
        )


def _check_unit(unit: Any) -> None:
    if unit is not None and unit not in NS_PER_UNIT:
        raise InvalidParameterError(
            f"unit must be one of {', '.join(map(repr, NS_PER_UNIT))} or None; got {unit!r}",
            parameter="unit",
            value=unit,
        )


@attrs.frozen(eq=False, repr=False)
class EventLog:
    """An immutable columnar table of funnel events.

    Build one with :meth:`from_arrays`, :meth:`from_records`, :meth:`from_journeys`,
    :meth:`from_pandas`, :meth:`from_polars` or :meth:`from_arrow`; rows need not be
    sorted. Every metric in :mod:`salesfunnel.metrics` reads an event log.

    Attributes
    ----------
    funnel : Funnel
        The funnel whose stages the events refer to.
    entity : numpy.ndarray of int64
        Dense entity codes ``0 .. n_entities - 1``, one per event.
    ids : numpy.ndarray
        The original ids: ``ids[code]`` (sorted when the ids are comparable).
    stage : numpy.ndarray of int8, int16 or int32
        Index into ``funnel.stages``, one per event.
    ts : numpy.ndarray of int64
        Event time in nanoseconds since the epoch, UTC.
    amount : numpy.ndarray of float64 or None
        Optional deal value per event.
    segments : mapping of str to Segment
        Categorical columns (channel, rep, region, ...).
    n_entities : int
        Number of distinct entities.
    dropped : int
        Rows dropped as invalid by ``on_invalid="drop"``.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> funnel = Funnel("deals", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
    ...                           Stage("lost", kind="lost")])
    >>> log = EventLog.from_arrays(
    ...     funnel,
    ...     entity=["d1", "d1", "d2", "d2", "d3"],
    ...     stage=["lead", "demo", "lead", "lost", "lead"],
    ...     ts=["2026-01-01T00:00Z", "2026-01-03T00:00Z", "2026-01-02T00:00Z",
    ...         "2026-01-09T00:00Z", "2026-01-04T00:00Z"],
    ...     segments={"channel": ["ads", "ads", "web", "web", "ads"]},
    ... )
    >>> log
    <EventLog 'deals': 5 events, 3 entities, 4 stages, segments: channel>
    >>> len(log), log.n_entities, log.ids.tolist()
    (5, 3, ['d1', 'd2', 'd3'])
    """

    funnel: Funnel
    entity: npt.NDArray[np.int64]
    ids: np.ndarray[Any, Any]
    stage: np.ndarray[Any, Any]
    ts: npt.NDArray[np.int64]
    amount: npt.NDArray[np.float64] | None = None
    segments: Mapping[str, Segment] = attrs.field(factory=dict)
    n_entities: int = attrs.field(default=-1)
    dropped: int = 0
    _cache: dict[str, Any] = attrs.field(init=False, factory=dict, repr=False)

    def __attrs_post_init__(self) -> None:
        n = len(self.entity)
        lengths = {"entity": n, "stage": len(self.stage), "ts": len(self.ts)}
        if self.amount is not None:
            lengths["amount"] = len(self.amount)
        for name, seg in self.segments.items():
            lengths[f"segment {name!r}"] = len(seg.codes)
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{k}: {v}" for k, v in lengths.items())
            raise EventLogError(f"columns have different lengths ({listed}); expected equal",
                                count=len(lengths))
        if self.n_entities < 0:
            object.__setattr__(self, "n_entities", len(self.ids))
        object.__setattr__(self, "segments", dict(self.segments))

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        funnel: Funnel,
        *,
        entity: Any,
        stage: Any,
        ts: Any,
        amount: Any = None,
        segments: Mapping[str, Any] | None = None,
        unit: Literal["ns", "us", "ms", "s", "m", "h", "D"] | None = None,
        on_invalid: Literal["raise", "drop"] = "raise",
    ) -> EventLog:
        """Build a log from columns (numpy arrays, lists, pandas or polars columns).

        Parameters
        ----------
        funnel : Funnel
            The funnel the stages refer to.
        entity : array-like
            Entity id per event: any hashable values (ints, strings, ...); factorized once
            into dense codes, the original ids are kept in :attr:`ids`.
        stage : array-like
            Stage per event, as names or as indices into ``funnel.stages``.
        ts : array-like
            Event time: ``datetime64`` of any unit (taken as UTC), timezone-aware
            ``datetime`` or ``pandas.Timestamp`` objects, ISO 8601 strings with an offset,
            or numbers with ``unit=``.
        amount : array-like, optional
            Deal value per event (finite numbers).
        segments : mapping of str to array-like, optional
            Categorical columns such as channel or region.
        unit : {"ns", "us", "ms", "s", "m", "h", "D"}, optional
            Unit of numeric timestamps (since the Unix epoch); required for them.
        on_invalid : {"raise", "drop"}
            What to do with invalid rows (unknown stage, missing or naive time, missing
            id, missing or non-finite amount): raise, or drop them and count them in
            :attr:`dropped`.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            Columns of different lengths, or invalid rows with ``on_invalid="raise"``;
            the message names the count and the first bad values.
        InvalidParameterError
            A bad ``unit`` or ``on_invalid``, or numeric times without ``unit``.

        Examples
        --------
        >>> import numpy as np
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
        >>> log = EventLog.from_arrays(f, entity=np.array([10, 10, 99]), stage=[0, 1, 2],
        ...                            ts=np.array([0, 60, 30], dtype="datetime64[s]"))
        >>> log.entity.tolist(), log.stage.dtype.name, log.ts[1]
        ([0, 0, 1], 'int8', np.int64(60000000000))
        >>> EventLog.from_arrays(f, entity=[1, 2], stage=["lead", "wn"], ts=[0, 1], unit="s")
        Traceback (most recent call last):
        ...
        salesfunnel.errors.EventLogError: 1 invalid event row: 1 with an unknown stage ...
        >>> EventLog.from_arrays(f, entity=[1, 2], stage=["lead", "wn"], ts=[0, 1], unit="s",
        ...                      on_invalid="drop").dropped
        1
        """
        _check_on_invalid(on_invalid)
        _check_unit(unit)
        if not isinstance(funnel, Funnel):
            raise InvalidParameterError(
                f"funnel must be a Funnel; got {type(funnel).__name__}",
                parameter="funnel", value=funnel,
            )
        ent = _as_array(entity, "entity")
        stg = _as_array(stage, "stage")
        tsa = _as_array(ts, "ts")
        amt = None if amount is None else _as_array(amount, "amount")
        if segments is not None and not isinstance(segments, Mapping):
            raise InvalidParameterError(
                f"segments must be a mapping of column name to values; got "
                f"{type(segments).__name__}", parameter="segments", value=segments,
            )
        segs = dict(segments or {})
        lengths = {"entity": len(ent), "stage": len(stg), "ts": len(tsa)}
        if amt is not None:
            lengths["amount"] = len(amt)
        for name, col in segs.items():
            if not isinstance(name, str):
                raise InvalidParameterError(
                    f"segment names must be strings; got {name!r}", parameter="segments",
                    value=name,
                )
            lengths[f"segment {name!r}"] = len(col)
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{k}: {v}" for k, v in lengths.items())
            raise EventLogError(f"columns have different lengths ({listed}); expected equal",
                                count=len(lengths))
        n = len(ent)
        problems = _Problems(n)
        stage_idx = _convert_stage(funnel, stg, problems)
        ts_ns = _convert_ts(tsa, unit, problems)
        amount_f = None if amt is None else _convert_amount(amt, problems)
        if ent.dtype.kind in "iu":
            ent_bad = None
        elif ent.dtype.kind == "f":
            ent_bad = np.isnan(ent)
        elif ent.dtype.kind == "M":
            ent_bad = np.isnat(ent)
        else:
            ent_bad = None
        if ent_bad is not None:
            problems.add(ent_bad, "a missing entity id", ent)
        if ent.dtype.kind == "O":
            missing = np.fromiter((_is_missing(v) for v in ent), dtype=np.bool_, count=n)
            problems.add(missing, "a missing entity id", ent)
        keep = problems.raise_or_drop(on_invalid)
        dropped = 0
        if keep is not None:
            dropped = int(n - keep.sum())
            ent = ent[keep]
            stage_idx = stage_idx[keep]
            ts_ns = ts_ns[keep]
            amount_f = None if amount_f is None else amount_f[keep]
        seg_objs: dict[str, Segment] = {}
        for name, col in segs.items():
            seg = _convert_segment(name, col)
            if keep is not None:
                seg = Segment(seg.codes[keep], seg.categories)
            seg_objs[name] = seg
        if ent.dtype.kind in "iu":
            codes, ids = _factorize_int(ent)
        else:
            c, uniques, _ = _factorize_objects(ent)
            codes = c
            ids = np.asarray(uniques) if uniques and all(
                isinstance(u, str) for u in uniques) else _object_array(uniques)
            if ent.dtype.kind in "fM" and len(ent):
                ids = np.asarray(uniques, dtype=ent.dtype)
        return cls(
            funnel=funnel,
            entity=np.ascontiguousarray(codes, dtype=np.int64),
            ids=ids,
            stage=stage_idx.astype(stage_dtype(len(funnel.stages))),
            ts=np.ascontiguousarray(ts_ns, dtype=np.int64),
            amount=None if amount_f is None else np.ascontiguousarray(amount_f, np.float64),
            segments=seg_objs,
            n_entities=len(ids),
            dropped=dropped,
        )

    @classmethod
    def from_records(
        cls,
        funnel: Funnel,
        records: Iterable[Mapping[str, Any]],
        *,
        entity: str = "entity",
        stage: str = "stage",
        ts: str = "ts",
        amount: str | None = None,
        segments: Sequence[str] = (),
        unit: Literal["ns", "us", "ms", "s", "m", "h", "D"] | None = None,
        on_invalid: Literal["raise", "drop"] = "raise",
    ) -> EventLog:
        """Build a log from an iterable of mappings (one per event).

        Parameters
        ----------
        funnel : Funnel
            The funnel the stages refer to.
        records : iterable of mapping
            One mapping per event; a missing key counts as a missing value.
        entity, stage, ts : str
            Keys holding the entity id, the stage and the time.
        amount : str, optional
            Key holding the amount.
        segments : sequence of str
            Keys of categorical columns.
        unit, on_invalid
            As in :meth:`from_arrays`.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            A record that is not a mapping, or invalid rows (see :meth:`from_arrays`).

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> rows = [{"deal": "a", "stage": "lead", "at": "2026-01-01T09:00:00+08:00"},
        ...         {"deal": "a", "stage": "won", "at": "2026-01-05T09:00:00+08:00"}]
        >>> EventLog.from_records(f, rows, entity="deal", ts="at")
        <EventLog 'f': 2 events, 1 entity, 2 stages>
        """
        names = _Columns.of(entity, stage, ts, amount, segments)
        keys = names.all
        cols: dict[str, list[Any]] = {k: [] for k in keys}
        for i, rec in enumerate(_iterable(records, "records")):
            if not isinstance(rec, Mapping):
                raise EventLogError(
                    f"record {i} is a {type(rec).__name__}; expected a mapping with keys "
                    f"{keys}", count=1, examples=[rec],
                )
            for k in keys:
                cols[k].append(rec.get(k))
        return names.build(cls, funnel, {k: _object_array(v) for k, v in cols.items()},
                           unit=unit, on_invalid=on_invalid)

    @classmethod
    def from_journeys(
        cls,
        journeys: Iterable[Journey],
        *,
        amount: str | None = None,
        segments: Sequence[str] = (),
        funnel: Funnel | None = None,
    ) -> EventLog:
        """Build a log from journeys: one event per :class:`~salesfunnel.TransitionRecord`.

        Parameters
        ----------
        journeys : iterable of Journey
            Journeys of one funnel. A journey's ``id`` is its entity id (its position in
            ``journeys`` when the id is ``None``).
        amount : str, optional
            Subject field (mapping key or attribute) holding the deal value.
        segments : sequence of str
            Subject fields to use as segment columns.
        funnel : Funnel, optional
            The funnel, needed only when ``journeys`` is empty.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            Journeys of different funnels, no journeys and no ``funnel``, or invalid
            values (e.g. a missing amount).

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
        >>> a = f.start({"value": 900.0}, at="2026-01-01T00:00:00+00:00", id="a")
        >>> _ = a.advance(at="2026-01-04T00:00:00+00:00")
        >>> b = f.start({"value": 50.0}, at="2026-01-02T00:00:00+00:00", id="b")
        >>> log = EventLog.from_journeys([a, b], amount="value")
        >>> log.stage.tolist(), log.amount.tolist()
        ([0, 1, 0], [900.0, 900.0, 50.0])
        """
        if isinstance(segments, str):
            segments = (segments,)
        ents: list[Any] = []
        stages: list[int] = []
        times: list[Any] = []
        amounts: list[Any] = []
        segs: dict[str, list[Any]] = {s: [] for s in segments}
        for pos, j in enumerate(_iterable(journeys, "journeys")):
            if not isinstance(j, Journey):
                raise EventLogError(
                    f"journeys[{pos}] is of type {type(j).__name__}; expected a Journey",
                    count=1, examples=[j],
                )
            if funnel is None:
                funnel = j.funnel
            elif j.funnel != funnel:
                raise EventLogError(
                    f"journey {j.id!r} belongs to funnel {j.funnel.name!r}; expected "
                    f"{funnel.name!r} like the others", count=1, examples=[j.id],
                )
            ident = pos if j.id is None else j.id
            subject = j.subject
            extra_amount = _field(subject, amount) if amount is not None else None
            extra_segs = {s: _field(subject, s) for s in segments}
            for rec in j.history:
                ents.append(ident)
                stages.append(funnel.index(rec.to_stage))
                times.append(rec.at)
                amounts.append(extra_amount)
                for s in segments:
                    segs[s].append(extra_segs[s])
        if funnel is None:
            raise EventLogError("no journeys given and no funnel=; cannot tell the stages")
        return cls.from_arrays(
            funnel,
            entity=_object_array(ents),
            stage=np.asarray(stages, dtype=np.int64),
            ts=_object_array(times),
            amount=None if amount is None else _object_array(amounts),
            segments={s: _object_array(v) for s, v in segs.items()},
        )

    @classmethod
    def from_pandas(
        cls,
        funnel: Funnel,
        frame: Any,
        *,
        entity: str = "entity",
        stage: str = "stage",
        ts: str = "ts",
        amount: str | None = None,
        segments: Sequence[str] = (),
        unit: Literal["ns", "us", "ms", "s", "m", "h", "D"] | None = None,
        on_invalid: Literal["raise", "drop"] = "raise",
    ) -> EventLog:
        """Build a log from a :class:`pandas.DataFrame` (needs the ``pandas`` extra).

        Numeric columns are used without copying where their layout allows; categorical
        segment columns keep their codes.

        Parameters
        ----------
        funnel : Funnel
            The funnel the stages refer to.
        frame : pandas.DataFrame
            One row per event.
        entity, stage, ts, amount, segments, unit, on_invalid
            Column names and options as in :meth:`from_records` / :meth:`from_arrays`.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            A named column is missing, or invalid rows (see :meth:`from_arrays`).

        Examples
        --------
        >>> import pandas as pd
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> df = pd.DataFrame({"entity": [1, 1], "stage": ["lead", "won"],
        ...                    "ts": pd.to_datetime(["2026-01-01", "2026-01-09"], utc=True)})
        >>> EventLog.from_pandas(f, df).ts.tolist()
        [1767225600000000000, 1767916800000000000]
        """
        pd = import_optional("pandas", "pandas", purpose="EventLog.from_pandas")
        _check_frame(frame, pd.DataFrame, "frame", "a pandas.DataFrame")
        names = _Columns.of(entity, stage, ts, amount, segments)
        names.check(list(frame.columns), "frame")
        return names.build(cls, funnel, {c: frame[c] for c in names.all}, unit=unit,
                           on_invalid=on_invalid)

    @classmethod
    def from_polars(
        cls,
        funnel: Funnel,
        frame: Any,
        *,
        entity: str = "entity",
        stage: str = "stage",
        ts: str = "ts",
        amount: str | None = None,
        segments: Sequence[str] = (),
        unit: Literal["ns", "us", "ms", "s", "m", "h", "D"] | None = None,
        on_invalid: Literal["raise", "drop"] = "raise",
    ) -> EventLog:
        """Build a log from a :class:`polars.DataFrame` (needs the ``polars`` extra).

        Parameters are as in :meth:`from_pandas`. Time columns of type ``Datetime`` (with
        or without a time zone) are converted to UTC nanoseconds.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            A named column is missing, or invalid rows (see :meth:`from_arrays`).

        Examples
        --------
        >>> import polars as pl
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> df = pl.DataFrame({"entity": [1, 1], "stage": [0, 1], "ts": [0, 86400]})
        >>> EventLog.from_polars(f, df, unit="s").n_entities
        1
        """
        pl = import_optional("polars", "polars", purpose="EventLog.from_polars")
        _check_frame(frame, pl.DataFrame, "frame", "a polars.DataFrame")
        names = _Columns.of(entity, stage, ts, amount, segments)
        names.check(list(frame.columns), "frame")
        cols: dict[str, Any] = {}
        for c in names.all:
            series = frame.get_column(c)
            dtype = series.dtype
            if isinstance(dtype, pl.Datetime) and getattr(dtype, "time_zone", None) is not None:
                series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            elif isinstance(dtype, pl.Categorical | pl.Enum):
                series = series.cast(pl.String)
            cols[c] = series.to_numpy()
        return names.build(cls, funnel, cols, unit=unit, on_invalid=on_invalid)

    @classmethod
    def from_arrow(
        cls,
        funnel: Funnel,
        table: Any,
        *,
        entity: str = "entity",
        stage: str = "stage",
        ts: str = "ts",
        amount: str | None = None,
        segments: Sequence[str] = (),
        unit: Literal["ns", "us", "ms", "s", "m", "h", "D"] | None = None,
        on_invalid: Literal["raise", "drop"] = "raise",
    ) -> EventLog:
        """Build a log from a :class:`pyarrow.Table` (needs the ``arrow`` extra).

        Parameters are as in :meth:`from_pandas`. Timestamp columns (with or without a
        time zone) are taken as UTC; numeric columns without nulls convert without a copy.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            A named column is missing, or invalid rows (see :meth:`from_arrays`).

        Examples
        --------
        >>> import pyarrow as pa
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> t = pa.table({"entity": ["x", "x"], "stage": ["lead", "won"], "ts": [0, 5]})
        >>> EventLog.from_arrow(f, t, unit="D").n_entities
        1
        """
        pa = import_optional("pyarrow", "arrow", purpose="EventLog.from_arrow")
        _check_frame(table, pa.Table | pa.RecordBatch, "table", "a pyarrow.Table")
        names = _Columns.of(entity, stage, ts, amount, segments)
        names.check(list(table.column_names), "table")
        cols: dict[str, Any] = {}
        for c in names.all:
            col = table.column(c)
            if pa.types.is_dictionary(col.type):
                col = col.cast(col.type.value_type)
            if pa.types.is_timestamp(col.type) and col.type.tz is not None:
                col = col.cast(pa.timestamp(col.type.unit))
            cols[c] = col.to_numpy()
        return names.build(cls, funnel, cols, unit=unit, on_invalid=on_invalid)

    # -- basic protocol ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entity)

    def __repr__(self) -> str:
        n = len(self)
        parts = [
            f"{n:,} event{'s' if n != 1 else ''}",
            f"{self.n_entities:,} entit{'ies' if self.n_entities != 1 else 'y'}",
            f"{len(self.funnel.stages)} stages",
        ]
        if self.amount is not None:
            parts.append("amount")
        if self.segments:
            parts.append("segments: " + ", ".join(self.segments))
        if self.dropped:
            parts.append(f"{self.dropped:,} row{'s' if self.dropped != 1 else ''} dropped")
        return f"<EventLog {self.funnel.name!r}: {', '.join(parts)}>"

    @property
    def stage_names(self) -> tuple[str, ...]:
        """The funnel's stage names (``stage_names[log.stage]`` names each event's stage)."""
        return self.funnel.names

    # -- derived views ----------------------------------------------------------------------
    def sorted_by_entity_time(self) -> SortedEvents:
        """The events sorted by (entity, time, stage), computed once and cached.

        Exact duplicates keep their original row order (the sort is stable).

        Returns
        -------
        SortedEvents

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=[2, 1, 2, 2], stage=[1, 0, 0, 2],
        ...                            ts=[3, 9, 3, 1], unit="s")
        >>> s = log.sorted_by_entity_time()
        >>> s.entity.tolist(), s.stage.tolist(), (s.ts // 10**9).tolist()
        ([0, 1, 1, 1], [0, 2, 0, 1], [9, 1, 3, 3])
        """
        cached = self._cache.get("sorted")
        if cached is None:
            cached = _sort_events(self)
            self._cache["sorted"] = cached
        return cached

    def take_entities(self, selection: Any) -> EventLog:
        """A new log with the events of some entities only.

        Parameters
        ----------
        selection : array-like of bool or int
            A boolean mask of length :attr:`n_entities`, or entity codes. Kept entities are
            re-coded densely in code order; :attr:`ids` follow.

        Returns
        -------
        EventLog

        Raises
        ------
        InvalidParameterError
            A mask of the wrong length or codes outside ``0 .. n_entities - 1``.

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=["x", "y", "x"], stage=[0, 0, 1], ts=[0, 1, 2],
        ...                            unit="s")
        >>> sub = log.take_entities([0])
        >>> sub.ids.tolist(), len(sub)
        (['x'], 2)
        """
        sel = np.asarray(selection)
        if sel.dtype == np.bool_:
            if sel.shape != (self.n_entities,):
                raise InvalidParameterError(
                    f"an entity mask must have shape ({self.n_entities},); got {sel.shape}",
                    parameter="selection", value=sel.shape,
                )
            mask = sel
        else:
            if sel.size and sel.dtype.kind not in "iu":
                raise InvalidParameterError(
                    f"selection must be a boolean mask or integer entity codes; got dtype "
                    f"{sel.dtype}", parameter="selection", value=sel.dtype,
                )
            codes = sel.astype(np.int64).ravel()
            bad = (codes < 0) | (codes >= self.n_entities)
            if bad.any():
                raise InvalidParameterError(
                    f"entity codes must be in 0..{self.n_entities - 1}; got "
                    f"{codes[bad][:_MAX_EXAMPLES].tolist()}",
                    parameter="selection", value=codes[bad][:_MAX_EXAMPLES].tolist(),
                )
            mask = np.zeros(self.n_entities, dtype=np.bool_)
            mask[codes] = True
        return self._select(mask[self.entity], mask)

    def _select(self, rows: npt.NDArray[np.bool_], entities: npt.NDArray[np.bool_]
                ) -> EventLog:
        """The events ``rows`` (a row mask) of the ``entities`` (an entity mask that holds
        the entity of every kept row), re-coded densely in code order; :attr:`ids` and
        segment categories follow. Shared by :meth:`take_entities` and the ``as_of``
        views of the metrics."""
        remap = np.cumsum(entities, dtype=np.int64) - 1
        return EventLog(
            funnel=self.funnel,
            entity=remap[self.entity[rows]],
            ids=self.ids[entities],
            stage=self.stage[rows],
            ts=self.ts[rows],
            amount=None if self.amount is None else self.amount[rows],
            segments={k: Segment(s.codes[rows], s.categories) for k, s in self.segments.items()},
            n_entities=int(entities.sum()),
        )

    def partition(self, n: int) -> list[EventLog]:
        """Split the log by entity into ``n`` logs (contiguous blocks of entity codes).

        Every entity's events land in exactly one part; segment categories are shared, so
        results computed per part can be merged (see ``merge`` on metric results).

        Parameters
        ----------
        n : int
            Number of parts (>= 1); some parts are empty when ``n > n_entities``.

        Returns
        -------
        list of EventLog

        Raises
        ------
        InvalidParameterError
            If ``n`` is not a positive integer.

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=[1, 2, 3, 3], stage=[0, 0, 0, 1],
        ...                            ts=[0, 1, 2, 3], unit="s")
        >>> [p.n_entities for p in log.partition(2)], [len(p) for p in log.partition(2)]
        ([2, 1], [2, 2])
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise InvalidParameterError(
                f"n must be a positive integer; got {n!r}", parameter="n", value=n,
            )
        codes = np.arange(self.n_entities, dtype=np.int64)
        block = codes * int(n) // max(self.n_entities, 1)
        return [self.take_entities(block == i) for i in range(int(n))]

    def to_pandas(self) -> Any:
        """The events as a :class:`pandas.DataFrame` (needs the ``pandas`` extra).

        Columns: ``entity`` (original ids), ``stage`` (categorical of stage names in funnel
        order), ``ts`` (UTC timestamps), ``amount`` when present, then the segments.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=["x"], stage=["won"], ts=[0], unit="s")
        >>> log.to_pandas()
          entity stage                        ts
        0      x   won 1970-01-01 00:00:00+00:00
        """
        pd = import_optional("pandas", "pandas", purpose="EventLog.to_pandas")
        data: dict[str, Any] = {
            "entity": self.ids[self.entity],
            "stage": pd.Categorical.from_codes(self.stage.astype(np.int64),
                                               categories=list(self.funnel.names)),
            "ts": pd.to_datetime(self.ts, unit="ns", utc=True),
        }
        if self.amount is not None:
            data["amount"] = self.amount
        for name, seg in self.segments.items():
            data[name] = seg.values()
        return pd.DataFrame(data)


def _field(subject: Any, name: str) -> Any:
    if isinstance(subject, Mapping):
        return subject.get(name)
    return getattr(subject, name, None)


def _iterable(items: Any, parameter: str) -> Iterable[Any]:
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise InvalidParameterError(
            f"{parameter} must be an iterable of items; got {type(items).__name__}",
            parameter=parameter, value=items,
        )
    return items


def _check_frame(frame: Any, kind: Any, parameter: str, expected: str) -> None:
    if not isinstance(frame, kind):
        raise InvalidParameterError(
            f"{parameter} must be {expected}; got {type(frame).__name__}",
            parameter=parameter, value=frame,
        )


@attrs.frozen
class _Columns:
    """The column (or key) names a table constructor reads, and the call that follows."""

    entity: str
    stage: str
    ts: str
    amount: str | None
    segments: tuple[str, ...]

    @classmethod
    def of(cls, entity: str, stage: str, ts: str, amount: str | None,
           segments: Sequence[str]) -> _Columns:
        return cls(entity, stage, ts, amount,
                   (segments,) if isinstance(segments, str) else tuple(segments))

    @property
    def all(self) -> list[str]:
        amount = [] if self.amount is None else [self.amount]
        return [self.entity, self.stage, self.ts, *amount, *self.segments]

    def check(self, available: list[Any], what: str) -> None:
        """Raise :class:`EventLogError` naming the columns missing from ``available``."""
        missing = [c for c in self.all if c not in available]
        if missing:
            raise EventLogError(
                f"columns {missing} are not in the {what}; it has {available}",
                count=len(missing), examples=missing,
            )

    def build(self, cls: type[EventLog], funnel: Funnel, cols: Mapping[str, Any], *,
              unit: Any, on_invalid: Any) -> EventLog:
        """``cls.from_arrays`` on the named columns of ``cols``."""
        return cls.from_arrays(
            funnel,
            entity=cols[self.entity],
            stage=cols[self.stage],
            ts=cols[self.ts],
            amount=None if self.amount is None else cols[self.amount],
            segments={s: cols[s] for s in self.segments},
            unit=unit,
            on_invalid=on_invalid,
        )


def _sort_events(log: EventLog) -> SortedEvents:
    """Stable sort by (entity, ts, stage); packs the keys into one int64 when they fit."""
    n = len(log)
    ent, ts, stage = log.entity, log.ts, log.stage
    if n == 0:
        order = np.zeros(0, dtype=np.int64)
    else:
        order = _entity_time_order(ent, ts, stage, log.n_entities, len(log.funnel.stages))
    ent_s = ent[order]
    bounds = np.searchsorted(ent_s, np.arange(log.n_entities + 1, dtype=np.int64))
    return SortedEvents(order=order, entity=ent_s, stage=stage[order], ts=ts[order],
                        bounds=bounds.astype(np.int64))


def time_scale(ts: npt.NDArray[np.int64]) -> tuple[int, int]:
    """``(t0, step)``: every time is ``t0 + step * k`` for an integer ``k >= 0``.

    ``step`` is the largest power of ten (up to one second) dividing every offset,
    so times stored in seconds or milliseconds pack into fewer bits.
    """
    if len(ts) == 0:
        return 0, 1
    t0 = int(ts.min())
    rel = ts - t0
    for step in (1_000_000_000, 1_000_000, 1_000):
        if not np.any(rel % step):
            return t0, step
    return t0, 1


def _entity_time_order(ent: npt.NDArray[np.int64], ts: npt.NDArray[np.int64],
                       stage: np.ndarray[Any, Any], n_entities: int, n_stages: int
                       ) -> npt.NDArray[np.int64]:
    n = len(ent)
    t0, step = time_scale(ts)
    trel = ts - t0
    if step > 1:
        trel //= step
    e_bits = _bit_length(n_entities - 1)
    t_bits = _bit_length(int(trel.max()))
    s_bits = _bit_length(n_stages - 1)
    key_bits = e_bits + t_bits + s_bits
    keys = [(ent, e_bits), (trel, t_bits), (stage, s_bits)]
    if key_bits + max(_bit_length(n - 1), 1) <= 64 or key_bits > 63:
        # One packed SIMD sort, or (keys too wide for one int64) a radix sort by digits.
        return stable_order(keys, n)
    key = ent << (t_bits + s_bits)
    key |= trel << s_bits
    key |= stage.astype(np.int64)
    order = np.argsort(key)
    ks = np.take(key, order)
    dup = ks[1:] == ks[:-1]
    if dup.any():
        # Restore row order among exact duplicates (argsort is not stable).
        pos = np.flatnonzero(np.concatenate([dup, [False]]) | np.concatenate([[False], dup]))
        sub = np.lexsort((order[pos], ks[pos]))
        order[pos] = order[pos][sub]
    return order.astype(np.int64, copy=False)
