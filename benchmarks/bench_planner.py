"""Planner and simulator at scale.

* ``simulate``: one million deals through the seven-stage B2B funnel (skip-ahead and
  fall-back on), returned as an EventLog.
* ``MarkovModel.fit`` on that log.
* ``forecast``: 10,000 open deals x 10,000 simulations, with the Markov fit and the
  close-time bootstrap included, and with a model fitted beforehand. A chunked numpy
  baseline drawing the win and the close time separately (two random numbers per deal
  and simulation, as a straightforward implementation would) runs on the same data.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _table import best_of, print_table

from salesfunnel import EventLog, Funnel, Stage, simulate
from salesfunnel.planner import MarkovModel, forecast

N_DEALS = 1_000_000
N_OPEN = 10_000
N_SIMS = 10_000
AS_OF = datetime(2027, 1, 1, tzinfo=UTC)
DAY_NS = 86_400 * 10**9


def funnel() -> Funnel:
    return Funnel("b2b", [
        Stage("target", probability=0.1), Stage("qualified", probability=0.25),
        Stage("shortlisted", probability=0.5), Stage("intent", probability=0.75),
        Stage("near_win", probability=0.9), Stage("won", kind="won"),
        Stage("lost", kind="lost"),
    ], skip_ahead=True, fall_back=True)


def pipeline(history: EventLog) -> EventLog:
    """The closed history plus N_OPEN open deals, one event each, at open stages."""
    rng = np.random.default_rng(0)
    f = history.funnel
    stage = rng.integers(0, f.won_index, N_OPEN)
    as_of_ns = int(AS_OF.timestamp()) * 10**9
    ts = as_of_ns - (rng.random(N_OPEN) * 60 * DAY_NS).astype(np.int64)
    ent = np.concatenate([history.entity, history.n_entities + np.arange(N_OPEN)])
    amount = history.amount if history.amount is not None else np.ones(len(history))
    return EventLog.from_arrays(
        f, entity=ent, stage=np.concatenate([history.stage, stage]),
        ts=np.concatenate([history.ts, ts]), unit="ns",
        amount=np.concatenate([amount, rng.lognormal(10, 0.5, N_OPEN)]),
    )


def baseline(log: EventLog, model: MarkovModel, horizon_days: float) -> np.ndarray:
    """Two draws per deal and simulation: win (uniform) and close time (bootstrap index)."""
    f = log.funnel
    srt = log.sorted_by_entity_time()
    last = srt.ends - 1
    stage = srt.stage[last].astype(np.int64)
    open_ = stage < f.won_index
    stage = stage[open_]
    amount = log.amount[srt.order[last]][open_]  # type: ignore[index]
    age = int(AS_OF.timestamp()) * 10**9 - srt.ts[last][open_]
    p = model.win_probability_[stage]
    won = np.flatnonzero(srt.stage[last] == f.won_index)
    start = srt.ts[srt.starts[won]]
    durations = np.sort(srt.ts[last[won]] - start)            # entry-to-win durations
    rng = np.random.default_rng(1)
    out = np.empty(N_SIMS)
    chunk = 250
    for s in range(0, N_SIMS, chunk):
        k = min(chunk, N_SIMS - s)
        win = rng.random((k, stage.size)) < p
        d = durations[rng.integers(0, durations.size, (k, stage.size))]
        in_time = d - age <= horizon_days * DAY_NS
        out[s:s + k] = (win & in_time) @ amount
    return out


def main() -> None:
    f = funnel()
    rows = []
    t_sim = best_of(lambda: simulate(f, n=N_DEALS, rng=1), repeat=3)
    log = simulate(f, n=N_DEALS, rng=1)
    rows.append(["simulate 1M deals -> EventLog", f"{len(log):,} events", t_sim])
    t_fit = best_of(lambda: MarkovModel().fit(log), repeat=3)
    rows.append(["MarkovModel.fit on that log", f"{len(log):,} events", t_fit])
    history = simulate(f, n=20_000, rng=2, spread_days=180,
                       start=datetime(2026, 1, 1, tzinfo=UTC))
    pipe = pipeline(history)
    model = MarkovModel().fit(pipe)
    size = f"{N_OPEN:,} deals x {N_SIMS:,} sims"
    t_fc = best_of(lambda: forecast(pipe, as_of=AS_OF, horizon=90, n_sims=N_SIMS, rng=3),
                   repeat=3)
    rows.append(["forecast (fit + bootstrap + Monte Carlo)", size, t_fc])
    t_fc2 = best_of(lambda: forecast(pipe, as_of=AS_OF, horizon=90, n_sims=N_SIMS, rng=3,
                                     model=model), repeat=3)
    rows.append(["forecast with a fitted model", size, t_fc2])
    t_base = best_of(lambda: baseline(pipe, model, 90), repeat=1)
    rows.append(["baseline: numpy, win + close-time draws", size, t_base])
    fc = forecast(pipe, as_of=AS_OF, horizon=90, n_sims=N_SIMS, rng=3)
    assert N_OPEN <= fc.n_open < N_OPEN * 1.01, fc.n_open
    print_table("Planner and simulator (seconds, best of 3)", ["task", "size", "seconds"],
                rows)


if __name__ == "__main__":
    main()
