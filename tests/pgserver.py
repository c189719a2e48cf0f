"""A local PostgreSQL server for the store tests and benchmarks.

The machines have PostgreSQL installed and stopped. ``server_url()`` starts the cluster
through ``pg_ctlcluster`` (which works as root, unlike ``initdb``/``pg_ctl``), creates a
role and a database for the tests when missing, and returns a URL on 127.0.0.1. With
``SALESFUNNEL_TEST_PG`` set, that URL is used instead and nothing is started.

``python tests/pgserver.py`` does the same from a shell (``.ci/run`` calls it) and prints
the URL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

ROLE = "sf_test"
PASSWORD = "sf_test"
DATABASE = "sf_test"
BASE = f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{{port}}/{DATABASE}"


class Unavailable(RuntimeError):
    """No PostgreSQL server could be started here."""


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def _cluster() -> tuple[str, str, int, str]:
    if not shutil.which("pg_lsclusters"):
        raise Unavailable("PostgreSQL is not installed (no pg_lsclusters)")
    out = _run(["pg_lsclusters", "-h"]).stdout.split("\n")
    rows = [line.split() for line in out if line.strip()]
    if not rows:
        raise Unavailable("no PostgreSQL cluster is set up (pg_lsclusters lists none)")
    version, name, port, status = rows[0][:4]
    return version, name, int(port), status


def _psql(sql: str, *, tuples: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``sql`` as the ``postgres`` superuser on the local socket."""
    runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    flags = ["-tA"] if tuples else ["-q"]
    return _run([*runner, "psql", "-X", *flags, "-v", "ON_ERROR_STOP=1", "-d", "postgres",
                 "-c", sql])


def server_url() -> str:
    """The URL of a running server with the test role and database (started if needed)."""
    given = os.environ.get("SALESFUNNEL_TEST_PG")
    if given:
        return given
    version, name, port, status = _cluster()
    if status != "online":
        started = _run(["pg_ctlcluster", version, name, "start"])
        if started.returncode not in (0, 2):  # 2: already running
            raise Unavailable(f"pg_ctlcluster {version} {name} start failed: "
                              f"{started.stderr.strip()}")
    for _ in range(100):
        if _psql("SELECT 1").returncode == 0:
            break
        time.sleep(0.1)
    else:
        raise Unavailable("the PostgreSQL server does not answer")
    made_role = _psql(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN "
        f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'; END IF; END $$")
    if made_role.returncode != 0:
        raise Unavailable(f"cannot create role {ROLE}: {made_role.stderr.strip()}")
    has_db = _psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'", tuples=True)
    if has_db.stdout.strip() != "1":
        made = _psql(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        if made.returncode != 0 and "already exists" not in made.stderr:
            raise Unavailable(f"cannot create database {DATABASE}: {made.stderr.strip()}")
    return BASE.format(port=port)


def fresh_schema_url(base: str) -> tuple[str, str]:
    """A new empty schema in the test database: (URL whose search_path is it, name)."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={name}')}", name


def drop_schema(base: str, name: str) -> None:
    """Drop a schema made by :func:`fresh_schema_url`."""
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


if __name__ == "__main__":
    try:
        print(server_url())
    except Unavailable as exc:
        print(f"PostgreSQL unavailable: {exc}", file=sys.stderr)
        sys.exit(1)
