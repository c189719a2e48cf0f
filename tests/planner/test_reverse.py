"""The reverse funnel: the seed's balance calculation, forward/reverse, sources, capacity."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesfunnel import Funnel, PlanError, Stage
from salesfunnel.planner import Capacity, Source, forward, reverse


def seven_stage() -> Funnel:
    """The seed's funnel: 10/25/50/75/90/100 %."""
    return Funnel("b2b", [
        Stage("target", label={"en": "Target customers", "zh": "目标客户"}, probability=0.10),
        Stage("qualified", probability=0.25),
        Stage("shortlisted", probability=0.50),
        Stage("intent", probability=0.75),
        Stage("near_win", probability=0.90),
        Stage("won", kind="won"),
        Stage("lost", kind="lost"),
    ])


# -- the seed's numbers ----------------------------------------------------------------------
def test_seed_revenue_case() -> None:
    # 300万 / 3万 = 100 contracts; x10 (10 %) = 1000 target customers; 1000/12 = 83.3.
    plan = reverse(target=3_000_000, deal_size=30_000, win_rate=0.10)
    assert plan.deals == 100
    assert plan.inflow == 1000
    assert plan.rows[0].per_period == pytest.approx(1000 / 12, rel=1e-15)
    assert f"{plan.rows[0].per_period:.1f}" == "83.3"
    assert plan.rows[-1].total == 100
    # people are shown as whole numbers, rounded up, and the table says so
    assert "83.3" not in str(plan)
    assert " 84" in str(plan) and "rounded up to whole numbers" in str(plan)
    assert "1,000" in str(plan)


def test_seed_units_case() -> None:
    # 200 devices / 2 per contract = 100 contracts; same 1000 target customers.
    plan = reverse(target=200, deal_size=2, unit="devices", win_rate=0.10)
    assert plan.deals == 100
    assert plan.inflow == 1000
    assert plan.rows[0].per_period == pytest.approx(83.333333333, rel=1e-9)
    assert "200 devices" in str(plan)
    assert plan.to_dict()["unit"] == "devices"


def test_ceil_rounds_per_period_up() -> None:
    plan = reverse(target=3_000_000, deal_size=30_000, win_rate=0.10, rounding="ceil")
    assert plan.inflow == 1000
    assert plan.rows[0].per_period == 84


def test_ceil_rounds_deals_up_and_cascades() -> None:
    # 1,000,000 / 30,000 = 33.3 -> 34 deals; 34 / 0.9 = 37.8 -> 38; 38 / 0.5 = 76.
    plan = reverse(target=1_000_000, deal_size=30_000, rates=[0.5, 0.9], rounding="ceil")
    assert [r.total for r in plan.rows] == [76, 38, 34]
    exact = reverse(target=1_000_000, deal_size=30_000, rates=[0.5, 0.9])
    for r_ceil, r_exact in zip(plan.rows, exact.rows, strict=True):
        assert r_ceil.total >= r_exact.total
        assert r_ceil.total == math.ceil(r_ceil.total)


def test_ceil_ignores_float_noise() -> None:
    # 21 / 0.7 is 30.000000000000004 in floating point: the plan must say 30, not 31.
    assert 21 / 0.7 > 30
    plan = reverse(target=21, deal_size=1, win_rate=0.7, rounding="ceil")
    assert plan.inflow == 30


def test_funnel_nominal_probabilities_give_every_stage() -> None:
    plan = reverse(target=3_000_000, deal_size=30_000, funnel=seven_stage())
    assert plan.stages == ("target", "qualified", "shortlisted", "intent", "near_win", "won")
    # Each stage with probability p needs deals / p entities.
    expected = [100 / p for p in (0.10, 0.25, 0.50, 0.75, 0.90, 1.0)]
    assert [r.total for r in plan.rows] == pytest.approx(expected, rel=1e-12)
    assert plan.row("target").total == 1000
    assert plan.row("target").label.text("zh") == "目标客户"
    assert "目标客户" in plan.text("zh")


def test_stage_rates_match_exact_fractions() -> None:
    rates = [Fraction(2, 5), Fraction(1, 2), Fraction(3, 4)]
    plan = reverse(target=900_000, deal_size=30_000, rates=[float(r) for r in rates],
                   periods=4)
    deals = Fraction(900_000, 30_000)
    want = []
    for k in range(len(rates) + 1):
        prob = math.prod(rates[k:], start=Fraction(1))
        want.append(deals / prob)
    assert [r.total for r in plan.rows] == pytest.approx([float(w) for w in want], rel=1e-12)
    assert [r.per_period for r in plan.rows] == pytest.approx(
        [float(w / 4) for w in want], rel=1e-12)
    assert plan.rates == tuple(float(r) for r in rates)
    assert plan.win_rate == pytest.approx(float(math.prod(rates)))


def test_rates_along_a_funnel_name_the_stages() -> None:
    f = seven_stage()
    plan = reverse(target=3_000_000, deal_size=30_000, funnel=f,
                   rates=[0.4, 0.5, 0.6, 0.8, 0.9])
    assert plan.stages == tuple(s.name for s in f.path)
    assert plan.rows[0].rate is None
    assert [r.rate for r in plan.rows[1:]] == [0.4, 0.5, 0.6, 0.8, 0.9]


def test_win_rate_with_a_funnel_uses_its_first_and_won_stage() -> None:
    plan = reverse(target=60, deal_size=1, win_rate=0.2, funnel=seven_stage())
    assert plan.stages == ("target", "won")
    assert plan.inflow == pytest.approx(300)


def test_zero_target_plans_nothing() -> None:
    plan = reverse(target=0, deal_size=10, win_rate=0.5)
    assert plan.deals == 0 and plan.inflow == 0


# -- forward -------------------------------------------------------------------------------------
def test_forward_seed() -> None:
    plan = forward(inflow=1000, win_rate=0.1, deal_size=30_000)
    assert plan.deals == pytest.approx(100)
    assert plan.target == pytest.approx(3_000_000)
    assert plan.direction == "forward"


@settings(max_examples=60, deadline=None)
@given(
    target=st.floats(0, 1e9, allow_nan=False),
    deal_size=st.floats(1e-3, 1e6),
    rates=st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=8),
    periods=st.integers(1, 52),
)
def test_forward_of_reverse_reproduces_the_target(
    target: float, deal_size: float, rates: list[float], periods: int
) -> None:
    plan = reverse(target=target, deal_size=deal_size, rates=rates, periods=periods)
    back = forward(inflow=plan.inflow, rates=plan.rates, deal_size=plan.deal_size,
                   periods=periods)
    assert back.target == pytest.approx(target, rel=1e-9, abs=1e-9)
    assert back.deals == pytest.approx(plan.deals, rel=1e-9, abs=1e-12)
    for a, b in zip(plan.rows, back.rows, strict=True):
        assert a.total == pytest.approx(b.total, rel=1e-9, abs=1e-9)
        assert a.per_period == pytest.approx(b.per_period, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(target=st.floats(1, 1e8), deal_size=st.floats(1, 1e5),
       rates=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6))
def test_requirements_never_shrink_up_the_funnel(
    target: float, deal_size: float, rates: list[float]
) -> None:
    for rounding in ("none", "ceil"):
        plan = reverse(target=target, deal_size=deal_size, rates=rates, rounding=rounding)
        totals = [r.total for r in plan.rows]
        assert all(a >= b * (1 - 1e-12) for a, b in itertools.pairwise(totals))
        assert plan.deals >= target / deal_size * (1 - 1e-12)


# -- sources and capacity --------------------------------------------------------------------
def test_sources_split_the_inflow() -> None:
    plan = reverse(
        target=3_000_000, deal_size=30_000, win_rate=0.1,
        sources={"cold_visit": (0.3, 0.2), "follow_up": (0.2, 0.5), "penetration": 0.2,
                 "cultivation": 0.1, "inbound": (0.2, 0.8)},
    )
    by = {s.source: s for s in plan.sources}
    assert sum(s.total for s in plan.sources) == pytest.approx(plan.inflow)
    assert by["cold_visit"].total == pytest.approx(300)
    assert by["cold_visit"].contacts == pytest.approx(1500)      # 300 / 0.2
    assert by["inbound"].contacts == pytest.approx(250)           # 200 / 0.8
    assert by["penetration"].contacts == pytest.approx(200)       # rate 1
    assert by["cold_visit"].per_period == pytest.approx(25)
    assert by["cold_visit"].label.text("zh") == "陌生拜访"
    assert "陌生拜访" in plan.text("zh")


def test_sources_as_source_objects() -> None:
    plan = reverse(target=100, deal_size=1, win_rate=0.5,
                   sources=[Source("events", share=0.25, rate=0.1),
                            Source("web", share=0.75)])
    assert [s.contacts for s in plan.sources] == pytest.approx([500, 150])
    assert plan.sources[0].label.text() == "events"


def test_capacity_gives_reps() -> None:
    # 1000 target customers/year at 2 touches, 400 qualified at 3, 100 won at 0 touches.
    plan = reverse(target=3_000_000, deal_size=30_000, rates=[0.4, 0.25], periods=12,
                   capacity=Capacity(per_rep=50, touches={"stage_1": 2, "stage_2": 3}))
    work = 2 * 1000 / 12 + 3 * 400 / 12
    assert plan.capacity is not None
    assert plan.capacity.total_workload == pytest.approx(work)
    assert plan.capacity.reps_needed == pytest.approx(work / 50)
    assert plan.capacity.reps == math.ceil(work / 50)


def test_capacity_counts_source_contacts_when_asked() -> None:
    plan = reverse(target=120, deal_size=1, win_rate=0.5, periods=12,
                   sources={"cold_visit": (1.0, 0.25)},
                   capacity={"per_rep": 10, "touches": 0, "contact_touches": 1})
    # 240 target customers -> 960 cold visits a year = 80 a month = 8 reps.
    assert plan.capacity is not None
    assert plan.capacity.contact_workload == pytest.approx(80)
    assert plan.capacity.reps == 8


def test_result_serialises_and_renders() -> None:
    plan = reverse(target=3_000_000, deal_size=30_000, rates=[0.4, 0.5],
                   sources={"inbound": 1.0}, capacity=Capacity(per_rep=40, touches=1))
    data = plan.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["inflow"] == plan.inflow
    assert "Plan reverse" in repr(plan)
    assert "reps" in str(plan)
    with pytest.raises(AttributeError):
        plan.deals = 3  # type: ignore[misc]


def test_to_pandas() -> None:
    pytest.importorskip("pandas")
    plan = reverse(target=3_000_000, deal_size=30_000, rates=[0.4, 0.5],
                   sources={"inbound": 0.5, "cold_visit": 0.5})
    frame = plan.to_pandas()
    assert list(frame.index) == list(plan.stages)
    assert frame.loc["won", "total"] == pytest.approx(100)
    assert list(plan.to_pandas("sources").index) == ["inbound", "cold_visit"]


def test_rows_serialise_field_by_field() -> None:
    plan = reverse(target=3_000_000, deal_size=30_000, rates=[0.4, 0.5],
                   sources={"cold_visit": 1.0}, capacity=Capacity(per_rep=40, touches=1))
    row = plan.rows[0].to_dict()
    assert list(row) == ["stage", "label", "rate", "probability", "total", "per_period"]
    assert row["label"] == plan.rows[0].label.to_dict()
    assert plan.sources[0].to_dict()["label"] == {"en": "Cold visits", "zh": "陌生拜访"}
    assert plan.capacity is not None
    cap = plan.capacity.to_dict()
    assert cap["touches"] == list(plan.capacity.touches) and cap["reps"] == plan.capacity.reps


def test_to_pandas_without_sources_keeps_the_columns() -> None:
    pytest.importorskip("pandas")
    frame = reverse(target=1, deal_size=1, win_rate=0.5).to_pandas("sources")
    assert len(frame) == 0
    assert frame.index.name == "source" and "contacts" in frame.columns


def test_row_lookup_suggests_names() -> None:
    plan = reverse(target=1, deal_size=1, funnel=seven_stage())
    with pytest.raises(PlanError, match="qualified"):
        plan.row("qualifed")


# -- nonsense inputs -----------------------------------------------------------------------------
BASE: dict[str, Any] = {"target": 3_000_000, "deal_size": 30_000, "win_rate": 0.1}

BAD = [
    ({"target": -1}, "target"),
    ({"target": float("nan")}, "target"),
    ({"target": "3m"}, "target"),
    ({"deal_size": 0}, "deal_size"),
    ({"deal_size": -5}, "deal_size"),
    ({"deal_size": float("inf")}, "deal_size"),
    ({"win_rate": 0}, "win_rate"),
    ({"win_rate": 1.5}, "win_rate"),
    ({"win_rate": -0.1}, "win_rate"),
    ({"win_rate": True}, "win_rate"),
    ({"win_rate": None, "rates": [0.5, 0]}, "rates"),
    ({"win_rate": None, "rates": [0.5, 1.2]}, "rates"),
    ({"win_rate": None, "rates": []}, "rates"),
    ({"win_rate": None, "rates": "0.5"}, "rates"),
    ({"win_rate": None, "rates": [0.5], "funnel": seven_stage()}, "rates"),
    ({"rates": [0.5]}, "rates"),                     # both win_rate and rates
    ({"win_rate": None}, "win_rate"),                # neither
    ({"periods": 0}, "periods"),
    ({"periods": 2.5}, "periods"),
    ({"rounding": "floor"}, "rounding"),
    ({"unit": 3}, "unit"),
    ({"funnel": "b2b"}, "funnel"),
    ({"sources": {"a": 0.5, "b": 0.4}}, "sources"),   # shares sum to 0.9
    ({"sources": {"a": 1.2}}, "sources"),
    ({"sources": {"a": (1.0, 0)}}, "sources"),
    ({"sources": {}}, "sources"),
    ({"sources": 0.5}, "sources"),
    ({"capacity": {"per_rep": 0}}, "per_rep"),
    ({"capacity": {"per_rep": "many"}}, "per_rep"),
    ({"capacity": {"per_rep": 10, "contact_touches": "x"}}, "contact_touches"),
    ({"capacity": {"per_rep": 10, "touches": {"nope": 1}}}, "capacity"),
    ({"capacity": {"per_rep": 10, "touches": [1, 2, 3]}}, "capacity"),
    ({"capacity": {"per_rep": 10, "touches": -1}}, "touches"),
    ({"capacity": 5}, "capacity"),
]


@pytest.mark.parametrize(("change", "parameter"), BAD, ids=[p for _, p in BAD])
def test_bad_arguments_raise_plan_error_naming_the_parameter(
    change: dict[str, Any], parameter: str
) -> None:
    kwargs = BASE | change
    with pytest.raises(PlanError) as info:
        reverse(**kwargs)
    assert info.value.parameter == parameter
    assert parameter in str(info.value)
    assert isinstance(info.value, ValueError)


def test_funnel_without_probabilities_is_refused() -> None:
    f = Funnel("bare", [Stage("a"), Stage("b"), Stage("won", kind="won")])
    with pytest.raises(PlanError, match="no open stage has one") as info:
        reverse(target=1, deal_size=1, funnel=f)
    assert info.value.parameter == "funnel"


def test_stages_without_probability_are_left_out() -> None:
    # A pool of prospects before the 10 % stage, and an unestimated middle stage.
    f = Funnel("f", [Stage("prospect"), Stage("target", probability=0.1), Stage("mid"),
                     Stage("late", probability=0.5), Stage("won", kind="won")])
    plan = reverse(target=3_000_000, deal_size=30_000, funnel=f)
    assert plan.stages == ("target", "late", "won")
    assert [r.total for r in plan.rows] == pytest.approx([1000, 200, 100])
    assert plan.rates == pytest.approx((0.2, 0.5))


@pytest.mark.parametrize(("change", "parameter"), [
    ({"inflow": -1}, "inflow"), ({"deal_size": 0}, "deal_size"),
    ({"win_rate": 2}, "win_rate"), ({"periods": -1}, "periods"),
])
def test_forward_bad_arguments(change: dict[str, Any], parameter: str) -> None:
    kwargs = {"inflow": 10, "deal_size": 1, "win_rate": 0.5} | change
    with pytest.raises(PlanError) as info:
        forward(**kwargs)
    assert info.value.parameter == parameter


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        reverse(3_000_000, 30_000, 0.1)  # type: ignore[call-arg]


# -- measured rates ------------------------------------------------------------------------------
def test_rates_from_a_measured_conversion() -> None:
    from salesfunnel import EventLog, metrics

    f = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
                     Stage("lost", kind="lost")])
    # 5 leads, 4 demos, 2 won: step rates 0.8 and 0.5.
    log = EventLog.from_arrays(
        f, unit="D",
        entity=[1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5],
        stage=["lead", "demo", "won", "lead", "demo", "won", "lead", "demo", "lead", "demo",
               "lead", "lost"],
        ts=[0, 1, 2, 0, 1, 2, 0, 1, 0, 1, 0, 1],
    )
    conv = metrics.conversion(log)
    plan = reverse(target=100, deal_size=1, rates=conv)
    assert plan.stages == ("lead", "demo", "won")
    assert plan.rates == pytest.approx((0.8, 0.5))
    assert plan.inflow == pytest.approx(250)
    # With the funnel the labels come from its stages; a different funnel is refused.
    assert reverse(target=100, deal_size=1, rates=conv, funnel=f).inflow == pytest.approx(250)
    with pytest.raises(PlanError) as info:
        reverse(target=100, deal_size=1, rates=conv, funnel=seven_stage())
    assert info.value.parameter == "rates"
    # A stage nobody reached has no rate: refused with a clear message.
    only_leads = EventLog.from_arrays(f, entity=[1], stage=["lead"], ts=[0], unit="D")
    with pytest.raises(PlanError, match="outside"):
        reverse(target=1, deal_size=1, rates=metrics.conversion(only_leads))
