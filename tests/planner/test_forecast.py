"""Monte Carlo forecast: exact small cases, convergence, seeding, close-time bootstrap."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from salesfunnel import EventLog, Funnel, PlanError, Stage
from salesfunnel.planner import MarkovModel, forecast
from salesfunnel.simulation import simulate

DAY0 = datetime(1970, 1, 1, tzinfo=UTC)


def funnel() -> Funnel:
    return Funnel("f", [Stage("lead", probability=0.2), Stage("deal", probability=0.5),
                        Stage("won", kind="won"), Stage("lost", kind="lost")])


def day(d: float) -> datetime:
    return DAY0 + timedelta(days=d)


def pipeline_log() -> EventLog:
    """Four won deals taking 10/20/30/40 days, three open deals of 100/200/400."""
    ent, stg, ts, amt = [], [], [], []
    for i, d in enumerate([10, 20, 30, 40]):
        for s, t in (("lead", 0), ("deal", 0), ("won", d)):
            ent.append(f"w{i}")
            stg.append(s)
            ts.append(t)
            amt.append(1.0)
    for name, stage, amount in (("x", "deal", 100.0), ("y", "deal", 200.0),
                                ("z", "lead", 400.0)):
        ent += [name, name] if stage == "deal" else [name]
        stg += ["lead", "deal"] if stage == "deal" else ["lead"]
        ts += [190, 195] if stage == "deal" else [195]
        amt += [amount, amount] if stage == "deal" else [amount]
    return EventLog.from_arrays(funnel(), entity=ent, stage=stg, ts=ts, amount=amt, unit="D")


def exact_distribution(p: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All outcomes of independent Bernoulli(p_i) x a_i: values and probabilities."""
    values, probs = [], []
    for bits in itertools.product([0, 1], repeat=len(p)):
        b = np.array(bits)
        values.append(float(b @ a))
        probs.append(float(np.prod(np.where(b == 1, p, 1 - p))))
    order = np.argsort(values)
    return np.array(values)[order], np.array(probs)[order]


def test_exact_small_pipeline_and_convergence() -> None:
    log = pipeline_log()
    # as_of day 200, horizon 60: every open deal is 5 days in its stage and every won
    # duration (10..40) exceeds that and ends within 65 days: q = 1.
    kw: dict[str, Any] = {"as_of": day(200), "horizon": 60, "probabilities": "nominal"}
    fc = forecast(log, n_sims=1000, rng=0, **kw)
    assert fc.n_open == 3
    np.testing.assert_allclose(sorted(fc.deal_probability), [0.2, 0.5, 0.5])
    p = np.array([0.5, 0.5, 0.2])
    a = np.array([100.0, 200.0, 400.0])
    assert fc.expected == pytest.approx(float(p @ a))
    values, probs = exact_distribution(p, a)
    cdf = np.cumsum(probs)
    errors = []
    for n in (500, 5_000, 50_000):
        res = forecast(log, n_sims=n, rng=1, target=300, **kw)
        assert res.p10 <= res.p50 <= res.p90
        assert set(np.unique(res.samples)) <= set(values)
        # Dvoretzky-Kiefer-Wolfowitz: sup |F_n - F| <= eps with probability 1 - 1e-6.
        emp = np.searchsorted(np.sort(res.samples), values, side="right") / n
        sup = float(np.max(np.abs(emp - cdf)))
        assert sup <= math.sqrt(math.log(2 / 1e-6) / (2 * n))
        errors.append(sup)
        p300 = float(probs[values >= 300].sum())
        assert res.p_target is not None
        assert abs(res.p_target - p300) <= 4 * math.sqrt(p300 * (1 - p300) / n)
        assert abs(res.mean - fc.expected) <= 4 * math.sqrt(float(
            (p * (1 - p) * a * a).sum()) / n)
    assert errors[-1] < errors[0]
    # The big run's quantiles are the exact distribution's.
    big = forecast(log, n_sims=50_000, rng=2, **kw)
    for q in (0.1, 0.5, 0.9):
        exact_q = values[np.searchsorted(cdf, q)]
        if not any(abs(c - q) < 0.02 for c in cdf):   # not at a jump of the CDF
            assert big.quantile(q) == exact_q


def test_close_time_bootstrap_conditions_on_age() -> None:
    log = pipeline_log()
    # As of day 210 the deals are 15 days into their stage: durations 20, 30, 40 remain
    # eligible; with a 10-day horizon only 20 ends in time -> q = 1/3.
    fc = forecast(log, as_of=day(210), horizon=10, probabilities="nominal", n_sims=10, rng=0)
    q = {str(i): p for i, p in zip(fc.entity_ids, fc.deal_probability, strict=True)}
    assert q["x"] == pytest.approx(0.5 / 3)
    assert q["z"] == pytest.approx(0.2 / 3)
    # At day 250 they are older (55 days) than every won deal took: all durations are
    # drawn again; 10 of 10..40 ends within a 10-day horizon -> q = 1/4.
    fc = forecast(log, as_of=day(250), horizon=10, probabilities="nominal", n_sims=10, rng=0)
    assert dict(zip(fc.entity_ids, fc.deal_probability, strict=True))["y"] == \
        pytest.approx(0.5 / 4)
    stage = {s.stage: s for s in fc.by_stage}
    assert stage["deal"].deals == 2 and stage["deal"].amount == 300
    assert stage["deal"].close_probability == pytest.approx(0.25)


def test_as_of_ignores_later_events() -> None:
    log = pipeline_log()
    later = EventLog.from_arrays(
        funnel(), entity=["x", "y"], stage=["won", "lost"], ts=[300, 301], unit="D",
        amount=[100.0, 200.0])
    merged = EventLog.from_arrays(
        funnel(),
        entity=np.concatenate([log.ids[log.entity], later.ids[later.entity]]),
        stage=np.concatenate([log.stage, later.stage]),
        ts=np.concatenate([log.ts, later.ts]), unit="ns",
        amount=np.concatenate([log.amount, later.amount]),
    )
    a = forecast(log, as_of=day(200), horizon=30, n_sims=500, rng=5)
    b = forecast(merged, as_of=day(200), horizon=30, n_sims=500, rng=5)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert forecast(merged, as_of=day(400), horizon=30, n_sims=10, rng=5).n_open == 1


def test_observed_probabilities_come_from_the_markov_chain() -> None:
    f = funnel()
    log = simulate(f, n=3000, rates=[0.4, 0.5], rng=4, spread_days=200)
    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    fc = forecast(log, as_of=as_of, horizon=365, n_sims=2000, rng=1)
    cut = log.ts <= int((as_of - DAY0).total_seconds()) * 10**9
    sub = EventLog.from_arrays(f, entity=log.entity[cut], stage=log.stage[cut],
                               ts=log.ts[cut], unit="ns")
    model = MarkovModel().fit(sub)
    stages = {s.stage: s.win_probability for s in fc.by_stage}
    for name, p in stages.items():
        assert p == pytest.approx(model.win_probability_[f.index(name)])
    # A given model is used as it is.
    fixed = MarkovModel.from_matrix([[0, 0.9, 0, 0.1], [0, 0, 0.9, 0.1], [0, 0, 1, 0],
                                     [0, 0, 0, 1]], funnel=f)
    fc2 = forecast(log, as_of=as_of, horizon=365, n_sims=10, rng=1, model=fixed)
    assert {s.stage: s.win_probability for s in fc2.by_stage}["deal"] == pytest.approx(0.9)


def test_same_seed_same_result_and_generators() -> None:
    log = pipeline_log()
    kw: dict[str, Any] = {"as_of": day(200), "horizon": 60, "n_sims": 3000,
                          "probabilities": "nominal"}
    a = forecast(log, rng=42, **kw)
    b = forecast(log, rng=42, **kw)
    np.testing.assert_array_equal(a.samples, b.samples)
    c = forecast(log, rng=np.random.default_rng(42), **kw)
    np.testing.assert_array_equal(a.samples, c.samples)
    d = forecast(log, rng=43, **kw)
    assert not np.array_equal(a.samples, d.samples)
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    forecast(log, rng=None, **kw)
    assert np.random.random() == expected  # the global RNG is never touched


def test_no_amount_counts_deals() -> None:
    f = funnel()
    log = EventLog.from_arrays(f, entity=[1, 1, 1, 2], stage=[0, 1, 2, 1], ts=[0, 1, 5, 3],
                               unit="D")
    fc = forecast(log, as_of=day(6), horizon=30, probabilities="nominal", n_sims=200, rng=0)
    assert fc.unit == "deals" and fc.n_open == 1
    assert set(np.unique(fc.samples)) <= {0.0, 1.0}
    assert "deals" in str(fc)


def test_empty_pipeline_and_no_wins_are_defined() -> None:
    f = funnel()
    closed = EventLog.from_arrays(f, entity=[1, 1], stage=[0, 3], ts=[0, 1], unit="D",
                                  amount=[5.0, 5.0])
    fc = forecast(closed, as_of=day(2), horizon=10, n_sims=100, rng=0)
    assert fc.n_open == 0 and fc.mean == 0 and fc.p90 == 0
    assert any("no open deal" in n for n in fc.notes)
    open_only = EventLog.from_arrays(f, entity=[1, 2], stage=[0, 1], ts=[0, 1], unit="D",
                                     amount=[5.0, 7.0])
    fc = forecast(open_only, as_of=day(2), horizon=10, probabilities="nominal", n_sims=100,
                  rng=0)
    assert any("no won deal" in n for n in fc.notes)
    assert fc.expected == pytest.approx(5 * 0.2 + 7 * 0.5)
    # Observed probabilities are unknown here: the nominal ones are used, with a note.
    fc = forecast(open_only, as_of=day(2), horizon=10, n_sims=100, rng=0)
    assert any("no observed win probability" in n for n in fc.notes)
    assert fc.expected == pytest.approx(5 * 0.2 + 7 * 0.5)


@pytest.mark.parametrize("probabilities", ["observed", "nominal"])
def test_empty_log_and_as_of_before_every_event(probabilities: str) -> None:
    f = funnel()
    empty = EventLog.from_arrays(f, entity=[], stage=[], ts=np.array([], "datetime64[ns]"))
    for log, as_of in ((empty, day(1)), (pipeline_log(), day(-1))):
        fc = forecast(log, as_of=as_of, horizon=30, n_sims=50, rng=0, target=10,
                      probabilities=probabilities)  # type: ignore[arg-type]
        assert fc.n_open == 0 and fc.expected == 0 and fc.by_stage == ()
        assert (fc.mean, fc.std, fc.p10, fc.p50, fc.p90) == (0, 0, 0, 0, 0)
        assert fc.p_target == 0
        assert any("no open deal" in n for n in fc.notes)
        assert "0 open deals" in str(fc)


def test_no_estimate_and_no_nominal_counts_as_lost_with_a_note() -> None:
    f = Funnel("bare", [Stage("a"), Stage("won", kind="won"), Stage("lost", kind="lost")])
    log = EventLog.from_arrays(f, entity=[1, 2], stage=[0, 0], ts=[0, 1], unit="D",
                               amount=[5.0, 7.0])
    fc = forecast(log, as_of=day(2), horizon=10, n_sims=100, rng=0)
    assert fc.n_open == 2 and fc.expected == 0 and fc.mean == 0
    assert any("count as lost" in n for n in fc.notes)


def test_quantiles_are_monotone() -> None:
    log = simulate(funnel(), n=400, rates=[0.5, 0.6], rng=3, spread_days=300)
    fc = forecast(log, as_of=datetime(2026, 8, 1, tzinfo=UTC), horizon=120, n_sims=4000,
                  rng=3)
    assert fc.n_open > 10
    qs = [fc.quantile(q) for q in np.linspace(0, 1, 21)]
    assert all(a <= b for a, b in itertools.pairwise(qs))
    assert qs[0] == fc.samples.min() and qs[-1] == fc.samples.max()
    assert fc.p10 <= fc.p50 <= fc.p90


def test_result_renders_and_serialises() -> None:
    import json

    fc = forecast(pipeline_log(), as_of="1970-07-19T00:00:00+00:00",
                  horizon=timedelta(days=60), n_sims=500, rng=0, target=250)
    assert fc.horizon_days == 60
    data = fc.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert "p50" in str(fc) and "P(reaching 250)" in str(fc)
    assert "Forecast" in repr(fc)
    assert "预测" in fc.text("zh")


def test_to_pandas() -> None:
    pytest.importorskip("pandas")
    fc = forecast(pipeline_log(), as_of=day(200), horizon=60, n_sims=50, rng=0)
    assert set(fc.to_pandas().index) == {"lead", "deal"}


BAD = [
    ({"horizon": 0}, "horizon"),
    ({"horizon": -3}, "horizon"),
    ({"n_sims": 0}, "n_sims"),
    ({"probabilities": "hopeful"}, "probabilities"),
    ({"rng": "seed"}, "rng"),
    ({"rng": -1}, "rng"),
    ({"rng": True}, "rng"),
    ({"model": MarkovModel()}, "model"),
    ({"as_of": "yesterday"}, "as_of"),
    ({"as_of": datetime(2026, 1, 1)}, "as_of"),
    ({"target": -1}, "target"),
    ({"model": "markov"}, "model"),
]


@pytest.mark.parametrize(("change", "parameter"), BAD, ids=[p for _, p in BAD])
def test_bad_arguments(change: dict[str, Any], parameter: str) -> None:
    kwargs: dict[str, Any] = {"as_of": day(200), "horizon": 30} | change
    with pytest.raises(PlanError) as info:
        forecast(pipeline_log(), **kwargs)
    assert info.value.parameter == parameter


def test_nominal_needs_stage_probabilities() -> None:
    f = Funnel("bare", [Stage("a"), Stage("won", kind="won")])
    log = EventLog.from_arrays(f, entity=[1], stage=[0], ts=[0], unit="D")
    with pytest.raises(PlanError, match=r"\['a'\]") as info:
        forecast(log, as_of=day(1), horizon=1, probabilities="nominal")
    assert info.value.parameter == "probabilities"
    with pytest.raises(PlanError) as info:
        forecast([1], as_of=day(1), horizon=1)  # type: ignore[arg-type]
    assert info.value.parameter == "log"


def test_result_arrays_are_read_only() -> None:
    fc = forecast(pipeline_log(), as_of=day(200), horizon=60, n_sims=20, rng=0)
    for arr in (fc.samples, fc.deal_probability, fc.deal_amount, fc.entity_ids):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1


@pytest.mark.parametrize("as_of", [np.datetime64("9999-01-01"), np.datetime64("1000-01-01"),
                                   datetime(3000, 1, 1, tzinfo=UTC)])
def test_as_of_outside_the_time_range_is_refused_not_wrapped(as_of: Any) -> None:
    # datetime64("9999-01-01") wrapped round to 1815 before.
    with pytest.raises(PlanError, match=r"'as_of'.*outside the representable times"):
        forecast(pipeline_log(), as_of=as_of, horizon=30, n_sims=10, rng=0)


def test_naive_as_of_needs_naive_utc() -> None:
    with pytest.raises(PlanError, match=r"naive.*naive='utc'"):
        forecast(pipeline_log(), as_of="1970-07-19T00:00", horizon=30, n_sims=10, rng=0)
    fc = forecast(pipeline_log(), as_of="1970-07-19T00:00", horizon=30, n_sims=10, rng=0,
                  naive="utc", probabilities="nominal")
    assert fc.as_of == day(199) and fc.n_open == 3


def test_unknown_amounts_are_left_out_and_counted() -> None:
    log = pipeline_log()
    amount = log.amount.copy()  # type: ignore[union-attr]
    ids = log.ids[log.entity]
    amount[ids == "y"] = np.nan  # no known amount at all
    amount[(ids == "x") & (log.stage == 1)] = np.nan  # known earlier: 100
    unknown = EventLog.from_arrays(funnel(), entity=ids, stage=log.stage, ts=log.ts,
                                   amount=amount, unit="ns")
    fc = forecast(unknown, as_of=day(200), horizon=60, probabilities="nominal",
                  n_sims=200, rng=0)
    assert fc.n_open == 3 and not np.isnan(fc.samples).any()
    assert sorted(fc.deal_amount.tolist()) == [0.0, 100.0, 400.0]
    assert math.isfinite(fc.expected)
    assert any("1 open deal has no known amount" in n for n in fc.notes)
