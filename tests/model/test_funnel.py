"""Funnel definitions: validation, transition policy, serialisation."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from salesfunnel import (
    DefinitionError,
    Funnel,
    Gate,
    InvalidParameterError,
    Stage,
    StageKind,
    Transition,
)


def simple(**kw: object) -> Funnel:
    return Funnel(
        "simple",
        [Stage("a", probability=0.1), Stage("b", probability=0.5), Stage("won", kind="won"),
         Stage("lost", kind="lost")],
        **kw,  # type: ignore[arg-type]
    )


def test_terminal_probabilities_are_filled_in() -> None:
    f = simple()
    assert f.won.probability == 1.0
    assert f.lost[0].probability == 0.0
    assert f.won_index == 2
    assert [s.name for s in f.path] == ["a", "b", "won"]
    np.testing.assert_array_equal(f.probabilities, [0.1, 0.5, 1.0, 0.0])


def test_default_policy_is_advance_and_lose() -> None:
    f = simple()
    assert f.allowed("a") == ("b", "lost")
    assert f.allowed("b") == ("won", "lost")
    assert f.allowed("won") == ()
    assert f.allowed("lost") == ()
    assert f.moves("a") == {"b": "advance", "lost": "lose"}


def test_flags_add_skip_fall_back_and_reentry() -> None:
    f = simple(skip_ahead=True, fall_back=True, reentry="b")
    assert f.moves("a") == {"b": "advance", "won": "skip", "lost": "lose"}
    assert f.moves("b") == {"a": "fall_back", "won": "advance", "lost": "lose"}
    assert f.moves("won") == {"b": "reenter"}
    assert f.cyclic


def test_explicit_transition_reopens_a_lost_deal_with_its_own_gate() -> None:
    f = simple(transitions=[Transition("lost", "a", gates="reopened_by is set")])
    assert f.allowed("lost") == ("a",)
    gates = f.gates_for("lost", "a")
    assert [g.rule for g in gates] == ["reopened_by is set"]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(DefinitionError) as info:
        Funnel(
            "Bad Name",
            [
                Stage("a", probability=0.5),
                Stage("a", probability=0.2),
                Stage("won", kind="won"),
                Stage("won2", kind="won"),
            ],
            reentry="nowhere",
        )
    text = "\n".join(info.value.problems)
    assert "not a slug" in text
    assert "'a' is listed more than once" in text
    assert "exactly one WON stage; got 2" in text
    assert "probability decreases" in text
    assert "reentry stage 'nowhere'" in text
    assert len(info.value.problems) >= 5
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("stages", "kwargs", "expected"),
    [
        ([Stage("won", kind="won")], {}, "at least one OPEN stage"),
        ([Stage("a"), Stage("lost", kind="lost")], {}, "exactly one WON stage; got 0"),
        ([Stage("a"), Stage("lost", kind="lost"), Stage("won", kind="won")], {},
         "expected open stages, then the WON stage, then LOST stages"),
        ([Stage("a"), Stage("won", kind="won"), Stage("lost", kind="lost")],
         {"can_lose": False}, "stage 'lost' cannot be reached"),
        ([Stage("a"), Stage("won", kind="won")], {"transitions": [("a", "zzz")]},
         "target 'zzz' is not a stage"),
        ([Stage("a"), Stage("won", kind="won")], {"reentry": "won"},
         "must be an OPEN stage"),
        ([Stage("a", probability=0.9), Stage("b", probability=0.2), Stage("won", kind="won")],
         {}, "'a' has 0.9 but later stage 'b' has 0.2"),
    ],
)
def test_definition_problems(stages: list[Stage], kwargs: dict[str, object],
                             expected: str) -> None:
    with pytest.raises(DefinitionError, match=expected):
        Funnel("f", stages, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"name": "Bad"}, "not a slug"),
        ({"name": "a", "probability": 1.5}, r"expected a value in \[0, 1\]"),
        ({"name": "a", "probability": -0.1}, r"expected a value in \[0, 1\]"),
        ({"name": "a", "probability": "high"}, "must be a number"),
        ({"name": "a", "kind": "maybe"}, "one of 'open', 'won', 'lost'"),
        ({"name": "w", "kind": "won", "probability": 0.5}, "expected 1"),
        ({"name": "l", "kind": "lost", "probability": 0.5}, "expected 0"),
        ({"name": "a", "gates": 42}, "rule strings or callables"),
    ],
)
def test_stage_problems(kwargs: dict[str, object], expected: str) -> None:
    with pytest.raises(DefinitionError, match=expected):
        Stage(**kwargs)  # type: ignore[arg-type]


def test_unknown_stage_names_the_closest_first() -> None:
    f = simple()
    with pytest.raises(InvalidParameterError, match=r"no stage 'wno'; expected one of: 'won'"):
        f.index("wno")


def test_round_trip_through_json_is_exact() -> None:
    f = Funnel(
        "rt",
        [
            Stage("a", label={"en": "A", "zh": "甲"}, probability=0.1, owner="rep",
                  actions=["call"], description="first", gates=Gate("x > 1", name="big")),
            Stage("b", probability=0.4, gates=["y is set", Gate("z") | ~Gate("w")]),
            Stage("won", kind="won"),
            Stage("lost", kind="lost"),
        ],
        skip_ahead=True, fall_back=True, reentry="b", expanding=True,
        transitions=[Transition("lost", "a", gates="reopen")],
        label={"en": "Round trip", "zh": "往返"}, description="d",
    )
    data = json.loads(json.dumps(f.to_dict()))
    assert Funnel.from_dict(data) == f
    assert Funnel.from_dict(data).to_dict() == data


def test_callable_gates_serialise_by_reference() -> None:
    def credit_ok(subject: dict[str, object]) -> bool:
        return bool(subject.get("credit"))

    f = Funnel("c", [Stage("a"), Stage("b", gates=credit_ok), Stage("won", kind="won")])
    data = f.to_dict()
    assert data["stages"][1]["gates"] == [{"ref": "credit_ok"}]
    with pytest.raises(DefinitionError, match="'credit_ok' is not among the gates"):
        Funnel.from_dict(data)
    assert Funnel.from_dict(data, gates={"credit_ok": credit_ok}) == f


def test_from_dict_reports_every_problem() -> None:
    data = {
        "name": "x",
        "colour": "red",
        "stages": [{"name": "a", "probability": 3}, {"name": "Won", "kind": "won"}],
    }
    with pytest.raises(DefinitionError) as info:
        Funnel.from_dict(data)
    assert len(info.value.problems) == 3


def test_describe_lists_stages_and_gates_in_two_languages() -> None:
    f = Funnel("d", [
        Stage("a", label={"en": "Target", "zh": "目标客户"}, probability=0.1, owner="客户经理",
              gates=Gate("visited", label={"en": "Visited once", "zh": "拜访过一次"})),
        Stage("won", kind="won", label={"en": "Won", "zh": "赢单"}),
    ])
    en = f.describe()
    zh = f.describe(lang="zh")
    assert "Target  10.0%  owner: 客户经理" in en
    assert "gate: Visited once [visited]" in en
    assert "目标客户" in zh and "拜访过一次" in zh and "负责人" in zh


def test_describe_prints_owner_and_actions_in_the_language_asked_for() -> None:
    f = Funnel("d", [
        Stage("a", owner={"en": "account manager", "zh": "客户经理"},
              actions=[{"en": "Visit", "zh": "上门拜访"}, "Call"]),
        Stage("won", kind="won"),
    ])
    en = f.describe().splitlines()
    zh = f.describe(lang="zh").splitlines()
    assert "  1. a  —  owner: account manager" in en
    assert "  1. a  —  负责人: 客户经理" in zh
    assert "       action: Visit" in en and "       销售动作: 上门拜访" in zh
    # English-only text falls back to English in every language
    assert "       action: Call" in en and "       销售动作: Call" in zh
    assert "客户经理" not in "\n".join(en) and "上门拜访" not in "\n".join(en)
    assert "account manager" not in "\n".join(zh) and "Visit" not in "\n".join(zh)


def test_bilingual_owner_and_actions_round_trip_through_json() -> None:
    stage = Stage(
        "target",
        owner={"en": "account manager", "zh": "客户经理"},
        actions=[{"en": "Visit", "zh": "上门拜访"}, "Call", {"zh": "互动交流"}],
    )
    data = json.loads(json.dumps(stage.to_dict()))
    # English-only text keeps the plain-string JSON shape; other text is a mapping
    assert data["owner"] == {"en": "account manager", "zh": "客户经理"}
    assert data["actions"] == [{"en": "Visit", "zh": "上门拜访"}, "Call", {"zh": "互动交流"}]
    again = Stage.from_dict(data)
    assert again == stage and hash(again) == hash(stage)
    assert again.to_dict() == data
    assert again.owner is not None and again.owner.text("zh") == "客户经理"
    assert [a.text("zh") for a in again.actions] == ["上门拜访", "Call", "互动交流"]


def test_plain_string_owner_and_actions_keep_their_json_shape() -> None:
    stage = Stage("a", owner="SDR", actions=["call", "demo"])
    assert stage.owner == {"en": "SDR"}
    assert stage.actions == ({"en": "call"}, {"en": "demo"})
    data = stage.to_dict()
    assert data["owner"] == "SDR" and data["actions"] == ["call", "demo"]
    assert Stage.from_dict(data) == stage


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"owner": None}, None),
        ({"owner": ""}, None),
        ({"actions": "call"}, ({"en": "call"},)),
        ({"actions": {"en": "call", "zh": "打电话"}}, ({"en": "call", "zh": "打电话"},)),
        ({"actions": None}, ()),
    ],
)
def test_owner_and_actions_normalise(kw: dict[str, Any], expected: object) -> None:
    stage = Stage("a", **kw)
    assert getattr(stage, next(iter(kw))) == expected


@pytest.mark.parametrize(
    ("kw", "words", "bad"),
    [
        ({"owner": 5}, "owner is a string or a mapping", "5"),
        ({"owner": {"en": 5}}, "owner is a string or a mapping", "{'en': 5}"),
        ({"actions": ["call", 7]}, "an action is a string or a mapping", "int 7"),
        ({"actions": 7}, "an action is a string or a mapping", "int 7"),
    ],
)
def test_bad_owner_or_action_is_a_definition_error(
    kw: dict[str, Any], words: str, bad: str
) -> None:
    with pytest.raises(DefinitionError, match=words) as info:
        Stage("a", **kw)
    assert bad in str(info.value)


def test_stage_is_frozen_and_hashable_with_bilingual_text() -> None:
    stage = Stage("a", owner={"en": "rep", "zh": "销售"}, actions=[{"en": "x", "zh": "甲"}])
    assert len({stage, Stage("a", owner={"en": "rep", "zh": "销售"},
                             actions=[{"en": "x", "zh": "甲"}])}) == 1
    assert stage != Stage("a", owner={"en": "rep", "zh": "代表"}, actions=[{"en": "x", "zh": "甲"}])
    with pytest.raises(AttributeError):
        stage.owner = None  # type: ignore[misc]


def test_stage_kind_accepts_strings() -> None:
    assert Stage("w", kind="WON").kind is StageKind.WON


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: Funnel("x", None), "stages must be a sequence of Stage objects or names; got "
                                    "NoneType None"),
        (lambda: Funnel("x", 5), "stages must be a sequence .* got int 5"),
        (lambda: simple(transitions=5), "transitions must be a sequence .* got int 5"),
        (lambda: simple(transitions=["ab"]), r"\(source, target\) pairs; got 'ab'"),
        (lambda: simple(transitions=[(1, "a")]), "source 1 is not a stage"),
        (lambda: simple(transitions=[(["a"], "b")]), r"source \['a'\] is not a stage"),
        (lambda: simple(reentry=["a"]), r"reentry stage \['a'\] is not a stage"),
        (lambda: simple(skip_ahead="no"), "skip_ahead must be True or False; got 'no'"),
        (lambda: simple(can_lose=None), "can_lose must be True or False; got None"),
        (lambda: Stage("a", gates={"rule": "x > 1"}), "load a serialized gate with "
                                                      "Gate.from_dict"),
    ],
)
def test_bad_arguments_raise_definition_errors(build: Any, expected: str) -> None:
    with pytest.raises(DefinitionError, match=expected):
        build()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"stages": 5}, "'stages' must be a list; got int 5"),
        ({"transitions": 3}, "'transitions' must be a list; got int 3"),
        ({"transitions": ["a->b"]}, "bad transition 'a->b': expected a mapping"),
        ({"transitions": [{"source": "a", "target": "b", "gates": "x"}]},
         "'gates' must be a list; got str 'x'"),
        ({"can_lose": "false"}, "can_lose must be True or False; got 'false'"),
        ({"label": 5}, "a label is a string or a mapping"),
    ],
)
def test_from_dict_refuses_malformed_data_with_definition_errors(
    change: dict[str, Any], expected: str
) -> None:
    data = {**simple().to_dict(), **change}
    with pytest.raises(DefinitionError, match=expected):
        Funnel.from_dict(data)


def test_from_dict_collects_rule_and_label_errors_with_the_rest() -> None:
    data = simple().to_dict()
    data["stages"][0]["gates"] = [{"rule": "budget >"}]
    data["stages"][1]["label"] = 5
    data["stages"][2]["kind"] = "maybe"
    with pytest.raises(DefinitionError) as info:
        Funnel.from_dict(data)
    problems = info.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("stage 0 ('a'): expected a value after '>'")
    assert problems[1].startswith("stage 1 ('b'): a label is a string or a mapping")
    assert "stage kind must be one of 'open', 'won', 'lost'; got 'maybe'" in problems[2]


def test_one_stage_lists_all_its_problems() -> None:
    with pytest.raises(DefinitionError) as info:
        Stage("Bad", probability="high", kind="maybe")  # type: ignore[arg-type]
    text = "\n".join(info.value.problems)
    assert "not a slug" in text
    assert "one of 'open', 'won', 'lost'; got 'maybe'" in text
    assert "must be a number in [0, 1] or None; got 'high'" in text


def test_from_dict_lists_stage_and_funnel_problems_together() -> None:
    data = {
        "name": "x",
        "stages": [
            {"name": "a", "probability": 3},
            {"name": "a"},
            {"name": "won", "kind": "won"},
            {"name": "b"},
        ],
    }
    with pytest.raises(DefinitionError) as info:
        Funnel.from_dict(data)
    text = "\n".join(info.value.problems)
    assert "probability of stage 'a' is 3.0" in text  # a stage's own problem
    assert "'a' is listed more than once" in text  # a funnel-wide problem
    assert "stage 'b' (open) comes after 'won'" in text


def test_closest_ignores_case() -> None:
    from salesfunnel._util._suggest import closest

    assert closest("AIDA", ["tofu-mofu-bofu", "aidma", "aida"])[0] == "aida"
    assert closest("x", []) == []


def test_equal_labels_hash_equal_whatever_the_key_order() -> None:
    """Regression: the hash followed insertion order while equality did not."""
    from salesfunnel import Labels

    a = Labels({"en": "Qualified", "zh": "有效客户"})
    b = Labels({"zh": "有效客户", "en": "Qualified"})
    assert a == b and hash(a) == hash(b)
    s1 = Stage("qualified", label={"en": "Qualified", "zh": "有效客户"})
    s2 = Stage("qualified", label={"zh": "有效客户", "en": "Qualified"})
    assert s1 == s2 and hash(s1) == hash(s2)
    assert len({s1, s2}) == 1
