"""The funnel model: stages, gates, funnels and journeys.

Everything here is re-exported from :mod:`salesfunnel`.
"""

from salesfunnel.model._funnel import Funnel, Transition
from salesfunnel.model._gate import Gate, GateResult, GateResults
from salesfunnel.model._journey import Journey, TransitionRecord
from salesfunnel.model._labels import Labels
from salesfunnel.model._stage import Stage, StageKind

__all__ = [
    "Funnel",
    "Gate",
    "GateResult",
    "GateResults",
    "Journey",
    "Labels",
    "Stage",
    "StageKind",
    "Transition",
    "TransitionRecord",
]
