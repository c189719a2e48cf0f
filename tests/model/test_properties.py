"""The model's general laws, stated as properties over drawn funnels and journeys.

- every valid funnel round-trips through ``to_dict`` / JSON / ``from_dict``;
- every invalid definition raises one ``DefinitionError`` naming each problem;
- replaying a journey's history reproduces its state;
- a refused change leaves stage, history and version untouched, and an accepted one
  appends exactly one legal record.

(Gate algebra and the rule parser on arbitrary text are in test_gate.py and
test_rules.py.)
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesfunnel import DefinitionError, Funnel, FunnelError, Journey
from salesfunnel.testing import funnels, journeys

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def json_copy(data: Any) -> Any:
    return json.loads(json.dumps(data))


@SETTINGS
@given(funnels())
def test_every_valid_funnel_round_trips_through_json(funnel: Funnel) -> None:
    data = json_copy(funnel.to_dict())
    again = Funnel.from_dict(data)
    assert again == funnel
    assert again.to_dict() == data
    for name in funnel.names:  # equal definitions behave equally
        assert again.moves(name) == funnel.moves(name)
        assert again.gates_for(None, name) == funnel.gates_for(None, name)


# -- invalid definitions -----------------------------------------------------------------
# Each corruption breaks a valid funnel's serialized form in one way and says which words
# the problem it causes must contain. Corruptions of one table are independent, so a
# funnel broken by several must be refused with every one of them named.

Corruption = tuple[Callable[[dict[str, Any]], None], Callable[[dict[str, Any]], str]]


def _rename(d: dict[str, Any]) -> None:
    d["name"] = "Not A Slug"


def _duplicate_first(d: dict[str, Any]) -> None:
    d["stages"].insert(1, copy.deepcopy(d["stages"][0]))


def _reentry_nowhere(d: dict[str, Any]) -> None:
    d["reentry"] = "zz-nowhere"


def _transition_to_nowhere(d: dict[str, Any]) -> None:
    d.setdefault("transitions", []).append(
        {"source": d["stages"][0]["name"], "target": "zz-missing"})


def _transition_in_place(d: dict[str, Any]) -> None:
    first = d["stages"][0]["name"]
    d.setdefault("transitions", []).append({"source": first, "target": first})


def _flag_not_bool(d: dict[str, Any]) -> None:
    d["fall_back"] = "yes"


FUNNEL_LEVEL: dict[str, Corruption] = {
    "name": (_rename, lambda d: "funnel name 'Not A Slug' is not a slug"),
    "duplicate": (_duplicate_first,
                  lambda d: f"stage {d['stages'][0]['name']!r} is listed more than once"),
    "reentry": (_reentry_nowhere, lambda d: "reentry stage 'zz-nowhere' is not a stage"),
    "transition target": (_transition_to_nowhere, lambda d: "target 'zz-missing' is not a stage"),
    "transition in place": (_transition_in_place, lambda d: "goes nowhere"),
    "flag": (_flag_not_bool, lambda d: "fall_back must be True or False; got 'yes'"),
}


def _stage(i: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def corrupt(d: dict[str, Any]) -> None:
        d["stages"][i].update(changes)

    return corrupt


def _unknown_key(d: dict[str, Any]) -> None:
    d["colour"] = "red"


def _transition_without_target(d: dict[str, Any]) -> None:
    d.setdefault("transitions", []).append({"source": d["stages"][0]["name"]})


DATA_LEVEL: dict[str, Corruption] = {
    "unknown key": (_unknown_key, lambda d: "unknown keys ['colour']"),
    "probability": (_stage(0, probability=1.5),
                    lambda d: f"probability of stage {d['stages'][0]['name']!r} is 1.5"),
    "kind": (_stage(1, kind="maybe"), lambda d: "stage kind must be one of"),
    "rule": (_stage(2, gates=[{"rule": "budget >"}]),
             lambda d: f"stage 2 ({d['stages'][2]['name']!r}): expected a value after '>'"),
    "description": (_stage(3, description=7),
                    lambda d: f"stage 3 ({d['stages'][3]['name']!r}): a label is a string"),
    "transition shape": (_transition_without_target,
                         lambda d: "expected a mapping with 'source' and 'target'"),
}


def _assert_every_problem_named(
    funnel: Funnel, table: dict[str, Corruption], chosen: list[str]
) -> None:
    data = json_copy(funnel.to_dict())
    expected = []
    for key in chosen:
        corrupt, words = table[key]
        expected.append(words(data))  # the words refer to the data before corruption
        corrupt(data)
    try:
        Funnel.from_dict(data)
    except DefinitionError as exc:
        problems = exc.problems
        message = str(exc)
    else:
        raise AssertionError(f"{chosen} were accepted: {data}")
    for words in expected:
        assert any(words in p for p in problems), f"{words!r} not among {problems}"
        assert words in message
    assert len(problems) >= len(chosen)


@SETTINGS
@given(funnels(max_stages=6), st.sets(st.sampled_from(sorted(FUNNEL_LEVEL)), min_size=1))
def test_every_funnel_problem_is_named_at_once(funnel: Funnel, chosen: set[str]) -> None:
    _assert_every_problem_named(funnel, FUNNEL_LEVEL, sorted(chosen))


@SETTINGS
@given(funnels(min_stages=4, max_stages=6),
       st.sets(st.sampled_from(sorted(DATA_LEVEL)), min_size=1))
def test_every_problem_in_the_data_is_named_at_once(funnel: Funnel, chosen: set[str]) -> None:
    _assert_every_problem_named(funnel, DATA_LEVEL, sorted(chosen))


# -- journeys -------------------------------------------------------------------------------


@SETTINGS
@given(journeys(max_steps=10))
def test_replaying_the_history_reproduces_the_state(journey: Journey) -> None:
    again = Journey.replay(journey.funnel, journey.history, subject=journey.subject,
                           edits=journey.edits)
    assert (again.stage, again.version, again.history, again.edits) == (
        journey.stage, journey.version, journey.history, journey.edits)
    from_data = Journey.replay(journey.funnel, [r.to_dict() for r in journey.history])
    assert (from_data.stage, from_data.history) == (journey.stage, journey.history)
    stored = json_copy(journey.to_dict())
    back = Journey.from_dict(stored, journey.funnel, subject=journey.subject)
    assert (back.stage, back.version, back.history) == (
        journey.stage, journey.version, journey.history)


METHODS = ["advance", "regress", "lose", "reenter", "can_advance"]
OFFSETS = [timedelta(days=-1), timedelta(0), timedelta(hours=5), None]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journeys(max_steps=6), st.data())
def test_a_refused_change_changes_nothing_and_an_accepted_one_adds_one_record(
    journey: Journey, data: st.DataObject
) -> None:
    funnel = journey.funnel
    method = data.draw(st.sampled_from(METHODS), label="method")
    target = data.draw(st.sampled_from([None, "zz-unknown", *funnel.names]), label="to")
    offset = data.draw(st.sampled_from(OFFSETS), label="offset")
    last = journey.history[-1].at
    when: datetime | str
    if offset is None:  # a naive time: always refused
        when = last.replace(tzinfo=None) + timedelta(hours=1)
    else:
        when = last + offset
        if data.draw(st.booleans(), label="as ISO text"):
            when = when.isoformat()
    force = data.draw(st.booleans(), label="force")
    reason = data.draw(st.sampled_from([None, "", "approved by the CEO"]), label="reason")

    before = (journey.stage, journey.version, journey.history, repr(journey.subject))
    kwargs: dict[str, Any] = {"at": when, "force": force}
    if method == "can_advance":
        with contextlib.suppress(FunnelError):
            journey.can_advance(target)
        assert (journey.stage, journey.version, journey.history) == tuple(before[:3])
        return
    if method == "lose":
        args: tuple[Any, ...] = (reason,)
        kwargs["to"] = target
    else:
        args = (target,)
        kwargs["reason"] = reason
    try:
        getattr(journey, method)(*args, **kwargs)
    except FunnelError:
        after = (journey.stage, journey.version, journey.history, repr(journey.subject))
        assert after == before, f"{method}({args}, {kwargs}) was refused but changed the journey"
        return
    # accepted: exactly one legal, well-formed record more
    source = before[0]
    assert journey.version == before[1] + 1
    assert journey.history[:-1] == before[2]
    rec = journey.history[-1]
    assert (rec.from_stage, rec.to_stage) == (source, journey.stage)
    assert funnel.moves(source)[journey.stage] == rec.kind
    assert rec.at >= last and rec.at.tzinfo is not None
    assert rec.forced == force
    if force:
        assert isinstance(rec.reason, str) and rec.reason.strip()
    if offset is not None and offset < timedelta(0):
        raise AssertionError("a change dated before the last one was accepted")
