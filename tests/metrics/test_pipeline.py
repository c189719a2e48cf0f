"""``pipeline``: agreement with the pure-Python reference, merges, breakdowns, reasons for
undefined values, and edge cases."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.reference import FUNNELS, Row, ref_channel
from metrics.reference_timing import (
    NS_PER_SECOND,
    build,
    build_unpacked,
    events,
    priced_logs,
    ref_pipeline,
    with_probabilities,
)
from salesfunnel import EventLog, Funnel, InvalidParameterError, Stage
from salesfunnel.metrics import Breakdown, Pipeline, pipeline
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._kernels import latest_amount, until

DAY = 86_400


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


Case = tuple[Funnel, list[Row], list[float] | None, int | None, float | None]


@st.composite
def pipeline_cases(draw: st.DrawFn) -> Case:
    funnel, rows, amounts = draw(priced_logs())
    times = [r.ts for r in rows] or [1_700_000_000]
    as_of = draw(st.one_of(st.none(), st.sampled_from(times),
                           st.integers(min(times) - 10, max(times) + 10)))
    target = draw(st.one_of(st.none(), st.sampled_from([1.0, 2500.0, 1e6])))
    return funnel, rows, amounts, as_of, target


def run(case: Case, **kwargs: Any) -> Pipeline | Breakdown[Pipeline]:
    funnel, rows, amounts, as_of, target = case
    when = None if as_of is None else dt.datetime.fromtimestamp(as_of, tz=dt.UTC)
    return pipeline(build(funnel, rows, amounts), as_of=when, target=target, **kwargs)


def check_against_reference(p: Pipeline, funnel: Funnel, rows: list[Row],
                            amounts: list[float] | None, as_of: int | None,
                            target: float | None) -> None:
    ref = ref_pipeline(funnel, events(rows, amounts),
                       None if as_of is None else as_of * NS_PER_SECOND, target)
    assert list(p.counts) == ref["counts"]
    assert (p.open, p.won, p.lost) == (ref["open"], ref["won"], ref["lost"])
    assert p.entities == sum(ref["counts"])
    assert close(p.win_rate, ref["win_rate"])
    assert close(p.average_cycle_days, ref["avg_cycle_days"])
    if amounts is None:
        for value in (p.open_value, p.weighted_value, p.average_won_amount, p.velocity,
                      p.coverage, p.coverage_unweighted):
            assert math.isnan(value)
        assert p.reasons["weighted_value"] == "the log has no amount column"
        assert p.unpriced == p.open
        return
    assert p.unpriced == ref["no_amount"]
    assert p.unestimated == ref["no_probability"]
    assert close(p.open_value, ref["open_value"])
    assert close(p.weighted_value, ref["weighted"])
    assert close(p.average_won_amount, ref["avg_won_amount"])
    assert close(p.velocity, ref["velocity"])
    assert close(p.coverage, ref["coverage"])
    assert close(p.coverage_unweighted, ref["coverage_unweighted"])
    assert ("weighted_value" in p.reasons) == bool(ref["no_probability"] or ref["no_amount"])
    if math.isnan(ref["velocity"]):
        assert "velocity" in p.reasons


@settings(max_examples=80)
@given(case=pipeline_cases())
def test_pipeline_matches_reference(case: Case) -> None:
    p = run(case)
    assert isinstance(p, Pipeline)
    funnel, rows, amounts, as_of, target = case
    assert p.as_of == (None if as_of is None else as_of * NS_PER_SECOND)
    check_against_reference(p, funnel, rows, amounts, as_of, target)


@settings(max_examples=40)
@given(case=pipeline_cases(), parts=st.integers(1, 4))
def test_pipeline_partitions_merge_into_the_whole(case: Case, parts: int) -> None:
    funnel, rows, amounts, as_of, target = case
    when = None if as_of is None else dt.datetime.fromtimestamp(as_of, tz=dt.UTC)
    log = build(funnel, rows, amounts)
    whole = pipeline(log, as_of=when, target=target)
    pieces = [pipeline(p, as_of=when, target=target) for p in log.partition(parts)]
    merged = pieces[0]
    for piece in pieces[1:]:
        merged = merged.merge(piece)
    # amounts are multiples of 2.5 below 10,000: their float sums are exact
    assert merged == whole
    assert hash(merged) == hash(whole)


@settings(max_examples=40)
@given(case=pipeline_cases())
def test_pipeline_breakdown_matches_reference_per_channel(case: Case) -> None:
    funnel, rows, amounts, as_of, target = case
    result = run(case, by="channel")
    assert isinstance(result, Breakdown)
    channel = ref_channel(rows)
    seen = {channel[r.entity] for r in rows if as_of is None or r.ts <= as_of}
    assert set(result) == seen
    for value, p in result.items():
        keep = [i for i, r in enumerate(rows) if channel[r.entity] == value]
        mine = [rows[i] for i in keep]
        check_against_reference(p, funnel, mine, None if amounts is None
                                else [amounts[i] for i in keep], as_of, target)


@settings(max_examples=30)
@given(data=priced_logs(amounts=True))
def test_unpacked_path_matches_reference(data: tuple[Funnel, list[Row], list[float] | None]
                                         ) -> None:
    funnel, rows, amounts = data
    log, evs = build_unpacked(funnel, rows, amounts)
    if evs:
        assert K._packing(log) is None  # the kernels cannot pack: the argsort path
    p = pipeline(log)
    ref = ref_pipeline(funnel, evs)
    assert list(p.counts) == ref["counts"]
    assert close(p.weighted_value, ref["weighted"]) and close(p.open_value, ref["open_value"])
    assert close(p.average_won_amount, ref["avg_won_amount"])
    assert close(p.average_cycle_days, ref["avg_cycle_days"])


# -- closed forms ------------------------------------------------------------------------------


def deals() -> Funnel:
    return Funnel("deals", [Stage("lead", probability=0.1), Stage("demo"),
                            Stage("proposal", probability=0.5), Stage("won", kind="won"),
                            Stage("lost", kind="lost")], skip_ahead=True, fall_back=True)


def sample() -> EventLog:
    # 1: lead -> proposal (1000 -> 2000): open at proposal, weighted 1000
    # 2: lead -> demo (500): open at demo, probability unknown -> excluded
    # 3: lead -> won d30 (3000): won, cycle 30 d
    # 4: lead -> lost (100)
    # 5: lead d20 (400): open at lead, weighted 40
    return EventLog.from_arrays(
        deals(),
        entity=[1, 1, 2, 2, 3, 3, 4, 4, 5],
        stage=["lead", "proposal", "lead", "demo", "lead", "won", "lead", "lost", "lead"],
        ts=[0, 10, 0, 5, 0, 30, 0, 3, 20],
        amount=[1000, 2000, 500, 500, 3000, 3000, 100, 100, 400],
        unit="D",
    )


def test_weighted_pipeline_win_rate_velocity_closed_form() -> None:
    p = pipeline(sample(), target=2000)
    assert p.counts == (1, 1, 1, 1, 1)
    assert (p.open, p.won, p.lost) == (3, 1, 1)
    assert p.open_value == 2000 + 500 + 400
    assert p.weighted_value == 2000 * 0.5 + 400 * 0.1
    assert (p.unestimated, p.unestimated_value) == (1, 500.0)
    assert p.win_rate == 0.5 and p.average_won_amount == 3000.0
    assert p.average_cycle_days == 30.0 and p.average_cycle == 30 * DAY
    assert p.velocity == pytest.approx(3 * 0.5 * 3000 / 30)
    assert p.coverage == pytest.approx(1040 / 2000)
    assert p.coverage_unweighted == pytest.approx(2900 / 2000)
    assert p.reasons["weighted_value"] == ("1 open entity worth 500.00 at stages without a "
                                           "probability ('demo') is excluded")
    assert "velocity" not in p.reasons


def test_as_of_snapshot() -> None:
    p = pipeline(sample(), as_of="1970-01-06T00:00:00Z")  # day 5
    # 1 at lead (1000), 2 at demo, 3 at lead, 4 lost, 5 not yet seen
    assert p.counts == (2, 1, 0, 0, 1)
    assert p.entities == 4 and p.open_value == 1000 + 500 + 3000
    assert math.isnan(p.velocity) and p.reasons["velocity"] == "no won entity"
    assert p.win_rate == 0.0


def test_latest_amount_ties_and_nan() -> None:
    entity = np.array([0, 0, 0, 0, 1, 1, 2])
    stage = np.array([0, 2, 2, 1, 0, 1, 1], dtype=np.int8)
    ts = np.array([0, 5, 5, 5, 1, 9, 9])
    amount = np.array([1.0, 7.0, 9.0, 50.0, 3.0, np.nan, np.nan])
    # a: latest time 5 at stages 2, 2, 1 -> stage 2, the larger amount 9
    # b: the NaN at t=9 is skipped -> 3; c: only NaN -> NaN
    want = [9.0, 3.0, math.nan]
    for order in (np.arange(7), np.array([6, 3, 1, 5, 0, 2, 4]), np.arange(7)[::-1]):
        log = EventLog(funnel=deals(), entity=entity[order], ids=np.array(["a", "b", "c"]),
                       stage=stage[order], ts=ts[order], amount=amount[order])
        assert np.array_equal(latest_amount(log), want, equal_nan=True)
    no_amount = EventLog(funnel=deals(), entity=entity, ids=np.array(["a", "b", "c"]),
                         stage=stage, ts=ts)
    assert np.isnan(latest_amount(no_amount)).all()


def test_until_drops_later_events_and_recodes() -> None:
    log = sample()
    cut = until(log, 4 * DAY * NS_PER_SECOND)
    assert cut.n_entities == 4 and cut.ids.tolist() == [1, 2, 3, 4]
    assert int(cut.ts.max()) <= 4 * DAY * NS_PER_SECOND
    assert until(log, 100 * DAY * NS_PER_SECOND) is log


# -- edge cases ----------------------------------------------------------------------------------


def test_empty_log() -> None:
    log = EventLog.from_arrays(deals(), entity=[], stage=[], ts=[], unit="s",
                               amount=[], segments={"rep": []})
    p = pipeline(log, target=100)
    assert p.entities == 0 and p.counts == (0,) * 5
    for value in (p.win_rate, p.average_won_amount, p.average_cycle, p.velocity):
        assert math.isnan(value)
    assert p.open_value == 0.0 and p.weighted_value == 0.0 and p.coverage == 0.0
    assert p.reasons["win_rate"] == "no entity is won or lost"
    assert p.reasons["average_won_amount"] == "no won entity"
    assert len(pipeline(log, by="rep")) == 0
    assert json.loads(json.dumps(p.to_dict()))["win_rate"] is None


def test_no_amount_column() -> None:
    log = EventLog.from_arrays(deals(), entity=[1, 1, 2], stage=["lead", "won", "lead"],
                               ts=[0, 4, 1], unit="D")
    p = pipeline(log)
    assert p.open == 1 and p.win_rate == 1.0 and p.average_cycle_days == 4.0
    assert math.isnan(p.weighted_value) and math.isnan(p.velocity)
    assert p.reasons["average_won_amount"] == "the log has no amount column"
    assert p.reasons["velocity"] == "the log has no amount column"
    assert "weighted" not in repr(p)


def test_all_lost_single_entity_one_stage() -> None:
    lost = EventLog.from_arrays(deals(), entity=[1, 2], stage=["lost", "lost"], ts=[0, 1],
                                unit="s", amount=[5.0, 6.0])
    p = pipeline(lost)
    assert (p.open, p.won, p.lost, p.win_rate) == (0, 0, 2, 0.0)
    assert p.weighted_value == 0.0 and math.isnan(p.average_won_amount)
    one = with_probabilities(FUNNELS[0])  # lead, won
    single = pipeline(EventLog.from_arrays(one, entity=["x"], stage=["lead"], ts=[0],
                                           unit="s", amount=[10.0]))
    assert single.counts == (1, 0) and single.weighted_value == 10 * one.stages[0].probability
    assert str(single).startswith("Pipeline (all events): 1 entity, 1 open, 0 won")
    assert str(p).startswith("Pipeline (all events): 2 entities, 0 open, 0 won, 2 lost")
    instant = pipeline(EventLog.from_arrays(one, entity=["x", "y"], stage=["won", "lead"],
                                            ts=[0, 0], unit="s", amount=[10.0, 1.0]))
    assert instant.average_cycle == 0.0 and math.isnan(instant.velocity)
    assert instant.reasons["velocity"] == "the average cycle is zero"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target": 0}, "The 'target' parameter of pipeline must be a finite number > 0 or None; "
            "got 0"),
        ({"target": -5.0}, "The 'target' parameter of pipeline must be a finite number > 0 or "
            "None; got -5\\.0"),
        ({"target": float("inf")}, "The 'target' parameter of pipeline must be a finite number > "
            "0 or None; got inf"),
        ({"target": "100"}, "The 'target' parameter of pipeline must be a finite number > 0 or "
            "None; got '100'"),
        ({"target": True}, "The 'target' parameter of pipeline must be a finite number > 0 or "
            "None; got True"),
        ({"as_of": "2026-01-01"}, "as_of must be a timezone-aware datetime"),
        ({"as_of": 5}, "as_of must be a timezone-aware datetime"),
        ({"by": "nope"}, "by='nope' is not a segment column"),
    ],
)
def test_bad_pipeline_arguments_raise(kwargs: dict[str, Any], match: str) -> None:
    log = EventLog.from_arrays(deals(), entity=[1], stage=[0], ts=[0], unit="s",
                               segments={"rep": ["x"]})
    with pytest.raises(InvalidParameterError, match=match):
        pipeline(log, **kwargs)


def test_log_must_be_an_eventlog() -> None:
    with pytest.raises(InvalidParameterError, match="The 'log' parameter must be an EventLog; got "
        "None"):
        pipeline(None)  # type: ignore[call-overload]


def test_pipeline_merge_refuses_incompatible_results() -> None:
    log = sample()
    with pytest.raises(InvalidParameterError, match="the same target"):
        pipeline(log).merge(pipeline(log, target=5))
    with pytest.raises(InvalidParameterError, match="the same as_of"):
        pipeline(log).merge(pipeline(log, as_of="2026-01-01T00:00Z"))
    other = EventLog.from_arrays(with_probabilities(FUNNELS[0]), entity=[1], stage=[0], ts=[0],
                                 unit="s")
    with pytest.raises(InvalidParameterError, match="the same stages"):
        pipeline(log).merge(pipeline(other))
    with pytest.raises(InvalidParameterError, match=r"The 'other' parameter of Pipeline\.merge "
        r"must be a Pipeline; got 'x'"):
        pipeline(log).merge("x")  # type: ignore[arg-type]


def test_constructor_checks_lengths() -> None:
    with pytest.raises(InvalidParameterError, match="one per stage"):
        Pipeline(("a", "won"), ("open", "won"), (0.1, 1.0), (1,), (1, 0), (1.0, 0.0))


def test_pipeline_presentation() -> None:
    log = sample()
    p = pipeline(log, as_of="1970-03-01T00:00Z", target=2000)
    assert repr(p) == "<Pipeline: 3 open (weighted 1,040.00), 1 won, 1 lost, win rate 50.0%>"
    text = str(p)
    assert text.startswith("Pipeline (as of 1970-03-01T00:00:00Z): 5 entities, 3 open, "
                           "1 won, 1 lost\n")
    assert "sales velocity: 150.00 per day" in text
    assert "coverage of target 2,000.00: 52.0% weighted, 145.0% unweighted" in text
    assert "note: weighted value: 1 open entity worth 500.00" in text
    d = json.loads(json.dumps(p.to_dict()))
    assert d["as_of"] == "1970-03-01T00:00:00Z" and d["velocity_per_day"] == 150.0
    assert [r["stage"] for r in d["rows"]] == list(deals().names)
    assert d["rows"][1]["probability"] is None and d["rows"][1]["weighted_value"] is None
    frame = p.to_pandas()
    assert frame["count"].tolist() == list(p.counts)
    assert frame["weighted_value"].iloc[2] == 1000.0
    bd = pipeline(EventLog.from_arrays(deals(), entity=[1, 2], stage=[0, 0], ts=[0, 0],
                                       unit="s", segments={"rep": ["a", "b"]},
                                       amount=[1.0, 2.0]), by="rep")
    assert bd.to_pandas()["rep"].tolist() == ["a"] * 5 + ["b"] * 5
    assert bd["a"].open_value == 1.0 and bd["b"].open_value == 2.0
