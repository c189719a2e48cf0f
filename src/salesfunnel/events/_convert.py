"""Input conversion: any accepted column (list, numpy, pandas, polars, arrow) to the
log's numpy arrays, collecting the invalid rows by reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    text_array,
)
from salesfunnel.events._segment import Segment, plain
from salesfunnel.model._funnel import Funnel
from salesfunnel.model._stage import match_key

__all__ = ["MAX_EXAMPLES", "Factorized", "Problems", "TextTimes", "as_array", "check_on_invalid",
           "check_stage_map", "convert_amount", "convert_probability", "convert_segment",
           "convert_stage", "convert_ts", "map_stage_codes", "signed_dtype", "stage_dtype",
           "unknown_stages"]

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


def signed_dtype(max_value: int) -> np.dtype[Any]:
    """The narrowest signed integer dtype holding ``-1 .. max_value``.

    Examples
    --------
    >>> [signed_dtype(v).name for v in (0, 127, 128, 2**31 - 1, 2**31)]
    ['int8', 'int8', 'int16', 'int32', 'int64']
    """
    for dtype in (np.int8, np.int16, np.int32):
        if max_value <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def stage_dtype(n_stages: int) -> np.dtype[Any]:
    """The dtype of stage indices ``-1 .. n_stages - 1`` (one value of room to spare)."""
    return signed_dtype(n_stages)


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
            except ValueError:
                # a pyarrow Array of text, booleans or with nulls: its to_numpy refuses
                # to copy (ArrowInvalid) unless told it may
                if not type(values).__module__.startswith("pyarrow"):
                    raise
                arr = np.asarray(values.to_numpy(zero_copy_only=False))
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


class Factorized:
    """A column already factorized: ``uniques[codes]`` per row, ``missing`` rows have no
    value. :func:`from_arrays` uses the codes as they are (one lookup per distinct
    value), never a Python loop over the rows."""

    __slots__ = ("codes", "missing", "uniques")

    def __init__(self, codes: npt.NDArray[np.int64], uniques: np.ndarray[Any, Any],
                 missing: npt.NDArray[np.bool_]) -> None:
        self.codes = codes
        self.uniques = uniques
        self.missing = missing

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i: int) -> Any:
        if self.missing[i]:
            return None
        value = self.uniques[self.codes[i]]
        return value.item() if isinstance(value, np.generic) else value

    def take(self, keep: npt.NDArray[np.bool_]) -> Factorized:
        """The kept rows, re-coded densely over the values still used (order kept)."""
        codes, missing = self.codes[keep], self.missing[keep]
        used = np.zeros(len(self.uniques), dtype=np.bool_)
        used[codes[~missing]] = True
        remap = np.cumsum(used, dtype=np.int64) - 1
        return Factorized(np.where(missing, 0, remap[codes]), self.uniques[used], missing)

    def segment(self) -> Segment:
        """The column as segment codes (a missing value is the category ``None``)."""
        uniques, codes = self.uniques, self.codes
        if self.missing.any():
            uniques = np.concatenate([uniques.astype(object), np.array([None], object)])
            codes = np.where(self.missing, len(uniques) - 1, codes)
        return Segment(codes.astype(np.int32), uniques)


class Problems:
    """Collects invalid rows per reason while the columns are converted."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=np.bool_)
        self.reasons: list[tuple[str, int, list[Any]]] = []

    def add(self, mask: npt.NDArray[np.bool_], reason: str,
            values: np.ndarray[Any, Any] | Sequence[Any] | Factorized) -> None:
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


def check_stage_map(funnel: Funnel, stage_map: Any) -> dict[str, int]:
    """``stage_map`` (text in the data -> a stage name, alias or label) as match keys ->
    stage indices; :class:`InvalidParameterError` lists every target naming no stage."""
    if stage_map is None:
        return {}
    if not isinstance(stage_map, Mapping):
        raise InvalidParameterError(
            f"stage_map must be a mapping of text in the data to stage names; got "
            f"{type(stage_map).__name__}", parameter="stage_map", value=stage_map,
        )
    out: dict[str, int] = {}
    bad: list[str] = []
    for key, target in stage_map.items():
        name = funnel.resolve(target) if isinstance(target, str) else None
        if not isinstance(key, str) or name is None:
            bad.append(f"{key!r}: {target!r}")
            continue
        out[match_key(key)] = funnel.names.index(name)
    if bad:
        raise InvalidParameterError(
            f"stage_map maps to no stage of funnel {funnel.name!r} in {', '.join(bad)}; "
            f"expected text -> one of {', '.join(repr(n) for n in funnel.names)}",
            parameter="stage_map", value=bad,
        )
    return out


def unknown_stages(values: Sequence[Any], counts: Sequence[int], names: Sequence[str],
                   limit: int = 20) -> str:
    """``"'Demo' (3 rows), 'Foo' (1 row)"``: every unknown stage with its row count, most
    frequent first (the first ``limit``; then how many more), and the closest stage."""
    order = sorted(range(len(values)), key=lambda i: (-counts[i], str(values[i])))
    parts = []
    for i in order[:limit]:
        v, c = values[i], counts[i]
        hint = ""
        if isinstance(v, str) and any(ch.isalpha() for ch in v):
            near = closest(v, list(names))
            hint = f", closest {near[0]!r}" if near else ""
        parts.append(f"{plain(v)!r} ({c:,} row{'s' if c != 1 else ''}{hint})")
    if len(order) > limit:
        parts.append(f"and {len(order) - limit:,} more")
    return ", ".join(parts)


def convert_stage(funnel: Funnel, values: Any, problems: Problems,
                  stage_map: Mapping[str, int] | None = None) -> npt.NDArray[np.int64]:
    """Stage indices from indices, names, aliases, labels or ``stage_map`` keys (see
    :func:`check_stage_map`); every unknown stage is listed at once with its count."""
    n_stages = len(funnel.stages)
    kind = "" if isinstance(values, Factorized) else values.dtype.kind
    if kind in ("i", "u"):
        out = values.astype(np.int64, copy=False)
        bad = (out < 0) | (out >= n_stages)
        problems.add(bad, f"a stage index outside 0..{n_stages - 1}", values)
        return np.where(bad, 0, out) if bad.any() else out
    if kind == "f":
        ok = np.isfinite(values) & (values == np.round(values))
        ok &= (values >= 0) & (values < n_stages)  # 9.2e18 does not fit an int64
        out = np.where(ok, values, -1).astype(np.int64)
        bad = ~ok | (out < 0) | (out >= n_stages)
        problems.add(bad, f"a stage that is not an index in 0..{n_stages - 1}", values)
        return np.where(bad, 0, out)
    if isinstance(values, Factorized):
        return map_stage_codes(funnel, values.codes, list(values.uniques), values.missing,
                               problems, values, stage_map)
    codes, uniques, missing = factorize_objects(values)
    return map_stage_codes(funnel, codes, uniques, missing, problems, values, stage_map)


def map_stage_codes(funnel: Funnel, codes: npt.NDArray[Any], uniques: Sequence[Any],
                    missing: npt.NDArray[np.bool_], problems: Problems,
                    values: Any, stage_map: Mapping[str, int] | None = None
                    ) -> npt.NDArray[np.int64]:
    """Stage indices of factorized values (``uniques[codes]``; ``missing`` rows have
    none): one lookup per distinct value."""
    n_stages = len(funnel.stages)
    names = funnel.names
    lookup = np.full(len(uniques) + 1, -1, dtype=np.int64)
    for j, u in enumerate(uniques):
        if isinstance(u, bytes):
            u = u.decode("utf-8", "replace")
        if isinstance(u, str):
            found = (stage_map or {}).get(match_key(u)) if stage_map else None
            if found is None:
                name = funnel.resolve(u)
                found = None if name is None else funnel.index(name)
            if found is not None:
                lookup[j] = found
        elif isinstance(u, int | np.integer) and not isinstance(u, bool) and 0 <= u < n_stages:
            lookup[j] = int(u)
    safe = np.where(missing, len(uniques), codes)
    out = lookup[safe]
    bad = out < 0
    if bad.any():
        problems.add(missing, "a missing stage", values)
        unknown_rows = bad & ~missing
        if unknown_rows.any():
            per = np.bincount(safe[unknown_rows], minlength=len(uniques) + 1)
            which = np.flatnonzero(per)
            listed = unknown_stages([uniques[int(c)] for c in which],
                                    [int(per[c]) for c in which], names)
            problems.add(
                unknown_rows,
                f"an unknown stage ({listed}; expected a stage name, alias or label of "
                f"{funnel.name!r}: {', '.join(repr(n) for n in names)}, or pass stage_map)",
                values,
            )
        out = np.where(bad, 0, out)
    return out


def convert_probability(values: np.ndarray[Any, Any], problems: Problems
                        ) -> npt.NDArray[np.float64]:
    """Win probabilities in [0, 1] as float64; text may be a percentage (``"25%"``). A
    missing value is unknown (NaN: the stage's probability applies)."""
    if values.dtype.kind in "iufb":
        out = values.astype(np.float64, copy=False)
    else:
        out = np.empty(len(values), dtype=np.float64)
        for i, v in enumerate(values):  # Python objects: one at a time
            if is_missing(v) or (isinstance(v, str) and not v.strip()):
                out[i] = np.nan
                continue
            try:
                if isinstance(v, str) and v.strip().endswith("%"):
                    out[i] = float(v.strip()[:-1].replace(",", ".")) / 100.0
                else:
                    out[i] = float(v)
            except (TypeError, ValueError):
                out[i] = np.inf
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(out) & ~((out >= 0.0) & (out <= 1.0))
    problems.add(bad, "a probability that is not in [0, 1] (or a percentage such as "
                 "'25%'; a missing one is fine)", values)
    return np.where(bad, np.nan, out) if bad.any() else out


class TextTimes(np.ndarray):
    """``datetime64`` values Arrow parsed from text: a missing one was no text (shown as
    such in messages), not a ``NaT`` of the data."""


def convert_ts(values: np.ndarray[Any, Any], unit: str | None, naive: str,
               problems: Problems) -> npt.NDArray[np.int64]:
    """Times as int64 ns (see :func:`salesfunnel._util._time.to_ns_array`)."""
    from_text = isinstance(values, TextTimes)
    values = np.asarray(values)
    out, masks = to_ns_array(values, unit=unit, naive=naive)
    for reason, mask in masks.items():
        text = _TIME_REASONS[reason]
        if reason == "missing" and values.dtype.kind in "Mf" and not from_text:
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
    if isinstance(values, Factorized):
        return values.segment()
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
    categories = text_array(uniques) if uniques and all(
        isinstance(u, str) for u in uniques) else object_array(uniques)
    return Segment(codes.astype(np.int32), categories)


def check_on_invalid(on_invalid: Any) -> None:
    if on_invalid not in ("raise", "drop"):
        raise InvalidParameterError(
            f"on_invalid must be 'raise' or 'drop'; got {on_invalid!r}",
            parameter="on_invalid",
            value=on_invalid,
        )

