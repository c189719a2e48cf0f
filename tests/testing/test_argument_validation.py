"""Every strategy factory checks its options when it is called: one table of bad calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis.errors import InvalidArgument

from salesfunnel import Funnel, Gate, Stage
from salesfunnel.testing import (
    funnels,
    gate_subjects,
    gates,
    journeys,
    rules,
    stages,
    subjects,
)

SMALL = Funnel("small", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
GATED = Funnel("gated", [Stage("lead"), Stage("won", kind="won", gates="signed")])

BAD: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
    (funnels, {"min_stages": 1}, r"min_stages=1 must be at least 2"),
    (funnels, {"min_stages": 2.0}, r"min_stages=2.0 must be an int"),
    (funnels, {"min_stages": True}, r"must be an int"),
    (funnels, {"max_stages": 41}, r"max_stages=41 must be at most 40"),
    (funnels, {"min_stages": 5, "max_stages": 3}, r"min_stages=5 must not exceed max_stages=3"),
    (funnels, {"cyclic": "yes"}, r"cyclic='yes' must be True, False or None"),
    (funnels, {"expanding": 1}, r"expanding=1 must be True, False or None"),
    (funnels, {"with_gates": "no"}, r"with_gates="),
    (funnels, {"skip_ahead": 0}, r"skip_ahead=0"),
    (funnels, {"fall_back": []}, r"fall_back=\[\]"),
    (funnels, {"transitions": "x"}, r"transitions='x'"),
    (funnels, {"fields": "budget"}, r"fields='budget' must be a sequence of field names"),
    (funnels, {"fields": []}, r"must name at least one field"),
    (funnels, {"fields": ["_secret"]}, r"'_secret', which is not a field name"),
    (funnels, {"fields": ["a.in"]}, r"'in' is a keyword"),
    (funnels, {"fields": ["a", "a"]}, r"lists a field more than once"),
    (rules, {"max_leaves": 0}, r"max_leaves=0 must be at least 1"),
    (rules, {"max_leaves": 33}, r"max_leaves=33 must be at most 32"),
    (rules, {"satisfied_by": ["budget"]}, r"satisfied_by=\['budget'\] must be a mapping"),
    (gates, {"composite": "maybe"}, r"composite='maybe'"),
    (gates, {"max_leaves": "3"}, r"max_leaves='3' must be an int"),
    (stages, {"name": "Not A Slug"}, r"name='Not A Slug' must be a slug"),
    (stages, {"kind": "pending"}, r"kind='pending' must be None, a StageKind"),
    (stages, {"with_gates": "sometimes"}, r"with_gates='sometimes'"),
    (journeys, {"funnel": "small"}, r"funnel must be a salesfunnel.Funnel; got str"),
    (journeys, {"funnel": SMALL, "max_steps": -1}, r"max_steps=-1 must be at least 0"),
    (subjects, {"funnel": None}, r"funnel must be a salesfunnel.Funnel; got NoneType"),
    (subjects, {"funnel": SMALL, "satisfying": "wno"},
     r"satisfying='wno' is not a stage of funnel 'small'; expected one of: 'won'"),
    (subjects, {"funnel": SMALL, "failing": True}, r"failing=True needs satisfying="),
    (subjects, {"funnel": SMALL, "satisfying": "won", "failing": True},
     r"no gate guards the way into stage 'won'"),
    (subjects, {"funnel": SMALL, "satisfying": "won", "failing": "yes"},
     r"failing='yes' must be True or False"),
    (gate_subjects, {"gate": 42}, r"gate=42 must be a Gate, a rule string"),
    (gate_subjects, {"gate": Gate("x"), "passing": "no"}, r"passing='no'"),
    (gate_subjects, {"gate": Stage("open"), "passing": False}, r"has no gates"),
]


@pytest.mark.parametrize(
    ("factory", "kwargs", "message"), BAD,
    ids=[f"{f.__name__}-{'-'.join(map(str, k))}" for f, k, _ in BAD],
)
def test_bad_arguments_raise_invalid_argument_when_called(
    factory: Callable[..., Any], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        factory(**kwargs)


def test_good_arguments_are_accepted() -> None:
    funnels(min_stages=3, max_stages=3, cyclic=True, expanding=False, fields=["a", "b.c"])
    subjects(GATED, satisfying=GATED.stage("won"), failing=True)
    gate_subjects("budget > 1", passing=True)
    stages(kind="lost", name="lost", with_gates=False)
