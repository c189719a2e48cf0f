"""assert_funnel_invariants / assert_merge_invariant: hold for the real metrics on drawn
logs, and name the law and the stage when a result is wrong."""

from __future__ import annotations

import functools
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesfunnel import EventLog, Funnel, InvalidParameterError, Stage, metrics
from salesfunnel.metrics import Conversion, Pipeline
from salesfunnel.testing import assert_funnel_invariants, assert_merge_invariant, event_logs

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEMANTICS = st.sampled_from(["reached", "entered", "ordered"])


@FAST
@given(event_logs(max_entities=12), SEMANTICS, st.integers(1, 4))
def test_conversion_obeys_the_laws(log: EventLog, semantic: str, parts: int) -> None:
    metric = functools.partial(metrics.conversion, semantic=semantic)
    assert_funnel_invariants(metric(log), log=log)
    assert_merge_invariant(metric, log, parts)


@FAST
@given(event_logs(max_entities=12), st.integers(1, 4))
def test_pipeline_and_cohorts_obey_the_laws(log: EventLog, parts: int) -> None:
    assert_funnel_invariants(metrics.pipeline(log), log=log)
    assert_merge_invariant(metrics.pipeline, log, parts)
    by_month = functools.partial(metrics.cohorts, period="month")
    assert_funnel_invariants(by_month(log), log=log)
    assert_merge_invariant(by_month, log, parts)
    assert_merge_invariant(metrics.timing, log, parts)


@FAST
@given(event_logs(max_entities=12, segments=["channel"]), SEMANTICS)
def test_breakdowns_obey_the_laws_group_by_group(log: EventLog, semantic: str) -> None:
    metric = functools.partial(metrics.conversion, semantic=semantic, by="channel")
    assert_funnel_invariants(metric(log))
    assert_merge_invariant(metric, log, 3)


STAGES = ("lead", "demo", "won")


def conv(counts: tuple[int, ...], entities: int = 10, semantic: str = "reached") -> Conversion:
    return Conversion(semantic, STAGES, counts, entities)


class Skewed(Conversion):
    """A Conversion whose rates are off: what a buggy metric would return."""

    @property
    def overall_rate(self) -> Any:
        rates = super().overall_rate
        rates[-1] = rates[-1] * 1.5
        return rates


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (conv((8, 9, 1)), r"monotone reach law broken: 9 entities reached 'demo' but only 8 "
                          r"reached 'lead' before it"),
        (conv((8, 5, 6), semantic="ordered"), r"monotone reach law broken: .* 'won'"),
        (conv((12, 5, 1)), r"entered law broken: 12 entities counted at stage 'lead', but the "
                           r"log has only 10"),
        (conv((8, -1, 0)), r"counts law broken: count -1 is negative at stage 'demo'"),
        (Skewed("reached", STAGES, (8, 4, 2), 10),
         r"product law broken: the step rates up to 'won' multiply to 0.25, but the overall "
         r"rate at stage 'won' is 0.375"),
        (Pipeline(("lead", "won", "lost"), ("open", "won", "lost"), (0.2, 1.0, 0.0),
                  counts=(3, 1, 1), priced=(4, 1, 0), value=(10.0, 5.0, 0.0)),
         r"counts law broken: 3 entities with 4 priced at stage 'lead'"),
        (Pipeline(("lead", "won", "lost"), ("open", "won", "lost"), (0.2, 1.0, 0.0),
                  counts=(3, 1, 1), priced=(3, 1, 0), value=(-10.0, 5.0, 0.0)),
         r"value law broken: pipeline value -10.0 at stage 'lead' is negative"),
    ],
)
def test_broken_results_name_the_law_and_stage(result: Any, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        assert_funnel_invariants(result)


def test_entered_counts_may_grow() -> None:
    assert_funnel_invariants(conv((3, 5, 1), semantic="entered"))
    assert_funnel_invariants(Conversion("entered", STAGES, (3, 5, 1), 10, continued=(0, 2, 1)))
    # more entities continuing into a stage than were at the stage before is a bug
    with pytest.raises(AssertionError, match="rates law broken"):
        assert_funnel_invariants(
            Conversion("entered", STAGES, (3, 5, 1), 10, continued=(0, 4, 1)))


FUNNEL = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
                      Stage("lost", kind="lost")])
LOG = EventLog.from_arrays(FUNNEL, entity=[1, 1, 2, 2, 3, 4, 4], stage=[0, 1, 0, 3, 3, 0, 2],
                           ts=[0, 1, 0, 2, 0, 0, 9], unit="D")


def test_agreement_with_the_log() -> None:
    good = metrics.conversion(LOG)
    assert good.counts == (3, 2, 1)  # entity 3 has only a LOST event
    assert_funnel_invariants(good, log=LOG)
    wrong = attrs.evolve(good, counts=(3, 1, 1))
    with pytest.raises(AssertionError,
                       match=r"agreement law broken: 1 entities reached at stage 'demo', but "
                             r"the log has 2"):
        assert_funnel_invariants(wrong, log=LOG)
    with pytest.raises(AssertionError, match=r"entered law broken: the result counts 5"):
        assert_funnel_invariants(attrs.evolve(good, entities=5), log=LOG)


def test_merge_law_names_the_field_and_stage() -> None:
    def leaky(log: EventLog) -> Conversion:
        result = metrics.conversion(log)
        return attrs.evolve(result, counts=(*result.counts[:-1], min(result.counts[-1], 1)))

    with pytest.raises(AssertionError, match=r"merge law broken: leaky over 4 chunks .*: "
                                             r"counts at stage 'won': whole 1, merged 2"):
        assert_merge_invariant(leaky, TWO_WINNERS, 4)


TWO_WINNERS = EventLog.from_arrays(FUNNEL, entity=[1, 1, 2, 2], stage=[0, 2, 0, 2],
                                   ts=[0, 1, 0, 1], unit="D")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: assert_funnel_invariants("report"), r"checks a Conversion, Cohorts, Pipeline"),
        (lambda: assert_funnel_invariants(conv((1, 1, 1)), log="log"), r"log must be an EventLog"),
        (lambda: assert_merge_invariant("conversion", LOG), r"metric must be a callable"),  # type: ignore[arg-type]
        (lambda: assert_merge_invariant(metrics.conversion, None), r"log must be an EventLog"),  # type: ignore[arg-type]
        (lambda: assert_merge_invariant(metrics.conversion, LOG, 0), r"parts must be a positive"),
        (lambda: assert_merge_invariant(len, LOG), r"int results have no merge\(\)"),
    ],
)
def test_bad_arguments(call: Any, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        call()
