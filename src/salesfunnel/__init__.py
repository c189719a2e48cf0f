"""salesfunnel: sales and marketing funnels as state machines, with fast metrics and a planner.

Examples
--------
>>> import salesfunnel as sf
>>> funnel = sf.Funnel("deals", [sf.Stage("lead"), sf.Stage("won", kind="won")])
>>> funnel.names
('lead', 'won')
"""

from salesfunnel import templates
from salesfunnel._util._version import package_version as _package_version
from salesfunnel.errors import (
    DefinitionError,
    EventLogError,
    FunnelError,
    GateError,
    GateFailed,
    InvalidParameterError,
    MissingDependencyError,
    NotFittedError,
    PlanError,
    RuleSyntaxError,
    TransitionNotAllowed,
    UnknownTemplateError,
)
from salesfunnel.events import EventLog
from salesfunnel.model import (
    Funnel,
    Gate,
    GateResult,
    GateResults,
    Journey,
    Labels,
    Stage,
    StageKind,
    Transition,
    TransitionRecord,
)
from salesfunnel.simulate import simulate

__version__ = _package_version()

__all__ = [
    "DefinitionError",
    "EventLog",
    "EventLogError",
    "Funnel",
    "FunnelError",
    "Gate",
    "GateError",
    "GateFailed",
    "GateResult",
    "GateResults",
    "InvalidParameterError",
    "Journey",
    "Labels",
    "MissingDependencyError",
    "NotFittedError",
    "PlanError",
    "RuleSyntaxError",
    "Stage",
    "StageKind",
    "Transition",
    "TransitionNotAllowed",
    "TransitionRecord",
    "UnknownTemplateError",
    "__version__",
    "simulate",
    "templates",
]
