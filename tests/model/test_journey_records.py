"""What a journey records and who hears about it: immutable history, versioned subject
edits, the facts each move's gates read, hooks with their outbox messages, thread
safety, and strict types when loading."""

from __future__ import annotations

import copy
import json
import math
import pickle
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesfunnel import (
    Funnel,
    FunnelError,
    Gate,
    GateFailed,
    HookError,
    HookEvent,
    Hooks,
    InvalidParameterError,
    Journey,
    OutboxMessage,
    Stage,
    SubjectEdit,
    Transition,
    TransitionNotAllowed,
    TransitionRecord,
)
from salesfunnel.testing import (
    HookRecorder,
    assert_journey_invariants,
    journeys,
    json_values,
    subject_edits,
)

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def has_contact(subject: Any) -> bool:
    return bool(subject.get("contact"))


@pytest.fixture
def deals() -> Funnel:
    return Funnel("deals", [
        Stage("lead"),
        Stage("demo", gates="contact.email is set"),
        Stage("proposal", gates=["budget >= 10000", Gate(has_contact, name="has_contact")]),
        Stage("won", kind="won", gates="signed"),
        Stage("lost", kind="lost"),
    ], fall_back=True, transitions=[Transition("lost", "lead", gates="reopened")])


def ready() -> dict[str, Any]:
    return {"contact": {"email": "ann@example.com"}, "budget": 20000, "signed": True,
            "reopened": True}


# -- immutable history ----------------------------------------------------------------------


def test_history_is_a_tuple_that_only_a_move_extends(deals: Funnel) -> None:
    deal = deals.start(ready(), at=at(0))
    history = deal.history
    assert isinstance(history, tuple) and len(history) == 1
    assert not hasattr(history, "append")
    with pytest.raises(AttributeError):
        deal.history = ()  # type: ignore[misc]
    deal.advance(at=at(1))
    assert len(history) == 1, "an earlier snapshot never changes"
    assert len(deal.history) == 2 and deal.history[0] is history[0]
    with pytest.raises(AttributeError):
        deal.history[1].to_stage = "won"  # type: ignore[misc]
    with pytest.raises(TypeError):
        deal.history[1].facts["contact.email"] = "x"  # type: ignore[index]


# -- versioned subject edits ----------------------------------------------------------------


def test_update_records_old_and_new_values_and_bumps_the_version(deals: Funnel) -> None:
    deal = deals.start({"budget": 500}, at=at(0), id="D-1")
    deal.update({"budget": 25000, "owner": "ann"}, at=at(1), actor="bo", reason="call")
    assert deal.version == 2 and deal.stage == "lead" and len(deal.history) == 1
    assert deal.subject == {"budget": 25000, "owner": "ann"}
    (edit,) = deal.edits
    assert (edit.at, edit.actor, edit.reason, edit.version) == (at(1), "bo", "call", 2)
    assert dict(edit.changes) == {"budget": (500, 25000), "owner": (None, "ann")}
    assert deal.updated_at == at(1)
    deal.advance("demo", force=True, reason="met at fair", at=at(2))
    assert deal.version == 3
    data = json.loads(json.dumps(deal.to_dict(), allow_nan=False))
    assert data["edits"] == [{"at": at(1).isoformat(), "actor": "bo", "reason": "call",
                              "changes": {"budget": [500, 25000], "owner": [None, "ann"]},
                              "version": 2}]
    back = Journey.from_dict(data, deals)
    assert (back.version, back.edits, back.history) == (3, deal.edits, deal.history)
    assert back.to_dict() == data


def test_update_sets_attributes_of_an_object_subject(deals: Funnel) -> None:
    @attrs.define
    class Deal:
        budget: int = 0
        when: date | None = None

    subject = Deal()
    deal = deals.start(subject, at=at(0))
    deal.update({"budget": 12, "when": date(2026, 3, 5)}, at=at(1))
    assert (subject.budget, subject.when) == (12, date(2026, 3, 5))
    assert dict(deal.edits[0].changes) == {"budget": (0, 12), "when": (None, "2026-03-05")}
    assert "subject" not in deal.to_dict()


def test_an_update_that_cannot_be_made_changes_nothing(deals: Funnel) -> None:
    @attrs.frozen
    class Frozen:
        budget: int = 1

    @attrs.define(slots=True)
    class Partial:
        budget: int = 1

    partial = Partial()
    deal = deals.start(partial, at=at(0))
    with pytest.raises(InvalidParameterError, match="attributes the subject accepts"):
        deal.update({"budget": 2, "nope": 3}, at=at(1))
    assert partial.budget == 1 and deal.version == 1 and deal.edits == ()
    for subject in (None, Frozen(), 5, "text", (1, 2)):
        journey = deals.start(subject, at=at(0))
        with pytest.raises(InvalidParameterError):
            journey.update({"budget": 2}, at=at(1))
        assert journey.version == 1 and journey.edits == ()
    from types import MappingProxyType

    journey = deals.start(MappingProxyType({"budget": 1}), at=at(0))
    with pytest.raises(InvalidParameterError, match="mutable mapping"):
        journey.update({"budget": 2})


@pytest.mark.parametrize(("changes", "kwargs", "message"), [
    ({}, {}, r"'changes' parameter of Journey.update must be a non-empty mapping"),
    ([("budget", 1)], {}, r"'changes' parameter of Journey.update"),
    ({1: "x"}, {}, r"field names \(non-empty str\) as keys, not 1"),
    ({"budget": 1}, {"actor": b"ann"}, r"'actor' parameter of Journey.update must be text"),
    ({"budget": 1}, {"reason": 3}, r"'reason' parameter of Journey.update must be text"),
    ({"budget": 1}, {"at": T0 - timedelta(days=1)}, r"before the journey's last change"),
    ({"budget": 1}, {"at": "2026-03-05T09:00:00"}, r"naive"),
])
def test_update_refuses_bad_arguments(deals: Funnel, changes: Any, kwargs: dict[str, Any],
                                      message: str) -> None:
    deal = deals.start({"budget": 0}, at=at(0))
    with pytest.raises(InvalidParameterError, match=message):
        deal.update(changes, **kwargs)
    assert deal.subject == {"budget": 0} and deal.version == 1 and deal.edits == ()


def test_moves_refuse_actors_and_reasons_that_are_not_text(deals: Funnel) -> None:
    deal = deals.start(ready(), at=at(0))
    with pytest.raises(InvalidParameterError, match="'actor' parameter of Journey"):
        deal.advance(actor=b"ann")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"'actor' parameter of Funnel\.start"):
        deals.start(actor=1)  # type: ignore[arg-type]
    assert deal.version == 1


@SETTINGS
@given(st.data())
def test_journeys_with_edits_keep_their_laws(data: st.DataObject) -> None:
    journey = data.draw(journeys(max_steps=8))
    edit = data.draw(subject_edits(at=journey.updated_at + timedelta(seconds=1),
                                   version=journey.version + 1))
    assert SubjectEdit.from_dict(json.loads(json.dumps(edit.to_dict()))) == edit
    assert_journey_invariants(journey)
    versions = [e.version for e in journey.edits]
    assert versions == sorted(versions)
    assert journey.version == len(journey.history) + len(journey.edits)


# -- facts ----------------------------------------------------------------------------------


def test_each_move_records_the_facts_its_rule_gates_read(deals: Funnel) -> None:
    subject = {**ready(), "notes": "not read by any gate", "budget": 25000.0}
    deal = deals.start(subject, at=at(0)).advance(at=at(1)).advance(at=at(2))
    start, demo, proposal = deal.history
    assert dict(start.facts) == {}
    assert dict(demo.facts) == {"contact.email": "ann@example.com"}
    # the callable gate has_contact is opaque: only the rule's field is recorded
    assert dict(proposal.facts) == {"budget": 25000.0}
    subject["budget"] = 1  # later changes do not rewrite what was recorded
    assert deal.history[2].facts["budget"] == 25000.0
    deal.lose("went quiet", at=at(3))
    deal.regress("lead", at=at(4))  # the explicit lost -> lead transition has its own gate
    assert dict(deal.history[-1].facts) == {"reopened": True}
    assert deal.to_dict()["history"][2]["facts"] == {"budget": 25000.0}


def test_facts_are_strict_json_whatever_the_subject_holds(deals: Funnel) -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    class Exploding:
        @property
        def budget(self) -> int:
            raise RuntimeError("database is down")

    subject = {"contact": {"email": Odd()}, "budget": math.nan}
    deal = deals.start(subject, at=at(0)).advance("demo", at=at(1))
    assert dict(deal.history[-1].facts) == {"contact.email": "odd"}
    deal.advance("proposal", force=True, reason="boss says so", at=at(2))
    assert dict(deal.history[-1].facts) == {"budget": None}  # forced: what the gate would read
    other = deals.start({}, at=at(0)).advance("demo", force=True, reason="r", at=at(1))
    assert dict(other.history[-1].facts) == {"contact.email": None}  # missing
    hostile = deals.start(Exploding(), at=at(0), stage="demo", force=True, reason="import")
    hostile.advance("proposal", force=True, reason="r", at=at(1))
    assert dict(hostile.history[-1].facts) == {"budget": "<unreadable: RuntimeError>"}
    for journey in (deal, other, hostile):
        json.dumps(journey.to_dict()["history"], allow_nan=False)


def test_gates_and_rules_name_the_fields_they_read() -> None:
    gate = Gate("a > 1 and b.c is set") | ~Gate("d in [1, 2]") & Gate(has_contact, name="h")
    assert gate.fields == frozenset({"a", "b.c", "d"})
    assert Gate(has_contact, name="h").fields == frozenset()
    assert gate.read({"a": 2, "b": {"c": 3}}) == {"a": 2, "b.c": 3, "d": gate.read({})["d"]}


# -- hooks ----------------------------------------------------------------------------------


def test_hooks_fire_in_order_with_the_move_and_queue_messages(deals: Funnel) -> None:
    seen: list[tuple[str, str | None, str | None, int]] = []
    hooks = Hooks()

    def log(event: HookEvent) -> None:
        seen.append((event.topic, event.from_stage, event.to_stage, event.version))

    for topic in ("before", "leave", "enter", "after", "edited"):
        hooks.on(topic, log)

    @hooks.on("enter", stage="won")
    def announce(event: HookEvent) -> None:
        assert event.record is not None and event.journey.stage == "won"
        event.emit("deal.won", {"id": event.journey.id, "facts": dict(event.record.facts)})

    deal = deals.start(ready(), at=at(0), id="acme", hooks=hooks)
    deal.update({"budget": 30000}, at=at(1))
    deal.advance(at=at(2)).advance(at=at(3)).advance(at=at(4))
    assert seen[:4] == [("before", None, "lead", 1), ("enter", None, "lead", 1),
                        ("after", None, "lead", 1), ("edited", "lead", "lead", 2)]
    assert seen[4:8] == [("before", "lead", "demo", 3), ("leave", "lead", "demo", 3),
                         ("enter", "lead", "demo", 3), ("after", "lead", "demo", 3)]
    messages = deal.take_messages()
    assert messages == (OutboxMessage("deal.won", {"id": "acme", "facts": {"signed": True}},
                                      "acme", 5),)
    assert deal.pending_messages == () and deal.take_messages() == ()


def test_a_before_hook_vetoes_the_move_and_leaves_the_journey_untouched(deals: Funnel) -> None:
    hooks = Hooks()
    calls: list[str] = []

    @hooks.on("before", stage="demo")
    def veto(event: HookEvent) -> None:
        event.emit("should.not.send", {})
        raise PermissionError("demos need a manager")

    hooks.on("after", lambda e: calls.append(e.topic))
    deal = deals.start(ready(), at=at(0), hooks=hooks)
    before = (deal.stage, deal.version, deal.history, deal.pending_messages)
    with pytest.raises(PermissionError, match="manager"):
        deal.advance(at=at(1))
    assert (deal.stage, deal.version, deal.history, deal.pending_messages) == before
    assert calls == ["after"]  # only the start's


def test_a_failing_after_hook_leaves_the_move_standing(deals: Funnel) -> None:
    hooks = Hooks()
    ran: list[str] = []

    @hooks.on("enter")
    def broken(event: HookEvent) -> None:
        if event.to_stage == "demo":
            raise KeyError("crm down")

    @hooks.on("after")
    def still_runs(event: HookEvent) -> None:
        ran.append(str(event.to_stage))
        event.emit("moved", {"to": event.to_stage})

    deal = deals.start(ready(), at=at(0), hooks=hooks)
    with pytest.raises(HookError, match=r"'enter' hook .*broken raised KeyError.*the move "
                                        r"stands") as info:
        deal.advance(at=at(1))
    assert info.value.journey is deal and isinstance(info.value.__cause__, KeyError)
    assert deal.stage == "demo" and deal.version == 2 and ran == ["lead", "demo"]
    assert [m.payload for m in deal.take_messages()] == [{"to": "lead"}, {"to": "demo"}]
    deal.advance(at=at(2))  # the journey is consistent and goes on
    assert_journey_invariants(deal)


def test_refused_hooks_see_the_refusal_and_it_is_raised(deals: Funnel) -> None:
    hooks = Hooks()
    refusals: list[FunnelError | None] = []
    events: list[HookEvent] = []

    @hooks.on("refused")
    def audit(event: HookEvent) -> None:
        refusals.append(event.error)
        events.append(event)
        event.emit("move.refused", {"why": str(event.error)})

    deal = deals.start({}, at=at(0), hooks=hooks)
    with pytest.raises(GateFailed):
        deal.advance(at=at(1))
    with pytest.raises(TransitionNotAllowed):
        deal.advance("won", at=at(1))
    assert [type(e) for e in refusals] == [GateFailed, TransitionNotAllowed]
    assert [e.to_stage for e in events] == ["demo", "won"]
    assert deal.version == 1 and [m.version for m in deal.take_messages()] == [1, 1]
    hooks.on("refused", lambda e: 1 / 0)
    with pytest.raises(HookError, match=r"ZeroDivisionError.*the refusal") as info:
        deal.regress("won", at=at(1))
    assert isinstance(info.value.__context__, TransitionNotAllowed)
    assert deal.version == 1


def test_edited_hooks_and_hook_errors_after_an_edit(deals: Funnel) -> None:
    hooks = Hooks()
    hooks.on("edited", lambda e: e.emit("edited", {"fields": sorted(e.edit.changes)}))
    deal = deals.start({}, at=at(0), hooks=hooks)
    deal.update({"b": 1, "a": 2}, at=at(1))
    assert deal.take_messages()[0].payload == {"fields": ["a", "b"]}
    hooks.on("edited", lambda e: [][1])
    with pytest.raises(HookError, match="the edit stands"):
        deal.update({"a": 3}, at=at(2))
    assert deal.subject == {"b": 1, "a": 3} and deal.version == 3


def test_a_before_hook_may_not_change_the_journey(deals: Funnel) -> None:
    hooks = Hooks()
    hooks.on("before", lambda e: e.journey.update({"x": 1}), stage="demo")
    deal = deals.start(ready(), at=at(0), hooks=hooks)
    with pytest.raises(HookError, match="abandoned"):
        deal.advance(at=at(1))
    assert deal.stage == "lead" and len(deal.history) == 1


@pytest.mark.parametrize(("call", "message"), [
    (lambda h: h.on("afterwards", print), r"'topic' parameter of Hooks.on must be one of "
                                          r"'after'"),
    (lambda h: h.on("after", 5), r"'fn' parameter of Hooks.on must be callable"),
    (lambda h: h.on("after", print, stage=3), r"'stage' parameter of Hooks.on"),
])
def test_hooks_refuse_bad_registrations(call: Any, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        call(Hooks())


@pytest.mark.parametrize(("topic", "payload", "message"), [
    ("", {}, "non-empty text"),
    ("x", [1], "must be a mapping"),
    ("x", {"v": math.nan}, "strict JSON"),
    ("x", {1: "a"}, "strict JSON"),
    ("x", {"v": b"bytes"}, "strict JSON"),
    ("x", {"v": datetime(2026, 1, 1)}, "strict JSON"),
])
def test_emit_refuses_what_an_outbox_cannot_store(deals: Funnel, topic: str, payload: Any,
                                                  message: str) -> None:
    hooks = Hooks()
    hooks.on("after", lambda e: e.emit(topic, payload))
    with pytest.raises(HookError, match=message):
        deals.start(hooks=hooks)


def test_hooks_attach_through_from_dict_and_the_attribute(deals: Funnel) -> None:
    deal = deals.start(ready(), at=at(0))
    recorder = HookRecorder()
    again = Journey.from_dict(deal.to_dict(), deals, hooks=recorder.hooks)
    assert again.hooks is recorder.hooks and recorder.events == []  # none during loading
    again.advance(at=at(1))
    deal.hooks = recorder.hooks
    deal.update({"budget": 1}, at=at(1))
    recorder.check(again)
    recorder.check(deal)
    with pytest.raises(InvalidParameterError, match="'hooks' parameter of Journey"):
        deal.hooks = [print]  # type: ignore[assignment]


@SETTINGS
@given(journeys(max_steps=0), st.lists(st.sampled_from(["move", "edit", "take"]),
                                       max_size=12))
def test_hook_laws_hold_on_drawn_journeys(journey: Journey, steps: list[str]) -> None:
    recorder = HookRecorder()
    journey.hooks = recorder.hooks
    when = journey.updated_at
    for step in steps:
        when += timedelta(hours=1)
        if step == "take":
            recorder.take(journey)
        elif step == "edit":
            journey.update({"note": step}, at=when)
        elif journey.funnel.allowed(journey.stage):
            target = journey.funnel.allowed(journey.stage)[0]
            try:
                from salesfunnel.testing._strategies import apply_move

                apply_move(journey, target, at=when, actor=None, reason="test", force=True)
            except (HookError, InvalidParameterError):
                raise
    recorder.check(journey)
    assert_journey_invariants(journey)


# -- threads --------------------------------------------------------------------------------


def test_a_journey_shared_by_eight_threads_loses_no_change() -> None:
    funnel = Funnel("loop", [Stage("a"), Stage("b"), Stage("won", kind="won"),
                             Stage("lost", kind="lost")], fall_back=True, reentry="a")
    journey = funnel.start({"n": 0}, at=T0, clock=lambda: T0)
    counts = {"move": 0, "edit": 0, "take": 0}
    count_lock = threading.Lock()
    hooks = Hooks()
    hooks.on("after", lambda e: e.emit("moved", {"to": e.to_stage}))
    journey.hooks = hooks
    taken: list[OutboxMessage] = []
    per_thread = 1500

    def work(seed: int) -> None:
        moves = edits = 0
        for i in range(per_thread):
            op = (seed + i) % 7
            try:
                if op == 0:
                    journey.update({f"t{seed}": i})
                    edits += 1
                    continue
                if op == 1:
                    taken.extend(journey.take_messages())
                    continue
                stage = journey.stage
                if stage == "won":
                    journey.reenter()
                elif stage == "b" and op % 2:
                    journey.regress("a")
                else:
                    journey.advance()
                moves += 1
            except TransitionNotAllowed:
                pass  # another thread moved first: the call was refused, nothing changed
        with count_lock:
            counts["move"] += moves
            counts["edit"] += edits

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    history = journey.history
    assert counts["move"] > 1000
    assert journey.version == 1 + counts["move"] + counts["edit"]
    assert len(history) == 1 + counts["move"] and len(journey.edits) == counts["edit"]
    replayed = Journey.replay(funnel, history)
    assert replayed.stage == journey.stage
    taken.extend(journey.take_messages())
    assert len(taken) == counts["move"], "one message per move, none lost or doubled"
    back = Journey.from_dict(json.loads(json.dumps(journey.to_dict())), funnel)
    assert (back.stage, back.version, back.history, back.edits) == (
        journey.stage, journey.version, journey.history, journey.edits)
    assert_journey_invariants(journey)


def test_copies_and_pickles_get_their_own_lock() -> None:
    # (funnels with rule gates hold compiled predicates and do not pickle yet)
    plain = Funnel("plain", [Stage("lead"), Stage("demo"), Stage("won", kind="won")])
    deal = plain.start(ready(), at=at(0), id=3).advance(at=at(1))
    deal.update({"budget": 1}, at=at(2))
    for twin in (copy.copy(deal), copy.deepcopy(deal), pickle.loads(pickle.dumps(deal))):
        assert twin._lock is not deal._lock
        assert (twin.stage, twin.version, twin.history, twin.edits) == (
            deal.stage, deal.version, deal.history, deal.edits)
        twin.advance(at=at(3))
        assert deal.stage == "demo" and len(deal.history) == 2, "the copy is independent"
        assert_journey_invariants(twin)


# -- from_dict checks types -----------------------------------------------------------------

# (where, key, bad values): each must be refused, naming the field
BAD_FIELDS: list[tuple[str, str, list[Any]]] = [
    ("record", "forced", ["false", 0, 1, None, "True"]),
    ("record", "actor", [b"ann", 5, ["ann"], {"n": 1}]),
    ("record", "reason", [b"why", 1.5, True]),
    ("record", "at", [17, None, b"2026-01-01", [2026, 1, 1], "yesterday",
                      "2026-01-05T09:00:00"]),
    ("record", "kind", [1, "teleport", None]),
    ("record", "to_stage", [1, None, b"lead"]),
    ("record", "facts", [[1], "x", {"a": math.nan}, {"a": b"x"}, {1: "x"}]),
    ("journey", "stage", [1, None, b"lead"]),
    ("journey", "version", ["1", 1.0, True, None]),
    ("journey", "id", [b"x", [1], {"a": 1}, math.nan]),
    ("journey", "history", ["lead", 5, {"a": 1}]),
    ("journey", "edits", ["x", 5, {"a": 1}]),
    ("journey", "subject", [{"a": b"x"}, {"a": {1, 2}}]),
    ("edit", "changes", [{}, {"a": [1]}, {"a": 5}, [1], {"a": [1, math.inf]}]),
    ("edit", "version", ["2", 2.0, True]),
    ("edit", "actor", [b"bo", 1]),
    ("edit", "at", [None, 5, "2026-13-01T00:00:00+00:00"]),
]


@SETTINGS
@given(st.data())
def test_from_dict_refuses_wrong_field_types(data: st.DataObject) -> None:
    journey = data.draw(journeys(max_steps=4))
    where, key, bad = data.draw(st.sampled_from(BAD_FIELDS), label="field")
    value = data.draw(st.sampled_from(bad), label="value")
    serialized = journey.to_dict()
    if where == "record":
        i = data.draw(st.integers(0, len(serialized["history"]) - 1), label="record")
        serialized["history"][i][key] = value
        field = f"history[{i}].{key}"
    elif where == "edit":
        if not serialized["edits"]:
            serialized["edits"] = [data.draw(subject_edits(
                at=journey.updated_at, version=journey.version + 1)).to_dict()]
            serialized["version"] += 1
        serialized["edits"][0][key] = value
        field = f"edits[0].{key}"
    else:
        serialized[key] = value
        field = key
    with pytest.raises(InvalidParameterError) as info:
        Journey.from_dict(serialized, journey.funnel)
    message = str(info.value)
    assert field.split(".")[0].split("[")[0] in message or key in message, message
    assert info.value.parameter is not None


@SETTINGS
@given(st.data())
def test_whatever_from_dict_accepts_serializes(data: st.DataObject) -> None:
    journey = data.draw(journeys(max_steps=4))
    serialized = journey.to_dict()
    # scramble one field with any JSON-ish or non-JSON value
    target = data.draw(st.sampled_from(["record", "edit", "journey"]), label="where")
    value = data.draw(st.one_of(json_values(), st.binary(max_size=3), st.just(math.nan),
                                st.datetimes(), st.sets(st.integers(), max_size=2)),
                      label="value")
    if target == "record":
        rec = data.draw(st.sampled_from(serialized["history"]))
        rec[data.draw(st.sampled_from(sorted(rec)))] = value
    elif target == "edit" and serialized["edits"]:
        edit = serialized["edits"][0]
        edit[data.draw(st.sampled_from(sorted(edit)))] = value
    else:
        serialized[data.draw(st.sampled_from(sorted(serialized)))] = value
    try:
        back = Journey.from_dict(serialized, journey.funnel)
    except FunnelError:
        return
    json.dumps(back.to_dict())
    assert_journey_invariants(back)


def test_records_round_trip_and_old_records_without_facts_load() -> None:
    rec = TransitionRecord("lead", "demo", T0, "ann", None, False, "advance",
                           {"budget": 5, "tags": ["a", "b"]})
    assert TransitionRecord.from_dict(rec.to_dict()).to_dict() == rec.to_dict()
    old = {k: v for k, v in rec.to_dict().items() if k != "facts"}
    assert dict(TransitionRecord.from_dict(old).facts) == {}
    with pytest.raises(InvalidParameterError, match=r"record.forced must be a bool"):
        TransitionRecord.from_dict({**old, "forced": "false"})
    with pytest.raises(InvalidParameterError, match=r"SubjectEdit.changes\['a'\] must be"):
        SubjectEdit(T0, changes={"a": 1})  # type: ignore[dict-item]


@SETTINGS
@given(journey=journeys(max_steps=8), extra=st.integers(0, 3))
def test_history_since_is_the_tail_of_history(journey: Journey, extra: int) -> None:
    history = journey.history
    for n in range(len(history) + extra + 1):
        assert journey.history_since(n) == history[n:]
    journey.history_since(0)  # also before the tuple is cached again
    assert journey.history_since(len(history)) == ()
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(InvalidParameterError, match="'n'"):
            journey.history_since(bad)  # type: ignore[arg-type]
