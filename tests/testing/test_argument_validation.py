"""Every strategy factory checks its options when it is called: one table of bad calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis.errors import InvalidArgument

from salesfunnel import Funnel, Gate, Stage
from salesfunnel.testing import (
    exclusions,
    funnel_steps,
    funnels,
    gate_subjects,
    gates,
    journeys,
    product_event_logs,
    rules,
    stages,
    subjects,
)

SMALL = Funnel("small", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
GATED = Funnel("gated", [Stage("lead"), Stage("won", kind="won", gates="signed")])

BAD: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
    (funnels, {"min_stages": 1},
     r"The 'min_stages' parameter must be an integer in \[2, 40\]; got 1\."),
    (funnels, {"min_stages": 2.0},
     r"The 'min_stages' parameter must be an integer in \[2, 40\]; got 2\.0\."),
    (funnels, {"min_stages": True}, r"The 'min_stages' parameter "
                                    r"must be an integer in .*; got True\."),
    (funnels, {"max_stages": 41},
     r"The 'max_stages' parameter must be an integer in \[2, 40\]; got 41\."),
    (funnels, {"min_stages": 5, "max_stages": 3}, r"min_stages=5 must not exceed max_stages=3"),
    (funnels, {"cyclic": "yes"},
     r"The 'cyclic' parameter must be True, False or None; got 'yes'\."),
    (funnels, {"expanding": 1}, r"The 'expanding' parameter must be True, False or None; got 1\."),
    (funnels, {"with_gates": "no"},
     r"The 'with_gates' parameter must be True, False or None; got 'no'\."),
    (funnels, {"skip_ahead": 0},
     r"The 'skip_ahead' parameter must be True, False or None; got 0\."),
    (funnels, {"fall_back": []},
     r"The 'fall_back' parameter must be True, False or None; got \[\]\."),
    (funnels, {"transitions": "x"},
     r"The 'transitions' parameter must be True, False or None; got 'x'\."),
    (funnels, {"fields": "budget"},
     r"The 'fields' parameter must be a sequence of field names such as \['budget', "
     r"'contact\.email'\]; got 'budget'\."),
    (funnels, {"fields": []},
     r"The 'fields' parameter must be a sequence that names at least one field; got "
     r"\[\]\."),
    (funnels, {"fields": ["_secret"]},
     r"The 'fields' parameter must be field names; '_secret' is not a field name "
     r"\(letters, digits and '_', starting with a letter; dots between parts\); got "
     r"\['_secret'\]\."),
    (funnels, {"fields": ["a.in"]},
     r"The 'fields' parameter must be field names; 'a\.in' contains 'in', which is a "
     r"keyword of the rule language; got \['a\.in'\]\."),
    (funnels, {"fields": ["a", "a"]},
     r"The 'fields' parameter must be field names without repeats \(one is listed more "
     r"than once\); got \['a', 'a'\]\."),
    (rules, {"max_leaves": 0},
     r"The 'max_leaves' parameter must be an integer in \[1, 32\]; got 0\."),
    (rules, {"max_leaves": 33},
     r"The 'max_leaves' parameter must be an integer in \[1, 32\]; got 33\."),
    (rules, {"satisfied_by": ["budget"]}, r"satisfied_by=\['budget'\] must be a mapping"),
    (gates, {"composite": "maybe"},
     r"The 'composite' parameter must be True, False or None; got 'maybe'\."),
    (gates, {"max_leaves": "3"},
     r"The 'max_leaves' parameter must be an integer in \[1, 32\]; got '3'\."),
    (stages, {"name": "Not A Slug"}, r"name='Not A Slug' must be a slug"),
    (stages, {"kind": "pending"}, r"kind='pending' must be None, a StageKind"),
    (stages, {"with_gates": "sometimes"},
     r"The 'with_gates' parameter must be True, False or None; got 'sometimes'\."),
    (journeys, {"funnel": "small"},
     r"The 'funnel' parameter must be a salesfunnel\.Funnel; got 'small'\."),
    (journeys, {"funnel": SMALL, "max_steps": -1},
     r"The 'max_steps' parameter must be an integer in \[0, 1000\]; got -1\."),
    (subjects, {"funnel": None},
     r"The 'funnel' parameter must be a salesfunnel\.Funnel; got None\."),
    (subjects, {"funnel": SMALL, "satisfying": "wno"},

     r"The 'satisfying' parameter must be a stage of funnel 'small', one of 'won', "
     r"'lost', 'lead'; got 'wno'\."),
    (subjects, {"funnel": SMALL, "failing": True}, r"failing=True needs satisfying="),
    (subjects, {"funnel": SMALL, "satisfying": "won", "failing": True},
     r"no gate guards the way into stage 'won'"),
    (subjects, {"funnel": SMALL, "satisfying": "won", "failing": "yes"},
     r"The 'failing' parameter must be True or False; got 'yes'\."),
    (gate_subjects, {"gate": 42}, r"gate=42 must be a Gate, a rule string"),
    (gate_subjects, {"gate": Gate("x"), "passing": "no"},
     r"The 'passing' parameter must be True, False or None; got 'no'\."),
    (gate_subjects, {"gate": Stage("open"), "passing": False}, r"has no gates"),
    (product_event_logs, {"max_entities": 0},
     r"The 'max_entities' parameter must be an integer >= 1; got 0\."),
    (product_event_logs, {"events": "view"}, r"events='view' must be a non-empty sequence"),
    (funnel_steps, {"min_steps": 3, "max_steps": 2},
     r"The 'max_steps' parameter must be an integer >= 3; got 2\."),
    (funnel_steps, {"max_steps": 33}, r"max_steps=33 must be at most 32"),
    (exclusions, {"n_steps": 0}, r"The 'n_steps' parameter must be an integer >= 1; got 0\."),
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
