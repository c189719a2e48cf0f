"""Property tests for a sales funnel, ready to paste into your own test suite.

This file is the complete example of docs/howto/property-testing.md (kept identical to
it by tests/testing/test_docs_sync.py). Replace ``our_funnel`` with your own funnel.
"""

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from salesfunnel import EventLog, Funnel, Journey, Stage, metrics
from salesfunnel.testing import (
    JourneyMachine,
    assert_funnel_invariants,
    assert_journey_invariants,
    assert_merge_invariant,
    check_template,
    event_logs,
    journeys,
    subjects,
)

MONDAY = "2026-01-05T09:00:00+00:00"
TUESDAY = "2026-01-06T09:00:00+00:00"


def our_funnel() -> Funnel:
    """The funnel under test: yours, or one from ``salesfunnel.templates.get(...)``."""
    return Funnel(
        "deals",
        [
            Stage("lead", label={"en": "Lead", "zh": "线索"}, probability=0.1),
            Stage("qualified", label={"en": "Qualified", "zh": "有效客户"}, probability=0.3,
                  gates="budget >= 10000 and decision_maker is set"),
            Stage("proposal", label={"en": "Proposal", "zh": "方案"}, probability=0.6,
                  gates="problem_confirmed"),
            Stage("won", label={"en": "Won", "zh": "赢单"}, kind="won",
                  gates="contract_signed"),
            Stage("lost", label={"en": "Lost", "zh": "丢单"}, kind="lost"),
        ],
        label={"en": "Deals", "zh": "商机"},
        skip_ahead=True,
        fall_back=True,
    )


FUNNEL = our_funnel()


def test_the_funnel_passes_the_template_checks() -> None:
    report = check_template(our_funnel, max_examples=10)
    assert "walkable" in report.passed
    assert report.languages == ("en", "zh")


@given(subjects(FUNNEL, satisfying="won"))
def test_a_complete_checklist_walks_to_won(deal: dict) -> None:
    journey = FUNNEL.start(deal, at=MONDAY)
    while journey.is_open:
        journey.advance(at=TUESDAY)
    assert journey.is_won


@given(subjects(FUNNEL, satisfying="proposal", failing=True))
def test_a_missing_checklist_item_stops_the_deal(deal: dict) -> None:
    journey = FUNNEL.start(deal, at=MONDAY).advance(at=TUESDAY)
    assert journey.stage == "qualified"
    assert journey.can_advance("proposal").failed == ("problem_confirmed",)


@given(journeys(FUNNEL, max_steps=8))
def test_every_history_replays(journey: Journey) -> None:
    assert_journey_invariants(journey)


@settings(max_examples=50, deadline=None)
@given(event_logs(FUNNEL, max_entities=30), st.sampled_from(["reached", "entered"]))
def test_conversion_obeys_the_funnel_laws(log: EventLog, semantic: str) -> None:
    conversion = functools.partial(metrics.conversion, semantic=semantic)
    assert_funnel_invariants(conversion(log), log=log)
    assert_merge_invariant(conversion, log, parts=3)


class DealJourneys(JourneyMachine):
    funnel = FUNNEL


TestDealJourneys = DealJourneys.TestCase
TestDealJourneys.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
