"""``DealScorer``: calibration on simulated data whose true win probabilities are known
(``simulate(effects=...)``), the scores against those true probabilities, naive Bayes,
``calibration`` against a per-bin loop, and ``forecast(deal_probabilities=)``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import salesfunnel as sf
from salesfunnel import PlanError
from salesfunnel.errors import NotFittedError
from salesfunnel.metrics import _kernels as K
from salesfunnel.planner import DealScorer, DealScores, calibration, forecast
from salesfunnel.simulation import transition_matrix
from salesfunnel.testing import assert_calibrated

FUNNEL = sf.Funnel("deals", [sf.Stage("lead", probability=0.1), sf.Stage("demo", probability=0.3),
                             sf.Stage("offer", probability=0.6), sf.Stage("won", kind="won"),
                             sf.Stage("lost", kind="lost")])
RATES = [0.35, 0.5, 0.6]
SEGMENTS = {"channel": ["ads", "web", "referral"], "size": ["small", "large"]}
EFFECTS = {"channel": {"referral": 3.0, "ads": 0.6}, "size": {"large": 1.8}}
CUT = "2026-08-01T00:00Z"


def simulate(seed: int, n: int, until: str | None = None) -> sf.EventLog:
    return sf.simulate(FUNNEL, n=n, rates=RATES, segments=SEGMENTS, effects=EFFECTS,
                       rng=seed, until=until, spread_days=300)


def true_probability(log: sf.EventLog, scores: DealScores) -> np.ndarray:
    """The simulator's win probability of each scored deal: the product of its odds-shifted
    forward rates from its stage to WON (no skips, no fall-backs in this funnel)."""
    index = {v: i for i, v in enumerate(log.ids.tolist())}
    rows = K.first_event_row(log)
    out = []
    for deal, stage in zip(scores.ids.tolist(), scores.stage.tolist(), strict=True):
        e = index[deal]
        factor = 1.0
        for col, eff in EFFECTS.items():
            seg = log.segments[col]
            factor *= eff.get(seg.categories[seg.codes[rows[e]]], 1.0)
        m = transition_matrix(FUNNEL, rates=RATES, odds=factor)
        p = 1.0
        for k in range(stage, FUNNEL.won_index):
            p *= m[k, k + 1]
        out.append(p)
    return np.array(out)


@pytest.mark.parametrize("method", ["logistic", "naive_bayes"])
def test_scores_are_calibrated_and_close_to_the_truth(method: str) -> None:
    history = simulate(1, 30_000, until=CUT)
    scorer = DealScorer(method=method).fit(history)
    scores = scorer.score(history, as_of=CUT)
    truth = true_probability(history, scores)
    assert len(scores) > 1000
    # against the known probabilities
    assert np.mean(np.abs(scores.probability - truth)) < 0.03
    # against the outcomes: the same deals, simulated to the end
    full = simulate(1, 30_000)
    won = scores.outcomes(full)
    assert_calibrated(scores.probability, won, bins=10)
    cal = scores.calibration(full)
    true_brier = float(np.mean((truth - won) ** 2))
    assert cal.brier < true_brier + 0.005
    ref = dict(cal.references)
    assert cal.brier < ref["stage"] and cal.brier < ref["baseline"]  # attributes help
    d = cal.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_stage_probabilities_are_not_calibrated_when_the_funnel_is_wrong() -> None:
    history = simulate(2, 20_000, until=CUT)
    scores = DealScorer().fit(history).score(history, as_of=CUT)
    won = scores.outcomes(simulate(2, 20_000))
    with pytest.raises(AssertionError, match="not calibrated"):
        assert_calibrated(np.nan_to_num(scores.nominal, nan=0.05), won)


def test_events_column_is_a_feature() -> None:
    # deals that had a "demo_call" before their step move on far more often
    log = simulate(3, 8000, until=CUT)
    dep = K.depth(log)
    rng = np.random.default_rng(3)
    act = np.where(rng.random(len(log)) < 0.5, "email", "visit").astype(object)
    won = dep[log.entity] >= FUNNEL.won_index
    act[(log.stage == 0) & won & (rng.random(len(log)) < 0.8)] = "demo_call"
    log2 = sf.EventLog.from_arrays(FUNNEL, entity=log.entity, stage=log.stage, ts=log.ts,
                                   unit="ns", segments={"activity": act})
    scorer = DealScorer(events="activity").fit(log2)
    assert scorer.step_probability(0, {}, ["demo_call"]) > \
        scorer.step_probability(0, {}, ["email"]) + 0.2


def test_calibration_matches_a_loop() -> None:
    rng = np.random.default_rng(5)
    p = rng.random(500)
    y = rng.random(500) < p
    c = calibration(p, y, bins=4)
    for i in range(4):
        inside = (p >= i / 4) & (p < (i + 1) / 4) if i < 3 else p >= 0.75
        assert c.n[i] == inside.sum()
        assert c.observed[i] == pytest.approx(y[inside].mean())
        assert c.predicted[i] == pytest.approx(p[inside].mean())
    assert c.brier == pytest.approx(sum((a - b) ** 2 for a, b in zip(p, y, strict=True)) / 500)
    assert calibration(y.astype(float), y).brier == 0.0


def test_forecast_takes_per_deal_probabilities() -> None:
    log = simulate(4, 3000, until=CUT)
    scores = DealScorer().fit(log).score(log, as_of=CUT)
    fc = forecast(log, as_of=CUT, horizon=36_500, deal_probabilities=scores, n_sims=200,
                  rng=1)
    amount = dict(zip(fc.entity_ids.tolist(), fc.deal_amount.tolist(), strict=True))
    expected = sum(p * amount[i] for i, p in scores.as_mapping().items())
    assert fc.expected == pytest.approx(expected, rel=1e-9)
    half = {k: 0.5 for k in list(scores.as_mapping())[:10]}
    fc2 = forecast(log, as_of=CUT, horizon=36_500, deal_probabilities=half, n_sims=10, rng=1)
    assert any("kept the stage's" in n for n in fc2.notes)
    with pytest.raises(PlanError):
        forecast(log, as_of=CUT, horizon=30, deal_probabilities={scores.ids[0].item(): 1.5})


def test_not_fitted_and_bad_arguments() -> None:
    with pytest.raises(NotFittedError):
        DealScorer().score(simulate(1, 10))
    with pytest.raises(PlanError):
        DealScorer(method="forest")
    with pytest.raises(PlanError):
        DealScorer(segments=["chanel"]).fit(simulate(1, 10))
    with pytest.raises(PlanError):
        calibration([0.5, 1.2], [True, False])
    with pytest.raises(PlanError):
        calibration([0.5], [True, False])
    assert "not fitted" in repr(DealScorer())
