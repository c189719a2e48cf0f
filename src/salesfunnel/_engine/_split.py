"""Routing the rows of a log or of raw columns to entity partitions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from salesfunnel._engine._hash import bucket_dtype, bucket_of
from salesfunnel._engine._pool import parallel_map
from salesfunnel.events import EventLog

__all__ = ["group_rows", "rows_of", "split_log"]


def group_rows(bucket: npt.NDArray[np.int64], n: int
               ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``(order, bounds)``: the rows of bucket ``p`` are ``order[bounds[p]:bounds[p+1]]``,
    in their original order (a stable counting sort).

    Examples
    --------
    >>> order, bounds = group_rows(np.array([1, 0, 1, 0]), 2)
    >>> order.tolist(), bounds.tolist()
    ([1, 3, 0, 2], [0, 2, 4])
    """
    small = bucket.astype(bucket_dtype(n), copy=False)  # narrow ints: a radix argsort
    order = np.argsort(small, kind="stable").astype(np.int64, copy=False)
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(small, minlength=n), out=bounds[1:])
    return order, bounds


def rows_of(bucket: npt.NDArray[Any], n: int
            ) -> Callable[[int], npt.NDArray[np.int64]]:
    """``rows_of(p)``: the rows of bucket ``p`` in their original order. A few parts each
    scan the bucket column (on their own thread, when called from several); many share
    one counting sort.

    Examples
    --------
    >>> rows_of(np.array([1, 0, 1, 0]), 2)(1).tolist()
    [0, 2]
    """
    if n <= 16:
        small = np.asarray(bucket).astype(np.int8, copy=False)  # no copy from bucket_dtype
        return lambda p: np.flatnonzero(small == p)
    order, bounds = group_rows(bucket, n)
    return lambda p: order[bounds[p]:bounds[p + 1]]


def split_log(log: EventLog, n: int, *, workers: int = 1) -> list[EventLog]:
    """``log`` split into ``n`` logs by the hash of the entity ids (see ``bucket_of``):
    every entity lands in one part, with its events in their original order; segment
    categories are shared with ``log``. The parts are cut on ``workers`` threads."""
    small = bucket_of(log.ids, n, workers=workers, dtype=bucket_dtype(n))
    ents_of = rows_of(small, n)
    row_rows = rows_of(small.take(log.entity), n)
    # an entity's code in its part: its rank among the part's entities (ascending codes
    # keep the ids sorted); each part fills the ranks of its own entities
    rank = np.empty(log.n_entities, dtype=np.int64)

    def part(p: int) -> EventLog:
        ents = ents_of(p)
        rank[ents] = np.arange(len(ents), dtype=np.int64)
        rows = row_rows(p)
        return log._subset(rows, rank.take(log.entity.take(rows)), log.ids.take(ents),
                           len(ents))

    return parallel_map(part, range(n), workers)
