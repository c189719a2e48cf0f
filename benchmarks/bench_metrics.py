"""Funnel metrics on 2,000,000 deals / ~5 million events against pandas, polars, DuckDB
and ClickHouse's ``windowFunnel`` (embedded ``chdb``), all on one core, same data, same run.

The data: a seven-stage B2B funnel (five open stages, WON, LOST), generated with numpy
(seeded): every deal starts at ``lead``, advances with a per-stage probability (10 % of
advances skip a stage), some drop out with a LOST event, 2 % of events are exact
duplicates; times are whole seconds over a year; deal ids are arbitrary (random 62-bit)
int64; rows are shuffled.

Rows:

- *reached + medians (built log)*: ``conversion(semantic="reached")`` plus the median
  time of every stage-to-stage step (``metrics.timing``), on an ``EventLog`` already
  built (its caches cleared before every run), against each peer holding the same data
  in its own in-memory table.
- *end to end from raw arrays*: the same, building the ``EventLog`` (factorizing the
  arbitrary ids) or the peer's table from the raw numpy arrays inside the timing.
- *ordered, 30-day window*: ``conversion(semantic="ordered")`` against chdb
  ``windowFunnel(2592000)``; counts must be identical.
- *conversion + timing + pipeline, 10M events*: the three on a built log of twice the
  size, with the peak memory traced by ``tracemalloc`` relative to the input columns.

Every peer's counts and medians are checked against salesfunnel's before the table is
printed. DuckDB runs with ``SET threads = 1``, polars with ``POLARS_MAX_THREADS=1`` and
chdb with ``max_threads = 1``.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # before polars is imported anywhere

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _table import best_of, print_table

from salesfunnel import EventLog, Funnel, Stage
from salesfunnel.metrics import conversion

N_DEALS = 2_000_000
SEED = 20260105
WINDOW_S = 30 * 86_400
STAGES = ["lead", "qualified", "demo", "proposal", "negotiation"]
ADVANCE = [0.45, 0.6, 0.6, 0.6, 0.6]  # P(next main-path stage | at stage k)
FUNNEL = Funnel(
    "bench",
    [*(Stage(s) for s in STAGES), Stage("won", kind="won"), Stage("lost", kind="lost")],
    skip_ahead=True,
)
N_PATH = FUNNEL.won_index + 1
LOST = FUNNEL.index("lost")


def generate(n_deals: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Raw columns: ``deal`` (int64 ids), ``stage`` (int8), ``ts`` (datetime64[s]),
    ``amount`` (float64); shuffled."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 2**62, n_deals, dtype=np.int64)
    start = (np.datetime64("2025-01-01T00:00:00", "s").astype(np.int64)
             + rng.integers(0, 365 * 86_400, n_deals))
    value = np.round(rng.lognormal(10, 1, n_deals), 2)
    deal_parts = [np.arange(n_deals)]
    stage_parts = [np.zeros(n_deals, np.int8)]
    ts_parts = [start.copy()]
    alive = np.arange(n_deals)
    at = np.zeros(n_deals, np.int64)  # current main-path index per deal
    now = start.copy()
    while len(alive):
        k = at[alive]
        adv = rng.random(len(alive)) < np.take(ADVANCE, k)
        skip = adv & (rng.random(len(alive)) < 0.10) & (k + 2 <= N_PATH - 1)
        lose = ~adv & (rng.random(len(alive)) < 0.6)
        step = 1 + skip.astype(np.int64)
        moved = alive[adv]
        now[moved] += rng.exponential(6 * 86_400, len(moved)).astype(np.int64) + 1
        at[moved] += step[adv]
        deal_parts.append(moved)
        stage_parts.append(at[moved].astype(np.int8))
        ts_parts.append(now[moved].copy())
        gone = alive[lose]
        deal_parts.append(gone)
        stage_parts.append(np.full(len(gone), LOST, np.int8))
        ts_parts.append(now[gone] + rng.exponential(10 * 86_400, len(gone)).astype(np.int64))
        alive = alive[adv & (at[alive] < N_PATH - 1)]
    deal = np.concatenate(deal_parts)
    stage = np.concatenate(stage_parts)
    ts = np.concatenate(ts_parts)
    dup = rng.random(len(deal)) < 0.02
    deal = np.concatenate([deal, deal[dup]])
    stage = np.concatenate([stage, stage[dup]])
    ts = np.concatenate([ts, ts[dup]])
    order = rng.permutation(len(deal))
    deal, stage, ts = deal[order], stage[order], ts[order]
    return {"deal": ids[deal], "stage": stage, "ts": ts.astype("datetime64[s]"),
            "amount": value[deal]}


def build(raw: dict[str, np.ndarray]) -> EventLog:
    return EventLog.from_arrays(FUNNEL, entity=raw["deal"], stage=raw["stage"], ts=raw["ts"],
                                amount=raw["amount"])


# -- salesfunnel ----------------------------------------------------------------------------------


def sf_reached_medians(log: EventLog) -> tuple[list[int], list[float]]:
    """Reached counts and the median seconds of every step (stage k-1 -> k)."""
    from salesfunnel.metrics import timing

    counts = conversion(log).counts
    t = timing(log, percentiles=())
    return list(counts), [float(d.median) for d in t.steps]


def sf_kernel_medians(log: EventLog) -> tuple[list[int], list[float]]:
    """The same from the first-time matrix kernel (``_kernels.first_times``) directly."""
    from salesfunnel.metrics import _kernels as K

    counts = conversion(log).counts
    first = K.first_times(log)
    medians = []
    for k in range(1, N_PATH):
        reached = first[:, k] != K.NEVER
        medians.append(float(np.median(first[reached, k] - first[reached, k - 1])) / 1e9)
    return list(counts), medians


def sf_fresh(log: EventLog) -> EventLog:
    log._cache.clear()
    return log


# -- peers ----------------------------------------------------------------------------------------


def pandas_frame(raw: dict[str, np.ndarray]) -> Any:
    import pandas as pd

    return pd.DataFrame({"deal": raw["deal"], "stage": raw["stage"],
                         "ts": raw["ts"].astype(np.int64)})


def pandas_reached_medians(df: Any) -> tuple[list[int], list[float]]:
    main = df[df["stage"] < N_PATH]
    depth = main.groupby("deal")["stage"].max()
    counts = [int((depth >= k).sum()) for k in range(N_PATH)]
    first = main.groupby(["deal", "stage"])["ts"].min().unstack().fillna(np.inf)
    # First time at depth >= k: the earliest event at any stage >= k.
    reach = first.iloc[:, ::-1].cummin(axis=1).iloc[:, ::-1].replace(np.inf, np.nan)
    medians = [float((reach.iloc[:, k] - reach.iloc[:, k - 1]).median())
               for k in range(1, N_PATH)]
    return counts, medians


def polars_frame(raw: dict[str, np.ndarray]) -> Any:
    import polars as pl

    return pl.DataFrame({"deal": raw["deal"], "stage": raw["stage"],
                         "ts": raw["ts"].astype(np.int64)})


def polars_reached_medians(df: Any) -> tuple[list[int], list[float]]:
    import polars as pl

    per = (df.filter(pl.col("stage") < N_PATH).group_by("deal").agg(
        pl.col("stage").max().alias("depth"),
        *[pl.col("ts").filter(pl.col("stage") >= k).min().alias(f"t{k}")
          for k in range(N_PATH)]))
    out = per.select(
        *[(pl.col("depth") >= k).sum().alias(f"c{k}") for k in range(N_PATH)],
        *[(pl.col(f"t{k}") - pl.col(f"t{k - 1}")).median().alias(f"m{k}")
          for k in range(1, N_PATH)]).row(0)
    return [int(x) for x in out[:N_PATH]], [float(x) for x in out[N_PATH:]]


def duckdb_sql() -> str:
    firsts = ", ".join(f"min(ts) FILTER (WHERE stage >= {k}) AS t{k}" for k in range(N_PATH))
    counts = ", ".join(f"count(*) FILTER (WHERE depth >= {k})" for k in range(N_PATH))
    medians = ", ".join(f"median(t{k} - t{k - 1})" for k in range(1, N_PATH))
    return (f"WITH d AS (SELECT deal, max(stage) AS depth, {firsts} FROM events "
            f"WHERE stage < {N_PATH} GROUP BY deal) SELECT {counts}, {medians} FROM d")


def duckdb_connect() -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 1")
    return con


def duckdb_reached_medians(con: Any, frame: Any) -> tuple[list[int], list[float]]:
    con.register("events", frame)
    row = con.execute(duckdb_sql()).fetchall()[0]
    con.unregister("events")
    return [int(x) for x in row[:N_PATH]], [float(x) for x in row[N_PATH:]]


def chdb_frame(raw: dict[str, np.ndarray]) -> Any:
    import pandas as pd

    return pd.DataFrame({"deal": raw["deal"], "stage": raw["stage"],
                         "ts": raw["ts"].astype(np.int64).astype(np.uint32)})


def chdb_ordered(df: Any) -> list[int]:
    import chdb

    conds = ", ".join(f"stage = {k}" for k in range(N_PATH))
    sql = (f"SELECT level, count() FROM (SELECT deal, windowFunnel({WINDOW_S})(ts, {conds}) "
           "AS level FROM Python(df) GROUP BY deal) GROUP BY level ORDER BY level "
           "SETTINGS max_threads = 1")
    res = chdb.query(sql, "CSV")
    levels = dict(tuple(int(x) for x in line.split(",")) for line in str(res).split())
    return [sum(n for lv, n in levels.items() if lv >= k + 1) for k in range(N_PATH)]


# -- measurement ----------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    out: list[Any] = []

    def run() -> None:
        out[:] = [fn()]

    gc.collect()
    return best_of(run, repeat=repeat), out[0]


def check(name: str, got: tuple[list[int], list[float]],
          want: tuple[list[int], list[float]]) -> None:
    if got[0] != want[0]:
        raise AssertionError(f"{name} counts {got[0]} != salesfunnel {want[0]}")
    if not np.allclose(got[1], want[1], rtol=0, atol=1.0):
        raise AssertionError(f"{name} medians {got[1]} != salesfunnel {want[1]}")


def peak_memory(fn: Callable[[], Any]) -> tuple[float, int]:
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak


Row = list[Any]


def bench_built(raw: dict[str, np.ndarray], log: EventLog, con: Any, n: int
                ) -> tuple[list[Row], tuple[list[int], list[float]]]:
    """Reached counts + step medians on data already in each tool's own table."""
    rows: list[Row] = []
    t_sf, want = timed(lambda: sf_reached_medians(sf_fresh(log)))
    rows.append(row("reached+medians, built log", "salesfunnel", t_sf, None, n))
    t, got = timed(lambda: sf_kernel_medians(sf_fresh(log)))
    check("salesfunnel kernels", got, want)
    rows.append(row("reached+medians, built log", "(first_times kernel)", t, t_sf, n))
    pdf = pandas_frame(raw)
    t, got = timed(lambda: pandas_reached_medians(pdf), repeat=2)
    check("pandas", got, want)
    rows.append(row("reached+medians, built log", "pandas groupby", t, t_sf, n))
    pldf = polars_frame(raw)
    t, got = timed(lambda: polars_reached_medians(pldf))
    check("polars", got, want)
    rows.append(row("reached+medians, built log", "polars", t, t_sf, n))
    table = pldf.to_arrow()
    t, got = timed(lambda: duckdb_reached_medians(con, table))
    check("DuckDB", got, want)
    rows.append(row("reached+medians, built log", "DuckDB SQL", t, t_sf, n))
    return rows, want


def bench_end_to_end(raw: dict[str, np.ndarray], con: Any, n: int,
                     want: tuple[list[int], list[float]]) -> list[Row]:
    """The same from the raw numpy arrays: building the log / table is timed too."""
    rows: list[Row] = []
    t_sf, got = timed(lambda: sf_reached_medians(build(raw)))
    check("salesfunnel end to end", got, want)
    rows.append(row("end to end from raw arrays", "salesfunnel", t_sf, None, n))
    t, got = timed(lambda: pandas_reached_medians(pandas_frame(raw)), repeat=2)
    check("pandas end to end", got, want)
    rows.append(row("end to end from raw arrays", "pandas groupby", t, t_sf, n))
    t, got = timed(lambda: polars_reached_medians(polars_frame(raw)))
    check("polars end to end", got, want)
    rows.append(row("end to end from raw arrays", "polars", t, t_sf, n))
    t, got = timed(lambda: duckdb_reached_medians(con, pandas_frame(raw)))
    check("DuckDB end to end", got, want)
    rows.append(row("end to end from raw arrays", "DuckDB SQL", t, t_sf, n))
    return rows


def bench_ordered(raw: dict[str, np.ndarray], log: EventLog, n: int
                  ) -> tuple[list[Row], list[int]]:
    """``semantic="ordered"`` with a 30-day window against chdb ``windowFunnel``."""
    window = np.timedelta64(WINDOW_S, "s")
    t_sf, ours = timed(lambda: list(conversion(sf_fresh(log), semantic="ordered",
                                               window=window).counts))
    rows = [row("ordered, 30-day window", "salesfunnel", t_sf, None, n)]
    chdf = chdb_frame(raw)
    t, theirs = timed(lambda: chdb_ordered(chdf))
    if theirs != ours:
        raise AssertionError(f"chdb windowFunnel counts {theirs} != salesfunnel {ours}")
    rows.append(row("ordered, 30-day window", "chdb windowFunnel", t, t_sf, n))
    return rows, ours


def bench_ten_million(n_deals: int) -> list[Row]:
    """conversion + timing + pipeline on a built log of ~10M events, with peak memory."""
    from salesfunnel.metrics import pipeline, timing

    big = build(generate(n_deals, seed=SEED + 1))
    gc.collect()
    input_bytes = sum(a.nbytes for a in (big.entity, big.stage, big.ts, big.amount)
                      if a is not None)

    def all_three() -> None:
        sf_fresh(big)
        conversion(big)
        timing(big)
        pipeline(big)

    best = min(peak_memory(all_three)[0] for _ in range(3))
    _, peak = peak_memory(all_three)
    n_big = len(big)
    return [[f"{n_big:,}", best, n_big / best / 1e6, peak / 1e6, input_bytes / 1e6,
             peak / input_bytes]]


def row(task: str, tool: str, seconds: float, ours: float | None, n: int) -> Row:
    return [task, tool, seconds, n / seconds / 1e6,
            "1" if ours is None else f"{seconds / ours:.2f}"]


def main(n_deals: int = N_DEALS) -> None:
    raw = generate(n_deals)
    n = len(raw["deal"])
    log = build(raw)
    con = duckdb_connect()
    rows, want = bench_built(raw, log, con, n)
    rows += bench_end_to_end(raw, con, n, want)
    more, ordered = bench_ordered(raw, log, n)
    rows += more
    print_table(
        f"Funnel metrics: {n_deals:,} deals, {n:,} events (shuffled, arbitrary int64 ids); "
        "one thread each: DuckDB threads=1, polars POLARS_MAX_THREADS=1, chdb max_threads=1",
        ["task", "tool", "seconds", "M events/s", "time / salesfunnel"], rows,
    )
    import polars as pl

    print(f"reached counts {want[0]} identical for every tool, medians within 1 s; "
          f"ordered counts {ordered} identical to chdb windowFunnel; polars thread pool: "
          f"{pl.thread_pool_size()}")
    del raw, log, con
    gc.collect()
    print_table(
        "conversion + timing + pipeline on a built log (one thread; peak traced by "
        "tracemalloc)",
        ["events", "seconds", "M events/s", "peak MB", "input columns MB", "peak / input"],
        bench_ten_million(2 * n_deals),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else N_DEALS)
