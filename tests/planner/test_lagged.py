"""``lagged``: the time-lagged plan against a month-by-month simulation of the same funnel
(leads entering each month as planned, wins counted per calendar month), the lag
distribution against a per-cohort count, NNLS and bad arguments."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import salesfunnel as sf
from salesfunnel import PlanError
from salesfunnel.metrics import _kernels as K
from salesfunnel.planner import LaggedPlan, lag_distribution, lagged
from salesfunnel.planner._lagged import nnls

FUNNEL = sf.Funnel("deals", [sf.Stage("lead"), sf.Stage("demo"), sf.Stage("won", kind="won"),
                             sf.Stage("lost", kind="lost")])
KW = {"rates": [0.5, 0.6], "days_in_stage": {"lead": 20, "demo": 25}, "amount": None}


def month_of(ns: np.ndarray) -> np.ndarray:
    return ns.astype("datetime64[ns]").astype("datetime64[M]")


def test_plan_meets_targets_in_a_month_by_month_simulation() -> None:
    history = sf.simulate(FUNNEL, n=60_000, start="2024-01-01T00:00Z", spread_days=365,
                          rng=1, **KW)
    targets = [300, 300, 400, 500, 500, 350]
    plan = lagged(targets, log=history, start="2026-01", max_lag=8)
    assert plan.shortfall < 1e-6
    np.testing.assert_allclose(plan.expected[-len(targets):], targets, rtol=1e-6)
    # simulate: each entry month's leads enter uniformly within that month
    wins = []
    rng = np.random.default_rng(7)
    for i, month in enumerate(plan.months):
        n = round(float(plan.leads[i]))
        if n == 0:
            continue
        start = np.datetime64(month, "M")
        days = int((start + 1 - start).astype("timedelta64[D]").astype(int))
        log = sf.simulate(FUNNEL, n=n, start=f"{month}-01T00:00Z", spread_days=days,
                          rng=rng, **KW)
        won = K.progress(log).won_time
        wins.append(month_of(won[won != K.NEVER]))
    won_months = np.concatenate(wins)
    for month, target in zip(plan.months[-len(targets):], targets, strict=True):
        got = int((won_months == np.datetime64(month, "M")).sum())
        assert abs(got - target) < 4.5 * np.sqrt(target) + 0.03 * target, (month, got, target)


def test_lag_distribution_counts_cohorts() -> None:
    log = sf.simulate(FUNNEL, n=3000, start="2025-01-01T00:00Z", spread_days=200, rng=3,
                      **KW)
    f = lag_distribution(log, as_of="2025-12-31T00:00Z", max_lag=4)
    pr = K.progress(log)
    entry = month_of(pr.first_time).astype(int)
    won = pr.won_time != K.NEVER
    lag = np.where(won, month_of(np.where(won, pr.won_time, 0)).astype(int) - entry, -1)
    done = int(np.datetime64("2025-11", "M").astype(int))
    for d in range(5):
        cohort = entry + d <= done
        assert f[d] == pytest.approx(((lag == d) & cohort).sum() / cohort.sum())
    assert 0 < f.sum() <= 0.3 + 0.05


@settings(max_examples=40, deadline=None)
@given(f=st.lists(st.floats(0, 0.3), min_size=1, max_size=5).filter(
           lambda v: 0.01 < sum(v) <= 1),
       t=st.lists(st.floats(0, 500), min_size=1, max_size=8))
def test_plan_never_negative_and_exact_when_a_smooth_inflow_exists(f: list[float],
                                                                   t: list[float]) -> None:
    plan = lagged(t, lags=f, start="2026-01")
    assert (plan.leads >= 0).all()
    assert len(t) <= len(plan.leads) <= len(t) + len(np.trim_zeros(np.array(f), "b")) - 1
    # expected wins are the convolution of the leads with the lags
    conv = np.convolve(plan.leads, plan.lags)[:len(plan.leads)]  # nothing before the 1st
    np.testing.assert_allclose(plan.expected, conv, atol=1e-6)
    # a constant target with a constant inflow is always feasible
    flat = lagged([100.0] * len(t), lags=f, start="2026-01")
    np.testing.assert_allclose(flat.expected[-len(t):], 100.0, rtol=1e-6)
    d = plan.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_revenue_targets_and_nnls() -> None:
    plan = lagged([300_000.0, 300_000.0], lags=[0.0, 0.1], start="2026-03", deal_size=30_000)
    assert isinstance(plan, LaggedPlan)
    assert plan.leads.round(6).tolist() == [100.0, 100.0, 0.0]
    x = nnls(np.array([[1.0, 1.0], [1.0, -1.0]]), np.array([2.0, 4.0]))
    assert x.tolist() == pytest.approx([3.0, 0.0])


@pytest.mark.parametrize("kwargs", [
    {"lags": [0.5, 0.7]}, {"lags": [-0.1, 0.2]}, {"lags": [0.0, 0.0]}, {},
    {"lags": [0.1], "log": sf.simulate(FUNNEL, n=5, rng=1)},
])
def test_bad_lags(kwargs: dict[str, object]) -> None:
    with pytest.raises(PlanError):
        lagged([10], start="2026-01", **kwargs)  # type: ignore[arg-type]


def test_bad_target_and_start() -> None:
    with pytest.raises(PlanError):
        lagged([-1], lags=[0.1], start="2026-01")
    with pytest.raises(PlanError):
        lagged([], lags=[0.1], start="2026-01")
    with pytest.raises(PlanError):
        lagged([1], lags=[0.1], start="2026-13")
