"""JourneyMachine: passes on the real Journey, for drawn funnels and every built-in
template, and catches deliberately broken journeys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from salesfunnel import Funnel, InvalidParameterError, Journey, Stage, templates
from salesfunnel.model._journey import to_aware
from salesfunnel.testing import JourneyMachine, journey_machine

RUN = settings(max_examples=15, stateful_step_count=20, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow])
HUNT = settings(max_examples=300, stateful_step_count=20, deadline=None, database=None,
                derandomize=True, suppress_health_check=list(HealthCheck),
                phases=[Phase.generate], report_multiple_bugs=False)

GATED = Funnel(
    "gated",
    [Stage("lead"), Stage("demo", gates="contact is set"),
     Stage("proposal", gates="budget >= 10000"), Stage("won", kind="won"),
     Stage("lost", kind="lost"), Stage("disqualified", kind="lost")],
    skip_ahead=True, fall_back=True, reentry="demo", transitions=[("lost", "lead")],
)


def test_machine_on_drawn_funnels() -> None:
    run_state_machine_as_test(JourneyMachine, settings=RUN)


@pytest.mark.parametrize("name", templates.names())
def test_machine_on_every_built_in_template(name: str) -> None:
    run_state_machine_as_test(journey_machine(templates.get(name)), settings=RUN)


def test_users_subclass_with_their_funnel() -> None:
    class GatedMachine(JourneyMachine):
        funnel = GATED

    run_state_machine_as_test(GatedMachine, settings=RUN)
    assert journey_machine(GATED).funnel is GATED
    assert journey_machine(GATED).__name__ == "GatedJourneyMachine"
    assert issubclass(journey_machine(GATED), JourneyMachine)


def test_journey_machine_needs_a_funnel() -> None:
    with pytest.raises(InvalidParameterError, match=r"journey_machine\(\) needs a Funnel; got"):
        journey_machine("aida")  # type: ignore[arg-type]


def test_a_machine_with_a_bad_funnel_attribute_says_so() -> None:
    class Broken(JourneyMachine):
        funnel = "aida"  # type: ignore[assignment]

    with pytest.raises(Exception, match=r"The 'JourneyMachine\.funnel' parameter must be a "
                       r"salesfunnel\.Funnel; got 'aida'"):
        run_state_machine_as_test(Broken, settings=RUN)


# -- mutants: the machine must notice each of these bugs -------------------------------------


def skip_gates(self: Journey, gates: Any, target: str) -> None:
    return None


def ignore_clock(self: Journey, at: datetime | str | None) -> datetime:
    return to_aware(self._clock() if at is None else at)


def forget_reason(self: Journey, force: bool, reason: str | None) -> None:
    return None


@pytest.mark.parametrize(
    ("attribute", "mutant", "message"),
    [
        ("_check_gates", skip_gates, r"was accepted, but gate"),
        ("_when", ignore_clock, r"was accepted, but the time is before the last change|time law"),
        ("_check_force", forget_reason, r"was accepted, but force=True needs a reason|force law"),
    ],
)
def test_machine_catches_broken_journeys(
    monkeypatch: pytest.MonkeyPatch, attribute: str, mutant: Any, message: str
) -> None:
    monkeypatch.setattr(Journey, attribute, mutant)
    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(journey_machine(GATED), settings=HUNT)
