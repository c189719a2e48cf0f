"""Journeys: transitions, gates, atomicity, history and persistence."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from salesfunnel import (
    Funnel,
    GateError,
    GateFailed,
    InvalidParameterError,
    Journey,
    Stage,
    Transition,
    TransitionNotAllowed,
)
from support import T0, at

READY = {"budget": 20000, "decision_maker": "CFO", "problem_confirmed": True}


def snapshot(j: Journey) -> tuple[Any, ...]:
    return (j.stage, j.version, list(j.history))


def test_advance_walks_the_main_path(deals: Funnel) -> None:
    j = deals.start(dict(READY), at=at(0), id=7)
    for day, stage in enumerate(["qualified", "proposal", "negotiation", "won"], 1):
        j.advance(at=at(day), actor="ann")
        assert j.stage == stage
    assert j.version == 5
    assert j.is_won and not j.is_open
    assert [r.kind for r in j.history] == ["start", "advance", "advance", "advance", "advance"]
    assert j.history[2].from_stage == "qualified"
    assert j.history[2].actor == "ann"
    assert j.started_at == at(0) and j.updated_at == at(4)


def test_gate_failure_names_every_failed_check_and_changes_nothing(deals: Funnel) -> None:
    j = deals.start({"budget": 500}, at=at(0))
    before = snapshot(j)
    with pytest.raises(GateFailed) as info:
        j.advance(at=at(1))
    assert info.value.stage == "qualified"
    assert info.value.result.failed == ("budget >= 10000", "decision_maker is set")
    assert snapshot(j) == before


def test_can_advance_reports_without_changing(deals: Funnel) -> None:
    j = deals.start({"budget": 50000}, at=at(0))
    result = j.can_advance()
    assert not result and result.failed == ("decision_maker is set",)
    assert j.version == 1
    assert not j.can_advance("lost")  # losing is not advancing
    assert j.can_advance("negotiation").passed  # skip-ahead, no gates on the target


def test_skip_ahead_applies_only_the_target_gates(deals: Funnel) -> None:
    j = deals.start({}, at=at(0))
    with pytest.raises(GateFailed, match="problem_confirmed"):
        j.advance("proposal", at=at(1))
    j.advance("negotiation", at=at(1))
    assert j.history[-1].kind == "skip"


def test_skip_ahead_refused_when_not_allowed() -> None:
    f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")])
    j = f.start(at=at(0))
    with pytest.raises(TransitionNotAllowed) as info:
        j.advance("won", at=at(1))
    assert info.value.allowed == ("b",)
    assert j.version == 1


def test_regress_and_direction_checks(deals: Funnel) -> None:
    j = deals.start(dict(READY), at=at(0)).advance(at=at(1)).advance(at=at(2))
    with pytest.raises(TransitionNotAllowed, match="regress"):
        j.advance("lead", at=at(3))
    j.regress("lead", at=at(3), reason="budget frozen")
    assert j.stage == "lead" and j.history[-1].kind == "fall_back"
    with pytest.raises(TransitionNotAllowed):
        j.regress("won", at=at(4))


def test_lose_needs_a_reason_and_ends_the_journey(deals: Funnel) -> None:
    j = deals.start(at=at(0))
    with pytest.raises(InvalidParameterError, match="needs a reason"):
        j.lose("  ", at=at(1))
    j.lose("went with a competitor", at=at(1))
    assert j.is_lost and j.history[-1].reason == "went with a competitor"
    with pytest.raises(TransitionNotAllowed, match="terminal"):
        j.advance(at=at(2))


def test_lose_with_several_lost_stages_asks_which() -> None:
    f = Funnel("f", [Stage("a"), Stage("won", kind="won"), Stage("no-budget", kind="lost"),
                     Stage("competitor", kind="lost")])
    j = f.start(at=at(0))
    with pytest.raises(InvalidParameterError, match="several LOST stages"):
        j.lose("x", at=at(1))
    with pytest.raises(InvalidParameterError, match="expected a LOST stage"):
        j.lose("x", to="a", at=at(1))
    assert j.lose("x", to="competitor", at=at(1)).stage == "competitor"


def test_reentry_after_won_for_cyclic_funnels() -> None:
    f = Funnel("loop", [Stage("consider"), Stage("evaluate"), Stage("buy"),
                        Stage("bond", kind="won")], reentry="buy")
    j = f.start(at=at(0)).advance(at=at(1)).advance(at=at(2)).advance(at=at(3))
    j.reenter(at=at(4))
    assert j.stage == "buy" and j.history[-1].kind == "reenter"
    j.advance(at=at(5))
    assert j.is_won and j.version == 6
    linear = Funnel("lin", [Stage("a"), Stage("won", kind="won")])
    k = linear.start(at=at(0)).advance(at=at(1))
    with pytest.raises(TransitionNotAllowed, match="not cyclic"):
        k.reenter(at=at(2))


def test_reopen_lost_deal_through_explicit_transition() -> None:
    f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won"), Stage("lost", kind="lost")],
               transitions=[Transition("lost", "a", gates="reopened_by is set")])
    j = f.start({}, at=at(0)).lose("silent", at=at(1))
    with pytest.raises(GateFailed, match="reopened_by is set"):
        j.regress("a", at=at(2))
    j.subject["reopened_by"] = "bo"
    assert j.regress("a", at=at(2)).history[-1].kind == "explicit"


def test_force_overrides_gates_with_a_recorded_reason(deals: Funnel) -> None:
    j = deals.start({}, at=at(0))
    with pytest.raises(InvalidParameterError, match="needs a reason"):
        j.advance(force=True, at=at(1))
    assert j.version == 1
    j.advance(force=True, reason="CEO approved", at=at(1), actor="boss")
    rec = j.history[-1]
    assert (rec.forced, rec.reason, rec.actor, j.stage) == (True, "CEO approved", "boss",
                                                            "qualified")


def test_force_does_not_override_the_policy(deals: Funnel) -> None:
    j = deals.start({}, at=at(0)).lose("x", at=at(1))
    with pytest.raises(TransitionNotAllowed):
        j.advance("lead", force=True, reason="please", at=at(2))


def test_times_must_be_aware_and_in_order(deals: Funnel) -> None:
    with pytest.raises(InvalidParameterError, match="naive datetime"):
        deals.start(at=datetime(2026, 1, 1))
    with pytest.raises(InvalidParameterError, match="not an ISO 8601"):
        deals.start(at="yesterday")
    j = deals.start(at=at(5))
    with pytest.raises(InvalidParameterError, match="before the journey's last change"):
        j.lose("x", at=at(1))
    assert j.version == 1
    other_zone = at(6).astimezone(timezone(timedelta(hours=8)))
    j.lose("x", at=other_zone)
    assert j.updated_at == at(6)


def test_injectable_clock(deals: Funnel) -> None:
    ticks = iter([at(0), at(2)])
    j = deals.start(clock=lambda: next(ticks))
    j.lose("x")
    assert [r.at for r in j.history] == [at(0), at(2)]


def test_start_at_a_later_stage_checks_its_gates(deals: Funnel) -> None:
    with pytest.raises(GateFailed):
        deals.start({}, stage="qualified", at=at(0))
    j = deals.start(dict(READY), stage="proposal", at=at(0))
    assert j.stage == "proposal"
    with pytest.raises(TransitionNotAllowed, match="starts at an open stage"):
        deals.start(stage="won", at=at(0))


def test_exception_in_a_user_predicate_becomes_gate_error() -> None:
    def flaky(subject: object) -> bool:
        raise RuntimeError("CRM timeout")

    f = Funnel("f", [Stage("a"), Stage("b", gates=flaky), Stage("won", kind="won")])
    j = f.start(at=at(0))
    with pytest.raises(GateError, match="'flaky' raised RuntimeError: CRM timeout") as info:
        j.advance(at=at(1))
    assert isinstance(info.value.__cause__, RuntimeError)
    assert j.version == 1


def test_to_dict_round_trip_through_json(deals: Funnel) -> None:
    j = deals.start(dict(READY), at=at(0), id="deal-9").advance(at=at(1), actor="ann")
    j.advance("negotiation", at=at(2)).regress("proposal", at=at(3), reason="rescope")
    data = json.loads(json.dumps(j.to_dict()))
    k = Journey.from_dict(data, deals)
    assert (k.stage, k.version, k.history, k.id, k.subject) == (
        j.stage, j.version, j.history, j.id, j.subject)


def test_from_dict_refuses_inconsistent_data(deals: Funnel) -> None:
    j = deals.start(at=at(0)).lose("x", at=at(1))
    data = j.to_dict()
    with pytest.raises(InvalidParameterError, match="stored version 9"):
        Journey.from_dict({**data, "version": 9}, deals)
    bad = dict(data)
    bad["history"] = [data["history"][0], {**data["history"][1], "to_stage": "lead"}]
    with pytest.raises(TransitionNotAllowed):
        Journey.from_dict(bad, deals)
    with pytest.raises(InvalidParameterError, match="belongs to funnel 'other'"):
        Journey.from_dict({**data, "funnel": "other"}, deals)


def test_repr_says_where_the_deal_is(deals: Funnel) -> None:
    j = deals.start(at=T0, id=3)
    assert repr(j) == "<Journey 3 in 'deals' at 'lead', version 1>"


def test_bad_arguments_raise_the_library_errors_and_change_nothing(deals: Funnel) -> None:
    j = deals.start(dict(READY), at=at(0))
    before = snapshot(j)
    table: list[tuple[Any, type[Exception], str]] = [
        (lambda: j.advance(["qualified"], at=at(1)), InvalidParameterError,
         r"no stage \['qualified'\]"),
        (lambda: j.regress({"to": "lead"}, at=at(1)), InvalidParameterError, "no stage"),
        (lambda: j.advance(at=5), InvalidParameterError, "timezone-aware datetime; got int 5"),
        (lambda: j.advance(at=datetime(2026, 1, 6)), InvalidParameterError, "naive datetime"),
        (lambda: j.advance(force=True, reason=5, at=at(1)), InvalidParameterError,
         "needs a reason"),
        (lambda: j.can_advance(["x"]), InvalidParameterError, "no stage"),
    ]
    for call, error, message in table:
        with pytest.raises(error, match=message):
            call()
        assert snapshot(j) == before


def test_a_naive_clock_is_named_as_the_clock(deals: Funnel) -> None:
    readings = iter([at(0), datetime(2026, 2, 1), at(-1)])
    j = deals.start(clock=lambda: next(readings))
    with pytest.raises(InvalidParameterError, match=r"clock\(\)='2026-02-01T00:00:00' is a naive"):
        j.lose("x")
    with pytest.raises(InvalidParameterError, match=r"clock\(\)=.* is before the journey's last"):
        j.lose("x")
    assert j.version == 1


@pytest.mark.parametrize("then", [False, True])
def test_a_predicate_that_raises_once_is_judged_by_the_full_evaluation(then: bool) -> None:
    calls = []

    def flaky(subject: object) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("CRM timeout")
        return then

    f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")],
               transitions=[Transition("b", "a", gates=flaky)])
    j = f.start(at=at(0)).advance(at=at(1))
    if not then:  # raised on the fast pass, failed on the full one: named, nothing changes
        with pytest.raises(GateFailed, match="flaky"):
            j.regress("a", at=at(2))
        assert j.stage == "b" and j.version == 2
    else:  # never a bare RuntimeError: the full evaluation passed, so the move is made
        assert j.regress("a", at=at(2)).stage == "a" and j.version == 3


def test_replay_accepts_mappings_and_refuses_malformed_histories(deals: Funnel) -> None:
    j = deals.start(at=at(0)).lose("x", at=at(1))
    again = Journey.replay(deals, [r.to_dict() for r in j.history])
    assert again.history == j.history and again.stage == "lost"
    naive = [j.history[0]._replace(at=datetime(2026, 1, 5)), j.history[1]]
    with pytest.raises(InvalidParameterError, match=r"history\[0\]\.at='2026-01-05T00:00:00' is "
                                                    "a naive datetime"):
        Journey.replay(deals, naive)
    with pytest.raises(InvalidParameterError, match="sequence of transition records; got int"):
        Journey.replay(deals, 5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="TransitionRecord objects or mappings; got"):
        Journey.replay(deals, ["lead"])  # type: ignore[list-item]
    with pytest.raises(InvalidParameterError, match="history cannot be empty"):
        Journey.replay(deals, [])
    with pytest.raises(InvalidParameterError, match=r"is a mapping .*got str"):
        Journey.from_dict("lead", deals)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"needs the Funnel .* got str 'deals'"):
        Journey.from_dict(j.to_dict(), "deals")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="sequence of transition records"):
        Journey.from_dict({"history": 5}, deals)
