"""``conversion``: agreement with the pure-Python reference, interval cross-checks against
statsmodels, ``ordered`` against DuckDB SQL, merging, breakdowns and edge cases."""

from __future__ import annotations

import datetime as dt
import json
import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.reference import (
    FUNNELS,
    Row,
    by_entity,
    columns,
    logs,
    n_path,
    ref_channel,
    ref_continued,
    ref_conversion,
    ref_rates,
    ref_wilson,
)
from salesfunnel import EventLog, Funnel, InvalidParameterError
from salesfunnel.metrics import Breakdown, Conversion, conversion

SEMANTICS = ["reached", "entered", "ordered"]
WINDOWS = st.one_of(st.none(), st.sampled_from([0, 1, 3_600, 86_400, 30 * 86_400]))


def build(funnel: Funnel, rows: list[Row]) -> EventLog:
    return EventLog.from_arrays(funnel, unit="s", **columns(rows))


def same_float(a: float, b: float, tol: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


# -- agreement with the reference -----------------------------------------------------------------


@settings(max_examples=60)
@given(data=logs(), semantic=st.sampled_from(SEMANTICS), window=WINDOWS)
def test_counts_and_rates_match_reference(data: tuple[Funnel, list[Row]], semantic: str,
                                          window: int | None) -> None:
    funnel, rows = data
    log = build(funnel, rows)
    win = window if semantic == "ordered" else None
    res = conversion(log, semantic=semantic, window=win)  # type: ignore[arg-type]
    counts, entities = ref_conversion(funnel, rows, semantic, win)
    assert list(res.counts) == counts
    assert res.entities == entities
    hits = ref_continued(funnel, rows) if semantic == "entered" else counts
    step, overall = ref_rates(counts, continued=hits if semantic == "entered" else None,
                              entities=entities if semantic == "entered" else None)
    assert all(same_float(a, b) for a, b in zip(res.step_rate.tolist(), step, strict=True))
    assert all(same_float(a, b) for a, b in zip(res.overall_rate.tolist(), overall,
                                                 strict=True))
    assert all(0.0 <= r <= 1.0 for r in res.step_rate.tolist() + res.overall_rate.tolist()
               if not math.isnan(r))
    assert res.dropoff.tolist() == [0] + [counts[k - 1] - hits[k]
                                          for k in range(1, len(counts))]
    assert min(res.dropoff.tolist()) >= 0
    z = NormalDist().inv_cdf(0.975)
    low, high = res.step_interval
    for k in range(1, len(counts)):
        ref_low, ref_high = ref_wilson(hits[k], counts[k - 1], z)
        assert same_float(float(low[k]), ref_low) and same_float(float(high[k]), ref_high)
    finite = [s for s in step[1:] if not math.isnan(s)]
    if finite:
        assert res.bottleneck == funnel.names[1 + step[1:].index(min(finite))]
    else:
        assert res.bottleneck is None


@settings(max_examples=40)
@given(data=logs(), semantic=st.sampled_from(SEMANTICS), parts=st.integers(1, 4))
def test_partitions_merge_into_the_whole(data: tuple[Funnel, list[Row]], semantic: str,
                                         parts: int) -> None:
    funnel, rows = data
    log = build(funnel, rows)
    window = 86_400 if semantic == "ordered" else None
    whole = conversion(log, semantic=semantic, window=window)  # type: ignore[arg-type]
    pieces = [conversion(p, semantic=semantic, window=window)  # type: ignore[arg-type]
              for p in log.partition(parts)]
    merged = pieces[0]
    for p in pieces[1:]:
        merged = merged.merge(p)
    assert merged == whole


@settings(max_examples=40)
@given(data=logs(), semantic=st.sampled_from(SEMANTICS))
def test_breakdown_matches_reference_per_channel(data: tuple[Funnel, list[Row]],
                                                 semantic: str) -> None:
    funnel, rows = data
    log = build(funnel, rows)
    window = 3_600 if semantic == "ordered" else None
    bd = conversion(log, semantic=semantic, window=window,  # type: ignore[arg-type]
                    by="channel")
    channel = ref_channel(rows)
    assert set(bd) == set(channel.values())
    for value, res in bd.items():
        sub = [r for r in rows if channel[r.entity] == value]
        counts, entities = ref_conversion(funnel, sub, semantic, window)
        assert list(res.counts) == counts and res.entities == entities
    # Breakdowns over partitions merge into the breakdown over the whole.
    parts = [conversion(p, semantic=semantic, window=window, by="channel")  # type: ignore
             for p in log.partition(3)]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert dict(merged) == dict(bd)
    # ... in category order (sorted strings here), whatever the order of merging.
    assert list(bd) == sorted(set(channel.values()))
    assert list(merged) == list(parts[2].merge(parts[0]).merge(parts[1])) == list(bd)


# -- cross-checks against independent libraries ---------------------------------------------------


@settings(max_examples=30)
@given(data=logs(), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_and_jeffreys_match_statsmodels(data: tuple[Funnel, list[Row]],
                                               level: float) -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    funnel, rows = data
    log = build(funnel, rows)
    for ci in ("wilson", "jeffreys"):
        res = conversion(log, ci=ci, level=level)  # type: ignore[arg-type]
        c = res.counts
        for (low, high), trials in ((res.step_interval, c[:-1]),
                                    (res.overall_interval, [c[0]] * (len(c) - 1))):
            for k in range(1, len(c)):
                n = trials[k - 1]
                if n == 0:
                    assert math.isnan(low[k]) and math.isnan(high[k])
                    continue
                ref = proportion.proportion_confint(c[k], n, alpha=1 - level, method=ci)
                assert abs(low[k] - ref[0]) < 1e-9 and abs(high[k] - ref[1]) < 1e-9


def windowfunnel_sql(m: int, window: int | None) -> str:
    """DuckDB SQL for the windowFunnel level of every entity, written from the definition:
    a chain of events at stages 0..k with non-decreasing times, each within ``window`` of
    the chain's first event."""
    parts = ["l0 AS (SELECT DISTINCT entity, ts AS start, ts AS t FROM ev WHERE stage = 0)"]
    for k in range(1, m):
        cond = "" if window is None else f" AND e.ts - l.start <= {window}"
        parts.append(
            f"l{k} AS (SELECT DISTINCT l.entity, l.start, e.ts AS t FROM l{k - 1} l "
            f"JOIN ev e ON e.entity = l.entity AND e.stage = {k} AND e.ts >= l.t{cond})"
        )
    levels = " UNION ALL ".join(f"SELECT {k} AS k, entity FROM l{k}" for k in range(m))
    return (f"WITH ev AS (SELECT * FROM events WHERE stage < {m}), " + ", ".join(parts)
            + f" SELECT k, count(DISTINCT entity) FROM ({levels}) GROUP BY k ORDER BY k")


def duckdb_ordered(funnel: Funnel, entity: Any, stage: Any, ts: Any,
                   window: int | None) -> list[int]:
    duckdb = pytest.importorskip("duckdb")
    pd = pytest.importorskip("pandas")
    events = pd.DataFrame({"entity": entity, "stage": stage, "ts": ts})
    con = duckdb.connect()
    con.register("events", events)
    got = dict(con.execute(windowfunnel_sql(n_path(funnel), window)).fetchall())
    return [int(got.get(k, 0)) for k in range(n_path(funnel))]


@settings(max_examples=25)
@given(data=logs(), window=WINDOWS)
def test_ordered_matches_duckdb_sql(data: tuple[Funnel, list[Row]], window: int | None
                                    ) -> None:
    funnel, rows = data
    codes = {e: i for i, e in enumerate(by_entity(rows))}
    expected = duckdb_ordered(funnel, [codes[r.entity] for r in rows],
                              [r.stage for r in rows], [r.ts for r in rows], window)
    log = build(funnel, rows)
    assert list(conversion(log, semantic="ordered", window=window).counts) == expected


@pytest.mark.parametrize("window_days", [None, 1, 30])
def test_ordered_matches_duckdb_sql_on_a_larger_random_log(window_days: int | None) -> None:
    rng = np.random.default_rng(7)
    funnel = FUNNELS[2]
    n = 6_000
    entity = rng.integers(0, 800, n) * 7919 + 13  # arbitrary, non-dense ids
    stage = rng.integers(0, len(funnel.stages), n)
    ts = 1_750_000_000 + rng.integers(0, 20, n) * 86_400 + rng.integers(0, 3, n) * 3_600
    window = None if window_days is None else window_days * 86_400
    expected = duckdb_ordered(funnel, entity, stage, ts, window)
    log = EventLog.from_arrays(funnel, entity=entity, stage=stage, ts=ts, unit="s")
    res = conversion(log, semantic="ordered", window=window)
    assert list(res.counts) == expected
    assert expected[0] > expected[2] > 0  # the check is not vacuous


@pytest.mark.parametrize("window", [
    np.timedelta64(2, "D"), dt.timedelta(days=2), 172_800, 172_800.0,
])
def test_window_forms_are_equivalent(window: Any) -> None:
    funnel = FUNNELS[1]
    log = EventLog.from_arrays(funnel, entity=[1, 1, 1, 2, 2], stage=[0, 1, 2, 0, 1],
                               ts=[0, 1, 3, 0, 2], unit="D")
    assert conversion(log, semantic="ordered", window=window).counts == (2, 2, 0)


# -- edge cases -----------------------------------------------------------------------------------


def test_empty_log_gives_zero_counts_and_nan_rates() -> None:
    funnel = FUNNELS[1]
    log = EventLog.from_arrays(funnel, entity=[], stage=[], ts=[], unit="s")
    for semantic in SEMANTICS:
        res = conversion(log, semantic=semantic)  # type: ignore[arg-type]
        assert res.counts == (0, 0, 0) and res.entities == 0
        assert np.isnan(res.step_rate).all() and np.isnan(res.overall_rate).all()
        assert res.bottleneck is None
        assert "no entity reached the first stage" in str(res)


def test_empty_log_breakdown_is_empty() -> None:
    log = EventLog.from_arrays(FUNNELS[1], entity=[], stage=[], ts=[], unit="s",
                               segments={"channel": []})
    bd = conversion(log, by="channel")
    assert len(bd) == 0 and "no groups" in str(bd)


def test_all_lost_log() -> None:
    funnel = FUNNELS[1]
    log = EventLog.from_arrays(funnel, entity=[1, 2, 3], stage=["lost"] * 3, ts=[0, 1, 2],
                               unit="s")
    res = conversion(log)
    assert res.counts == (0, 0, 0) and res.entities == 3
    assert np.isnan(res.overall_rate).all()


def test_single_entity_that_won_by_skipping() -> None:
    funnel = FUNNELS[2]
    log = EventLog.from_arrays(funnel, entity=["x", "x"], stage=["a", "won"], ts=[0, 9],
                               unit="D")
    reached = conversion(log)
    assert reached.counts == (1, 1, 1, 1, 1)
    assert reached.step_rate[1:].tolist() == [1.0] * 4
    assert conversion(log, semantic="entered").counts == (1, 0, 0, 0, 1)
    assert conversion(log, semantic="ordered").counts == (1, 0, 0, 0, 0)


def test_one_stage_log() -> None:
    funnel = FUNNELS[0]
    log = EventLog.from_arrays(funnel, entity=[1, 2, 2], stage=[0, 0, 0], ts=[0, 1, 2],
                               unit="s")
    res = conversion(log)
    assert res.counts == (2, 0) and res.step_rate.tolist()[1] == 0.0
    assert res.bottleneck == "won"


def test_entered_steps_are_shares_of_the_previous_stage_never_above_one() -> None:
    """Regression: counts may grow along the path under "entered" (deals that start
    further down), which printed a 200% step and a drop-off of -1. A step is now the
    share of the previous stage's entities also seen at this one."""
    funnel = FUNNELS[1]
    log = EventLog.from_arrays(funnel, entity=[1, 2, 3], stage=[0, 1, 1], ts=[0, 0, 0],
                               unit="s")
    res = conversion(log, semantic="entered")
    assert res.counts == (1, 2, 0)
    assert res.continued == (0, 0, 0)  # entity 1 was never seen at stage 1
    assert res.step_rate[1] == 0.0 and res.dropoff[1] == 1
    assert res.overall_rate.tolist()[:2] == [1 / 3, 2 / 3]  # shares of all 3 entities
    low, high = res.step_interval
    assert low[1] == 0.0 and 0.0 < high[1] < 1.0
    assert "200" not in str(res) and "-1" not in str(res)
    with pytest.raises(InvalidParameterError, match="continued"):
        Conversion("reached", ("a", "b"), (2, 1), 2, continued=(0, 1))


# -- presentation ---------------------------------------------------------------------------------


def test_str_repr_dict_and_pandas_agree() -> None:
    funnel = FUNNELS[1]
    log = EventLog.from_arrays(funnel, entity=[1, 1, 2, 2, 3], stage=[0, 1, 0, 3, 2],
                               ts=[0, 1, 0, 4, 2], unit="D")
    res = conversion(log)
    assert repr(res) == "<Conversion reached: 3 stages, 3 entities, 1 won>"
    text = str(res)
    for name, count in zip(res.stages, res.counts, strict=True):
        assert any(line.split()[:2] == [name, str(count)] for line in text.splitlines())
    data = json.loads(json.dumps(res.to_dict()))
    assert data["counts"] == list(res.counts)
    assert data["rows"][0]["step_rate"] is None
    frame = res.to_pandas()
    assert frame["count"].tolist() == list(res.counts)
    assert frame["overall_rate"].tolist() == res.overall_rate.tolist()
    bd = conversion(log, by=None)
    assert isinstance(bd, Conversion)


def test_breakdown_presentation() -> None:
    funnel = FUNNELS[1]
    log = EventLog.from_arrays(funnel, entity=[1, 1, 2], stage=[0, 1, 0], ts=[0, 1, 0],
                               unit="D", segments={"channel": ["ads", "web", "web"]})
    bd = conversion(log, by="channel")
    assert isinstance(bd, Breakdown) and list(bd) == ["ads", "web"]
    assert "channel = ads" in str(bd) and "channel = web" in str(bd)
    frame = bd.to_pandas()
    assert frame["channel"].tolist() == ["ads"] * 3 + ["web"] * 3
    data = json.loads(json.dumps(bd.to_dict()))
    assert [g["value"] for g in data["groups"]] == ["ads", "web"]
    with pytest.raises(InvalidParameterError, match=r"no group 'tv'.*'ads', 'web'"):
        bd["tv"]


# -- argument validation --------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"semantic": "reach"}, "The 'semantic' parameter of conversion must be one of 'reached', "
        "'ordered', 'entered'; got 'reach'"),
    ({"ci": "wald"}, "The 'ci' parameter of conversion must be one of 'wilson', 'jeffreys'; got "
        "'wald'"),
    ({"level": 1.0}, r"The 'level' parameter of conversion must be a number in \(0, 1\); got "
        r"1\.0\."),
    ({"level": "95%"}, "The 'level' parameter of conversion must be a number in .*; got '95%'"),
    ({"window": 10}, "window applies only to semantic='ordered'"),
    ({"semantic": "ordered", "window": -1}, "window must be a non-negative"),
    ({"semantic": "ordered", "window": "30d"}, "window must be a non-negative"),
    ({"semantic": "ordered", "window": np.timedelta64("NaT")}, "window must be"),
    ({"by": "chanel"}, "by='chanel' is not a segment column.*'channel'"),
])
def test_bad_arguments_raise(kwargs: dict[str, Any], match: str) -> None:
    log = EventLog.from_arrays(FUNNELS[1], entity=[1], stage=[0], ts=[0], unit="s",
                               segments={"channel": ["ads"]})
    with pytest.raises(InvalidParameterError, match=match):
        conversion(log, **kwargs)


def test_log_must_be_an_eventlog() -> None:
    with pytest.raises(InvalidParameterError, match=r"The 'log' parameter must be an EventLog; "
        r"got \[1, 2\]"):
        conversion([1, 2])  # type: ignore[call-overload]


def test_merge_refuses_incompatible_results() -> None:
    a = Conversion("reached", ("lead", "won"), (2, 1), 2)
    with pytest.raises(InvalidParameterError, match="the same semantic"):
        a.merge(Conversion("entered", ("lead", "won"), (2, 1), 2))
    with pytest.raises(InvalidParameterError, match="the same stages"):
        a.merge(Conversion("reached", ("x", "won"), (2, 1), 2))
    with pytest.raises(InvalidParameterError, match=r"The 'other' parameter of Conversion\.merge "
        r"must be a Conversion; got 'x'"):
        a.merge("x")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="2 stages but 1 counts"):
        Conversion("reached", ("lead", "won"), (2,), 2)


# -- Breakdown order -------------------------------------------------------------------------------


def test_breakdown_merge_keeps_category_order_for_every_metric() -> None:
    from salesfunnel.metrics import cohorts, pipeline, survival, timing

    funnel = FUNNELS[1]
    # Entities 1..4 start in channels c, a, d, b: entity codes order ≠ category order, and
    # with two parts each part holds only some of the channels.
    log = EventLog.from_arrays(funnel, entity=[1, 2, 3, 4, 4], stage=[0, 0, 0, 0, 2],
                               ts=[0, 1, 2, 3, 9], unit="D", amount=[1.0, 2.0, 3.0, 4.0, 5.0],
                               segments={"channel": ["c", "a", "d", "b", "b"]})
    metrics = [
        lambda lg: conversion(lg, by="channel"),
        lambda lg: timing(lg, by="channel"),
        lambda lg: pipeline(lg, by="channel"),
        lambda lg: survival(lg, as_of="1970-02-01T00:00Z", by="channel"),
        lambda lg: cohorts(lg, by="channel"),
    ]
    for metric in metrics:
        whole = metric(log)
        assert list(whole) == ["a", "b", "c", "d"]
        first, second = (metric(p) for p in log.partition(2))
        assert list(first) == ["a", "c"] and list(second) == ["b", "d"]
        for merged in (first.merge(second), second.merge(first)):
            assert list(merged) == list(whole)
            assert merged.categories == whole.categories == ("a", "b", "c", "d")
            assert dict(merged) == dict(whole)


def test_breakdown_merge_order_of_separately_built_logs() -> None:
    pd = pytest.importorskip("pandas")
    funnel = FUNNELS[1]

    def by_channel(entity: list[int], channel: Any) -> Breakdown[Conversion]:
        n = len(entity)
        return conversion(EventLog.from_arrays(funnel, entity=entity, stage=[0] * n,
                                               ts=[0] * n, unit="s",
                                               segments={"channel": channel}), by="channel")

    # Comparable values: each log sorts its own; the merge is sorted like the union's.
    left, right = by_channel([1, 2], ["web", "ads"]), by_channel([3, 4], ["tv", "mail"])
    union = by_channel([1, 2, 3, 4], ["web", "ads", "tv", "mail"])
    assert list(left.merge(right)) == list(right.merge(left)) == list(union)
    assert list(union) == ["ads", "mail", "tv", "web"]
    # A categorical column keeps its own category order (here not alphabetical).
    cat = pd.CategoricalDtype(["web", "tv", "ads"], ordered=True)
    left = by_channel([1, 2], pd.Series(["ads", "web"], dtype=cat))
    right = by_channel([3], pd.Series(["tv"], dtype=cat))
    assert list(left) == ["web", "ads"]
    assert list(left.merge(right)) == list(right.merge(left)) == ["web", "tv", "ads"]
    # Values that do not compare: the left side's order, then the right side's new values.
    left, right = by_channel([1, 2], ["x", 1]), by_channel([3, 4], [2, "x"])
    assert list(left) == ["x", 1]
    assert list(left.merge(right)) == ["x", 1, 2]


def test_breakdown_constructed_by_hand_orders_results_by_categories() -> None:
    res = Conversion("reached", ("lead", "won"), (1, 0), 1)
    bd = Breakdown("channel", {"web": res, "ads": res, "tv": res}, categories=("tv", "web"))
    assert list(bd) == ["tv", "web", "ads"]  # values not among the categories go last
    assert bd == Breakdown("channel", {"ads": res, "tv": res, "web": res})


def test_windows_longer_than_any_log_mean_no_limit_and_never_wrap() -> None:
    from salesfunnel import Stage

    f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")])
    # 400 years between the steps: within a 500-year window, outside a 300-year one.
    year = 31_556_952 * 10**9
    log = EventLog.from_arrays(f, entity=[1, 1, 1], stage=[0, 1, 2],
                               ts=np.array([-(2**63) + 1, -(2**63) + 1 + 400 * year,
                                            2**63 - 2], dtype=np.int64), unit="ns")
    c = lambda w: conversion(log, semantic="ordered", window=w).counts  # noqa: E731
    assert c(None) == (1, 1, 1)
    # 600 years used to wrap round to 17.5 years; 10**6 years was refused as negative.
    for huge in (np.timedelta64(600, "Y"), np.timedelta64(10**6, "Y"),
                 dt.timedelta(days=365 * 10**6)):
        result = conversion(log, semantic="ordered", window=huge)
        assert result.counts == (1, 1, 1) and result.window is None
    assert c(np.timedelta64(500, "Y")) == (1, 1, 0)  # uint64 differences past 2**63 ns
    assert c(np.timedelta64(300, "Y")) == (1, 0, 0)
    with pytest.raises(InvalidParameterError, match="non-negative"):
        conversion(log, semantic="ordered", window=np.timedelta64(-1, "D"))
