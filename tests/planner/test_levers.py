"""The four levers: sales velocity, the tornado table, the single lever to a target."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesfunnel import PlanError
from salesfunnel.planner import LEVERS, levers


def test_velocity_formula() -> None:
    r = levers(opportunities=50, win_rate=0.25, deal_size=40_000, cycle_days=100,
               period_days=365)
    assert r.revenue == pytest.approx(50 * 0.25 * 40_000 / 100 * 365)


def test_each_lever_by_ten_percent() -> None:
    r = levers(opportunities=100, win_rate=0.2, deal_size=30_000, cycle_days=60)
    base = 100 * 0.2 * 30_000 / 60 * 30
    assert r.effect("opportunities").revenue == pytest.approx(base * 1.1)
    assert r.effect("win_rate").revenue == pytest.approx(base * 1.1)
    assert r.effect("deal_size").revenue == pytest.approx(base * 1.1)
    # Cycle 10 % shorter: 54 days instead of 60.
    assert r.effect("cycle").improved == pytest.approx(54)
    assert r.effect("cycle").revenue == pytest.approx(base / 0.9)
    assert r.effects[0].lever == "cycle"
    gains = [e.gain for e in r.effects]
    assert gains == sorted(gains, reverse=True)


def test_win_rate_is_capped_at_one() -> None:
    r = levers(opportunities=10, win_rate=0.95, deal_size=1, cycle_days=30)
    e = r.effect("win_rate")
    assert e.capped and e.improved == 1.0
    assert e.gain_pct == pytest.approx(1 / 0.95 - 1)
    assert r.effects[-1].lever == "win_rate"  # the smallest gain sorts last
    assert "(cap)" in str(r)


def test_per_lever_steps() -> None:
    r = levers(opportunities=10, win_rate=0.5, deal_size=1, cycle_days=30,
               step={"deal_size": 0.5})
    assert r.effects[0].lever == "deal_size"
    assert r.effect("deal_size").gain_pct == pytest.approx(0.5)
    assert r.steps["opportunities"] == 0.1


def test_single_lever_to_target() -> None:
    r = levers(opportunities=100, win_rate=0.4, deal_size=10_000, cycle_days=90,
               target=200_000)
    base = r.revenue
    factor = 200_000 / base
    req = {t.lever: t for t in r.to_target}
    assert req["opportunities"].required == pytest.approx(100 * factor)
    assert req["deal_size"].required == pytest.approx(10_000 * factor)
    assert req["cycle"].required == pytest.approx(90 / factor)
    assert req["win_rate"].required == pytest.approx(0.4 * factor)
    assert req["win_rate"].feasible == (0.4 * factor <= 1)
    # Plugging each required value back in reaches the target exactly.
    for t in r.to_target:
        values = {"opportunities": 100, "win_rate": 0.4, "deal_size": 10_000, "cycle": 90}
        values[t.lever] = t.required
        got = (values["opportunities"] * values["win_rate"] * values["deal_size"]
               / values["cycle"] * 30)
        assert got == pytest.approx(200_000)


def test_impossible_win_rate() -> None:
    r = levers(opportunities=10, win_rate=0.5, deal_size=1000, cycle_days=30,
               target=50_000)  # 5x the revenue: win rate 2.5 is impossible
    t = {x.lever: x for x in r.to_target}
    assert not t["win_rate"].feasible
    assert t["opportunities"].feasible
    assert "impossible" in str(r)


def test_result_is_frozen_and_serialises() -> None:
    r = levers(opportunities=10, win_rate=0.5, deal_size=1000, cycle_days=30, target=9000)
    data = r.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert "LeverReport" in repr(r)
    assert set(LEVERS) == {e.lever for e in r.effects}
    assert "提高赢单率" in r.text("zh")
    with pytest.raises(AttributeError):
        r.revenue = 1  # type: ignore[misc]


def test_to_pandas() -> None:
    pytest.importorskip("pandas")
    r = levers(opportunities=10, win_rate=0.5, deal_size=1000, cycle_days=30)
    assert list(r.to_pandas().index) == [e.lever for e in r.effects]


@settings(max_examples=50, deadline=None)
@given(opp=st.floats(1, 1e5), wr=st.floats(0.01, 0.9), size=st.floats(1, 1e6),
       cycle=st.floats(1, 1000), step=st.floats(0.01, 0.9))
def test_every_lever_helps_and_cycle_helps_most(
    opp: float, wr: float, size: float, cycle: float, step: float
) -> None:
    r = levers(opportunities=opp, win_rate=wr, deal_size=size, cycle_days=cycle, step=step)
    assert all(e.gain > 0 for e in r.effects)
    # x(1+s) for three levers, /(1-s) for the cycle: 1/(1-s) > 1+s for s in (0, 1).
    assert r.effects[0].lever == "cycle"
    assert r.effect("cycle").gain_pct == pytest.approx(1 / (1 - step) - 1)


BAD = [
    ({"opportunities": 0}, "opportunities"),
    ({"win_rate": 0}, "win_rate"),
    ({"win_rate": 1.01}, "win_rate"),
    ({"deal_size": -1}, "deal_size"),
    ({"cycle_days": 0}, "cycle_days"),
    ({"step": 0}, "step"),
    ({"step": 1}, "step"),
    ({"step": {"speed": 0.1}}, "step"),
    ({"target": -5}, "target"),
    ({"period_days": 0}, "period_days"),
    # Finite inputs whose product is not: the revenue would be infinite.
    ({"opportunities": 1e300, "deal_size": 1e300, "cycle_days": 1e-300}, "opportunities"),
]


@pytest.mark.parametrize(("change", "parameter"), BAD, ids=[p for _, p in BAD])
def test_bad_arguments(change: dict[str, Any], parameter: str) -> None:
    kwargs = {"opportunities": 10, "win_rate": 0.5, "deal_size": 1, "cycle_days": 30} | change
    with pytest.raises(PlanError) as info:
        levers(**kwargs)
    assert info.value.parameter == parameter
    assert parameter in str(info.value)
