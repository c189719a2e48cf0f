"""The metrics on partitions: when a metric runs per part and merges (``workers=``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from salesfunnel._engine import MIN_PART_EVENTS, PartitionedLog, resolve_workers
from salesfunnel._util._validate import check_bool
from salesfunnel.events import EventLog
from salesfunnel.events._derived import derived

__all__ = ["run_partitioned"]

R = TypeVar("R")


@derived
def _split(log: EventLog, parts: int) -> PartitionedLog:
    """``log`` split into ``parts`` partitions (cut on as many threads), cached on the
    log (so a second metric with the same ``workers`` reuses the parts and their sorted
    views)."""
    return PartitionedLog.from_log(log, parts=parts, workers=parts)


def run_partitioned(log: Any, workers: int | None, progress: bool, where: str,
                    compute: Callable[[EventLog], R]) -> R | None:
    """``compute`` over the parts of ``log`` merged, or ``None`` to run on ``log`` itself.

    A :class:`PartitionedLog` always runs per part. An :class:`EventLog` is split when
    more than one worker is asked for (or set library-wide) and it has at least
    ``2 * MIN_PART_EVENTS`` events: into ``min(workers, events // MIN_PART_EVENTS)``
    parts, cached on the log.
    """
    check_bool("progress", progress, where=where)
    n = resolve_workers(workers, where=where)
    if isinstance(log, PartitionedLog):
        return log.reduce(compute, workers=n, progress=progress, label=where)
    if n <= 1 or not isinstance(log, EventLog) or len(log) < 2 * MIN_PART_EVENTS:
        return None
    parts = min(n, len(log) // MIN_PART_EVENTS)
    return _split(log, parts).reduce(compute, workers=n, progress=progress, label=where)
