"""Concurrency: processes and threads advance and edit the same journeys on both
backends. No update is lost (the successful saves are exactly the recorded transitions
and subject edits), conflicts surface as ConflictError, versions go up by one per
change."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

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


# -- SQLite writers queue on the '<database>-writer' lock file ------------------------------
def _hold_writer_lock(db: Path) -> int:
    import fcntl

    fd = os.open(f"{db}-writer", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_sqlite_writers_wait_for_the_writer_lock(tmp_path: Path) -> None:
    """A save waits while another writer holds the queue's lock, then goes through."""
    db = tmp_path / "deals.db"
    url = f"sqlite:///{db}"
    with Store.open(url, funnels=[FUNNEL]) as store:
        store.add(FUNNEL.start({"n": 0}, id="d1", at=T0))
        assert (tmp_path / "deals.db-writer").exists()
        deal = store.get("d1")
        deal.advance(at=T0 + timedelta(hours=1))
        fd = _hold_writer_lock(db)
        saver = threading.Thread(target=store.save, args=(deal,))
        saver.start()
        saver.join(0.3)
        try:
            assert saver.is_alive(), "the save did not wait for the writer lock"
            with Store.open(url) as reader:  # readers never wait
                assert reader.get("d1").version == 1
        finally:
            os.close(fd)  # releases the lock
        saver.join(10)
        assert not saver.is_alive()
        assert store.get("d1").version == 2


def test_sqlite_writer_outside_the_library_meets_the_timeout(tmp_path: Path) -> None:
    """A writer that is not in the queue (another program) still holds SQLite's own lock:
    the store waits ``timeout`` seconds for it, then says the database is locked."""
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
        store.add(FUNNEL.start({"n": 0}, id="d2", at=T0))  # the queue was released
        assert "d1" in store and "d2" in store


def test_sqlite_store_works_without_its_writer_lock_file(tmp_path: Path) -> None:
    """Where the lock file cannot be made, writers rely on SQLite's retries alone."""
    db = tmp_path / "deals.db"
    (tmp_path / "deals.db-writer").mkdir()  # cannot be opened as a file
    with Store.open(f"sqlite:///{db}", funnels=[FUNNEL]) as store:
        store.add(FUNNEL.start({"n": 0}, id="d1", at=T0))
        with store.edit("d1") as deal:
            deal.advance(at=T0 + timedelta(hours=1))
        assert store.get("d1").version == 2
        assert check_store(store) == 1
