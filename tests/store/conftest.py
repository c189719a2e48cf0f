"""Fixtures for the store tests: every test taking ``store_url`` runs on SQLite and on a
real PostgreSQL server (started here when stopped; with ``CI=true`` it must be there)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import pgserver
from salesfunnel import Funnel, Stage

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def pg_base() -> str:
    """The test server's URL, or a skip outside CI when PostgreSQL cannot start."""
    try:
        return pgserver.server_url()
    except pgserver.Unavailable as exc:
        if IN_CI:
            pytest.fail(f"CI=true and PostgreSQL is unavailable: {exc}")
        pytest.skip(f"PostgreSQL is unavailable: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store's URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deals.db'}"
        return
    base = request.getfixturevalue("pg_base")
    url, schema = pgserver.fresh_schema_url(base)
    yield url
    pgserver.drop_schema(base, schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite store's URL."""
    return f"sqlite:///{tmp_path / 'deals.db'}"


@pytest.fixture
def pipeline() -> Funnel:
    """A deal funnel with a gate, skip-ahead and fall-back."""
    return Funnel(
        "deals",
        [Stage("lead"), Stage("qualified", gates="budget >= 100"), Stage("proposal"),
         Stage("won", kind="won"), Stage("lost", kind="lost")],
        skip_ahead=True, fall_back=True,
    )
