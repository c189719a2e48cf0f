"""Funnel modes against independent oracles: ClickHouse ``windowFunnel`` through chdb for
its modes, plain-Python exhaustive references (``reference_modes``) for the order types,
exclusions, per-step windows, conversion times and attribution."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from metrics.reference_modes import ALL_MODES, chdb_levels, reference_funnel
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog, with_events
from salesfunnel.metrics import (
    Exclusion,
    Step,
    StepFunnel,
    WindowFunnelMode,
    conversion,
    funnel,
    window_funnel,
)
from salesfunnel.metrics._modes import window_funnel_levels
from salesfunnel.metrics._steps import match_steps
from salesfunnel.model import Funnel, Stage
from salesfunnel.testing import (
    exclusions,
    funnel_steps,
    product_event_logs,
    window_funnel_modes,
)

NS = 10**9
if os.environ.get("CI") != "true":
    pytest.importorskip("chdb")

WINDOWS = st.one_of(st.none(), st.integers(0, 12))


def _sec(log: EventLog) -> np.ndarray:
    return (log.ts - (log.ts.min() if len(log) else 0)) // NS


# -- ClickHouse windowFunnel: every mode, against chdb ------------------------------------------


# One chdb query per example computes all 24 option combinations (~50 ms); 60 examples
# keep this test near 5 s while still covering every mode on hundreds of entities.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(product_event_logs(max_entities=8, max_events=50), funnel_steps(max_steps=4),
       WINDOWS)
def test_window_funnel_matches_chdb_in_every_mode(log, steps, window_s) -> None:
    masks = match_steps(log, steps)
    w = 10**9 if window_s is None else window_s
    expected = chdb_levels(log.entity, _sec(log), masks, w, ALL_MODES)
    for warm in (False, True):  # warm: the log's cached (entity, time) order is reused
        if warm:
            log.sorted_by_entity_time()
        for i, mode in enumerate(ALL_MODES):
            got = window_funnel_levels(log, masks, None if window_s is None else w * NS,
                                       mode)
            want = np.array([expected.get(e, [0] * len(ALL_MODES))[i]
                             for e in range(log.n_entities)], dtype=np.int64)
            assert got.tolist() == want.tolist(), (mode, warm)


def test_window_funnel_repeated_rows_ties_and_multi_step_rows() -> None:
    """ClickHouse's own documented cases, and rows matching several steps at one time."""
    f = Funnel("p", [Stage("e"), Stage("done", kind="won")])
    # one row matching steps 0 and 1: chains through itself unless strict_once
    log = with_events(EventLog.from_arrays(f, entity=[1, 1], stage=[0, 0], ts=[0, 5],
                                           unit="s"), event=["a", "c"])
    steps = [Step(event="a"), Step(where="event in ['a', 'c']"), Step(event="c")]
    assert window_funnel(log, steps).counts == (1, 1, 1)
    assert window_funnel(log, steps, mode="strict_once").counts == (1, 1, 0)
    # A -> B -> D -> C with strict_order stops at D (level 2, ClickHouse docs)
    log = with_events(EventLog.from_arrays(f, entity=[1] * 4, stage=[0] * 4,
                                           ts=[0, 1, 2, 3], unit="s"),
                      event=["A", "B", "D", "C"])
    assert window_funnel(log, ["A", "B", "C"]).counts == (1, 1, 1)
    assert window_funnel(log, ["A", "B", "C"], mode="strict_order").counts == (1, 1, 0)
    # A -> B -> C -> B -> D with strict_deduplication: level 3 (Doris/ClickHouse docs)
    log = with_events(EventLog.from_arrays(f, entity=[1] * 5, stage=[0] * 5,
                                           ts=[0, 1, 2, 3, 4], unit="s"),
                      event=["A", "B", "C", "B", "D"])
    r = window_funnel(log, ["A", "B", "C", "D"], mode=["strict_deduplication"])
    assert r.counts == (1, 1, 1, 0)
    # equal times: strict_increase refuses them
    log = with_events(EventLog.from_arrays(f, entity=[1, 1], stage=[0, 0], ts=[7, 7],
                                           unit="s"), event=["A", "B"])
    assert window_funnel(log, ["A", "B"]).counts == (1, 1)
    assert window_funnel(log, ["A", "B"], mode="strict_increase").counts == (1, 0)


def test_window_larger_than_the_time_range_does_not_overflow() -> None:
    f = Funnel("p", [Stage("e"), Stage("done", kind="won")])
    t = np.array([-(2**62), 2**62 - 10], dtype=np.int64)  # a span of 2**63 - 10 ns
    log = with_events(EventLog.from_arrays(f, entity=[1, 1], stage=[0, 0], ts=t, unit="ns"),
                      event=["a", "b"])
    for window in (np.timedelta64(2**63 - 1, "ns"), np.timedelta64(10**6, "Y"), 1e300):
        assert window_funnel(log, ["a", "b"], window=window).counts == (1, 1)
        assert funnel(log, ["a", "b"], window=window).counts == (1, 1)
        assert conversion(log, semantic="ordered", window=window).counts == (1, 0)
    near = np.timedelta64(2**63 - 11, "ns")  # a window just under the span: still exact
    assert funnel(log, ["a", "b"], window=near).counts == (1, 0)
    assert window_funnel(log, ["a", "b"], window=near).counts == (1, 0)


# -- PostHog-style funnels against the plain-Python reference -----------------------------------


def _compare(result: StepFunnel, ref: dict) -> None:
    assert list(result.counts) == ref["counts"]
    assert result.entities == ref["entities"]
    assert result.excluded == ref["excluded"]
    if result.order != "unordered":
        for d, want in zip(result.times, ref["times"], strict=True):
            assert d.observations().tolist() == sorted(want)
        assert result.total.observations().tolist() == sorted(ref["total"])


@settings(max_examples=100, deadline=None)
@given(st.data(), product_event_logs(max_events=24), funnel_steps(max_steps=4),
       st.sampled_from(["ordered", "strict", "unordered"]), WINDOWS,
       st.sampled_from(["later", "row_order"]))
def test_funnel_matches_reference(data, log, steps, order, window_s, ties) -> None:
    n = len(steps)
    win = None if window_s is None else window_s * NS
    sws = None
    exs: list[Exclusion] = []
    if order != "unordered":
        sws = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 6).map(lambda s: s * NS)),
                                 min_size=n - 1, max_size=n - 1))
        exs = data.draw(exclusions(n))
    got = funnel(log, steps, order=order, window=None if win is None else np.timedelta64(win, "ns"),
                 step_windows=None if sws is None else [
                     None if w is None else np.timedelta64(w, "ns") for w in sws],
                 exclusions=exs, ties=ties)
    ref = reference_funnel(log, steps, order, win, sws, exs, ties=ties)
    _compare(got, ref.get(None, {"counts": [0] * n, "entities": 0, "excluded": 0,
                                 "times": [[] for _ in range(n - 1)], "total": []}))


@settings(max_examples=100, deadline=None)
@given(st.data(), product_event_logs(), funnel_steps(max_steps=3),
       st.sampled_from(["ordered", "strict", "unordered"]), st.sampled_from(["url", "plan"]))
def test_breakdown_attribution_matches_reference(data, log, steps, order, by) -> None:
    attribution = data.draw(st.one_of(st.sampled_from(["first_touch", "last_touch"]),
                                      st.integers(0, len(steps) - 1)))
    exs = data.draw(exclusions(len(steps))) if order != "unordered" else []
    got = funnel(log, steps, order=order, by=by, attribution=attribution, exclusions=exs)
    ref = reference_funnel(log, steps, order, None, exclusions=exs, by=by,
                           attribution=attribution)
    assert set(got) == set(ref)
    for key, result in got.items():
        _compare(result, ref[key])


@given(product_event_logs(), funnel_steps(max_steps=3))
def test_funnel_results_merge_over_partitions(log, steps) -> None:
    whole = funnel(log, steps)
    a, b = log.partition(2)
    merged = funnel(a, steps).merge(funnel(b, steps))
    assert merged == whole
    assert merged.total.observations().tolist() == whole.total.observations().tolist()


@given(product_event_logs(), funnel_steps(max_steps=4))
def test_order_modes_nest(log, steps) -> None:
    """strict paths are ordered paths; ordered ones are unordered ones; every windowFunnel
    option only removes conversions (strict_order, deduplication, increase, once)."""
    strict = funnel(log, steps, order="strict").counts
    ordered = funnel(log, steps).counts
    unordered = funnel(log, steps, order="unordered").counts
    assert all(s <= o <= u for s, o, u in zip(strict, ordered, unordered, strict=True))
    base = window_funnel(log, steps).counts
    for mode in ALL_MODES:
        if not mode.allow_reentry:
            assert all(x <= y for x, y in
                       zip(window_funnel(log, steps, mode=mode).counts, base, strict=True))


def test_errors_name_the_bad_value() -> None:
    f = Funnel("p", [Stage("e"), Stage("done", kind="won")])
    log = EventLog.from_arrays(f, entity=[1], stage=[0], ts=[0], unit="s")
    with pytest.raises(InvalidParameterError, match="event names"):
        funnel(log, [Step(event="view")])
    with pytest.raises(InvalidParameterError, match="'ordred'"):
        funnel(log, ["e"], order="ordred")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="strict_ordr"):
        window_funnel(log, ["e"], mode="strict_ordr")
    with pytest.raises(InvalidParameterError, match="allow_reentry"):
        WindowFunnelMode(allow_reentry=True)
    with pytest.raises(InvalidParameterError, match="step_windows"):
        funnel(log, ["e", "done"], step_windows=[1, 2])
    with pytest.raises(InvalidParameterError, match="unordered"):
        funnel(log, ["e", "done"], order="unordered", exclusions=[Exclusion("x", 0, 1)])
    with pytest.raises(InvalidParameterError, match="start < end"):
        Exclusion("x", 1, 1)
    with pytest.raises(InvalidParameterError, match="'colour'"):
        funnel(log, ["e"], by="colour")
    with pytest.raises(InvalidParameterError, match="window"):
        window_funnel(log, ["e"], window=-1)


def test_empty_log_gives_zero_counts() -> None:
    f = Funnel("p", [Stage("e"), Stage("done", kind="won")])
    log = with_events(EventLog.from_arrays(f, entity=[], stage=[], ts=[], unit="s"), event=[])
    r = funnel(log, ["a", "b"])
    assert r.counts == (0, 0) and np.isnan(r.overall_rate).all()
    assert window_funnel(log, ["a", "b"], mode="strict_once").counts == (0, 0)
    assert np.isnan(r.total.mean)


@given(window_funnel_modes(), product_event_logs(max_events=20), funnel_steps(max_steps=3))
def test_modes_round_trip_and_each_option_only_removes(mode, log, steps) -> None:
    assert WindowFunnelMode.parse(mode.options) == mode
    assert WindowFunnelMode.parse(", ".join(mode.options)) == mode
    got = window_funnel(log, steps, mode=mode)
    assert got.options == mode.options
    if not mode.allow_reentry:
        assert all(a <= b for a, b in zip(got.counts, window_funnel(log, steps).counts,
                                           strict=True))


@settings(max_examples=50, deadline=None)
@given(product_event_logs(max_events=24), funnel_steps(max_steps=3))
def test_histogram_counts_every_conversion(log, steps) -> None:
    # Durations keep (value, count) pairs: the histogram must weigh each distinct
    # duration by its count, so it covers every converted entity once.
    got = funnel(log, steps, order="ordered")
    assume(got.total is not None)
    counts, _ = got.histogram(bins=5)
    assert int(counts.sum()) == len(got.total.observations()) == got.counts[-1]


# -- step matching against the rule's row-by-row evaluation -------------------------------------

CHECKS = ["url == '/pricing'", "url != '/docs'", "plan in ['pro', 'team']", "price >= 10",
          "plan is set", "price is not set", "(url == '/' or plan == 'free')",
          "not (price < 20)"]


@settings(max_examples=150, deadline=None)
@given(product_event_logs(max_events=60),
       st.one_of(st.none(), st.sampled_from(["view", "signup", "buy"])),
       st.lists(st.sampled_from(CHECKS), min_size=1, max_size=4))
def test_step_matches_equal_the_rule_row_by_row(log, event, checks) -> None:
    """The checks are evaluated one after another on the rows still in; the mask must
    equal the rule tested on each row alone (missing values are absent keys)."""
    step = Step(event=event, where=" and ".join(checks))
    got = step.matches(log)
    names = log.event.values()
    for r in range(len(log)):
        row = {}
        for name, col in log.properties.items():
            v = col[r]
            v = v.item() if isinstance(v, np.generic) else v
            if v is not None and not (isinstance(v, float) and v != v):
                row[name] = v
        want = (event is None or names[r] == event) and step.where.test(row)
        assert bool(got[r]) == want, (r, row)
