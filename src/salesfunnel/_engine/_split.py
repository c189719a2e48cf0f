"""Routing the rows of a log or of raw columns to entity partitions."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from salesfunnel._engine._hash import bucket_of
from salesfunnel.events import EventLog

__all__ = ["group_rows", "split_log"]


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
    small = bucket.astype(np.int16 if n <= 2**15 else np.int32)
    order = np.argsort(small, kind="stable").astype(np.int64, copy=False)
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(small, minlength=n), out=bounds[1:])
    return order, bounds


def split_log(log: EventLog, n: int) -> list[EventLog]:
    """``log`` split into ``n`` logs by the hash of the entity ids (see ``bucket_of``):
    every entity lands in one part, with its events in their original order; segment
    categories are shared with ``log``."""
    ent_bucket = bucket_of(log.ids, n)
    e_order, e_bounds = group_rows(ent_bucket, n)
    rank = np.empty(log.n_entities, dtype=np.int64)
    rank[e_order] = np.arange(log.n_entities, dtype=np.int64) - np.repeat(
        e_bounds[:-1], np.diff(e_bounds))
    order, bounds = group_rows(ent_bucket[log.entity], n)
    parts = []
    for p in range(n):
        rows = order[bounds[p]:bounds[p + 1]]
        ents = e_order[e_bounds[p]:e_bounds[p + 1]]
        ents = np.sort(ents)  # ascending codes keep the ids sorted
        parts.append(_part(log, rows, ents, rank))
    return parts


def _part(log: EventLog, rows: npt.NDArray[np.int64], ents: npt.NDArray[np.int64],
          rank: npt.NDArray[np.int64]) -> EventLog:
    # ranks within a bucket follow the bucket's (ascending, stable) entity order
    return log._subset(rows, rank[log.entity[rows]], log.ids[ents], len(ents))
