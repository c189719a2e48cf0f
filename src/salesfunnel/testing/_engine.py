"""Strategies and a check for partitioned execution: partition counts, worker counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from salesfunnel._engine import PartitionedLog
from salesfunnel.events import EventLog

__all__ = ["Partitioning", "assert_partition_invariant", "partitionings"]


@attrs.frozen
class Partitioning:
    """How to split and run a log: ``parts`` entity partitions on ``workers`` threads,
    built from the log (``"split"``) or again from its columns (``"build"``).

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[1, 2], stage=[0, 1], ts=[0, 1], unit="s")
    >>> Partitioning(parts=3, workers=2, how="build").apply(log).n_parts
    3
    """

    parts: int
    workers: int
    how: str = "split"

    def apply(self, log: EventLog) -> PartitionedLog:
        """``log`` as a :class:`~salesfunnel.PartitionedLog` of :attr:`parts` parts (a
        log with event names or properties is always split: the column constructors do
        not take them)."""
        if self.how == "split" or log.event is not None or log.properties:
            return PartitionedLog.from_log(log, parts=self.parts)
        return PartitionedLog.from_arrays(
            log.funnel, entity=log.ids[log.entity], stage=log.stage, ts=log.ts,
            amount=log.amount, segments={k: s.values() for k, s in log.segments.items()},
            probability=log.probability, unit="ns", parts=self.parts,
            workers=self.workers)


def partitionings(*, max_parts: int = 8, max_workers: int = 4
                  ) -> st.SearchStrategy[Partitioning]:
    """Partitionings to run a metric under: 1 .. ``max_parts`` parts (more parts than
    entities too, so some parts are empty), 1 .. ``max_workers`` threads, split from a
    built log or built again from its columns.

    Parameters
    ----------
    max_parts, max_workers : int
        Upper bounds (>= 1).

    Returns
    -------
    SearchStrategy[Partitioning]

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If a bound is not a positive integer.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(partitionings(max_parts=3))
    ... def test(p):
    ...     assert 1 <= p.parts <= 3 and p.how in ("split", "build")
    >>> test()
    """
    for name, value in (("max_parts", max_parts), ("max_workers", max_workers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidArgument(f"{name} must be a positive integer; got {value!r}")
    return st.builds(Partitioning, parts=st.integers(1, max_parts),
                     workers=st.integers(1, max_workers),
                     how=st.sampled_from(("split", "build")))


def assert_partition_invariant(metric: Callable[..., Any], log: EventLog,
                               partitioning: Partitioning) -> None:
    """Assert that ``metric`` gives the same result over ``log`` on one thread and over
    its partitions on several (``metric(x, workers=n)``); equality is the result's own
    ``==``, so floats must agree exactly.

    Raises
    ------
    AssertionError
        Naming the partitioning and both results.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import conversion
    >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 2], stage=[0, 1, 0], ts=[0, 1, 0],
    ...                            unit="s")
    >>> assert_partition_invariant(conversion, log, Partitioning(parts=2, workers=2))
    """
    whole = metric(log, workers=1)
    parted = metric(partitioning.apply(log), workers=partitioning.workers)
    if not bool(parted == whole):
        raise AssertionError(
            f"{getattr(metric, '__name__', metric)} over {partitioning} differs from the "
            f"result over the whole log:\n  whole:  {whole!r}\n  parted: {parted!r}")
