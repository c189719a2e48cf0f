"""Property-based testing for funnels: Hypothesis strategies, invariants and checkers.

``salesfunnel.testing`` is to salesfunnel what :mod:`hypothesis.extra.numpy` is to numpy.
It needs Hypothesis: ``pip install 'salesfunnel[testing]'``.

Strategies
    :func:`rules`, :func:`gates`, :func:`stages`, :func:`funnels`, :func:`subjects`,
    :func:`gate_subjects`, :func:`journeys` (with subject edits and facts),
    :func:`subject_edits`, :func:`json_values`, :func:`event_logs`, :func:`stage_names`,
    :func:`partitionings` (entity partitions and worker counts, see :class:`Partitioning`),
    :func:`crm_exports` (CRM-export-like files with the funnel they must read back as);
    for product funnels :func:`product_event_logs`, :func:`funnel_steps`,
    :func:`window_funnel_modes` and :func:`exclusions`; :func:`stage_thresholds` (for
    ``metrics.stale``), :func:`forecast_category_maps` (for
    ``metrics.forecast_categories``).
    Once salesfunnel is installed, ``st.from_type(Funnel)`` (and ``Stage``, ``Gate``,
    ``Journey``, ``EventLog``) works too: the types are registered through
    Hypothesis's ``hypothesis`` entry point.
Invariants
    :func:`assert_funnel_invariants`, :func:`assert_journey_invariants`,
    :func:`assert_merge_invariant`, :func:`assert_partition_invariant`: each raises
    ``AssertionError`` naming the law that broke and the stage where it broke.
    :func:`check_store` checks the laws of a journey store (histories replay to the
    stored stage, versions contiguous).
    :func:`assert_calibrated` checks that win probabilities (e.g.
    ``planner.DealScorer`` scores) are calibrated against outcomes.
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
    from salesfunnel.testing._crm import GeneratedExport, crm_exports
    from salesfunnel.testing._engine import (
        Partitioning,
        assert_partition_invariant,
        partitionings,
    )
    from salesfunnel.testing._eventlogs import event_logs
    from salesfunnel.testing._insights import (
        assert_calibrated,
        forecast_category_maps,
        stage_thresholds,
    )
    from salesfunnel.testing._invariants import (
        assert_funnel_invariants,
        assert_journey_invariants,
        assert_merge_invariant,
    )
    from salesfunnel.testing._journeys import HookRecorder, json_values, subject_edits
    from salesfunnel.testing._product import (
        exclusions,
        funnel_steps,
        product_event_logs,
        window_funnel_modes,
    )
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
    "GeneratedExport": "_crm",
    "HookRecorder": "_journeys",
    "JourneyMachine": "_stateful",
    "Partitioning": "_engine",
    "TemplateCheck": "_checks",
    "assert_calibrated": "_insights",
    "assert_funnel_invariants": "_invariants",
    "assert_journey_invariants": "_invariants",
    "assert_merge_invariant": "_invariants",
    "check_store": "_stores",
    "assert_partition_invariant": "_engine",
    "check_template": "_checks",
    "crm_exports": "_crm",
    "event_logs": "_eventlogs",
    "exclusions": "_product",
    "funnel_steps": "_product",
    "forecast_category_maps": "_insights",
    "funnels": "_strategies",
    "gate_subjects": "_strategies",
    "gates": "_strategies",
    "journey_machine": "_stateful",
    "journeys": "_strategies",
    "json_values": "_journeys",
    "partitionings": "_engine",
    "product_event_logs": "_product",
    "rules": "_strategies",
    "stage_names": "_strategies",
    "stage_thresholds": "_insights",
    "stages": "_strategies",
    "subject_edits": "_journeys",
    "subjects": "_strategies",
    "window_funnel_modes": "_product",
}

__all__ = [
    "DEFAULT_FIELDS",
    "GeneratedExport",
    "HookRecorder",
    "JourneyMachine",
    "Partitioning",
    "TemplateCheck",
    "assert_calibrated",
    "assert_funnel_invariants",
    "assert_journey_invariants",
    "assert_merge_invariant",
    "assert_partition_invariant",
    "check_store",
    "check_template",
    "crm_exports",
    "event_logs",
    "exclusions",
    "forecast_category_maps",
    "funnel_steps",
    "funnels",
    "gate_subjects",
    "gates",
    "journey_machine",
    "journeys",
    "json_values",
    "partitionings",
    "product_event_logs",
    "rules",
    "stage_names",
    "stage_thresholds",
    "stages",
    "subject_edits",
    "subjects",
    "window_funnel_modes",
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
