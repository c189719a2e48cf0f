"""Fuzz the model: funnel definitions (``from_dict``), rules and gates, journeys."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from fuzz_support import error_or_result, fuzz, junk, numbers, scalars, times
from salesfunnel import Funnel, FunnelError, Gate, Journey, Stage
from salesfunnel.model.rules import MISSING, parse_rule
from salesfunnel.testing import funnels, rules, subjects

STAGE_KEYS = ["name", "label", "kind", "probability", "gates", "owner", "actions",
              "description"]
FUNNEL_KEYS = ["name", "stages", "skip_ahead", "fall_back", "can_lose", "reentry",
               "expanding", "transitions", "label", "description"]

stage_dicts = st.one_of(
    st.fixed_dictionaries(
        {"name": st.one_of(st.sampled_from(["a", "b", "won", "lost"]), scalars)},
        optional={k: junk for k in STAGE_KEYS if k != "name"},
    ),
    junk,
)
funnel_dicts = st.one_of(
    st.fixed_dictionaries(
        {"name": st.one_of(st.just("f"), scalars),
         "stages": st.one_of(st.lists(stage_dicts, max_size=5), junk)},
        optional={k: junk for k in FUNNEL_KEYS if k not in ("name", "stages")},
    ),
    st.builds(lambda f: f.to_dict(), funnels()),
    junk,
)


@fuzz
@given(funnel_dicts)
@example({"name": "x", "stages": [{"name": "a", "gates": None}, {"name": "w", "kind": "won"}]})
@example({"name": "x", "stages": [{"name": "a", "gates": 5}, {"name": "w", "kind": "won"}]})
@example({"name": "x", "stages": [{"name": "a", "probability": 10**400},
                                  {"name": "w", "kind": "won"}]})
def test_funnel_from_dict(data: Any) -> None:
    funnel = error_or_result(Funnel.from_dict, data)
    if funnel is not None:
        assert Funnel.from_dict(funnel.to_dict()) == funnel


@fuzz
@given(st.dictionaries(st.sampled_from(STAGE_KEYS), junk, max_size=5))
def test_stage_constructor(kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("name", "s")
    error_or_result(Stage, **kwargs)


@fuzz
@given(st.integers(0, 250), st.sampled_from(["not", "all", "any"]))
@example(1000, "not")
@example(2000, "all")
def test_gate_nesting(depth: int, kind: str) -> None:
    data: Any = {"rule": "a > 1"}
    for _ in range(depth):
        data = {"not": data} if kind == "not" else {kind: [data]}
    gate = error_or_result(Gate.from_dict, data)
    if gate is not None:
        assert Gate.from_dict(gate.to_dict()).to_dict() == gate.to_dict()
        error_or_result(gate.evaluate, {"a": 2})
    inverted = Gate("a > 1")
    try:
        for _ in range(depth):
            inverted = ~inverted
    except FunnelError as exc:  # beyond the documented depth limit
        assert "nest" in str(exc)
        return
    result = error_or_result(inverted.evaluate, {"a": 2})
    if result is not None:
        assert bool(result) == (depth % 2 == 0)


@fuzz
@given(junk)
@example({"rule": "a > 1", "label": 10**400})
def test_gate_from_dict(data: Any) -> None:
    gate = error_or_result(Gate.from_dict, data)
    if gate is not None and gate.serializable:
        assert Gate.from_dict(gate.to_dict()).to_dict() == gate.to_dict()


rule_texts = st.one_of(
    rules(),
    st.lists(st.sampled_from([*"ab01 ()<>=!.'\"-+eE,_[]", " and ", " or ", "not ", " in ",
                              " is set", " contains ", "9007199254740993", "1e309", "budget"]),
             max_size=12).map("".join),
    st.text(max_size=30),
    junk,
)


@fuzz
@given(rule_texts, st.lists(st.dictionaries(st.sampled_from(["a", "b", "budget"]),
                                            st.one_of(numbers, scalars), max_size=3),
                            min_size=1, max_size=4))
@example("a > 9007199254740992.0", [{"a": 2**53 + 1}])
@example("budget == 1", [{"budget": 1}, {"budget": ""}])
@example("(" * 20_000 + "a" + ")" * 20_000, [{"a": 1}])
@example("not " * 2_000 + "a", [{"a": 1}])
def test_rules_vectorized_and_row_by_row_agree(text: Any, subjects: list[dict[str, Any]]
                                               ) -> None:
    rule = error_or_result(parse_rule, text)
    if rule is None:
        return
    one = [error_or_result(rule.test, s) for s in subjects]
    keys = ["a", "b", "budget"]  # every column, MISSING where a subject lacks the field
    columns = {k: [s.get(k, MISSING) for s in subjects] for k in keys}
    many = error_or_result(rule.evaluate_many, columns)
    if many is not None and None not in one:
        assert np.asarray(many[0]).tolist() == one


@fuzz
@given(st.data(), funnels(), st.lists(st.tuples(
    st.sampled_from(["advance", "regress", "lose", "reenter", "can_advance"]),
    st.one_of(st.none(), scalars), times, st.one_of(st.none(), scalars), st.booleans()),
    max_size=6))
def test_journeys(data: st.DataObject, funnel: Funnel, moves: list[tuple[Any, ...]]) -> None:
    subject = data.draw(subjects(funnel))
    journey = error_or_result(funnel.start, subject, at="2026-01-01T00:00Z")
    if journey is None:
        return
    for name, to, at, actor, force in moves:
        before = journey.to_dict()
        if name == "can_advance":
            error_or_result(journey.can_advance, to)
            continue
        kwargs: dict[str, Any] = {"at": at, "actor": actor, "force": force}
        if name == "lose":
            done = error_or_result(journey.lose, to, **kwargs)
        elif name == "regress":
            done = error_or_result(journey.regress, to, **kwargs)
        else:
            done = error_or_result(getattr(journey, name), to, **kwargs)
        if done is None:
            assert journey.to_dict() == before  # a refused change alters nothing
    again = Journey.from_dict(journey.to_dict(), funnel=funnel)
    assert again.to_dict() == journey.to_dict()


@fuzz
@given(funnels(), junk)
@example(Funnel("f", [Stage("a"), Stage("w", kind="won")]),
         {"funnel": "f", "id": None, "stage": "a", "version": 1, "history": [
             {"from": None, "to": "a", "at": "2026-01-01T00:00:00+00:00", "actor": b"x",
              "forced": "false", "reason": None}]})
def test_journey_from_dict(funnel: Funnel, data: Any) -> None:
    journey = error_or_result(Journey.from_dict, data, funnel=funnel)
    if journey is not None:
        assert Journey.from_dict(journey.to_dict(), funnel=funnel).to_dict() == journey.to_dict()


@fuzz
@given(junk, st.one_of(junk, st.just(lambda: Funnel("t", [Stage("a"), Stage("w", kind="won")]))),
       st.one_of(st.booleans(), junk))
def test_templates(name: Any, factory: Any, replace: Any) -> None:
    from salesfunnel import templates

    error_or_result(templates.get, name)
    try:
        templates.register(name, factory, replace=replace)
    except FunnelError as exc:
        assert str(exc)
        return
    error_or_result(templates.get, name)  # a bad factory fails here, with our error
