"""Insights at scale, cold (a fresh EventLog per timed call, so no derived array is
cached), with the peak memory traced by ``tracemalloc``.

* ``metrics.correlation``: 20 segment values (two columns) and 50 event types on about
  5 M events (goal: under 2 s). Peer: pandas (per-entity first values and event-type
  presence by groupby) with statsmodels' ``Table2x2`` and ``multipletests`` per feature,
  the tools the tests use as the oracle.
* ``DealScorer.score``: 1 M open deals after fitting (goal: under 1 s). Peer: the same
  coefficients applied through a dense one-hot matrix in numpy.
* ``metrics.stale`` and ``metrics.forecast_categories`` on the 5 M-event log.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _table import print_table

from salesfunnel import EventLog, Funnel, Stage, simulate
from salesfunnel.events import Segment
from salesfunnel.metrics import correlation, forecast_categories, stale
from salesfunnel.planner import DealScorer

AS_OF = "2027-01-01T00:00:00Z"


def funnel() -> Funnel:
    return Funnel("b2b", [
        Stage("target", probability=0.1), Stage("qualified", probability=0.25),
        Stage("shortlisted", probability=0.5), Stage("intent", probability=0.75),
        Stage("near_win", probability=0.9), Stage("won", kind="won"),
        Stage("lost", kind="lost"),
    ])


def big_log(n_deals: int) -> EventLog:
    segs = {"channel": [f"c{i}" for i in range(8)], "region": [f"r{i}" for i in range(12)]}
    log = simulate(funnel(), n=n_deals, rng=1, segments=segs,
                   effects={"channel": {"c1": 2.0, "c2": 0.5}}, amount=(30_000.0, 0.5))
    rng = np.random.default_rng(2)
    acts = np.array([f"a{i:02d}" for i in range(50)])
    segments = dict(log.segments)
    segments["activity"] = Segment(rng.integers(0, 50, len(log)).astype(np.int32), acts)
    return EventLog(log.funnel, log.entity, log.ids, log.stage, log.ts, log.amount, segments)


def fresh(log: EventLog) -> EventLog:
    """The same columns as a new log object: nothing derived is cached."""
    return EventLog(log.funnel, log.entity, log.ids, log.stage, log.ts, log.amount,
                    dict(log.segments))


def measure(fn: Callable[[], Any], repeat: int = 3, trace: bool = True
            ) -> tuple[float, float]:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    if not trace:
        return best, float("nan")
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 1e6


def pandas_statsmodels(log: EventLog) -> int:
    """The same tables with pandas (without the "before the outcome" cut-off on events)
    and statsmodels' Table2x2 / multipletests per feature."""
    import pandas as pd
    from statsmodels.stats.contingency_tables import Table2x2
    from statsmodels.stats.multitest import multipletests

    df = pd.DataFrame({"e": log.entity, "s": log.stage, "t": log.ts,
                       "channel": log.segments["channel"].codes,
                       "region": log.segments["region"].codes,
                       "act": log.segments["activity"].codes})
    won = log.funnel.won_index
    first = df.sort_values(["e", "t", "s"]).drop_duplicates("e").set_index("e")
    converted = df.assign(w=df.s == won).groupby("e")["w"].any()
    n_conv = int(converted.sum())
    n_drop = len(converted) - n_conv
    pvals = []

    def test(counts: pd.DataFrame) -> None:
        for a, b in zip(counts.get(True, 0 * counts.iloc[:, 0]),
                        counts.get(False, 0 * counts.iloc[:, 0]), strict=True):
            t = np.array([[a, b], [n_conv - a, n_drop - b]], dtype=float)
            pvals.append(Table2x2(t).oddsratio_pvalue())

    for col in ("channel", "region"):
        test(first.assign(c=converted).groupby([col, "c"]).size().unstack(fill_value=0))
    pairs = df[["e", "act"]].drop_duplicates()
    pairs = pairs.assign(c=converted.reindex(pairs.e).to_numpy())
    test(pairs.groupby(["act", "c"]).size().unstack(fill_value=0))
    return len(multipletests(pvals, method="fdr_bh")[1])


def open_deals(n: int, scorer_log: EventLog) -> EventLog:
    """``n`` open deals, one event each at an open stage, with the segment columns."""
    rng = np.random.default_rng(3)
    f = scorer_log.funnel
    as_of_ns = np.datetime64("2027-01-01", "ns").astype(np.int64)
    segments = {k: Segment(rng.integers(0, len(v.categories), n).astype(np.int32),
                           v.categories) for k, v in scorer_log.segments.items()}
    return EventLog(f, np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64),
                    rng.integers(0, f.won_index, n).astype(np.int8),
                    as_of_ns - rng.integers(0, 90 * 86_400 * 10**9, n),
                    rng.lognormal(10, 0.5, n), segments)


def dense_baseline(scorer: DealScorer, log: EventLog) -> np.ndarray:
    cols = [log.segments[c].codes for c in scorer.columns_]
    sizes = [len(c) for c in scorer.categories_]
    x = np.zeros((log.n_entities, sum(sizes)))
    off = 0
    for c, m in zip(cols, sizes, strict=True):
        x[np.arange(len(c)), off + c] = 1.0
        off += m
    eta = x @ scorer.coef_[:, :off].T + scorer.intercept_
    p = 1 / (1 + np.exp(-eta))
    logp = np.log(p)
    tail = np.cumsum(logp[:, ::-1], axis=1)[:, ::-1]
    return np.exp(tail[np.arange(log.n_entities), log.stage.astype(np.int64)])


class Rows(list[list[Any]]):
    """Rows of the table, each also printed as soon as it is measured."""

    def append(self, row: list[Any]) -> None:
        print("  ", *row, flush=True)
        super().append(row)


def main() -> None:
    rows = Rows()
    log = big_log(1_750_000)  # about 5 M events
    size = f"{len(log) / 1e6:.1f} M events, 20 values + 50 event types"
    t, mb = measure(lambda: correlation(fresh(log), events="activity"))
    rows.append(["correlation (goal < 2 s)", size, t, mb])
    t, mb = measure(lambda: correlation(fresh(log), events="activity", step="qualified"))
    rows.append(["correlation, one step", size, t, mb])
    t, mb = measure(lambda: pandas_statsmodels(fresh(log)), repeat=1, trace=False)
    rows.append(["peer: pandas + statsmodels Table2x2", size, t, mb])
    t, mb = measure(lambda: stale(fresh(log), as_of=AS_OF, thresholds=30))
    rows.append(["stale", f"{len(log) / 1e6:.1f} M events", t, mb])
    t, mb = measure(lambda: forecast_categories(fresh(log), as_of=AS_OF))
    rows.append(["forecast_categories", f"{len(log) / 1e6:.1f} M events", t, mb])
    train = big_log(200_000)
    scorer = DealScorer(segments=["channel", "region"]).fit(train)
    pipe = open_deals(1_000_000, train)
    t, mb = measure(lambda: scorer.score(fresh(pipe)))
    rows.append(["DealScorer.score (goal < 1 s)", "1 M open deals", t, mb])
    t, mb = measure(lambda: dense_baseline(scorer, pipe))
    rows.append(["peer: dense one-hot numpy", "1 M open deals", t, mb])
    t, mb = measure(lambda: DealScorer(segments=["channel", "region"]).fit(fresh(train)),
                    repeat=1)
    rows.append(["DealScorer.fit", f"{len(train) / 1e6:.1f} M events", t, mb])
    got = scorer.score(pipe).probability
    assert np.allclose(got, dense_baseline(scorer, pipe))
    print_table("Insights (seconds, best of 3, cold; peak MB by tracemalloc)",
                ["task", "size", "seconds", "peak MB"], rows)


if __name__ == "__main__":
    main()
