"""Property-based testing for funnels: Hypothesis strategies, invariants and checkers.

``salesfunnel.testing`` is to salesfunnel what :mod:`hypothesis.extra.numpy` is to numpy.
It needs Hypothesis: ``pip install 'salesfunnel[testing]'``.

Strategies
    :func:`rules`, :func:`gates`, :func:`stages`, :func:`funnels`, :func:`subjects`,
    :func:`gate_subjects`, :func:`journeys` (with subject edits and facts),
    :func:`subject_edits`, :func:`json_values`, :func:`event_logs`, :func:`stage_names`.
    Once salesfunnel is installed, ``st.from_type(Funnel)`` (and ``Stage``, ``Gate``,
    ``Journey``, ``EventLog``) works too: the types are registered through
    Hypothesis's ``hypothesis`` entry point.
Invariants
    :func:`assert_funnel_invariants`, :func:`assert_journey_invariants`,
    :func:`assert_merge_invariant`: each raises ``AssertionError`` naming the law that
    broke and the stage where it broke. :func:`check_store` checks the laws of a journey
    store (histories replay to the stored stage, versions contiguous).
Checkers
    :func:`check_template` (for authors of template plugins; returns a
    :class:`TemplateCheck`), :class:`JourneyMachine`, a Hypothesis state machine to
    subclass for your funnel (or build one with :func:`journey_machine`), and
    :class:`HookRecorder`, journey hooks that record every event and check their laws.

See the how-to guide "Property-test your funnel" (``docs/howto/property-testing.md``).

Examples
--------
>>> from hypothesis import given
>>> from salesfunnel.testing import assert_journey_invariants, journeys
>>> @given(journeys(max_steps=4))
... def test_histories_replay(journey):
...     assert_journey_invariants(journey)
>>> test_histories_replay()
"""

from typing import TYPE_CHECKING, Any

from salesfunnel._util._optional import import_optional as _import_optional

_import_optional("hypothesis", "testing", purpose="salesfunnel.testing")

if TYPE_CHECKING:  # pragma: no cover - the names are loaded on first use, see __getattr__
    from salesfunnel.testing._checks import TemplateCheck, check_template
    from salesfunnel.testing._eventlogs import event_logs
    from salesfunnel.testing._invariants import (
        assert_funnel_invariants,
        assert_journey_invariants,
        assert_merge_invariant,
    )
    from salesfunnel.testing._journeys import HookRecorder, json_values, subject_edits
    from salesfunnel.testing._stateful import JourneyMachine, journey_machine
    from salesfunnel.testing._stores import check_store
    from salesfunnel.testing._strategies import (
        DEFAULT_FIELDS,
        funnels,
        gate_subjects,
        gates,
        journeys,
        rules,
        stage_names,
        stages,
        subjects,
    )

# Public name -> private module. Loaded on first access (PEP 562), so that the Hypothesis
# entry point, which imports this package whenever Hypothesis is imported, stays cheap.
_WHERE = {
    "DEFAULT_FIELDS": "_strategies",
    "HookRecorder": "_journeys",
    "JourneyMachine": "_stateful",
    "TemplateCheck": "_checks",
    "assert_funnel_invariants": "_invariants",
    "assert_journey_invariants": "_invariants",
    "assert_merge_invariant": "_invariants",
    "check_store": "_stores",
    "check_template": "_checks",
    "event_logs": "_eventlogs",
    "funnels": "_strategies",
    "gate_subjects": "_strategies",
    "gates": "_strategies",
    "journey_machine": "_stateful",
    "journeys": "_strategies",
    "json_values": "_journeys",
    "rules": "_strategies",
    "stage_names": "_strategies",
    "stages": "_strategies",
    "subject_edits": "_journeys",
    "subjects": "_strategies",
}

__all__ = [
    "DEFAULT_FIELDS",
    "HookRecorder",
    "JourneyMachine",
    "TemplateCheck",
    "assert_funnel_invariants",
    "assert_journey_invariants",
    "assert_merge_invariant",
    "check_store",
    "check_template",
    "event_logs",
    "funnels",
    "gate_subjects",
    "gates",
    "journey_machine",
    "journeys",
    "json_values",
    "rules",
    "stage_names",
    "stages",
    "subject_edits",
    "subjects",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'salesfunnel.testing' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"salesfunnel.testing.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
