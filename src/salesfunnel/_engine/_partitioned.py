"""A log split by entity into partitions that are built, computed and merged apart."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, TypeVar

import attrs
import numpy as np

from salesfunnel._engine._hash import bucket_dtype, bucket_of, hash_arrow_text, scale_hash
from salesfunnel._engine._options import resolve_workers
from salesfunnel._engine._pool import parallel_map, tree_merge
from salesfunnel._engine._progress import Progress
from salesfunnel._engine._split import group_rows, rows_of, split_log
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import Naive, Unit, coarse_ns
from salesfunnel._util._validate import check_bool, check_instance, check_int, invalid
from salesfunnel.errors import EventLogError, InputFileError, InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.events._convert import Factorized, as_array
from salesfunnel.events._factorize import RowKeys
from salesfunnel.events._sources import _Columns, _segment_names
from salesfunnel.events._sources import from_arrow as arrow_source
from salesfunnel.model import Funnel

__all__ = ["MAX_PARTS", "PartitionedLog", "SpilledPart", "check_parts", "default_parts"]

R = TypeVar("R")

#: Rows per part a log is split into by the metrics' ``workers=`` when no parts are given.
MIN_PART_EVENTS = 200_000
#: Most partitions (or Dask buckets) a log is split into: each is a log of its own, and
#: the entity hash spreads ids over at most ``2**32 - 1`` of them.
MAX_PARTS = 2**20


def default_parts(workers: int) -> int:
    """Partitions for ``workers`` threads when none are asked for: two per thread (one
    for a single thread). Parts half the size sort in the caches better, and a thread
    whose part is in a step that holds the GIL leaves the core to another: on two cores,
    5.2 M events end to end took 0.59 s (median of five) in four parts against 0.74 s
    in two (0.96 s on one thread).

    Examples
    --------
    >>> default_parts(1), default_parts(4)
    (1, 8)
    """
    return 1 if workers <= 1 else min(2 * workers, MAX_PARTS)


def check_parts(name: str, value: Any, where: str) -> int:
    """A number of partitions: an integer in ``[1, MAX_PARTS]``."""
    return check_int(name, value, where=where, low=1, high=MAX_PARTS)


@attrs.frozen
class SpilledPart:
    """One partition written to disk (an Arrow IPC file), loaded on demand.

    Attributes
    ----------
    path : str
        The IPC file.
    events : int
        Rows in it.
    """

    path: str
    events: int
    _read: Mapping[str, Any] = attrs.field(repr=False)

    def load(self, funnel: Funnel) -> EventLog:
        """The part as an :class:`~salesfunnel.EventLog`."""
        pa = import_optional("pyarrow", "arrow", purpose="reading a spilled partition")
        try:
            with pa.memory_map(self.path) as source:
                table = pa.ipc.open_file(source).read_all()
        except FileNotFoundError:
            raise InputFileError(
                f"{self.path}: the spilled partition is gone (removed by "
                "PartitionedLog.close() or from outside); expected the file written by "
                "PartitionedLog.from_parquet: read the dataset again") from None
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputFileError(
                f"{self.path}: not a readable spilled partition ({exc}); expected the "
                "Arrow file written by PartitionedLog.from_parquet") from None
        log = EventLog.from_arrow(funnel, table, **self._read)
        del table
        return log


def _as_parts(parts: Iterable[EventLog | SpilledPart]) -> tuple[EventLog | SpilledPart, ...]:
    expected = "a non-empty sequence of EventLog or SpilledPart"
    try:
        out = tuple(parts)
    except TypeError:
        raise invalid("parts", parts, expected, where="PartitionedLog") from None
    if not out or not all(isinstance(p, EventLog | SpilledPart) for p in out):
        raise invalid("parts", parts, expected, where="PartitionedLog")
    return out


def _load(part: EventLog | SpilledPart, funnel: Funnel) -> EventLog:
    return part if isinstance(part, EventLog) else part.load(funnel)


@attrs.frozen(eq=False, repr=False)
class PartitionedLog:
    """An event log split by entity into parts that are built and computed in parallel.

    Every entity's events are in exactly one part (the part is a hash of the entity id),
    so every metric computed per part merges exactly into the result over the whole:
    the metrics accept a ``PartitionedLog`` wherever they accept an
    :class:`~salesfunnel.EventLog` and return the same result, for every number of
    parts and workers. Parts live in memory, or on disk for datasets larger than
    memory (:meth:`from_parquet`; then only ``workers`` parts are loaded at a time).

    Attributes
    ----------
    funnel : Funnel
        The funnel of every part.
    parts : tuple of EventLog or SpilledPart
        The partitions.
    dropped : int
        Rows dropped as invalid (``on_invalid="drop"``) over all parts.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, PartitionedLog, Stage, metrics
    >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    >>> plog = PartitionedLog.from_arrays(f, entity=["a", "a", "b", "c"], stage=[0, 1, 0, 0],
    ...                                   ts=[0, 5, 1, 2], unit="D", parts=2, workers=2)
    >>> plog
    <PartitionedLog 'f': 4 events in 2 parts>
    >>> metrics.conversion(plog, workers=2).counts
    (3, 1)
    """

    funnel: Funnel
    parts: tuple[EventLog | SpilledPart, ...] = attrs.field(converter=_as_parts)
    dropped: int = 0
    _directory: str | None = attrs.field(default=None, kw_only=True)
    _finalizer: Any = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        if self._directory is not None:  # first: removed even if a check below fails
            object.__setattr__(self, "_finalizer", weakref.finalize(
                self, shutil.rmtree, self._directory, ignore_errors=True))
        check_instance("funnel", self.funnel, Funnel, where="PartitionedLog")
        for i, part in enumerate(self.parts):
            if isinstance(part, EventLog) and part.funnel is not self.funnel \
                    and part.funnel != self.funnel:
                raise InvalidParameterError(
                    f"The 'parts' parameter of PartitionedLog must be logs of funnel "
                    f"{self.funnel.name!r}; got part {i} of funnel {part.funnel.name!r}.",
                    parameter="parts", value=part)

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def from_log(cls, log: EventLog, *, parts: int, workers: int | None = None
                 ) -> PartitionedLog:
        """Split a built log into ``parts`` partitions by the hash of the entity ids.

        Parameters
        ----------
        log : EventLog
        parts : int
            Number of partitions (>= 1; some may be empty).
        workers : int, optional
            Threads cutting the parts (default: the library option).

        Returns
        -------
        PartitionedLog

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, PartitionedLog, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=[1, 2, 3], stage=[0, 0, 1], ts=[0, 0, 0],
        ...                            unit="s")
        >>> sum(p.n_entities for p in PartitionedLog.from_log(log, parts=2).parts)
        3
        """
        log = check_instance("log", log, EventLog, where="PartitionedLog.from_log",
                             expected="an EventLog")
        n = check_parts("parts", parts, "PartitionedLog.from_log")
        n_workers = resolve_workers(workers, where="PartitionedLog.from_log")
        return cls(log.funnel, split_log(log, n, workers=n_workers), log.dropped)

    @classmethod
    def from_arrays(
        cls,
        funnel: Funnel,
        *,
        entity: Any,
        stage: Any,
        ts: Any,
        amount: Any = None,
        segments: Mapping[str, Any] | None = None,
        unit: Unit | None = None,
        on_invalid: Literal["raise", "drop"] = "raise",
        naive: Naive = "raise",
        stage_map: Mapping[str, str] | None = None,
        probability: Any = None,
        forecast_category: Any = None,
        parts: int | None = None,
        workers: int | None = None,
        progress: bool = False,
    ) -> PartitionedLog:
        """Build a partitioned log from columns: rows are routed by the hash of their
        entity id, then every part is converted, factorized and (later) sorted on its
        own thread.

        Parameters
        ----------
        funnel, entity, stage, ts, amount, segments, unit, on_invalid, naive
        stage_map, probability, forecast_category
            As in :meth:`EventLog.from_arrays`. With ``on_invalid="raise"`` the error
            names the invalid rows of the first part that has some.
        parts : int, optional
            Number of partitions (default: two per thread, one for a single thread).
        workers : int, optional
            Threads (default: the library option, see :func:`salesfunnel.set_options`).
        progress : bool
            Show a progress bar on stderr (on a terminal, for work over a few seconds).

        Returns
        -------
        PartitionedLog

        Examples
        --------
        >>> from salesfunnel import Funnel, PartitionedLog, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> p = PartitionedLog.from_arrays(f, entity=[5, 6, 5], stage=["lead", "lead", "won"],
        ...                                ts=[0, 1, 2], unit="s", parts=3, workers=1)
        >>> len(p), p.n_parts, p.n_entities
        (3, 3, 2)
        """
        where = "PartitionedLog.from_arrays"
        n_workers = resolve_workers(workers, where=where)
        n = default_parts(n_workers) if parts is None else check_parts("parts", parts, where)
        check_bool("progress", progress, where=where)
        ent = as_array(entity, "entity")
        # peak memory: only the narrow copy rows_of keeps outlives this line
        part_rows = rows_of(bucket_of(ent, n, workers=n_workers, dtype=bucket_dtype(n)), n)
        return cls._build(funnel, part_rows, n, n_workers, progress, dict(
            entity=ent, stage=stage, ts=ts, amount=amount, segments=segments,
            probability=probability, forecast_category=forecast_category),
            dict(unit=unit, on_invalid=on_invalid, naive=naive, stage_map=stage_map))

    @classmethod
    def _build(cls, funnel: Funnel, part_rows: Callable[[int], Any], n: int, workers: int,
               progress: bool, columns: dict[str, Any], options: Any) -> PartitionedLog:
        segs = columns.pop("segments") or {}
        if not isinstance(segs, Mapping):
            raise InvalidParameterError(
                f"segments must be a mapping of column name to values; got "
                f"{type(segs).__name__}", parameter="segments", value=segs)
        cols = {k: None if v is None else as_array(v, k) for k, v in columns.items()}
        seg_cols = {k: as_array(v, k) for k, v in segs.items()}
        lengths = {len(v) for v in (*cols.values(), *seg_cols.values()) if v is not None}
        if len(lengths) > 1:
            raise EventLogError(f"columns have different lengths ({sorted(lengths)}); "
                                "expected equal", count=len(lengths))

        def build(p: int) -> EventLog:
            rows = part_rows(p)
            taken: Any = {k: None if v is None else v[rows] for k, v in cols.items()}
            part_segs = {k: v[rows] for k, v in seg_cols.items()}
            del rows  # peak memory: the part is built from its own columns only
            taken["ts"] = _ns_times(taken["ts"])
            return EventLog.from_arrays(funnel, segments=part_segs, **taken, **options)

        built = parallel_map(build, range(n), workers, progress=progress,
                             label="building the log")
        return cls(funnel, built, sum(p.dropped for p in built))

    @classmethod
    def from_arrow(
        cls,
        funnel: Funnel,
        table: Any,
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
        parts: int | None = None,
        workers: int | None = None,
        progress: bool = False,
    ) -> PartitionedLog:
        """Build a partitioned log from a :class:`pyarrow.Table` (``arrow`` extra):
        rows are routed by entity and every part is built from Arrow on its own thread.

        Parameters are those of :meth:`EventLog.from_arrow` and :meth:`from_arrays`.

        Returns
        -------
        PartitionedLog

        Examples
        --------
        >>> import pyarrow as pa
        >>> from salesfunnel import Funnel, PartitionedLog, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> t = pa.table({"entity": ["x", "y", "x"], "stage": [0, 0, 1], "ts": [0, 1, 2]})
        >>> PartitionedLog.from_arrow(f, t, unit="D", parts=2, workers=1).n_entities
        2
        """
        pa = import_optional("pyarrow", "arrow", purpose="PartitionedLog.from_arrow")
        where = "PartitionedLog.from_arrow"
        check_instance("table", table, pa.Table, where=where, expected="a pyarrow.Table")
        n_workers = resolve_workers(workers, where=where)
        n = default_parts(n_workers) if parts is None else check_parts("parts", parts, where)
        check_bool("progress", progress, where=where)
        _Columns.of(entity, stage, ts, amount, segments, probability,
                    forecast_category).check(table.column_names, "table")
        table = _without_views(pa, table)
        read: Any = dict(entity=entity, stage=stage, ts=ts, amount=amount,
                         segments=_segment_names(segments), unit=unit, on_invalid=on_invalid,
                         naive=naive, stage_map=stage_map, probability=probability,
                         forecast_category=forecast_category)
        # Text ids: one integer key per row, made once; each part factorizes its rows'
        # keys, so no part copies the text (Arrow's take of strings cost as much as the
        # factorizing it spread), and rows are routed by a hash of those keys (hashing
        # the text cost 3x more)
        others = {stage, ts, amount, probability, forecast_category, *read["segments"]}
        keys = None if entity in others else RowKeys.of(pa, table.column(entity))
        rest = table if keys is None else table.drop_columns([entity])
        part_rows = rows_of(_arrow_bucket(pa, table.column(entity), n) if keys is None
                            else bucket_of(keys.keys, n, workers=n_workers,
                                           dtype=bucket_dtype(n)), n)

        def build(p: int) -> EventLog:
            rows = part_rows(p)
            part = rest.take(pa.array(rows))
            if keys is None:
                return EventLog.from_arrow(funnel, part, **read)
            return arrow_source(EventLog, funnel, part, ids=Factorized(*keys.codes(rows)),
                                **read)

        built = parallel_map(build, range(n), n_workers, progress=progress,
                             label="building the log")
        return cls(funnel, built, sum(p.dropped for p in built))

    @classmethod
    def from_parquet(
        cls,
        funnel: Funnel,
        source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
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
        parts: int | None = None,
        batch_rows: int = 262_144,
        spill_dir: str | os.PathLike[str] | None = None,
        progress: bool = False,
    ) -> PartitionedLog:
        """Read a Parquet dataset larger than memory: batch by batch, each row routed to
        its entity partition on disk (``arrow`` extra).

        Memory stays bounded by a batch plus the parts being computed (``workers`` at a
        time, each about ``rows / parts`` events): choose ``parts`` so that a part fits
        comfortably. The partitions are Arrow IPC files in a temporary directory,
        removed by :meth:`close`, at the end of a ``with`` block, when the object is
        garbage collected, or when reading is interrupted (Ctrl-C).

        Parameters
        ----------
        funnel, entity, stage, ts, amount, segments, unit, on_invalid, naive
        stage_map, probability, forecast_category
            As in :meth:`EventLog.from_arrow`.
        source : path or list of paths
            A Parquet file, a directory of Parquet files (a dataset) or a list of files.
        parts : int, optional
            Number of partitions (default: one per about 2 million rows).
        batch_rows : int
            Rows read at a time.
        spill_dir : path, optional
            Where the temporary directory goes (default: the system's temp directory).
        progress : bool
            Show a progress bar on stderr (on a terminal, for work over a few seconds).

        Returns
        -------
        PartitionedLog

        Examples
        --------
        >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
        >>> from salesfunnel import Funnel, PartitionedLog, Stage, metrics
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> d = tempfile.mkdtemp()
        >>> pq.write_table(pa.table({"entity": [1, 1, 2], "stage": [0, 1, 0], "ts": [0, 3, 1]}),
        ...                os.path.join(d, "a.parquet"))
        >>> with PartitionedLog.from_parquet(f, d, unit="D", parts=2) as plog:
        ...     metrics.conversion(plog).counts
        (2, 1)
        """
        pa = import_optional("pyarrow", "arrow", purpose="PartitionedLog.from_parquet")
        ds = import_optional("pyarrow.dataset", "arrow", purpose="PartitionedLog.from_parquet")
        where = "PartitionedLog.from_parquet"
        batch_rows = check_int("batch_rows", batch_rows, where=where, low=1)
        check_bool("progress", progress, where=where)
        expected = "a Parquet file, a directory of them or a list of files"
        items: list[Any] = list(source) if isinstance(source, list | tuple) else [source]
        if not all(isinstance(x, str | os.PathLike) for x in items):
            raise invalid("source", source, expected, where=where)
        paths: Any = ([os.fspath(x) for x in items] if isinstance(source, list | tuple)
                      else os.fspath(items[0]))
        if spill_dir is not None and not (isinstance(spill_dir, str | os.PathLike)
                                          and os.path.isdir(spill_dir)):
            raise invalid("spill_dir", spill_dir, "an existing directory or None", where=where)
        if parts is not None:
            parts = check_parts("parts", parts, where)
        try:
            dataset = ds.dataset(paths, format="parquet")
        except (FileNotFoundError, pa.ArrowInvalid) as exc:
            raise InvalidParameterError(
                f"The 'source' parameter of {where} must be {expected}; got {source!r} "
                f"({exc})", parameter="source", value=source) from None
        if not dataset.files:
            raise invalid("source", source, f"{expected} (it holds no Parquet file)",
                          where=where)
        columns = _Columns.of(entity, stage, ts, amount, segments, probability,
                              forecast_category)
        names = list(dict.fromkeys(columns.all))  # a segment may be the entity column
        schema, total = _common_schema(pa, dataset, names)
        read: Any = dict(entity=entity, stage=stage, ts=ts, amount=amount,
                          segments=columns.segments, unit=unit, on_invalid=on_invalid, naive=naive,
                          stage_map=stage_map, probability=probability,
                          forecast_category=forecast_category)
        # the funnel and the options, checked on no rows before anything is written
        EventLog.from_arrow(funnel, schema.empty_table(), **read)
        n = min(max(1, -(-total // 2_000_000)), MAX_PARTS) if parts is None else parts
        writers: list[Any] = [None] * n
        directory = tempfile.mkdtemp(prefix="salesfunnel-", dir=spill_dir)
        try:
            counts = [0] * n
            with Progress(total, "reading Parquet", progress) as bar:
                for path, batch in _batches(dataset, names, batch_rows):
                    table = _cast(pa, pa.Table.from_batches([batch]).select(names), schema,
                                  path)
                    bucket = _arrow_bucket(pa, table.column(entity), n)
                    order, bounds = group_rows(bucket, n)
                    for p in range(n):
                        if bounds[p + 1] == bounds[p]:
                            continue
                        piece = table.take(pa.array(order[bounds[p]:bounds[p + 1]]))
                        if writers[p] is None:
                            writers[p] = pa.ipc.new_file(
                                os.path.join(directory, f"part-{p:05d}.arrow"), schema)
                        writers[p].write_table(piece)
                        counts[p] += piece.num_rows
                    bar.advance(batch.num_rows)
            for p in range(n):
                if writers[p] is None:  # an empty part: an empty file of the same schema
                    writers[p] = pa.ipc.new_file(os.path.join(directory, f"part-{p:05d}.arrow"),
                                                 schema)
                writers[p].close()
        except BaseException:
            for w in writers:
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()
            shutil.rmtree(directory, ignore_errors=True)
            raise
        spilled = [SpilledPart(os.path.join(directory, f"part-{p:05d}.arrow"), counts[p], read)
                   for p in range(n)]
        return cls(funnel, spilled, 0, directory=directory)

    # -- protocol ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return sum(len(p) if isinstance(p, EventLog) else p.events for p in self.parts)

    @property
    def n_parts(self) -> int:
        """Number of partitions."""
        return len(self.parts)

    @property
    def n_entities(self) -> int:
        """Distinct entities over all parts (loads spilled parts)."""
        return sum(_load(p, self.funnel).n_entities for p in self.parts)

    def __repr__(self) -> str:
        n = len(self)
        where = " on disk" if self._directory is not None else ""
        return (f"<PartitionedLog {self.funnel.name!r}: {n:,} event{'s' * (n != 1)} in "
                f"{self.n_parts} part{'s' * (self.n_parts != 1)}{where}>")

    def load(self, i: int) -> EventLog:
        """Part ``i`` as an :class:`~salesfunnel.EventLog` (read from disk if spilled)."""
        i = check_int("i", i, where="PartitionedLog.load", low=0, high=self.n_parts - 1)
        return _load(self.parts[i], self.funnel)

    def map(self, fn: Callable[[EventLog], R], *, workers: int | None = None,
            progress: bool = False, label: str = "computing") -> list[R]:
        """``[fn(part) for part in parts]`` on ``workers`` threads, in part order.

        Examples
        --------
        >>> from salesfunnel import Funnel, PartitionedLog, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> p = PartitionedLog.from_arrays(f, entity=[1, 2, 3], stage=[0, 0, 0],
        ...                                ts=[0, 0, 0], unit="s", parts=2, workers=1)
        >>> sum(p.map(len))
        3
        """
        n = self._run_options(fn, workers, progress, label, "PartitionedLog.map")
        funnel = self.funnel
        return parallel_map(lambda part: fn(_load(part, funnel)), self.parts, n,
                            progress=progress, label=label)

    def reduce(self, fn: Callable[[EventLog], R], *, workers: int | None = None,
               progress: bool = False, label: str = "computing") -> R:
        """``fn`` on every part, the results merged (``a.merge(b)``) as they come, in
        part order: the parts are taken ``max(8, 2 * workers)`` at a time (a thread
        moves on to the next part of the batch as soon as it is free), and each batch's
        results are merged into the running total in one pass, so at most one batch of
        partial results and the total are held at a time: the memory of a reduction
        over many parts stays bounded.

        Examples
        --------
        >>> from salesfunnel import Funnel, PartitionedLog, Stage, metrics
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> p = PartitionedLog.from_arrays(f, entity=[1, 2, 2], stage=[0, 0, 1],
        ...                                ts=[0, 0, 1], unit="s", parts=2, workers=1)
        >>> p.reduce(metrics.conversion).counts
        (2, 1)
        """
        n = self._run_options(fn, workers, progress, label, "PartitionedLog.reduce")
        funnel = self.funnel
        total: Any = None
        batch = max(8, 2 * n)
        with Progress(len(self.parts), label, progress) as bar:

            def one(part: EventLog | SpilledPart) -> Any:
                result = fn(_load(part, funnel))
                bar.advance()
                return result

            for start in range(0, len(self.parts), batch):
                results = parallel_map(one, self.parts[start:start + batch], n)
                for i, result in enumerate(results, start):
                    if not callable(getattr(result, "merge", None)):
                        raise InvalidParameterError(
                            f"The 'fn' parameter of PartitionedLog.reduce must return "
                            f"results that merge (a metric result, with a merge method); "
                            f"got {type(result).__name__} {result!r:.60} from part {i}.",
                            parameter="fn", value=fn)
                total = tree_merge(results if total is None else [total, *results],
                                   workers=n)
                del results
        out: R = total
        return out

    @staticmethod
    def _run_options(fn: Any, workers: int | None, progress: Any, label: Any,
                     where: str) -> int:
        """The checked arguments of :meth:`map` and :meth:`reduce`: the threads."""
        if not callable(fn):
            raise invalid("fn", fn, "a function of an EventLog", where=where)
        check_bool("progress", progress, where=where)
        check_instance("label", label, str, where=where)
        return resolve_workers(workers, where=where)

    def to_logs(self) -> list[EventLog]:
        """Every part as an :class:`~salesfunnel.EventLog` (loads spilled parts)."""
        return [_load(p, self.funnel) for p in self.parts]

    def close(self) -> None:
        """Remove the spilled partitions from disk (nothing to do for parts in memory)."""
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> PartitionedLog:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _batches(dataset: Any, columns: list[str], batch_rows: int) -> Iterable[Any]:
    """``(file, batch)``: the dataset's rows in batches, one row group of one file read at
    a time (no read-ahead, no pre-buffering of whole files: memory stays bounded)."""
    pa = import_optional("pyarrow", "arrow", purpose="PartitionedLog.from_parquet")
    pq = import_optional("pyarrow.parquet", "arrow", purpose="PartitionedLog.from_parquet")
    for path in dataset.files:
        try:
            with pq.ParquetFile(dataset.filesystem.open_input_file(path), pre_buffer=False,
                                buffer_size=1 << 20) as handle:
                for batch in handle.iter_batches(batch_size=batch_rows, columns=columns,
                                                 use_threads=False):
                    yield path, batch
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from None


def _common_schema(pa: Any, dataset: Any, names: list[str]) -> tuple[Any, int]:
    """The schema of ``names`` that every file of ``dataset`` casts to (types widened as
    Arrow promotes them: int32 and int64 give int64), and the number of rows; read from
    the files' footers. The error names a file that is not Parquet
    (:class:`InputFileError`), lacks a column (:class:`EventLogError`) or holds a column
    of a type no other file's can be joined with (:class:`InputFileError`)."""
    pq = import_optional("pyarrow.parquet", "arrow", purpose="PartitionedLog.from_parquet")
    common: Any = None
    first = ""
    rows = 0
    for path in dataset.files:
        try:
            with pq.ParquetFile(dataset.filesystem.open_input_file(path)) as handle:
                schema, count = handle.schema_arrow, handle.metadata.num_rows
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from None
        missing = [c for c in names if c not in schema.names]
        if missing:
            raise EventLogError(
                f"columns {missing} are not in the file {path}; its columns are "
                f"{', '.join(repr(c) for c in schema.names)}",
                count=len(missing), examples=missing)
        own = pa.schema([schema.field(c) for c in names])
        rows += count
        if common is None:
            common, first = own, path
            continue
        try:
            common = pa.unify_schemas([common, own], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            name = next(c for c in names if not _joinable(pa, common.field(c), own.field(c)))
            raise InputFileError(
                f"{path}: column {name!r} is {own.field(name).type}, but {first} has "
                f"{common.field(name).type}; expected one type per column in every "
                "file") from None
    return common.remove_metadata(), rows


def _joinable(pa: Any, a: Any, b: Any) -> bool:
    try:
        pa.unify_schemas([pa.schema([a]), pa.schema([b])], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False
    return True


def _cast(pa: Any, table: Any, schema: Any, path: str) -> Any:
    """``table`` (a batch of ``path``) in the common schema of the dataset."""
    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputFileError(f"{path}: a column does not convert to the type the other "
                             f"files give it ({exc}); expected one type per column in "
                             "every file") from None


def _without_views(pa: Any, table: Any) -> Any:
    """``table`` with its ``string_view`` / ``binary_view`` columns as ``large_string``
    / ``large_binary`` (Arrow has no ``take`` of the view types)."""
    is_string_view = getattr(pa.types, "is_string_view", None)  # pyarrow >= 16
    if is_string_view is None:
        return table
    for i, field in enumerate(table.schema):
        if is_string_view(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.large_string()))
        elif pa.types.is_binary_view(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.large_binary()))
    return table


def _arrow_bucket(pa: Any, column: Any, n: int) -> Any:
    """The partition of every row from an Arrow column of entity ids."""
    typ = column.type
    if pa.types.is_dictionary(typ):
        column = column.cast(typ.value_type)
        typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return scale_hash(hash_arrow_text(column), n)
    values = column.to_numpy()
    return bucket_of(values, n)


def _ns_times(values: Any) -> Any:
    """A part's times in a coarser ``datetime64`` unit as ``datetime64[ns]`` when every
    one is representable, so the coarse copy is freed before the log is built (peak
    memory; the log would convert them anyway); anything else unchanged, for the log's
    own checks and messages."""
    if type(values) is not np.ndarray or values.dtype.kind != "M" or values.ndim != 1:
        return values
    fast = coarse_ns(values)  # a multiply lets the other parts' threads run
    return values if fast is None else fast.view("datetime64[ns]")
