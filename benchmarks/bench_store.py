"""The journey store: committed transitions per second, and reading transitions back.

Writes: each worker owns its journeys (no conflicts) and moves them back and forth in a
looping funnel; "single" saves after every move (one transition per commit), "batched"
after ten moves (ten transitions per commit). The peer is a hand-written ``sqlite3``
loop doing the same writes (a version-checked UPDATE of the journey row and an INSERT
per transition, ``BEGIN IMMEDIATE`` ... ``COMMIT``) with the same durability: the
ceiling. Four workers are four processes; they set up, wait at a barrier and write
for the same seconds (without it, a worker still setting up while the others finish
ran alone and inflated the rate). Goals: at least half the ceiling; at least
1,000 committed transitions/s with ``synchronous=FULL`` and 5,000/s with ``NORMAL``
from four processes.

Reads: 1,000,000 stored transitions into an ``EventLog`` with the standard driver and
with ADBC (goals 1.5 s and 0.6 s; ADBC on PostgreSQL only, see ``Store.event_log``),
cold (a fresh store object per call), with the peak memory traced by ``tracemalloc``
(ADBC's Arrow buffers are allocated outside Python's allocator, so its traced peak is
low by design).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))  # pgserver: a local PostgreSQL

from _table import print_table

from salesfunnel import Funnel, Stage
from salesfunnel.store import Store

FUNNEL = Funnel("loop", [Stage("lead"), Stage("call"), Stage("demo"), Stage("won", kind="won"),
                         Stage("lost", kind="lost")], fall_back=True, skip_ahead=True)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SECONDS = float(os.environ.get("BENCH_STORE_SECONDS", "2.0"))
N_READ = int(os.environ.get("BENCH_STORE_ROWS", "1000000"))


# -- writes --------------------------------------------------------------------------------
def store_worker(url: str, worker: int, per_commit: int, seconds: float,
                 start: Any, out: Any) -> None:
    store = Store.open(url, funnels=[FUNNEL])
    journeys = []
    for i in range(20):
        deal = FUNNEL.start({"n": 0}, id=f"w{worker}-{i}-{time.time_ns()}", at=T0)
        store.add(deal)
        journeys.append(deal)
    at = T0
    done = 0
    start.wait()  # every worker set up: all start writing together
    deadline = time.perf_counter() + seconds
    k = 0
    while time.perf_counter() < deadline:
        deal = journeys[k % len(journeys)]
        k += 1
        for _ in range(per_commit):
            at += timedelta(seconds=1)
            if deal.stage == "lead":
                deal.advance("call", at=at)
            else:
                deal.regress("lead", at=at)
        store.save(deal)
        done += per_commit
    store.close()
    out.put(done)


def sqlite_worker(url: str, worker: int, per_commit: int, seconds: float, sync: str,
                  start: Any, out: Any) -> None:
    """The ceiling: the same rows in the same tables, written by hand with ``sqlite3``."""
    path = url.removeprefix("sqlite:///").partition("?")[0]
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {sync}")
    fid = conn.execute("SELECT id FROM sf_funnels WHERE name = 'loop'").fetchone()[0]
    keys = []
    conn.execute("BEGIN IMMEDIATE")
    for i in range(20):
        key = conn.execute(
            "INSERT INTO sf_journeys (ext_id, funnel, fid, stage, stage_fid, version, moves, "
            "edits, subject, entered_at, created_at, updated_at) VALUES "
            "(?, 'loop', ?, 'lead', ?, 1, 1, 0, '{}', 0, 0, 0) RETURNING id",
            (f'"raw{worker}-{i}-{time.time_ns()}"', fid, fid)).fetchone()[0]
        conn.execute("INSERT INTO sf_transitions (journey, fid, n, from_stage, to_stage, at, "
                     "forced, kind) VALUES (?, ?, 1, NULL, 0, 0, 0, 'start')", (key, fid))
        keys.append(key)
    conn.execute("COMMIT")
    names = FUNNEL.names
    state = {k: [0, 1] for k in keys}  # stage, version
    done = 0
    k = 0
    start.wait()  # every worker set up: all start writing together
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        key = keys[k % len(keys)]
        k += 1
        stage, version = state[key]
        rows = []
        for i in range(per_commit):
            new = 1 if stage == 0 else 0
            rows.append((key, fid, version + i + 1, stage, new, time.time_ns(), None, None, 0,
                         "advance", None))
            stage = new
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(
            "UPDATE sf_journeys SET stage = ?, stage_fid = ?, version = ?, moves = ?, "
            "edits = ?, subject = ?, owner = ?, segment = ?, entered_at = ?, updated_at = ? "
            "WHERE id = ? AND version = ?",
            (names[stage], fid, version + per_commit, version + per_commit, 0, '{"n": 0}',
             None, None, time.time_ns(), time.time_ns(), key, version))
        assert cur.rowcount == 1
        conn.executemany(
            "INSERT INTO sf_transitions (journey, fid, n, from_stage, to_stage, at, actor, "
            "reason, forced, kind, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
        state[key] = [stage, version + per_commit]
        done += per_commit
    conn.close()
    out.put(done)


def run_workers(target: Callable[..., None], args: tuple[Any, ...], processes: int) -> float:
    """Committed transitions per second of ``processes`` workers running together."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start = ctx.Barrier(processes)
    procs = [ctx.Process(target=target, args=(args[0], w, *args[1:], start, out))
             for w in range(processes)]
    for p in procs:
        p.start()
    total = sum(out.get(timeout=600) for _ in procs)
    for p in procs:
        p.join()
    return total / SECONDS  # the workers write together for SECONDS


def writes(pg_url: str | None) -> None:
    rows = []
    folder = tempfile.mkdtemp(prefix="sf-bench-")
    for sync in ("FULL", "NORMAL"):
        for processes in (1, 4):
            for label, per_commit in (("single", 1), ("batched x10", 10)):
                db = os.path.join(folder, f"s-{sync}-{processes}-{per_commit}.db")
                url = f"sqlite:///{db}?synchronous={sync}"
                Store.open(url, funnels=[FUNNEL]).close()
                ours = run_workers(store_worker, (url, per_commit, SECONDS), processes)
                raw = url.replace(".db?", "-raw.db?")
                Store.open(raw, funnels=[FUNNEL]).close()
                ceiling = run_workers(sqlite_worker, (raw, per_commit, SECONDS, sync),
                                      processes)
                rows.append((f"SQLite {sync}", processes, label, ours, ceiling,
                             ours / ceiling))
    if pg_url is not None:
        for processes in (1, 4):
            for label, per_commit in (("single", 1), ("batched x10", 10)):
                ours = run_workers(store_worker, (pg_url, per_commit, SECONDS), processes)
                rows.append(("PostgreSQL", processes, label, ours, float("nan"),
                             float("nan")))
    print_table("committed transitions per second (each worker its own journeys; "
                f"{SECONDS:g} s per cell)",
                ["backend", "processes", "commit", "salesfunnel.store", "sqlite3 by hand",
                 "ratio"], rows)


# -- reads ---------------------------------------------------------------------------------
def fill(url: str, n: int) -> None:
    """``n`` transitions in ``n // 5`` journeys, written straight into the tables."""
    store = Store.open(url, funnels=[FUNNEL], synchronous="NORMAL")
    db = store._db
    per = 5
    n_j = n // per
    fid = store._funnel("loop")[1]
    t0 = int(T0.timestamp() * 1e9)
    with db.transaction():
        db.executemany(
            "INSERT INTO sf_journeys (id, ext_id, funnel, fid, stage, stage_fid, version, "
            "moves, edits, entered_at, created_at, updated_at) VALUES "
            "(?, ?, 'loop', ?, 'call', ?, 5, 5, 0, 0, 0, 0)",
            [(j + 1, f'"d{j}"', fid, fid) for j in range(n_j)])
    stages = [(None, 0), (0, 1), (1, 0), (0, 1), (1, 2)]
    with db.transaction():
        db.executemany(
            "INSERT INTO sf_transitions (journey, fid, n, from_stage, to_stage, at, forced, "
            "kind) VALUES (?, ?, ?, ?, ?, ?, 0, 'advance')",
            [(j + 1, fid, i + 1, stages[i][0], stages[i][1], t0 + (j * per + i) * 10**9)
             for j in range(n_j) for i in range(per)])
    store.close()


def measure(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def traced_peak(fn: Callable[[], Any]) -> int:
    """Peak traced memory of ``fn`` (a separate run: tracing slows allocation down)."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def reads(pg_url: str | None) -> None:
    folder = tempfile.mkdtemp(prefix="sf-bench-read-")
    # SQLite is never read through ADBC (a second SQLite library in the process)
    targets = [("SQLite", f"sqlite:///{folder}/read.db", ("stdlib",))]
    if pg_url is not None:
        targets.append(("PostgreSQL", pg_url, ("stdlib", "adbc")))
    rows = []
    for name, url, engines in targets:
        fill(url, N_READ)
        for engine in engines:
            def read(engine: str = engine, url: str = url) -> None:
                with Store.open(url) as store:  # cold: a fresh store per call
                    log = store.event_log("loop", engine=engine)
                assert len(log) == N_READ // 5 * 5

            best = min(measure(read) for _ in range(3))
            peak = traced_peak(read)
            goal = 1.5 if engine == "stdlib" else 0.6
            rows.append((name, engine, best, goal, peak / 2**20))
    print_table(f"{N_READ:,} stored transitions -> EventLog (best of 3, cold)",
                ["backend", "engine", "seconds", "goal (s)", "peak MiB (traced)"], rows)


def postgres_url() -> str | None:
    try:
        import pgserver

        base = pgserver.server_url()
        url, _ = pgserver.fresh_schema_url(base)
        return url
    except Exception as exc:  # a benchmark runs with what it has
        print(f"(PostgreSQL rows skipped: {exc})")
        return None


def main() -> None:
    writes(postgres_url())
    reads(postgres_url())


if __name__ == "__main__":
    main()
