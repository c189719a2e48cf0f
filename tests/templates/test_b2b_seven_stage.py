"""``b2b-seven-stage`` against the source deck (项目销售漏斗模型 / 漏斗式销售模型).

The tables below are copied from the source text, not from the template: the status
table (漏斗式销售阶段定义) with its probabilities and its checklist questions
(达标检查评估点), the process steps with their owners and main sales actions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from salesfunnel import Funnel, GateFailed, StageKind, templates
from salesfunnel.model.rules import parse_rule
from support import at
from template_support import fields_of, satisfying

# stage, probability, checklist questions (达标检查评估点) in the source's order
STATUS_TABLE = [
    ("prospect", None, []),
    ("target", 0.10, [
        "我们是否已清楚“客户要解决哪些问题”?",
        "客户的需求要求在什么时间内解决?",
        "客户倾向选择我司什么产品?",
        "我们的方案是否有竞争优势?有无竞争对手?有无可替代性方案?我们的方案有无屏蔽性的特点?",
    ]),
    ("qualified", 0.25, [
        "客户最高决策者/机构已讨论通过或签字是否上该项目?",
        "资金预算已到位?大概预算是多少?具体谁出钱?",
    ]),
    ("shortlisted", 0.50, [
        "客户是否承认我们与竞争对手的技术差异优势?",
        "是否对公司(上游厂商)认可?",
        "用和竞争对手形成差异化的技术特点给竞争对手设立技术屏障?",
    ]),
    ("intent", 0.75, [
        "已摸清客户组织结构及决策链?",
        "该项目中已经有我方的教练或枪手?能否得到我们想要的信息?",
        "我们已了解到客户的采购流程和关键点?",
        "我们是否清楚客户背后的渠道关系?",
        "是否已清楚竞争对手的情况?",
        "最高决策者或决策链里的关键人认可我们的合作模式?",
        "客户认可的渠道已经跟我们绑定?",
    ]),
    ("near-win", 0.90, [
        "标书技术参数由我方撰写或引导?",
        "由我们制定评分标准或我们选定集成商?",
        "按评分标准我们已估算出我们和对手的得失分?",
        "我们已拿到评标专家或评标组成员的名单?",
        "我们已中标,渠道已拿到中标通知书?",
    ]),
    # the WON status has no checklist; its definition is 合同签订,收到预付款
    ("won", 1.0, ["合同签订", "收到预付款"]),
]

# stage, process step (销售过程回顾), status name, owner, words of the main sales actions
PROCESS = [
    ("prospect", "定位目标客户群", None, "客户经理", ["收集该客户相关信息", "准备同行业客户案例"]),
    ("target", "发掘潜在的商机", "目标客户", "客户经理", ["上门拜访", "互动交流"]),
    ("qualified", "确认客户意向", "有效客户", "客户经理",
     ["向客户确认问题或其困难点", "提交、讨论并确定解决方案书"]),
    ("shortlisted", "引导客户立项", "入围客户", "项目小组", ["产品测试", "提交测试报告"]),
    ("intent", "赢得客户认可", "意向客户", "项目小组", ["交换商务条款", "商务公关"]),
    ("near-win", "进行商务谈判", "接近赢单客户", "项目小组", ["设定并参与投标"]),
    ("won", "完成销售成交", "赢单客户", "项目小组", ["签定合同", "方案实施"]),
]

DOCS = Path(__file__).resolve().parents[2] / "docs"

# the subject fields the concepts page documents, by stage
DOCUMENTED_FIELDS = {
    "prospect": set(),
    "target": {"problems_understood", "need_deadline", "preferred_product",
               "competition_assessed"},
    "qualified": {"project_approved", "budget_confirmed", "budget_amount", "budget_payer"},
    "shortlisted": {"technical_advantage_acknowledged", "vendor_accepted",
                    "technical_barrier_set"},
    "intent": {"decision_chain_mapped", "coach_in_place", "procurement_process_known",
               "channel_relations_known", "competitors_known", "cooperation_model_accepted",
               "channel_bound"},
    "near-win": {"tender_specs_ours", "scoring_criteria_ours", "scores_estimated",
                 "evaluators_known", "won_bid"},
    "won": {"contract_signed", "prepayment_received"},
}


@pytest.fixture(scope="module")
def b2b() -> Funnel:
    return templates.get("b2b-seven-stage")


def test_seven_stages_then_lost(b2b: Funnel) -> None:
    assert [s.name for s in b2b.path] == [row[0] for row in STATUS_TABLE]
    assert len(b2b.path) == 7
    assert b2b.won.name == "won"
    assert [s.kind for s in b2b.lost] == [StageKind.LOST]
    assert b2b.lost[0].probability == 0.0


@pytest.mark.parametrize(("stage", "probability", "questions"), STATUS_TABLE,
                         ids=[row[0] for row in STATUS_TABLE])
def test_probability_and_checklist_match_the_source(
    b2b: Funnel, stage: str, probability: float | None, questions: list[str]
) -> None:
    s = b2b.stage(stage)
    assert s.probability == probability
    assert len(s.gates) == len(questions)
    assert [g.label.text("zh") for g in s.gates] == questions
    for gate in s.gates:
        assert gate.label.text("en").strip() and gate.label.text("en") != gate.label.text("zh")


def test_probabilities_are_the_funnel_table(b2b: Funnel) -> None:
    estimated = [p for p in b2b.probabilities[: b2b.won_index + 1].tolist() if p == p]
    assert estimated == [0.10, 0.25, 0.50, 0.75, 0.90, 1.0]


def test_twenty_one_checklist_items_in_all(b2b: Funnel) -> None:
    open_gates = sum(len(s.gates) for s in b2b.path if s.is_open)
    assert open_gates == 4 + 2 + 3 + 7 + 5


@pytest.mark.parametrize(("stage", "step", "status", "owner", "actions"), PROCESS,
                         ids=[row[0] for row in PROCESS])
def test_labels_owners_and_actions_match_the_process_table(
    b2b: Funnel, stage: str, step: str, status: str | None, owner: str, actions: list[str]
) -> None:
    s = b2b.stage(stage)
    zh = s.label.text("zh")
    assert step in zh
    if status is not None:
        assert status in zh
    assert s.owner is not None and s.owner.text("zh") == owner
    joined = " ".join(a.text("zh") for a in s.actions)
    for words in actions:
        assert words in joined, words


OWNERS_EN = {"客户经理": "account manager", "项目小组": "project team"}


def test_describe_speaks_one_language_at_a_time(b2b: Funnel) -> None:
    zh = b2b.describe("zh")
    en = b2b.describe("en")
    for row in PROCESS:
        owner, actions = row[3], row[4]
        assert f"负责人: {owner}" in zh
        assert OWNERS_EN[owner] not in zh
        assert f"owner: {OWNERS_EN[owner]}" in en
        assert owner not in en
        for words in actions:
            assert words in zh and words not in en, words
    # actions are printed in the language asked for, one per line
    for stage in b2b.stages:
        for action in stage.actions:
            assert f"       销售动作: {action['zh']}" in zh.splitlines()
            assert f"       action: {action['en']}" in en.splitlines()


@pytest.mark.parametrize("stage", list(DOCUMENTED_FIELDS))
def test_gate_fields_are_the_documented_ones(b2b: Funnel, stage: str) -> None:
    assert fields_of(b2b.stage(stage)) == DOCUMENTED_FIELDS[stage]


def test_documented_fields_appear_in_the_concepts_page() -> None:
    # The template is data (templates/data/b2b-seven-stage.json); its gate fields are
    # documented where users read about the model.
    doc = (DOCS / "concepts" / "b2b-seven-stage.md").read_text(encoding="utf-8")
    for fields in DOCUMENTED_FIELDS.values():
        for field in fields:
            assert f"`{field}`" in doc, field


def gate_cases() -> list[tuple[str, str]]:
    funnel = templates.get("b2b-seven-stage")
    return [(s.name, g.name) for s in funnel.path for g in s.gates]


@pytest.mark.parametrize(("stage", "gate"), gate_cases())
def test_each_checklist_item_alone_can_stop_a_deal(
    b2b: Funnel, stage: str, gate: str
) -> None:
    index = b2b.index(stage)
    rule = next(g.rule for g in b2b.stage(stage).gates if g.name == gate)
    assert rule is not None
    missing = parse_rule(rule).fields
    subject = satisfying(*b2b.path)
    for field in missing:
        del subject[field]
    journey = b2b.start(subject, at=at(0))
    for day in range(1, index):
        journey.advance(at=at(day))
    with pytest.raises(GateFailed) as refused:
        journey.advance(at=at(index))
    failed = refused.value.result.failed
    assert failed, "the refusal names what is missing"
    assert all(f == gate or f.startswith(f"{gate}: ") for f in failed), failed
    # answering the item lets the deal in
    journey.subject.update(dict.fromkeys(missing, True))
    journey.advance(at=at(index))
    assert journey.stage == stage


def test_budget_item_names_the_missing_part(b2b: Funnel) -> None:
    subject = satisfying(*b2b.path[:3])
    del subject["budget_payer"]
    subject["budget_amount"] = 300_000
    journey = b2b.start(subject, at=at(0))
    journey.advance(at=at(1))
    result = journey.can_advance()
    assert not result.passed
    assert result.failed == ("budget: budget_payer is set",)


def test_unanswered_questions_fail_and_no_answer_is_not_yes(b2b: Funnel) -> None:
    target = b2b.stage("target")
    answers = dict.fromkeys(fields_of(target), True)
    answers["problems_understood"] = False
    answers["need_deadline"] = None
    assert set(target.check(answers).failed) == {"problems_understood", "need_deadline"}


def test_describe_in_chinese_lists_every_question_and_owner(b2b: Funnel) -> None:
    text = b2b.describe("zh")
    for _, _, questions in STATUS_TABLE:
        for question in questions:
            assert question in text
    assert "客户经理" in text and "项目小组" in text
    assert "10%" in text and "90%" in text
