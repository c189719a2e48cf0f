"""The funnel model: stages, gates, funnels and journeys.

Everything here is re-exported from :mod:`salesfunnel`.
"""

from salesfunnel.model._funnel import Funnel, Transition
from salesfunnel.model._gate import Gate, GateResult, GateResults
from salesfunnel.model._hooks import HookEvent, Hooks, OutboxMessage
from salesfunnel.model._journey import Journey
from salesfunnel.model._labels import Labels
from salesfunnel.model._records import SubjectEdit, TransitionRecord
from salesfunnel.model._stage import Stage, StageKind

__all__ = [
    "Funnel",
    "Gate",
    "GateResult",
    "GateResults",
    "HookEvent",
    "Hooks",
    "Journey",
    "Labels",
    "OutboxMessage",
    "Stage",
    "StageKind",
    "SubjectEdit",
    "Transition",
    "TransitionRecord",
]
