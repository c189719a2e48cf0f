"""Execution on every core: entity partitions, a thread pool and exact merges.

The layer under the metrics: it splits logs (or raw columns, or a Parquet dataset
larger than memory) into partitions by a hash of the entity id, runs a function on
every partition on a thread pool and merges the results. The library-wide ``workers``
default lives here (:func:`set_options`).
"""

from salesfunnel._engine._options import Options, get_options, resolve_workers, set_options
from salesfunnel._engine._partitioned import MIN_PART_EVENTS, PartitionedLog, SpilledPart
from salesfunnel._engine._pool import parallel_map, tree_merge
from salesfunnel._engine._progress import Progress

__all__ = ["MIN_PART_EVENTS", "Options", "PartitionedLog", "Progress", "SpilledPart",
           "get_options", "parallel_map", "resolve_workers", "set_options", "tree_merge"]
