"""Crash safety: a child process committing transitions is killed with SIGKILL at random
points, many times; after each kill every committed transition is there, nothing
half-written is visible, and every journey's stage is the replay of its history."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from salesfunnel.store import Store
from salesfunnel.testing import check_store
from store_support import child_env

CHILD = Path(__file__).with_name("crash_child.py")


def run_and_kill(url: str, seed: int, rng: random.Random) -> dict[str, int]:
    """Start the child, kill it with SIGKILL at a random moment; return what it
    reported committed (the last version per journey)."""
    proc = subprocess.Popen([sys.executable, str(CHILD), url, str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env())
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.strip() == "ready", proc.stderr.read() if proc.stderr else first
    time.sleep(rng.uniform(0.0, 0.12))
    os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    committed: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:  # a line cut by the kill has no version yet
            committed[parts[0]] = int(parts[1])
    return committed


@pytest.mark.parametrize("rounds", [8])
def test_sigkill_loses_no_committed_transition(store_url: str, rounds: int) -> None:
    rng = random.Random(11)
    reported: dict[str, int] = {}
    total_lines = 0
    for r in range(rounds if store_url.startswith("sqlite") else rounds // 2):
        committed = run_and_kill(store_url, 100 + r, rng)
        total_lines += len(committed)
        with Store.open(store_url) as store:
            assert check_store(store) == 8  # every journey replays to its stored stage
            for ident, version in committed.items():
                stored = store.get(ident)
                # what was reported committed is there (later commits may follow it)
                assert stored.version >= version, (ident, stored.version, version)
                assert len(store.history(ident)) <= stored.version
                reported[ident] = max(reported.get(ident, 0), version)
            for ident, version in reported.items():
                assert store.get(ident).version >= version
            # the subject field counts saves: never ahead of the history
            for ident in reported:
                deal = store.get(ident)
                assert deal.subject["n"] <= deal.version - 1
            # every committed move has its outbox message, and no message exists for a
            # move that was not committed (same transaction)
            rows = store._db.query(
                "SELECT j.ext_id, COUNT(o.seq), j.moves FROM sf_journeys j LEFT JOIN "
                "sf_outbox o ON o.journey = j.id GROUP BY j.ext_id, j.moves")
            assert rows and all(n == moves - 1 for _, n, moves in rows), rows
    assert total_lines > 0, "the child never committed before being killed"
