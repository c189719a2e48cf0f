"""Partitioned execution: every metric gives the same result for every number of
partitions and workers (the property the engine rests on), and the pieces around it."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesfunnel as sf
from salesfunnel import EventLog, PartitionedLog
from salesfunnel._engine import Progress, parallel_map, tree_merge
from salesfunnel._engine._hash import bucket_of, hash_ids
from salesfunnel.metrics import cohorts, compare, conversion, pipeline, survival, timing
from salesfunnel.planner import MarkovModel
from salesfunnel.testing import (
    Partitioning,
    assert_partition_invariant,
    event_logs,
    funnels,
    partitionings,
)

LOGS = event_logs(max_entities=25, segments=["channel"])


def _metrics(log: EventLog) -> dict[str, Any]:
    """Every partitioned metric, under several options, as ``f(log, workers=...)``:
    conversion and cohorts in every semantic, with and without ``by``."""
    as_of = np.datetime64(int(log.ts.max()) if len(log) else 0, "ns")
    start = int(log.ts.min()) if len(log) else 0
    # late entry for every other entity, one to three days before the log begins
    entry = {i: np.datetime64(start - (1 + k % 3) * 86_400 * 10**9, "ns")
             for k, i in enumerate(log.ids.tolist()) if k % 2 == 0}
    return {
        "reached": conversion,
        "entered": lambda x, workers: conversion(x, semantic="entered", workers=workers),
        "ordered": lambda x, workers: conversion(x, semantic="ordered", window=86_400 * 3,
                                                 workers=workers),
        "ordered, no window": lambda x, workers: conversion(x, semantic="ordered",
                                                            workers=workers),
        "by channel": lambda x, workers: conversion(x, by="channel", workers=workers),
        "entered by channel": lambda x, workers: conversion(x, semantic="entered",
                                                            by="channel", workers=workers),
        "ordered by channel": lambda x, workers: conversion(
            x, semantic="ordered", window=86_400, by="channel", workers=workers),
        "timing": timing,
        "timing by channel": lambda x, workers: timing(x, by="channel", workers=workers),
        "timing sketch": lambda x, workers: timing(x, accuracy=0.02, workers=workers),
        "timing percentiles": lambda x, workers: timing(x, percentiles=(0, 5, 37.5, 99, 100),
                                                        workers=workers),
        "survival": lambda x, workers: survival(x, as_of=as_of, workers=workers),
        "survival lost": lambda x, workers: survival(x, as_of=as_of, lost="censor",
                                                     workers=workers),
        "survival by channel": lambda x, workers: survival(x, as_of=as_of, by="channel",
                                                           workers=workers),
        "survival late entry": lambda x, workers: survival(x, as_of=as_of, entry=entry,
                                                           workers=workers),
        "pipeline": pipeline,
        "pipeline by channel": lambda x, workers: pipeline(x, by="channel", workers=workers),
        "pipeline as of": lambda x, workers: pipeline(x, as_of=as_of - 86_400 * 10**9,
                                                      workers=workers),
        "cohorts": lambda x, workers: cohorts(x, period="week", workers=workers),
        "cohorts entered": lambda x, workers: cohorts(x, period="day", semantic="entered",
                                                      workers=workers),
        "cohorts ordered by channel": lambda x, workers: cohorts(
            x, period="month", semantic="ordered", window=86_400 * 2, by="channel",
            workers=workers),
        "compare": lambda x, workers: compare(x, x, semantic="entered", workers=workers),
        "compare reached": lambda x, workers: compare(x, x, workers=workers),
        "compare ordered": lambda x, workers: compare(x, x, semantic="ordered",
                                                      window=86_400, workers=workers),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=LOGS, how=partitionings(max_parts=6, max_workers=3))
def test_every_metric_is_the_same_for_every_partitioning(log: EventLog,
                                                          how: Partitioning) -> None:
    for name, metric in _metrics(log).items():
        try:
            assert_partition_invariant(metric, log, how)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), how_a=partitionings(max_parts=5, max_workers=3),
       how_b=partitionings(max_parts=5, max_workers=3),
       semantic=st.sampled_from(["reached", "entered", "ordered"]))
def test_compare_of_two_logs_is_the_same_for_every_partitioning(
        data: st.DataObject, how_a: Partitioning, how_b: Partitioning, semantic: str) -> None:
    """``compare`` of two different logs of one funnel, each split its own way (and one
    side left whole): the comparison of the two unsplit logs, in every semantic."""
    funnel = data.draw(funnels(max_stages=6))
    a = data.draw(event_logs(funnel, max_entities=25))
    b = data.draw(event_logs(funnel, max_entities=25))
    window = 86_400 * 2 if semantic == "ordered" else None
    whole = compare(a, b, semantic=semantic, window=window, workers=1)
    workers = max(how_a.workers, how_b.workers)
    for left, right in ((how_a.apply(a), how_b.apply(b)), (how_a.apply(a), b),
                        (a, how_b.apply(b))):
        assert compare(left, right, semantic=semantic, window=window,
                       workers=workers) == whole


@settings(max_examples=40, deadline=None)
@given(log=LOGS, how=partitionings(max_parts=6, max_workers=3))
def test_markov_fit_is_the_same_for_every_partitioning(log: EventLog,
                                                        how: Partitioning) -> None:
    """Every fitted attribute, not only the counts: the visits, entry and re-entry
    probabilities and holding times come from sums merged over the parts too."""
    from salesfunnel.planner._markov import _LEARNED

    whole = MarkovModel().fit(log, workers=1)
    parted = MarkovModel().fit(how.apply(log), workers=how.workers)
    assert whole.is_fitted and parted.is_fitted
    for attr in _LEARNED:
        a, b = getattr(whole, attr), getattr(parted, attr)
        if isinstance(a, sf.Funnel):
            assert a == b, attr
        else:
            assert np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True), attr


@settings(max_examples=25, deadline=None)
@given(log=LOGS, workers=st.integers(2, 4))
def test_a_plain_log_splits_itself_with_workers(log: EventLog, workers: int,
                                                ) -> None:
    import salesfunnel.metrics._parallel as par

    old = par.MIN_PART_EVENTS
    par.MIN_PART_EVENTS = 1  # split even tiny logs
    try:
        fresh = EventLog.from_arrays(log.funnel, entity=log.ids[log.entity], stage=log.stage,
                                     ts=log.ts, unit="ns",
                                     segments={k: s.values() for k, s in log.segments.items()})
        assert conversion(fresh, workers=workers) == conversion(log, workers=1)
        assert timing(fresh, by="channel", workers=workers) == timing(log, by="channel",
                                                                     workers=1)
    finally:
        par.MIN_PART_EVENTS = old


def test_parts_hold_every_entity_once_and_keep_ids_sorted() -> None:
    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
    rng = np.random.default_rng(3)
    ids = np.array([f"id{i}" for i in rng.integers(0, 500, 3000)], dtype=object)
    log = EventLog.from_arrays(f, entity=ids, stage=rng.integers(0, 2, 3000),
                               ts=rng.integers(0, 10**6, 3000), unit="s")
    plog = PartitionedLog.from_log(log, parts=4)
    seen = np.concatenate([p.ids for p in plog.to_logs()])
    assert sorted(seen.tolist()) == sorted(log.ids.tolist())
    for p in plog.to_logs():
        assert p.ids.tolist() == sorted(p.ids.tolist())
        assert len(p) == int(np.isin(log.ids[log.entity], p.ids).sum())
    built = PartitionedLog.from_arrays(f, entity=ids, stage=log.stage[np.argsort(
        np.arange(len(log)))], ts=rng.integers(0, 1, 3000), unit="s", parts=4, workers=2)
    assert [p.n_entities for p in built.to_logs()] == [p.n_entities for p in plog.to_logs()]
    # Cut on one thread or several, into a few parts (each scans the buckets) or many
    # (one counting sort): the same parts, every row once, in the log's row order.
    for parts in (4, 20):
        cuts = [PartitionedLog.from_log(log, parts=parts, workers=w).to_logs()
                for w in (1, 3)]
        for one, many in zip(*cuts, strict=True):
            assert one.ids.tolist() == many.ids.tolist()
            assert one.entity.tolist() == many.entity.tolist()
            assert one.ts.tolist() == many.ts.tolist()
        rows = [(str(p.ids[e]), int(t)) for p in cuts[0] for e, t in zip(p.entity, p.ts,
                                                                          strict=True)]
        assert sorted(rows) == sorted(zip(log.ids[log.entity].tolist(), log.ts.tolist(),
                                          strict=True))


def test_mix64_is_the_splitmix64_finalizer_across_its_slices() -> None:
    """The hash behind every partition (and every dataset ``write_bucketed`` wrote) is
    splitmix64's finalizer value for value, over more than two of the slices it is
    computed in (a changed hash would send ids to other buckets)."""
    from salesfunnel._engine import _hash

    mask = 2**64 - 1

    def splitmix(x: int) -> int:
        x ^= x >> 30
        x = (x * 0xBF58476D1CE4E5B9) & mask
        x ^= x >> 27
        x = (x * 0x94D049BB133111EB) & mask
        return x ^ (x >> 31)

    rng = np.random.default_rng(12)
    n = 2 * _hash._MIX_SLICE + 77
    values = rng.integers(0, 2**64, n, dtype=np.uint64, endpoint=False)
    values[:2] = [0, mask]
    assert _hash.mix64(values).tolist() == [splitmix(v) for v in values.tolist()]
    assert splitmix(1) == 6238072747940578789  # as mix64 gave before it was sliced


def test_hashes_agree_across_types_and_paths() -> None:
    pa = pytest.importorskip("pyarrow")
    from salesfunnel._engine._hash import _text_hash_py, hash_arrow_text

    words = ["", "a", "deal-0000001", "é漢字", "x" * 30, "abcdefgh", "abcdefghi"]
    as_objects = hash_ids(np.array(words, dtype=object))
    assert as_objects.tolist() == [_text_hash_py(w) for w in words]
    assert hash_arrow_text(pa.array(words)).tolist() == as_objects.tolist()
    sliced = pa.array(["zz", *words]).slice(1)
    assert hash_arrow_text(sliced).tolist() == as_objects.tolist()
    assert bucket_of(np.arange(5, dtype=np.int32), 3).tolist() == bucket_of(
        np.arange(5, dtype=np.uint64), 3).tolist()


@settings(max_examples=100)
@given(values=st.lists(st.one_of(st.text(max_size=12), st.none()), min_size=1, max_size=40))
def test_text_factorization_matches_the_general_path(values: list[str | None]) -> None:
    from salesfunnel.events._factorize import factorize_text

    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    fast = factorize_text(arr)
    if fast is None:  # e.g. lone surrogates: Arrow refuses them, the general path runs
        return
    codes, uniques, missing = fast
    present = [v for v in values if v is not None]
    assert uniques == sorted(set(present))
    assert missing.tolist() == [v is None for v in values]
    assert [uniques[c] if c >= 0 else None for c in codes.tolist()] == values


def test_workers_option_is_library_wide_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    before = sf.get_options().workers
    with sf.set_options(workers=3):
        assert sf.get_options().workers == 3
    assert sf.get_options().workers == before
    with pytest.raises(sf.InvalidParameterError, match="'workers' parameter of set_options"):
        sf.set_options(workers=0)
    with pytest.raises(sf.InvalidParameterError, match="'workers' parameter of conversion"):
        conversion(_tiny(), workers=-1)
    import salesfunnel._engine._options as opts

    with pytest.raises(sf.InvalidParameterError, match=r"'workers' parameter of Options.*0"):
        sf.Options(workers=0)  # used to be accepted
    monkeypatch.delenv(opts.ENV_WORKERS, raising=False)
    import os

    cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count())
    assert opts._initial_workers() == cores  # the number of cores, by default
    monkeypatch.setenv(opts.ENV_WORKERS, "5")
    assert opts._initial_workers() == 5
    # a metric without workers= runs on the library option's threads
    import salesfunnel._engine._partitioned as part

    seen: list[int] = []
    real = part.parallel_map

    def spy(fn: Any, items: Any, workers: int, **kwargs: Any) -> Any:
        seen.append(workers)
        return real(fn, items, workers, **kwargs)

    monkeypatch.setattr(part, "parallel_map", spy)
    plog = PartitionedLog.from_log(_tiny(), parts=4, workers=1)
    for n in (1, 3):
        with sf.set_options(workers=n):
            assert conversion(plog) == conversion(_tiny(), workers=1)
        assert seen[-1] == n
    for raw in ("many", "0", "99999999999999999999999"):  # the last was taken as it is
        monkeypatch.setenv(opts.ENV_WORKERS, raw)
        with pytest.raises(sf.InvalidParameterError, match=f"SALESFUNNEL_WORKERS.*'{raw}'"):
            opts._initial_workers()


def _tiny() -> EventLog:
    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
    return EventLog.from_arrays(f, entity=[1, 1, 2], stage=[0, 1, 0], ts=[0, 1, 2], unit="s")


def test_pool_keeps_order_and_raises_the_first_error() -> None:
    assert parallel_map(lambda x: x * 2, list(range(20)), 3) == list(range(0, 40, 2))

    def boom(x: int) -> int:
        if x == 7:
            raise ValueError("seven")
        return x

    with pytest.raises(ValueError, match="seven"):
        parallel_map(boom, list(range(20)), 3)
    with pytest.raises(ValueError, match="nothing to merge"):
        tree_merge([])


def test_pool_raises_the_error_of_the_earliest_failing_item() -> None:
    """When several calls fail, the error raised is the earliest item's, not whichever
    failed first in time: here item 1 fails at once and item 0 only after item 1 has
    failed (a closed PartitionedLog named part 1 or part 0 depending on the race)."""
    import threading

    one_failed = threading.Event()

    def fail(x: int) -> int:
        if x == 1:
            one_failed.set()
            raise ValueError("item 1")
        assert one_failed.wait(5)
        raise ValueError("item 0")

    for _ in range(5):
        one_failed.clear()
        with pytest.raises(ValueError, match="item 0"):
            parallel_map(fail, [0, 1], 2)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_erased_at_the_end() -> None:
    tty = _Tty()
    with Progress(4, "work", True, stream=tty, delay=0.0) as bar:
        bar.advance(2)
        assert "work [" in tty.getvalue() and "2/4" in tty.getvalue()
    assert tty.getvalue().endswith("\r\x1b[2K")
    plain = io.StringIO()
    with Progress(4, "work", True, stream=plain, delay=0.0) as bar:
        bar.advance(4)
    assert plain.getvalue() == ""
    quiet = _Tty()
    with Progress(4, "work", False, stream=quiet, delay=0.0) as bar:
        bar.advance(4)
    assert quiet.getvalue() == ""


def _parquet_dataset(directory: Any, n: int = 5000) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rng = np.random.default_rng(4)
    for i in range(3):
        pq.write_table(pa.table({"entity": [f"d{k}" for k in rng.integers(0, n // 3, n)],
                                 "stage": rng.integers(0, 2, n),
                                 "ts": rng.integers(0, 10**6, n)}),
                       directory / f"f{i}.parquet", row_group_size=1000)


def test_parquet_partitions_equal_the_in_memory_log_and_are_cleaned_up(tmp_path: Any) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    data, spill = tmp_path / "data", tmp_path / "spill"
    data.mkdir()
    spill.mkdir()
    _parquet_dataset(data)
    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
    log = EventLog.from_arrow(f, pq.read_table(data), unit="s")
    files = sorted(str(p) for p in data.glob("*.parquet"))
    with PartitionedLog.from_parquet(f, files, unit="s", parts=5, batch_rows=700,
                                     spill_dir=spill) as plog:
        assert len(plog) == len(log) and plog.n_parts == 5
        assert len(list(spill.iterdir())) == 1
        assert conversion(plog, workers=2) == conversion(log, workers=1)
        assert timing(plog, workers=2) == timing(log, workers=1)
        assert plog.n_entities == log.n_entities
    assert list(spill.iterdir()) == []  # closed: the partitions are gone
    plog = PartitionedLog.from_parquet(f, data, unit="s", parts=2, spill_dir=spill)
    del plog
    import gc

    gc.collect()
    assert list(spill.iterdir()) == []  # garbage collected: gone too


def test_ctrl_c_while_reading_leaves_nothing_behind(tmp_path: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import salesfunnel._engine._partitioned as part

    data, spill = tmp_path / "data", tmp_path / "spill"
    data.mkdir()
    spill.mkdir()
    _parquet_dataset(data)
    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
    calls = []
    real = part.group_rows

    def interrupted(bucket: Any, n: int) -> Any:
        calls.append(n)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(bucket, n)

    monkeypatch.setattr(part, "group_rows", interrupted)
    with pytest.raises(KeyboardInterrupt):
        PartitionedLog.from_parquet(f, data, unit="s", parts=4, batch_rows=500,
                                    spill_dir=spill)
    assert len(calls) == 3 and list(spill.iterdir()) == []


def test_parquet_errors_name_the_problem(tmp_path: Any) -> None:
    pytest.importorskip("pyarrow")
    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
    with pytest.raises(sf.InvalidParameterError, match="'source' parameter"):
        PartitionedLog.from_parquet(f, tmp_path / "nowhere", unit="s")
    _parquet_dataset(tmp_path)
    with pytest.raises(sf.EventLogError, match=r"\['deal'\]"):
        PartitionedLog.from_parquet(f, tmp_path, entity="deal", unit="s")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), how=partitionings(max_parts=6, max_workers=3))
def test_row_probability_pipeline_is_exact_for_every_partitioning(
        data: st.DataObject, how: Partitioning) -> None:
    """Weighted and estimated values from per-row probabilities are exact sums: float
    addition in another order (per part, then merged) would change their last bits."""
    log = data.draw(event_logs(max_entities=25))
    n = len(log)
    awkward = st.sampled_from([0.1, 0.2, 0.3, 1e16, -1e16, 1.0 / 3.0, 2.5, 7e-3])
    amounts = data.draw(st.lists(st.one_of(st.just(np.nan), awkward), min_size=n, max_size=n))
    probs = data.draw(st.lists(st.one_of(st.just(np.nan), st.sampled_from(
        [0.1, 0.3, 0.7, 1.0 / 3.0, 0.0, 1.0])), min_size=n, max_size=n))
    log = EventLog.from_arrays(log.funnel, entity=log.ids[log.entity], stage=log.stage,
                               ts=log.ts, unit="ns", amount=np.array(amounts, np.float64),
                               probability=np.array(probs, np.float64))
    assert_partition_invariant(pipeline, log, how)


def test_partitioned_constructors_take_stage_maps_and_row_probabilities(tmp_path: Any) -> None:
    """PartitionedLog.from_arrays / from_arrow / from_parquet read a CRM export like
    EventLog does: CRM stage names through ``stage_map``, per-row probability and
    forecast category."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    funnel = sf.Funnel("deals", [sf.Stage("lead", probability=0.1), sf.Stage("demo"),
                                 sf.Stage("won", kind="won"), sf.Stage("lost", kind="lost")])
    cols = {"entity": ["a", "a", "b", "c", "c", "d"],
            "stage": ["New", "Demo Booked", "New", "New", "Closed Won", "Demo Booked"],
            "ts": [0, 10, 1, 2, 20, 3], "amount": [100.0, 120.0, 50.0, 70.0, 80.0, 10.0],
            "probability": [0.1, 0.4, np.nan, 0.2, 1.0, 0.35],
            "forecast": ["pipeline", "best case", "pipeline", "pipeline", "closed", "commit"]}
    mapping = {"New": "lead", "Demo Booked": "demo", "Closed Won": "won"}
    whole = EventLog.from_arrays(funnel, entity=cols["entity"], stage=cols["stage"],
                                 ts=cols["ts"], unit="D", amount=cols["amount"],
                                 stage_map=mapping, probability=cols["probability"],
                                 forecast_category=cols["forecast"])
    expected = pipeline(whole)
    assert expected.weighted is not None
    table = pa.table(cols)
    pq.write_table(table, tmp_path / "deals.parquet")
    read = dict(entity="entity", stage="stage", ts="ts", unit="D", amount="amount",
                stage_map=mapping, probability="probability", forecast_category="forecast")
    built = [
        PartitionedLog.from_arrays(funnel, entity=cols["entity"], stage=cols["stage"],
                                   ts=cols["ts"], unit="D", amount=cols["amount"],
                                   stage_map=mapping, probability=cols["probability"],
                                   forecast_category=cols["forecast"], parts=3, workers=2),
        PartitionedLog.from_arrow(funnel, table, parts=3, workers=2, **read),
        PartitionedLog.from_parquet(funnel, tmp_path / "deals.parquet", parts=3, **read),
    ]
    for plog in built:
        assert pipeline(plog, workers=2) == expected
        by_whole = conversion(whole, by="forecast_category")
        by_parts = conversion(plog, by="forecast_category", workers=2)
        # an entity's value is the one on its first event
        assert set(by_parts) == set(by_whole) == {"pipeline", "commit"}
        assert all(by_parts[k].counts == by_whole[k].counts for k in by_whole)


@pytest.mark.parametrize("unit", ["D", "s", "ms", "ns"])
def test_coarse_times_with_bad_rows_split_like_the_whole_log(unit: str) -> None:
    """Times in any datetime64 unit, with a NaT and a date past 2262 (only representable
    in coarse units): every part converts and checks them like one log does, so the
    dropped rows and the results are the same."""
    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
    rng = np.random.default_rng(5)
    n = 4_000
    ts = (np.datetime64("2024-01-01", "D") + rng.integers(0, 400, n)).astype(f"M8[{unit}]")
    ts[7] = np.datetime64("NaT")
    if unit != "ns":
        ts[11] = np.datetime64("3000-01-01", unit)
    ent = rng.integers(0, 900, n)
    stage = rng.integers(0, 2, n)
    whole = EventLog.from_arrays(f, entity=ent, stage=stage, ts=ts, on_invalid="drop")
    parts = PartitionedLog.from_arrays(f, entity=ent, stage=stage, ts=ts, parts=3,
                                       workers=2, on_invalid="drop")
    assert parts.dropped == whole.dropped == (1 if unit == "ns" else 2)
    assert timing(parts) == timing(whole)
    assert conversion(parts) == conversion(whole)
    with pytest.raises(sf.EventLogError, match="time"):
        PartitionedLog.from_arrays(f, entity=ent, stage=stage, ts=ts, parts=3, workers=2)


def test_the_default_parts_are_two_per_thread() -> None:
    """Without ``parts``, the constructors make two partitions per thread (one for a
    single thread), from arrays and from Arrow, and follow the library-wide option."""
    import pyarrow as pa

    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
    cols = {"entity": np.arange(50) % 17, "stage": np.arange(50) % 2, "ts": np.arange(50)}
    table = pa.table(cols)
    for workers, parts in ((1, 1), (2, 4), (3, 6)):
        assert PartitionedLog.from_arrays(f, **cols, unit="s", workers=workers).n_parts == parts
        assert PartitionedLog.from_arrow(f, table, unit="s", workers=workers).n_parts == parts
    with sf.set_options(workers=3):
        assert PartitionedLog.from_arrays(f, **cols, unit="s").n_parts == 6


@pytest.mark.parametrize("unit", ["W", "D", "h", "m", "s", "ms", "us", "15m", "ns"])
def test_coarse_times_convert_to_nanoseconds_like_astype(unit: str) -> None:
    """Coarse times become nanoseconds by a multiply that lets other threads run (a
    part's times, and every log's ``to_ns_array``): the values of ``astype`` up to the
    last representable time, at both ends; with a NaT or a time past 2262 the column
    goes the checked way (a part's column is left for the log's own checks, and
    ``to_ns_array`` reports the value)."""
    from salesfunnel._engine._partitioned import _ns_times
    from salesfunnel._util._time import coarse_ns, to_ns_array

    dtype = np.dtype(f"M8[{unit}]")
    step = np.timedelta64(1, unit).astype("m8[ns]").astype(np.int64)
    limit = (2**63 - 2) // int(step)
    rng = np.random.default_rng(3)
    raw = np.concatenate([rng.integers(-limit, limit, 1_000, endpoint=True), [-limit, limit]])
    values = raw.astype(np.int64).view(dtype)
    got = _ns_times(values)
    assert got.dtype == np.dtype("M8[ns]")
    assert np.array_equal(got, values.astype("M8[ns]"))
    ns, problems = to_ns_array(values)
    assert problems == {} and np.array_equal(ns, values.astype("M8[ns]").view(np.int64))
    assert (coarse_ns(values) is None) == (unit == "ns")
    with_nat = values.copy()
    with_nat[5] = np.datetime64("NaT")
    assert coarse_ns(with_nat) is None
    ns, problems = to_ns_array(with_nat)
    assert list(problems) == ["missing"] and np.flatnonzero(problems["missing"]).tolist() == [5]
    assert np.array_equal(ns[6:], with_nat[6:].astype("M8[ns]").view(np.int64))
    if unit != "ns":
        assert _ns_times(with_nat) is with_nat
        beyond = values.copy()
        beyond.view(np.int64)[0] = limit + 1  # past 2262 in nanoseconds
        assert _ns_times(beyond) is beyond and coarse_ns(beyond) is None
        ns, problems = to_ns_array(beyond)
        assert np.flatnonzero(problems["range"]).tolist() == [0] and ns[0] == 0


@pytest.mark.parametrize("unit", ["D", "s", "us", "ns", "15m"])
def test_byte_swapped_times_mean_the_same_times(unit: str) -> None:
    """A ``datetime64`` column in the other byte order (as some files and buffers give
    them) holds the same times: the fast conversion used its raw integers (2025-01-08 in
    microseconds became 1978), and the range check flagged valid times."""
    from salesfunnel._engine._partitioned import _ns_times
    from salesfunnel._util._time import datetime64_in_range, to_ns_array

    # midnights only: their swapped bytes, read as int64, are themselves in range in
    # some units (2025-01-08 in microseconds), so only the byte order tells them apart
    native = np.array(["2025-01-08", "2025-01-08", "2262-01-01", "2025-01-09"],
                      dtype=f"M8[{unit}]")
    swapped = native.astype(native.dtype.newbyteorder("S"))
    assert not swapped.dtype.isnative and np.array_equal(swapped, native)
    assert datetime64_in_range(swapped).all()
    got, problems = to_ns_array(swapped)
    want, _ = to_ns_array(native)
    assert problems == {} and got.tolist() == want.tolist()
    assert _ns_times(swapped).astype("M8[ns]").tolist() == native.astype("M8[ns]").tolist()
    cols = dict(entity=[1, 2, 3, 4], stage=[0, 1, 0, 1])
    log = EventLog.from_arrays(F2, **cols, ts=swapped)
    assert log.ts.tolist() == EventLog.from_arrays(F2, **cols, ts=native).ts.tolist()
    plog = PartitionedLog.from_arrays(F2, **cols, ts=swapped, parts=2, workers=2)
    assert sorted(t for p in plog.parts for t in p.ts.tolist()) == sorted(want.tolist())


# -- bad input: every problem is the library's own error, naming the value ----------------

F2 = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])


def test_more_parts_than_the_hash_can_reach_are_refused(tmp_path: Any) -> None:
    """2**40 parts used to escape as a bare ValueError from the hash (and from_parquet
    left its temporary directory behind); the bound is now checked first."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    cols = dict(entity=[1, 1, 2], stage=[0, 1, 0], ts=[0, 1, 2])
    table = pa.table(cols)
    pq.write_table(table, tmp_path / "a.parquet")
    spill = tmp_path / "spill"
    spill.mkdir()
    huge = 2**40
    calls = [
        lambda: PartitionedLog.from_arrays(F2, **cols, unit="s", parts=huge, workers=1),
        lambda: PartitionedLog.from_arrow(F2, table, unit="s", parts=huge, workers=1),
        lambda: PartitionedLog.from_log(EventLog.from_arrow(F2, table, unit="s"), parts=huge),
        lambda: PartitionedLog.from_parquet(F2, tmp_path / "a.parquet", unit="s", parts=huge,
                                            spill_dir=spill),
    ]
    for call in calls:
        with pytest.raises(sf.InvalidParameterError, match=r"'parts' parameter.*1099511627776"):
            call()
    assert list(spill.iterdir()) == []


def test_segments_as_one_name_or_none_read_like_eventlog(tmp_path: Any) -> None:
    """``segments="channel"`` (one name, as EventLog.from_arrow takes it) used to be split
    into its letters, and ``segments=None`` raised a bare TypeError."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"entity": ["a", "a", "b", "c"], "stage": [0, 1, 0, 1],
                      "ts": [0, 1, 2, 3], "channel": ["web", "web", "ads", "web"]})
    pq.write_table(table, tmp_path / "a.parquet")
    for segments in ("channel", None):
        whole = EventLog.from_arrow(F2, table, unit="s", segments=segments)
        by = "channel" if segments else None
        expected = conversion(whole, by=by, workers=1)
        built = PartitionedLog.from_arrow(F2, table, unit="s", segments=segments, parts=2,
                                          workers=2)
        assert conversion(built, by=by, workers=2) == expected
        with PartitionedLog.from_parquet(F2, tmp_path / "a.parquet", unit="s",
                                         segments=segments, parts=2) as spilled:
            assert conversion(spilled, by=by, workers=2) == expected
    # a segment that is the entity column itself (a duplicate column name)
    with PartitionedLog.from_parquet(F2, tmp_path / "a.parquet", unit="s",
                                     segments="entity", parts=2) as spilled:
        assert conversion(spilled, by="entity", workers=1) == conversion(
            EventLog.from_arrow(F2, table, unit="s", segments="entity"), by="entity")


def test_arrow_view_columns_are_read() -> None:
    """string_view columns (Polars' and DuckDB's strings) failed in Arrow's ``take``
    with ArrowNotImplementedError."""
    pa = pytest.importorskip("pyarrow")
    if not hasattr(pa, "string_view"):
        pytest.skip("pyarrow < 16 has no view types")
    table = pa.table({"entity": pa.array(["a", "a", "b", "c"], pa.string_view()),
                      "stage": [0, 1, 0, 1], "ts": [0, 1, 2, 3],
                      "channel": pa.array([b"x", b"x", b"y", b"x"], pa.binary_view())})
    whole = EventLog.from_arrow(F2, table, unit="s", segments="channel")
    built = PartitionedLog.from_arrow(F2, table, unit="s", segments="channel", parts=3,
                                      workers=2)
    assert conversion(built, by="channel", workers=2) == conversion(whole, by="channel")
    assert built.n_entities == whole.n_entities == 3


def test_map_and_reduce_check_their_arguments() -> None:
    """A function that is not one, ``progress="yes"``, a non-text label and a function
    whose results do not merge used to fail deep inside (TypeError, AttributeError) or
    pass silently."""
    plog = PartitionedLog.from_arrays(F2, entity=[1, 2, 3, 4], stage=[0, 0, 1, 0],
                                      ts=[0, 0, 0, 0], unit="s", parts=2, workers=1)
    for method in (plog.map, plog.reduce):
        where = method.__name__
        with pytest.raises(sf.InvalidParameterError, match=rf"'fn' parameter of .*{where}.*3"):
            method(3)  # type: ignore[arg-type]
        with pytest.raises(sf.InvalidParameterError, match=r"'progress'.*'yes'"):
            method(conversion, progress="yes")  # type: ignore[arg-type]
        with pytest.raises(sf.InvalidParameterError, match=r"'label'.*7"):
            method(conversion, label=7)  # type: ignore[arg-type]
    for workers in (1, 2):
        with pytest.raises(sf.InvalidParameterError, match=r"merge.*got int"):
            plog.reduce(len, workers=workers)
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"entity": [1, 2], "stage": [0, 1], "ts": [0, 1]})
    with pytest.raises(sf.InvalidParameterError, match=r"'progress'.*'yes'"):
        PartitionedLog.from_arrow(F2, table, unit="s", progress="yes")  # type: ignore[arg-type]
    assert plog.reduce(conversion, workers=2) == conversion(
        EventLog.from_arrays(F2, entity=[1, 2, 3, 4], stage=[0, 0, 1, 0], ts=[0, 0, 0, 0],
                             unit="s"))


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_reduce_holds_one_batch_of_partial_results(workers: int) -> None:
    """Over many parts ``reduce`` merges every batch of ``max(8, 2 * workers)`` results
    into the total before computing the next: the partial results alive at once never
    exceed one batch and the total, and the order of the merges is the parts' order."""
    import weakref

    n_parts = 29
    plog = PartitionedLog.from_arrays(F2, entity=np.arange(200), stage=np.zeros(200, np.int8),
                                      ts=np.zeros(200, np.int64), unit="s", parts=n_parts,
                                      workers=1)
    alive: weakref.WeakSet[Any] = weakref.WeakSet()
    most = [0]

    class Seen:
        def __init__(self, parts: tuple[int, ...]) -> None:
            self.parts = parts
            alive.add(self)
            most[0] = max(most[0], len(alive))

        def merge(self, other: Seen) -> Seen:
            return Seen(self.parts + other.parts)

    index = {id(p): i for i, p in enumerate(plog.parts)}
    seen = plog.reduce(lambda part: Seen((index[id(part)],)), workers=workers)
    assert seen.parts == tuple(range(n_parts))
    batch = max(8, 2 * workers)
    # one batch of results, the total, and the merges of a tree over them
    assert batch < most[0] <= 2 * batch + 1


def test_reduce_keeps_every_thread_busy_across_a_batch() -> None:
    """While one part is slow, the other thread works through the rest of the batch: part
    0 here finishes only once parts 1 - 7 have been computed (``reduce`` used to wait
    for the slowest of each group of ``workers`` parts, which would never come)."""
    import threading

    n = 80
    cols = dict(entity=np.arange(n), stage=np.arange(n) % 2, ts=np.zeros(n, np.int64))
    plog = PartitionedLog.from_arrays(F2, **cols, unit="s", parts=8, workers=1)
    index = {id(p): i for i, p in enumerate(plog.parts)}
    lock, others_done, done = threading.Lock(), threading.Event(), []

    def fn(part: EventLog) -> Any:
        i = index[id(part)]
        if i == 0:
            assert others_done.wait(timeout=20), "parts 1 - 7 did not run beside part 0"
        else:
            with lock:
                done.append(i)
                if len(done) == 7:
                    others_done.set()
        return conversion(part, workers=1)

    assert plog.reduce(fn, workers=2) == conversion(EventLog.from_arrays(F2, **cols,
                                                                         unit="s"))
    assert sorted(done) == list(range(1, 8))


def test_the_constructor_checks_its_parts() -> None:
    """Zero parts (metrics then said 'must be an EventLog'), parts that are not logs
    (AttributeError), a funnel that is not one (AttributeError in repr) and parts of
    another funnel (a silent result of the other funnel) are refused."""
    log = _tiny()
    other = sf.Funnel("g", [sf.Stage("x"), sf.Stage("won", kind="won")])
    with pytest.raises(sf.InvalidParameterError, match=r"'parts'.*non-empty.*got \[\]"):
        PartitionedLog(F2, [])
    with pytest.raises(sf.InvalidParameterError, match=r"'parts'.*got \[1, 2\]"):
        PartitionedLog(F2, [1, 2])  # type: ignore[list-item]
    with pytest.raises(sf.InvalidParameterError, match=r"'parts'.*got None"):
        PartitionedLog(F2, None)  # type: ignore[arg-type]
    with pytest.raises(sf.InvalidParameterError, match=r"'funnel'.*got 'f'"):
        PartitionedLog("f", [log])  # type: ignore[arg-type]
    with pytest.raises(sf.InvalidParameterError, match=r"funnel 'g'; got part 0 of funnel 'f'"):
        PartitionedLog(other, [log])
    assert conversion(PartitionedLog(F2, [log]), workers=1) == conversion(log, workers=1)


def test_a_closed_log_says_so(tmp_path: Any) -> None:
    """After close() the spilled parts are gone: loading one raised a bare
    FileNotFoundError from Arrow."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"entity": [1, 1, 2], "stage": [0, 1, 0], "ts": [0, 1, 2]}),
                   tmp_path / "a.parquet")
    plog = PartitionedLog.from_parquet(F2, tmp_path / "a.parquet", unit="s", parts=2)
    assert plog.load(1).funnel == F2
    plog.close()
    plog.close()  # twice: nothing to do
    for call in (lambda: plog.load(0), plog.to_logs, lambda: conversion(plog, workers=2)):
        with pytest.raises(sf.InputFileError, match=r"part-00000\.arrow.*close\(\)"):
            call()
    with pytest.raises(sf.InvalidParameterError, match=r"'i' parameter.*in \[0, 1\]; got 2"):
        plog.load(2)
    from salesfunnel._engine import SpilledPart

    (tmp_path / "junk.arrow").write_text("junk")  # a damaged part: was a bare ArrowInvalid
    with pytest.raises(sf.InputFileError, match=r"junk\.arrow: not a readable spilled"):
        SpilledPart(str(tmp_path / "junk.arrow"), 1, {"unit": "s"}).load(F2)


def test_parquet_dataset_problems_name_the_file(tmp_path: Any) -> None:
    """A file that is not Parquet, a corrupt one, a column missing from the second file
    only, a column whose type differs between files, a source or spill directory of the
    wrong kind and bad read options: each used to escape as a bare ArrowInvalid /
    TypeError / FileNotFoundError (or to be noticed only when a metric loaded a part);
    each is now the library's error naming the file or the value, before anything is
    written, and no temporary directory is left behind."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    good = pa.table({"entity": [1, 1, 2], "stage": [0, 1, 0], "ts": [0, 1, 2]})
    spill = tmp_path / "spill"
    spill.mkdir()

    def dataset(name: str, **files: Any) -> Any:
        folder = tmp_path / name
        folder.mkdir()
        for file, content in files.items():
            if isinstance(content, bytes):
                (folder / file).write_bytes(content)
            else:
                pq.write_table(content, folder / f"{file}.parquet")
        return folder

    def read(source: Any, **options: Any) -> Any:
        return PartitionedLog.from_parquet(F2, source, **{"unit": "s", "parts": 2,
                                                          "spill_dir": spill, **options})

    cases = [
        (dataset("txt", a=good, **{"notes.txt": b"hello"}), sf.InputFileError,
         r"notes\.txt: not a readable Parquet file"),
        (dataset("corrupt", a=good, **{"b.parquet": b"PAR1" + b"x" * 40 + b"PAR1"}),
         sf.InputFileError, r"b\.parquet: not a readable Parquet file"),
        (dataset("missing", a=good, b=good.drop(["stage"])), sf.EventLogError,
         r"\['stage'\] are not in the file .*b\.parquet"),
        (dataset("types", a=good, b=good.set_column(0, "entity", pa.array(["x", "y", "z"]))),
         sf.InputFileError, r"b\.parquet: column 'entity' is string, but .*a\.parquet has "
                            r"int64"),
        # found while reading (uint64 ids joined to int64, one too large): after files
        # were written, which are removed
        (dataset("overflow", a=good, b=good.set_column(0, "entity", pa.array(
            [2**64 - 1, 3, 4], pa.uint64()))), sf.InputFileError,
         r"b\.parquet: a column does not convert"),
        (dataset("empty"), sf.InvalidParameterError, r"'source'.*holds no Parquet file"),
        (7, sf.InvalidParameterError, r"'source' parameter.*got 7"),
        (None, sf.InvalidParameterError, r"'source' parameter.*got None"),
    ]
    for source, error, message in cases:
        with pytest.raises(error, match=message):
            read(source)
    ok = dataset("ok", a=good)
    for options, message in [
        ({"spill_dir": tmp_path / "nowhere"}, r"'spill_dir'.*an existing directory"),
        ({"spill_dir": 3}, r"'spill_dir'.*got 3"),
        ({"unit": "fortnight"}, r"unit must be one of.*'fortnight'"),
        ({"on_invalid": "skip"}, r"on_invalid.*'skip'"),
    ]:
        with pytest.raises(sf.InvalidParameterError, match=message):
            read(ok, **options)
    with pytest.raises(sf.InvalidParameterError, match=r"funnel must be a Funnel"):
        PartitionedLog.from_parquet("f", ok, unit="s", spill_dir=spill)  # type: ignore[arg-type]
    assert list(spill.iterdir()) == []


def test_parquet_files_with_compatible_types_are_joined(tmp_path: Any) -> None:
    """Files that store a column in compatible types (int32 and int64, string and
    large_string: as different writers do) are read as one dataset; Arrow's IPC writer
    used to refuse the second file ("different schema")."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    a = pa.table({"entity": pa.array([1, 1, 2], pa.int32()), "stage": [0, 1, 0],
                  "ts": [0, 1, 2], "channel": pa.array(["web", "web", "ads"])})
    b = pa.table({"entity": pa.array([2, 3, 2**40], pa.int64()), "stage": [1, 0, 0],
                  "ts": [3, 4, 5],
                  "channel": pa.array(["ads", "web", "web"], pa.large_string())})
    pq.write_table(a, tmp_path / "a.parquet")
    pq.write_table(b, tmp_path / "b.parquet")
    whole = EventLog.from_arrays(F2, entity=[1, 1, 2, 2, 3, 2**40], stage=[0, 1, 0, 1, 0, 0],
                                 ts=[0, 1, 2, 3, 4, 5], unit="s",
                                 segments={"channel": ["web", "web", "ads", "ads", "web",
                                                       "web"]})
    with PartitionedLog.from_parquet(F2, tmp_path, unit="s", segments="channel",
                                     parts=3) as plog:
        assert len(plog) == 6
        assert conversion(plog, by="channel", workers=2) == conversion(whole, by="channel")
        assert timing(plog, workers=2) == timing(whole)


def _id_columns() -> dict[str, Any]:
    pa = pytest.importorskip("pyarrow")
    return {
        "int": np.array([3, 3, -2, 2**62, 7, 7]),
        "uint64 above 2**63": np.array([2**63 + 5, 2**63 + 5, 2**64 - 1, 0, 9, 9],
                                       dtype=np.uint64),
        "float with NaN": np.array([1.5, 1.5, np.nan, -0.0, 0.0, 2.0]),
        "str": np.array(["a", "a", "b", "", "é", "é"]),
        "bytes": np.array([b"a", b"a", b"b", b"", b"c", b"c"]),
        "mixed objects": np.array([1, 1, "1", 2.5, None, (1, 2)], dtype=object),
        "datetime64 with NaT": np.array(["2020-01-01", "2020-01-01", "NaT", "1970-01-01",
                                         "2262-01-01", "2262-01-01"], dtype="M8[D]"),
        "bool": np.array([True, True, False, False, True, False]),
        "arrow text": pa.array(["a", "a", "b", None, "c", "c"]),
        "arrow dictionary": pa.array(["a", "a", "b", "c", "c", "d"]).dictionary_encode(),
        "arrow bool": pa.array([True, True, False, None, False, True]),
        "arrow int with nulls": pa.array([1, 1, None, 2, 3, 3]),
    }


@pytest.mark.parametrize("kind", list(_id_columns()))
def test_ids_of_every_type_partition_like_one_log(kind: str) -> None:
    """Every id type gives, over any parts and workers, the log's own results (rows with
    a missing id dropped alike). A pyarrow Array column of text, booleans or with nulls
    used to fail in EventLog.from_arrays too, with a bare ArrowInvalid."""
    pa = pytest.importorskip("pyarrow")
    ids = _id_columns()[kind]
    cols = dict(entity=ids, stage=[0, 1, 0, 0, 0, 1], ts=[0, 1, 2, 3, 4, 5], unit="s",
                on_invalid="drop")
    whole = EventLog.from_arrays(F2, **cols)
    expected = (conversion(whole, workers=1), timing(whole, workers=1), whole.dropped,
                whole.n_entities)
    if isinstance(ids, pa.Array):
        column = ids
    elif kind == "mixed objects":  # Arrow holds one type per column
        column = pa.array(["1", "1", "1b", "2.5", None, "x"])
    else:
        column = pa.array(ids, from_pandas=True)  # NaN and NaT as nulls
    table = pa.table({"entity": column, "stage": [0, 1, 0, 0, 0, 1], "ts": [0, 1, 2, 3, 4, 5]})
    from_table = EventLog.from_arrow(F2, table, unit="s", on_invalid="drop")
    for parts, workers in ((1, 1), (3, 2), (9, 3)):
        built = PartitionedLog.from_arrays(F2, **cols, parts=parts, workers=workers)
        assert (conversion(built, workers=workers), timing(built, workers=workers),
                built.dropped, built.n_entities) == expected
        arrow = PartitionedLog.from_arrow(F2, table, unit="s", on_invalid="drop",
                                          parts=parts, workers=workers)
        assert conversion(arrow, workers=workers) == conversion(from_table, workers=1)
        assert (arrow.dropped, arrow.n_entities) == (from_table.dropped,
                                                     from_table.n_entities)


def test_a_huge_workers_starts_a_bounded_number_of_threads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``workers=10**6`` is a valid count, but used to start a thread per item (and
    ``bucket_of`` cut a million-row column into a million chunks, one thread each)."""
    import salesfunnel._engine._pool as pool

    sizes: list[int] = []
    real = pool.ThreadPoolExecutor

    def recording(max_workers: int, **kwargs: Any) -> Any:
        sizes.append(max_workers)
        return real(max_workers=min(max_workers, 4), **kwargs)

    monkeypatch.setattr(pool, "ThreadPoolExecutor", recording)
    ids = np.arange(2**20) * 7
    assert bucket_of(ids, 5, workers=10**6).tolist() == bucket_of(ids, 5).tolist()
    assert sizes == [16]  # one chunk per 65,536 ids
    assert parallel_map(lambda x: x + 1, list(range(5000)), 10**6) == list(range(1, 5001))
    assert sizes[-1] == pool.MAX_THREADS


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=LOGS, how=partitionings(max_parts=6, max_workers=3))
def test_from_arrow_is_the_same_for_every_partitioning(log: EventLog,
                                                       how: Partitioning) -> None:
    """The Arrow constructor routes rows with its own hash of Arrow columns and cuts the
    table with Arrow's take: the results are those of one log, empty logs included."""
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"entity": pa.array(log.ids[log.entity].tolist()),
                      "stage": pa.array(log.stage.astype(np.int64)),
                      "ts": pa.array(log.ts.astype(np.int64)),
                      "channel": pa.array(log.segments["channel"].values().tolist())})
    whole = EventLog.from_arrow(log.funnel, table, unit="ns", segments="channel")
    built = PartitionedLog.from_arrow(log.funnel, table, unit="ns", segments="channel",
                                      parts=how.parts, workers=how.workers)
    assert built.n_parts == how.parts and len(built) == len(whole)
    assert conversion(built, by="channel", workers=how.workers) == conversion(
        whole, by="channel", workers=1)
    assert timing(built, workers=how.workers) == timing(whole, workers=1)


@pytest.mark.parametrize("shape", ["no batches", "empty text ids", "one id"])
def test_from_arrow_of_no_batches_or_one_repeated_id_is_one_log(shape: str) -> None:
    """A table of no record batches (its columns have no chunks) and ids that are all
    one text (the empty text too, 256 rows and more) build like one log; both used to
    raise from the text ids' keys (IndexError, ValueError)."""
    pa = pytest.importorskip("pyarrow")
    n = 0 if shape == "no batches" else 600
    text = "" if shape == "empty text ids" else "D1"
    table = pa.table({"entity": pa.array([text] * n, pa.string()),
                      "stage": np.arange(n) % 2, "ts": np.arange(n)})
    if shape == "no batches":
        table = pa.Table.from_batches([], table.schema)
        assert table.column("entity").num_chunks == 0
    whole = EventLog.from_arrow(F2, table, unit="s")
    for parts, workers in ((1, 1), (3, 2)):
        built = PartitionedLog.from_arrow(F2, table, unit="s", parts=parts, workers=workers)
        assert (len(built), built.n_entities) == (len(whole), whole.n_entities)
        assert [i for log in built.to_logs() for i in log.ids.tolist()] == whole.ids.tolist()
        assert conversion(built, workers=workers) == conversion(whole, workers=1)


def test_from_arrow_checks_the_text_ids_widths_once_not_per_part(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether the ids all have one width (so the distinct ids come from their bytes as a
    ``U`` array) reads every offset of the whole column: it is checked once for the
    table, not by each part (512 parts of 2 M rows spent half their 1 s re-checking)."""
    pa = pytest.importorskip("pyarrow")
    import salesfunnel.events._factorize as fz

    n = 5000
    table = pa.table({"entity": [f"D{i % 997:05d}" for i in range(n)],
                      "stage": np.arange(n) % 2, "ts": np.arange(n)})
    whole_column: list[int] = []
    real = fz._byte_matrix

    def counting(pa_: Any, array: Any) -> Any:
        if len(array) == n:
            whole_column.append(1)
        return real(pa_, array)

    monkeypatch.setattr(fz, "_byte_matrix", counting)
    built = PartitionedLog.from_arrow(F2, table, unit="s", parts=16, workers=2)
    assert len(whole_column) == 1
    ids = sorted(i for log in built.to_logs() for i in log.ids.tolist())
    assert ids == sorted({f"D{i % 997:05d}" for i in range(n)})
    assert all(log.ids.dtype.kind == "U" for log in built.to_logs())


class _Clock:
    """A ``time`` module whose clock runs ten seconds per reading: every bar is due."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 10.0
        return self.now


def test_progress_true_draws_on_a_terminal_stderr_and_erases_on_ctrl_c(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``progress=True`` on the metrics, ``MarkovModel.fit`` and the constructors draws
    its bar on stderr when stderr is a terminal (and nothing otherwise); a Ctrl-C in the
    middle erases the line and propagates."""
    import sys

    import salesfunnel._engine._progress as prog

    monkeypatch.setattr(prog, "time", _Clock())
    rng = np.random.default_rng(8)
    cols = dict(entity=rng.integers(0, 300, 2000), stage=rng.integers(0, 2, 2000),
                ts=rng.integers(0, 10**6, 2000), unit="s")

    def stderr_of(call: Any, tty: bool = True) -> str:
        stream = _Tty() if tty else io.StringIO()
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stderr", stream)
            call()
        return stream.getvalue()

    plog = PartitionedLog.from_arrays(F2, **cols, parts=4, workers=2)
    log = EventLog.from_arrays(F2, **cols)
    for call, label in [
        (lambda: PartitionedLog.from_arrays(F2, **cols, parts=4, workers=2, progress=True),
         "building the log ["),
        (lambda: conversion(plog, workers=2, progress=True), "conversion ["),
        (lambda: timing(plog, workers=1, progress=True), "timing ["),
        (lambda: MarkovModel().fit(plog, workers=2, progress=True), "MarkovModel.fit ["),
    ]:
        shown = stderr_of(call)
        assert label in shown and "4/4" in shown, (label, shown)
        assert shown.endswith("\r\x1b[2K")  # erased at the end
        assert stderr_of(call, tty=False) == ""  # not a terminal: no bar
    assert stderr_of(lambda: conversion(plog, workers=2)) == ""  # progress=False
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({k: v for k, v in cols.items() if k != "unit"}),
                   tmp_path / "a.parquet", row_group_size=500)
    shown = stderr_of(lambda: PartitionedLog.from_parquet(
        F2, tmp_path / "a.parquet", unit="s", parts=2, batch_rows=500, progress=True).close())
    assert "reading Parquet [" in shown and "2000/2000" in shown
    assert conversion(plog, workers=2) == conversion(log, workers=1)

    calls: list[int] = []

    def interrupted(part: EventLog) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return conversion(part, workers=1)

    def run() -> None:
        with pytest.raises(KeyboardInterrupt):
            plog.reduce(interrupted, workers=1, progress=True, label="interrupted")

    shown = stderr_of(run)
    assert "interrupted [" in shown and "2/4" in shown and len(calls) == 3
    assert shown.endswith("\r\x1b[2K")


def test_ctrl_c_cancels_the_calls_not_started(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C while ``parallel_map`` waits: the calls not yet started are cancelled and
    the running ones end before it propagates, so no thread keeps working behind the
    caller."""
    import threading
    import time

    import salesfunnel._engine._pool as pool

    done: list[int] = []

    def slow(x: int) -> int:
        time.sleep(0.02)
        done.append(x)
        return x

    def interrupted_wait(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)
        raise KeyboardInterrupt

    monkeypatch.setattr(pool, "wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        parallel_map(slow, list(range(200)), 2)
    finished = len(done)
    time.sleep(0.2)
    assert len(done) == finished < 200  # nothing ran after the interrupt
    assert not [t for t in threading.enumerate() if t.name.startswith("salesfunnel")]
