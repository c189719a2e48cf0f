"""Property-based testing for funnels: Hypothesis strategies, invariants and checkers.

``salesfunnel.testing`` is to salesfunnel what :mod:`hypothesis.extra.numpy` is to numpy.
It needs Hypothesis: ``pip install 'salesfunnel[testing]'``.

Strategies
    :func:`rules`, :func:`gates`, :func:`stages`, :func:`funnels`, :func:`subjects`,
    :func:`gate_subjects`, :func:`journeys`, :func:`event_logs`, :func:`stage_names`.
    Once salesfunnel is installed, ``st.from_type(Funnel)`` (and ``Stage``, ``Gate``,
    ``Journey``, ``EventLog``) works too: the types are registered through
    Hypothesis's ``hypothesis`` entry point.
Invariants
    :func:`assert_funnel_invariants`, :func:`assert_journey_invariants`,
    :func:`assert_merge_invariant`: each raises ``AssertionError`` naming the law that
    broke and the stage where it broke.
Checkers
    :func:`check_template` (for authors of template plugins; returns a
    :class:`TemplateCheck`) and :class:`JourneyMachine`, a Hypothesis state machine to
    subclass for your funnel (or build one with :func:`journey_machine`).

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

from salesfunnel._optional import import_optional as _import_optional

_import_optional("hypothesis", "testing", purpose="salesfunnel.testing")

from salesfunnel.testing._checks import TemplateCheck, check_template  # noqa: E402
from salesfunnel.testing._eventlogs import event_logs  # noqa: E402
from salesfunnel.testing._invariants import (  # noqa: E402
    assert_funnel_invariants,
    assert_journey_invariants,
    assert_merge_invariant,
)
from salesfunnel.testing._stateful import JourneyMachine, journey_machine  # noqa: E402
from salesfunnel.testing._strategies import (  # noqa: E402
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

__all__ = [
    "DEFAULT_FIELDS",
    "JourneyMachine",
    "TemplateCheck",
    "assert_funnel_invariants",
    "assert_journey_invariants",
    "assert_merge_invariant",
    "check_template",
    "event_logs",
    "funnels",
    "gate_subjects",
    "gates",
    "journey_machine",
    "journeys",
    "rules",
    "stage_names",
    "stages",
    "subjects",
]
