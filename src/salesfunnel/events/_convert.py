"""Input conversion: any accepted column (list, numpy, pandas, polars, arrow) to the
log's numpy arrays, collecting the invalid rows by reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from salesfunnel._util._suggest import closest
from salesfunnel._util._time import RANGE, to_ns_array
from salesfunnel.errors import EventLogError, InvalidParameterError
from salesfunnel.events._factorize import (
    factorize_int,
    factorize_objects,
    is_missing,
    object_array,
)
from salesfunnel.events._segment import Segment, plain
from salesfunnel.model._funnel import Funnel

__all__ = ["MAX_EXAMPLES", "Problems", "as_array", "check_on_invalid", "convert_amount",
           "convert_segment", "convert_stage", "convert_ts", "stage_dtype"]

MAX_EXAMPLES = 5
_OUT_OF_RANGE = (f"a time outside 1677-09-21 .. 2262-04-11 UTC (the representable int64 "
                 f"nanoseconds {RANGE})")
_TIME_REASONS = {
    "missing": "a missing time",
    "naive": ("a naive time (expected a timezone-aware datetime or ISO string with an "
              "offset; pass naive='utc' to read naive times as UTC)"),
    "unparsable": ("a time that is not a datetime, ISO 8601 string, datetime64 or number "
                   "with unit="),
    "range": _OUT_OF_RANGE,
}


def stage_dtype(n_stages: int) -> np.dtype[Any]:
    """The smallest signed integer dtype holding stage indices ``-1 .. n_stages - 1``."""
    if n_stages <= np.iinfo(np.int8).max:
        return np.dtype(np.int8)
    if n_stages <= np.iinfo(np.int16).max:
        return np.dtype(np.int16)
    return np.dtype(np.int32)


def as_array(values: Any, name: str) -> np.ndarray[Any, Any]:
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
        elif isinstance(values, list | tuple):
            try:
                arr = np.asarray(values)
            except ValueError:  # ragged: [[1], 2] or [1, [1, 2]]; judged value by value
                arr = object_array(values)
        elif hasattr(values, "__array__"):
            arr = np.asarray(values)
        else:
            try:
                values = list(values)
                arr = np.asarray(values)
            except ValueError:
                arr = object_array(values)
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
            arr = object_array(values)
    if arr.ndim != 1:
        raise EventLogError(f"column {name!r} must be one-dimensional; got shape {arr.shape}")
    return arr


class Problems:
    """Collects invalid rows per reason while the columns are converted."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=np.bool_)
        self.reasons: list[tuple[str, int, list[Any]]] = []

    def add(self, mask: npt.NDArray[np.bool_], reason: str,
            values: np.ndarray[Any, Any] | Sequence[Any]) -> None:
        count = int(mask.sum())
        if not count:
            return
        rows = np.flatnonzero(mask)[:MAX_EXAMPLES]
        examples = [plain(values[int(r)]) for r in rows]
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
        examples = [e for _, _, ex in self.reasons for e in ex][:MAX_EXAMPLES]
        raise EventLogError(
            f"{total:,} invalid event row{'s' if total != 1 else ''}: " + "; ".join(parts)
            + "; pass on_invalid='drop' to drop them",
            count=total,
            examples=examples,
        )


def convert_stage(funnel: Funnel, values: np.ndarray[Any, Any], problems: Problems
                   ) -> npt.NDArray[np.int64]:
    n_stages = len(funnel.stages)
    if values.dtype.kind in "iu":
        out = values.astype(np.int64, copy=False)
        bad = (out < 0) | (out >= n_stages)
        problems.add(bad, f"a stage index outside 0..{n_stages - 1}", values)
        return np.where(bad, 0, out) if bad.any() else out
    if values.dtype.kind == "f":
        ok = np.isfinite(values) & (values == np.round(values))
        ok &= (values >= 0) & (values < n_stages)  # 9.2e18 does not fit an int64
        out = np.where(ok, values, -1).astype(np.int64)
        bad = ~ok | (out < 0) | (out >= n_stages)
        problems.add(bad, f"a stage that is not an index in 0..{n_stages - 1}", values)
        return np.where(bad, 0, out)
    codes, uniques, missing = factorize_objects(values)
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



def convert_ts(values: np.ndarray[Any, Any], unit: str | None, naive: str,
               problems: Problems) -> npt.NDArray[np.int64]:
    """Times as int64 ns (see :func:`salesfunnel._util._time.to_ns_array`)."""
    out, masks = to_ns_array(values, unit=unit, naive=naive)
    for reason, mask in masks.items():
        text = _TIME_REASONS[reason]
        if reason == "missing" and values.dtype.kind in "Mf":
            text += " (NaT)" if values.dtype.kind == "M" else " (NaN)"
        problems.add(mask, text, values)
    return out


def convert_amount(values: np.ndarray[Any, Any], problems: Problems
                   ) -> npt.NDArray[np.float64]:
    """Amounts as float64. A missing amount (None, NaN, NaT, blank text) is *unknown*:
    kept as NaN, the row stays valid. Text that is no number and infinities are invalid."""
    if values.dtype.kind in "iufb":
        out = values.astype(np.float64, copy=False)
        bad = np.isinf(out)
    else:
        out = np.empty(len(values), dtype=np.float64)
        bad = np.zeros(len(values), dtype=np.bool_)
        for i, v in enumerate(values):  # Python objects: one at a time
            if is_missing(v) or (isinstance(v, str) and not v.strip()):
                out[i] = np.nan
                continue
            try:
                out[i] = float(v)
            except (TypeError, ValueError, OverflowError):  # OverflowError: 10**400
                out[i] = np.nan
                bad[i] = True
                continue
            if not np.isfinite(out[i]):
                bad[i] = True
    problems.add(bad, "an amount that is not a finite number (a missing amount is fine)",
                 values)
    return np.where(bad, np.nan, out) if bad.any() else out


def convert_segment(name: str, values: Any) -> Segment:
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
    arr = as_array(values, name)
    if arr.dtype.kind in "iub":
        c, u = factorize_int(arr)
        return Segment(c.astype(np.int32), u)
    codes, uniques, missing = factorize_objects(arr)
    if missing.any():
        uniques = [*uniques, None]
        codes = np.where(missing, len(uniques) - 1, codes)
    categories = np.asarray(uniques) if uniques and all(
        isinstance(u, str) for u in uniques) else object_array(uniques)
    return Segment(codes.astype(np.int32), categories)


def check_on_invalid(on_invalid: Any) -> None:
    if on_invalid not in ("raise", "drop"):
        raise InvalidParameterError(
            f"on_invalid must be 'raise' or 'drop'; got {on_invalid!r}",
            parameter="on_invalid",
            value=on_invalid,
        )

