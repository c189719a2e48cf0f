"""The journey store: journeys with their full history in SQLite or PostgreSQL.

One class over about 1,000 lines on purpose: its methods share one connection, one lock
and the per-store caches (funnel versions, loaded journeys' base versions). The SQL
dialects live in ``_backends``, the tables in ``_schema``, the column-wise read in
``_read``, the funnel versions in ``_funnels`` and the edit retries in ``_edit``.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import attrs

from salesfunnel._util._time import duration_ns, ns_to_datetime, to_ns
from salesfunnel._util._validate import check_instance, check_int, invalid
from salesfunnel.errors import (
    ConflictError,
    DefinitionError,
    FunnelError,
    InvalidParameterError,
    StoreError,
)
from salesfunnel.events import EventLog
from salesfunnel.model import Funnel, Hooks, Journey, TransitionRecord
from salesfunnel.model._records import EMPTY, freeze, thaw
from salesfunnel.store import _read, _schema
from salesfunnel.store._backends import Backend, SqliteBackend, open_backend
from salesfunnel.store._edit import Block
from salesfunnel.store._funnels import FunnelVersion, StrictNames, check_migration, translation
from salesfunnel.store._records import (
    Change,
    Delivery,
    Receipt,
    StaleJourney,
    ext_key,
    facts_json,
    indexed_field,
    ns_of,
    subject_json,
)

__all__ = ["Change", "Delivery", "Receipt", "StaleJourney", "Store"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
#: How many loaded journeys the store remembers the base version of (older ones are
#: checked against the stored history instead).
_TRACKED = 100_000
_KIND_VERB = {"advance": "advance", "skip": "advance", "fall_back": "regress",
              "lose": "lose", "reenter": "reenter"}


@attrs.define
class _Base:
    """What the store knows of a loaded journey: the stored counts it was read at."""

    journey: Journey
    key: int
    moves: int
    edits: int
    version: int


class _Rows(NamedTuple):
    """The parameters of one write's statements, built before the write lock is taken."""

    update: tuple[Any, ...]
    transitions: list[tuple[Any, ...]]
    edits: list[tuple[Any, ...]]
    outbox: list[tuple[Any, ...]]
    moves: int  # the history's length written


class Store:
    """Journeys with their full history in a database: SQLite (standard library) or
    PostgreSQL (the ``postgres`` extra).

    Open one with :meth:`open`. Each journey has a current-state row and append-only
    transition rows, written in one transaction with a version check, so a save based
    on a stale read raises :class:`~salesfunnel.errors.ConflictError` and changes
    nothing. A store object may be shared by threads; processes each open their own.

    Parameters
    ----------
    backend
        Use :meth:`open`.
    owner, segment : str or None
        Subject fields copied into indexed columns for :meth:`find`.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> from salesfunnel.store import Store
    >>> funnel = Funnel("deals", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
    ...                           Stage("lost", kind="lost")])
    >>> store = Store.open("sqlite:///:memory:")
    >>> deal = funnel.start({"owner": "ann"}, id="d1", at="2026-03-01T09:00:00+00:00")
    >>> store.add(deal)
    Receipt(id='d1', version=1, stage='lead', replayed=False)
    >>> with store.edit("d1") as d:
    ...     _ = d.advance(at="2026-03-02T09:00:00+00:00")
    >>> store.get("d1").stage, store.counts("deals")["demo"]
    ('demo', 1)
    >>> store.close()
    """

    def __init__(self, backend: Backend, *, owner: str | None = "owner",
                 segment: str | None = "segment", hooks: Hooks | None = None) -> None:
        self._db = backend
        self._hooks = hooks
        self._owner = owner
        self._segment = segment
        self._versions: dict[int, FunnelVersion] = {}
        self._funnels: dict[str, tuple[Funnel, int]] = {}
        self._tracked: OrderedDict[int, _Base] = OrderedDict()
        self._lock = threading.RLock()
        self._closed = False
        self._init_schema()

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, synchronous: str = "FULL", timeout: float = 30.0,
             owner: str | None = "owner", segment: str | None = "segment",
             funnels: Sequence[Funnel] = (), hooks: Hooks | None = None) -> Store:
        """Open (creating when new) the store at ``url``.

        Parameters
        ----------
        url : str
            ``"sqlite:///path/deals.db"`` (relative path; four slashes for an absolute
            one), ``"sqlite:///:memory:"``, or ``"postgresql://user:pw@host/db"``
            (needs ``pip install 'salesfunnel[postgres]'``).
        synchronous : {"FULL", "NORMAL"}
            SQLite only. ``FULL`` (the default) flushes the write-ahead log on every
            commit: a committed save survives a power cut. ``NORMAL`` flushes at
            checkpoints only: several times faster, still never corrupt, but the last
            commits before a power cut (not a process crash) may be lost.
        timeout : float
            Seconds to wait for another writer's lock (SQLite) or to connect.
        owner, segment : str or None
            The subject fields indexed for :meth:`find` (``None``: not indexed).
        funnels : sequence of Funnel
            Funnels to :meth:`register` at once.
        hooks : Hooks, optional
            Hooks attached to every journey the store loads; the messages they emit
            are written to the outbox with the save (see :meth:`dispatch`).

        Raises
        ------
        StoreError
            The file is not a store, is damaged or truncated, or its schema version
            is not this library's.
        MissingDependencyError
            A PostgreSQL URL without psycopg installed.
        """
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not \
                timeout >= 0:
            raise invalid("timeout", timeout, "a number of seconds >= 0", where="Store.open")
        for name, value in (("owner", owner), ("segment", segment)):
            if value is not None and not isinstance(value, str):
                raise invalid(name, value, "a subject field name or None", where="Store.open")
        if hooks is not None and not isinstance(hooks, Hooks):
            raise invalid("hooks", hooks, "a Hooks object or None", where="Store.open")
        backend = open_backend(url, synchronous=synchronous, timeout=float(timeout))
        try:
            store = cls(backend, owner=owner, segment=segment, hooks=hooks)
        except BaseException:
            backend.close()
            raise
        for funnel in funnels:
            store.register(funnel)
        return store

    def _init_schema(self) -> None:
        db = self._db
        try:
            if db.kind == "sqlite":
                # a store that exists is only read: opening never waits for writers
                with db.lock:
                    tables = self._tables()
                    if "sf_schema" in tables:
                        self._check_schema(tables)
                        return
            with db.transaction():
                if db.kind != "sqlite":
                    db.execute("SELECT pg_advisory_xact_lock(7271)")
                tables = self._tables()
                if "sf_schema" not in tables:
                    if db.kind == "sqlite" and tables:
                        raise StoreError(
                            f"{self._where()} is an SQLite database but not a salesfunnel "
                            f"store (its tables: {sorted(tables)[:5]})")
                    for statement in db.schema():
                        db.execute(statement)
                    db.execute("INSERT INTO sf_schema (version) VALUES (?)",
                               (_schema.SCHEMA_VERSION,))
                    return
                self._check_schema(tables)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self._where()} is not a salesfunnel store or is damaged "
                             f"(SQLite says: {exc})") from exc

    def _tables(self) -> set[str]:
        db = self._db
        if db.kind == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            sql = ("SELECT table_name FROM information_schema.tables "
                   "WHERE table_schema = current_schema()")
        return {r[0] for r in db.execute(sql).fetchall()}

    def _check_schema(self, tables: set[str]) -> None:
        rows = self._db.execute("SELECT version FROM sf_schema").fetchall()
        missing = sorted(set(_schema.TABLES) - tables)
        if len(rows) != 1 or missing:
            raise StoreError(f"{self._where()} is a damaged salesfunnel store "
                             f"(missing tables {missing}, {len(rows)} schema rows)")
        if rows[0][0] != _schema.SCHEMA_VERSION:
            raise StoreError(
                f"{self._where()} has store schema version {rows[0][0]}; this "
                f"salesfunnel reads version {_schema.SCHEMA_VERSION}")

    def _where(self) -> str:
        db = self._db
        return repr(db.path) if isinstance(db, SqliteBackend) else "the database"

    @property
    def url(self) -> str:
        """The URL the store was opened with."""
        return self._db.url

    @property
    def kind(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.kind

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Store {self._db.kind} {self._where()}>"

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Translate driver errors into the library's."""
        if self._closed:
            raise StoreError("this store is closed")
        try:
            yield
        except FunnelError:
            raise
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self._where()}: database error: {exc}") from exc
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg"):
                raise StoreError(f"PostgreSQL error: {exc}") from exc
            raise

    # -- funnels ----------------------------------------------------------------------------
    def register(self, funnel: Funnel, *, migration: Mapping[str, str | None] | None = None
                 ) -> int:
        """Store ``funnel``'s definition (a new version when it changed) and use this
        funnel object for journeys of its name.

        Parameters
        ----------
        funnel : Funnel
            The definition in use now.
        migration : mapping of str to str or None, optional
            From the latest stored version's stage names to this one's: renamed or
            merged stages map to their new name, removed ones to ``None``. Needed when
            stages disappeared; stored history is never rewritten, it is translated when
            read.

        Returns
        -------
        int
            The funnel version journeys started now are recorded under.

        Raises
        ------
        StoreError
            Stages of the stored version are missing and not mapped.
        """
        check_instance("funnel", funnel, Funnel, where="Store.register")
        definition = json.dumps(funnel.to_dict(), sort_keys=True)
        with self._guard(), self._db.transaction():
            self._load_versions()
            same = [v for v in self._versions.values()
                    if v.name == funnel.name and v.definition == definition]
            if same:
                fid = same[-1].fid
            else:
                latest = max((v for v in self._versions.values() if v.name == funnel.name),
                             key=lambda v: v.version, default=None)
                mapping = check_migration(funnel.name, latest, funnel.names, migration)
                number = 1 if latest is None else latest.version + 1
                self._db.execute(
                    "INSERT INTO sf_funnels (name, version, definition, migration) "
                    "VALUES (?, ?, ?, ?)",
                    (funnel.name, number, definition, json.dumps(mapping) if mapping else None))
                self._load_versions()
                fid = next(v.fid for v in self._versions.values()
                           if v.name == funnel.name and v.version == number)
        with self._lock:
            self._funnels[funnel.name] = (funnel, fid)
        return self._versions[fid].version

    def _load_versions(self) -> None:
        rows = self._db.execute(
            "SELECT id, name, version, definition, migration FROM sf_funnels").fetchall()
        self._versions = {int(r[0]): FunnelVersion.from_row(r) for r in rows}

    def _version(self, fid: int) -> FunnelVersion:
        if fid not in self._versions:
            self._load_versions()
        return self._versions[fid]

    def funnel(self, name: str) -> Funnel:
        """The funnel of that name: the registered object, else the latest stored
        definition (rule gates rebuild; callable gates need :meth:`register`).

        Raises
        ------
        StoreError
            No funnel of that name is stored, or its definition needs callables.
        """
        return self._funnel(name)[0]

    def _funnel(self, name: Any) -> tuple[Funnel, int]:
        if isinstance(name, Funnel):
            name = name.name
        with self._lock:
            found = self._funnels.get(name)
        if found is not None:
            return found
        with self._guard():
            self._load_versions()
            stored = [v for v in self._versions.values() if v.name == name]
            if not stored:
                known = sorted({v.name for v in self._versions.values()})
                raise StoreError(f"unknown funnel {name!r}; this store holds funnels {known}")
            latest = max(stored, key=lambda v: v.version)
            try:
                funnel = Funnel.from_dict(json.loads(latest.definition))
            except DefinitionError as exc:
                raise StoreError(
                    f"funnel {name!r} version {latest.version} cannot be rebuilt from the "
                    f"store ({exc}); call store.register(funnel) with the funnel object"
                ) from exc
        with self._lock:
            self._funnels.setdefault(name, (funnel, latest.fid))
            return self._funnels[name]

    def _fid_for(self, funnel: Funnel) -> int:
        with self._lock:
            found = self._funnels.get(funnel.name)
        if found is not None and (found[0] is funnel or found[0] == funnel):
            return found[1]
        self.register(funnel)
        return self._funnels[funnel.name][1]

    # -- writing ----------------------------------------------------------------------------
    def add(self, journey: Journey, *, key: str | None = None) -> Receipt:
        """Store a new journey with its history so far.

        A journey without an ``id`` gets the store's integer key as its id. Its funnel
        is registered when it is not yet.

        Parameters
        ----------
        journey : Journey
            The journey (any version).
        key : str, optional
            Idempotency key: adding again with the same key returns the first
            :class:`Receipt` (with ``replayed=True``) and writes nothing.

        Raises
        ------
        StoreError
            A journey with that id is already stored.
        """
        check_instance("journey", journey, Journey, where="Store.add")
        self._check_key(key)
        ext = None if journey.id is None else ext_key(journey.id)
        subject = subject_json(journey)
        fid = self._fid_for(journey.funnel)
        with self._guard():
            for _ in range(2):
                try:
                    return self._add(journey, ext, subject, fid, key)
                except Exception as exc:
                    if not (key and self._db.is_unique_violation(exc)):
                        raise
            raise StoreError(f"idempotency key {key!r} could not be recorded")  # pragma: no cover

    def _add(self, journey: Journey, ext: str | None, subject: str | None, fid: int,
             key: str | None) -> Receipt:
        db = self._db
        edits = tuple(journey.edits)
        history = journey.history
        now = ns_of(datetime.now(UTC))
        with db.transaction():
            if key is not None:
                done = self._replayed(key)
                if done is not None:
                    return done
            if ext is not None and db.execute("SELECT 1 FROM sf_journeys WHERE ext_id = ?",
                                              (ext,)).fetchall():
                raise StoreError(f"journey {journey.id!r} is already stored; use "
                                 "store.save() to save changes", journey=journey.id)
            placeholder = ext if ext is not None else f"new:{id(journey)}:{time.time_ns()}"
            cur = db.execute(
                "INSERT INTO sf_journeys (ext_id, funnel, fid, stage, stage_fid, version, "
                "moves, edits, subject, owner, segment, entered_at, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (placeholder, journey.funnel.name, fid, journey.stage, fid, journey.version,
                 len(history), len(edits), subject, indexed_field(journey.subject, self._owner),
                 indexed_field(journey.subject, self._segment), ns_of(history[-1].at), now, now))
            jkey = int(cur.fetchone()[0])
            if ext is None:
                journey.id = jkey
                ext = ext_key(jkey)
                db.execute("UPDATE sf_journeys SET ext_id = ? WHERE id = ?", (ext, jkey))
            self._write(self._rows(journey, _Base(journey, jkey, 0, 0, 0), fid, history,
                                   len(history), history[-1].at, edits, subject),
                        jkey, journey, key)
        self._sent(journey)
        self._track(journey, jkey, len(history), len(edits), journey.version)
        return Receipt(journey.id, journey.version, journey.stage)

    def save(self, journey: Journey, *, key: str | None = None) -> Receipt:
        """Save a journey's new transitions, edits and subject, if nobody saved it since
        it was read.

        One transaction updates the current-state row where its version is the one read
        (``UPDATE ... WHERE id = ? AND version = ?``) and appends the new transition
        rows and the messages its hooks emitted (the outbox).

        Parameters
        ----------
        journey : Journey
            A journey from :meth:`get` or :meth:`add` (any other is checked against
            the stored history).
        key : str, optional
            Idempotency key: saving again with a key already used writes nothing and
            returns the first outcome (``replayed=True``).

        Raises
        ------
        ConflictError
            The stored journey changed since it was read; nothing was written.
        StoreError
            The journey is not stored.
        """
        check_instance("journey", journey, Journey, where="Store.save")
        self._check_key(key)
        if journey.id is None:
            raise StoreError("this journey has no id: it was never stored; use store.add()")
        ext = ext_key(journey.id)
        subject = subject_json(journey)
        fid = self._fid_for(journey.funnel)
        with self._guard():
            for _ in range(2):
                try:
                    return self._save(journey, ext, subject, fid, key)
                except Exception as exc:
                    if not (key and self._db.is_unique_violation(exc)):
                        raise
            raise StoreError(f"idempotency key {key!r} could not be recorded")  # pragma: no cover

    def _save(self, journey: Journey, ext: str, subject: str | None, fid: int,
              key: str | None) -> Receipt:
        db = self._db
        edits = tuple(journey.edits)
        # A journey this store loaded or wrote is based on a known stored state: only
        # its new records are read (a long history is not copied on every save) and its
        # rows are built before the write lock is taken, so the lock is held only for
        # the statements (writers in other processes wait on it).
        base = self._tracked_base(journey)
        rows = None
        if base is not None:
            skip = max(base.moves - 1, 0)
            tail = journey.history_since(skip)  # the last stored record and the new ones
            if not tail:  # a history never shrinks; this is not the journey stored
                raise ConflictError(journey.id, journey.version, base.version)
            rows = self._rows(journey, base, fid, tail[base.moves - skip:],
                              skip + len(tail), tail[-1].at, edits, subject)
        with db.transaction():
            if key is not None:
                done = self._replayed(key)
                if done is not None:
                    return done
            if base is not None and self._tracked_base(journey) is not base:
                # another thread saved this journey object since the rows were built:
                # build them again on what it stored (its save may have been ours too)
                base = self._tracked_base(journey)
                edits = tuple(journey.edits)
                rows = None
            if base is None or rows is None:
                history = journey.history
                base = base or self._base(journey, ext, history, edits)
                rows = self._rows(journey, base, fid, history[base.moves:], len(history),
                                  history[-1].at, edits, subject)
            if (journey.version < base.version or rows.moves < base.moves
                    or len(edits) < base.edits):
                raise ConflictError(journey.id, journey.version, base.version)
            cur = db.execute(
                "UPDATE sf_journeys SET stage = ?, stage_fid = ?, version = ?, moves = ?, "
                "edits = ?, subject = ?, owner = ?, segment = ?, entered_at = ?, "
                "updated_at = ? WHERE id = ? AND version = ?", rows.update)
            if cur.rowcount != 1:
                found = db.execute("SELECT version FROM sf_journeys WHERE id = ?",
                                   (base.key,)).fetchall()
                raise ConflictError(journey.id, base.version, found[0][0] if found else None)
            self._write(rows, base.key, journey, key)
        self._sent(journey)
        self._track(journey, base.key, rows.moves, len(edits), journey.version)
        return Receipt(journey.id, journey.version, journey.stage)

    def _tracked_base(self, journey: Journey) -> _Base | None:
        with self._lock:
            base = self._tracked.get(id(journey))
        return base if base is not None and base.journey is journey else None

    def _base(self, journey: Journey, ext: str, history: Sequence[TransitionRecord],
              edits: Sequence[Any]) -> _Base:
        """The stored state an untracked journey is based on; inside a transaction."""
        rows = self._db.execute(
            "SELECT id, moves, edits, version FROM sf_journeys WHERE ext_id = ?",
            (ext,)).fetchall()
        if not rows:
            raise StoreError(f"journey {journey.id!r} is not stored; use store.add()",
                             journey=journey.id)
        jkey, moves, n_edits, version = (int(x) for x in rows[0])
        # An untracked journey (evicted, or rebuilt by the caller): it is based on the
        # stored state only if the stored history is a prefix of its own.
        if moves > len(history) or n_edits > len(edits):
            raise ConflictError(journey.id, journey.version, version)
        if moves:
            stored = self._records(jkey, moves, journey.funnel, start=moves)
            if stored[-1][:7] != tuple(history[moves - 1])[:7]:
                raise ConflictError(journey.id, journey.version, version)
        return _Base(journey, jkey, moves, n_edits, version)

    def _rows(self, journey: Journey, base: _Base, fid: int,
              new: Sequence[TransitionRecord], moves: int, last_at: datetime,
              edits: Sequence[Any], subject: str | None) -> _Rows:
        """The statements' parameters of one write (no database access): ``new`` are the
        records after the ``base.moves`` stored ones, ``moves`` the history's length
        and ``last_at`` the time of its last record."""
        jkey, n_edits = base.key, base.edits
        now = ns_of(datetime.now(UTC))
        update = (journey.stage, fid, journey.version, moves, len(edits), subject,
                  indexed_field(journey.subject, self._owner),
                  indexed_field(journey.subject, self._segment), ns_of(last_at), now,
                  jkey, base.version)
        # one tuple per new transition: the hot loop of a save, kept to plain lookups
        pos = {name: i for i, name in enumerate(journey.funnel.names)}
        transitions = []
        n = base.moves
        for r in new:
            n += 1
            frm = r.from_stage
            transitions.append((
                jkey, fid, n, None if frm is None else pos[frm], pos[r.to_stage],
                ns_of(r.at), r.actor, r.reason, 1 if r.forced else 0, r.kind,
                facts_json(r) if r.facts else None))
        edit_rows = [
            (jkey, n_edits + i + 1, e.version, ns_of(e.at), e.actor, e.reason,
             json.dumps(thaw(e.changes), default=str))
            for i, e in enumerate(edits[n_edits:])]
        outbox = [(jkey, m.version, m.topic, json.dumps(thaw(m.payload), default=str), now)
                  for m in journey.pending_messages]
        return _Rows(update, transitions, edit_rows, outbox, moves)

    def _write(self, rows: _Rows, jkey: int, journey: Journey, key: str | None) -> None:
        """Append a write's transitions, edits, outbox messages and idempotency key;
        inside the write transaction."""
        db = self._db
        if rows.transitions:
            db.lock_feed()
            db.executemany(
                "INSERT INTO sf_transitions (journey, fid, n, from_stage, to_stage, at, "
                "actor, reason, forced, kind, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows.transitions)
        if rows.edits:
            db.executemany(
                "INSERT INTO sf_edits (journey, n, version, at, actor, reason, changes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", rows.edits)
        if rows.outbox:
            db.executemany(
                "INSERT INTO sf_outbox (journey, version, topic, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?)", rows.outbox)
        if key is not None:
            db.execute("INSERT INTO sf_idempotency (key, journey, version, stage) "
                       "VALUES (?, ?, ?, ?)", (key, jkey, journey.version, journey.stage))

    @staticmethod
    def _sent(journey: Journey) -> None:
        """The messages are in the outbox now: clear them from the journey."""
        journey.take_messages()

    def _track(self, journey: Journey, jkey: int, moves: int, edits: int, version: int
               ) -> None:
        with self._lock:
            self._tracked[id(journey)] = _Base(journey, jkey, moves, edits, version)
            self._tracked.move_to_end(id(journey))
            while len(self._tracked) > _TRACKED:
                self._tracked.popitem(last=False)

    def _check_key(self, key: Any) -> None:
        if key is not None and (not isinstance(key, str) or not key):
            raise invalid("key", key, "a non-empty str idempotency key or None",
                          where="Store")

    def _replayed(self, key: str) -> Receipt | None:
        rows = self._db.execute(
            "SELECT j.ext_id, k.version, k.stage FROM sf_idempotency k "
            "JOIN sf_journeys j ON j.id = k.journey WHERE k.key = ?", (key,)).fetchall()
        if not rows:
            return None
        ext, version, stage = rows[0]
        return Receipt(json.loads(ext), int(version), stage, True)

    # -- reading ----------------------------------------------------------------------------
    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees one committed state."""
        db = self._db
        with self._guard(), db.lock:
            db.execute("BEGIN" if db.kind == "sqlite" else
                       "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield
            finally:
                db.execute("COMMIT")

    def get(self, id: Any, *, hooks: Hooks | None = None) -> Journey:
        """The journey with its full history and edits, rebuilt on its funnel (as
        registered now; history saved under older versions is translated through their
        migration maps).

        Parameters
        ----------
        id : str or int
            The journey's id.
        hooks : Hooks, optional
            Hooks for the loaded journey (default: the store's ``hooks``).

        Raises
        ------
        StoreError
            No journey has that id (also a ``KeyError``-like miss: the message names
            it), or its funnel is unknown or changed without a migration.
        """
        ext = ext_key(id)
        with self._snapshot():
            rows = self._db.execute(
                "SELECT id, funnel, version, moves, edits, subject FROM sf_journeys "
                "WHERE ext_id = ?", (ext,)).fetchall()
            if not rows:
                raise StoreError(f"no journey with id {id!r} in this store", journey=id)
            jkey, name, version, moves, n_edits, subject = rows[0]
            funnel, _ = self._funnel(name)
            records = self._records(int(jkey), int(moves), funnel)
            edits = [{"version": v, "at": ns_to_datetime(at).isoformat(), "actor": actor,
                      "reason": reason, "changes": json.loads(changes)}
                     for v, at, actor, reason, changes in self._db.execute(
                         "SELECT version, at, actor, reason, changes FROM sf_edits WHERE "
                         "journey = ? AND n <= ? ORDER BY n", (jkey, n_edits)).fetchall()]
        journey = self._rebuild(funnel, records, edits, subject, id,
                                self._hooks if hooks is None else hooks)
        self._track(journey, int(jkey), int(moves), int(n_edits), int(version))
        return journey

    def _rebuild(self, funnel: Funnel, records: list[TransitionRecord],
                 edits: list[dict[str, Any]], subject: Any, id: Any,
                 hooks: Hooks | None) -> Journey:
        try:
            return Journey.replay(funnel, records,
                                  subject=None if subject is None else json.loads(subject),
                                  id=id, edits=edits, hooks=hooks)
        except FunnelError as exc:
            raise StoreError(f"journey {id!r} does not replay on funnel {funnel.name!r} as "
                             f"registered now: {exc}", journey=id) from exc

    def _records(self, jkey: int, moves: int, funnel: Funnel, start: int = 1
                 ) -> list[TransitionRecord]:
        rows = self._db.execute(
            "SELECT fid, from_stage, to_stage, at, actor, reason, forced, kind, facts FROM "
            "sf_transitions WHERE journey = ? AND n >= ? AND n <= ? ORDER BY n",
            (jkey, start, moves)).fetchall()
        names = self._names_for(funnel, {int(r[0]) for r in rows})
        out = []
        for fid, frm, to, at, actor, reason, forced, kind, facts in rows:
            table = names[int(fid)]
            out.append(TransitionRecord(None if frm is None else table[frm], table[to],
                                        ns_to_datetime(at), actor, reason, bool(forced), kind,
                                        freeze(json.loads(facts)) if facts else EMPTY))
        return out

    def _names_for(self, funnel: Funnel, fids: set[int]) -> dict[int, list[str]]:
        """For each funnel version: its stage indices -> stage names in ``funnel``."""
        out: dict[int, list[str]] = {}
        target = self._current_version(funnel)
        for fid in fids:
            self._version(fid)
            lut = translation(self._versions, fid, funnel.names, target)
            names = []
            for i, j in enumerate(lut.tolist()):
                old = self._versions[fid].stages[i]
                names.append(funnel.names[j] if j >= 0 else f"<removed stage {old!r}>")
            out[fid] = names
            if (lut < 0).any():
                out[fid] = StrictNames(names, self._versions[fid], funnel)
        return out

    def _current_version(self, funnel: Funnel) -> int:
        fid = self._funnel(funnel)[1]
        return self._version(fid).version

    def history(self, id: Any) -> tuple[TransitionRecord, ...]:
        """One journey's transition records, oldest first, without rebuilding it.

        Raises
        ------
        StoreError
            No journey has that id.
        """
        ext = ext_key(id)
        with self._snapshot():
            rows = self._db.execute("SELECT id, funnel, moves FROM sf_journeys "
                                    "WHERE ext_id = ?", (ext,)).fetchall()
            if not rows:
                raise StoreError(f"no journey with id {id!r} in this store", journey=id)
            jkey, name, moves = rows[0]
            return tuple(self._records(int(jkey), int(moves), self._funnel(name)[0]))

    def __contains__(self, id: object) -> bool:
        try:
            ext = ext_key(id)
        except InvalidParameterError:
            return False
        with self._guard():
            return bool(self._db.query("SELECT 1 FROM sf_journeys WHERE ext_id = ?", (ext,)))

    def __len__(self) -> int:
        with self._guard():
            return int(self._db.query("SELECT COUNT(*) FROM sf_journeys")[0][0])

    # -- editing with retries -----------------------------------------------------------------
    @contextmanager
    def edit(self, id: Any, *, retries: int = 5, key: str | None = None
             ) -> Iterator[Journey]:
        """Load a journey, let the block change it, save it; on a conflict, reload and
        apply the block's changes again (up to ``retries`` times).

        The block's moves are re-applied with the same targets, times, actors and
        reasons (gates re-checked against the fresh subject), its edits and subject
        changes re-applied field by field. A move that is no longer allowed raises.

        Parameters
        ----------
        id : str or int
            The journey's id.
        retries : int
            How many times to retry after a :class:`ConflictError`.
        key : str, optional
            Idempotency key: when already used, the block runs on a copy that is not
            saved.

        Raises
        ------
        ConflictError
            Still conflicting after ``retries`` retries.
        """
        retries = check_int("retries", retries, where="Store.edit", low=0)
        self._check_key(key)
        journey = self.get(id)
        subject_before = copy.deepcopy(journey.subject)
        moves0, edits0 = len(journey.history), len(tuple(journey.edits))
        yield journey
        block = Block.of(journey, moves0, edits0, subject_before)
        for attempt in range(retries + 1):
            try:
                self.save(journey, key=key)
                return
            except ConflictError:
                if attempt == retries:
                    raise
            time.sleep(0.001 * (attempt + 1))
            journey = self.get(id)
            block.apply(journey)

    def apply(self, id: Any, change: Callable[[Journey], object], *, retries: int = 5,
              key: str | None = None) -> Receipt:
        """Load the journey, call ``change(journey)``, save; on a conflict, run it
        again on a fresh load (up to ``retries`` times).

        Returns
        -------
        Receipt
            The saved outcome (``replayed=True`` when ``key`` was used before).

        Examples
        --------
        >>> from salesfunnel import Funnel, Stage
        >>> store = Store.open("sqlite:///:memory:")
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> _ = store.add(f.start(id=7, at="2026-01-05T09:00:00+00:00"))
        >>> store.apply(7, lambda d: d.advance(at="2026-01-06T09:00:00+00:00"), key="hook-1")
        Receipt(id=7, version=2, stage='won', replayed=False)
        >>> store.apply(7, lambda d: d.advance(), key="hook-1").replayed
        True
        """
        retries = check_int("retries", retries, where="Store.apply", low=0)
        self._check_key(key)
        if key is not None:
            with self._guard(), self._db.lock:
                rows = self._db.query(
                    "SELECT j.ext_id, k.version, k.stage FROM sf_idempotency k "
                    "JOIN sf_journeys j ON j.id = k.journey WHERE k.key = ?", (key,))
            if rows:
                return Receipt(json.loads(rows[0][0]), int(rows[0][1]), rows[0][2], True)
        for attempt in range(retries + 1):
            journey = self.get(id)
            change(journey)
            try:
                return self.save(journey, key=key)
            except ConflictError:
                if attempt == retries:
                    raise
            time.sleep(0.001 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- queries ------------------------------------------------------------------------------
    def _aliases(self, funnel: Funnel, stage: str) -> list[tuple[int, str]]:
        """The (funnel version, stored stage name) pairs that mean ``stage`` now."""
        funnel.index(stage)
        target = self._current_version(funnel)
        out: list[tuple[int, str]] = []
        for fid, v in self._versions.items():
            if v.name != funnel.name:
                continue
            lut = translation(self._versions, fid, funnel.names, target)
            out.extend((fid, v.stages[i]) for i, j in enumerate(lut.tolist())
                       if j >= 0 and funnel.names[j] == stage)
        return out

    def _stage_filter(self, funnel: Funnel, stage: str) -> tuple[str, list[Any]]:
        pairs = self._aliases(funnel, stage)
        if not pairs:
            return "1 = 0", []
        sql = " OR ".join("(stage_fid = ? AND stage = ?)" for _ in pairs)
        return f"({sql})", [x for p in pairs for x in p]

    def find(self, funnel: str | Funnel, *, stage: str | None = None, owner: str | None = None,
             segment: str | None = None, limit: int | None = None) -> list[Any]:
        """Ids of the journeys of ``funnel`` matching every filter given (indexed
        queries; no journey is loaded).

        Examples
        --------
        >>> from salesfunnel import Funnel, Stage
        >>> store = Store.open("sqlite:///:memory:")
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> for i, who in enumerate(["ann", "bo", "ann"]):
        ...     _ = store.add(f.start({"owner": who}, id=f"d{i}", at="2026-01-05T09:00Z"))
        >>> store.find("f", owner="ann"), store.find("f", stage="won")
        (['d0', 'd2'], [])
        """
        fn, _ = self._funnel(funnel)
        where, params = ["funnel = ?"], [fn.name]
        if stage is not None:
            clause, extra = self._stage_filter(fn, stage)
            where.append(clause)
            params.extend(extra)
        for column, value in (("owner", owner), ("segment", segment)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(str(value))
        sql = f"SELECT ext_id FROM sf_journeys WHERE {' AND '.join(where)} ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {check_int('limit', limit, where='Store.find', low=0)}"
        with self._guard():
            return [json.loads(r[0]) for r in self._db.query(sql, params)]

    def counts(self, funnel: str | Funnel) -> dict[str, int]:
        """Journeys per current stage (every stage listed, zeros included)."""
        fn, _ = self._funnel(funnel)
        target = self._current_version(fn)
        with self._guard():
            rows = self._db.query("SELECT stage_fid, stage, COUNT(*) FROM sf_journeys WHERE "
                                  "funnel = ? GROUP BY stage_fid, stage", (fn.name,))
        out = dict.fromkeys(fn.names, 0)
        for fid, stage, n in rows:
            self._version(int(fid))
            lut = translation(self._versions, int(fid), fn.names, target)
            j = int(lut[self._versions[int(fid)].stages.index(stage)])
            if j < 0:
                raise StoreError(f"{n} journeys of funnel {fn.name!r} are at stage {stage!r}, "
                                 "which the funnel registered now has no migration for")
            out[fn.names[j]] += int(n)
        return out

    def stale(self, funnel: str | Funnel, thresholds: Mapping[str, Any], *,
              now: Any = None) -> list[StaleJourney]:
        """Journeys longer in their stage than that stage's threshold, longest first (ties
        by id).

        Parameters
        ----------
        funnel : str or Funnel
            Which funnel.
        thresholds : mapping of stage name to duration
            ``timedelta``, ``numpy.timedelta64`` or seconds; stages not listed are
            never stale.
        now : datetime or ISO string, optional
            The reference time (default: the current time).
        """
        fn, _ = self._funnel(funnel)
        if not isinstance(thresholds, Mapping):
            raise invalid("thresholds", thresholds, "a mapping of stage name to duration",
                          where="Store.stale")
        now_ns = to_ns(datetime.now(UTC) if now is None else now, parameter="now")
        out: list[StaleJourney] = []
        with self._guard():
            for stage, limit in thresholds.items():
                limit_ns = duration_ns(limit, parameter=f"thresholds[{stage!r}]")
                clause, params = self._stage_filter(fn, stage)
                rows = self._db.query(
                    f"SELECT ext_id, entered_at FROM sf_journeys WHERE funnel = ? AND "
                    f"{clause} AND entered_at < ?", [fn.name, *params, now_ns - limit_ns])
                out.extend(StaleJourney(json.loads(ext), stage, ns_to_datetime(at),
                                        timedelta(microseconds=(now_ns - at) // 1000))
                           for ext, at in rows)
        out.sort(key=lambda s: (s.entered_at, str(s.id)))
        return out

    # -- the event log ------------------------------------------------------------------------
    def event_log(self, funnel: str | Funnel, *, since: Any = None,
                  engine: str = "auto") -> EventLog:
        """All transitions of ``funnel`` as an :class:`~salesfunnel.EventLog` (entities
        are the journey ids), read column-wise.

        Parameters
        ----------
        funnel : str or Funnel
            Which funnel; history of older versions is translated to the current one.
        since : datetime or ISO string, optional
            Only transitions at or after this time.
        engine : {"auto", "adbc", "stdlib"}
            ``"adbc"`` reads a PostgreSQL store through ADBC and Arrow
            (``adbc-driver-postgresql``, the ``store-arrow`` extra), without a Python
            object per row; ``"auto"`` uses it when installed. SQLite stores are read
            with the standard library: an ADBC SQLite driver would bring a second copy
            of the SQLite library into the process, and two copies drop each other's
            file locks, which can corrupt the database.

        Examples
        --------
        >>> from salesfunnel import Funnel, Stage
        >>> store = Store.open("sqlite:///:memory:")
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> _ = store.add(f.start(id="a", at="2026-01-05T09:00Z").advance(at="2026-01-07T09:00Z"))
        >>> log = store.event_log("f")
        >>> len(log), log.ids.tolist(), log.stage.tolist()
        (2, ['a'], [0, 1])
        """
        if engine not in ("auto", "adbc", "stdlib"):
            raise invalid("engine", engine, "one of 'auto', 'adbc', 'stdlib'",
                          where="Store.event_log")
        if engine == "adbc" and self._db.kind == "sqlite":
            raise InvalidParameterError(_read.SQLITE_ADBC_REFUSED, parameter="engine",
                                        value=engine)
        fn, _ = self._funnel(funnel)
        since_ns = None if since is None else to_ns(since, parameter="since")
        target = self._current_version(fn)
        with self._guard():
            self._load_versions()
            fids = sorted(fid for fid, v in self._versions.items() if v.name == fn.name)
            all_fids = len(fids) == len(self._versions)
            luts = {fid: translation(self._versions, fid, fn.names, target) for fid in fids}
            return _read.event_log(self._db, fn, fids, all_fids, luts, since_ns, engine)

    # -- change feed and outbox ---------------------------------------------------------------
    def changes(self, after: int = 0, *, limit: int = 1000) -> list[Change]:
        """Committed transitions after cursor ``after``, in commit order (at most
        ``limit``). Feed the last :attr:`Change.cursor` back as ``after=`` to tail the
        store; no committed transition is ever skipped.

        Examples
        --------
        >>> from salesfunnel import Funnel, Stage
        >>> store = Store.open("sqlite:///:memory:")
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> _ = store.add(f.start(id="a", at="2026-01-05T09:00Z"))
        >>> [(c.cursor, c.id, c.record.to_stage) for c in store.changes()]
        [(1, 'a', 'lead')]
        >>> store.changes(after=1)
        []
        """
        after = check_int("after", after, where="Store.changes", low=0)
        limit = check_int("limit", limit, where="Store.changes", low=1)
        with self._snapshot():
            rows = self._db.execute(
                "SELECT t.seq, j.ext_id, t.fid, t.n, t.from_stage, t.to_stage, t.at, t.actor, "
                "t.reason, t.forced, t.kind FROM sf_transitions t JOIN sf_journeys j ON "
                "j.id = t.journey WHERE t.seq > ? ORDER BY t.seq LIMIT ?",
                (after, limit)).fetchall()
            out = []
            for seq, ext, fid, n, frm, to, at, actor, reason, forced, kind in rows:
                v = self._version(int(fid))
                out.append(Change(int(seq), json.loads(ext), v.name, int(n), TransitionRecord(
                    None if frm is None else v.stages[frm], v.stages[to], ns_to_datetime(at),
                    actor, reason, bool(forced), kind)))
            return out

    def pending(self, limit: int = 100) -> list[Delivery]:
        """Outbox messages not yet delivered, oldest first."""
        limit = check_int("limit", limit, where="Store.pending", low=1)
        with self._guard():
            rows = self._db.query(
                "SELECT o.seq, j.ext_id, o.version, o.topic, o.payload, o.attempts FROM "
                "sf_outbox o JOIN sf_journeys j ON j.id = o.journey WHERE o.delivered_at IS "
                "NULL ORDER BY o.seq LIMIT ?", (limit,))
        return [Delivery(int(s), json.loads(e), int(v), t, json.loads(p), int(a))
                for s, e, v, t, p, a in rows]

    def dispatch(self, handler: Callable[[Delivery], object], *, limit: int = 100) -> int:
        """Deliver pending outbox messages to ``handler``, oldest first, marking each
        delivered after the handler returns.

        At least once: a crash between the handler and the mark delivers that message
        again on the next call; a message of a save that rolled back or conflicted
        never exists. If the handler raises, its attempt is counted, the message stays
        pending and the exception propagates.

        Returns
        -------
        int
            The number of messages delivered.
        """
        if not callable(handler):
            raise invalid("handler", handler, "a callable taking a Delivery",
                          where="Store.dispatch")
        done = 0
        for message in self.pending(limit):
            try:
                handler(message)
            except BaseException:
                with self._guard(), self._db.transaction():
                    self._db.execute("UPDATE sf_outbox SET attempts = attempts + 1 "
                                     "WHERE seq = ?", (message.seq,))
                raise
            with self._guard(), self._db.transaction():
                self._db.execute(
                    "UPDATE sf_outbox SET delivered_at = ?, attempts = attempts + 1 WHERE "
                    "seq = ? AND delivered_at IS NULL", (ns_of(datetime.now(UTC)), message.seq))
            done += 1
        return done
