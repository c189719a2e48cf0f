"""The store's tables, for SQLite and PostgreSQL.

``sf_schema``
    One row: the schema version. A store refuses a database of another version.
``sf_funnels``
    Funnel definitions (``Funnel.to_dict`` as JSON), one row per (name, version), with
    the migration map that leads from the version before.
``sf_journeys``
    The current state of each journey, one row, keyed by an integer (``ext_id`` is the
    caller's id as JSON). ``version`` is checked on every save.
``sf_transitions``
    Append-only (triggers refuse UPDATE and DELETE): one row per move, stages as integer
    indices into the funnel version ``fid`` the move was saved under, times as int64
    nanoseconds (UTC). Its ``seq`` is the change-feed cursor.
``sf_edits``
    Append-only: subject edits (``Journey.update``), field changes as JSON.
``sf_outbox``
    Messages emitted by hooks, written in the transaction of the save that produced
    them; ``delivered_at`` is set by the dispatcher.
``sf_idempotency``
    Command keys already applied, with the outcome they had.
"""

from __future__ import annotations

__all__ = ["SCHEMA_VERSION", "TABLES", "postgres_schema", "sqlite_schema"]

#: Bumped on every incompatible change of the tables below.
SCHEMA_VERSION = 1

TABLES = ("sf_schema", "sf_funnels", "sf_journeys", "sf_transitions", "sf_edits",
          "sf_outbox", "sf_idempotency")

_TABLES = """
CREATE TABLE sf_schema (version INTEGER NOT NULL);
CREATE TABLE sf_funnels (
    id {pk}, name TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL,
    migration TEXT, UNIQUE (name, version));
CREATE TABLE sf_journeys (
    id {pk}, ext_id TEXT NOT NULL UNIQUE, funnel TEXT NOT NULL,
    fid INTEGER NOT NULL REFERENCES sf_funnels (id),
    stage TEXT NOT NULL, stage_fid INTEGER NOT NULL REFERENCES sf_funnels (id),
    version INTEGER NOT NULL, moves INTEGER NOT NULL, edits INTEGER NOT NULL,
    subject TEXT, owner TEXT, segment TEXT,
    entered_at BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE INDEX sf_journeys_stage ON sf_journeys (funnel, stage);
CREATE INDEX sf_journeys_owner ON sf_journeys (funnel, owner);
CREATE INDEX sf_journeys_segment ON sf_journeys (funnel, segment);
CREATE TABLE sf_transitions (
    seq {pk}, journey BIGINT NOT NULL, fid INTEGER NOT NULL, n INTEGER NOT NULL,
    from_stage SMALLINT, to_stage SMALLINT NOT NULL, at BIGINT NOT NULL,
    actor TEXT, reason TEXT, forced SMALLINT NOT NULL, kind TEXT NOT NULL, facts TEXT,
    UNIQUE (journey, n));
CREATE TABLE sf_edits (
    seq {pk}, journey BIGINT NOT NULL, n INTEGER NOT NULL, version INTEGER,
    at BIGINT NOT NULL, actor TEXT, reason TEXT, changes TEXT NOT NULL,
    UNIQUE (journey, n));
CREATE TABLE sf_outbox (
    seq {pk}, journey BIGINT NOT NULL, version INTEGER NOT NULL, topic TEXT NOT NULL,
    payload TEXT NOT NULL, created_at BIGINT NOT NULL, delivered_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX sf_outbox_pending ON sf_outbox (delivered_at, seq);
CREATE TABLE sf_idempotency (
    key TEXT PRIMARY KEY, journey BIGINT NOT NULL, version INTEGER NOT NULL,
    stage TEXT NOT NULL);
"""

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
    for table in ("sf_transitions", "sf_edits") for op in ("UPDATE", "DELETE")
]

_POSTGRES_TRIGGERS = [
    "CREATE FUNCTION sf_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$",
    *(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
      "FOR EACH ROW EXECUTE FUNCTION sf_append_only()" for table in ("sf_transitions", "sf_edits")),
    *(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
      "FOR EACH STATEMENT EXECUTE FUNCTION sf_append_only()"
      for table in ("sf_transitions", "sf_edits")),
]


def _split(script: str) -> list[str]:
    return [s.strip().rstrip(";") for s in script.split(";\n") if s.strip()]


def sqlite_schema() -> list[str]:
    """The SQLite statements creating an empty store."""
    return _split(_TABLES.format(pk="INTEGER PRIMARY KEY")) + _SQLITE_TRIGGERS


def postgres_schema() -> list[str]:
    """The PostgreSQL statements creating an empty store."""
    return _split(_TABLES.format(pk="BIGSERIAL PRIMARY KEY")) + _POSTGRES_TRIGGERS
