"""The Dask adapter on a real distributed.LocalCluster (two worker processes): results
equal the in-memory ones, shuffled or read bucketed, and a false claim that data is
bucketed by entity is caught instead of double counting.

The cluster starts once per session (a few seconds). Hypothesis runs few examples here
(each is a round trip through the cluster, ~0.5 s); the exhaustive property test of
partitioned execution is in test_partitioned.py, on the same per-partition kernels.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import salesfunnel as sf
from salesfunnel import EventLog
from salesfunnel.metrics import (
    cohorts,
    compare,
    conversion,
    pipeline,
    survival,
    timing,
)
from salesfunnel.testing import event_logs

if os.environ.get("CI") != "true":
    pytest.importorskip("distributed")
    pytest.importorskip("dask.dataframe")

import dask.dataframe as dd
import pandas as pd
from distributed import Client, LocalCluster
from distributed.gc import disable_gc_diagnosis

from salesfunnel.dask import BUCKET_COLUMN, DaskLog, write_bucketed


@pytest.fixture(scope="session")
def client() -> Iterator[Client]:
    # dashboard on any free port: 8787 may be taken, and the warning would fail the test
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", memory_limit="1GiB") as cluster, \
            Client(cluster) as c:
        # The in-process scheduler hooks distributed's GC diagnosis into this process's
        # gc callbacks; it only logs how long full collections take. Once, in a full run
        # of the suite, it raised inside a collection (``FractionalTimer.start_timing``:
        # a start seen twice without its stop), which pytest reports as a failure of
        # whichever test was running. The workers keep theirs.
        disable_gc_diagnosis(force=True)
        yield c


METRICS = (
    functools.partial(conversion, workers=1),
    functools.partial(conversion, semantic="entered", workers=1),
    functools.partial(timing, workers=1),
    functools.partial(pipeline, workers=1),
)


def _frame(log: EventLog) -> Any:
    pdf = log.to_pandas()
    pdf["stage"] = log.stage.astype(np.int64)
    return pdf


def _in_memory(log: EventLog) -> list[Any]:
    return [m(log) for m in METRICS]


def _more_metrics(log: EventLog) -> tuple[Any, ...]:
    """The other metrics and options, as functions of a part (``workers=1`` inside)."""
    as_of = np.datetime64(int(log.ts.max()), "ns")
    entry = {i: np.datetime64(int(log.ts.min()) - 86_400 * 10**9, "ns")
             for i in log.ids.tolist()[::2]}
    return (
        functools.partial(conversion, by="channel", workers=1),
        functools.partial(conversion, semantic="ordered", workers=1),
        functools.partial(conversion, semantic="ordered", window=86_400, by="channel",
                          workers=1),
        functools.partial(timing, by="channel", accuracy=0.02, workers=1),
        functools.partial(survival, as_of=as_of, workers=1),
        functools.partial(survival, as_of=as_of, lost="censor", by="channel", entry=entry,
                          workers=1),
        functools.partial(pipeline, by="channel", workers=1),
        functools.partial(cohorts, period="week", workers=1),
        functools.partial(cohorts, period="month", semantic="entered", by="channel",
                          workers=1),
    )


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(log=event_logs(min_entities=1, max_entities=30, segments=["channel"]))
def test_hypothesis_logs_give_the_in_memory_results(client: Client, log: EventLog) -> None:
    """Every metric (conversion and cohorts in several semantics, timing, survival,
    pipeline, with and without ``by``) in one pass: the in-memory results; ``compare``
    of the merged conversions is the in-memory comparison."""
    frame = dd.from_pandas(_frame(log), npartitions=3)
    dlog = DaskLog.from_dask(log.funnel, frame, unit="ns", segments=["channel"],
                             amount="amount" if log.amount is not None else None)
    more = _more_metrics(log)
    got = dlog.compute(*METRICS, *more)
    assert got[:4] == _in_memory(log)
    for i, metric in enumerate(more):
        assert got[4 + i] == metric(log), (i, got[4 + i], metric(log))
    assert compare(got[0], got[0]) == compare(log, log, workers=1)
    # the Markov fit: the moves counted on the workers, every fitted attribute the same
    from salesfunnel.planner import MarkovModel
    from salesfunnel.planner._markov import _LEARNED

    on_dask, whole = MarkovModel().fit(dlog), MarkovModel().fit(log, workers=1)
    for attr in _LEARNED:
        a, b = getattr(on_dask, attr), getattr(whole, attr)
        assert a == b if isinstance(a, sf.Funnel) else np.array_equal(
            np.asarray(a), np.asarray(b), equal_nan=True), attr


def _big_log(n_events: int) -> EventLog:
    rng = np.random.default_rng(2026)
    f = sf.Funnel("deals", [sf.Stage("lead"), sf.Stage("demo"), sf.Stage("proposal"),
                            sf.Stage("won", kind="won"), sf.Stage("lost", kind="lost")])
    ent = rng.integers(0, n_events // 5, n_events)
    stage = rng.choice(5, n_events, p=[0.4, 0.25, 0.15, 0.1, 0.1])
    ts = (rng.integers(19_000, 20_000, n_events) * 86_400
          + rng.integers(0, 24, n_events) * 3_600) * 10**9
    amount = rng.integers(1, 400, n_events) * 250.0
    return EventLog.from_arrays(f, entity=ent, stage=stage, ts=ts, unit="ns", amount=amount)


def test_a_log_of_millions_of_events_shuffled_and_bucketed(client: Client,
                                                            tmp_path: Path) -> None:
    log = _big_log(3_000_000)
    pdf = _frame(log)
    raw = tmp_path / "raw"
    raw.mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(len(pdf)), 8)):
        pdf.iloc[chunk].to_parquet(raw / f"part-{i}.parquet", index=False)
    frame = dd.read_parquet(raw)
    expected = _in_memory(log)
    shuffled = DaskLog.from_dask(log.funnel, frame, unit="ns", amount="amount")
    assert shuffled.compute(*METRICS) == expected
    write_bucketed(frame, tmp_path / "events", buckets=6)
    bucketed = DaskLog.from_parquet(log.funnel, tmp_path / "events", unit="ns",
                                    amount="amount")
    assert bucketed.check == "buckets" and bucketed.frame.npartitions == 6
    # Bucket b is file b, alone (hashing the bucket numbers instead left some files
    # empty and others with several buckets), and the files are about equal.
    per_file = [pd.read_parquet(f)[BUCKET_COLUMN] for f in
                sorted((tmp_path / "events").glob("*.parquet"))]
    assert [sorted(set(b.tolist())) for b in per_file] == [[b] for b in range(6)]
    sizes = [len(b) for b in per_file]
    assert max(sizes) < 1.1 * min(sizes)
    assert bucketed.compute(*METRICS) == expected
    # One run gives the same as several metrics together.
    assert bucketed.run(timing, workers=1) == expected[2]


def test_a_bucketed_dataset_that_was_changed_is_caught(client: Client,
                                                      tmp_path: Path) -> None:
    """The bucket check of ``from_parquet``: a file of one bucket holding an entity of
    another bucket is refused (the check hashes each distinct id), so is a file of
    several buckets with a row labelled wrongly (checked row by row); a file that holds
    two whole, correctly labelled buckets (how earlier versions could write them) is
    accepted and gives the in-memory results."""
    log = _big_log(20_000)
    write_bucketed(dd.from_pandas(_frame(log), npartitions=2), tmp_path / "ok", buckets=4)
    files = sorted((tmp_path / "ok").glob("*.parquet"))
    parts = [pd.read_parquet(f) for f in files]
    meta = (tmp_path / "ok" / "_salesfunnel_buckets.json").read_text()

    def dataset(name: str, frames: list[Any]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for i, frame in enumerate(frames):
            frame.to_parquet(folder / f"part.{i}.parquet", index=False)
        (folder / "_salesfunnel_buckets.json").write_text(meta)
        return folder

    def dlog(folder: Path) -> DaskLog:
        return DaskLog.from_parquet(log.funnel, folder, unit="ns", amount="amount")

    # bucket 0's file gets one entity of bucket 1 (label kept): one label, wrong id
    moved = parts[1].iloc[:1].assign(**{BUCKET_COLUMN: 0})
    one_label = dataset("one_label", [pd.concat([parts[0], moved]), parts[1].iloc[1:],
                                      parts[2], parts[3]])
    with pytest.raises(sf.EventLogError, match="not the hash of their entity"):
        dlog(one_label).compute(*METRICS)
    # buckets 0 and 1 in one file, one row of bucket 1 labelled 0: checked row by row
    mixed = pd.concat([parts[0], parts[1]])
    mixed.iloc[-1, mixed.columns.get_loc(BUCKET_COLUMN)] = 0
    with pytest.raises(sf.EventLogError, match="not the hash of their entity"):
        dlog(dataset("mixed", [mixed, parts[2], parts[3]])).compute(*METRICS)
    # two whole buckets in one file, labelled right: accepted
    two = dataset("two", [pd.concat([parts[0], parts[1]]), parts[2], parts[3]])
    assert dlog(two).compute(*METRICS) == _in_memory(log)
    # integer ids are checked through the log's distinct ids unless a row was dropped:
    # a moved row that the log drops (an unknown stage) is still caught
    dropped = parts[1].iloc[:1].assign(**{BUCKET_COLUMN: 0, "stage": 99})
    folder = dataset("dropped", [pd.concat([parts[0], dropped]), parts[1].iloc[1:],
                                 parts[2], parts[3]])
    with pytest.raises(sf.EventLogError, match="not the hash of their entity"):
        DaskLog.from_parquet(log.funnel, folder, unit="ns", amount="amount",
                             on_invalid="drop").compute(*METRICS)
    # nullable integers (pandas' Int64) are checked like int64
    nullable = [p.astype({"entity": "Int64"}) for p in parts]
    moved_nullable = moved.astype({"entity": "Int64"})
    assert dlog(dataset("nullable", nullable)).compute(*METRICS) == _in_memory(log)
    with pytest.raises(sf.EventLogError, match="not the hash of their entity"):
        dlog(dataset("nullable_moved", [pd.concat([nullable[0], moved_nullable]),
                                        nullable[1].iloc[1:], nullable[2],
                                        nullable[3]])).compute(*METRICS)


@pytest.mark.parametrize("ids", [
    pd.Series(pd.date_range("2020-01-01", periods=40, freq="D", tz="UTC")),
    pd.Series([True, False] * 20),
    pd.Series([f"deal-{i}" for i in range(40)]),
])
def test_bucketed_ids_of_any_type_pass_the_check(client: Client, tmp_path: Path,
                                                 ids: Any) -> None:
    """Ids that pandas and the log hold differently (tz-aware times as Timestamps, bools
    as objects) are checked as write_bucketed hashed them: a correct dataset passes."""
    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
    pdf = pd.DataFrame({"entity": ids.repeat(2).reset_index(drop=True),
                        "stage": ["a", "won"] * len(ids), "ts": np.arange(2 * len(ids))})
    write_bucketed(dd.from_pandas(pdf, npartitions=2), tmp_path / "b", buckets=3)
    got = DaskLog.from_parquet(f, tmp_path / "b", unit="s").run(conversion, workers=1)
    assert got == conversion(EventLog.from_pandas(f, pdf, unit="s"), workers=1)


def test_a_false_bucketed_claim_is_caught(client: Client) -> None:
    log = _big_log(20_000)
    frame = dd.from_pandas(_frame(log), npartitions=4)  # rows in order: entities split
    claimed = DaskLog.from_dask(log.funnel, frame, unit="ns", amount="amount",
                                bucketed=True)
    with pytest.raises(sf.EventLogError, match="more than one partition"):
        claimed.compute(*METRICS)
    # Data that really is partitioned by entity passes the same check.
    by_entity = frame.shuffle(on="entity", npartitions=4)
    ok = DaskLog.from_dask(log.funnel, by_entity, unit="ns", amount="amount", bucketed=True)
    assert ok.compute(*METRICS) == _in_memory(log)


def test_bad_arguments_are_refused() -> None:
    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
    with pytest.raises(sf.InvalidParameterError, match=r"dask\.dataframe\.DataFrame"):
        DaskLog.from_dask(f, [1, 2])
    import pandas as pd

    frame = dd.from_pandas(pd.DataFrame({"entity": [1], "ts": [0]}), npartitions=1)
    with pytest.raises(sf.EventLogError, match=r"\['stage'\]"):
        DaskLog.from_dask(f, frame)


def test_crm_columns_and_an_outdated_bucketing(client: Client, tmp_path: Path) -> None:
    """CRM stage names (``stage_map``), row probabilities and forecast categories go
    through Dask like through EventLog; a dataset bucketed by another version of the
    hash is shuffled again instead of trusted."""
    import json

    import pandas as pd

    funnel = sf.Funnel("deals", [sf.Stage("lead", probability=0.1), sf.Stage("demo"),
                                 sf.Stage("won", kind="won"), sf.Stage("lost", kind="lost")])
    rng = np.random.default_rng(7)
    n = 3_000
    names = np.array(["New", "Demo Booked", "Closed Won", "Closed Lost"])
    pdf = pd.DataFrame({
        "entity": rng.integers(0, 400, n), "stage": names[rng.integers(0, 4, n)],
        "ts": rng.integers(0, 10**6, n) * 10**9, "amount": rng.integers(1, 50, n) * 0.1,
        "probability": rng.choice([0.1, 0.3, np.nan, 1.0 / 3.0], n),
        "forecast": rng.choice(["pipeline", "commit", "best case"], n)})
    mapping = {"New": "lead", "Demo Booked": "demo", "Closed Won": "won",
               "Closed Lost": "lost"}
    read: dict[str, Any] = dict(unit="ns", amount="amount", stage_map=mapping,
                                probability="probability", forecast_category="forecast")
    whole = EventLog.from_pandas(funnel, pdf, **read)
    expected = [pipeline(whole, workers=1),
                conversion(whole, by="forecast_category", workers=1)]
    metrics = (functools.partial(pipeline, workers=1),
               functools.partial(conversion, by="forecast_category", workers=1))
    frame = dd.from_pandas(pdf, npartitions=3)
    assert DaskLog.from_dask(funnel, frame, **read).compute(*metrics) == expected
    write_bucketed(frame, tmp_path / "events", buckets=4)
    meta = tmp_path / "events" / "_salesfunnel_buckets.json"
    assert meta.exists()
    stored = json.loads(meta.read_text())
    meta.write_text(json.dumps({**stored, "hash": "salesfunnel-entity-hash-1"}))
    again = DaskLog.from_parquet(funnel, tmp_path / "events", **read)
    assert again.check is None  # shuffled, not trusted
    assert again.compute(*metrics) == expected


# -- bad input: the library's own errors, before any work is sent to the cluster -----------

F2 = sf.Funnel("f", [sf.Stage("a"), sf.Stage("won", kind="won")])
PDF = pd.DataFrame({"entity": [1, 1, 2, 3, 4, 4], "stage": [0, 1, 0, 0, 0, 1],
                    "ts": [0, 3, 1, 2, 5, 6], "channel": ["x", "x", "y", "x", "y", "y"]})


def test_the_funnel_and_read_options_are_checked_when_the_log_is_made() -> None:
    """A funnel that is not one used to be accepted (an AttributeError in repr, an error
    from every worker at compute time), ``segments=None`` was a bare TypeError and
    ``segments="channel"`` was split into its letters; ``unit`` was checked only on
    the workers."""
    frame = dd.from_pandas(PDF, npartitions=2)
    with pytest.raises(sf.InvalidParameterError, match="funnel must be a Funnel; got str"):
        DaskLog.from_dask("f", frame, unit="s")  # type: ignore[arg-type]
    with pytest.raises(sf.InvalidParameterError, match=r"unit must be one of.*'fortnight'"):
        DaskLog.from_dask(F2, frame, unit="fortnight")  # type: ignore[arg-type]
    with pytest.raises(sf.InvalidParameterError, match=r"stage_map.*'nope'"):
        DaskLog.from_dask(F2, frame, unit="s", stage_map={"a": "nope"})
    with pytest.raises(sf.InvalidParameterError, match=r"'npartitions'.*1099511627776"):
        DaskLog.from_dask(F2, frame, unit="s", npartitions=2**40)  # was a MemoryError
    assert DaskLog.from_dask(F2, frame, unit="s", segments=None).read["segments"] == ()
    assert DaskLog.from_dask(F2, frame, unit="s", segments="channel").read["segments"] == (
        "channel",)


def test_segments_as_one_name_give_the_in_memory_result(client: Client) -> None:
    got = DaskLog.from_dask(F2, dd.from_pandas(PDF, npartitions=2), unit="s",
                            segments="channel").run(conversion, by="channel", workers=1)
    whole = EventLog.from_pandas(F2, PDF, unit="s", segments="channel")
    assert got == conversion(whole, by="channel", workers=1)


def test_compute_checks_its_metrics(client: Client) -> None:
    """A metric that is not a function was a TypeError raised on a worker; one whose
    result does not merge an AttributeError from the merge tree (or, on one partition,
    no error at all)."""
    dlog = DaskLog.from_dask(F2, dd.from_pandas(PDF, npartitions=2), unit="s")
    with pytest.raises(sf.InvalidParameterError, match=r"functions of an EventLog; got 3"):
        dlog.compute(3)  # type: ignore[arg-type]
    with pytest.raises(sf.InvalidParameterError, match=r"'metric' parameter.*'conversion'"):
        dlog.run("conversion")  # type: ignore[arg-type]
    from salesfunnel.planner import MarkovModel

    with pytest.raises(sf.InvalidParameterError, match=r"'progress'.*MarkovModel\.fit.*'yes'"):
        MarkovModel().fit(dlog, progress="yes")  # type: ignore[arg-type]
    with pytest.raises(sf.InvalidParameterError, match=r"'workers'.*MarkovModel\.fit.*0"):
        MarkovModel().fit(dlog, workers=0)
    one = DaskLog.from_dask(F2, dd.from_pandas(PDF, npartitions=1), unit="s")
    for log in (dlog, one):
        with pytest.raises(sf.InvalidParameterError, match=r"metric 0 .*merges.*got int"):
            log.compute(len)


def test_write_bucketed_checks_its_target(client: Client, tmp_path: Path) -> None:
    """Writing into a directory that already held a dataset used to leave the old files
    beside the new ones (a 3-bucket file read back with a 2-bucket claim); a missing
    entity column was a KeyError on a worker, 2**40 buckets a MemoryError, a path that
    is not one a TypeError."""
    frame = dd.from_pandas(PDF, npartitions=2)
    whole = conversion(EventLog.from_pandas(F2, PDF, unit="s"), workers=1)
    write_bucketed(frame, tmp_path / "b", buckets=3)
    with pytest.raises(sf.InvalidParameterError, match=r"'path'.*new or empty directory"):
        write_bucketed(frame, tmp_path / "b", buckets=2)
    write_bucketed(frame, tmp_path / "b", buckets=2, overwrite=True)
    assert len(list((tmp_path / "b").glob("*.parquet"))) == 2
    assert DaskLog.from_parquet(F2, tmp_path / "b", unit="s").run(conversion,
                                                                  workers=1) == whole
    with pytest.raises(sf.EventLogError, match=r"\['deal'\] are not in the frame"):
        write_bucketed(frame, tmp_path / "c", entity="deal")
    with pytest.raises(sf.InvalidParameterError, match=r"'buckets'.*1099511627776"):
        write_bucketed(frame, tmp_path / "d", buckets=2**40)
    with pytest.raises(sf.InvalidParameterError, match=r"'path'.*got 3"):
        write_bucketed(frame, 3)  # type: ignore[arg-type]
    assert not (tmp_path / "c").exists() and not (tmp_path / "d").exists()


def test_from_parquet_names_a_bad_path_or_bucketing_file(tmp_path: Path) -> None:
    """A missing or empty directory was a bare FileNotFoundError / ValueError from dask,
    a damaged _salesfunnel_buckets.json a JSONDecodeError, AttributeError or ValueError,
    and a missing column of a bucketed dataset was found only on the workers."""
    with pytest.raises(sf.InvalidParameterError, match=r"'path'.*nowhere"):
        DaskLog.from_parquet(F2, tmp_path / "nowhere", unit="s")
    (tmp_path / "empty").mkdir()
    with pytest.raises(sf.InvalidParameterError, match=r"'path'.*empty"):
        DaskLog.from_parquet(F2, tmp_path / "empty", unit="s")
    with pytest.raises(sf.InvalidParameterError, match=r"'path'.*got None"):
        DaskLog.from_parquet(F2, None, unit="s")  # type: ignore[arg-type]
    folder = tmp_path / "bucketed"
    folder.mkdir()
    PDF.assign(**{BUCKET_COLUMN: 0}).to_parquet(folder / "part.0.parquet", index=False)
    meta = folder / "_salesfunnel_buckets.json"
    for text in ("{not json", "[1, 2]", '{"hash": "salesfunnel-entity-hash-2", '
                 '"entity": "entity", "buckets": "x"}'):
        meta.write_text(text)
        with pytest.raises(sf.InputFileError, match=r"_salesfunnel_buckets\.json"):
            DaskLog.from_parquet(F2, folder, unit="s")
    meta.write_text('{"hash": "salesfunnel-entity-hash-2", "entity": "entity", "buckets": 1}')
    with pytest.raises(sf.EventLogError, match=r"\['phase'\] are not in the dataset"):
        DaskLog.from_parquet(F2, folder, stage="phase", unit="s")
    PDF.to_parquet(folder / "part.0.parquet", index=False)  # the bucket column is gone
    with pytest.raises(sf.EventLogError, match=BUCKET_COLUMN):
        DaskLog.from_parquet(F2, folder, unit="s")


def test_several_metrics_share_one_shuffle_and_one_log_per_partition(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``compute(m1, m2, m3)`` shuffles once and builds each partition's log once: every
    partition task gets all the metrics (run on the synchronous scheduler, in this
    process, so the tasks can be counted)."""
    import dask

    import salesfunnel.dask._adapter as adapter

    calls: list[int] = []
    real = adapter._run_partition

    def counting(frame: Any, *args: Any) -> Any:
        calls.append(len(args[2]))  # the metrics of this task
        return real(frame, *args)

    monkeypatch.setattr(adapter, "_run_partition", counting)
    log = _big_log(5_000)
    with dask.config.set(scheduler="sync"):
        dlog = DaskLog.from_dask(log.funnel, dd.from_pandas(_frame(log), npartitions=4),
                                 unit="ns", amount="amount", npartitions=5)
        got = dlog.compute(*METRICS)
    assert got == _in_memory(log)
    # one task per shuffled partition, every metric in it (a shuffle per metric, or a
    # pass per metric, would make 15 calls of one metric each)
    assert calls == [len(METRICS)] * 5


def test_write_bucketed_to_an_fsspec_url_and_back(tmp_path: Path) -> None:
    """A dataset written to a URL (``memory://`` here, as ``s3://`` in the docs) keeps
    its bucketing: the JSON file was written with the local ``open`` (a bare
    FileNotFoundError after the data was written) and looked for with
    ``os.path.isfile`` (never found: every read shuffled again). The synchronous
    scheduler runs in this process, where the memory file system lives."""
    import dask
    import fsspec

    url = "memory://salesfunnel-test/bucketed"
    fs = fsspec.filesystem("memory")
    if fs.exists("/salesfunnel-test"):
        fs.rm("/salesfunnel-test", recursive=True)
    try:
        with dask.config.set(scheduler="sync"):
            write_bucketed(dd.from_pandas(PDF, npartitions=2), url, buckets=3)
            assert fs.isfile("/salesfunnel-test/bucketed/_salesfunnel_buckets.json")
            dlog = DaskLog.from_parquet(F2, url, unit="s", segments="channel")
            assert dlog.check == "buckets" and dlog.buckets == 3
            got = dlog.compute(functools.partial(conversion, by="channel", workers=1))
        whole = EventLog.from_pandas(F2, PDF, unit="s", segments="channel")
        assert got == [conversion(whole, by="channel", workers=1)]
        with pytest.raises(sf.InvalidParameterError, match=r"'path'.*new or empty"):
            write_bucketed(dd.from_pandas(PDF, npartitions=2), url, buckets=3)
    finally:
        fs.rm("/salesfunnel-test", recursive=True)


@pytest.mark.parametrize("target", ["new", "empty"])
def test_an_interrupted_write_bucketed_leaves_nothing_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """Ctrl-C after the data files are written (while the bucketing is recorded): the
    files are removed, and the directory too when the write made it; a directory
    that held a dataset before is not touched by an interrupted overwrite's cleanup."""
    import dask

    import salesfunnel.dask._adapter as adapter

    def interrupt(*_: Any) -> None:
        raise KeyboardInterrupt

    folder = tmp_path / "b"
    if target == "empty":
        folder.mkdir()
    monkeypatch.setattr(adapter, "_write_meta", interrupt)
    with dask.config.set(scheduler="sync"), pytest.raises(KeyboardInterrupt):
        write_bucketed(dd.from_pandas(PDF, npartitions=2), folder, buckets=3)
    if target == "new":
        assert not folder.exists()
    else:
        assert folder.is_dir() and list(folder.iterdir()) == []
    # a directory that holds data before: an interrupted overwrite leaves it to the caller
    monkeypatch.undo()
    with dask.config.set(scheduler="sync"):
        write_bucketed(dd.from_pandas(PDF, npartitions=2), folder, buckets=2)
    monkeypatch.setattr(adapter, "_write_meta", interrupt)
    with dask.config.set(scheduler="sync"), pytest.raises(KeyboardInterrupt):
        write_bucketed(dd.from_pandas(PDF, npartitions=2), folder, buckets=3,
                       overwrite=True)
    assert folder.is_dir() and list(folder.iterdir())


def test_the_shuffle_is_dasks_p2p_on_a_cluster(client: Client) -> None:
    """With a distributed client the shuffle by entity is P2P (it spills to disk); the
    local schedulers, which cannot run it, get the task-based shuffle."""
    import dask

    import salesfunnel.dask._adapter as adapter

    assert adapter._shuffle_method() == "p2p"
    with dask.config.set(scheduler="sync"):
        assert adapter._shuffle_method() == "tasks"
