"""EventLog: constructors, validation, on_invalid, partition/take, the cached sort."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from salesfunnel import EventLog, EventLogError, Funnel, InvalidParameterError, Stage
from salesfunnel._util._time import NS_PER_UNIT
from salesfunnel.events._factorize import factorize_int, stable_order

FUNNEL = Funnel("deals", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
                          Stage("lost", kind="lost")])
UTC = dt.UTC
T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T0_NS = int(T0.timestamp()) * 10**9


def events(log: EventLog) -> list[tuple[Any, ...]]:
    """The log as a sorted list of plain rows (original ids, stage, ts, amount, segments)."""
    out = []
    for i in range(len(log)):
        row: list[Any] = [log.ids[log.entity[i]].item() if hasattr(log.ids[log.entity[i]], "item")
                          else log.ids[log.entity[i]], int(log.stage[i]), int(log.ts[i])]
        if log.amount is not None:
            row.append(float(log.amount[i]))
        for name in sorted(log.segments):
            row.append(log.segments[name].values()[i])
        out.append(tuple(row))
    return sorted(out, key=repr)


# -- building ----------------------------------------------------------------------------------


def test_from_arrays_factorizes_ids_and_maps_stage_names() -> None:
    log = EventLog.from_arrays(FUNNEL, entity=["b", "a", "b", "c"],
                               stage=["lead", "lead", "won", "lost"],
                               ts=np.array([3, 1, 5, 2], dtype="datetime64[s]"))
    assert log.ids.tolist() == ["a", "b", "c"]
    assert log.entity.tolist() == [1, 0, 1, 2] and log.entity.dtype == np.int64
    assert log.stage.tolist() == [0, 0, 2, 3] and log.stage.dtype == np.int8
    assert log.ts.tolist() == [3 * 10**9, 10**9, 5 * 10**9, 2 * 10**9]
    assert log.n_entities == 3 and len(log) == 4 and log.dropped == 0
    assert repr(log) == "<EventLog 'deals': 4 events, 3 entities, 4 stages>"


@pytest.mark.parametrize("ids", [
    np.array([10**15, -7, 10**15, 3], dtype=np.int64),  # wide range: the sort path
    np.array([5, 2, 5, 3], dtype=np.int64),  # narrow range: the lookup-table path
    np.array([2**63 + 5, 1, 2**63 + 5, 7], dtype=np.uint64),
    [(1, "x"), (0, "y"), (1, "x"), (0, "z")],  # any hashable
])
def test_ids_of_any_hashable_type_are_factorized_consistently(ids: Any) -> None:
    log = EventLog.from_arrays(FUNNEL, entity=ids, stage=[0, 0, 1, 0], ts=[0, 1, 2, 3],
                               unit="s")
    originals = list(ids) if not isinstance(ids, np.ndarray) else ids.tolist()
    assert log.n_entities == 3
    got = [log.ids[c] for c in log.entity.tolist()]
    assert [tuple(g) if isinstance(g, tuple) else g for g in got] == originals
    assert log.entity[0] == log.entity[2] and len(set(log.entity.tolist())) == 3


def test_mixed_type_lists_keep_their_python_values() -> None:
    # numpy alone would turn [7, "7", 2.5] into the strings '7', '7', '2.5'.
    log = EventLog.from_arrays(FUNNEL, entity=[7, "7", 2.5, 7], stage=["lead", 1, 0, "won"],
                               ts=[0, 1, 2, 3], unit="s", segments={"rep": ["ann", 1, 1, "ann"]})
    assert log.n_entities == 3
    assert [log.ids[c] for c in log.entity.tolist()] == [7, "7", 2.5, 7]
    assert log.stage.tolist() == [0, 1, 0, 2]
    assert log.segments["rep"].values().tolist() == ["ann", 1, 1, "ann"]


@pytest.mark.parametrize("ids", [
    # Ids spanning all 64 bits; 2**40 and 2**40 + 1 share the high bits that are sorted
    # first, so their run is re-sorted by the full id.
    [-2**63, 2**63 - 1, 2**40 + 1, 2**40, 2**40 + 1, 2**40],
    # Many ids sharing the high bits: the argsort fallback.
    [-2**63, 2**63 - 1, *range(300, 0, -1)],
])
def test_wide_integer_ids_with_shared_high_bits(ids: list[int]) -> None:
    arr = np.asarray(ids, dtype=np.int64)
    n = len(arr)
    log = EventLog.from_arrays(FUNNEL, entity=arr, stage=np.zeros(n, np.int64),
                               ts=np.zeros(n, np.int64), unit="s")
    assert log.ids.tolist() == sorted(set(ids))
    assert log.ids[log.entity].tolist() == ids


@settings(max_examples=40)
@given(st.lists(st.integers(-2**63, 2**63 - 1), max_size=30))
def test_integer_ids_roundtrip(ids: list[int]) -> None:
    arr = np.asarray(ids, dtype=np.int64)
    n = len(arr)
    log = EventLog.from_arrays(FUNNEL, entity=arr, stage=np.zeros(n, np.int64),
                               ts=np.zeros(n, np.int64), unit="s")
    assert log.ids[log.entity].tolist() == ids
    assert log.ids.tolist() == sorted(set(ids))


def test_timestamps_in_every_accepted_form_agree() -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    expected = [T0_NS, T0_NS + 90 * 60 * 10**9]
    forms: list[tuple[Any, str | None]] = [
        (np.array(["2026-01-05T09:00", "2026-01-05T10:30"], dtype="datetime64[m]"), None),
        (np.array(["2026-01-05T09:00", "2026-01-05T10:30"], dtype="datetime64[ns]"), None),
        ([T0, T0.astimezone(shanghai) + dt.timedelta(minutes=90)], None),
        (["2026-01-05T09:00:00Z", "2026-01-05T18:30:00+08:00"], None),
        ([T0_NS // 10**9, T0_NS // 10**9 + 5400], "s"),
        ([T0_NS / 1e6, T0_NS / 1e6 + 5_400_000.0], "ms"),
    ]
    for ts, unit in forms:
        log = EventLog.from_arrays(FUNNEL, entity=[1, 1], stage=[0, 1], ts=ts,
                                   unit=unit)  # type: ignore[arg-type]
        assert log.ts.tolist() == expected, (ts, unit)


def test_pandas_timestamps_and_tz_aware_columns() -> None:
    pd = pytest.importorskip("pandas")
    ts = pd.Series(pd.to_datetime(["2026-01-05 17:00", "2026-01-05 18:30"])
                   ).dt.tz_localize("Asia/Shanghai")
    log = EventLog.from_arrays(FUNNEL, entity=[1, 1], stage=[0, 1], ts=ts)
    assert log.ts.tolist() == [T0_NS, T0_NS + 90 * 60 * 10**9]
    log2 = EventLog.from_arrays(FUNNEL, entity=[1], stage=[0],
                                ts=[pd.Timestamp("2026-01-05T09:00:00.000000001Z")])
    assert log2.ts.tolist() == [T0_NS + 1]


def test_numeric_times_need_a_unit() -> None:
    with pytest.raises(InvalidParameterError, match="numeric timestamps need unit="):
        EventLog.from_arrays(FUNNEL, entity=[1], stage=[0], ts=[0])
    with pytest.raises(InvalidParameterError, match="unit must be one of"):
        EventLog.from_arrays(FUNNEL, entity=[1], stage=[0], ts=[0], unit="sec")  # type: ignore


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("columns", "count", "match"), [
    ({"stage": ["lead", "demoo", "demoo"]}, 2,
     r"2 invalid event rows: 2 with an unknown stage \('demoo' \(2 rows, closest 'demo'\)"),
    ({"stage": [0, 7, -1]}, 2, r"stage index outside 0\.\.3 \(first: 7, -1\)"),
    ({"stage": ["lead", None, "won"]}, 1, "1 with a missing stage"),
    ({"ts": [T0, None, T0]}, 1, "a missing time"),
    ({"ts": np.array(["2026-01-01", "NaT", "2026-01-02"], dtype="datetime64[s]")}, 1,
     r"missing time \(NaT\)"),
    ({"ts": [T0, dt.datetime(2026, 1, 1), T0]}, 1, "a naive time"),
    ({"ts": [T0, "yesterday", T0]}, 1, "not a datetime, ISO 8601 string"),
    ({"amount": [1.0, "ten", float("inf")]}, 2, "amount that is not a finite number"),
    ({"ts": np.array(["2026-01-01", "3000-01-01", "1000-01-01"], dtype="datetime64[D]")}, 2,
     r"2 with a time outside 1677-09-21 \.\. 2262-04-11 UTC .*\(first: "
     r"datetime.date\(3000, 1, 1\), datetime.date\(1000, 1, 1\)\)"),
    ({"ts": [T0, dt.datetime(3000, 1, 1, tzinfo=UTC), T0]}, 1, "a time outside 1677-09-21"),
    ({"ts": [T0, "1000-01-01T00:00Z", T0]}, 1, "a time outside 1677-09-21"),
    ({"ts": [T0, np.datetime64("3000-01-01"), T0]}, 1, "a time outside 1677-09-21"),
    ({"entity": ["a", None, "b"]}, 1, "a missing entity id"),
    ({"entity": [1.0, float("nan"), 2.0]}, 1, "a missing entity id"),
])
def test_invalid_rows_raise_or_drop(columns: dict[str, Any], count: int, match: str) -> None:
    base: dict[str, Any] = {"entity": ["a", "a", "b"], "stage": ["lead", "demo", "won"],
                            "ts": [T0, T0, T0], "amount": [1.0, 2.0, 3.0]}
    base.update(columns)
    with pytest.raises(EventLogError, match=match) as info:
        EventLog.from_arrays(FUNNEL, **base)
    assert info.value.count == count and info.value.examples
    log = EventLog.from_arrays(FUNNEL, on_invalid="drop", **base)
    assert log.dropped == count and len(log) == 3 - count
    assert f"{count} row{'s' if count != 1 else ''} dropped>" in repr(log)


@pytest.mark.parametrize(("ts", "unit"), [
    (np.array([1, 10**12, -(10**12)], dtype=np.int64), "D"),  # days: would wrap around
    (np.array([1, 2**62, 2**63 - 1], dtype=np.uint64), "ms"),
    (np.array([1.0, 1e30, -1e30]), "s"),
    (np.array([1, 2**63, 2**64 - 1], dtype=np.uint64), "ns"),
])
def test_numeric_times_outside_the_ns_range_are_invalid_not_wrapped(ts: Any, unit: str
                                                                    ) -> None:
    kwargs: dict[str, Any] = {"entity": [1, 2, 3], "stage": [0, 0, 0], "ts": ts, "unit": unit}
    with pytest.raises(EventLogError, match="2 with a time outside 1677-09-21") as info:
        EventLog.from_arrays(FUNNEL, **kwargs)
    assert info.value.count == 2
    log = EventLog.from_arrays(FUNNEL, on_invalid="drop", **kwargs)
    assert log.dropped == 2 and log.ts.tolist() == [NS_PER_UNIT[unit]]


def test_times_at_the_edges_of_the_ns_range_are_kept() -> None:
    ts = np.array(["1677-09-22", "2262-04-11"], dtype="datetime64[D]")
    log = EventLog.from_arrays(FUNNEL, entity=[1, 2], stage=[0, 0], ts=ts)
    assert log.ts.tolist() == [int(d) * 86_400 * 10**9 for d in ts.view(np.int64)]
    # The representable times are [int64 min + 1, int64 max - 1]: int64 min is NaT and
    # int64 max is the kernels' "never" marker, so both are refused.
    edge = np.array([2**63 - 2, -(2**63) + 1], dtype=np.int64)
    assert EventLog.from_arrays(FUNNEL, entity=[1, 2], stage=[0, 0], ts=edge,
                                unit="ns").ts.tolist() == edge.tolist()
    never = np.array([0, 2**63 - 1], dtype=np.int64)
    with pytest.raises(EventLogError, match="1 with a time outside 1677-09-21"):
        EventLog.from_arrays(FUNNEL, entity=[1, 2], stage=[0, 0], ts=never, unit="ns")
    nat = np.array([0, -(2**63)], dtype=np.int64)  # -2**63 is NaT's value: not a time
    with pytest.raises(EventLogError, match="1 with a time outside 1677-09-21"):
        EventLog.from_arrays(FUNNEL, entity=[1, 2], stage=[0, 0], ts=nat, unit="ns")


@pytest.mark.parametrize(("build", "error", "match"), [
    (lambda: EventLog.from_arrays(FUNNEL, entity=5, stage=[0], ts=[0], unit="s"),
     EventLogError, "column 'entity' must be a one-dimensional array-like.*got int"),
    (lambda: EventLog.from_arrays(FUNNEL, entity=[1], stage=[0], ts=[0], unit="s",
                                  segments=["channel"]),
     InvalidParameterError, "segments must be a mapping of column name to values; got list"),
    (lambda: EventLog.from_records(FUNNEL, 5), InvalidParameterError,
     "records must be an iterable of items; got int"),
    (lambda: EventLog.from_records(FUNNEL, {"entity": 1}), InvalidParameterError,
     "records must be an iterable of items; got dict"),
    (lambda: EventLog.from_journeys(5), InvalidParameterError,
     "journeys must be an iterable of items; got int"),
    (lambda: EventLog.from_journeys([FUNNEL]), EventLogError,
     "journeys\\[0\\] is of type Funnel; expected a Journey"),
])
def test_constructors_refuse_wrong_containers(build: Any, error: type[Exception], match: str
                                              ) -> None:
    with pytest.raises(error, match=match):
        build()


def test_dropping_keeps_the_right_rows() -> None:
    log = EventLog.from_arrays(FUNNEL, entity=["a", "b", "c", "d"],
                               stage=["lead", "nope", "won", "demo"],
                               ts=[0, 1, 2, 3], unit="s", amount=[1, 2, float("inf"), 4],
                               segments={"channel": ["x", "y", "z", "x"]},
                               on_invalid="drop")
    assert events(log) == [("a", 0, 0, 1.0, "x"), ("d", 1, 3 * 10**9, 4.0, "x")]
    assert log.ids.tolist() == ["a", "d"] and log.dropped == 2


def test_length_mismatch_always_raises() -> None:
    with pytest.raises(EventLogError, match=r"different lengths \(entity: 2, stage: 1, ts: 2"):
        EventLog.from_arrays(FUNNEL, entity=[1, 2], stage=[0], ts=[0, 1], unit="s",
                             on_invalid="drop")
    with pytest.raises(EventLogError, match="segment 'channel': 1"):
        EventLog.from_arrays(FUNNEL, entity=[1, 2], stage=[0, 0], ts=[0, 1], unit="s",
                             segments={"channel": ["x"]})


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"on_invalid": "ignore"}, "on_invalid must be 'raise' or 'drop'; got 'ignore'"),
    ({"segments": {1: ["x"]}}, "segment names must be strings"),
])
def test_bad_options(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        EventLog.from_arrays(FUNNEL, entity=[1], stage=[0], ts=[0], unit="s", **kwargs)


def test_funnel_must_be_a_funnel() -> None:
    with pytest.raises(InvalidParameterError, match="funnel must be a Funnel; got str"):
        EventLog.from_arrays("deals", entity=[1], stage=[0], ts=[0], unit="s")  # type: ignore


# -- other constructors -------------------------------------------------------------------------


def test_from_records() -> None:
    rows = [
        {"deal": 7, "stage": "lead", "at": "2026-01-05T09:00:00+00:00", "channel": "ads"},
        {"deal": 7, "stage": "won", "at": "2026-01-09T09:00:00+00:00", "channel": "ads"},
        {"deal": 8, "stage": "lead", "at": "2026-01-06T09:00:00+00:00", "channel": "web"},
    ]
    log = EventLog.from_records(FUNNEL, rows, entity="deal", ts="at", segments=["channel"])
    assert events(log) == [(7, 0, T0_NS, "ads"), (7, 2, T0_NS + 4 * 86_400 * 10**9, "ads"),
                           (8, 0, T0_NS + 86_400 * 10**9, "web")]
    with pytest.raises(EventLogError, match="1 with a missing time"):
        EventLog.from_records(FUNNEL, [{"entity": 1, "stage": "lead"}])
    with pytest.raises(EventLogError, match="record 0 is a list; expected a mapping"):
        EventLog.from_records(FUNNEL, [[1, "lead", T0]])  # type: ignore[list-item]


def test_from_journeys() -> None:
    a = FUNNEL.start({"value": 500.0, "rep": "ann"}, at=T0, id="a")
    a.advance(at=T0 + dt.timedelta(days=2))
    a.lose(reason="budget", at=T0 + dt.timedelta(days=3))
    b = FUNNEL.start({"value": 90.0, "rep": "bob"}, at=T0 + dt.timedelta(days=1))
    log = EventLog.from_journeys([a, b], amount="value", segments=["rep"])
    day = 86_400 * 10**9
    assert events(log) == sorted([
        ("a", 0, T0_NS, 500.0, "ann"), ("a", 1, T0_NS + 2 * day, 500.0, "ann"),
        ("a", 3, T0_NS + 3 * day, 500.0, "ann"), (1, 0, T0_NS + day, 90.0, "bob"),
    ], key=repr)
    empty = EventLog.from_journeys([], funnel=FUNNEL)
    assert len(empty) == 0 and empty.n_entities == 0
    with pytest.raises(EventLogError, match="no journeys given and no funnel="):
        EventLog.from_journeys([])
    other = Funnel("other", [Stage("lead"), Stage("won", kind="won")])
    c = other.start({}, at=T0, id="c")
    with pytest.raises(EventLogError, match="journey 'c' belongs to funnel 'other'"):
        EventLog.from_journeys([a, c])


def test_from_pandas_polars_arrow_agree_with_from_arrays() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    frame = pd.DataFrame({
        "deal": [11, 11, 12, 13],
        "stage": ["lead", "won", "lead", "lost"],
        "ts": pd.to_datetime(["2026-01-05 09:00", "2026-01-07 09:00", "2026-01-06 12:00",
                              "2026-01-08 00:00"]).tz_localize("UTC"),
        "amount": [100.0, 100.0, 50.0, 70.0],
        "channel": pd.Categorical(["ads", "ads", "web", "ads"]),
    })
    kwargs: dict[str, Any] = {"entity": "deal", "amount": "amount", "segments": ["channel"]}
    ref = EventLog.from_arrays(
        FUNNEL, entity=frame["deal"].to_numpy(), stage=frame["stage"].tolist(),
        ts=frame["ts"].dt.tz_convert(None).to_numpy(), amount=frame["amount"].to_numpy(),
        segments={"channel": frame["channel"].astype(str).tolist()})
    via_pandas = EventLog.from_pandas(FUNNEL, frame, **kwargs)
    via_polars = EventLog.from_polars(FUNNEL, pl.from_pandas(frame), **kwargs)
    table = pa.Table.from_pandas(frame)
    assert pa.types.is_dictionary(table.column("channel").type)
    via_arrow = EventLog.from_arrow(FUNNEL, table, **kwargs)
    for log in (via_pandas, via_polars, via_arrow):
        assert events(log) == events(ref)
    roundtrip = EventLog.from_pandas(FUNNEL, ref.to_pandas(), amount="amount",
                                     segments=["channel"])
    assert events(roundtrip) == events(ref)
    with pytest.raises(EventLogError, match=r"columns \['who'\] are not in the frame"):
        EventLog.from_pandas(FUNNEL, frame, entity="who")
    with pytest.raises(EventLogError, match=r"columns \['who'\] are not in the frame"):
        EventLog.from_polars(FUNNEL, pl.from_pandas(frame), entity="who")
    with pytest.raises(EventLogError, match=r"columns \['who'\] are not in the table"):
        EventLog.from_arrow(FUNNEL, table, entity="who")
    # A single segment name may be given as a string.
    assert events(EventLog.from_pandas(FUNNEL, frame, entity="deal", amount="amount",
                                       segments="channel")) == events(ref)


@pytest.mark.parametrize(("method", "expected"), [
    ("from_pandas", "frame must be a pandas.DataFrame; got dict"),
    ("from_polars", "frame must be a polars.DataFrame or LazyFrame; got dict"),
    ("from_arrow", "table must be a pyarrow.Table; got dict"),
])
def test_frame_constructors_refuse_other_objects(method: str, expected: str) -> None:
    for module in ("pandas", "polars", "pyarrow"):
        pytest.importorskip(module)
    with pytest.raises(InvalidParameterError, match=expected):
        getattr(EventLog, method)(FUNNEL, {"entity": [1], "stage": [0], "ts": [0]}, unit="s")


def test_numeric_columns_are_not_copied() -> None:
    entity = np.arange(1000, dtype=np.int64)
    ts = np.arange(1000, dtype=np.int64) * 10**9
    log = EventLog.from_arrays(FUNNEL, entity=entity, stage=np.zeros(1000, np.int8),
                               ts=ts.view("datetime64[ns]"))
    assert np.shares_memory(log.ts, ts)


def test_frame_columns_are_not_copied_where_the_layout_allows() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    n = 1000
    ts = np.arange(n, dtype=np.int64) * 10**9
    amount = np.linspace(1.0, 2.0, n)
    stage = np.zeros(n, np.int8)
    frame = pd.DataFrame({"entity": np.arange(n), "stage": stage, "amount": amount,
                          "ts": pd.DatetimeIndex(ts.view("datetime64[ns]")).tz_localize("UTC")})
    log = EventLog.from_pandas(FUNNEL, frame, amount="amount")
    assert np.shares_memory(log.amount, frame["amount"].to_numpy())
    assert np.shares_memory(log.ts, frame["ts"].array.asi8)  # tz-aware (UTC inside)
    plf = pl.DataFrame({"entity": np.arange(n), "stage": stage, "amount": amount,
                        "ts": ts}).with_columns(pl.col("ts").cast(pl.Datetime("ns", "UTC")))
    log = EventLog.from_polars(FUNNEL, plf, amount="amount")
    assert np.shares_memory(log.amount, plf["amount"].to_numpy())
    assert np.shares_memory(log.ts, plf["ts"].to_physical().to_numpy())
    table = pa.table({"entity": np.arange(n), "stage": stage, "amount": amount,
                      "ts": pa.array(ts, pa.timestamp("ns"))})
    log = EventLog.from_arrow(FUNNEL, table, amount="amount")
    assert np.shares_memory(log.amount, table.column("amount").chunk(0).to_numpy())
    assert np.shares_memory(log.ts, table.column("ts").chunk(0).to_numpy())


# -- helpers ----------------------------------------------------------------------------------


rows_strategy = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 3), st.integers(0, 5)), max_size=40)


@settings(max_examples=50)
@given(rows=rows_strategy, n=st.integers(1, 5))
def test_partition_splits_entities_exactly_once(rows: list[tuple[int, int, int]], n: int
                                                ) -> None:
    log = EventLog.from_arrays(FUNNEL, entity=[r[0] for r in rows], stage=[r[1] for r in rows],
                               ts=[r[2] for r in rows], unit="s",
                               segments={"channel": [str(r[0] % 2) for r in rows]})
    parts = log.partition(n)
    assert len(parts) == n
    ids = [i for p in parts for i in p.ids.tolist()]
    assert sorted(ids) == log.ids.tolist()
    assert sorted(e for p in parts for e in events(p)) == sorted(events(log))
    for p in parts:
        assert p.entity.tolist() == [] or max(p.entity.tolist()) == p.n_entities - 1


def test_take_entities_by_mask_and_codes() -> None:
    log = EventLog.from_arrays(FUNNEL, entity=["x", "y", "z", "y"], stage=[0, 0, 0, 1],
                               ts=[0, 1, 2, 3], unit="s")
    by_codes = log.take_entities([2, 1])
    by_mask = log.take_entities(np.array([False, True, True]))
    for sub in (by_codes, by_mask):
        assert sub.ids.tolist() == ["y", "z"]
        assert events(sub) == [("y", 0, 10**9), ("y", 1, 3 * 10**9), ("z", 0, 2 * 10**9)]
    with pytest.raises(InvalidParameterError, match=r"must have shape \(3,\)"):
        log.take_entities(np.array([True]))
    with pytest.raises(InvalidParameterError, match=r"entity codes must be in 0\.\.2; got \[5\]"):
        log.take_entities([5])
    with pytest.raises(InvalidParameterError, match="boolean mask or integer entity codes"):
        log.take_entities(["x"])
    with pytest.raises(InvalidParameterError, match=r"'n' parameter .* \[1, 1048576\]; got 0"):
        log.partition(0)
    for huge in (10**30, np.uint64(2**64 - 1), 2**40):  # were OverflowError, or a hang
        with pytest.raises(InvalidParameterError, match=r"'n' parameter of EventLog\.partition"):
            log.partition(huge)


times = st.one_of(
    st.integers(0, 50),  # whole seconds: the packed sort with row numbers
    st.integers(0, 2**57),  # ns over years: the packed key sort without row numbers
    st.integers(-2**62, 2**62),  # too wide to pack: lexsort
)


@settings(max_examples=80)
@given(rows=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), times), max_size=40))
def test_sorted_by_entity_time_is_a_stable_sort(rows: list[tuple[int, int, int]]) -> None:
    log = EventLog.from_arrays(FUNNEL, entity=[r[0] for r in rows],
                               stage=[r[1] for r in rows],
                               ts=np.array([r[2] for r in rows], dtype=np.int64), unit="ns")
    s = log.sorted_by_entity_time()
    expected = sorted(range(len(rows)),
                      key=lambda i: (int(log.entity[i]), rows[i][2], rows[i][1], i))
    assert s.order.tolist() == expected
    assert s.ts.tolist() == [rows[i][2] for i in expected]
    assert s.stage.tolist() == [rows[i][1] for i in expected]
    assert s.bounds[0] == 0 and s.bounds[-1] == len(rows)
    for e in range(log.n_entities):
        assert set(s.entity[s.bounds[e]:s.bounds[e + 1]].tolist()) == {e}
    assert log.sorted_by_entity_time() is s


def test_to_pandas_and_segments() -> None:
    pytest.importorskip("pandas")
    log = EventLog.from_arrays(FUNNEL, entity=["x", "y"], stage=["lead", "lost"],
                               ts=[0, 86_400], unit="s", amount=[5, 6],
                               segments={"rep": ["ann", None]})
    frame = log.to_pandas()
    assert frame.columns.tolist() == ["entity", "stage", "ts", "amount", "rep"]
    assert frame["stage"].tolist() == ["lead", "lost"]
    assert frame["rep"].tolist() == ["ann", None]
    assert str(frame["ts"].dtype) == "datetime64[ns, UTC]"
    assert repr(log.segments["rep"]) == "<Segment: 2 events, 2 values ['ann', None]>"


# -- regressions: time handling, amounts, the derived cache ------------------------------------


def test_sorting_a_log_spanning_more_than_2_63_ns_keeps_time_order() -> None:
    # ts - t0 overflowed int64 for spans > 2**63 ns and sorted late events first.
    lo, hi = -(2**63) + 1, 2**63 - 2
    ts = np.array([hi, lo, 0, hi - 1, lo + 1, 5], dtype=np.int64)
    log = EventLog.from_arrays(FUNNEL, entity=[1, 1, 1, 2, 2, 2], stage=[0, 1, 2, 0, 1, 0],
                               ts=ts, unit="ns")
    s = log.sorted_by_entity_time()
    assert s.ts.tolist() == [lo, 0, hi, lo + 1, 5, hi - 1]
    assert s.order.tolist() == [1, 2, 0, 4, 5, 3]
    # Whole seconds far apart: the step is found on the exact (uint64) offsets.
    sec = np.array([9 * 10**18, -9 * 10**18, 0], dtype=np.int64)
    log_s = EventLog.from_arrays(FUNNEL, entity=[1, 1, 1], stage=[0, 0, 0], ts=sec, unit="ns")
    assert log_s.sorted_by_entity_time().ts.tolist() == sorted(sec.tolist())


def test_the_last_representable_ns_is_refused_so_never_cannot_collide() -> None:
    from salesfunnel.metrics import timing

    never = np.datetime64(2**63 - 1, "ns")  # 2262-04-11T23:47:16.854775807
    with pytest.raises(EventLogError, match="1 with a time outside 1677-09-21"):
        EventLog.from_arrays(FUNNEL, entity=[1, 1], stage=[0, 1], ts=[T0, never])
    last = np.datetime64(2**63 - 2, "ns")
    log = EventLog.from_arrays(FUNNEL, entity=[1, 1], stage=[0, 1],
                               ts=np.array([np.datetime64(T0_NS, "ns"), last]))
    assert timing(log).step("demo").count == 1  # the event counts as reached, not "never"


def test_from_records_accepts_numbers_with_a_unit_like_from_arrays() -> None:
    rows = [{"entity": "a", "stage": "lead", "ts": 1_500},
            {"entity": "a", "stage": "demo", "ts": 2_500.5}]
    log = EventLog.from_records(FUNNEL, rows, unit="ms")
    arrays = EventLog.from_arrays(FUNNEL, entity=["a", "a"], stage=["lead", "demo"],
                                  ts=[1_500, 2_500.5], unit="ms")
    assert log.ts.tolist() == arrays.ts.tolist() == [1_500_000_000, 2_500_500_000]
    with pytest.raises(EventLogError, match="not a datetime, ISO 8601 string, datetime64 or "
                                            "number with unit="):
        EventLog.from_records(FUNNEL, rows)


def test_a_missing_amount_is_unknown_not_invalid() -> None:
    from salesfunnel.metrics import pipeline

    log = EventLog.from_arrays(FUNNEL, entity=["a", "a", "b", "c"],
                               stage=["lead", "demo", "lead", "lead"], ts=[0, 1, 2, 3],
                               unit="D", amount=[100.0, None, float("nan"), ""],
                               on_invalid="drop")
    assert log.dropped == 0 and len(log) == 4 and log.n_entities == 3
    assert log.amount is not None and log.amount[0] == 100.0
    assert np.isnan(log.amount[1:]).all()
    p = pipeline(log)
    # "a" keeps its latest known amount; "b" and "c" stay in the funnel, unpriced.
    assert p.counts[:2] == (2, 1) and p.open_value == 100.0 and p.unpriced == 2
    assert "2 open entities without an amount are excluded" in p.reasons["open_value"]
    with pytest.raises(EventLogError, match="an amount that is not a finite number"):
        EventLog.from_arrays(FUNNEL, entity=["a"], stage=["lead"], ts=[0], unit="D",
                             amount=["ten"])


@pytest.mark.parametrize("naive", ["raise", "utc"])
def test_the_naive_policy_is_one_option(naive: str) -> None:
    ts = ["2026-01-05T09:00:00", dt.datetime(2026, 1, 5, 9)]
    if naive == "raise":
        with pytest.raises(EventLogError, match=r"2 with a naive time.*naive='utc'"):
            EventLog.from_arrays(FUNNEL, entity=[1, 2], stage=[0, 0], ts=ts)
        return
    log = EventLog.from_arrays(FUNNEL, entity=[1, 2], stage=[0, 0], ts=ts, naive="utc")
    assert log.ts.tolist() == [T0_NS, T0_NS]
    with pytest.raises(InvalidParameterError, match="naive must be 'raise'"):
        EventLog.from_arrays(FUNNEL, entity=[1], stage=[0], ts=ts[:1], naive="local")


def test_iso_nanoseconds_are_kept() -> None:
    log = EventLog.from_arrays(FUNNEL, entity=[1], stage=[0],
                               ts=["2026-01-05T09:00:00.000000007Z"])
    assert log.ts.tolist() == [T0_NS + 7]


def test_derived_arrays_are_cached_under_their_function_and_read_only() -> None:
    from salesfunnel.events._derived import derived, peek
    from salesfunnel.metrics import _kernels as K

    log = EventLog.from_arrays(FUNNEL, entity=[1, 2], stage=[0, 1], ts=[0, 1], unit="s")
    assert all(isinstance(k, tuple) and callable(k[0]) for k in log._cache) or not log._cache
    assert K.depth(log) is K.depth(log)
    assert peek(log, K.depth) is K.depth(log)
    assert log.sorted_by_entity_time() is log.sorted_by_entity_time()
    assert not log.sorted_by_entity_time().ts.flags.writeable
    assert K.ordered_levels(log, 5) is not K.ordered_levels(log, None)
    keys = list(log._cache)
    assert keys and all(isinstance(k, tuple) and callable(k[0]) for k in keys)
    assert not any(isinstance(part, str) for k in keys for part in k)

    calls: list[int] = []

    @derived
    def count_rows(log: EventLog, scale: int) -> np.ndarray[Any, Any]:
        calls.append(scale)
        return np.arange(len(log)) * scale

    assert count_rows(log, 2).tolist() == count_rows(log, 2).tolist() == [0, 2]
    assert count_rows(log, 3).tolist() == [0, 3] and calls == [2, 3]
    with pytest.raises(ValueError, match="read-only"):
        count_rows(log, 2)[0] = 1


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 300_000), st.integers(1, 64),
       st.sampled_from(["uniform", "few", "skewed", "low bits", "clump"]))
@example(1, 300_000, 45, "uniform")
@example(2, 70_000, 64, "uniform")
@example(3, 200_000, 20, "skewed")
@example(4, 100_000, 12, "few")
@example(5, 100_000, 40, "low bits")
@example(6, 300_000, 60, "clump")
@pytest.mark.parametrize("fast", [True, False])
def test_sorted_packed_sorts_like_numpy(fast: bool, seed: int, n: int, bits: int,
                                        shape: str) -> None:
    """Both ways of sorting (numpy's, and the bucketed radix sort for machines where
    numpy's is slower) give numpy's sort for any values below ``2**bits``: many buckets,
    few distinct values, one crowded bucket, values in the low bits only."""
    from salesfunnel.events._factorize import sorted_packed

    rng = np.random.default_rng(seed)
    top = 2**bits - 1
    if shape == "uniform":
        key = rng.integers(0, top, n, dtype=np.uint64, endpoint=True)
    elif shape == "few":
        key = rng.choice(rng.integers(0, top, 5, dtype=np.uint64, endpoint=True), n)
    elif shape == "skewed":  # most values in the top bucket
        key = np.where(rng.random(n) < 0.9, np.uint64(top),
                       rng.integers(0, top, n, dtype=np.uint64, endpoint=True))
    elif shape == "clump":  # a tenth of the values in one narrow range: one big bucket
        key = rng.integers(0, top, n, dtype=np.uint64, endpoint=True)
        near = rng.random(n) < 0.1
        key[near] = np.uint64(top // 3) + rng.integers(0, 64, int(near.sum()), dtype=np.uint64)
        key = np.minimum(key, np.uint64(top))
    else:
        key = rng.integers(0, min(top, 255), n, dtype=np.uint64, endpoint=True)
    with sort_path(fast):
        assert np.array_equal(sorted_packed(key.copy(), bits), np.sort(key))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([129, 130, 400]),
       st.lists(st.integers(0, 400), min_size=1, max_size=80))
# the largest bucket the blocks take, 128 values left of an aligned edge or right of it;
# then one value more, which only the bucket-by-bucket way sorts
@example(1, 129, [128, 129, 120, 120, 120])
@example(1, 129, [255, 129, 120, 120, 120])
@example(1, 130, [127, 130, 120, 120, 120])
def test_buckets_sort_in_shifted_blocks_like_numpy(seed: int, limit: int,
                                                   sizes: list[int]) -> None:
    """Buckets of at most half a block and one (129 values) sort in two passes of
    aligned and shifted blocks; a bucket one value larger or much larger takes the
    bucket-by-bucket way. Both give numpy's sort of any bucket-ordered array, at every
    length and alignment."""
    from salesfunnel.events._factorize import _sort_buckets

    rng = np.random.default_rng(seed)
    sizes = [min(k, limit) for k in sizes]
    # descending within a bucket (for odd seeds): a bucket's smallest value is its last,
    # the one a block that misses part of the bucket would leave out of place
    parts = [(np.uint64(i) << np.uint64(40)) + rng.integers(0, 1 << 40, k, dtype=np.uint64)
             for i, k in enumerate(sizes)]
    if seed % 2:
        parts = [np.sort(p)[::-1] for p in parts]
    out = np.concatenate(parts)
    edges = np.append(np.cumsum([0, *sizes[:-1]]), len(out)).astype(np.int64)
    expected = np.sort(out)
    _sort_buckets(out, edges)
    assert np.array_equal(out, expected)


@contextlib.contextmanager
def sort_path(fast: bool) -> Iterator[None]:
    """Sort with ``numpy.sort`` (``fast``) or the bucketed radix sort, whichever this
    machine would pick (``numpy_sort_is_fast``), so that both are tested everywhere."""
    from salesfunnel.events import _factorize

    before = _factorize._fast_sort
    _factorize._fast_sort = fast
    try:
        yield
    finally:
        _factorize._fast_sort = before


def test_numpy_sort_is_fast_is_measured_once_per_process() -> None:
    """The choice is a measurement made on first use, then kept (a bool)."""
    from salesfunnel.events import _factorize

    before = _factorize._fast_sort
    try:
        _factorize._fast_sort = None
        first = _factorize.numpy_sort_is_fast()
        assert isinstance(first, bool) and _factorize._fast_sort is first
        _factorize._fast_sort = not first  # kept: not measured again
        assert _factorize.numpy_sort_is_fast() is (not first)
    finally:
        _factorize._fast_sort = before




@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(1, 300))
def test_stable_order_sorts_like_lexsort_and_leaves_its_keys_alone(
        data: st.DataObject, n: int) -> None:
    """Keys of any widths up to 64 bits (one, several, a full 64-bit one), packed into
    digits and radix-sorted: the order numpy's stable lexsort gives, inputs unchanged."""
    widths = data.draw(st.lists(st.sampled_from([1, 3, 17, 40, 63, 64]), min_size=1,
                                max_size=3))
    keys = []
    for bits in widths:
        top = 2**bits - 1
        values = data.draw(st.lists(st.one_of(st.integers(0, top), st.sampled_from(
            [0, top, top // 2])), min_size=n, max_size=n))
        keys.append((np.array(values, dtype=np.uint64), bits))
    before = [k.copy() for k, _ in keys]
    order = stable_order(keys, n)
    expected = np.lexsort([k for k, _ in reversed(keys)])
    assert order.tolist() == expected.tolist()
    assert all(np.array_equal(k, b) for (k, _), b in zip(keys, before, strict=True))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(70_000, 200_000),
       widths=st.sampled_from([(41,), (12, 40), (3, 64), (64,)]),
       shape=st.sampled_from(["uniform", "skewed"]), consume=st.booleans())
@pytest.mark.parametrize("fast", [True, False])
def test_stable_order_of_many_rows_sorts_like_lexsort(fast: bool, seed: int, n: int,
                                                      widths: tuple[int, ...], shape: str,
                                                      consume: bool) -> None:
    """Enough rows for the bucketed radix passes (and, with skewed top bits, their plain
    fallback), one or two digits, a consumed key: numpy's stable lexsort order."""
    rng = np.random.default_rng(seed)
    keys = []
    for bits in widths:
        values = rng.integers(0, 2**bits - 1, n, dtype=np.uint64, endpoint=True)
        if shape == "skewed":  # most rows share the top bits
            values[rng.random(n) < 0.8] = np.uint64(2**bits - 1)
        keys.append((values, bits))
    expected = np.lexsort([k for k, _ in reversed(keys)])
    with sort_path(fast):
        order = stable_order(keys, n, consume=consume)
    assert np.array_equal(order, expected)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8,
                                   np.uint16, np.uint32, np.uint64])
@pytest.mark.parametrize("shape", ["full range", "mostly the maximum", "near the maximum",
                                   "a wide band at the top"])
@pytest.mark.parametrize("fast", [True, False])
def test_factorize_int_of_every_integer_type(fast: bool, dtype: Any, shape: str) -> None:
    """Ids of every width over their whole range (a narrow int's offsets would wrap in
    its own type), crowded at the top, all near it, or over up to 2**40 values below the
    maximum (offsets and row numbers share one sorted word, the ids come back from the
    offsets): numpy's unique, same dtype."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(7)
    n = 100_000
    if shape == "near the maximum":
        values = rng.integers(int(info.max) - 100, info.max, n, dtype=dtype, endpoint=True)
    elif shape == "a wide band at the top":
        low = max(int(info.min), int(info.max) - 2**40)
        values = rng.integers(low, info.max, n, dtype=dtype, endpoint=True)
    else:
        values = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        if shape == "mostly the maximum":
            values[rng.random(n) < 0.8] = info.max
    with sort_path(fast):
        codes, uniques = factorize_int(values)
    expected, inverse = np.unique(values, return_inverse=True)
    assert uniques.dtype == values.dtype
    assert np.array_equal(uniques, expected)
    assert np.array_equal(codes, inverse.ravel())


@pytest.mark.parametrize("run", [1, 8, 300])
@pytest.mark.parametrize("fast", [True, False])
def test_factorize_int_of_runs_of_close_ids(fast: bool, run: int) -> None:
    """A few far-apart prefixes, each with runs of consecutive numbers (ids that share
    their high bits: the sort by high bits leaves many ties to the full radix sort):
    numpy's unique."""
    rng = np.random.default_rng(5)
    starts = rng.integers(0, 2**60, 12)
    values = (starts[:, None] + np.arange(0, 20_000 * run, run)[None, :]).ravel()
    values = rng.permutation(np.concatenate([values, values[:7_000]]))
    with sort_path(fast):
        codes, uniques = factorize_int(values)
    expected, inverse = np.unique(values, return_inverse=True)
    assert np.array_equal(uniques, expected) and np.array_equal(codes, inverse.ravel())


@pytest.mark.parametrize("fast", [True, False])
def test_factorize_int_of_close_ids_frees_the_first_sort_before_the_second(fast: bool
                                                                          ) -> None:
    """Runs of close ids fall back to a radix sort of the whole offsets: the first
    sort's row order, gathered ids, high bits and flags are freed before it, so the peak
    stays within five row-length int64 arrays (the codes included; it was eight)."""
    import tracemalloc

    rng = np.random.default_rng(2)
    n = 200_000
    values = np.array([-2**62, 0, 2**61, 2**62])[rng.integers(0, 4, n)] + rng.integers(
        0, 10**6, n)
    tracemalloc.start()
    try:
        with sort_path(fast):
            codes, uniques = factorize_int(values)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 5.5 * 8 * n
    expected, inverse = np.unique(values, return_inverse=True)
    assert np.array_equal(uniques, expected) and np.array_equal(codes, inverse.ravel())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.integers(-2**63, 2**63 - 1),
                          st.integers(2**62, 2**62 + 40)), min_size=1, max_size=400))
def test_factorize_int_codes_follow_the_sorted_distinct_ids(values: list[int]) -> None:
    """Wide spans (the high-bit sort with clashes re-sorted) and narrow ones: codes are
    positions in the sorted distinct ids."""
    arr = np.array(values, dtype=np.int64)
    codes, uniques = factorize_int(arr)
    expected, inverse = np.unique(arr, return_inverse=True)
    assert uniques.tolist() == expected.tolist()
    assert codes.tolist() == inverse.ravel().tolist()


@settings(max_examples=30, deadline=None)
@given(texts=st.lists(st.text(st.sampled_from("a\x00é"), min_size=1, max_size=4),
                      min_size=1, max_size=6, unique=True),
       many=st.booleans())
def test_text_ids_and_segments_ending_in_nul_are_kept_as_written(texts: list[str],
                                                               many: bool) -> None:
    """Ids and segment values are the texts given, a NUL at the end included, in
    from_arrays as in from_arrow: a numpy ``U`` array drops trailing NULs, so ``'a'`` and
    ``'a\\x00'`` used to come back as two entities both called ``'a'``."""
    pa = pytest.importorskip("pyarrow")
    n = len(texts) * (1100 // len(texts) + 1 if many else 1)
    values = (texts * n)[:n]
    cols = dict(entity=np.array(values, dtype=object), stage=np.zeros(n, dtype=np.int64),
                ts=np.arange(n), unit="s", segments={"tag": np.array(values, dtype=object)})
    log = EventLog.from_arrays(FUNNEL, **cols)
    assert log.ids.tolist() == sorted(texts)
    assert log.ids[log.entity].tolist() == values
    assert log.segments["tag"].values().tolist() == values
    table = pa.table({"entity": values, "stage": np.zeros(n, dtype=np.int64),
                      "ts": np.arange(n), "tag": values})
    from_table = EventLog.from_arrow(FUNNEL, table, unit="s", segments="tag")
    assert from_table.ids.tolist() == log.ids.tolist()
    assert from_table.segments["tag"].values().tolist() == values


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3 * 2**15 + 5),
       st.sampled_from([10**9, 10**6, 10**3, 1]), st.integers(-1, 3 * 2**15 + 4),
       st.sampled_from([0, -(2**62), 2**62]))
@example(0, 3 * 2**15 + 5, 10**9, 2 * 2**15 + 1, 0)  # one odd time in the third slice
@example(1, 2, 10**3, 1, -(2**62))
def test_time_scale_is_the_largest_power_of_ten_dividing_every_offset(
        seed: int, n: int, unit: int, odd_at: int, base: int) -> None:
    """``time_scale`` reads the offsets a slice at a time and moves to a finer step when a
    slice needs it: the step is the largest of 1 s, 1 ms, 1 us, 1 ns (in ns) that divides
    every ``ts - t0``, with one finer time anywhere (or none), at any length and base."""
    from salesfunnel.events._sort import scaled_offsets, time_scale

    rng = np.random.default_rng(seed)
    ts = base + rng.integers(0, 10**6, n, dtype=np.int64) * unit
    if 0 <= odd_at < n and unit > 1:
        ts[odd_at] += unit // 1000 if unit >= 1000 else 1
    t0 = int(ts.min())
    offsets = [int(t) - t0 for t in ts.tolist()]
    want = next((s for s in (10**9, 10**6, 10**3) if all(o % s == 0 for o in offsets)), 1)
    assert time_scale(ts) == (t0, want)
    start, step, k = scaled_offsets(ts)  # the offsets in that step give the times back
    assert (start, step) == (t0, want) and (start + step * k.astype(object)).tolist() == \
        ts.tolist()
