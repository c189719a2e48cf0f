"""Dense integer codes for ids and categories, and the radix sort they rest on."""

from __future__ import annotations

import importlib
import importlib.util
import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from salesfunnel.errors import EventLogError

__all__ = ["MAX_KEY_BYTES", "RowKeys", "arrow_codes", "bit_length", "factorize_int",
           "factorize_objects", "factorize_text", "is_arrow_text", "is_arrow_view",
           "is_missing", "missing_mask", "nul_inside", "numpy_sort_is_fast", "object_array",
           "sorted_packed",
           "sorted_with_rows", "stable_order", "text_array", "text_keys"]


def bit_length(n: int) -> int:
    """Bits needed for the non-negative integer ``n`` (0 for ``n <= 0``)."""
    return max(int(n), 0).bit_length()


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, np.floating) and np.isnan(value):
        return True
    return isinstance(value, np.datetime64) and np.isnat(value)


_U64 = npt.NDArray[np.uint64]


#: values per bucket in :func:`sorted_packed`: small sorts run in cache with SIMD
_BUCKET = 256
#: values per bucket aimed at when buckets are sorted in aligned blocks (they must fit
#: half a block; see :func:`_sort_buckets`)
_SMALL_BUCKET = 32
#: values of the one-time comparison of :func:`numpy_sort_is_fast`
_PROBE = 1 << 16

_fast_sort: bool | None = None
_probe_lock = threading.Lock()


def numpy_sort_is_fast() -> bool:
    """Whether ``numpy.sort`` of ``uint64`` beats the bucketed radix sort on this
    machine, measured once per process on random values (a few hundredths of a second).

    numpy 2 sorts 64-bit integers with vectorized quicksorts (x86-simd-sort on AVX2 or
    AVX-512, Highway on ARM) where the CPU and the build allow: then it runs at about
    16 ns per value on millions and the radix pass only adds work (measured 3-4x slower
    at 2.6-5.2 M values on an AVX2 machine). Without them the radix pass, whose
    buckets sort in cache, was about twice as fast. Either sort gives the same result.
    """
    global _fast_sort
    if _fast_sort is None:
        with _probe_lock:
            if _fast_sort is None:
                # spread-out values in a scrambled order (a Weyl sequence: no RNG import)
                key = np.arange(_PROBE, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
                key >>= np.uint64(1)

                def best(sort: Any) -> float:
                    times = []
                    for _ in range(2):
                        k = key.copy()
                        start = time.perf_counter()
                        sort(k)
                        times.append(time.perf_counter() - start)
                    return min(times)

                _fast_sort = best(np.ndarray.sort) <= best(lambda k: _bucket_sort(k, 63))
    return _fast_sort


def sorted_packed(key: _U64, bits: int) -> _U64:
    """``key`` (``uint64`` values below ``2**bits``) sorted; ``key`` may be reused.

    ``numpy.sort`` in place where it is vectorized (:func:`numpy_sort_is_fast`);
    elsewhere millions of values sort in about half its time by one radix pass (numpy's
    stable ``argsort`` of ``uint16`` digits) on the top bits that splits the values into
    buckets of a few dozen in order, then blocks of 256 sorting in cache
    (:func:`_sort_buckets`).

    Examples
    --------
    >>> import numpy as np
    >>> key = np.random.default_rng(0).integers(0, 2**40, 300_000).astype(np.uint64)
    >>> bool((sorted_packed(key.copy(), 40) == np.sort(key)).all())
    True
    """
    if len(key) < _BUCKET << 8 or numpy_sort_is_fast():
        key.sort()
        return key
    return _bucket_sort(key, bits)


def _bucket_sort(key: _U64, bits: int) -> _U64:
    """The bucketed radix sort of :func:`sorted_packed`."""
    n = len(key)
    b = min(16, bits, bit_length(n // _SMALL_BUCKET))
    if b < 8:
        key.sort()
        return key
    # Every step below lets other threads run (numpy's ``bincount``, ``cumsum`` and
    # ``astype`` hold the GIL; ufuncs with ``out=``, ``take``, ``searchsorted`` and
    # ``sort`` do not): the top bits are cast by the shift itself, the bucket bounds come
    # from the sorted top bits, and runs of whole buckets sort in one call each.
    top = np.empty(n, dtype=np.uint16)
    np.right_shift(key, np.uint64(bits - b), out=top, casting="unsafe")
    sample = np.bincount(top[::64], minlength=1 << b)
    if int(sample.max()) > len(top[::64]) // 4:  # skewed: buckets would not split the work
        del top
        key.sort()
        return key
    order = np.argsort(top, kind="stable")
    sorted_top = top.take(order)
    del top
    out = key.take(order)
    del order
    edges = np.append(np.searchsorted(sorted_top, np.arange(0, 1 << b, dtype=np.uint16)), n)
    del sorted_top
    _sort_buckets(out, edges)
    return out


def _sort_buckets(out: _U64, edges: npt.NDArray[np.int64]) -> None:
    """Sort ``out`` in place, given that it is in bucket order: the values of bucket
    ``i`` are ``out[edges[i]:edges[i + 1]]`` and every value of a bucket is below every
    value of the next (``edges`` ends at ``len(out)``).

    When no bucket holds more than half a block of :data:`_BUCKET` values and one, two
    calls sort the whole array: the aligned blocks (one call on a 2-D view), then the
    blocks shifted by half a block. A bucket that crosses an aligned edge has at most
    half a block on either side of it, so it lies within the shifted block around that
    edge; and sorting any run of a bucket-ordered array keeps the buckets already
    sorted in order. numpy sorts the rows in C, letting other
    threads run, where sorting bucket by bucket is a Python call per few hundred values
    (on two threads those calls took as long as on one). Otherwise the buckets are
    sorted in runs of at least :data:`_BUCKET` values, one call each.
    """
    n = len(out)
    block, half = _BUCKET, _BUCKET // 2
    if n >= 2 * block and int(np.diff(edges).max()) <= half + 1:
        for lo in (0, half):
            hi = lo + (n - lo) // block * block
            out[lo:hi].reshape(-1, block).sort(axis=1)
            out[hi:].sort()  # the tail, shorter than a block
        return
    # cut at the first bucket edge at or after every multiple of _BUCKET (edges end at n)
    cuts = np.unique(edges[np.searchsorted(edges, np.arange(_BUCKET, n, _BUCKET))])
    start = 0
    for end in [*cuts.tolist(), n]:
        if end - start > 1:
            out[start:end].sort()
        start = end


#: rows per slice where a whole-length temporary would only hold consecutive numbers
_ROW_SLICE = 1 << 20


def stable_order(keys: Sequence[tuple[np.ndarray[Any, Any], int]], n: int, *,
                 consume: bool = False) -> npt.NDArray[np.int64]:
    """Stable argsort of ``n`` rows by several non-negative integer keys.

    ``keys`` lists ``(values, bits)`` most significant first; every value is in
    ``0 .. 2**bits - 1``. The keys are cut into digits of ``64 - log2(n)`` bits and sorted
    least significant digit first; each pass sorts plain ``uint64`` values (the digit with
    the row's current position packed below it) with :func:`sorted_packed`, far faster
    than ``argsort``. With ``consume=True`` a ``uint64`` key that is one whole digit is
    sorted in its own buffer (the caller gives it up: no copy, lower peak memory).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([3, 1, 3, 0]); b = np.array([9, 5, 2, 7])
    >>> stable_order([(a, 2), (b, 4)], 4).tolist()
    [3, 1, 2, 0]
    """
    ib = max(bit_length(n - 1), 1)
    room = 64 - ib
    digits: list[_U64 | None] = []
    widths: list[int] = []  # bits of each digit
    cur: _U64 | None = None
    cur_bits = 0
    for values, bits in reversed(list(keys)):
        arr = values.astype(np.uint64, copy=False)
        used = 0
        while used < bits:
            take = min(bits - used, room - cur_bits)
            piece = arr >> np.uint64(used) if used else arr
            if used + take < bits:  # values are below 2**bits: the last digit needs no mask
                piece = piece & np.uint64((1 << take) - 1)
            # a shift or a mask made ``piece`` a new array: use it in place, never ``arr``
            # (unless the caller gave ``arr`` up)
            if cur is None:
                cur = piece.copy() if piece is arr and not (consume and arr is values) else piece
            else:
                if piece is arr:
                    piece = arr << np.uint64(cur_bits)
                else:
                    piece <<= np.uint64(cur_bits)
                cur |= piece
            cur_bits += take
            used += take
            if cur_bits == room:
                digits.append(cur)
                widths.append(cur_bits)
                cur, cur_bits = None, 0
    if cur is not None or not digits:
        digits.append(np.zeros(n, np.uint64) if cur is None else cur)
        widths.append(cur_bits)
    mask = np.uint64((1 << ib) - 1)
    order: npt.NDArray[np.int64] | None = None
    for i in range(len(digits)):
        # each digit is used once: shift it in place, drop it from the list after
        digit = digits[i]
        assert digit is not None
        packed = _with_rows(digit if order is None else digit[order], ib)
        del digit
        digits[i] = None
        packed = sorted_packed(packed, widths[i] + ib)
        packed &= mask
        pos = packed.view(np.int64)
        order = pos if order is None else order[pos]
    assert order is not None
    return order


def _with_rows(key: _U64, ib: int) -> _U64:
    """``key << ib | row`` in ``key``'s own buffer (the row numbers, below ``2**ib``, are
    made a slice at a time: no whole-length temporary)."""
    n = len(key)
    rows = np.arange(min(n, _ROW_SLICE), dtype=np.uint64)
    key <<= np.uint64(ib)
    for lo in range(0, n, _ROW_SLICE):
        part = key[lo:lo + _ROW_SLICE]
        part |= rows[:len(part)]
        if lo:  # the low ib bits held 0: they now hold lo + i < n <= 2**ib
            part += np.uint64(lo)
    return key


def sorted_with_rows(key: _U64, bits: int) -> tuple[npt.NDArray[np.int64], _U64]:
    """``(order, key[order])`` for values below ``2**bits`` when ``bits`` and a row number
    fit 64 bits together: one radix sort gives both, no gather. ``key`` is consumed.

    Examples
    --------
    >>> import numpy as np
    >>> order, ordered = sorted_with_rows(np.array([7, 2, 7, 1], dtype=np.uint64), 3)
    >>> order.tolist(), ordered.tolist()
    ([3, 1, 0, 2], [1, 2, 7, 7])
    """
    ib = max(bit_length(len(key) - 1), 1)
    assert bits + ib <= 64, (bits, ib)
    packed = sorted_packed(_with_rows(key, ib), bits + ib)
    ordered = packed >> np.uint64(ib)
    packed &= np.uint64((1 << ib) - 1)
    return packed.view(np.int64), ordered


def _dense(order: npt.NDArray[np.int64], keys_sorted: np.ndarray[Any, Any], n: int
           ) -> tuple[npt.NDArray[np.int64], np.ndarray[Any, Any]]:
    """``(codes, distinct)`` from a sort: ``codes[order[i]]`` = number of distinct keys
    before ``i``; ``distinct`` = the distinct keys in order.

    ``keys_sorted`` is consumed: when its items are 8 bytes wide its buffer holds the
    running count, so the peak is the row order, one count array and the codes.
    """
    new = np.empty(n, dtype=np.bool_)
    new[0] = True
    np.not_equal(keys_sorted[1:], keys_sorted[:-1], out=new[1:])
    distinct = keys_sorted[new]
    reuse = keys_sorted.dtype.itemsize == 8 and keys_sorted.flags.writeable
    return _codes_of(order, new, keys_sorted.view(np.int64) if reuse else None), distinct


def _codes_of(order: npt.NDArray[np.int64], new: npt.NDArray[np.bool_],
              out: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.int64]:
    """Dense codes from a sort: ``codes[order[i]]`` = the number of ``new`` flags (a
    value differing from the one before) up to ``i``, less one. ``out`` (optional)
    receives the running count."""
    # the flags copied as int64, then summed in place: twice as fast as a cumsum that
    # casts (numpy buffers the cast)
    codes_sorted = np.empty(len(new), dtype=np.int64) if out is None else out
    np.copyto(codes_sorted, new, casting="safe")
    np.cumsum(codes_sorted, out=codes_sorted)
    codes_sorted -= 1
    codes = np.empty(len(order), dtype=np.int64)
    codes[order] = codes_sorted
    return codes


def factorize_int(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int64], np.ndarray[Any, Any]]:
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
        # The offsets modulo 2**64 (exact: they are below the span); in the ids' own
        # type a narrow int would wrap (int16 ids spanning more than 2**15).
        rel = np.empty(n, dtype=np.uint64)
        np.subtract(values, np.uint64(lo % 2**64), out=rel, dtype=np.uint64,
                    casting="unsafe")
        rel_i = rel.view(np.int64)
        present = np.zeros(span + 1, dtype=np.bool_)
        present[rel_i] = True
        table = np.cumsum(present, dtype=np.int64) - 1
        offsets = np.flatnonzero(present).astype(np.uint64)
        offsets += np.uint64(lo % 2**64)
        uniques = offsets.astype(values.dtype)  # back in range: they are ids
        return table[rel_i], uniques
    bits = bit_length(span)
    ib = max(bit_length(n - 1), 1)
    # Peak memory: the keys are one owned copy that the sort consumes (its buffer becomes
    # the row order), so at most three row-length int64 arrays exist at once.
    rel_u = np.empty(n, dtype=np.uint64)  # a ufunc with ``out=``: no GIL (astype holds it)
    np.subtract(values, np.uint64(lo % 2**64), out=rel_u, dtype=np.uint64, casting="unsafe")
    if bits + ib <= 64:
        # the sorted offsets come out of the sort itself: no gather of the ids
        order, rel_sorted = sorted_with_rows(rel_u, bits)
        del rel_u
        codes, distinct = _dense(order, rel_sorted, n)
        distinct += np.uint64(lo % 2**64)
        return codes, distinct.astype(values.dtype)  # back in range: they are ids
    # Sort by the high 64 - ib bits only (packed with the row, one SIMD sort): that
    # orders different ids correctly unless they share those bits; such runs are then
    # re-sorted by the full id (few for spread-out ids; else fall back to argsort).
    shift = np.uint64(bits - (64 - ib))
    rel_u >>= shift
    order = stable_order([(rel_u, 64 - ib)], n, consume=True)
    del rel_u
    v_sorted = np.take(values, order)
    high = np.empty(n, dtype=np.uint64)  # ufuncs with ``out=``: no GIL (astype holds it)
    np.subtract(v_sorted, np.uint64(lo % 2**64), out=high, dtype=np.uint64, casting="unsafe")
    high >>= shift
    clash = high[1:] == high[:-1]
    clash &= v_sorted[1:] != v_sorted[:-1]
    n_clash = int(np.count_nonzero(clash))
    if n_clash > max(n // 64, 64):
        # runs of close ids (a few prefixes, each with consecutive numbers): a radix sort
        # over the whole offsets, as two digits (the first sort's arrays freed first)
        del order, v_sorted, high, clash
        rel_u = np.empty(n, dtype=np.uint64)
        np.subtract(values, np.uint64(lo % 2**64), out=rel_u, dtype=np.uint64,
                    casting="unsafe")
        order = stable_order([(rel_u, bits)], n, consume=True)
        del rel_u
        v_sorted = np.take(values, order)
        return _dense(order, v_sorted, n)
    if n_clash:
        bad = np.unique(high[1:][clash])
        starts = np.searchsorted(high, bad, side="left")
        stops = np.searchsorted(high, bad, side="right")
        pos = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)])
        sub = np.lexsort((order[pos], v_sorted[pos]))
        order[pos] = order[pos][sub]
        v_sorted[pos] = v_sorted[pos][sub]
    del high, clash  # peak memory: free the keys before the codes are made
    return _dense(order, v_sorted, n)


def factorize_objects(values: Sequence[Any] | np.ndarray[Any, Any]
                       ) -> tuple[npt.NDArray[np.int64], list[Any], npt.NDArray[np.bool_]]:
    """Codes for arbitrary hashable values (missing values get code -1 and a True flag).

    Distinct values are sorted when they are mutually comparable, else kept in order of
    first appearance.
    """
    arr = values if isinstance(values, np.ndarray) else None
    fast = factorize_text(arr) if arr is not None and len(arr) >= 1024 else None
    if fast is not None:
        return fast
    if arr is not None and arr.dtype.kind in "US":
        uniq, inv = np.unique(arr, return_inverse=True)
        return inv.astype(np.int64).ravel(), list(uniq.tolist()), np.zeros(len(arr), np.bool_)
    seen: dict[Any, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    missing = np.zeros(len(values), dtype=np.bool_)
    for i, v in enumerate(values):
        if isinstance(v, np.generic):
            v = v.item()
        if is_missing(v):
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


def missing_mask(values: np.ndarray[Any, Any]) -> npt.NDArray[np.bool_]:
    """:func:`is_missing` of every item of an object array (pandas' ``isna`` finds the
    candidates in C when pandas is installed; each is then confirmed)."""
    n = len(values)
    if n == 0 or importlib.util.find_spec("pandas") is None:
        return np.fromiter((is_missing(v) for v in values), dtype=np.bool_, count=n)
    import pandas as pd

    mask = np.asarray(pd.isna(values), dtype=np.bool_).copy()
    idx = np.flatnonzero(mask)
    if len(idx):
        mask[idx] = [is_missing(v) for v in values[idx]]
    return mask


def factorize_text(values: Any
                   ) -> tuple[npt.NDArray[np.int64], list[Any], npt.NDArray[np.bool_]] | None:
    """:func:`factorize_objects` for text through Arrow's dictionary encoding (C++,
    millions of rows a second), or ``None`` when pyarrow is not installed or ``values``
    are not all text (then the general path runs).

    Missing values (None) get code -1. Distinct values come sorted in code point order
    (Arrow compares UTF-8 bytes, which orders like Python's ``str``).

    Examples
    --------
    >>> codes, uniques, missing = factorize_text(np.array(["b", "a", None, "b"], dtype=object))
    >>> codes.tolist(), uniques, missing.tolist()
    ([1, 0, -1, 1], ['a', 'b'], [False, False, True, False])
    """
    if importlib.util.find_spec("pyarrow") is None or not isinstance(values, np.ndarray):
        return None
    if values.dtype.kind not in "OU" or len(values) == 0 or nul_inside(values):
        return None
    pa: Any = importlib.import_module("pyarrow")

    try:
        arr = pa.array(values, type=pa.large_string(), from_pandas=False)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None
    codes, uniques, missing = arrow_codes(arr)
    codes[missing] = -1
    return codes, uniques.tolist(), missing


def nul_inside(values: np.ndarray[Any, Any]) -> bool:
    """Whether a numpy ``U`` array holds a NUL character inside one of its texts (not
    its padding): pyarrow cuts a ``U`` array's texts at their first NUL (``pa.array``
    of ``'D\\x00a'`` gives ``'D'``), so such an array must reach Arrow as ``str`` objects.

    Examples
    --------
    >>> nul_inside(np.array(["ab", "c"])), nul_inside(np.array(["a\\x00b", "c"]))
    (False, True)
    """
    if values.dtype.kind != "U" or not values.size or values.dtype.itemsize == 0:
        return False
    units = np.ascontiguousarray(values).view(np.uint32)
    padding = units.size - int(np.char.str_len(values).sum())
    return units.size - int(np.count_nonzero(units)) > padding


def arrow_codes(column: Any, *, drop_unused: bool = False
                ) -> tuple[npt.NDArray[np.int64], np.ndarray[Any, Any], npt.NDArray[np.bool_]]:
    """``(codes, sorted distinct values, missing)`` of a pyarrow text or dictionary
    column (an array or a chunked array), encoded in C.

    The column is dictionary-encoded by Arrow (chunk by chunk against one shared hash
    table) and its distinct values sorted by their :func:`text_keys` (or by Arrow when
    they are long); only the distinct values become Python objects, in UTF-8 byte order,
    which orders like Python's ``str``. Text with many distinct values that fits one
    ``uint64`` key per row (ids such as ``D00012345``) is hashed as those integers
    instead, which is about twice as fast as hashing the text. Missing rows get code 0 and
    ``missing`` True. A dictionary column keeps the values of its dictionary that no row
    uses (declared categories) unless ``drop_unused`` (ids: an id without a row is no
    entity).

    Examples
    --------
    >>> import pyarrow as pa
    >>> codes, uniques, missing = arrow_codes(pa.chunked_array([["b", "a"], ["b", None]]))
    >>> codes.tolist(), uniques.tolist(), missing.tolist()
    ([1, 0, 1, 0], ['a', 'b'], [False, False, False, True])
    """
    pa: Any = importlib.import_module("pyarrow")
    pc: Any = importlib.import_module("pyarrow.compute")
    if not isinstance(column, pa.ChunkedArray):
        column = pa.chunked_array([column])
    if is_arrow_view(pa, column.type):  # polars' text: Arrow sorts no views
        column = column.cast(pa.large_string())
    if _many_distinct(pa, pc, column):
        packed = _packed_codes(pa, column)
        if packed is not None:
            return packed
    if pa.types.is_dictionary(column.type):
        column = column.unify_dictionaries()
    else:
        column = column.dictionary_encode()
    if column.num_chunks == 0:
        column = pa.chunked_array([pa.array([], column.type.value_type).dictionary_encode()])
    dictionary = column.chunk(0).dictionary
    codes_parts: list[Any] = []
    missing_parts: list[Any] = []
    for chunk in column.chunks:
        indices = chunk.indices
        if indices.null_count:
            missing_parts.append(indices.is_null().to_numpy(zero_copy_only=False))
            indices = indices.fill_null(0)
        else:
            missing_parts.append(np.zeros(len(indices), dtype=np.bool_))
        codes_parts.append(indices.to_numpy(zero_copy_only=False))
    codes = np.concatenate(codes_parts).astype(np.int64, copy=False)
    missing = np.concatenate(missing_parts)
    if drop_unused and len(dictionary):
        used = np.zeros(len(dictionary), dtype=np.bool_)
        used[codes[~missing]] = True
        if not used.all():
            codes = (np.cumsum(used, dtype=np.int64) - 1)[codes]
            dictionary = dictionary.take(pa.array(np.flatnonzero(used), pa.int64()))
    keys = text_keys(pa, dictionary) if dictionary.null_count == 0 else None
    if keys is not None:
        order = stable_order(keys, len(dictionary))
    else:
        order = np.asarray(pc.sort_indices(dictionary).to_numpy(), dtype=np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    if len(rank):
        codes = rank[codes]
        codes[missing] = 0
    return codes, _values(pa, dictionary, order), missing


def is_arrow_view(pa: Any, kind: Any) -> bool:
    """Whether ``kind`` (or a dictionary's values) is Arrow's ``string_view``."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(getattr(pa.types, "is_string_view", lambda _: False)(kind))


#: Rows looked at to tell whether a text column has many distinct values.
_SAMPLE = 1 << 14


def _many_distinct(pa: Any, pc: Any, column: Any) -> bool:
    """Whether a text column without missing values has more than one distinct value in
    16 among its first rows (ids rather than categories such as stages)."""
    if column.null_count or len(column) < _SAMPLE or column.num_chunks == 0 or not (
            pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return False
    sample = column.chunk(0)[:_SAMPLE]
    return bool(pc.count_distinct(sample).as_py() * 16 > len(sample))


def _values(pa: Any, array: Any, rows: npt.NDArray[np.int64],
            matrix: npt.NDArray[np.uint8] | None = None) -> np.ndarray[Any, Any]:
    """``array[rows]`` as numpy: text as an object array of ``str``, or as a ``U`` array
    when the texts are ASCII of one width without a trailing NUL (see :func:`_ascii_rows`;
    a ``U`` array would drop trailing NUL characters). ``matrix``: the array's
    :func:`_byte_matrix` when the caller has it."""
    fixed = (_ascii_rows(pa, array, rows) if matrix is None
             else _ascii_of(matrix, rows))
    if fixed is not None:
        return fixed
    taken = array.take(pa.array(rows, pa.int64()))
    values = np.asarray(taken.to_numpy(zero_copy_only=False))
    if is_arrow_text(pa, array.type) and values.dtype != object:
        return object_array(values.tolist())
    return values


def _ascii_rows(pa: Any, array: Any, rows: npt.NDArray[np.int64]
                ) -> npt.NDArray[np.str_] | None:
    """``array[rows]`` as a ``U`` array, straight from the bytes of a pyarrow text array
    whose texts all have one width (an ``n x width`` byte matrix: a numpy gather, no
    Python string per row); ``None`` unless the rows are ASCII without a trailing NUL.

    Examples
    --------
    >>> import pyarrow as pa
    >>> _ascii_rows(pa, pa.array(["D02", "D01", "D03"]), np.array([1, 0])).tolist()
    ['D01', 'D02']
    >>> _ascii_rows(pa, pa.array(["D02", "é01"]), np.array([1])) is None  # not ASCII
    True
    """
    return _ascii_of(_byte_matrix(pa, array), rows)


def _byte_matrix(pa: Any, array: Any) -> npt.NDArray[np.uint8]:
    """The bytes of a pyarrow text array without nulls whose texts all have one width,
    as an ``n x width`` matrix (a view); ``n x 0`` when they have several widths (or none:
    the empty text), hold nulls or are not text. Its check reads every offset: made once
    per array (:class:`RowKeys` keeps it for all its parts)."""
    n = len(array)
    none = np.zeros((n, 0), dtype=np.uint8)
    if array.null_count or not n or not (pa.types.is_string(array.type)
                                         or pa.types.is_large_string(array.type)):
        return none
    wide = pa.types.is_large_string(array.type)
    bufs = array.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64 if wide else np.int32, count=n + 1,
                            offset=array.offset * (8 if wide else 4))
    start, stop = int(offsets[0]), int(offsets[-1])
    width = (stop - start) // n
    if width == 0 or bufs[2] is None or not np.array_equal(
            offsets, np.arange(start, stop + 1, width, dtype=offsets.dtype)):
        return none
    return np.frombuffer(bufs[2], dtype=np.uint8)[start:stop].reshape(n, width)


def _ascii_of(matrix: npt.NDArray[np.uint8], rows: npt.NDArray[np.int64]
              ) -> npt.NDArray[np.str_] | None:
    """:func:`_ascii_rows` from the array's :func:`_byte_matrix`."""
    width = matrix.shape[1]
    if not width or not len(rows):
        return None
    taken = matrix.take(rows, axis=0)
    if taken.max() >= 0x80 or not taken[:, -1].all():
        return None  # UTF-8 beyond ASCII, or NULs a ``U`` array would strip
    # ASCII bytes are their own code points: widened to UCS-4 they are the ``U`` array
    out = np.empty(taken.shape, dtype=np.uint32)
    np.copyto(out, taken, casting="safe")
    return out.view(f"U{width}").ravel()


def _packed_codes(pa: Any, column: Any) -> tuple[npt.NDArray[np.int64], np.ndarray[Any, Any],
                                                 npt.NDArray[np.bool_]] | None:
    """:func:`arrow_codes` of a text column without missing values through its
    :func:`text_keys` (``None`` when they need more than :data:`_ROW_KEY_BITS` bits).

    Keys of up to 64 bits are packed into one ``uint64`` per row and factorized by
    :func:`factorize_int` (radix sorts, no hash table: one when a key and a row number
    fit 64 bits together), which gives codes in text order. Longer keys (ids of more
    than 19 digits) are radix-sorted row by row over their digits, which beats Arrow's
    hash of the text."""
    array = _one_array(pa, column)
    if array is None:
        return None
    n = len(array)
    keys = text_keys(pa, array, limit=_ROW_KEY_BITS)
    if keys is None:
        return None
    if sum(width for _, width in keys) > 64:
        order = stable_order(keys, n)
        new = np.zeros(n, dtype=np.bool_)
        new[:1] = True
        for values, _ in keys:
            in_order = values.take(order)
            new[1:] |= in_order[1:] != in_order[:-1]
            del in_order
        del keys
        codes = _codes_of(order, new)
        return codes, _distinct_values(pa, array, codes, int(np.count_nonzero(new))), \
            np.zeros(n, dtype=np.bool_)
    rows = RowKeys(_packed(keys, n), array)
    del keys
    return rows.codes(None)


def _one_array(pa: Any, column: Any) -> Any:
    """The chunks of a text column as one array (``None`` when one string array could
    not hold their bytes)."""
    if pa.types.is_string(column.type) and column.nbytes >= 2**31 - 2**20:
        return None
    if column.num_chunks == 0:  # a table of no batches
        return pa.array([], column.type)
    return column.combine_chunks() if column.num_chunks > 1 else column.chunk(0)


def _packed(keys: list[tuple[npt.NDArray[np.uint64], int]], n: int) -> npt.NDArray[np.uint64]:
    """Keys of at most 64 bits in all, packed into one ``uint64`` per row (zeros when no
    key: the same text in every row)."""
    if not keys:
        return np.zeros(n, dtype=np.uint64)
    packed, bits = keys[0]
    for values, width in keys[1:]:
        packed <<= np.uint64(width)
        packed |= values
        bits += width
    assert bits <= 64
    return packed


def _distinct_values(pa: Any, array: Any, codes: npt.NDArray[np.int64], n_distinct: int,
                     rows: npt.NDArray[np.int64] | None = None,
                     matrix: npt.NDArray[np.uint8] | None = None) -> np.ndarray[Any, Any]:
    """The distinct values of ``array`` in code order: a row holding each (of ``rows``,
    or of the whole array), then its value (``matrix``: see :func:`_values`)."""
    row = np.empty(n_distinct, dtype=np.int64)
    row[codes] = np.arange(len(codes), dtype=np.int64) if rows is None else rows
    return _values(pa, array, row, matrix)


class RowKeys:
    """One ``uint64`` sort key per row of a text column (its :func:`text_keys` packed),
    made once for the whole column so that any subset of its rows factorizes as
    integers: a partition of the rows needs no copy of their text.

    Examples
    --------
    >>> import pyarrow as pa
    >>> keys = RowKeys.of(pa, pa.chunked_array([["D2", "D1", "D2", "D3"]]))
    >>> codes, ids, missing = keys.codes(np.array([0, 2, 3]))
    >>> codes.tolist(), ids.tolist()
    ([0, 0, 1], ['D2', 'D3'])
    """

    __slots__ = ("array", "keys", "matrix")

    def __init__(self, keys: npt.NDArray[np.uint64], array: Any) -> None:
        self.keys = keys
        self.array = array
        # checked once here, not by every part: the check reads the whole column
        self.matrix = _byte_matrix(importlib.import_module("pyarrow"), array)

    @classmethod
    def of(cls, pa: Any, column: Any) -> RowKeys | None:
        """The keys of a text column without missing values whose :func:`text_keys` fit
        64 bits; ``None`` otherwise."""
        if column.null_count or not (pa.types.is_string(column.type)
                                     or pa.types.is_large_string(column.type)):
            return None
        array = _one_array(pa, column)
        keys = None if array is None else text_keys(pa, array, limit=64)
        return None if keys is None else cls(_packed(keys, len(array)), array)

    def codes(self, rows: npt.NDArray[np.int64] | None
              ) -> tuple[npt.NDArray[np.int64], np.ndarray[Any, Any], npt.NDArray[np.bool_]]:
        """``(codes, sorted distinct values, missing)`` of the given rows (all: ``None``),
        as :func:`arrow_codes` gives them."""
        pa: Any = importlib.import_module("pyarrow")
        keys = self.keys if rows is None else self.keys.take(rows)
        codes, distinct = factorize_int(keys)
        del keys
        return (codes, _distinct_values(pa, self.array, codes, len(distinct), rows,
                                        self.matrix),
                np.zeros(len(codes), dtype=np.bool_))


#: Key bits up to which a text column's rows are radix-sorted instead of hashed by Arrow
_ROW_KEY_BITS = 128


#: Text longer than this many UTF-8 bytes is not turned into integer keys (Arrow sorts
#: it faster than a radix sort of so many key bits).
MAX_KEY_BYTES = 32
_BYTE_MASKS = np.array([0] + [((1 << (8 * k)) - 1) << (64 - 8 * k) for k in range(1, 9)],
                       dtype=np.uint64)


def text_keys(pa: Any, array: Any, limit: int | None = None
              ) -> list[tuple[npt.NDArray[np.uint64], int]] | None:
    """Integer sort keys of a pyarrow text array without missing values, for
    :func:`stable_order`: keys in the same order as the texts (UTF-8 byte order), equal
    exactly when the texts are equal.

    Texts of one width are mixed-radix numbers: each byte position a digit in the base
    of the values it spans (see :func:`_byte_keys`). Otherwise the UTF-8 bytes of each
    text, padded with zero bytes, are read as big-endian ``uint64`` words; each word less
    its smallest value, shifted right past the low bits that are zero in every row, is a
    key of the bits that vary (a word the same in every row is left out). ``None`` when
    a text is longer than :data:`MAX_KEY_BYTES`, when texts of different lengths hold a
    NUL character (zero padding would then tie ``"a"`` and ``"a\\x00"``), or when the
    keys need more than ``limit`` bits in all.

    Examples
    --------
    >>> import pyarrow as pa
    >>> keys = text_keys(pa, pa.array(["D0012", "D0002", "D0013"]))
    >>> [(k.tolist(), bits) for k, bits in keys]  # "D00" left out; bases 2 and 2 kept
    [([2, 0, 3], 2)]
    >>> keys = text_keys(pa, pa.array(["ab", "b", "abc"]))  # several widths: 8-byte words
    >>> [(k.tolist(), bits) for k, bits in keys]  # "ab" < "abc" < "b"
    [([0, 40448, 99], 16)]
    """
    n = len(array)
    if array.null_count or not (pa.types.is_string(array.type)
                                or pa.types.is_large_string(array.type)):
        return None
    if n == 0:
        return []
    wide = pa.types.is_large_string(array.type)
    bufs = array.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64 if wide else np.int32, count=n + 1,
                            offset=array.offset * (8 if wide else 4))
    start, stop = int(offsets[0]), int(offsets[-1])
    lengths = np.diff(offsets)
    width, shortest = int(lengths.max()), int(lengths.min())
    if width > MAX_KEY_BYTES:
        return None
    data = (np.frombuffer(bufs[2], dtype=np.uint8)[start:stop] if bufs[2] is not None
            else np.zeros(0, np.uint8))
    if shortest == width:  # one width: the bytes are an n x width matrix
        return _byte_keys(data.reshape(n, width), limit)
    if not data.all():
        return None
    n_words = -(-width // 8)
    padded = np.zeros(len(data) + 8 * n_words, dtype=np.uint8)
    padded[:len(data)] = data
    # every 8-byte big-endian word of the bytes, one per byte offset (unaligned)
    every = np.ndarray(shape=(len(padded) - 7,), dtype=">u8", buffer=padded, strides=(1,))
    starts = (offsets[:-1] - start).astype(np.int64)
    keys: list[tuple[npt.NDArray[np.uint64], int]] = []
    total = 0
    for w in range(n_words):
        word = every[starts + 8 * w].astype(np.uint64)
        if shortest < 8 * (w + 1):
            word &= _BYTE_MASKS[np.clip(lengths - 8 * w, 0, 8)]
        word -= word.min()
        shared = int(np.bitwise_or.reduce(word))
        if shared == 0:
            continue  # the same word in every row
        zeros = (shared & -shared).bit_length() - 1
        if zeros:
            word >>= np.uint64(zeros)
        bits = bit_length(shared >> zeros)
        total += bits
        if limit is not None and total > limit:
            return None
        keys.append((word, bits))
    return keys


def _byte_keys(matrix: npt.NDArray[np.uint8], limit: int | None
               ) -> list[tuple[npt.NDArray[np.uint64], int]] | None:
    """:func:`text_keys` of texts of one width (``matrix``: a row of bytes per text).

    Each byte position is a digit of a mixed-radix number: ``byte - smallest`` in base
    ``largest - smallest + 1`` (an order-preserving map per position), most significant
    first, as many positions per ``uint64`` key as their bases' product allows. A digit
    position takes base 10, so ``D12345678`` needs 27 bits and a 19-digit id 64 (4 bits
    a digit would need 76: two keys). The rows are done a cache-sized block at a time.
    """
    n, w = matrix.shape
    lows, highs = _column_bounds(matrix)
    bases = [high - low + 1 for low, high in zip(lows, highs, strict=True)]
    groups: list[tuple[list[int], int]] = []  # positions of each key, their bases' product
    columns: list[int] = []
    product = 1
    for j in range(w):
        if bases[j] == 1:
            continue  # the same byte in every text
        if product * bases[j] > 2**64:
            groups.append((columns, product))
            columns, product = [], 1
        columns.append(j)
        product *= bases[j]
    if columns:
        groups.append((columns, product))
    if limit is not None and sum(bit_length(p - 1) for _, p in groups) > limit:
        return None
    keys: list[tuple[npt.NDArray[np.uint64], int]] = []
    part = np.empty(min(n, _KEY_BLOCK), dtype=np.uint64)
    for columns, product in groups:
        key = np.zeros(n, dtype=np.uint64)
        for lo in range(0, n, _KEY_BLOCK):
            block, digit = key[lo:lo + _KEY_BLOCK], part[:min(_KEY_BLOCK, n - lo)]
            for j in columns:  # the ufunc casts: no astype (it holds the GIL)
                np.subtract(matrix[lo:lo + _KEY_BLOCK, j], np.uint8(lows[j]), out=digit,
                            dtype=np.uint8, casting="unsafe")
                block *= np.uint64(bases[j])
                block += digit
        keys.append((key, bit_length(product - 1)))
    return keys


#: rows of :func:`_byte_keys` done at a time (their keys stay in the cache)
_KEY_BLOCK = 1 << 16


def _column_bounds(matrix: npt.NDArray[np.uint8]) -> tuple[list[int], list[int]]:
    """The smallest and largest byte of each column of ``matrix``. Its rows are folded
    256 to a row first, so numpy's reductions run along long rows (a column at a time,
    or down rows of a few bytes, is many times slower).

    Examples
    --------
    >>> _column_bounds(np.array([[3, 9], [1, 7], [2, 8]], dtype=np.uint8))
    ([1, 7], [3, 9])
    """
    n, w = matrix.shape
    cut = n - n % 256
    lows, highs = np.full(w, 255, dtype=np.uint8), np.zeros(w, dtype=np.uint8)
    if cut and w:  # (no columns: the empty text in every row; nothing to fold)
        folded = matrix[:cut].reshape(-1, 256 * w)
        lows = folded.min(axis=0).reshape(256, w).min(axis=0)
        highs = folded.max(axis=0).reshape(256, w).max(axis=0)
    if cut < n:
        lows = np.minimum(lows, matrix[cut:].min(axis=0))
        highs = np.maximum(highs, matrix[cut:].max(axis=0))
    return [int(v) for v in lows], [int(v) for v in highs]


def is_arrow_text(pa: Any, kind: Any) -> bool:
    """Whether the Arrow type ``kind`` (or the values of a dictionary type) is text."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind)
                or getattr(pa.types, "is_string_view", lambda _: False)(kind))


def text_array(texts: list[str]) -> np.ndarray[Any, Any]:
    """Texts as a numpy ``U`` array, or as an object array of ``str`` when one holds a
    NUL (a ``U`` array drops trailing NULs: ``'a\\x00'`` would read ``'a'``, and
    pyarrow cuts its texts at a NUL).

    Examples
    --------
    >>> text_array(["a", "b"]).dtype.kind, text_array(["a", "a\\x00"]).tolist()
    ('U', ['a', 'a\\x00'])
    """
    if not texts or "\x00" in "".join(texts):
        return object_array(texts)
    return np.asarray(texts)


def object_array(items: Sequence[Any]) -> np.ndarray[Any, Any]:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out

