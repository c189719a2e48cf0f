"""Fuzz the planner (reverse, forward, levers, MarkovModel, forecast) and simulate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from fuzz_support import durations, error_or_result, fuzz, junk, numbers, times
from salesfunnel import EventLog, Funnel, Stage, planner, simulate
from salesfunnel.testing import event_logs, funnels

F = Funnel("f", [Stage("lead", probability=0.1), Stage("demo", probability=0.5),
                 Stage("won", kind="won"), Stage("lost", kind="lost")])
rates = st.one_of(st.lists(st.one_of(st.floats(0, 1), numbers), max_size=4), junk)
plan_kwargs = st.fixed_dictionaries(
    {"deal_size": numbers},
    optional={"win_rate": st.one_of(st.floats(0, 1), numbers), "rates": rates,
              "funnel": st.sampled_from([F, None]),
              "periods": st.one_of(st.integers(-2, 400), numbers),
              "unit": st.sampled_from([None, "devices", 5]),
              "sources": st.one_of(st.none(), st.dictionaries(
                  st.sampled_from(["a", "b"]), st.one_of(numbers, st.tuples(numbers, numbers)),
                  max_size=2), junk),
              "capacity": st.one_of(st.none(), st.fixed_dictionaries(
                  {"per_rep": numbers}, optional={"touches": numbers,
                                                  "contact_touches": numbers}), junk)},
)


def finite_plan(plan: Any) -> None:
    if plan is None:
        return
    assert math.isfinite(plan.deals) and math.isfinite(plan.target)
    for row in plan.rows:
        assert math.isfinite(row.total) and math.isfinite(row.per_period)


@fuzz
@given(numbers, plan_kwargs, st.sampled_from(["none", "ceil", "up"]))
@example(1e308, {"deal_size": 1e-10, "win_rate": 0.5}, "none")
@example(1e-320, {"deal_size": 1e-320, "win_rate": 1e-320}, "ceil")
@example(1, {"deal_size": 1, "win_rate": 0.5, "capacity": {"per_rep": 1e-320}}, "none")
def test_reverse(target: Any, kwargs: dict[str, Any], rounding: str) -> None:
    finite_plan(error_or_result(planner.reverse, target=target, rounding=rounding, **kwargs))


@fuzz
@given(numbers, plan_kwargs)
@example(1e308, {"deal_size": 1e308, "win_rate": 1.0})
def test_forward(inflow: Any, kwargs: dict[str, Any]) -> None:
    finite_plan(error_or_result(planner.forward, inflow=inflow, **kwargs))


@fuzz
@given(numbers, numbers, numbers, numbers,
       st.fixed_dictionaries({}, optional={"step": st.one_of(numbers, junk),
                                           "target": numbers, "period_days": numbers}))
@example(5e-324, 5e-324, 5e-324, 5e-324, {})
@example(10, 0.5, 1, 5e-324, {})
def test_levers(opportunities: Any, win_rate: Any, deal_size: Any, cycle_days: Any,
                kwargs: dict[str, Any]) -> None:
    report = error_or_result(planner.levers, opportunities=opportunities, win_rate=win_rate,
                             deal_size=deal_size, cycle_days=cycle_days, **kwargs)
    if report is not None:
        assert math.isfinite(report.revenue) and report.revenue > 0


@fuzz
@given(event_logs(F, max_entities=8), st.one_of(st.floats(0, 10), numbers))
@example(EventLog.from_arrays(F, entity=[1, 1], stage=[0, 1], ts=[0, 1], unit="s"),
         8.98846567431158e307)
def test_markov(log: EventLog, smoothing: Any) -> None:
    model = error_or_result(lambda: planner.MarkovModel(smoothing=smoothing).fit(log))
    if model is not None:
        p = np.asarray(model.win_probability_, dtype=float)
        assert ((p >= 0) & (p <= 1) | np.isnan(p)).all()


@fuzz
@given(event_logs(F, max_entities=8, with_amount=True), st.one_of(times, numbers),
       st.one_of(durations, st.sampled_from([10**30, 1e30, 213_503.0])),
       st.fixed_dictionaries({}, optional={
           "n_sims": st.one_of(st.integers(-1, 50), numbers),
           "target": numbers, "probabilities": st.sampled_from(["observed", "nominal", "x"]),
           "rng": st.one_of(st.integers(0, 5), junk)}))
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s", amount=[1.0]),
         np.datetime64("0001-01-01"), 30, {"n_sims": 10})
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s", amount=[1.0]),
         "1970-01-02T00:00Z", 10**30, {"n_sims": 10})
def test_forecast(log: EventLog, as_of: Any, horizon: Any, kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("n_sims", 20)
    if isinstance(kwargs["n_sims"], int) and kwargs["n_sims"] > 1000:
        kwargs["n_sims"] = 1000  # the library's limit is 10**8; keep the fuzzer quick
    error_or_result(planner.forecast, log, as_of=as_of, horizon=horizon, **kwargs)


@fuzz
@given(st.one_of(funnels(), junk),
       st.fixed_dictionaries({}, optional={
           "n": st.one_of(st.integers(-1, 30), st.sampled_from([10**30, 10**18, 2**63])),
           "start": times, "spread_days": numbers, "rates": rates,
           "skip": numbers, "fall_back": numbers, "stall": numbers, "reentry": numbers,
           "referrals": numbers, "max_steps": st.one_of(st.integers(-1, 50), numbers),
           "rng": st.one_of(st.integers(0, 5), junk), "until": st.one_of(st.none(), times),
           "journeys": st.booleans()}))
@example(F, {"n": 10**30})
@example(F, {"n": 10**18})
def test_simulate(funnel: Any, kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("n", 5)
    kwargs.setdefault("rng", 1)
    error_or_result(simulate, funnel, **kwargs)


@fuzz
@given(st.one_of(st.lists(st.lists(st.one_of(st.floats(0, 1), numbers), min_size=4,
                                   max_size=4), min_size=4, max_size=4),
                 st.builds(lambda m: (m / m.sum(axis=1, keepdims=True)).tolist(),
                           st.builds(lambda r: np.random.default_rng(r).random((4, 4)),
                                     st.integers(0, 99))),
                 junk),
       st.one_of(st.none(), numbers, st.lists(numbers, max_size=5), junk))
@example([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]], 1e308)
@example([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]], 10**400)
@example([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 10**400]], None)
@example([[0, 1, 0, 0], [0, 0, 1 - 1e-17, 1e-17], [0, 0, 1, 0], [0, 0, 0, 1]], 5e-324)
def test_markov_from_matrix(matrix: Any, holding: Any) -> None:
    model = error_or_result(planner.MarkovModel.from_matrix, matrix, funnel=F,
                            holding_days=holding)
    if model is not None:
        p = np.asarray(model.win_probability_, dtype=float)
        assert ((p >= -1e-12) & (p <= 1 + 1e-12) | np.isnan(p)).all()
