"""Shared by the store tests and the processes they start."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from salesfunnel import Funnel, Stage

#: A funnel whose journeys can move forever (back and forth between open stages).
FUNNEL = Funnel("loop", [Stage("lead"), Stage("call"), Stage("demo"), Stage("won", kind="won"),
                         Stage("lost", kind="lost")], fall_back=True, skip_ahead=True)
IDS = [f"j{i}" for i in range(8)]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def child_env() -> dict[str, str]:
    """The environment for a child process: it imports this module and the package the
    tests run against."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), *sys.path])
    return env
