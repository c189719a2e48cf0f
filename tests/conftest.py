"""Shared fixtures for the test suite."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from salesfunnel import Funnel, Stage

# The profile comes from HYPOTHESIS_PROFILE: "ci" (the default, what `make test` runs),
# "dev" (quicker, while iterating) or "fuzz" (`make fuzz`: many more examples).
settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5000")),
                          deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
