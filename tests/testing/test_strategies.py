"""The strategies generate valid objects, honour their options, and cover the model."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from salesfunnel import (
    Funnel,
    Gate,
    GateFailed,
    Journey,
    Stage,
    StageKind,
    templates,
)
from salesfunnel.model._stage import SLUG, match_key
from salesfunnel.model.rules import parse_rule
from salesfunnel.testing import (
    DEFAULT_FIELDS,
    assert_journey_invariants,
    funnels,
    gate_subjects,
    gates,
    journeys,
    rules,
    stage_names,
    stages,
    subjects,
)
from salesfunnel.testing._strategies import _alias_options

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = "2026-01-05T09:00:00+00:00"


def json_round_trip(data: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(data))
    return loaded


def walk_to(funnel: Funnel, subject: Any, stage: str) -> Journey:
    """Advance along the main path (or lose from the first stage) without force."""
    journey = funnel.start(subject, at=T0)
    if funnel.stage(stage).kind is StageKind.LOST:
        return journey.lose("test", to=stage, at=T0)
    while journey.stage != stage:
        journey.advance(at=T0)
    return journey


# -- rules and gates --------------------------------------------------------------------------


@FAST
@given(rules(max_leaves=8))
def test_rules_parse(text: str) -> None:
    rule = parse_rule(text)
    assert rule.fields <= set(DEFAULT_FIELDS) | {"contact", "company"}


@FAST
@given(st.data())
def test_rules_satisfied_by_a_subject_are_true_for_it(data: st.DataObject) -> None:
    deal = {"budget": 12000, "owner": None, "tags": ["vip"], "region": "emea"}
    text = data.draw(rules(fields=["budget", "owner", "tags", "region", "x.y"],
                           satisfied_by=deal, max_leaves=6))
    assert parse_rule(text).test(deal), text


def features_seen(strategy: st.SearchStrategy[Any], features: dict[str, Any],
                  n: int = 300) -> set[str]:
    """Names of the ``features`` (predicates) that ``n`` drawn examples show."""
    seen: set[str] = set()

    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None,
              derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(example: Any) -> None:
        seen.update(name for name, feature in features.items() if feature(example))

    run()
    return seen


def assert_covers(strategy: st.SearchStrategy[Any], features: dict[str, Any],
                  n: int = 300) -> None:
    missing = sorted(set(features) - features_seen(strategy, features, n))
    assert not missing, f"never generated: {missing}"


def test_rules_cover_the_grammar() -> None:
    fields = ["a", "b", "c.d"]
    pairs = {f"{x} {op} {y}" for x in fields for y in fields
             for op in ("==", "!=", "<", "<=", ">", ">=")}
    features: dict[str, Any] = {
        word: (lambda text, word=word: word in text)
        for word in (" == ", " != ", " < ", " <= ", " > ", " >= ", " in [", " not in [",
                     " is set", " is not set", "not ", " and ", " or ", "(", "'", "true",
                     "false", "c.d", "in '", "' in ", "\\\\", "\\'", " in []")
    }
    features["literal on the left"] = lambda text: text[0] in "-0123456789'\"tf"
    features["field against field"] = lambda text: any(p in text for p in pairs)
    features["float"] = lambda text: any(c.isdigit() for c in text) and "." in text.replace(
        "c.d", "")
    features["negative"] = lambda text: " -" in text or "[-" in text
    assert_covers(rules(fields=fields, max_leaves=5), features, n=400)
    assert_covers(rules(fields=fields, max_leaves=5).map(parse_rule),
                  {"parses": lambda rule: True}, n=50)


@FAST
@given(gates(max_leaves=4))
def test_gates_serialize(gate: Gate) -> None:
    assert Gate.from_dict(json_round_trip(gate.to_dict())) == gate


@FAST
@given(gates(composite=True), st.data())
def test_composite_gates_compose(gate: Gate, data: st.DataObject) -> None:
    assert gate._kind in ("all", "any", "not")
    subject = data.draw(gate_subjects(gate))
    assert gate.evaluate(subject).passed == gate(subject)


@FAST
@given(gates(composite=False))
def test_single_gates_are_rules(gate: Gate) -> None:
    assert gate.rule is not None


# -- stages -----------------------------------------------------------------------------------


@FAST
@given(stage_names())
def test_stage_names_are_slugs(name: str) -> None:
    assert SLUG.match(name)


@FAST
@given(stages())
def test_stages_round_trip(stage: Stage) -> None:
    assert Stage.from_dict(json_round_trip(stage.to_dict())) == stage


@pytest.mark.parametrize("kind", list(StageKind))
def test_stages_honour_kind_name_and_gates(kind: StageKind) -> None:
    @FAST
    @given(stages(kind=kind.value, name="fixed", with_gates=True))
    def check(stage: Stage) -> None:
        assert (stage.kind, stage.name) == (kind, "fixed")
        assert stage.gates
        expected = {StageKind.WON: 1.0, StageKind.LOST: 0.0}.get(kind)
        if expected is not None:
            assert stage.probability == expected

    check()


@FAST
@given(stages(with_gates=False))
def test_stages_without_gates(stage: Stage) -> None:
    assert stage.gates == ()


@FAST
@given(st.lists(stage_names(), min_size=2, max_size=2, unique=True))
def test_stage_aliases_never_name_another_stage(names: list[str]) -> None:
    keys = [{match_key(text) for text in [name, *_alias_options(name)]} for name in names]
    assert not keys[0] & keys[1], names


@pytest.mark.parametrize("names", [["y", "y-"], ["a-b", "a--b"], ["a-b", "a_b"]])
def test_alias_options_that_hyphens_would_merge_keep_them(names: list[str]) -> None:
    # "y-" gave "Y  Stage", the same stage name as "y"'s "Y Stage": an invalid funnel
    funnel = Funnel("f", [Stage(name, aliases=_alias_options(name)) for name in names]
                    + [Stage("won", kind="won")])
    for name in names:
        assert all(funnel.resolve(alias) == name for alias in _alias_options(name))


# -- funnels ----------------------------------------------------------------------------------


@FAST
@given(funnels())
def test_funnels_round_trip_through_json(funnel: Funnel) -> None:
    assert Funnel.from_dict(json_round_trip(funnel.to_dict())) == funnel


@pytest.mark.parametrize(
    ("options", "check"),
    [
        ({"cyclic": True}, lambda f: f.cyclic and f.stage(f.reentry).is_open),
        ({"cyclic": False}, lambda f: not f.cyclic),
        ({"expanding": True}, lambda f: f.expanding),
        ({"expanding": False}, lambda f: not f.expanding),
        ({"with_gates": True}, lambda f: any(s.gates for s in f.stages)),
        ({"with_gates": False},
         lambda f: not any(s.gates for s in f.stages) and not any(t.gates for t in f.transitions)),
        ({"skip_ahead": True}, lambda f: f.skip_ahead),
        ({"fall_back": False}, lambda f: not f.fall_back),
        ({"transitions": True}, lambda f: len(f.transitions) >= 1),
        ({"transitions": False}, lambda f: not f.transitions),
        ({"min_stages": 4, "max_stages": 4}, lambda f: len(f.stages) == 4),
        ({"fields": ["a.b"], "with_gates": True},
         lambda f: all(parse_rule(g.rule).fields == {"a.b"}
                       for s in f.stages for g in s.gates if g.rule)),
    ],
)
def test_funnels_honour_options(options: dict[str, Any], check: Any) -> None:
    @FAST
    @given(funnels(**options))
    def run(funnel: Funnel) -> None:
        assert check(funnel), funnel.describe()

    run()


def test_funnels_generate_every_feature() -> None:
    assert_covers(funnels(), {
        "cyclic": lambda f: f.cyclic,
        "expanding": lambda f: f.expanding,
        "two LOST stages": lambda f: len(f.lost) == 2,
        "no LOST stage": lambda f: not f.lost,
        "cannot lose": lambda f: not f.can_lose,
        "stage gates": lambda f: any(s.gates for s in f.stages),
        "transition gates": lambda f: any(t.gates for t in f.transitions),
        "composite gates": lambda f: any(g._kind in ("all", "any", "not")
                                         for s in f.stages for g in s.gates),
        "named gates": lambda f: any(g.rule and g.name != g.rule.strip()
                                     for s in f.stages for g in s.gates),
        "skip and fall back": lambda f: f.skip_ahead and f.fall_back,
        "unestimated probability": lambda f: any(s.probability is None for s in f.path),
        "Chinese labels": lambda f: any("zh" in s.label for s in f.stages),
        "owners and actions": lambda f: any(s.owner and s.actions for s in f.stages),
        "descriptions": lambda f: bool(f.description) and any(s.description for s in f.stages),
        "reopen from LOST": lambda f: any(f.stage(t.source).kind is StageKind.LOST
                                          for t in f.transitions),
        "one open stage": lambda f: len(f.path) == 2,
    })


@FAST
@given(funnels(with_gates=True), st.data())
def test_every_drawn_funnel_is_walkable(funnel: Funnel, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(funnel.names))
    deal = data.draw(subjects(funnel, satisfying=target))
    assert walk_to(funnel, deal, target).stage == target


# -- subjects ---------------------------------------------------------------------------------


@FAST
@given(st.data())
def test_failing_subjects_are_stopped_exactly_there(data: st.DataObject) -> None:
    funnel = data.draw(funnels(with_gates=True))
    gated = [s.name for s in funnel.path if funnel.index(s.name) > 0 and
             funnel.gates_for(funnel.path[funnel.index(s.name) - 1].name, s.name)]
    if not gated:
        return
    stage = data.draw(st.sampled_from(gated))
    deal = data.draw(subjects(funnel, satisfying=stage, failing=True))
    previous = funnel.path[funnel.index(stage) - 1].name
    journey = walk_to(funnel, deal, previous)
    result = journey.can_advance(stage)
    assert not result.passed and result.failed
    with pytest.raises(GateFailed):
        journey.advance(stage, at=T0)


def test_subjects_follow_the_rule_constants() -> None:
    funnel = Funnel("deals", [
        Stage("lead"),
        Stage("qualified", gates="budget >= 10000 and region in ['emea', 'apac']"),
        Stage("won", kind="won", gates=Gate("not (discount > 0.2) and contact.email is set")),
        Stage("lost", kind="lost", gates="loss_reason is set"),
    ])

    @FAST
    @given(subjects(funnel, satisfying="won"))
    def passing(deal: dict[str, Any]) -> None:
        assert deal["budget"] >= 10000 and deal["region"] in ("emea", "apac")
        assert deal["contact"]["email"] is not None
        walk_to(funnel, deal, "won")

    @FAST
    @given(subjects(funnel, satisfying="lost"))
    def losing(deal: dict[str, Any]) -> None:
        walk_to(funnel, deal, "lost")

    @FAST
    @given(subjects(funnel, satisfying="won", failing=True))
    def blocked(deal: dict[str, Any]) -> None:
        journey = walk_to(funnel, deal, "qualified")
        assert not journey.can_advance("won").passed

    passing()
    losing()
    blocked()


def test_arbitrary_subjects_go_both_ways() -> None:
    gate = Gate("budget >= 10000 and region in ['emea', 'apac']")
    assert_covers(gate_subjects(gate), {"pass": gate, "fail": lambda s: not gate(s)}, n=50)
    funnel = templates.get("b2b-seven-stage")
    stage = funnel.stage("qualified")
    assert_covers(subjects(funnel), {"pass": lambda s: stage.check(s).passed,
                                     "fail": lambda s: not stage.check(s).passed}, n=50)


@FAST
@given(st.data())
def test_gate_subjects_pass_and_fail_on_demand(data: st.DataObject) -> None:
    witness = data.draw(st.fixed_dictionaries(
        {}, optional={"a": st.integers(-5, 5), "b": st.text("xy", max_size=2),
                      "c": st.booleans()}))
    gate = data.draw(gates(fields=["a", "b", "c"], satisfied_by=witness))
    assert gate(witness)
    assert gate(data.draw(gate_subjects(gate, passing=True)))
    falsifiable = data.draw(gates(fields=["a", "b", "c"], satisfied_by=witness).map(lambda g: ~g))
    assert not falsifiable(data.draw(gate_subjects(falsifiable, passing=False)))


def test_subjects_for_callable_gates_are_found_by_filtering() -> None:
    def vip(deal: Any) -> bool:
        return bool(deal.get("budget", 0) > 5)

    funnel = Funnel("cb", [Stage("lead"), Stage("won", kind="won",
                                                 gates=[Gate(vip), Gate("budget < 100")])])

    @settings(max_examples=10, deadline=None,
              suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    @given(subjects(funnel, satisfying="won"))
    def run(deal: dict[str, Any]) -> None:
        assert vip(deal) and deal["budget"] < 100

    run()


@pytest.mark.parametrize("name", templates.names())
def test_every_template_is_walkable_by_drawn_subjects(name: str) -> None:
    funnel = templates.get(name)

    @settings(max_examples=5, deadline=None)
    @given(subjects(funnel, satisfying=funnel.won.name))
    def run(deal: dict[str, Any]) -> None:
        assert walk_to(funnel, deal, funnel.won.name).is_won

    run()


# -- journeys ---------------------------------------------------------------------------------


@FAST
@given(journeys(max_steps=12))
def test_journeys_obey_the_journey_laws(journey: Journey) -> None:
    assert_journey_invariants(journey)
    assert len(journey.history) <= 13


def test_journeys_in_a_given_funnel_respect_max_steps() -> None:
    funnel = templates.get("b2b-seven-stage")

    @FAST
    @given(journeys(funnel, max_steps=3))
    def run(journey: Journey) -> None:
        assert journey.funnel is funnel and len(journey.history) <= 4
        assert journey.version == len(journey.history) + len(journey.edits)

    run()
    assert_covers(journeys(funnel, max_steps=0), {"start only": lambda j: j.version == 1})


def test_journeys_generate_every_kind_of_move() -> None:
    assert_covers(journeys(), {
        kind: (lambda j, kind=kind: any(r.kind == kind for r in j.history))
        for kind in ("advance", "skip", "fall_back", "lose", "reenter", "explicit")
    } | {
        "forced move": lambda j: any(r.forced for r in j.history[1:]),
        "forced start": lambda j: j.history[0].forced,
        "gated move passed": lambda j: any(
            not r.forced and j.funnel.gates_for(r.from_stage, r.to_stage)
            for r in j.history[1:]),
        "several time zones": lambda j: len({r.at.utcoffset() for r in j.history}) > 1,
        "equal times": lambda j: any(a.at == b.at for a, b in itertools.pairwise(j.history)),
        "later start": lambda j: j.history[0].to_stage != j.funnel.stages[0].name,
        "won": lambda j: j.is_won,
        "lost": lambda j: j.is_lost,
        "subject edited": lambda j: len(j.edits) > 0,
        "move with facts": lambda j: any(r.facts for r in j.history[1:]),
    })
