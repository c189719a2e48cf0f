"""Gates: evaluation, composition, errors, serialisation, columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesfunnel import DefinitionError, Gate, GateError, GateResult, InvalidParameterError
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
