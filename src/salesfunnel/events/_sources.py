"""Sources of event logs: the ``EventLog.from_*`` constructors (columns, records,
journeys, pandas, polars and arrow frames), all ending in :func:`from_arrays`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import check_naive, check_unit
from salesfunnel.errors import EventLogError, InvalidParameterError
from salesfunnel.events._arrow import arrow_columns
from salesfunnel.events._convert import (
    Factorized,
    Problems,
    as_array,
    check_on_invalid,
    check_stage_map,
    convert_amount,
    convert_probability,
    convert_segment,
    convert_stage,
    convert_ts,
    stage_dtype,
)
from salesfunnel.events._factorize import (
    factorize_int,
    factorize_objects,
    factorize_text,
    missing_mask,
    object_array,
    text_array,
)
from salesfunnel.events._segment import Segment
from salesfunnel.model._funnel import Funnel
from salesfunnel.model._journey import Journey

if TYPE_CHECKING:  # pragma: no cover
    from salesfunnel.events._log import EventLog

__all__ = ["FORECAST_CATEGORY", "from_arrays", "from_arrow", "from_journeys", "from_pandas",
           "from_polars", "from_records", "from_sql"]


FORECAST_CATEGORY = "forecast_category"
"""The segment column that holds the ``forecast_category`` of every event."""


def from_arrays(cls: type[EventLog], funnel: Funnel, *, entity: Any, stage: Any, ts: Any,
                amount: Any, segments: Mapping[str, Any] | None, unit: Any, on_invalid: Any,
                naive: Any, stage_map: Any = None, probability: Any = None,
                forecast_category: Any = None) -> EventLog:
    """:meth:`EventLog.from_arrays`."""
    check_on_invalid(on_invalid)
    check_unit(unit)
    check_naive(naive)
    if not isinstance(funnel, Funnel):
        raise InvalidParameterError(
            f"funnel must be a Funnel; got {type(funnel).__name__}",
            parameter="funnel", value=funnel,
        )
    mapping = check_stage_map(funnel, stage_map)
    ent: Any = entity if isinstance(entity, Factorized) else as_array(entity, "entity")
    if not isinstance(ent, Factorized) and ent.dtype.kind == "f" \
            and isinstance(entity, list | tuple) and any(
            isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53 for v in entity):
        # numpy made floats of [2**53 + 1, 2**53, 1.0], merging the first two ids: keep
        # the Python values, which compare exactly.
        ent = object_array(entity)
    stg: Any = stage if isinstance(stage, Factorized) else as_array(stage, "stage")
    tsa = as_array(ts, "ts")
    amt = None if amount is None else as_array(amount, "amount")
    prob = None if probability is None else as_array(probability, "probability")
    if segments is not None and not isinstance(segments, Mapping):
        raise InvalidParameterError(
            f"segments must be a mapping of column name to values; got "
            f"{type(segments).__name__}", parameter="segments", value=segments,
        )
    segs = dict(segments or {})
    if forecast_category is not None:
        if FORECAST_CATEGORY in segs:
            raise InvalidParameterError(
                f"forecast_category is kept as the segment {FORECAST_CATEGORY!r}; got a "
                "segment of that name too", parameter="forecast_category",
                value=FORECAST_CATEGORY,
            )
        segs[FORECAST_CATEGORY] = forecast_category
    lengths = {"entity": len(ent), "stage": len(stg), "ts": len(tsa)}
    if amt is not None:
        lengths["amount"] = len(amt)
    if prob is not None:
        lengths["probability"] = len(prob)
    for name, col in segs.items():
        if not isinstance(name, str):
            raise InvalidParameterError(
                f"segment names must be strings; got {name!r}", parameter="segments",
                value=name,
            )
        try:
            lengths[f"segment {name!r}"] = len(col)
        except TypeError:
            raise EventLogError(
                f"segment column {name!r} must be a one-dimensional array-like (a list, "
                f"numpy array, or pandas/polars/arrow column); got {type(col).__name__}",
                count=1, examples=[col],
            ) from None
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k}: {v}" for k, v in lengths.items())
        raise EventLogError(f"columns have different lengths ({listed}); expected equal",
                            count=len(lengths))
    n = len(ent)
    problems = Problems(n)
    stage_idx = convert_stage(funnel, stg, problems, mapping)
    ts_ns = convert_ts(tsa, unit, naive, problems)
    amount_f = None if amt is None else convert_amount(amt, problems)
    prob_f = None if prob is None else convert_probability(prob, problems)
    if isinstance(ent, Factorized):
        problems.add(ent.missing, "a missing entity id", ent)
        return _finish(cls, funnel, ent, stage_idx, ts_ns, amount_f, prob_f, segs,
                       problems.raise_or_drop(on_invalid))
    if ent.dtype.kind in "iu":
        ent_bad = None
    elif ent.dtype.kind == "f":
        ent_bad = np.isnan(ent)
    elif ent.dtype.kind == "M":
        ent_bad = np.isnat(ent)
    else:
        ent_bad = None
    if ent_bad is not None:
        problems.add(ent_bad, "a missing entity id", ent)
    text = factorize_text(ent) if ent.dtype.kind == "O" else None  # fast path for text ids
    if text is not None:
        problems.add(text[2], "a missing entity id", ent)
    elif ent.dtype.kind == "O":
        problems.add(missing_mask(ent), "a missing entity id", ent)
    keep = problems.raise_or_drop(on_invalid)
    dropped = 0
    if keep is not None:
        dropped = int(n - keep.sum())
        ent = ent[keep]
        stage_idx = stage_idx[keep]
        ts_ns = ts_ns[keep]
        amount_f = None if amount_f is None else amount_f[keep]
        prob_f = None if prob_f is None else prob_f[keep]
    seg_objs: dict[str, Segment] = {}
    for name, col in segs.items():
        seg = convert_segment(name, col)
        if keep is not None:
            seg = Segment(seg.codes[keep], seg.categories)
        seg_objs[name] = seg
    if text is not None:
        # codes of the sorted distinct ids; after dropped rows, re-densify them
        codes = text[0] if keep is None else text[0][keep]
        ids = text_array(text[1])
        if keep is not None:
            codes, present = factorize_int(codes)
            ids = ids[present]
    elif ent.dtype.kind in "iu":
        codes, ids = factorize_int(ent)
    else:
        c, uniques, _ = factorize_objects(ent)
        codes = c
        ids = text_array(uniques) if uniques and all(
            isinstance(u, str) for u in uniques) else object_array(uniques)
        if ent.dtype.kind in "fM" and len(ent):
            ids = np.asarray(uniques, dtype=ent.dtype)
    return cls(
        funnel=funnel,
        entity=np.ascontiguousarray(codes, dtype=np.int64),
        ids=ids,
        stage=stage_idx.astype(stage_dtype(len(funnel.stages))),
        ts=np.ascontiguousarray(ts_ns, dtype=np.int64),
        amount=None if amount_f is None else np.ascontiguousarray(amount_f, np.float64),
        segments=seg_objs,
        n_entities=len(ids),
        dropped=dropped,
        probability=None if prob_f is None else np.ascontiguousarray(prob_f, np.float64),
    )


def _finish(cls: type[EventLog], funnel: Funnel, ent: Factorized, stage_idx: Any, ts_ns: Any,
            amount_f: Any, prob_f: Any, segs: Mapping[str, Any], keep: Any) -> EventLog:
    """The end of :func:`from_arrays` for factorized entity ids (no Python per row)."""
    n = len(ent)
    dropped = 0
    if keep is not None:
        dropped = int(n - keep.sum())
        ent = ent.take(keep)
        stage_idx, ts_ns = stage_idx[keep], ts_ns[keep]
        amount_f = None if amount_f is None else amount_f[keep]
        prob_f = None if prob_f is None else prob_f[keep]
    seg_objs: dict[str, Segment] = {}
    for name, col in segs.items():
        seg = convert_segment(name, col)
        if keep is not None:
            seg = Segment(seg.codes[keep], seg.categories)
        seg_objs[name] = seg
    return cls(
        funnel=funnel,
        entity=np.ascontiguousarray(ent.codes, dtype=np.int64),
        ids=ent.uniques,
        stage=stage_idx.astype(stage_dtype(len(funnel.stages))),
        ts=np.ascontiguousarray(ts_ns, dtype=np.int64),
        amount=None if amount_f is None else np.ascontiguousarray(amount_f, np.float64),
        segments=seg_objs,
        n_entities=len(ent.uniques),
        dropped=dropped,
        probability=None if prob_f is None else np.ascontiguousarray(prob_f, np.float64),
    )


def from_records(cls: type[EventLog], funnel: Funnel, records: Iterable[Mapping[str, Any]], *,
                 entity: str, stage: str, ts: str, amount: str | None,
                 segments: Sequence[str], probability: str | None = None,
                 forecast_category: str | None = None, **options: Any) -> EventLog:
    """:meth:`EventLog.from_records`: the records become object columns."""
    names = _Columns.of(entity, stage, ts, amount, segments, probability, forecast_category)
    keys = names.all
    cols: dict[str, list[Any]] = {k: [] for k in keys}
    for i, rec in enumerate(_iterable(records, "records")):
        if not isinstance(rec, Mapping):
            raise EventLogError(
                f"record {i} is a {type(rec).__name__}; expected a mapping with keys "
                f"{keys}", count=1, examples=[rec],
            )
        for k in keys:
            cols[k].append(rec.get(k))
    return names.build(cls, funnel, {k: object_array(v) for k, v in cols.items()}, **options)


def from_journeys(cls: type[EventLog], journeys: Iterable[Journey], *, amount: str | None,
                  segments: Sequence[str], funnel: Funnel | None) -> EventLog:
    """:meth:`EventLog.from_journeys`: one event per transition record."""
    segments = _segment_names(segments)
    if amount is not None and not isinstance(amount, str):
        raise InvalidParameterError(
            f"amount must be the name (a string) of the subjects' amount field or None; "
            f"got {amount!r}", parameter="amount", value=amount,
        )
    ents: list[Any] = []
    stages: list[int] = []
    times: list[Any] = []
    amounts: list[Any] = []
    segs: dict[str, list[Any]] = {s: [] for s in segments}
    for pos, j in enumerate(_iterable(journeys, "journeys")):
        if not isinstance(j, Journey):
            raise EventLogError(
                f"journeys[{pos}] is of type {type(j).__name__}; expected a Journey",
                count=1, examples=[j],
            )
        if funnel is None:
            funnel = j.funnel
        elif j.funnel != funnel:
            raise EventLogError(
                f"journey {j.id!r} belongs to funnel {j.funnel.name!r}; expected "
                f"{funnel.name!r} like the others", count=1, examples=[j.id],
            )
        ident = pos if j.id is None else j.id
        subject = j.subject
        extra_amount = _field(subject, amount) if amount is not None else None
        extra_segs = {s: _field(subject, s) for s in segments}
        for rec in j.history:
            ents.append(ident)
            stages.append(funnel.index(rec.to_stage))
            times.append(rec.at)
            amounts.append(extra_amount)
            for s in segments:
                segs[s].append(extra_segs[s])
    if funnel is None:
        raise EventLogError("no journeys given and no funnel=; cannot tell the stages")
    return cls.from_arrays(
        funnel,
        entity=object_array(ents),
        stage=np.asarray(stages, dtype=np.int64),
        ts=object_array(times),
        amount=None if amount is None else object_array(amounts),
        segments={s: object_array(v) for s, v in segs.items()},
    )


def from_pandas(cls: type[EventLog], funnel: Funnel, frame: Any, *, entity: str, stage: str,
                ts: str, amount: str | None, segments: Sequence[str],
                probability: str | None = None, forecast_category: str | None = None,
                **options: Any) -> EventLog:
    """:meth:`EventLog.from_pandas`."""
    pd = import_optional("pandas", "pandas", purpose="EventLog.from_pandas")
    _check_frame(frame, pd.DataFrame, "frame", "a pandas.DataFrame")
    names = _Columns.of(entity, stage, ts, amount, segments, probability, forecast_category)
    names.check(list(frame.columns), "frame")
    return names.build(cls, funnel, {c: frame[c] for c in names.all}, **options)


def from_polars(cls: type[EventLog], funnel: Funnel, frame: Any, *, entity: str, stage: str,
                ts: str, amount: str | None, segments: Sequence[str],
                probability: str | None = None, forecast_category: str | None = None,
                **options: Any) -> EventLog:
    """:meth:`EventLog.from_polars`: time-zone aware columns are converted to UTC; a
    lazy frame is collected (by the streaming engine) with the named columns only.

    With pyarrow installed the named columns go to Arrow (without a copy for most types)
    and through the path of :func:`from_arrow`, so no Python code runs per row; without
    it, or for types Arrow has no equal of (``Int128``, ``Object``), each column goes
    through numpy."""
    pl = import_optional("polars", "polars", purpose="EventLog.from_polars")
    _check_frame(frame, pl.DataFrame | pl.LazyFrame, "frame",
                 "a polars.DataFrame or LazyFrame")
    names = _Columns.of(entity, stage, ts, amount, segments, probability, forecast_category)
    wanted = list(dict.fromkeys(names.all))
    if isinstance(frame, pl.LazyFrame):
        names.check(list(frame.collect_schema().names()), "frame")
        frame = _collect(frame.select(wanted))
    names.check(list(frame.columns), "frame")
    table = _polars_to_arrow(pl, frame.select(wanted))
    if table is not None:
        factorized = {entity, stage, *names.segments}
        if forecast_category is not None:
            factorized.add(forecast_category)
        arrow_cols = arrow_columns(table, names.all, factorized=factorized, ts=ts,
                                   options=options, entity=entity)
        return names.build(cls, funnel, arrow_cols, **options)
    cols: dict[str, Any] = {}
    for c in names.all:
        series = frame.get_column(c)
        dtype = series.dtype
        if isinstance(dtype, pl.Datetime) and getattr(dtype, "time_zone", None) is not None:
            series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            series = series.cast(pl.String)
        try:
            cols[c] = series.to_numpy()
        except pl.exceptions.PolarsError:  # e.g. Int128, which numpy has no type for
            cols[c] = object_array(series.to_list())
    return names.build(cls, funnel, cols, **options)


def _collect(lazy: Any) -> Any:
    """A polars lazy frame collected by the streaming engine (by the default engine on
    polars versions without one)."""
    try:
        return lazy.collect(engine="streaming")
    except (TypeError, ValueError):  # no engine= (polars < 1.0) or no "streaming" engine
        return lazy.collect()


def _polars_to_arrow(pl: Any, frame: Any) -> Any:
    """``frame`` as a pyarrow table, categories as text (as the numpy path reads them);
    ``None`` without pyarrow or for a type Arrow cannot hold."""
    try:
        pa = import_optional("pyarrow", "arrow", purpose="EventLog.from_polars")
    except ImportError:
        return None
    text = [c for c, dtype in frame.schema.items() if isinstance(dtype, pl.Categorical | pl.Enum)]
    try:
        if text:
            frame = frame.with_columns([pl.col(c).cast(pl.String) for c in text])
        return frame.to_arrow()
    except (pa.ArrowException, pl.exceptions.PolarsError, TypeError, ValueError):
        return None


def from_arrow(cls: type[EventLog], funnel: Funnel, table: Any, *, entity: str, stage: str,
               ts: str, amount: str | None, segments: Sequence[str],
               probability: str | None = None, forecast_category: str | None = None,
               ids: Factorized | None = None, **options: Any) -> EventLog:
    """:meth:`EventLog.from_arrow`: dictionary columns are decoded, zoned times made UTC.

    Text columns are dictionary-encoded by Arrow: the stage text is looked up once per
    distinct value and entity ids are factorized in C, so no Python code runs per row.
    Anything with ``__arrow_c_stream__`` (a DuckDB relation, a polars frame, a
    ``RecordBatchReader``) is read as a table first. ``ids`` (internal: a partition's
    entity ids, factorized from keys made once for the whole table) stands for the
    ``entity`` column, which ``table`` then need not hold.
    """
    pa = import_optional("pyarrow", "arrow", purpose="EventLog.from_arrow")
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    elif not isinstance(table, pa.Table | pa.RecordBatch) and hasattr(table,
                                                                     "__arrow_c_stream__"):
        table = pa.table(table)
    _check_frame(table, pa.Table | pa.RecordBatch, "table", "a pyarrow.Table")
    names = _Columns.of(entity, stage, ts, amount, segments, probability, forecast_category)
    names.check(list(table.column_names) + ([entity] if ids is not None else []), "table")
    factorized = {entity, stage, *names.segments}
    if forecast_category is not None:
        factorized.add(forecast_category)
    cols = arrow_columns(table, [c for c in names.all if ids is None or c != entity],
                         factorized=factorized, ts=ts, options=options, entity=entity)
    if ids is not None:
        cols[entity] = ids
    return names.build(cls, funnel, cols, **options)


def from_sql(cls: type[EventLog], funnel: Funnel, connection: Any, query: str, params: Any, *,
             entity: str, stage: str, ts: str, amount: str | None, segments: Sequence[str],
             probability: str | None = None, forecast_category: str | None = None,
             **options: Any) -> EventLog:
    """:meth:`EventLog.from_sql`: Arrow when the cursor offers it, else fetched rows."""
    if not isinstance(query, str):
        raise InvalidParameterError(f"query must be a SQL string; got {type(query).__name__}",
                                    parameter="query", value=query)
    cursor_of = getattr(connection, "cursor", None)
    if not callable(cursor_of):
        raise InvalidParameterError(
            f"connection must be a DB-API connection (with .cursor()); got "
            f"{type(connection).__name__}", parameter="connection", value=connection,
        )
    names = _Columns.of(entity, stage, ts, amount, segments, probability, forecast_category)
    kw: dict[str, Any] = {"entity": entity, "stage": stage, "ts": ts, "amount": amount,
                          "segments": segments, "probability": probability,
                          "forecast_category": forecast_category, **options}
    table = _duckdb_table(connection, query, params)
    if table is not None:
        return from_arrow(cls, funnel, table, **kw)
    cursor = cursor_of()
    try:
        try:
            if params is None:
                cursor.execute(query)
            else:
                cursor.execute(query, params)
        except Exception as exc:  # every driver has its own error classes
            raise EventLogError(f"the query failed: {type(exc).__name__}: {exc}") from None
        fetch_arrow = getattr(cursor, "fetch_arrow_table", None)
        if callable(fetch_arrow):
            try:
                import_optional("pyarrow", "arrow", purpose="EventLog.from_sql")
            except ImportError:
                fetch_arrow = None
        if callable(fetch_arrow):
            return from_arrow(cls, funnel, fetch_arrow(), **kw)
        columns, rows = _fetch_rows(cursor)
    finally:
        close = getattr(cursor, "close", None)
        if callable(close):
            close()
    names.check(columns, "query result")
    data = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    cols = {c: object_array(list(data[columns.index(c)])) for c in dict.fromkeys(names.all)}
    return names.build(cls, funnel, cols, **options)


def _fetch_rows(cursor: Any) -> tuple[list[str], list[Any]]:
    """The column names and every row of an executed DB-API cursor."""
    columns = [str(d[0]) for d in (cursor.description or ())]
    return columns, cursor.fetchall()


def _duckdb_table(connection: Any, query: str, params: Any) -> Any:
    """The result of ``query`` on a DuckDB connection as a pyarrow table, read from a
    relation (DuckDB's DB-API cursors copy Arrow results, and DuckDB 2 no longer offers
    ``fetch_arrow_table`` on them); ``None`` for other connections or without pyarrow."""
    sql = getattr(connection, "sql", None)
    if not callable(sql) or "duckdb" not in type(connection).__module__:
        return None
    try:
        pa = import_optional("pyarrow", "arrow", purpose="EventLog.from_sql")
    except ImportError:
        return None
    try:
        relation = sql(query) if params is None else sql(query, params=params)
        if relation is None:  # a statement that returns nothing
            return pa.table({})
        return pa.table(relation)
    except Exception as exc:  # DuckDB has its own error classes
        raise EventLogError(f"the query failed: {type(exc).__name__}: {exc}") from None


def _field(subject: Any, name: str) -> Any:
    if isinstance(subject, Mapping):
        return subject.get(name)
    return getattr(subject, name, None)


def _iterable(items: Any, parameter: str) -> Iterable[Any]:
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise InvalidParameterError(
            f"{parameter} must be an iterable of items; got {type(items).__name__}",
            parameter=parameter, value=items,
        )
    return items


def _check_frame(frame: Any, kind: Any, parameter: str, expected: str) -> None:
    if not isinstance(frame, kind):
        raise InvalidParameterError(
            f"{parameter} must be {expected}; got {type(frame).__name__}",
            parameter=parameter, value=frame,
        )


def _segment_names(segments: Any) -> tuple[str, ...]:
    """``segments=`` of the table constructors: None, one name or a sequence of names."""
    if segments is None:
        return ()
    if isinstance(segments, str):
        return (segments,)
    names = None
    if isinstance(segments, Sequence):
        names = tuple(segments)
    elif isinstance(segments, set | frozenset):
        names = tuple(sorted(segments, key=str))
    if names is None or not all(isinstance(s, str) for s in names):
        raise InvalidParameterError(
            f"segments must be a column name or a sequence of column names (strings); "
            f"got {segments!r}", parameter="segments", value=segments,
        )
    return names


@attrs.frozen
class _Columns:
    """The column (or key) names a table constructor reads, and the call that follows."""

    entity: str
    stage: str
    ts: str
    amount: str | None
    segments: tuple[str, ...]
    probability: str | None = None
    forecast_category: str | None = None

    @classmethod
    def of(cls, entity: str, stage: str, ts: str, amount: str | None,
           segments: Sequence[str] | None, probability: str | None = None,
           forecast_category: str | None = None) -> _Columns:
        for role, name in (("entity", entity), ("stage", stage), ("ts", ts),
                           ("amount", amount), ("probability", probability),
                           ("forecast_category", forecast_category)):
            try:
                hash(name)
            except TypeError:
                raise InvalidParameterError(
                    f"{role} must be a column name (a string); got {name!r}",
                    parameter=role, value=name,
                ) from None
        return cls(entity, stage, ts, amount, _segment_names(segments), probability,
                   forecast_category)

    @property
    def all(self) -> list[str]:
        extra = [c for c in (self.amount, self.probability, self.forecast_category)
                 if c is not None]
        return [self.entity, self.stage, self.ts, *extra, *self.segments]

    def check(self, available: list[Any], what: str) -> None:
        """Raise :class:`EventLogError` naming the columns missing from ``available``."""
        missing = [c for c in self.all if c not in available]
        if missing:
            raise EventLogError(
                f"columns {missing} are not in the {what}; its columns are "
                f"{', '.join(repr(c) for c in available)}",
                count=len(missing), examples=missing,
            )

    def build(self, cls: type[EventLog], funnel: Funnel, cols: Mapping[str, Any],
              **options: Any) -> EventLog:
        """``cls.from_arrays`` on the named columns of ``cols`` (``options``: unit,
        on_invalid, naive, stage_map)."""
        return cls.from_arrays(
            funnel,
            entity=cols[self.entity],
            stage=cols[self.stage],
            ts=cols[self.ts],
            amount=None if self.amount is None else cols[self.amount],
            segments={s: cols[s] for s in self.segments},
            probability=None if self.probability is None else cols[self.probability],
            forecast_category=(None if self.forecast_category is None
                               else cols[self.forecast_category]),
            **options,
        )

