"""Concurrency: processes and threads advance and edit the same journeys on both
backends. No update is lost (the successful saves are exactly the recorded transitions
and subject edits), conflicts surface as ConflictError, versions go up by one per
change."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from salesfunnel.errors import StoreError
from salesfunnel.store import Store
from salesfunnel.testing import check_store
from store_support import FUNNEL, IDS, T0, child_env

CHILD = Path(__file__).with_name("concurrent_child.py")


def test_no_lost_update(store_url: str) -> None:
    with Store.open(store_url, funnels=[FUNNEL]) as store:
        for ident in IDS[:3]:
            store.add(FUNNEL.start({"n": 0}, id=ident, at=T0))
    env = child_env()
    start = str(time.time() + 2.0)
    procs = [subprocess.Popen([sys.executable, str(CHILD), store_url, str(seed), "15", "2",
                               start],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for seed in (1, 2, 3)]
    # a reader tails the change feed while the workers write: it must miss nothing
    tailed: list[int] = []
    done = threading.Event()

    def tail() -> None:
        with Store.open(store_url) as reader:
            cursor = 0
            while True:
                finished = done.is_set()
                for change in reader.changes(after=cursor):
                    tailed.append(change.cursor)
                    cursor = change.cursor
                if finished:
                    return
                time.sleep(0.002)

    tailer = threading.Thread(target=tail)
    tailer.start()
    saves: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    conflicts = refused = 0
    try:
        outputs = [proc.communicate(timeout=300) for proc in procs]
    finally:
        done.set()
        tailer.join()
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        report = json.loads(out)
        saves.update(report["saves"])
        moves.update(report["moves"])
        conflicts += report["conflicts"].get("all", 0)
        refused += report["conflicts"].get("refused", 0)
    assert conflicts > 0, "six workers on three journeys never conflicted"
    assert sum(moves.values()) + conflicts + refused == 3 * 2 * 15
    with Store.open(store_url) as store:
        assert check_store(store) == 3
        for ident in IDS[:3]:
            deal = store.get(ident)
            # every successful save is there, and only those: its move and its +1
            assert deal.subject["n"] == saves[ident]
            assert len(deal.history) == 1 + moves[ident]
            assert deal.version == 1 + moves[ident]
        # the feed holds each transition once, in commit order
        feed = store.changes(limit=10_000)
        assert len(feed) == 3 + sum(moves.values())
        per_journey: dict[str, list[int]] = {}
        for change in feed:
            per_journey.setdefault(change.id, []).append(change.n)
        assert all(ns == list(range(1, len(ns) + 1)) for ns in per_journey.values())
        # the tailing reader saw every committed transition exactly once, in order
        assert tailed == [c.cursor for c in feed]


# -- SQLite's lock and the timeout --------------------------------------------------------
def test_sqlite_writer_outside_the_library_meets_the_timeout(tmp_path: Path) -> None:
    """Another program holding SQLite's write lock: the store waits ``timeout`` seconds
    for it, then says the database is locked, and writes once the lock is free."""
    db = tmp_path / "deals.db"
    with Store.open(f"sqlite:///{db}", funnels=[FUNNEL], timeout=0.2) as store:
        store.add(FUNNEL.start({"n": 0}, id="d1", at=T0))
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            with pytest.raises(StoreError, match="database is locked"):
                store.add(FUNNEL.start({"n": 0}, id="d2", at=T0))
            assert time.monotonic() - started >= 0.2
        finally:
            other.execute("ROLLBACK")
            other.close()
        store.add(FUNNEL.start({"n": 0}, id="d2", at=T0))
        assert "d1" in store and "d2" in store


def test_two_threads_saving_one_journey_object(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A save builds its rows before it takes the write lock. When another thread saves
    the same journey object in between (forced here), the first save builds them again
    on what was stored instead of reporting a conflict with itself."""
    with Store.open(f"sqlite:///{tmp_path / 'deals.db'}", funnels=[FUNNEL]) as store:
        store.add(FUNNEL.start({"n": 0}, id="d1", at=T0))
        deal = store.get("d1")
        deal.update({"n": 1}, at=T0)
        real_rows = Store._rows
        interleaved = []

        def rows_then_another_save(self: Store, *args: Any, **kwargs: Any) -> Any:
            out = real_rows(self, *args, **kwargs)
            if not interleaved:
                interleaved.append(True)
                other = threading.Thread(target=store.save, args=(deal,))
                other.start()
                other.join()
            return out

        monkeypatch.setattr(Store, "_rows", rows_then_another_save)
        store.save(deal)  # no ConflictError
        assert interleaved
        stored = store.get("d1")
        assert stored.version == deal.version == 2
        assert stored.subject == {"n": 1} and len(stored.edits) == 1
