"""Partitioned execution: ``workers=1`` vs ``workers=2`` end to end (build included)
against DuckDB at the same thread count, a scaling table, and Dask vs in memory.

The data is the generator of ``bench_metrics`` (seven-stage B2B funnel, arbitrary
62-bit int64 deal ids, shuffled rows). *End to end* = build the log from the raw numpy
arrays (factorize + per-partition sort) + ``conversion`` (reached) + the median of every
step (``timing``), cold: every timed call starts from the raw arrays, so nothing derived
by an earlier call is reused. DuckDB: ``SET threads = N``, registering a pandas frame of
the same arrays inside the timing, then one SQL query with the same counts and medians
(checked equal). Best of three; peak memory (``tracemalloc``, numpy allocations) of one
extra run, relative to the input columns.

An allocator table repeats the 5 M rows in child processes with glibc's default settings
and with freed memory kept for reuse (``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_``).

A text-id table follows (5 M rows, 2 M distinct ids of 9 and 24 characters, built from
an Arrow table), with Arrow's ``dictionary_encode`` + ``sort_indices`` and
``pandas.factorize(sort=True)`` timed in the same run.

Sizes: 5 M events always (best of three); 50 M and 100 M with
``SALESFUNNEL_BENCH_BIG=1`` (one run each: minutes and several GB). The scaling table
runs 1, 2 and 4 workers. The Dask row (a ``distributed.LocalCluster`` of two worker
processes, Parquet input, P2P shuffle) runs at 10 M events with
``SALESFUNNEL_BENCH_DASK=1``; about 60 M events on two workers of 1 GiB each, shuffled
and pre-bucketed, with ``SALESFUNNEL_BENCH_DASK_BIG=1`` (workers paused per phase counted;
``SALESFUNNEL_BENCH_ARROW_POOL=system`` starts them with pyarrow's system allocator).
On a machine shared with other work every number is noisy: compare rows of one run.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _table import print_table
from bench_metrics import FUNNEL, N_PATH, duckdb_sql, generate

from salesfunnel import EventLog, PartitionedLog
from salesfunnel.metrics import conversion, timing

DEALS_5M = 2_000_000  # about 5 million events


def sf_end_to_end(raw: dict[str, np.ndarray], workers: int) -> tuple[list[int], list[float]]:
    if workers == 1:
        log: Any = EventLog.from_arrays(FUNNEL, entity=raw["deal"], stage=raw["stage"],
                                        ts=raw["ts"], amount=raw["amount"])
    else:
        # the default parts (two per thread), as a user gets them
        log = PartitionedLog.from_arrays(FUNNEL, entity=raw["deal"], stage=raw["stage"],
                                         ts=raw["ts"], amount=raw["amount"], workers=workers)
    counts = conversion(log, workers=workers).counts
    t = timing(log, percentiles=(), workers=workers)
    return list(counts), [float(d.median) for d in t.steps]


def duckdb_end_to_end(raw: dict[str, np.ndarray], threads: int) -> tuple[list[int], list[float]]:
    import duckdb
    import pandas as pd

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    frame = pd.DataFrame({"deal": raw["deal"], "stage": raw["stage"],
                          "ts": raw["ts"].astype(np.int64)})
    con.register("events", frame)
    row = con.execute(duckdb_sql()).fetchall()[0]
    con.close()
    return [int(x) for x in row[:N_PATH]], [float(x) for x in row[N_PATH:]]


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def peak_ratio(fn: Callable[[], Any], input_bytes: int) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / input_bytes


def same(a: tuple[list[int], list[float]], b: tuple[list[int], list[float]]) -> bool:
    # counts must be identical; the medians of ``timing`` leave out entities that skipped
    # stage k - 1 (no time out of it), the SQL takes every entity at depth >= k: the
    # first step (no skip possible into it from nowhere) agrees, the others differ by
    # definition (same work, same rows).
    return a[0] == b[0] and abs(a[1][0] - b[1][0]) < 1e-3


def main() -> None:
    sizes = [DEALS_5M]
    if os.environ.get("SALESFUNNEL_BENCH_BIG") == "1":
        sizes += [20_000_000, 40_000_000]
    rows = []
    scaling = []
    for deals in sizes:
        raw = generate(deals)
        n = len(raw["deal"])
        input_bytes = sum(a.nbytes for a in raw.values())
        results = {}
        repeat = 3 if deals == DEALS_5M else 1  # the big sizes take minutes per run
        for workers in (1, 2, 4):
            t_sf, res_sf = timed(lambda w=workers, r=raw: sf_end_to_end(r, w), repeat)
            results[workers] = res_sf
            mem = peak_ratio(lambda w=workers, r=raw: sf_end_to_end(r, w), input_bytes)
            scaling.append([f"{n / 1e6:.1f} M", workers, t_sf, n / t_sf / 1e6, mem])
            if deals == DEALS_5M and workers <= 2:
                t_db, res_db = timed(lambda w=workers, r=raw: duckdb_end_to_end(r, w))
                assert same(res_sf, res_db), (res_sf, res_db)
                rows.append([f"{n / 1e6:.1f} M", workers, t_sf, t_db, t_db / t_sf, mem])
        assert results[1] == results[2] == results[4], "workers must not change the result"
        if deals == DEALS_5M:
            speedup = scaling[-3][2] / scaling[-2][2]
            print(f"\nworkers=2 vs workers=1 end to end: {speedup:.2f}x")
        del raw
        gc.collect()
    print_table("End to end (build + reached + step medians), cold, best of 3, seconds",
                ["events", "threads", "salesfunnel", "DuckDB", "DuckDB / sf",
                 "sf peak / input"], rows)
    print_table("Scaling (salesfunnel end to end)",
                ["events", "workers", "seconds", "M events/s", "peak / input"], scaling)
    heap_reuse()
    text_ids()
    if os.environ.get("SALESFUNNEL_BENCH_DASK") == "1":
        dask_row()
    if os.environ.get("SALESFUNNEL_BENCH_DASK_BIG") == "1":
        dask_big()


#: glibc's allocator settings (``mallopt(3)``) that keep freed memory in the process for
#: the next array instead of handing it back to the OS (see :func:`heap_reuse`)
HEAP_REUSE_ENV = {"MALLOC_MMAP_THRESHOLD_": str(2**32), "MALLOC_TRIM_THRESHOLD_": str(2**36)}


def heap_reuse() -> None:
    """The 5 M end-to-end rows again, in two child processes: glibc's default allocator
    settings, and settings that keep freed memory for reuse. By default every array over
    32 MB is a fresh ``mmap`` whose pages fault in on first touch (costly on a virtual
    machine); with reuse they do not, at the price of a process that keeps its peak
    memory. Both tools run in each child (salesfunnel first, one and then two threads);
    the resident memory after the salesfunnel runs shows what the process keeps."""
    if platform.libc_ver()[0] != "glibc":
        print("\n(allocator table skipped: not glibc)")
        return
    rows = []
    for label, extra in (("glibc default", {}), ("heap reuse", HEAP_REUSE_ENV)):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
        done = subprocess.run([sys.executable, __file__, "--allocator-child"],
                              env={**env, **extra}, capture_output=True, text=True,
                              check=True)
        for workers, t_sf, t_db, rss in json.loads(done.stdout.splitlines()[-1]):
            rows.append([label, workers, t_sf, t_db, t_db / t_sf, rss])
    print_table("End to end, 5 M events, by allocator setting (child processes; "
                "heap reuse = " + " ".join(f"{k}={v}" for k, v in HEAP_REUSE_ENV.items())
                + ")", ["allocator", "threads", "salesfunnel", "DuckDB", "DuckDB / sf",
                        "resident MB after sf"], rows)


def resident_mb() -> float:
    """The process's resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def allocator_child() -> None:
    """One child of :func:`heap_reuse`: prints ``[[workers, sf s, DuckDB s, MB]]``, MB =
    the resident memory after the salesfunnel runs (the input columns are 130 MB)."""
    raw = generate(DEALS_5M)
    out = []
    for workers in (1, 2):
        t_sf, res_sf = timed(lambda w=workers: sf_end_to_end(raw, w))
        gc.collect()
        kept = resident_mb()
        t_db, res_db = timed(lambda w=workers: duckdb_end_to_end(raw, w))
        assert same(res_sf, res_db), (res_sf, res_db)
        out.append([workers, t_sf, t_db, kept])
    print(json.dumps(out))


def text_ids() -> None:
    """Logs from an Arrow table whose ids are text, about 5 M rows and 2 M deals: short
    ids that fit one 64-bit key (``D12345678``) and 24-character ones. Peers in the
    same run: what Arrow needs for the same sorted codes (``dictionary_encode``, then
    ``sort_indices`` of the distinct values) and ``pandas.factorize(sort=True)``."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    raw = generate(2_000_000)
    n = len(raw["deal"])
    rows = []
    for label, fmt in (("9 characters", "D{:08d}"), ("24 characters", "deal-{:019d}")):
        modulus = 10**8 if label.startswith("9") else 10**19
        ids = np.array([fmt.format(int(x) % modulus) for x in raw["deal"]], dtype=object)
        table = pa.table({"entity": pa.array(ids), "stage": raw["stage"].astype(np.int64),
                          "ts": raw["ts"].astype(np.int64)})

        def arrow_sorted_codes(t: Any = table) -> None:
            encoded = t.column("entity").dictionary_encode().combine_chunks()
            pc.sort_indices(encoded.dictionary)

        cases = [
            ("salesfunnel EventLog.from_arrow, 1 thread",
             lambda t=table: EventLog.from_arrow(FUNNEL, t, unit="s")),
            ("salesfunnel PartitionedLog.from_arrow, 2 workers",
             lambda t=table: PartitionedLog.from_arrow(FUNNEL, t, unit="s", workers=2)),
            ("Arrow dictionary_encode + sort_indices (ids only)", arrow_sorted_codes),
            ("pandas.factorize(sort=True) (ids only)",
             lambda v=ids: pd.factorize(v, sort=True)),
        ]
        for name, fn in cases:
            seconds, _ = timed(fn)
            rows.append([label, name, seconds, n / seconds / 1e6])
        del ids, table
    print_table(f"Text ids, {n / 1e6:.1f} M rows, 2 M distinct (best of 3)",
                ["ids", "what", "seconds", "M rows/s"], rows)


def dask_row() -> None:
    """About 10 M events: Dask (two worker processes, Parquet input) against the
    in-memory run on two threads, through the P2P shuffle and from a dataset written
    once by ``write_bucketed`` (not timed), with Dask's default worker environment and
    with workers started without its ``MALLOC_TRIM_THRESHOLD_``.

    That setting hands every freed array back to the OS, so the next one page-faults
    again (slow on virtual machines). The nanny also writes it into this process's
    environment, which later clusters inherit: the cluster without it runs first.
    """
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from salesfunnel.dask import DaskLog, write_bucketed

    raw = generate(4_000_000)  # about 10 million events
    n = len(raw["deal"])
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "raw").mkdir()
        write_parquet(raw, Path(tmp) / "raw", 16)
        t_mem, res_mem = timed(lambda: sf_end_to_end(raw, 2))
        bucketed = Path(tmp) / "bucketed"

        def cluster() -> LocalCluster:
            return LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                dashboard_address=":0", memory_limit="2GiB")

        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
                              None}), cluster() as c, Client(c):
            write_bucketed(dd.read_parquet(Path(tmp) / "raw"), bucketed, entity="deal",
                           buckets=16)
            t_reuse, res_reuse = timed(lambda: dask_end_to_end(DaskLog.from_parquet(
                FUNNEL, bucketed, entity="deal", unit="s")))
        with cluster() as c, Client(c):
            t_dask, res_dask = timed(lambda: dask_end_to_end(DaskLog.from_dask(
                FUNNEL, dd.read_parquet(Path(tmp) / "raw"), entity="deal", unit="s")))
            t_bucketed, res_bucketed = timed(lambda: dask_end_to_end(DaskLog.from_parquet(
                FUNNEL, bucketed, entity="deal", unit="s")))
        assert res_dask == res_mem == res_bucketed == res_reuse
        print_table("Dask LocalCluster (2 processes, Parquet) vs in memory (workers=2)",
                    ["events", "input", "workers", "in memory s", "Dask s",
                     "Dask / memory"],
                    [[f"{n / 1e6:.1f} M", "shuffled (P2P)", "Dask's default", t_mem, t_dask,
                      t_dask / t_mem],
                     [f"{n / 1e6:.1f} M", "pre-bucketed", "Dask's default", t_mem,
                      t_bucketed, t_bucketed / t_mem],
                     [f"{n / 1e6:.1f} M", "pre-bucketed", "malloc trim unset", t_mem,
                      t_reuse, t_reuse / t_mem]])


def dask_end_to_end(dlog: Any) -> tuple[list[int], list[float]]:
    """What ``sf_end_to_end`` computes, on a DaskLog: reached counts and step medians."""
    conv, tim = dlog.compute(lambda log: conversion(log, workers=1),
                             lambda log: timing(log, percentiles=(), workers=1))
    return list(conv.counts), [float(d.median) for d in tim.steps]


def write_parquet(raw: dict[str, np.ndarray], folder: Path, files: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(raw["deal"])
    for i, (a, b) in enumerate(zip(np.linspace(0, n, files + 1).astype(np.int64)[:-1],
                                   np.linspace(0, n, files + 1).astype(np.int64)[1:],
                                   strict=True)):
        pq.write_table(pa.table({"deal": raw["deal"][a:b],
                                 "stage": raw["stage"][a:b].astype(np.int64),
                                 "ts": raw["ts"][a:b].astype(np.int64)}),
                       folder / f"p{i:03d}.parquet")


def dask_big() -> None:
    """About 60 M events on two Dask workers of 1 GiB each: larger than one worker's
    memory. Shuffled (P2P, spilling to disk) and pre-bucketed (``write_bucketed`` once,
    not timed); goals 75 s and 25 s; no worker may be paused or restarted."""
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from salesfunnel.dask import DaskLog, write_bucketed

    raw = generate(int(os.environ.get("SALESFUNNEL_BENCH_DASK_DEALS", "23000000")))
    n = len(raw["deal"])
    expected = sf_end_to_end(raw, 2)  # the in-memory result to compare with
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "raw"
        src.mkdir()
        write_parquet(raw, src, 64)
        del raw
        gc.collect()
        pool = os.environ.get("SALESFUNNEL_BENCH_ARROW_POOL")  # e.g. "system"
        settings: dict[str, Any] = {"distributed.worker.memory.spill": 0.6,
                                    "distributed.worker.memory.target": 0.5}
        if pool:
            settings["distributed.nanny.pre-spawn-environ.ARROW_DEFAULT_MEMORY_POOL"] = pool
        with dask.config.set(settings), \
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                             dashboard_address=":0", memory_limit="1GiB",
                             local_directory=tmp) as cluster, Client(cluster) as client:
            workers_before = set(client.scheduler_info()["workers"])

            def pauses() -> int:
                logs = client.get_worker_logs()
                return sum("Pausing worker" in msg for lines in logs.values()
                           for _, msg in lines)

            t_shuffled, got = timed(lambda: dask_end_to_end(DaskLog.from_parquet(
                FUNNEL, src, entity="deal", unit="s", npartitions=128)), repeat=1)
            assert got == expected, (got, expected)
            p_shuffled = pauses()
            write_bucketed(dd.read_parquet(src), Path(tmp) / "bucketed", entity="deal",
                           buckets=128)
            p_write = pauses() - p_shuffled
            t_bucketed, got = timed(lambda: dask_end_to_end(DaskLog.from_parquet(
                FUNNEL, Path(tmp) / "bucketed", entity="deal", unit="s")), repeat=1)
            assert got == expected, (got, expected)
            p_bucketed = pauses() - p_shuffled - p_write
            same = set(client.scheduler_info()["workers"]) == workers_before
        rows.append([f"{n / 1e6:.1f} M", "shuffled (P2P)", t_shuffled, 75.0, p_shuffled])
        rows.append([f"{n / 1e6:.1f} M", "write_bucketed (untimed)", "-", "-", p_write])
        rows.append([f"{n / 1e6:.1f} M", "pre-bucketed", t_bucketed, 25.0, p_bucketed])
    print_table("Dask LocalCluster, 2 workers x 1 GiB, dataset larger than a worker's "
                f"memory (pyarrow pool: {pool or 'default'}; workers restarted: {not same})",
                ["events", "input", "seconds", "goal (s)", "worker pauses"], rows)


if __name__ == "__main__":
    if "--allocator-child" in sys.argv:
        allocator_child()
    else:
        main()
