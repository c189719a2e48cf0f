"""check_template passes every built-in template and names the check a bad one fails."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from salesfunnel import (
    Funnel,
    InvalidParameterError,
    Stage,
    Transition,
    UnknownTemplateError,
    templates,
)
from salesfunnel.testing import TemplateCheck, check_template


def labelled(name: str, **kwargs: Any) -> Stage:
    return Stage(name, label={"en": name.title(), "zh": "阶段"}, **kwargs)


def good() -> Funnel:
    return Funnel(
        "good",
        [labelled("lead"), labelled("demo", gates="contact is set and budget >= 5000"),
         labelled("won", kind="won", gates="signed"), labelled("lost", kind="lost")],
        label={"en": "Good", "zh": "好"}, reentry="demo",
    )


@pytest.mark.parametrize("name", templates.names())
def test_every_built_in_template_passes(name: str) -> None:
    report = check_template(name, max_examples=5)
    assert report.template == name
    assert report.funnel == templates.get(name)
    assert {"builds", "valid", "json round trip", "walkable", "labels",
            "state machine"} <= set(report.passed)
    assert report.languages == ("en", "zh")


def test_a_factory_a_funnel_and_a_name_are_accepted() -> None:
    by_factory = check_template(good, max_examples=5)
    assert isinstance(by_factory, TemplateCheck)
    assert by_factory.template == "good"
    assert "re-entry" in by_factory.passed and "losable" in by_factory.passed
    assert by_factory.notes == ()
    assert repr(by_factory) == ("<TemplateCheck 'good': 10 checks passed, 0 notes, "
                                "labels in en, zh>")
    assert str(by_factory).splitlines()[0] == "check_template('good'): every check passed"
    assert check_template(good(), max_examples=3).passed == by_factory.passed


def test_notes_report_missing_chinese_and_lenient_gates() -> None:
    funnel = Funnel("lenient", [Stage("lead", label="Lead"),
                                Stage("demo", label="Demo", gates="not blacklisted"),
                                Stage("won", label="Won", kind="won")], label="Lenient")
    report = check_template(funnel, max_examples=3)
    assert report.languages == ("en",)
    assert "no Chinese (zh) label on: the funnel, stage 'lead', stage 'demo', stage 'won'" in (
        report.notes)
    assert "an empty subject passes the gates of 'demo'" in report.notes


def test_callable_gates_are_noted_and_round_trip_by_name() -> None:
    def credit_ok(deal: Any) -> bool:
        return bool(deal.get("credit", 0) > 600)

    funnel = Funnel("cb", [Stage("lead", label="Lead"),
                           Stage("won", label="Won", kind="won", gates=credit_ok)],
                    label="Callable")
    with pytest.raises(AssertionError, match=r"check 'walkable' failed: .*pass subject="):
        check_template(funnel, max_examples=3)
    report = check_template(funnel, max_examples=3, subject={"credit": 700})
    assert any("credit_ok" in note for note in report.notes)
    refused = r"check 'walkable' failed: subject \{'credit': 10\} was refused"
    with pytest.raises(AssertionError, match=refused):
        check_template(funnel, max_examples=3, subject={"credit": 10})


class NotJsonSafe(Funnel):
    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["label"] = {"en": {"not", "json"}}
        return data


COUNTER = itertools.count()


BAD: list[tuple[Any, str]] = [
    (lambda: "aida", r"check 'builds' failed: the factory returned str 'aida'"),
    (lambda: Funnel(f"f{next(COUNTER)}", ["a", Stage("won", kind="won")], label="F"),
     r"check 'builds' failed: two calls of the factory build different funnels"),
    (NotJsonSafe("x", ["a", Stage("won", kind="won")], label="X"),
     r"check 'json round trip' failed: to_dict\(\) is not JSON-safe"),
    (Funnel("x", ["a", Stage("won", kind="won", gates="n > 5 and n < 2")], label="X"),
     r"check 'walkable' failed: no subject found that passes every gate on the way to 'won'"),
    (Funnel("x", ["a", Stage("won", kind="won"), Stage("lost", kind="lost",
                                                       gates="r == 1 and r == 2")], label="X"),
     r"check 'losable' failed: no subject passes the gates of LOST stage 'lost'"),
    (Funnel("x", ["a", "b", Stage("won", kind="won")], reentry="b", label="X",
            transitions=[Transition("won", "b", gates="again and not again")]),
     r"check 're-entry' failed: a won journey cannot re-enter at 'b'"),
    (Funnel("x", ["a", Stage("won", kind="won")]),
     r"check 'labels' failed: no English \(en\) label on: the funnel"),
    (Funnel("x", [Stage("a", label={"zh": "甲"}), Stage("won", kind="won")], label="X"),
     r"check 'labels' failed: no English \(en\) label on: stage 'a'"),
]


@pytest.mark.parametrize(("template", "message"), BAD)
def test_each_failed_check_is_named(template: Any, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_template(template, max_examples=3)


def test_every_failed_check_is_listed_at_once() -> None:
    funnel = Funnel("x", [Stage("a", label={"zh": "甲"}),
                          Stage("won", kind="won", gates="n > 5 and n < 2")])
    with pytest.raises(AssertionError) as info:
        check_template(funnel, max_examples=3)
    lines = str(info.value).splitlines()
    assert lines[0] == "check_template(x): 2 checks failed:"
    assert lines[1].startswith("  - 'walkable': no subject found")
    assert lines[2] == "  - 'labels': no English (en) label on: the funnel, stage 'a'"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: check_template(42), InvalidParameterError, r"takes a Funnel, a template "
                                                             r"factory .*; got int 42"),
        (lambda: check_template("aida", max_examples=0), InvalidParameterError,
         r"max_examples must be an int from 1 to 1000; got 0"),
        (lambda: check_template("aidaa"), UnknownTemplateError, r"unknown template 'aidaa'"),
        (lambda: check_template("aida", subject=[1]), InvalidParameterError,
         r"subject must be a mapping"),
    ],
)
def test_bad_arguments(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()
