"""Dask: the same per-partition kernels on a cluster, when one machine is not enough.

Needs the ``dask`` extra (``pip install 'salesfunnel[dask]'``: ``dask[dataframe]`` and
``distributed``). A :class:`DaskLog` is an event log held as a Dask DataFrame whose
partitions hold whole entities: shuffled by entity once (Dask's P2P shuffle, which
spills to disk), or read from a dataset written bucketed by :func:`write_bucketed`.
Every metric of :mod:`salesfunnel.metrics` then runs per partition on the workers and
the results are merged in a tree of merges, giving the same result classes (and values)
as in memory. Several metrics share one pass with :meth:`DaskLog.compute`, and
``MarkovModel().fit(dlog)`` counts the moves on the workers.

It runs on whatever Dask scheduler is active: create a ``distributed.Client`` first (a
``LocalCluster``, or ``Client("tcp://scheduler:8786")`` for a real cluster).
"""

from salesfunnel.dask._adapter import BUCKET_COLUMN, DaskLog, write_bucketed

__all__ = ["BUCKET_COLUMN", "DaskLog", "write_bucketed"]
