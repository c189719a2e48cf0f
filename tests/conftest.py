"""Shared fixtures for the test suite."""

from __future__ import annotations

import pytest
from hypothesis import settings

from salesfunnel import Funnel, Stage

settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci")

@pytest.fixture
def deals() -> Funnel:
    """A small B2B funnel with gates, skip-ahead and fall-back."""
    return Funnel(
        "deals",
        [
            Stage("lead", probability=0.1),
            Stage("qualified", probability=0.25,
                  gates="budget >= 10000 and decision_maker is set"),
            Stage("proposal", probability=0.5, gates="problem_confirmed"),
            Stage("negotiation", probability=0.75),
            Stage("won", kind="won"),
            Stage("lost", kind="lost"),
        ],
        skip_ahead=True,
        fall_back=True,
    )
