"""Gates: evaluation, composition, errors, serialisation, columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesfunnel import DefinitionError, Gate, GateError, GateResult, InvalidParameterError
from salesfunnel.errors import RuleSyntaxError
from salesfunnel.model._gate import MAX_DEPTH
from salesfunnel.testing import gate_subjects, gates

FIELDS = ["a", "b", "c"]
gate_trees = gates(fields=FIELDS, max_leaves=2)  # rules and &, |, ~ of rules over FIELDS


@given(gate_trees, gate_trees, st.data())
def test_boolean_algebra(x: Gate, y: Gate, data: st.DataObject) -> None:
    s = data.draw(gate_subjects(x & y), label="subject")
    assert (~(x & y))(s) == ((~x) | (~y))(s)
    assert (~(x | y))(s) == ((~x) & (~y))(s)
    assert (~~x)(s) == x(s)
    assert (x & y)(s) == (x(s) and y(s))
    assert (x | y)(s) == (x(s) or y(s))


@given(gate_trees, st.data())
def test_evaluate_agrees_with_call_and_names_failures(g: Gate, data: st.DataObject) -> None:
    s = data.draw(gate_subjects(g), label="subject")
    result = g.evaluate(s)
    assert result.passed == g(s)
    assert bool(result.failed) != result.passed


def test_failed_checks_are_named_per_clause() -> None:
    g = Gate("budget >= 10000 and decision_maker is set", name="qualified")
    assert g.evaluate({"budget": 1}).failed == (
        "qualified: budget >= 10000", "qualified: decision_maker is set")
    assert g.evaluate({"budget": 20000, "decision_maker": "x"}) == GateResult(
        "qualified", True, ())
    one = Gate("budget >= 10000", name="budget")
    assert one.evaluate({}).failed == ("budget",)
    anonymous = Gate("x > 1 and y")
    assert anonymous.evaluate({"x": 2}).failed == ("y",)


def test_or_reports_both_sides_when_both_fail() -> None:
    g = Gate("x > 1", name="big") | Gate("vip", name="vip")
    assert g.evaluate({}).failed == ("big", "vip")
    assert g.evaluate({"vip": True}).failed == ()


def test_callable_gates_and_their_errors() -> None:
    def has_contract(s: dict[str, Any]) -> bool:
        return "contract" in s

    g = Gate(has_contract)
    assert g.name == "has_contract"
    assert g({"contract": 1}) and not g({})
    with pytest.raises(DefinitionError, match="needs name="):
        Gate(lambda s: True)
    boom = Gate(lambda s: s["missing"], name="boom")
    with pytest.raises(GateError, match="gate 'boom' raised KeyError") as info:
        boom({})
    assert info.value.gate == "boom"
    with pytest.raises(GateError):
        boom.evaluate({})
    with pytest.raises(DefinitionError, match="rule string or a callable"):
        Gate(3)  # type: ignore[arg-type]


@given(gate_trees)
def test_rule_gates_round_trip(g: Gate) -> None:
    assert Gate.from_dict(g.to_dict()) == g


@pytest.mark.parametrize(
    "data",
    [{"nothing": 1}, {"all": []}, "text", {"ref": "unknown"}],
)
def test_from_dict_refuses_malformed_data(data: Any) -> None:
    with pytest.raises(DefinitionError):
        Gate.from_dict(data)


def test_evaluate_many_gives_one_array_per_check() -> None:
    g = Gate("budget >= 10000 and decision_maker is set", name="q") & Gate("vip", name="vip")
    cols = {
        "budget": np.array([20000.0, 500.0, np.nan]),
        "decision_maker": np.array(["x", None, "y"], dtype=object),
        "vip": np.array([True, True, False]),
    }
    res = g.evaluate_many(cols)
    assert res.passed.tolist() == [True, False, False]
    assert res.checks["q: budget >= 10000"].tolist() == [True, False, False]
    assert res.checks["q: decision_maker is set"].tolist() == [True, False, True]
    assert res.checks["vip"].tolist() == [True, True, False]
    assert res.count_failed() == {"q: budget >= 10000": 2, "q: decision_maker is set": 1,
                                  "vip": 1}
    rows = [{k: v[i] for k, v in cols.items()} for i in range(3)]
    assert res.passed.tolist() == [g(r) for r in rows]


def test_evaluate_many_refuses_callables() -> None:
    g = Gate(lambda s: True, name="py")
    with pytest.raises(InvalidParameterError, match="'py' is a Python callable"):
        g.evaluate_many({"x": np.zeros(2)})


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: Gate("x > 1", name=5), "a gate's name is a string; got int 5"),
        (lambda: Gate.from_dict({"all": 5}), "'all' is a list of gates; got 5"),
        (lambda: Gate.from_dict({"any": "x"}), "'any' is a list of gates; got 'x'"),
        (lambda: Gate.from_dict({"rule": 5}), "rule string or a callable; got int 5"),
    ],
)
def test_bad_gate_definitions_raise_definition_errors(build: Any, expected: str) -> None:
    with pytest.raises(DefinitionError, match=expected):
        build()


# -- nesting depth (regression: RecursionError in from_dict / to_dict / evaluate) --------


def test_gates_nest_up_to_max_depth_and_round_trip() -> None:
    gate = Gate("budget >= 10")
    for _ in range(MAX_DEPTH - 1):
        gate = ~gate
    assert gate({"budget": 20}) is (MAX_DEPTH % 2 == 1)
    assert Gate.from_dict(gate.to_dict()) == gate
    assert bool(gate.evaluate({"budget": 20})) is gate({"budget": 20})


def test_inverting_a_gate_2000_times_is_refused_with_definition_error() -> None:
    gate = Gate("budget >= 10")
    with pytest.raises(DefinitionError, match=rf"nested {MAX_DEPTH + 1} deep.*at most {MAX_DEPTH}"):
        for _ in range(2_000):
            gate = ~gate
    assert gate._depth == MAX_DEPTH


def test_alternating_and_or_is_refused_beyond_max_depth() -> None:
    gate = Gate("a")
    with pytest.raises(DefinitionError, match=str(MAX_DEPTH)):
        for i in range(2 * MAX_DEPTH):
            other = Gate(f"f{i}")
            gate = (gate & other) if i % 2 else (gate | other)


@pytest.mark.parametrize("kind", ["not", "all", "any"])
def test_from_dict_nested_1000_deep_raises_definition_error(kind: str) -> None:
    data: dict[str, object] = {"rule": "budget >= 10"}
    for _ in range(1_000):
        data = {kind: data} if kind == "not" else {kind: [data, {"rule": "x is set"}]}
    with pytest.raises(DefinitionError, match=rf"at most {MAX_DEPTH} deep") as info:
        Gate.from_dict(data)
    assert not isinstance(info.value.__cause__, RecursionError)


def test_rule_text_nested_thousands_deep_raises_rule_syntax_error() -> None:
    with pytest.raises(RuleSyntaxError, match="nested deeper than 64"):
        Gate("(" * 4_000 + "a" + ")" * 4_000)
    with pytest.raises(RuleSyntaxError, match="nested deeper than 64"):
        Gate("not " * 2_000 + "a")
