"""Funnel modes on 5 million product events against ClickHouse ``windowFunnel`` (embedded
``chdb``) and DuckDB SQL, one thread each, same data, same run, cold.

The data (numpy, seeded): ~500,000 users with a geometric number of events each, event
names ``view``, ``signup``, ``trial``, ``buy``, ``cancel``, ``other`` (a later step is
likelier once an earlier one happened), a ``url`` and a ``plan`` property, whole-second
times over 30 days; rows shuffled, user ids arbitrary int64.

Rows:

- *windowFunnel, <mode>*: :func:`salesfunnel.metrics.window_funnel` with a 7-day window
  and four event steps, against chdb ``windowFunnel(604800, <mode>)`` with
  ``max_threads = 1``; level counts must be identical. Cold: the log's caches (sort
  order) are cleared before each run, and chdb reads the pandas frame each time.
- *event steps, 2 property filters*: :func:`salesfunnel.metrics.funnel` (ordered, no
  window) with the steps ``view``, ``view [url == '/pricing' and plan == 'pro']``,
  ``signup``, ``buy``, against the same funnel in DuckDB SQL (``SET threads = 1``): each
  step's first time strictly after the previous step's; counts must be identical.

Times are the best of three runs in **CPU seconds of this process** (every tool runs in
process on one thread), which a machine shared with other jobs disturbs far less than
wall time; wall times are printed too. Peak memory of the salesfunnel calls is traced
with ``tracemalloc`` (numpy allocations); the peers' memory is outside Python and is not
shown.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _table import print_table

from salesfunnel import EventLog, Funnel, Stage
from salesfunnel.events import with_events
from salesfunnel.metrics import Step, funnel, window_funnel

N_EVENTS = 5_000_000
SEED = 20261130
WINDOW_S = 7 * 86_400
NAMES = np.array(["view", "signup", "trial", "buy", "cancel", "other"])
STEPS = ["view", "signup", "trial", "buy"]
URLS = np.array(["/", "/pricing", "/docs", "/blog"])
PLANS = np.array(["free", "pro", "team"])
MODES: list[tuple[str, ...]] = [(), ("strict_order",), ("strict_deduplication",),
                                ("strict_increase",), ("strict_once",),
                                ("strict_order", "allow_reentry")]
FUNNEL = Funnel("product", [Stage("event"), Stage("done", kind="won")])
PROPERTY_STEPS = [Step(event="view"),
                  Step(event="view", where="url == '/pricing' and plan == 'pro'"),
                  Step(event="signup"), Step(event="buy")]


def generate(n_events: int = N_EVENTS) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    n_users = n_events // 10
    per = rng.geometric(0.1, n_users)
    per = per[np.cumsum(per) <= n_events]
    user = np.repeat(rng.integers(0, 2**62, len(per)), per)
    n = len(user)
    # a later step is likelier deeper into a user's history
    rank = np.arange(n) - np.repeat(np.cumsum(per) - per, per)
    p = np.stack([np.full(n, 0.5), 0.1 + 0.02 * np.minimum(rank, 10),
                  0.05 + 0.02 * np.minimum(rank, 10), 0.03 + 0.01 * np.minimum(rank, 10),
                  np.full(n, 0.02), np.full(n, 0.2)])
    p /= p.sum(axis=0)
    name = (rng.random(n)[None, :] > np.cumsum(p, axis=0)).sum(axis=0)
    ts = rng.integers(0, 30 * 86_400, n) + 1_767_225_600
    order = rng.permutation(n)
    return {"user": user[order], "ts": ts[order], "event": NAMES[np.minimum(name, 5)][order],
            "url": URLS[rng.integers(0, len(URLS), n)],
            "plan": PLANS[rng.integers(0, len(PLANS), n)]}


def build(raw: dict[str, np.ndarray]) -> EventLog:
    log = EventLog.from_arrays(FUNNEL, entity=raw["user"], stage=np.zeros(len(raw["user"]),
                                                                            np.int8),
                               ts=raw["ts"], unit="s")
    return with_events(log, event=raw["event"],
                       properties={"url": raw["url"], "plan": raw["plan"]})


def fresh(log: EventLog) -> EventLog:
    log._cache.clear()
    return log


def chdb_levels(df: Any, mode: tuple[str, ...]) -> list[int]:
    import chdb

    conds = ", ".join(f"event = '{s}'" for s in STEPS)
    opts = "".join(f", '{m}'" for m in mode)
    sql = (f"SELECT level, count() FROM (SELECT user, windowFunnel({WINDOW_S}{opts})(ts, "
           f"{conds}) AS level FROM Python(df) GROUP BY user) GROUP BY level ORDER BY level "
           "SETTINGS max_threads = 1")
    res = chdb.query(sql, "CSV")
    levels = dict(tuple(int(x) for x in line.split(",")) for line in str(res).split())
    return [sum(c for lv, c in levels.items() if lv >= k + 1) for k in range(len(STEPS))]


def duckdb_property_funnel(con: Any, table: Any) -> list[int]:
    con.register("events", table)
    conds = ["event = 'view'", "event = 'view' AND url = '/pricing' AND plan = 'pro'",
             "event = 'signup'", "event = 'buy'"]
    ctes = [f"a0 AS (SELECT user, min(ts) AS t FROM events WHERE {conds[0]} GROUP BY user)"]
    for k in range(1, len(conds)):
        ctes.append(f"a{k} AS (SELECT e.user, min(e.ts) AS t FROM events e JOIN a{k - 1} p "
                    f"ON e.user = p.user WHERE {conds[k]} AND e.ts > p.t GROUP BY e.user)")
    sql = ("WITH " + ", ".join(ctes) + " SELECT " +
           ", ".join(f"(SELECT count(*) FROM a{k})" for k in range(len(conds))))
    row = con.execute(sql).fetchall()[0]
    con.unregister("events")
    return [int(x) for x in row]


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """Best CPU seconds, best wall seconds, result."""
    out: list[Any] = []
    cpu = wall = float("inf")
    gc.collect()
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        out[:] = [fn()]
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    return cpu, wall, out[0]


def peak_mb(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(n_events: int = N_EVENTS) -> None:
    import duckdb
    import pandas as pd

    raw = generate(n_events)
    n = len(raw["user"])
    log = build(raw)
    df = pd.DataFrame({"user": raw["user"], "ts": raw["ts"].astype(np.uint32),
                       "event": raw["event"]})
    rows: list[list[Any]] = []
    for mode in MODES:
        label = "windowFunnel, " + (", ".join(mode) or "default")
        t_sf, w_sf, got = timed(lambda m=mode: window_funnel(fresh(log), STEPS,
                                                             window=WINDOW_S, mode=m).counts)
        mem = peak_mb(lambda m=mode: window_funnel(fresh(log), STEPS, window=WINDOW_S,
                                                   mode=m))
        t_ch, w_ch, want = timed(lambda m=mode: chdb_levels(df, m))
        if list(got) != want:
            raise AssertionError(f"{label}: salesfunnel {got} != chdb {want}")
        rows.append([label, t_sf, w_sf, mem, "chdb windowFunnel", t_ch, w_ch, t_ch / t_sf])
    con = duckdb.connect()
    con.execute("SET threads = 1")
    import pyarrow as pa

    table = pa.table({"user": raw["user"], "ts": raw["ts"], "event": raw["event"],
                      "url": raw["url"], "plan": raw["plan"]})
    t_sf, w_sf, got = timed(lambda: funnel(fresh(log), PROPERTY_STEPS).counts)
    mem = peak_mb(lambda: funnel(fresh(log), PROPERTY_STEPS))
    t_dd, w_dd, want = timed(lambda: duckdb_property_funnel(con, table))
    if list(got) != want:
        raise AssertionError(f"event steps: salesfunnel {got} != DuckDB {want}")
    rows.append(["event steps, 2 property filters", t_sf, w_sf, mem, "DuckDB SQL", t_dd,
                 w_dd, t_dd / t_sf])
    print_table(
        f"Funnel modes: {n:,} events, {log.n_entities:,} users, cold (log caches cleared "
        "per run); one thread: chdb max_threads=1, DuckDB threads=1",
        ["task", "salesfunnel cpu s", "wall s", "peak MB", "peer", "peer cpu s", "wall s",
         "peer / salesfunnel (cpu)"], rows)
    print(f"counts identical to the peer in every row; ordered counts {list(got)}")


if __name__ == "__main__":
    start = time.perf_counter()
    main(int(sys.argv[1]) if len(sys.argv) > 1 else N_EVENTS)
    print(f"({time.perf_counter() - start:.1f} s)")
