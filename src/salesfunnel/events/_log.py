"""The event log: the columnar table of stage events every metric reads.

An :class:`EventLog` holds one row per event: which entity (deal, lead, person), which
stage of a :class:`~salesfunnel.Funnel` it was observed at, and when. Optional columns are
an ``amount`` and any number of categorical segment columns (channel, rep, region).
Columns are numpy arrays; the log is immutable and caches derived arrays (sort orders,
per-entity aggregates) computed by :func:`~salesfunnel.events._derived.derived` functions.

The rest of the package: input conversion (``_convert``, ``_factorize``), the ``from_*``
constructors (``_sources``), sorting (``_sort``) and the derived-array cache
(``_derived``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import Naive, Unit
from salesfunnel._util._validate import check_int
from salesfunnel.errors import EventLogError, InvalidParameterError
from salesfunnel.events import _sources
from salesfunnel.events._convert import MAX_EXAMPLES
from salesfunnel.events._derived import derived
from salesfunnel.events._segment import Segment
from salesfunnel.events._sort import SortedEvents, sort_events
from salesfunnel.model._funnel import Funnel
from salesfunnel.model._journey import Journey

__all__ = ["EventLog", "Segment", "SortedEvents"]

_sorted = derived(sort_events)


@attrs.frozen(eq=False, repr=False)
class EventLog:
    """An immutable columnar table of funnel events.

    Build one with :meth:`from_arrays`, :meth:`from_records`, :meth:`from_journeys`,
    :meth:`from_pandas`, :meth:`from_polars` or :meth:`from_arrow`; rows need not be
    sorted. Every metric in :mod:`salesfunnel.metrics` reads an event log.

    Attributes
    ----------
    funnel : Funnel
        The funnel whose stages the events refer to.
    entity : numpy.ndarray of int64
        Dense entity codes ``0 .. n_entities - 1``, one per event.
    ids : numpy.ndarray
        The original ids: ``ids[code]`` (sorted when the ids are comparable).
    stage : numpy.ndarray of int8, int16 or int32
        Index into ``funnel.stages``, one per event.
    ts : numpy.ndarray of int64
        Event time in nanoseconds since the epoch, UTC.
    amount : numpy.ndarray of float64 or None
        Optional deal value per event.
    segments : mapping of str to Segment
        Categorical columns (channel, rep, region, ...).
    n_entities : int
        Number of distinct entities.
    dropped : int
        Rows dropped as invalid by ``on_invalid="drop"``.
    probability : numpy.ndarray of float64 or None
        Optional win probability per event in [0, 1] (as a CRM's ``Probability`` field;
        NaN: unknown, the stage's probability applies). The weighted pipeline uses each
        open entity's latest one.
    event : Segment or None
        Optional event name per row, for event-defined funnel steps (product funnels);
        attach it with :func:`salesfunnel.events.with_events`.
    properties : mapping of str to numpy.ndarray
        Optional event properties (one value per row) read by step filters; attached
        with :func:`salesfunnel.events.with_events`.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> funnel = Funnel("deals", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
    ...                           Stage("lost", kind="lost")])
    >>> log = EventLog.from_arrays(
    ...     funnel,
    ...     entity=["d1", "d1", "d2", "d2", "d3"],
    ...     stage=["lead", "demo", "lead", "lost", "lead"],
    ...     ts=["2026-01-01T00:00Z", "2026-01-03T00:00Z", "2026-01-02T00:00Z",
    ...         "2026-01-09T00:00Z", "2026-01-04T00:00Z"],
    ...     segments={"channel": ["ads", "ads", "web", "web", "ads"]},
    ... )
    >>> log
    <EventLog 'deals': 5 events, 3 entities, 4 stages, segments: channel>
    >>> len(log), log.n_entities, log.ids.tolist()
    (5, 3, ['d1', 'd2', 'd3'])
    """

    funnel: Funnel
    entity: npt.NDArray[np.int64]
    ids: np.ndarray[Any, Any]
    stage: np.ndarray[Any, Any]
    ts: npt.NDArray[np.int64]
    amount: npt.NDArray[np.float64] | None = None
    segments: Mapping[str, Segment] = attrs.field(factory=dict)
    n_entities: int = attrs.field(default=-1)
    dropped: int = 0
    probability: npt.NDArray[np.float64] | None = None
    event: Segment | None = None
    properties: Mapping[str, np.ndarray[Any, Any]] = attrs.field(factory=dict)
    _cache: dict[tuple[Any, ...], Any] = attrs.field(init=False, factory=dict, repr=False)

    def __attrs_post_init__(self) -> None:
        n = len(self.entity)
        lengths = {"entity": n, "stage": len(self.stage), "ts": len(self.ts)}
        if self.amount is not None:
            lengths["amount"] = len(self.amount)
        if self.probability is not None:
            lengths["probability"] = len(self.probability)
        for name, seg in self.segments.items():
            lengths[f"segment {name!r}"] = len(seg.codes)
        if self.event is not None:
            lengths["event"] = len(self.event.codes)
        for name, col in self.properties.items():
            lengths[f"property {name!r}"] = len(col)
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{k}: {v}" for k, v in lengths.items())
            raise EventLogError(f"columns have different lengths ({listed}); expected equal",
                                count=len(lengths))
        if self.n_entities < 0:
            object.__setattr__(self, "n_entities", len(self.ids))
        object.__setattr__(self, "segments", dict(self.segments))
        object.__setattr__(self, "properties", dict(self.properties))

    # -- constructors -----------------------------------------------------------------------
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
    ) -> EventLog:
        """Build a log from columns (numpy arrays, lists, pandas or polars columns).

        Parameters
        ----------
        funnel : Funnel
            The funnel the stages refer to.
        entity : array-like
            Entity id per event: any hashable values (ints, strings, ...); factorized once
            into dense codes, the original ids are kept in :attr:`ids`. Ids are compared
            like dict keys (Python equality): ``1``, ``1.0`` and ``True`` are one entity,
            ``"1"`` is another. Integer ids keep their exact value (the whole int64 and
            uint64 ranges; Python ints of any size in a list).
        stage : array-like
            Stage per event: a stage name, alias or label (any case), a key of
            ``stage_map``, or an index into ``funnel.stages``.
        ts : array-like
            Event time: ``datetime64`` of any unit (taken as UTC), timezone-aware
            ``datetime`` or ``pandas.Timestamp`` objects, ISO 8601 strings with an offset,
            or numbers with ``unit=``.
        amount : array-like, optional
            Deal value per event. A missing amount (None, NaN, blank text) is *unknown*:
            the row is kept with a NaN amount, and the metrics leave it out of sums and
            averages (and count it). Text that is no number and infinities are invalid.
        segments : mapping of str to array-like, optional
            Categorical columns such as channel or region.
        unit : {"ns", "us", "ms", "s", "m", "h", "D", "W"}, optional
            Unit of numeric timestamps (since the Unix epoch); required for them.
        on_invalid : {"raise", "drop"}
            What to do with invalid rows (unknown stage, missing, naive or unparsable
            time, a time outside 1677-09-21 .. 2262-04-11, missing id, an amount that is
            not a number): raise, or drop them and count them in :attr:`dropped`.
        naive : {"raise", "utc"}
            Times without a UTC offset: invalid rows (the default), or read as UTC. See
            the "Time and units" page for every accepted time form.
        stage_map : mapping of str to str, optional
            Stage text in the data (matched case-insensitively) to a stage name, alias
            or label, for names the funnel does not know (``{"Demo": "qualified"}``).
            Unknown stages are listed all at once, each with its row count.
        probability : array-like, optional
            Win probability per event in [0, 1] (text may be a percentage such as
            ``"25%"``); a missing one is unknown. See :attr:`probability`.
        forecast_category : array-like, optional
            A CRM forecast category per event (``Pipeline``, ``BestCase``, ``Commit``,
            ...), kept as the segment ``"forecast_category"``.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            Columns of different lengths, or invalid rows with ``on_invalid="raise"``;
            the message names the count and the first bad values.
        InvalidParameterError
            A bad ``unit`` or ``on_invalid``, or numeric times without ``unit``.

        Examples
        --------
        >>> import numpy as np
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
        >>> log = EventLog.from_arrays(f, entity=np.array([10, 10, 99]), stage=[0, 1, 2],
        ...                            ts=np.array([0, 60, 30], dtype="datetime64[s]"))
        >>> log.entity.tolist(), log.stage.dtype.name, log.ts[1]
        ([0, 0, 1], 'int8', np.int64(60000000000))
        >>> EventLog.from_arrays(f, entity=[1, 2], stage=["lead", "wn"], ts=[0, 1], unit="s")
        Traceback (most recent call last):
        ...
        salesfunnel.errors.EventLogError: 1 invalid event row: 1 with an unknown stage ...
        >>> EventLog.from_arrays(f, entity=[1, 2], stage=["lead", "wn"], ts=[0, 1], unit="s",
        ...                      on_invalid="drop").dropped
        1
        """
        return _sources.from_arrays(cls, funnel, entity=entity, stage=stage, ts=ts,
                                    amount=amount, segments=segments, unit=unit,
                                    on_invalid=on_invalid, naive=naive, stage_map=stage_map,
                                    probability=probability,
                                    forecast_category=forecast_category)

    @classmethod
    def from_records(
        cls,
        funnel: Funnel,
        records: Iterable[Mapping[str, Any]],
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
    ) -> EventLog:
        """Build a log from an iterable of mappings (one per event).

        Parameters
        ----------
        funnel : Funnel
            The funnel the stages refer to.
        records : iterable of mapping
            One mapping per event; a missing key counts as a missing value.
        entity, stage, ts : str
            Keys holding the entity id, the stage and the time.
        amount : str, optional
            Key holding the amount.
        segments : sequence of str
            Keys of categorical columns.
        unit, on_invalid, naive, stage_map
            As in :meth:`from_arrays` (numbers in the ``ts`` key need ``unit``).
        probability, forecast_category : str, optional
            Keys of a per-event win probability and forecast category (see
            :meth:`from_arrays`).

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            A record that is not a mapping, or invalid rows (see :meth:`from_arrays`).

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> rows = [{"deal": "a", "stage": "lead", "at": "2026-01-01T09:00:00+08:00"},
        ...         {"deal": "a", "stage": "won", "at": "2026-01-05T09:00:00+08:00"}]
        >>> EventLog.from_records(f, rows, entity="deal", ts="at")
        <EventLog 'f': 2 events, 1 entity, 2 stages>
        """
        return _sources.from_records(cls, funnel, records, entity=entity, stage=stage, ts=ts,
                                     amount=amount, segments=segments, unit=unit,
                                     on_invalid=on_invalid, naive=naive,
                                     stage_map=stage_map, probability=probability,
                                     forecast_category=forecast_category)

    @classmethod
    def from_journeys(
        cls,
        journeys: Iterable[Journey],
        *,
        amount: str | None = None,
        segments: Sequence[str] = (),
        funnel: Funnel | None = None,
    ) -> EventLog:
        """Build a log from journeys: one event per :class:`~salesfunnel.TransitionRecord`.

        Parameters
        ----------
        journeys : iterable of Journey
            Journeys of one funnel. A journey's ``id`` is its entity id (its position in
            ``journeys`` when the id is ``None``).
        amount : str, optional
            Subject field (mapping key or attribute) holding the deal value.
        segments : sequence of str
            Subject fields to use as segment columns.
        funnel : Funnel, optional
            The funnel, needed only when ``journeys`` is empty.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            Journeys of different funnels, no journeys and no ``funnel``, or invalid
            values (e.g. a missing amount).

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
        >>> a = f.start({"value": 900.0}, at="2026-01-01T00:00:00+00:00", id="a")
        >>> _ = a.advance(at="2026-01-04T00:00:00+00:00")
        >>> b = f.start({"value": 50.0}, at="2026-01-02T00:00:00+00:00", id="b")
        >>> log = EventLog.from_journeys([a, b], amount="value")
        >>> log.stage.tolist(), log.amount.tolist()
        ([0, 1, 0], [900.0, 900.0, 50.0])
        """
        return _sources.from_journeys(cls, journeys, amount=amount, segments=segments,
                                      funnel=funnel)

    @classmethod
    def from_pandas(
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
    ) -> EventLog:
        """Build a log from a :class:`pandas.DataFrame` (needs the ``pandas`` extra).

        Numeric columns are used without copying where their layout allows; categorical
        segment columns keep their codes.

        Parameters
        ----------
        funnel : Funnel
            The funnel the stages refer to.
        frame : pandas.DataFrame
            One row per event.
        entity, stage, ts, amount, segments, probability, forecast_category
            Column names as in :meth:`from_records`.
        unit, on_invalid, naive, stage_map
            Options as in :meth:`from_arrays`.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            A named column is missing, or invalid rows (see :meth:`from_arrays`).

        Examples
        --------
        >>> import pandas as pd
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> df = pd.DataFrame({"entity": [1, 1], "stage": ["lead", "won"],
        ...                    "ts": pd.to_datetime(["2026-01-01", "2026-01-09"], utc=True)})
        >>> EventLog.from_pandas(f, df).ts.tolist()
        [1767225600000000000, 1767916800000000000]
        """
        return _sources.from_pandas(cls, funnel, frame, entity=entity, stage=stage, ts=ts,
                                    amount=amount, segments=segments, unit=unit,
                                    on_invalid=on_invalid, naive=naive,
                                    stage_map=stage_map, probability=probability,
                                    forecast_category=forecast_category)

    @classmethod
    def from_polars(
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
    ) -> EventLog:
        """Build a log from a :class:`polars.DataFrame` or ``LazyFrame`` (needs the
        ``polars`` extra).

        Parameters are as in :meth:`from_pandas`. Time columns of type ``Datetime`` (with
        or without a time zone) are converted to UTC nanoseconds. A lazy frame is
        collected with the named columns only, by polars' streaming engine. With pyarrow
        installed the columns go through :meth:`from_arrow` (mostly without a copy, no
        Python code per row).

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            A named column is missing, or invalid rows (see :meth:`from_arrays`).

        Examples
        --------
        >>> import polars as pl
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> df = pl.DataFrame({"entity": [1, 1], "stage": [0, 1], "ts": [0, 86400]})
        >>> EventLog.from_polars(f, df, unit="s").n_entities
        1
        """
        return _sources.from_polars(cls, funnel, frame, entity=entity, stage=stage, ts=ts,
                                    amount=amount, segments=segments, unit=unit,
                                    on_invalid=on_invalid, naive=naive,
                                    stage_map=stage_map, probability=probability,
                                    forecast_category=forecast_category)

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
    ) -> EventLog:
        """Build a log from a :class:`pyarrow.Table` (needs the ``arrow`` extra).

        Parameters are as in :meth:`from_pandas`. Timestamp columns (with or without a
        time zone) are taken as UTC; numeric columns without nulls convert without a copy.
        Anything with ``__arrow_c_stream__`` (a DuckDB relation, a polars frame, a
        ``RecordBatchReader``) is read as a table first.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            A named column is missing, or invalid rows (see :meth:`from_arrays`).

        Examples
        --------
        >>> import pyarrow as pa
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> t = pa.table({"entity": ["x", "x"], "stage": ["lead", "won"], "ts": [0, 5]})
        >>> EventLog.from_arrow(f, t, unit="D").n_entities
        1
        """
        return _sources.from_arrow(cls, funnel, table, entity=entity, stage=stage, ts=ts,
                                   amount=amount, segments=segments, unit=unit,
                                   on_invalid=on_invalid, naive=naive,
                                   stage_map=stage_map, probability=probability,
                                   forecast_category=forecast_category)

    @classmethod
    def from_sql(
        cls,
        funnel: Funnel,
        connection: Any,
        query: str,
        params: Sequence[Any] | Mapping[str, Any] | None = None,
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
    ) -> EventLog:
        """Build a log from the result of a SQL query on a DB-API connection.

        Any DB-API 2.0 connection works (:mod:`sqlite3`, psycopg, DuckDB, ...). When
        pyarrow is installed and the connection's cursor returns Arrow tables (ADBC
        drivers), or the connection is DuckDB's (its result is read as a relation), the
        result goes through :meth:`from_arrow` without Python code per row; otherwise the
        rows are fetched and read as columns.

        Parameters
        ----------
        funnel : Funnel
            The funnel the stages refer to.
        connection : DB-API connection
            An open connection (it is not closed).
        query : str
            The query; its result columns are named by ``entity``, ``stage``, ...
        params : sequence or mapping, optional
            Query parameters, in the driver's placeholder style.
        entity, stage, ts, amount, segments, probability, forecast_category
            Result column names as in :meth:`from_records`.
        unit, on_invalid, naive, stage_map
            Options as in :meth:`from_arrays`.

        Returns
        -------
        EventLog

        Raises
        ------
        EventLogError
            The query failed (the driver's message is kept), a named column is not in
            the result (all its columns are listed), or invalid rows.

        Examples
        --------
        >>> import sqlite3
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won", aliases=["Closed Won"])])
        >>> con = sqlite3.connect(":memory:")
        >>> _ = con.execute("create table h (deal text, stage text, at text)")
        >>> _ = con.executemany("insert into h values (?, ?, ?)",
        ...                     [("a", "lead", "2026-01-01T00:00Z"),
        ...                      ("a", "Closed Won", "2026-01-05T00:00Z")])
        >>> EventLog.from_sql(f, con, "select * from h", entity="deal", ts="at")
        <EventLog 'f': 2 events, 1 entity, 2 stages>
        """
        return _sources.from_sql(cls, funnel, connection, query, params, entity=entity,
                                 stage=stage, ts=ts, amount=amount, segments=segments,
                                 unit=unit, on_invalid=on_invalid, naive=naive,
                                 stage_map=stage_map, probability=probability,
                                 forecast_category=forecast_category)

    # -- basic protocol ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entity)

    def __repr__(self) -> str:
        n = len(self)
        parts = [
            f"{n:,} event{'s' if n != 1 else ''}",
            f"{self.n_entities:,} entit{'ies' if self.n_entities != 1 else 'y'}",
            f"{len(self.funnel.stages)} stages",
        ]
        if self.amount is not None:
            parts.append("amount")
        if self.segments:
            parts.append("segments: " + ", ".join(self.segments))
        if self.event is not None:
            parts.append("event names")
        if self.properties:
            parts.append("properties: " + ", ".join(self.properties))
        if self.dropped:
            parts.append(f"{self.dropped:,} row{'s' if self.dropped != 1 else ''} dropped")
        return f"<EventLog {self.funnel.name!r}: {', '.join(parts)}>"

    @property
    def stage_names(self) -> tuple[str, ...]:
        """The funnel's stage names (``stage_names[log.stage]`` names each event's stage)."""
        return self.funnel.names

    # -- derived views ----------------------------------------------------------------------
    def sorted_by_entity_time(self) -> SortedEvents:
        """The events sorted by (entity, time, stage), computed once and cached.

        Exact duplicates keep their original row order (the sort is stable).

        Returns
        -------
        SortedEvents

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=[2, 1, 2, 2], stage=[1, 0, 0, 2],
        ...                            ts=[3, 9, 3, 1], unit="s")
        >>> s = log.sorted_by_entity_time()
        >>> s.entity.tolist(), s.stage.tolist(), (s.ts // 10**9).tolist()
        ([0, 1, 1, 1], [0, 2, 0, 1], [9, 1, 3, 3])
        """
        return _sorted(self)

    def take_entities(self, selection: Any) -> EventLog:
        """A new log with the events of some entities only.

        Parameters
        ----------
        selection : array-like of bool or int
            A boolean mask of length :attr:`n_entities`, or entity codes. Kept entities are
            re-coded densely in code order; :attr:`ids` follow.

        Returns
        -------
        EventLog

        Raises
        ------
        InvalidParameterError
            A mask of the wrong length or codes outside ``0 .. n_entities - 1``.

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=["x", "y", "x"], stage=[0, 0, 1], ts=[0, 1, 2],
        ...                            unit="s")
        >>> sub = log.take_entities([0])
        >>> sub.ids.tolist(), len(sub)
        (['x'], 2)
        """
        sel = np.asarray(selection)
        if sel.dtype == np.bool_:
            if sel.shape != (self.n_entities,):
                raise InvalidParameterError(
                    f"an entity mask must have shape ({self.n_entities},); got {sel.shape}",
                    parameter="selection", value=sel.shape,
                )
            mask = sel
        else:
            if sel.size and sel.dtype.kind not in "iu":
                raise InvalidParameterError(
                    f"selection must be a boolean mask or integer entity codes; got dtype "
                    f"{sel.dtype}", parameter="selection", value=sel.dtype,
                )
            codes = sel.astype(np.int64).ravel()
            bad = (codes < 0) | (codes >= self.n_entities)
            if bad.any():
                raise InvalidParameterError(
                    f"entity codes must be in 0..{self.n_entities - 1}; got "
                    f"{codes[bad][:MAX_EXAMPLES].tolist()}",
                    parameter="selection", value=codes[bad][:MAX_EXAMPLES].tolist(),
                )
            mask = np.zeros(self.n_entities, dtype=np.bool_)
            mask[codes] = True
        return self._select(mask[self.entity], mask)

    def _select(self, rows: npt.NDArray[np.bool_], entities: npt.NDArray[np.bool_]
                ) -> EventLog:
        """The events ``rows`` (a row mask) of the ``entities`` (an entity mask that holds
        the entity of every kept row), re-coded densely in code order; :attr:`ids` and
        segment categories follow. Shared by :meth:`take_entities` and the ``as_of``
        views of the metrics."""
        remap = np.cumsum(entities, dtype=np.int64) - 1
        return self._subset(rows, remap[self.entity[rows]], self.ids[entities],
                            int(entities.sum()))

    def _subset(self, rows: npt.NDArray[Any], entity: npt.NDArray[np.int64],
                ids: np.ndarray[Any, Any], n_entities: int) -> EventLog:
        """The events ``rows`` (a row mask or row indices) with their new dense ``entity``
        codes and ``ids``: every per-row column (amount, segments, probability, event
        name, properties) follows the rows. The one place a log is cut into pieces."""
        return EventLog(
            funnel=self.funnel,
            entity=entity,
            ids=ids,
            stage=self.stage[rows],
            ts=self.ts[rows],
            amount=None if self.amount is None else self.amount[rows],
            segments={k: Segment(s.codes[rows], s.categories) for k, s in self.segments.items()},
            n_entities=n_entities,
            probability=None if self.probability is None else self.probability[rows],
            event=None if self.event is None else Segment(self.event.codes[rows],
                                                          self.event.categories),
            properties={k: v[rows] for k, v in self.properties.items()},
        )

    def partition(self, n: int) -> list[EventLog]:
        """Split the log by entity into ``n`` logs (contiguous blocks of entity codes).

        Every entity's events land in exactly one part; segment categories are shared, so
        results computed per part can be merged (see ``merge`` on metric results).

        Parameters
        ----------
        n : int
            Number of parts (1 .. ``2**20``); some parts are empty when
            ``n > n_entities``.

        Returns
        -------
        list of EventLog

        Raises
        ------
        InvalidParameterError
            If ``n`` is not an integer in ``[1, 2**20]``.

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=[1, 2, 3, 3], stage=[0, 0, 0, 1],
        ...                            ts=[0, 1, 2, 3], unit="s")
        >>> [p.n_entities for p in log.partition(2)], [len(p) for p in log.partition(2)]
        ([2, 1], [2, 2])
        """
        n = check_int("n", n, where="EventLog.partition", low=1, high=2**20)
        codes = np.arange(self.n_entities, dtype=np.int64)
        block = codes * n // max(self.n_entities, 1)
        return [self.take_entities(block == i) for i in range(n)]

    def to_pandas(self) -> Any:
        """The events as a :class:`pandas.DataFrame` (needs the ``pandas`` extra).

        Columns: ``entity`` (original ids), ``stage`` (categorical of stage names in funnel
        order), ``ts`` (UTC timestamps), ``amount`` and ``probability`` when present, then
        the segments.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=["x"], stage=["won"], ts=[0], unit="s")
        >>> log.to_pandas()
          entity stage                        ts
        0      x   won 1970-01-01 00:00:00+00:00
        """
        pd = import_optional("pandas", "pandas", purpose="EventLog.to_pandas")
        data: dict[str, Any] = {
            "entity": self.ids[self.entity],
            "stage": pd.Categorical.from_codes(self.stage.astype(np.int64),
                                               categories=list(self.funnel.names)),
            "ts": pd.to_datetime(self.ts, unit="ns", utc=True),
        }
        if self.amount is not None:
            data["amount"] = self.amount
        if self.probability is not None:
            data["probability"] = self.probability
        for name, seg in self.segments.items():
            data[name] = seg.values()
        return pd.DataFrame(data)
