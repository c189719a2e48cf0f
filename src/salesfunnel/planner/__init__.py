"""Planning: the reverse funnel, the four levers, a Markov chain and a Monte Carlo forecast."""

from salesfunnel.planner._levers import LEVERS, LeverEffect, LeverReport, LeverTarget, levers
from salesfunnel.planner._reverse import (
    LEAD_SOURCES,
    Capacity,
    CapacityPlan,
    Plan,
    PlanRow,
    Source,
    SourceRow,
    forward,
    reverse,
)

__all__ = [
    "LEAD_SOURCES",
    "LEVERS",
    "Capacity",
    "CapacityPlan",
    "LeverEffect",
    "LeverReport",
    "LeverTarget",
    "Plan",
    "PlanRow",
    "Source",
    "SourceRow",
    "forward",
    "levers",
    "reverse",
]
