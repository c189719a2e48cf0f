"""The Dask adapter: per-partition EventLogs on workers, results merged in a tree."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._engine._hash import bucket_of, hash_ids
from salesfunnel._engine._partitioned import check_parts
from salesfunnel._engine._pool import tree_merge
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import Naive, Unit
from salesfunnel._util._validate import check_bool, check_int, invalid
from salesfunnel.errors import EventLogError, InputFileError, InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.events._sources import _Columns
from salesfunnel.model import Funnel

__all__ = ["BUCKET_COLUMN", "DaskLog", "write_bucketed"]

#: The column :func:`write_bucketed` adds: the entity's bucket (``hash(id) % buckets``).
BUCKET_COLUMN = "__salesfunnel_bucket__"
#: The file :func:`write_bucketed` writes next to the data, naming the bucketing.
META_FILE = "_salesfunnel_buckets.json"
_PLACE = "__salesfunnel_place__"  # the bucket again, as the index that places the rows
_HASH = "salesfunnel-entity-hash-2"  # 2: multiply-shift to buckets, not modulo


def _dd() -> Any:
    return import_optional("dask.dataframe", "dask", purpose="salesfunnel.dask")


def _shuffle_method() -> str:
    """P2P (spills to disk, needs a distributed client) when a client is active, else
    the task-based shuffle of the local schedulers."""
    dask = import_optional("dask", "dask", purpose="salesfunnel.dask")
    distributed = import_optional("distributed", "dask", purpose="salesfunnel.dask")
    if dask.config.get("scheduler", None) in ("sync", "synchronous", "single-threaded",
                                               "threads", "threading", "processes"):
        return "tasks"
    try:
        distributed.get_client()
    except ValueError:
        return "tasks"
    return "p2p"


@attrs.frozen
class _Digest:
    """What one partition tells about its entities, to check that no entity is in two
    partitions: the set of buckets (data written by :func:`write_bucketed`), or the
    sorted 64-bit hashes of its ids (any other data claimed to be bucketed)."""

    buckets: frozenset[int] | None
    hashes: npt.NDArray[np.uint64] | None
    shared: int = 0  # entities (or buckets) seen in more than one partition so far

    def merge(self, other: _Digest) -> _Digest:
        if self.buckets is not None and other.buckets is not None:
            both = self.buckets & other.buckets
            return _Digest(self.buckets | other.buckets, None,
                           self.shared + other.shared + len(both))
        assert self.hashes is not None and other.hashes is not None
        both_h = np.intersect1d(self.hashes, other.hashes, assume_unique=True)
        return _Digest(None, np.union1d(self.hashes, other.hashes),
                       self.shared + other.shared + len(both_h))


def _run_partition(frame: Any, funnel: Funnel, read: Mapping[str, Any],
                   metrics: Sequence[Callable[[EventLog], Any]], check: str | None,
                   buckets: int) -> tuple[tuple[Any, ...], _Digest | None]:
    """Build the partition's log and compute every metric on it (on a worker)."""
    log = EventLog.from_pandas(funnel, frame, **read)
    results = tuple(m(log) for m in metrics)
    for i, result in enumerate(results):
        if not callable(getattr(result, "merge", None)):
            raise InvalidParameterError(
                f"metric {i} of DaskLog.compute must return a result that merges (a "
                f"metric result, with a merge method); got {type(result).__name__} "
                f"{result!r:.60}", parameter="metrics", value=metrics[i])
    digest = None
    if check == "buckets":
        labels = frame[BUCKET_COLUMN].to_numpy()
        if len(labels) and bool((labels == labels[0]).all()):
            # one bucket (every file write_bucketed writes): hashing each distinct id of
            # the column (as the writer hashed it: tz-aware times and bools hash unlike
            # the log's ids) checks every row, dropped ones too. Integer ids with no row
            # dropped are the log's own distinct ids: no second pass to find them
            # (pandas' drop_duplicates cost more than building the log)
            column = frame[read["entity"]]
            if column.dtype.kind in "iu" and not log.dropped:
                ids = log.ids
            else:
                ids = column.drop_duplicates().to_numpy()
            wrong = int(np.count_nonzero(bucket_of(ids, buckets) != labels[0]))
            found = [int(labels[0])]
        else:
            right = bucket_of(frame[read["entity"]].to_numpy(), buckets)
            wrong = int(np.count_nonzero(labels.astype(np.int64) != right))
            found = np.unique(labels).tolist()
        if wrong:
            raise EventLogError(
                f"rows in a partition carry a {BUCKET_COLUMN} that is not the hash of their "
                f"entity into {buckets} buckets; expected data written by write_bucketed",
                count=wrong)
        digest = _Digest(frozenset(found), None)
    elif check == "ids":
        digest = _Digest(None, np.unique(hash_ids(log.ids)))
    return results, digest


@attrs.frozen(eq=False, repr=False)
class DaskLog:
    """An event log as a Dask DataFrame whose partitions hold whole entities.

    Build it with :meth:`from_dask` or :meth:`from_parquet`; compute with :meth:`run`
    (one metric) or :meth:`compute` (several metrics in one pass over the data).

    Attributes
    ----------
    funnel : Funnel
        The funnel the stages refer to.
    frame : dask.dataframe.DataFrame
        The events, partitioned by entity.
    check : {"buckets", "ids"} or None
        How the computation verifies that no entity is in two partitions: ``None`` when
        the frame was shuffled here (it holds by construction), ``"buckets"`` for data
        written by :func:`write_bucketed`, ``"ids"`` for other data claimed to be
        bucketed (compares the hashed ids of every partition).
    buckets : int
        Number of buckets of a bucketed dataset (0 otherwise).

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> from salesfunnel import Funnel, Stage, metrics
    >>> from salesfunnel.dask import DaskLog
    >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    >>> pdf = pd.DataFrame({"entity": [1, 1, 2, 3], "stage": [0, 1, 0, 0], "ts": [0, 3, 1, 2]})
    >>> dlog = DaskLog.from_dask(f, dd.from_pandas(pdf, npartitions=2), unit="D")
    >>> dlog.run(metrics.conversion).counts
    (3, 1)
    """

    funnel: Funnel
    frame: Any
    read: Mapping[str, Any] = attrs.field(repr=False)
    check: str | None = None
    buckets: int = 0

    def __repr__(self) -> str:
        how = {None: "shuffled by entity", "buckets": f"{self.buckets} buckets",
               "ids": "claimed bucketed"}[self.check]
        return (f"<DaskLog {self.funnel.name!r}: {self.frame.npartitions} partitions, "
                f"{how}>")

    @classmethod
    def from_dask(
        cls,
        funnel: Funnel,
        frame: Any,
        *,
        entity: str = "entity",
        stage: str = "stage",
        ts: str = "ts",
        amount: str | None = None,
        segments: Sequence[str] = (),
        unit: Unit | None = None,
        on_invalid: Literal["raise", "drop"] = "raise",
        naive: Naive = "raise",
        stage_map: Mapping[str, str] | None = None,
        probability: str | None = None,
        forecast_category: str | None = None,
        bucketed: bool = False,
        npartitions: int | None = None,
    ) -> DaskLog:
        """A log from a Dask DataFrame: shuffled by entity, or taken as it is.

        Parameters
        ----------
        funnel, entity, stage, ts, amount, segments, unit, on_invalid, naive
        stage_map, probability, forecast_category
            As in :meth:`EventLog.from_pandas` (applied to every partition).
        frame : dask.dataframe.DataFrame
            One row per event.
        bucketed : bool
            ``False`` (default): shuffle by entity (Dask's P2P shuffle, lazily, once).
            ``True``: the caller says every entity's rows are in one partition; this is
            checked during the computation (an error, never a silent double count).
        npartitions : int, optional
            Partitions after the shuffle (default: as many as ``frame`` has; at most
            ``2**20``).

        Returns
        -------
        DaskLog

        Raises
        ------
        InvalidParameterError
            ``frame`` is not a Dask DataFrame, ``funnel`` is not a Funnel or a read
            option is bad (checked on the frame's empty ``_meta``, before any work).
        EventLogError
            ``frame`` lacks a named column.
        """
        dd = _dd()
        if not isinstance(frame, dd.DataFrame):
            raise invalid("frame", frame, "a dask.dataframe.DataFrame",
                          where="DaskLog.from_dask")
        check_bool("bucketed", bucketed, where="DaskLog.from_dask")
        read = _read_options(funnel, frame, "frame", entity=entity, stage=stage, ts=ts,
                             amount=amount, segments=segments, unit=unit,
                             on_invalid=on_invalid, naive=naive, stage_map=stage_map,
                             probability=probability, forecast_category=forecast_category)
        if bucketed:
            return cls(funnel, frame, read, "ids")
        n = frame.npartitions if npartitions is None else check_parts(
            "npartitions", npartitions, "DaskLog.from_dask")
        shuffled = frame.shuffle(on=entity, npartitions=n, shuffle_method=_shuffle_method())
        return cls(funnel, shuffled, read, None)

    @classmethod
    def from_parquet(
        cls,
        funnel: Funnel,
        path: str | os.PathLike[str],
        *,
        entity: str = "entity",
        stage: str = "stage",
        ts: str = "ts",
        amount: str | None = None,
        segments: Sequence[str] = (),
        unit: Unit | None = None,
        on_invalid: Literal["raise", "drop"] = "raise",
        naive: Naive = "raise",
        stage_map: Mapping[str, str] | None = None,
        probability: str | None = None,
        forecast_category: str | None = None,
        npartitions: int | None = None,
    ) -> DaskLog:
        """A log from a Parquet dataset: one written by :func:`write_bucketed` is read
        one partition per bucket file, without a shuffle (and checked); any other
        dataset is shuffled by entity.

        Parameters are those of :meth:`from_dask`; ``path`` is a directory of Parquet
        files (or a glob) readable by ``dask.dataframe.read_parquet`` (local, S3, ...).

        Returns
        -------
        DaskLog

        Raises
        ------
        InvalidParameterError
            ``path`` is not a readable Parquet dataset, or as in :meth:`from_dask`.
        InputFileError
            Its ``_salesfunnel_buckets.json`` is not the file :func:`write_bucketed`
            writes.
        EventLogError
            A named column (or the bucket column of a bucketed dataset) is missing.
        """
        where = "DaskLog.from_parquet"
        if not isinstance(path, str | os.PathLike):
            raise invalid("path", path, "a directory of Parquet files or a glob", where=where)
        meta = _bucketing(path)
        if meta is not None and meta.get("hash") == _HASH and meta.get("entity") == entity:
            frame = _read_parquet(path, where, split_row_groups=False,
                                  aggregate_files=False, blocksize=None)
            if BUCKET_COLUMN not in frame.columns:
                raise EventLogError(
                    f"the column {BUCKET_COLUMN!r} is not in the dataset {os.fspath(path)!r}; "
                    f"expected data written by write_bucketed (its {META_FILE} says so)",
                    count=1, examples=[BUCKET_COLUMN])
            read = _read_options(funnel, frame, "dataset", entity=entity, stage=stage, ts=ts,
                                 amount=amount, segments=segments, unit=unit,
                                 on_invalid=on_invalid, naive=naive, stage_map=stage_map,
                                 probability=probability,
                                 forecast_category=forecast_category)
            return cls(funnel, frame, read, "buckets", meta["buckets"])
        frame = _read_parquet(path, where)
        return cls.from_dask(funnel, frame, entity=entity, stage=stage, ts=ts,
                             amount=amount, segments=segments, unit=unit,
                             on_invalid=on_invalid, naive=naive, stage_map=stage_map,
                             probability=probability, forecast_category=forecast_category,
                             npartitions=npartitions)

    def persist(self) -> DaskLog:
        """The same log with its (shuffled) partitions kept in the workers' memory, so
        later computations start from them (``frame.persist()``)."""
        return attrs.evolve(self, frame=self.frame.persist())

    def compute(self, *metrics: Callable[[EventLog], Any], split_every: int = 8
                ) -> list[Any]:
        """Several metrics in one pass: every partition's log is built once on its
        worker and every metric computed on it; the results are merged in a tree.

        Parameters
        ----------
        *metrics : callable
            Functions of an :class:`~salesfunnel.EventLog` returning a mergeable result
            (``metrics.conversion``, ``functools.partial(metrics.timing, by="rep")``,
            a lambda, ...). They run on the workers: pass ``workers=1`` inside if the
            workers should not start threads of their own.
        split_every : int
            Results merged per node of the tree.

        Returns
        -------
        list
            One result per metric, of the class it returns in memory.

        Raises
        ------
        EventLogError
            The data was claimed bucketed but some entity is in more than one partition.
        InvalidParameterError
            A metric is not a function, or its result has no ``merge``.
        """
        dask = import_optional("dask", "dask", purpose="DaskLog.compute")
        if not metrics:
            raise InvalidParameterError("compute needs at least one metric",
                                        parameter="metrics", value=metrics)
        for i, metric in enumerate(metrics):
            if not callable(metric):
                raise InvalidParameterError(
                    f"The metrics of DaskLog.compute must be functions of an EventLog; got "
                    f"{metric!r} (metric {i}).", parameter="metrics", value=metric)
        split_every = check_int("split_every", split_every, where="DaskLog.compute", low=2)
        delayed = dask.delayed
        parts = self.frame.to_delayed()
        level = [delayed(_run_partition, pure=True)(p, self.funnel, self.read, metrics,
                                                    self.check, self.buckets)
                 for p in parts]
        while len(level) > 1:
            level = [delayed(_merge_many, pure=True)(level[i:i + split_every])
                     for i in range(0, len(level), split_every)]
        (results, digest), = dask.compute(level[0])
        if digest is not None and digest.shared:
            what = "buckets" if self.check == "buckets" else "entities"
            raise EventLogError(
                f"{digest.shared:,} {what} are in more than one partition; the data was "
                "taken as bucketed by entity but is not (results would count them "
                "twice). Shuffle it (bucketed=False) or write it with write_bucketed.",
                count=digest.shared)
        return list(results)

    def run(self, metric: Callable[..., Any], /, **options: Any) -> Any:
        """One metric over the log: ``metric(part, **options)`` on every partition,
        merged.

        Examples
        --------
        ``dlog.run(metrics.conversion, semantic="entered")`` gives the
        :class:`~salesfunnel.metrics.Conversion` of the whole log.
        """
        if not callable(metric):
            raise invalid("metric", metric, "a function of an EventLog", where="DaskLog.run")

        def call(log: EventLog) -> Any:
            return metric(log, **options)

        return self.compute(call)[0]


def _merge_many(items: Sequence[tuple[tuple[Any, ...], _Digest | None]]
                ) -> tuple[tuple[Any, ...], _Digest | None]:
    """One node of the reduction tree: each metric's results merged (in one pass
    where the result class can, see ``tree_merge``), and the digests."""
    results = tuple(tree_merge(list(same)) for same in zip(*(r for r, _ in items),
                                                          strict=True))
    digests = [d for _, d in items]
    if any(d is None for d in digests):
        return results, None
    digest: _Digest = tree_merge(digests)
    return results, digest


def _read_options(funnel: Funnel, frame: Any, what: str, *, segments: Any,
                  **options: Any) -> dict[str, Any]:
    """The options every partition's log is read with, checked here on the frame's
    columns and on its empty ``_meta`` (the funnel, ``unit``, ``stage_map``, ...), so a
    mistake is reported now, not by every worker at compute time."""
    columns = _Columns.of(options["entity"], options["stage"], options["ts"],
                          options["amount"], segments, options["probability"],
                          options["forecast_category"])
    columns.check(list(frame.columns), what)
    read = {**options, "segments": columns.segments}
    EventLog.from_pandas(funnel, frame._meta, **read)
    return read


def _read_parquet(path: Any, where: str, **options: Any) -> Any:
    try:
        return _dd().read_parquet(os.fspath(path), **options)
    except (OSError, ValueError) as exc:
        # dask wraps the reader's message: "An error occurred ...\nOriginal Message: ..."
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        reason = reason.removeprefix("Original Message: ")
        raise invalid("path", path, f"a directory of Parquet files or a glob ({reason})",
                      where=where) from None


def _dataset_fs(path: str | os.PathLike[str]) -> tuple[Any, str]:
    """The file system of the dataset at ``path`` (local, S3, ... through fsspec) and the
    dataset's directory on it (its :data:`META_FILE` is ``f"{root}/{META_FILE}"``)."""
    fsspec = import_optional("fsspec", "dask", purpose="salesfunnel.dask")
    fs, root = fsspec.core.url_to_fs(os.fspath(path))
    return fs, root.rstrip("/")


def _bucketing(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The bucketing :func:`write_bucketed` recorded next to the dataset at ``path``, or
    ``None`` when there is none."""
    fs, root = _dataset_fs(path)
    where = f"{root}/{META_FILE}"
    meta_path = f"{os.fspath(path).rstrip('/')}/{META_FILE}"  # as the caller named it
    try:
        if not fs.isfile(where):
            return None
        with fs.open(where, "r", encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{meta_path}: not readable JSON ({exc}); expected the file "
                             "write_bucketed writes") from None
    buckets = meta.get("buckets") if isinstance(meta, dict) else None
    if not (isinstance(buckets, int) and not isinstance(buckets, bool) and buckets >= 1):
        raise InputFileError(f"{meta_path}: expected the file write_bucketed writes (an "
                             f"object with a positive integer 'buckets'); got {meta!r:.80}")
    out: dict[str, Any] = meta
    return out


def write_bucketed(frame: Any, path: str | os.PathLike[str], *, entity: str = "entity",
                   buckets: int | None = None, overwrite: bool = False) -> None:
    """Write a Dask DataFrame as a Parquet dataset bucketed by entity, once, so that
    :meth:`DaskLog.from_parquet` reads it later without a shuffle.

    Every row gets :data:`BUCKET_COLUMN` (the hash of its entity id scaled to ``buckets``);
    one shuffle puts bucket ``b`` in partition ``b``, written as one file (so the files
    are about equal: the hash spreads the entities evenly); a small JSON file next to
    the data records the bucketing (on the dataset's own file system: local, S3, ...).
    When the write fails or is interrupted (Ctrl-C), what it wrote into a new or empty
    directory is removed.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
    path : path
        Target directory (local or any fsspec URL dask can write).
    entity : str
        The entity id column.
    buckets : int, optional
        Number of buckets (default: the frame's partitions; at most ``2**20``).
    overwrite : bool
        Replace what ``path`` holds. Without it a directory that is not empty is
        refused: files left from an earlier write would join the dataset.

    Raises
    ------
    InvalidParameterError
        ``frame`` is not a Dask DataFrame, a bad ``buckets`` or ``path``, or ``path`` is
        a directory that is not empty (without ``overwrite``).
    EventLogError
        The entity column is not in ``frame``.
    """
    dd = _dd()
    where = "write_bucketed"
    if not isinstance(frame, dd.DataFrame):
        raise invalid("frame", frame, "a dask.dataframe.DataFrame", where=where)
    if not isinstance(path, str | os.PathLike):
        raise invalid("path", path, "a directory path or URL", where=where)
    check_bool("overwrite", overwrite, where=where)
    if entity not in list(frame.columns):
        raise EventLogError(
            f"columns [{entity!r}] are not in the frame; its columns are "
            f"{', '.join(repr(c) for c in frame.columns)}", count=1, examples=[entity])
    n = frame.npartitions if buckets is None else check_parts("buckets", buckets, where)
    target = os.fspath(path)
    fs, where_on_fs = _dataset_fs(target)
    existed = bool(fs.exists(where_on_fs))
    ours = not existed or (fs.isdir(where_on_fs) and not fs.ls(where_on_fs, detail=False))
    if not overwrite and not ours:
        raise invalid("path", path, "a new or empty directory (or pass overwrite=True)",
                      where=where)

    def label(part: Any) -> Any:
        out = part.copy()
        out[BUCKET_COLUMN] = bucket_of(part[entity].to_numpy(), n)
        out[_PLACE] = out[BUCKET_COLUMN]
        return out

    meta = frame._meta.copy()
    meta[BUCKET_COLUMN] = np.zeros(0, dtype=np.int64)
    meta[_PLACE] = np.zeros(0, dtype=np.int64)
    labelled = frame.map_partitions(label, meta=meta)
    # Bucket b goes to partition (and file) b: the divisions 0, 1, ..., n place each
    # bucket number on its own. A shuffle on the bucket column would hash the numbers
    # instead, and hashing n small numbers into n partitions leaves some empty and
    # others with two or three buckets (measured: files of 0 and 3 buckets out of 16).
    placed = labelled.set_index(_PLACE, divisions=list(range(n + 1)),
                                shuffle_method=_shuffle_method())
    try:
        placed.to_parquet(target, write_index=False, overwrite=overwrite)
        _write_meta(fs, f"{where_on_fs}/{META_FILE}",
                    {"hash": _HASH, "entity": entity, "buckets": n})
    except BaseException:
        # an error or Ctrl-C: what was written into a new or empty directory is removed
        # (a directory that held data before is left to the caller: it may be theirs)
        if ours:
            _remove_written(fs, where_on_fs, existed)
        raise


def _write_meta(fs: Any, where: str, meta: Mapping[str, Any]) -> None:
    """Record the bucketing next to the data (on the dataset's file system)."""
    with fs.open(where, "w", encoding="utf-8") as handle:
        json.dump(meta, handle)


def _remove_written(fs: Any, where: str, existed: bool) -> None:
    """Remove what an interrupted :func:`write_bucketed` wrote into ``where``: the
    directory itself when it made it, else everything in it (it was empty before)."""
    with contextlib.suppress(Exception):
        fs.invalidate_cache(where)
        if not existed:
            if fs.exists(where):
                fs.rm(where, recursive=True)
            return
        for child in fs.ls(where, detail=False):
            fs.rm(child, recursive=True)
