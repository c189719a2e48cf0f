"""The two database backends behind :class:`~salesfunnel.store.Store`: SQLite (standard
library ``sqlite3``) and PostgreSQL (psycopg 3, the ``postgres`` extra).

Each backend owns one connection and speaks the same small interface: ``execute`` with
``?`` placeholders, ``begin``/``commit``/``rollback`` for write transactions, and the
few statements whose SQL differs between the two (schema, append lock, unique-violation
detection). Everything above this module is dialect-free.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from salesfunnel._util._optional import import_optional
from salesfunnel._util._validate import check_choice, invalid
from salesfunnel.errors import StoreError
from salesfunnel.store import _schema

__all__ = ["Backend", "PostgresBackend", "SqliteBackend", "open_backend"]

SYNCHRONOUS = ("FULL", "NORMAL")


class Backend:
    """What the store needs of a database connection."""

    kind: str = ""
    url: str = ""
    #: Connection-level lock: one statement or transaction at a time per backend, so a
    #: store shared by threads is safe (each thread may also open its own store).
    lock: threading.RLock

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:  # pragma: no cover
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:  # pragma: no cover
        raise NotImplementedError

    def begin(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def commit(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def rollback(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def lock_feed(self) -> None:
        """Called in a write transaction before rows are appended to the change feed."""

    def is_unique_violation(self, exc: BaseException) -> bool:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def schema(self) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction: committed on success, rolled back on any exception."""
        with self.lock:
            self.begin()
            try:
                yield
            except BaseException:
                self.rollback()
                raise
            self.commit()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of a read (outside a write transaction it is its own snapshot)."""
        with self.lock:
            return list(self.execute(sql, params).fetchall())


class SqliteBackend(Backend):
    """SQLite through ``sqlite3``: WAL, ``synchronous=FULL`` (or NORMAL), ``BEGIN
    IMMEDIATE`` for writes and ``isolation_level=None`` so that Python opens no implicit
    transaction."""

    kind = "sqlite"

    def __init__(self, path: str, *, synchronous: str, timeout: float, url: str) -> None:
        self.url = url
        self.path = path
        self.lock = threading.RLock()
        if path != ":memory:":
            _check_sqlite_file(path)
        try:
            self.conn = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                                        check_same_thread=False)
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if path != ":memory:":
                mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":  # pragma: no cover - e.g. a read-only medium
                    raise StoreError(f"cannot switch {path!r} to WAL mode (got {mode!r})")
            self.conn.execute(f"PRAGMA synchronous = {synchronous}")
            self.conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path!r} is not a salesfunnel store or is damaged (SQLite says: {exc})"
            ) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def begin(self) -> None:
        # IMMEDIATE takes the write lock now: a deferred transaction that upgrades later
        # fails at once with "database is locked" instead of waiting for busy_timeout.
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def is_unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)

    def close(self) -> None:
        self.conn.close()

    def schema(self) -> list[str]:
        return _schema.sqlite_schema()


class PostgresBackend(Backend):
    """PostgreSQL through psycopg 3, in autocommit mode with explicit ``BEGIN``.

    The change feed tails the transitions table by its ``bigserial`` key. Keys are
    taken when rows are inserted but become visible when their transaction commits, so
    two writers can commit out of order and a reader that has already moved past key 7
    would never see a late key 6. The store guards the feed with a table lock on append:
    each write transaction takes ``LOCK TABLE sf_transitions IN EXCLUSIVE MODE`` right
    before it appends, which serializes appends (never reads) until commit, so keys
    commit in order. This was preferred over reading only below the oldest running
    transaction id because the cursor stays a plain integer and the guarantee does not
    depend on the reader's snapshot; the cost is that writers of transitions commit one
    at a time, which a server flushing its log on each commit largely does anyway.
    """

    kind = "postgresql"

    def __init__(self, url: str, *, timeout: float) -> None:
        psycopg = import_optional("psycopg", "postgres", purpose="a PostgreSQL store")
        self.url = url
        self.lock = threading.RLock()
        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {_redact(url)}: {exc}") from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if not params:
            return self.conn.execute(sql)
        return self.conn.execute(sql.replace("?", "%s"), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    def lock_feed(self) -> None:
        self.conn.execute("LOCK TABLE sf_transitions IN EXCLUSIVE MODE")

    def is_unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc, self._psycopg.errors.UniqueViolation)

    def close(self) -> None:
        self.conn.close()

    def schema(self) -> list[str]:
        return _schema.postgres_schema()


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _check_sqlite_file(path: str) -> None:
    """Refuse a path that cannot be a store before SQLite touches it.

    Only ``os.stat``: the file is never opened here. Opening and closing a database
    file outside SQLite drops every POSIX lock this process holds on it (another store
    open on the same file would lose its locks and could corrupt the database), so
    the header is left for SQLite to check ("file is not a database").
    """
    if not os.path.exists(path):
        parent = os.path.dirname(path) or "."
        if not os.path.isdir(parent):
            raise StoreError(f"cannot create store {path!r}: folder {parent!r} does not exist")
        return
    if os.path.isdir(path):
        raise StoreError(f"store path {path!r} is a folder; expected a database file")
    size = os.path.getsize(path)
    if size and (size < 512 or size % 512):
        raise StoreError(f"{path!r} is not a salesfunnel store or is truncated: {size} bytes "
                         "is not a whole number of database pages")


def open_backend(url: str, *, synchronous: str = "FULL", timeout: float = 30.0) -> Backend:
    """The backend for a store URL (``sqlite:///path``, ``sqlite:///:memory:``,
    ``postgresql://...``)."""
    if not isinstance(url, str):
        raise invalid("url", url, "a database URL such as 'sqlite:///deals.db' or "
                      "'postgresql://user@host/db'", where="Store.open")
    sync = check_choice("synchronous", str(synchronous).upper() if isinstance(
        synchronous, str) else synchronous, SYNCHRONOUS, where="Store.open")
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme == "sqlite" and rest.startswith("/"):
        path_part, _, query = rest[1:].partition("?")
        path = unquote(path_part)
        if query:
            options = parse_qs(query)
            if "synchronous" in options:
                sync = check_choice("synchronous", options["synchronous"][-1].upper(),
                                    SYNCHRONOUS, where="Store.open")
        if not path:
            raise invalid("url", url, "an SQLite URL with a path ('sqlite:///deals.db') or "
                          "'sqlite:///:memory:'", where="Store.open")
        return SqliteBackend(path, synchronous=sync, timeout=timeout, url=url)
    if scheme in ("postgresql", "postgres"):
        return PostgresBackend(url, timeout=timeout)
    raise invalid("url", url, "a URL starting 'sqlite:///' or 'postgresql://'",
                  where="Store.open")
