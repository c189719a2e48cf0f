"""Every built-in template: faithful to its source, bilingual, and passing ``check_template``.

The generic laws a template must obey (it rebuilds, round-trips through JSON, a drawn
subject that satisfies every gate walks to WON, an empty subject is refused at every gated
step with each failed check named, labels, journeys, the state machine) are the shipped
:func:`salesfunnel.testing.check_template`, not a second copy of it here.
"""

from __future__ import annotations

import json
import re

import pytest

from salesfunnel import Funnel, StageKind, templates
from salesfunnel.model.rules import parse_rule
from salesfunnel.templates import _registry
from salesfunnel.testing import check_template
from support import at
from template_support import BUILTIN, fields_of

CJK = re.compile(r"[\u4e00-\u9fff]")

# Where each model comes from, as the issue and the source articles name it: words the
# English description must cite.
CITATIONS = {
    "aida": ("Lewis", "1898"),
    "aidma": ("Attention", "Memory"),
    "aida-loyalty": ("five-layer", "loyalty"),
    "tofu-mofu-bofu": ("TOFU", "AIDMA"),
    "influence": ("after a purchase",),
    "lead-funnel": ("re-enter",),
    "crm-pipeline": ("CRM",),
    "decision-journey": ("McKinsey", "2009"),
    "b2b-seven-stage": ("10 %", "90 %"),
    "sales-analysis-five-stage": ("five-stage",),
    "jiandaoyun-seven-stage": ("简道云",),
    "product-operations": ("产品运营",),
}

# Stage sequences from the source articles (main path, then the WON stage's position).
PATHS = {
    "aida": ["awareness", "interest", "desire", "action"],
    "aidma": ["attention", "interest", "desire", "memory", "action"],
    "aida-loyalty": ["awareness", "interest", "desire", "action", "loyalty"],
    "tofu-mofu-bofu": ["tofu", "mofu", "bofu", "purchase"],
    "influence": ["continue", "favour", "share-refer", "spread"],
    "lead-funnel": ["awareness", "consideration", "conversion"],
    "crm-pipeline": ["leads", "follow-ups", "opportunities", "contracts"],
    "decision-journey": ["consider", "evaluate", "buy", "enjoy-advocate-bond"],
    "b2b-seven-stage": ["prospect", "target", "qualified", "shortlisted", "intent",
                        "near-win", "won"],
    "sales-analysis-five-stage": ["reach", "lead", "opportunity", "quote", "deal"],
    "jiandaoyun-seven-stage": ["lead-acquisition", "initial-contact", "needs-analysis",
                               "proposal", "negotiation", "contract", "after-sales"],
    "product-operations": ["acquisition", "activation", "retention", "paying"],
}


def bilingual(labels: object) -> bool:
    text = dict(labels)  # type: ignore[call-overload]
    return (
        bool(text.get("en", "").strip())
        and not CJK.fullmatch(text["en"][:1] or "x")
        and bool(CJK.search(text.get("zh", "")))
    )


def test_every_template_of_the_issue_is_registered() -> None:
    assert set(BUILTIN) <= set(templates.names())
    assert set(PATHS) == set(BUILTIN) == set(CITATIONS)


def test_the_built_ins_are_exactly_the_listed_and_documented_templates() -> None:
    # A template file added to templates/data but not to BUILTIN (so not checked against
    # its source here) or not to the package docstring fails this test.
    builtins = {n for n in templates.names()
                if _registry.REGISTRY.origin(n) == _registry.BUILTIN}
    assert builtins == set(BUILTIN)
    doc = templates.__doc__ or ""
    undocumented = [name for name in BUILTIN if f"``{name}``" not in doc]
    assert not undocumented, f"not listed in the salesfunnel.templates docstring: {undocumented}"


@pytest.mark.parametrize("name", BUILTIN)
def test_template_passes_check_template(name: str) -> None:
    report = check_template(name, max_examples=5)
    funnel = report.funnel
    assert isinstance(funnel, Funnel) and funnel.name == name
    expected = ["builds", "valid", "json round trip", "walkable", "losable",
                "gates stop an empty subject", "labels", "journeys", "state machine"]
    if funnel.cyclic:
        expected.insert(expected.index("losable") + 1, "re-entry")
    assert list(report.passed) == expected
    assert report.notes == (), "every label is bilingual and no gate lets an empty subject in"
    assert report.languages == ("en", "zh")


@pytest.mark.parametrize("name", BUILTIN)
def test_main_path_matches_the_source(name: str) -> None:
    funnel = templates.get(name)
    assert [s.name for s in funnel.path] == PATHS[name]
    assert funnel.won.name == PATHS[name][-1]
    assert all(s.kind is StageKind.LOST for s in funnel.lost)
    assert len(funnel.lost) >= 1, "every built-in template can record a lost deal"


@pytest.mark.parametrize("name", BUILTIN)
def test_json_round_trip_keeps_the_chinese_text(name: str) -> None:
    funnel = templates.get(name)
    text = json.dumps(funnel.to_dict(), ensure_ascii=False)
    again = Funnel.from_dict(json.loads(text))
    assert again.to_dict() == funnel.to_dict()
    assert again.describe("zh") == funnel.describe("zh")


@pytest.mark.parametrize("name", BUILTIN)
def test_get_returns_a_fresh_equal_funnel(name: str) -> None:
    first, second = templates.get(name), templates.get(name)
    assert first is not second
    assert first == second


@pytest.mark.parametrize("name", BUILTIN)
def test_funnel_and_every_stage_have_english_and_chinese_text(name: str) -> None:
    funnel = templates.get(name)
    assert bilingual(funnel.label), funnel.label
    assert bilingual(funnel.description), funnel.description
    for stage in funnel.stages:
        assert bilingual(stage.label), (stage.name, stage.label)
        assert bilingual(stage.description), (stage.name, stage.description)
        for gate in stage.gates:
            assert bilingual(gate.label), (stage.name, gate.name, gate.label)
    zh = funnel.describe("zh")
    for stage in funnel.stages:
        assert stage.label.text("zh") in zh


@pytest.mark.parametrize("name", BUILTIN)
def test_description_cites_the_source(name: str) -> None:
    description = templates.get(name).description
    for word in CITATIONS[name]:
        assert word in description.text("en") or word in description.text("zh"), word


@pytest.mark.parametrize("name", BUILTIN)
def test_actions_and_owners_are_bilingual_where_given(name: str) -> None:
    # Owners and actions give the English and the Chinese of the source separately:
    # no Chinese in the English text, and the Chinese text is Chinese.
    for stage in templates.get(name).stages:
        for text in (*stage.actions, *([stage.owner] if stage.owner else [])):
            assert set(text) == {"en", "zh"}, (stage.name, text)
            assert not CJK.search(text["en"]) and re.search(r"[A-Za-z]", text["en"]), text
            assert CJK.search(text["zh"]), (stage.name, text)
            assert "(" not in text["en"] + text["zh"], (stage.name, text)


@pytest.mark.parametrize("name", BUILTIN)
def test_gates_are_rules_that_serialize(name: str) -> None:
    for stage in templates.get(name).stages:
        for gate in stage.gates:
            assert gate.serializable
            assert gate.rule is not None
            assert parse_rule(gate.rule).fields, gate.rule


@pytest.mark.parametrize("name", BUILTIN)
def test_the_first_stage_is_open_to_any_lead(name: str) -> None:
    # check_template refuses an empty subject at every gated step; in the built-ins
    # the first gate comes after the first stage, so any lead can be entered.
    funnel = templates.get(name)
    assert not funnel.path[0].gates
    assert funnel.start({}, at=at(0)).stage == funnel.path[0].name


@pytest.mark.parametrize("name", BUILTIN)
def test_a_deal_can_be_lost_from_the_first_stage(name: str) -> None:
    funnel = templates.get(name)
    journey = funnel.start({}, at=at(0))
    journey.lose(reason="no interest", at=at(1))
    assert journey.is_lost
    assert journey.stage == funnel.lost[0].name


def test_gated_templates() -> None:
    gated = {n for n in BUILTIN if any(s.gates for s in templates.get(n).stages)}
    assert gated == {"b2b-seven-stage", "crm-pipeline"}


def test_crm_pipeline_gates_follow_the_stage_definitions() -> None:
    funnel = templates.get("crm-pipeline")
    assert fields_of(funnel.stage("follow-ups")) == {"contacted"}
    assert fields_of(funnel.stage("opportunities")) == {"opportunity_confirmed"}
    assert fields_of(funnel.stage("contracts")) == {"contract_signed"}


def test_lead_funnel_is_cyclic_converted_customers_re_enter_at_awareness() -> None:
    funnel = templates.get("lead-funnel")
    assert funnel.cyclic and funnel.reentry == "awareness"
    journey = funnel.start({}, at=at(0))
    journey.advance(at=at(1))
    journey.advance(at=at(2))
    assert journey.is_won
    journey.reenter(at=at(3))
    assert journey.stage == "awareness"
    assert journey.history[-1].kind == "reenter"


def test_decision_journey_loyalty_loop_skips_consideration_and_evaluation() -> None:
    funnel = templates.get("decision-journey")
    assert funnel.moves("enjoy-advocate-bond") == {"buy": "reenter"}
    assert funnel.stage("buy").is_open
    assert funnel.won.name == "enjoy-advocate-bond"
    journey = funnel.start({}, at=at(0))
    for day in (1, 2, 3):
        journey.advance(at=at(day))
    journey.reenter(at=at(4))
    assert journey.stage == "buy"
    journey.advance(at=at(5))
    assert journey.is_won
    visited = [r.to_stage for r in journey.history]
    assert visited.count("consider") == 1 and visited.count("evaluate") == 1


def test_aida_loyalty_repeat_purchases_re_enter_at_action() -> None:
    funnel = templates.get("aida-loyalty")
    assert funnel.reentry == "action"
    assert funnel.won.name == "loyalty"
    assert [s.label.text("zh") for s in funnel.path] == [
        "引入层", "关注层", "意愿层", "行动层", "忠诚度层",
    ]


def test_influence_funnel_is_expanding() -> None:
    funnel = templates.get("influence")
    assert funnel.expanding
    assert [s.label.text("zh") for s in funnel.path] == ["延续", "青睐", "分享/介绍", "传播"]
    assert not templates.get("aida").expanding


def test_tofu_mofu_bofu_keeps_the_aidma_mapping_of_the_article() -> None:
    funnel = templates.get("tofu-mofu-bofu")
    assert "Attention" in funnel.stage("tofu").description.text("zh")
    mofu = funnel.stage("mofu").description.text("zh")
    assert all(word in mofu for word in ("Interest", "Desire", "Memory"))
    assert "Action" in funnel.stage("purchase").description.text("zh")


def test_non_b2b_templates_leave_probabilities_unestimated() -> None:
    for name in BUILTIN:
        if name == "b2b-seven-stage":
            continue
        funnel = templates.get(name)
        assert all(s.probability is None for s in funnel.stages if s.is_open), name
