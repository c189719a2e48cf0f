"""The shared kernels agree with the pure-Python reference on generated logs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.reference import (
    FUNNELS,
    Row,
    by_entity,
    columns,
    is_main,
    logs,
    n_path,
    ref_depth,
    ref_first_row,
    ref_first_times,
    ref_latest_stage,
    ref_ordered_level,
)
from salesfunnel import EventLog, Funnel, InvalidParameterError, Stage
from salesfunnel.metrics import _kernels as K

NS = 1_000_000_000


def build(funnel: Funnel, rows: list[Row]) -> EventLog:
    return EventLog.from_arrays(funnel, unit="s", **columns(rows))


@settings(max_examples=60)
@given(data=logs(), window=st.one_of(st.none(), st.sampled_from([0, 1, 3_600, 86_400])),
       sort_first=st.booleans())
def test_per_entity_kernels_match_reference(data: tuple[Funnel, list[Row]],
                                            window: int | None, sort_first: bool) -> None:
    funnel, rows = data
    log = build(funnel, rows)
    if sort_first:  # latest_stage takes a different path when the sort is cached
        log.sorted_by_entity_time()
    groups = by_entity(rows)
    ids = log.ids.tolist()
    code = {e: ids.index(e) for e in groups}
    depth = K.depth(log)
    first = K.first_times(log)
    latest = K.latest_stage(log)
    ordered = K.ordered_levels(log, None if window is None else window * NS)
    entered = K.entered(log)
    first_row = K.first_event_row(log)
    assert first.shape == (log.n_entities, n_path(funnel))
    for e, indexed in groups.items():
        c = code[e]
        evs = [r for _, r in indexed]
        assert depth[c] == ref_depth(funnel, evs)
        assert [None if t == K.NEVER else t // NS for t in first[c].tolist()] == \
            ref_first_times(funnel, evs)
        assert latest[c] == ref_latest_stage(evs)
        assert ordered[c] == ref_ordered_level(funnel, evs, window)
        assert set(np.flatnonzero(entered[c]).tolist()) == {r.stage for r in evs}
        assert first_row[c] == ref_first_row(indexed)[0]
        assert K.first_event_time(log)[c] == min(r.ts for r in evs) * NS
        assert K.last_event_time(log)[c] == max(r.ts for r in evs) * NS


@settings(max_examples=40)
@given(values=st.lists(st.integers(-1, 6), max_size=30), n=st.integers(0, 7))
def test_counts_at_least(values: list[int], n: int) -> None:
    assert K.counts_at_least(values, n).tolist() == [
        sum(v >= k for v in values) for k in range(n)]


def test_entity_groups() -> None:
    log = EventLog.from_arrays(FUNNELS[1], entity=[1, 1, 2, 3, 3], stage=[0, 1, 0, 3, 0],
                               ts=[5, 1, 0, 2, 2], unit="s",
                               segments={"channel": ["web", "ads", "ads", "tv", "mail"]})
    groups = K.entity_groups(log, "channel")
    # Entity 1's first event is at t=1 (ads); entity 3 ties at t=2: the lower stage wins.
    assert groups.categories[groups.codes].tolist() == ["ads", "ads", "mail"]
    assert groups.count([0, 1, 1], 2).tolist() == [[1, 1], [0, 1], [0, 0], [0, 0]]
    assert groups.sum([1.0, 2.0, 4.0]).tolist() == [3.0, 4.0, 0.0, 0.0]
    assert [g.tolist() for g in groups.split(np.array([10, 20, 30]))] == [[10, 20], [30], [],
                                                                          []]
    with pytest.raises(InvalidParameterError, match="by='chanel' is not a segment column"):
        K.entity_groups(log, "chanel")


def test_kernel_results_are_cached_and_read_only() -> None:
    log = EventLog.from_arrays(FUNNELS[1], entity=[1], stage=[0], ts=[0], unit="s")
    assert K.depth(log) is K.depth(log)
    with pytest.raises(ValueError, match="read-only"):
        K.first_times(log)[0, 0] = 1


@settings(max_examples=60)
@given(data=logs(), rows_per=st.integers(1, 9), on_worker=st.booleans())
def test_first_tables_in_slices_match_reference(data: tuple[Funnel, list[Row]],
                                                rows_per: int, on_worker: bool) -> None:
    """The first-time scatter takes the log a slice of rows at a time, on the main thread
    (``np.minimum.at``) and on a pool's worker (the GIL-free scatter, which checks the
    table for every slice after the first): any slice size gives the reference first
    times and the same arrival flags as one piece."""
    from salesfunnel._engine._pool import parallel_map

    funnel, rows = data
    whole = K.first_tables(build(funnel, rows))
    log = build(funnel, rows)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(K, "_SCATTER_ROWS", rows_per)
        mp.setattr(K, "_SCATTER_ROWS_PARALLEL", rows_per)
        # two items: parallel_map runs them on pool threads (the first is the one used)
        tables = (parallel_map(lambda _: K.first_tables(log), [0, 1], 2)[0] if on_worker
                  else K.first_tables(log))
    ids = log.ids.tolist()
    first = tables.ns(tables.units)
    arrived = np.column_stack([tables.arrived(k) for k in range(n_path(funnel))])
    for e, indexed in by_entity(rows).items():
        c = ids.index(e)
        evs = [r for _, r in indexed]
        assert [None if t == K.NEVER else t // NS for t in first[c].tolist()] == \
            ref_first_times(funnel, evs)
        # arrived at k: an event at stage k no later than any event deeper on the path
        for k in range(n_path(funnel)):
            at_k = [r.ts for r in evs if r.stage == k]
            deeper = [r.ts for r in evs if is_main(funnel, r.stage) and r.stage > k]
            assert arrived[c, k] == (bool(at_k) and (not deeper or min(at_k) <= min(deeper)))
    assert np.array_equal(tables.bits, whole.bits)
    assert np.array_equal(tables.entry, whole.entry)


@settings(max_examples=40)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 12), st.integers(0, 30)),
                min_size=1, max_size=60))
def test_arrival_flags_past_eight_stages_match_reference(
        events: list[tuple[int, int, int]]) -> None:
    """The arrival flags are kept eight stages to a byte: a path of 12 stages (and a LOST
    stage) spans two bytes, and every flag still says whether the entity's first arrival
    at depth >= k was at stage k itself."""
    stages = [Stage(f"s{i}") for i in range(11)]
    funnel = Funnel("long", [*stages, Stage("won", kind="won"), Stage("lost", kind="lost")])
    ent, stage, ts = (list(c) for c in zip(*events, strict=True))
    log = EventLog.from_arrays(funnel, entity=ent, stage=stage, ts=ts, unit="s")
    tables = K.first_tables(log)
    assert tables.bits.shape == (2, log.n_entities)
    ids = log.ids.tolist()
    for e in set(ent):
        evs = [(s, t) for x, s, t in events if x == e]
        for k in range(12):
            at_k = [t for s, t in evs if s == k]
            deeper = [t for s, t in evs if k < s < 12]
            want = bool(at_k) and (not deeper or min(at_k) <= min(deeper))
            assert tables.arrived(k)[ids.index(e)] == want, (e, k)
    rows = np.arange(log.n_entities)[::2]
    for k in range(12):  # the flags of some entities only: the same flags
        assert np.array_equal(tables.arrived(k, rows), tables.arrived(k)[rows])
