"""Which partition an entity belongs to: a hash of its id, the same in every process.

Integers (and the bits of floats and times) go through the splitmix64 finalizer; text
and other objects through pandas' ``hash_array`` (SipHash with a fixed key) when pandas
is installed, else BLAKE2b of each distinct value. Python's ``hash`` is not used: it is
salted per process, and a Dask worker must route an id exactly like the client.
"""

from __future__ import annotations

import hashlib
import importlib.util
from typing import Any

import numpy as np
import numpy.typing as npt

from salesfunnel.events._factorize import factorize_objects

__all__ = ["bucket_of", "hash_ids", "mix64"]

_U64 = npt.NDArray[np.uint64]


def mix64(x: npt.NDArray[Any]) -> _U64:
    """The splitmix64 finalizer of 64-bit values: every input bit moves every output bit.

    Examples
    --------
    >>> mix64(np.array([0, 1, 2], dtype=np.uint64)).tolist()[:2]
    [0, 12994781566227106604]
    """
    z = np.array(x, dtype=np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def _hash_objects(values: np.ndarray[Any, Any]) -> _U64:
    if importlib.util.find_spec("pandas") is not None:
        import pandas as pd

        out: _U64 = pd.util.hash_array(values.astype(object, copy=False), categorize=True)
        return out
    codes, uniques, missing = factorize_objects(values)
    table = np.fromiter(
        (int.from_bytes(hashlib.blake2b(repr(u).encode(), digest_size=8).digest(), "little")
         for u in uniques), dtype=np.uint64, count=len(uniques))
    return np.where(missing, np.uint64(0), table[np.maximum(codes, 0)]) if len(table) else \
        np.zeros(len(values), np.uint64)


def hash_ids(values: Any) -> _U64:
    """A 64-bit hash per id, equal for equal ids in every process.

    Examples
    --------
    >>> a = hash_ids(np.array(["x", "y", "x"], dtype=object))
    >>> bool(a[0] == a[2]), bool(a[0] != a[1])
    (True, True)
    >>> bool(hash_ids(np.array([7]))[0] == hash_ids(np.array([7], dtype=np.uint64))[0])
    True
    """
    arr = np.asarray(values)
    kind = arr.dtype.kind
    if kind in "iu":
        return mix64(arr.astype(np.int64, copy=False).view(np.uint64) if kind == "i"
                     else arr.astype(np.uint64, copy=False))
    if kind in "mM":
        return mix64(arr.view(np.int64).view(np.uint64))
    if kind == "f":
        return mix64((arr.astype(np.float64) + 0.0).view(np.uint64))  # -0.0 -> 0.0
    if kind == "b":
        return mix64(arr.astype(np.uint64))
    return _hash_objects(arr)


def bucket_of(values: Any, n: int) -> npt.NDArray[np.int64]:
    """The partition ``0 .. n - 1`` of each id (``hash_ids(values) % n``).

    Examples
    --------
    >>> b = bucket_of(np.arange(10_000), 4)
    >>> sorted(set(b.tolist())), bool(abs(int((b == 0).sum()) - 2_500) < 200)
    ([0, 1, 2, 3], True)
    """
    h = hash_ids(values)
    out: npt.NDArray[np.int64] = (h % np.uint64(n)).astype(np.int64)
    return out
