"""Row-by-row (``Rule.test``) and columnar (``Rule.evaluate_many``) evaluation agree.

Numbers are compared exactly, like Python compares them, on both paths: integers beyond
2**53 are not rounded to float64, int64 columns are compared with int literals in
int64, literals outside the int64 range decide every row, and an int compared with a
float is compared exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesfunnel.model.rules import MISSING, parse_rule
from salesfunnel.testing import rules

FIELDS = ("a", "b", "c")
P53 = 2**53
P63 = 2**63
EDGES = (0, 1, -1, P53, -P53, P63, -P63, 2**64)

def _ulps(x: float, k: int) -> float:
    for _ in range(abs(k)):
        x = math.nextafter(x, math.inf if k > 0 else -math.inf)
    return x


def _numbers(edge: int) -> st.SearchStrategy[int | float]:
    """Ints and floats close to ``edge`` (where float64 rounding starts to matter)."""
    return st.one_of(
        st.integers(edge - 3, edge + 3),
        st.integers(-4, 4).map(lambda k: _ulps(float(edge), k)),
        st.sampled_from((0.5, -0.5, 2.5)).map(lambda d: float(edge) + d),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False, allow_infinity=False),
    )


def _int64s(edge: int) -> st.SearchStrategy[int]:
    low, high = -(2**63), 2**63 - 1
    near = min(max(edge, low + 3), high - 3)
    return st.integers(near - 3, near + 3) | st.integers(low, high)


def _literal(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(value)


def _atom(draw: st.DrawFn, numbers: st.SearchStrategy[int | float]) -> str:
    field = draw(st.sampled_from(FIELDS))
    op = draw(st.sampled_from(("==", "!=", "<", "<=", ">", ">=")))
    form = draw(st.integers(0, 5))
    number = _literal(draw(numbers))
    if form == 0:
        return f"{number} {op} {field}"
    if form == 1:
        return f"{field} {op} {draw(st.sampled_from(FIELDS))}"
    if form == 2:
        items = draw(st.lists(numbers, min_size=1, max_size=4))
        negated = draw(st.booleans())
        listed = ", ".join(_literal(v) for v in items)
        return f"{field} {'not in' if negated else 'in'} [{listed}]"
    if form == 3:
        return f"{field} is {draw(st.sampled_from(('set', 'not set')))}"
    return f"{field} {op} {number}"


def _rule(draw: st.DrawFn, numbers: st.SearchStrategy[int | float], leaves: int) -> str:
    if leaves == 1:
        return _atom(draw, numbers)
    shape = draw(st.integers(0, 2))
    if shape == 0:
        return f"not ({_rule(draw, numbers, leaves - 1)})"
    left = draw(st.integers(1, leaves - 1))
    joiner = "and" if shape == 1 else "or"
    return f"({_rule(draw, numbers, left)} {joiner} {_rule(draw, numbers, leaves - left)})"


def _table(
    draw: st.DrawFn, edge: int, numbers: st.SearchStrategy[int | float]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows and the same data as columns: int64, float64 (NaN when missing) or objects."""
    n = draw(st.integers(1, 6))
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    columns: dict[str, Any] = {"rows": np.arange(n)}  # gives the length when all are absent
    for name in FIELDS:
        kind = draw(st.sampled_from(("int64", "float64", "object", "absent")))
        if kind == "absent":
            continue
        if kind == "int64":
            values: list[Any] = draw(st.lists(_int64s(edge), min_size=n, max_size=n))
            columns[name] = np.array(values, dtype=np.int64)
        elif kind == "float64":
            floats = numbers.filter(lambda v: abs(v) < 2**1000).map(float)
            values = draw(st.lists(floats | st.just(MISSING), min_size=n, max_size=n))
            columns[name] = np.array(
                [np.nan if v is MISSING else v for v in values], dtype=np.float64
            )
        else:
            values = draw(st.lists(numbers | st.just(MISSING), min_size=n, max_size=n))
            column = np.empty(n, dtype=object)
            column[:] = [None if v is MISSING else v for v in values]
            columns[name] = column
        for row, value in zip(rows, values, strict=True):
            if value is not MISSING:
                row[name] = value
    return rows, columns


@st.composite
def _cases(
    draw: st.DrawFn, rule: st.SearchStrategy[str] | None = None
) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """A rule and a table whose numbers (mostly) cluster around one edge."""
    edge = draw(st.sampled_from(EDGES))
    numbers = _numbers(edge)
    text = draw(rule) if rule is not None else _rule(draw, numbers, draw(st.integers(1, 4)))
    rows, columns = _table(draw, edge, numbers)
    return text, rows, columns


def _agree(text: str, rows: list[dict[str, Any]], columns: dict[str, Any]) -> None:
    rule = parse_rule(text)
    passed, per_check = rule.evaluate_many(columns)
    assert passed.tolist() == [rule.test(row) for row in rows], text
    for check in rule.checks:
        assert per_check[check.text].tolist() == [check.test(row) for row in rows], check.text


Case = tuple[str, list[dict[str, Any]], dict[str, Any]]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_evaluate_many_agrees_with_test_on_big_numbers(case: Case) -> None:
    _agree(*case)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_cases(rules(fields=list(FIELDS))))
def test_evaluate_many_agrees_with_test_on_generated_rules(case: Case) -> None:
    _agree(*case)


# -- the examples of the bug report, pinned -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "expected"),
    [
        ("a > 9007199254740992.0", np.array([P53, P53 + 1], dtype=np.int64), [False, True]),
        ("a == 9007199254740992.0", np.array([P53, P53 + 1], dtype=np.int64), [True, False]),
        ("a >= 9007199254740993", np.array([float(P53)]), [False]),
        ("a < 9007199254740993", np.array([float(P53), float(P53) + 2]), [True, False]),
        ("a != 9007199254740993", np.array([float(P53), np.nan]), [True, False]),
        ("a == 9223372036854775807", np.array([P63 - 1, P63 - 2], dtype=np.int64), [True, False]),
        ("a > 9223372036854775806", np.array([P63 - 1, P63 - 2], dtype=np.int64), [True, False]),
        ("a < 9223372036854775808", np.array([P63 - 1], dtype=np.int64), [True]),
        ("a > -9223372036854775809", np.array([-P63], dtype=np.int64), [True]),
        ("a < 9223372036854775807.0", np.array([P63 - 1], dtype=np.int64), [True]),
        ("a >= 2.5", np.array([2, 3], dtype=np.int64), [False, True]),
        ("a <= 2.5", np.array([2, 3], dtype=np.uint8), [True, False]),
        ("a < 1e999", np.array([P63 - 1], dtype=np.int64), [True]),
        ("a >= 1e400", np.array([np.inf, 1e308]), [True, False]),
        ("a == 100000000000000000000000000000000000000000000", np.array([1e44]), [False]),
        ("a in [9007199254740992.0, 3.5]", np.array([P53 + 1, P53], dtype=np.int64),
         [False, True]),
        ("a in [9007199254740993]", np.array([float(P53)]), [False]),
        ("a == true", np.array([True, False]), [True, False]),
        ("a >= 1", np.array([1.0, 2.0], dtype=np.float32), [True, True]),
    ],
)
def test_columns_compare_numbers_exactly(text: str, column: Any, expected: list[bool]) -> None:
    rule = parse_rule(text)
    passed, _ = rule.evaluate_many({"a": column})
    assert passed.tolist() == expected
    rows = [{} if isinstance(v, float) and v != v else {"a": v} for v in column.tolist()]
    assert [rule.test(row) for row in rows] == expected


def test_numpy_scalars_compare_exactly_one_subject_at_a_time() -> None:
    rule = parse_rule("a > 9007199254740992.0")
    assert rule.test({"a": np.int64(P53 + 1)})
    assert not rule.test({"a": np.int64(P53)})
    assert parse_rule("a == 9223372036854775807").test({"a": np.uint64(P63 - 1)})
    assert not parse_rule("a == 18446744073709551616").test({"a": np.uint64(2**64 - 1)})


@pytest.mark.parametrize(
    ("ints", "floats", "op", "expected"),
    [
        ([P53 + 1, P53, P53 - 1], [float(P53)] * 3, ">", [True, False, False]),
        ([P63 - 1, -P63], [float(P63), -float(P63)], "<", [True, False]),
        ([P63 - 1, -P63], [float(P63), -float(P63)], "==", [False, True]),
        ([5, 5], [np.nan, 5.5], "!=", [False, True]),
        ([5, 5], [np.nan, 4.5], ">=", [False, True]),
    ],
)
def test_int_and_float_columns_compare_exactly(
    ints: list[int], floats: list[float], op: str, expected: list[bool]
) -> None:
    columns = {"i": np.array(ints, dtype=np.int64), "f": np.array(floats)}
    for text, want in ((f"i {op} f", expected), (f"f {op} i", None)):
        rule = parse_rule(text)
        rows = [{"i": i} | ({} if f != f else {"f": f}) for i, f in zip(ints, floats, strict=True)]
        by_row = [rule.test(row) for row in rows]
        assert rule.evaluate_many(columns)[0].tolist() == by_row
        if want is not None:
            assert by_row == want


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("a == 1", [1, ""]),
        ("a == 1", (1, "x")),
        ("a > 0", [2.5, "x", 1]),
        ("a == 'True'", [True, "True"]),
        ("a == 1", [1, b"x"]),
        ("a in ['x', 1]", ["x", 1, "1"]),
    ],
)
def test_a_list_mixing_texts_and_other_values_compares_as_row_by_row(
        text: str, column: Any) -> None:
    """numpy reads ``[1, 'x']`` as the texts ``['1', 'x']``; a rule on such a column
    must still see the number 1 (as it does one subject at a time)."""
    rule = parse_rule(text)
    passed, _ = rule.evaluate_many({"a": column})
    assert passed.tolist() == [rule.test({"a": v}) for v in column]
    assert passed.any()
