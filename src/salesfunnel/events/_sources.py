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
from salesfunnel.events._convert import (
    Problems,
    as_array,
    check_on_invalid,
    convert_amount,
    convert_segment,
    convert_stage,
    convert_ts,
    stage_dtype,
)
from salesfunnel.events._factorize import (
    factorize_int,
    factorize_objects,
    is_missing,
    object_array,
)
from salesfunnel.events._segment import Segment
from salesfunnel.model._funnel import Funnel
from salesfunnel.model._journey import Journey

if TYPE_CHECKING:  # pragma: no cover
    from salesfunnel.events._log import EventLog

__all__ = ["from_arrays", "from_arrow", "from_journeys", "from_pandas", "from_polars",
           "from_records"]


def from_arrays(cls: type[EventLog], funnel: Funnel, *, entity: Any, stage: Any, ts: Any,
                amount: Any, segments: Mapping[str, Any] | None, unit: Any, on_invalid: Any,
                naive: Any) -> EventLog:
    """:meth:`EventLog.from_arrays`."""
    check_on_invalid(on_invalid)
    check_unit(unit)
    check_naive(naive)
    if not isinstance(funnel, Funnel):
        raise InvalidParameterError(
            f"funnel must be a Funnel; got {type(funnel).__name__}",
            parameter="funnel", value=funnel,
        )
    ent = as_array(entity, "entity")
    if ent.dtype.kind == "f" and isinstance(entity, list | tuple) and any(
            isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53 for v in entity):
        # numpy made floats of [2**53 + 1, 2**53, 1.0], merging the first two ids: keep
        # the Python values, which compare exactly.
        ent = object_array(entity)
    stg = as_array(stage, "stage")
    tsa = as_array(ts, "ts")
    amt = None if amount is None else as_array(amount, "amount")
    if segments is not None and not isinstance(segments, Mapping):
        raise InvalidParameterError(
            f"segments must be a mapping of column name to values; got "
            f"{type(segments).__name__}", parameter="segments", value=segments,
        )
    segs = dict(segments or {})
    lengths = {"entity": len(ent), "stage": len(stg), "ts": len(tsa)}
    if amt is not None:
        lengths["amount"] = len(amt)
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
    stage_idx = convert_stage(funnel, stg, problems)
    ts_ns = convert_ts(tsa, unit, naive, problems)
    amount_f = None if amt is None else convert_amount(amt, problems)
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
    if ent.dtype.kind == "O":
        missing = np.fromiter((is_missing(v) for v in ent), dtype=np.bool_, count=n)
        problems.add(missing, "a missing entity id", ent)
    keep = problems.raise_or_drop(on_invalid)
    dropped = 0
    if keep is not None:
        dropped = int(n - keep.sum())
        ent = ent[keep]
        stage_idx = stage_idx[keep]
        ts_ns = ts_ns[keep]
        amount_f = None if amount_f is None else amount_f[keep]
    seg_objs: dict[str, Segment] = {}
    for name, col in segs.items():
        seg = convert_segment(name, col)
        if keep is not None:
            seg = Segment(seg.codes[keep], seg.categories)
        seg_objs[name] = seg
    if ent.dtype.kind in "iu":
        codes, ids = factorize_int(ent)
    else:
        c, uniques, _ = factorize_objects(ent)
        codes = c
        ids = np.asarray(uniques) if uniques and all(
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
    )


def from_records(cls: type[EventLog], funnel: Funnel, records: Iterable[Mapping[str, Any]], *,
                 entity: str, stage: str, ts: str, amount: str | None,
                 segments: Sequence[str], unit: Any, on_invalid: Any, naive: Any) -> EventLog:
    """:meth:`EventLog.from_records`: the records become object columns."""
    names = _Columns.of(entity, stage, ts, amount, segments)
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
    return names.build(cls, funnel, {k: object_array(v) for k, v in cols.items()},
                       unit=unit, on_invalid=on_invalid, naive=naive)


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
                ts: str, amount: str | None, segments: Sequence[str], unit: Any,
                on_invalid: Any, naive: Any) -> EventLog:
    """:meth:`EventLog.from_pandas`."""
    pd = import_optional("pandas", "pandas", purpose="EventLog.from_pandas")
    _check_frame(frame, pd.DataFrame, "frame", "a pandas.DataFrame")
    names = _Columns.of(entity, stage, ts, amount, segments)
    names.check(list(frame.columns), "frame")
    return names.build(cls, funnel, {c: frame[c] for c in names.all}, unit=unit,
                       on_invalid=on_invalid, naive=naive)


def from_polars(cls: type[EventLog], funnel: Funnel, frame: Any, *, entity: str, stage: str,
                ts: str, amount: str | None, segments: Sequence[str], unit: Any,
                on_invalid: Any, naive: Any) -> EventLog:
    """:meth:`EventLog.from_polars`: time-zone aware columns are converted to UTC."""
    pl = import_optional("polars", "polars", purpose="EventLog.from_polars")
    _check_frame(frame, pl.DataFrame, "frame", "a polars.DataFrame")
    names = _Columns.of(entity, stage, ts, amount, segments)
    names.check(list(frame.columns), "frame")
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
    return names.build(cls, funnel, cols, unit=unit, on_invalid=on_invalid, naive=naive)


def from_arrow(cls: type[EventLog], funnel: Funnel, table: Any, *, entity: str, stage: str,
               ts: str, amount: str | None, segments: Sequence[str], unit: Any,
               on_invalid: Any, naive: Any) -> EventLog:
    """:meth:`EventLog.from_arrow`: dictionary columns are decoded, zoned times made UTC."""
    pa = import_optional("pyarrow", "arrow", purpose="EventLog.from_arrow")
    _check_frame(table, pa.Table | pa.RecordBatch, "table", "a pyarrow.Table")
    names = _Columns.of(entity, stage, ts, amount, segments)
    names.check(list(table.column_names), "table")
    cols: dict[str, Any] = {}
    for c in names.all:
        col = table.column(c)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if pa.types.is_timestamp(col.type) and col.type.tz is not None:
            col = col.cast(pa.timestamp(col.type.unit))
        try:
            cols[c] = col.to_numpy()
        except (pa.ArrowException, NotImplementedError):  # a type numpy cannot hold
            cols[c] = object_array(col.to_pylist())
    return names.build(cls, funnel, cols, unit=unit, on_invalid=on_invalid, naive=naive)


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

    @classmethod
    def of(cls, entity: str, stage: str, ts: str, amount: str | None,
           segments: Sequence[str] | None) -> _Columns:
        for role, name in (("entity", entity), ("stage", stage), ("ts", ts),
                           ("amount", amount)):
            try:
                hash(name)
            except TypeError:
                raise InvalidParameterError(
                    f"{role} must be a column name (a string); got {name!r}",
                    parameter=role, value=name,
                ) from None
        return cls(entity, stage, ts, amount, _segment_names(segments))

    @property
    def all(self) -> list[str]:
        amount = [] if self.amount is None else [self.amount]
        return [self.entity, self.stage, self.ts, *amount, *self.segments]

    def check(self, available: list[Any], what: str) -> None:
        """Raise :class:`EventLogError` naming the columns missing from ``available``."""
        missing = [c for c in self.all if c not in available]
        if missing:
            raise EventLogError(
                f"columns {missing} are not in the {what}; it has {available}",
                count=len(missing), examples=missing,
            )

    def build(self, cls: type[EventLog], funnel: Funnel, cols: Mapping[str, Any], *,
              unit: Any, on_invalid: Any, naive: Any) -> EventLog:
        """``cls.from_arrays`` on the named columns of ``cols``."""
        return cls.from_arrays(
            funnel,
            entity=cols[self.entity],
            stage=cols[self.stage],
            ts=cols[self.ts],
            amount=None if self.amount is None else cols[self.amount],
            segments={s: cols[s] for s in self.segments},
            unit=unit,
            on_invalid=on_invalid,
            naive=naive,
        )

