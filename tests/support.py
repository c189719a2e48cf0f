"""Helpers shared by the tests (importable as ``support``; ``tests/`` is on the path)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    """A timestamp ``days`` after :data:`T0`."""
    return T0 + timedelta(days=days)
