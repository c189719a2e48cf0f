"""salesfunnel: sales and marketing funnels as state machines, with fast metrics and a planner.

The model, the event log and the errors are imported with the package; the
subpackages ``metrics``, ``planner``, ``store``, ``viz`` and ``testing`` load on
first attribute access (``sf.metrics.conversion(...)``), and none of them imports an
optional dependency until a function that needs it is called.

Examples
--------
>>> import salesfunnel as sf
>>> funnel = sf.Funnel("deals", [sf.Stage("lead"), sf.Stage("won", kind="won")])
>>> funnel.names
('lead', 'won')
>>> sf.metrics.conversion.__module__
'salesfunnel.metrics._conversion'
"""

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from salesfunnel import simulation, templates
from salesfunnel._util._version import package_version as _package_version
from salesfunnel.errors import (
    ConflictError,
    DefinitionError,
    EventLogError,
    FunnelError,
    GateError,
    GateFailed,
    HookError,
    InputFileError,
    InvalidParameterError,
    MissingDependencyError,
    NotFittedError,
    PlanError,
    RuleSyntaxError,
    StoreError,
    TransitionNotAllowed,
    UnknownTemplateError,
)
from salesfunnel.events import EventLog
from salesfunnel.model import (
    Funnel,
    Gate,
    GateResult,
    GateResults,
    HookEvent,
    Hooks,
    Journey,
    Labels,
    OutboxMessage,
    Stage,
    StageKind,
    SubjectEdit,
    Transition,
    TransitionRecord,
)
from salesfunnel.simulation import simulate

__version__ = _package_version()

__all__ = [
    "ConflictError",
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
    "HookError",
    "HookEvent",
    "Hooks",
    "InputFileError",
    "InvalidParameterError",
    "Journey",
    "Labels",
    "MissingDependencyError",
    "NotFittedError",
    "OutboxMessage",
    "PlanError",
    "RuleSyntaxError",
    "Stage",
    "StageKind",
    "StoreError",
    "SubjectEdit",
    "Transition",
    "TransitionNotAllowed",
    "TransitionRecord",
    "UnknownTemplateError",
    "__version__",
    "metrics",
    "planner",
    "simulate",
    "simulation",
    "store",
    "templates",
    "testing",
    "viz",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from salesfunnel import metrics, planner, store, testing, viz

#: Subpackages imported on first attribute access (PEP 562), so that ``import
#: salesfunnel`` stays light.
_LAZY = frozenset({"metrics", "planner", "store", "testing", "viz"})


def __getattr__(name: str) -> ModuleType:
    if name in _LAZY:
        module = importlib.import_module(f"salesfunnel.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'salesfunnel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
