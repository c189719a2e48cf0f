"""``cohorts``: agreement with the reference (periods computed with ``datetime``)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.reference import (
    FUNNELS,
    Row,
    columns,
    logs,
    ref_channel,
    ref_cohorts,
)
from salesfunnel import EventLog, Funnel, InvalidParameterError, Stage
from salesfunnel.metrics import Cohorts, cohorts, conversion

PERIODS = ["day", "week", "month", "quarter"]


def label(start: dt.date, period: str) -> str:
    if period == "day":
        return start.isoformat()
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return start.strftime("%Y-%m")
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


@settings(max_examples=50)
@given(data=logs(spread=400), period=st.sampled_from(PERIODS))
def test_cohorts_match_reference(data: tuple[Funnel, list[Row]], period: str) -> None:
    funnel, rows = data
    log = EventLog.from_arrays(funnel, unit="s", **columns(rows))
    res = cohorts(log, period=period)  # type: ignore[arg-type]
    ref = ref_cohorts(funnel, rows, period)
    starts = sorted(ref)
    assert res.labels == tuple(label(s, period) for s in starts)
    assert [dt.datetime.fromtimestamp(s // 10**9, dt.UTC).date() for s in res.starts] == starts
    assert [list(c) for c in res.counts] == [ref[s][0] for s in starts]
    assert list(res.entities) == [ref[s][1] for s in starts]
    # Each row is the conversion of that cohort's entities.
    for i in range(len(starts)):
        row = res.conversion(i)
        assert row.counts == res.counts[i] and row.entities == res.entities[i]
    assert sum(res.entities) == log.n_entities


@settings(max_examples=30)
@given(data=logs(spread=200), period=st.sampled_from(PERIODS), parts=st.integers(1, 4))
def test_cohorts_merge_over_partitions(data: tuple[Funnel, list[Row]], period: str,
                                      parts: int) -> None:
    funnel, rows = data
    log = EventLog.from_arrays(funnel, unit="s", **columns(rows))
    whole = cohorts(log, period=period, semantic="ordered",  # type: ignore[arg-type]
                    window=7 * 86_400)
    pieces = [cohorts(p, period=period, semantic="ordered",  # type: ignore[arg-type]
                      window=7 * 86_400) for p in log.partition(parts)]
    merged = pieces[0]
    for p in pieces[1:]:
        merged = merged.merge(p)
    assert merged == whole


@settings(max_examples=25)
@given(data=logs(spread=120))
def test_cohorts_by_segment(data: tuple[Funnel, list[Row]]) -> None:
    funnel, rows = data
    log = EventLog.from_arrays(funnel, unit="s", **columns(rows))
    bd = cohorts(log, period="month", by="channel")
    channel = ref_channel(rows)
    assert set(bd) == set(channel.values())
    for value, res in bd.items():
        ref = ref_cohorts(funnel, [r for r in rows if channel[r.entity] == value], "month")
        assert [list(c) for c in res.counts] == [ref[s][0] for s in sorted(ref)]


def test_entered_semantic_and_presentation() -> None:
    log = EventLog.from_arrays(
        FUNNELS[1], entity=[1, 1, 2, 3],
        stage=["lead", "won", "demo", "lead"],
        ts=["2026-01-30T23:00:00-02:00", "2026-02-03T00:00:00Z", "2026-01-02T00:00:00Z",
            "2026-03-31T12:00:00Z"])
    res = cohorts(log, period="quarter", semantic="entered")
    # Entity 1 starts on 2026-01-31 01:00 UTC: cohorts are UTC periods.
    assert res.labels == ("2026-Q1",) and res.counts == ((2, 1, 1),)
    monthly = cohorts(log)
    assert monthly.labels == ("2026-01", "2026-03") and monthly.entities == (2, 1)
    assert repr(monthly) == ("<Cohorts by month: 2 cohorts (2026-01 .. 2026-03), 3 entities, "
                             "3 stages>")
    text = str(monthly)
    assert "2026-01" in text and "100.0%" in text
    data = json.loads(json.dumps(monthly.to_dict()))
    assert data["cohorts"][0]["counts"] == [2, 2, 1]
    frame = monthly.to_pandas("overall")
    assert frame.index.tolist() == ["2026-01", "2026-03"]
    assert frame.loc["2026-01", "won"] == 0.5
    assert monthly.step_rate[0].tolist()[1:] == [1.0, 0.5]
    assert np.isnan(monthly.step_rate[:, 0]).all()


def test_empty_log() -> None:
    log = EventLog.from_arrays(FUNNELS[1], entity=[], stage=[], ts=[], unit="s")
    res = cohorts(log, period="week")
    assert res.labels == () and res.count_matrix.shape == (0, 3)
    assert "(no cohorts)" in str(res) and "0 cohorts" in repr(res)
    assert res.merge(res) == res


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"period": "year"}, r"^The 'period' parameter of cohorts must be one of "
                         r"'quarter', 'day', 'week', 'month'; got 'year'\.$"),
    ({"semantic": "seen"}, "The 'semantic' parameter of cohorts must be one of .*; got 'seen'"),
    ({"by": "region"}, "by='region' is not a segment column"),
])
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    log = EventLog.from_arrays(FUNNELS[1], entity=[1], stage=[0], ts=[0], unit="s")
    with pytest.raises(InvalidParameterError, match=match):
        cohorts(log, **kwargs)  # type: ignore[arg-type]


def test_cohort_lookup_and_merge_errors() -> None:
    log = EventLog.from_arrays(FUNNELS[1], entity=[1], stage=[0], ts=[0], unit="s")
    res = cohorts(log)
    assert res.conversion("1970-01") == conversion(log)
    with pytest.raises(InvalidParameterError, match="no cohort '1999-01'; cohorts: '1970-01'"):
        res.conversion("1999-01")
    with pytest.raises(InvalidParameterError, match="the same period"):
        res.merge(cohorts(log, period="day"))
    with pytest.raises(InvalidParameterError, match=r"The 'other' parameter of Cohorts\.merge "
        r"must be Cohorts; got <Conversion"):
        res.merge(conversion(log))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"The 'values' parameter of "
        r"Cohorts\.to_pandas must be one of .*; got 'rates'"):
        res.to_pandas("rates")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="one entry per cohort"):
        Cohorts("day", ("a",), (), ("lead",), (), ())


def test_entered_cohorts_have_no_step_rates_and_overall_shares_of_all_entities() -> None:
    f = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won")])
    log = EventLog.from_arrays(f, entity=[1, 2, 3], stage=[0, 1, 1], ts=[0, 0, 0], unit="D")
    res = cohorts(log, semantic="entered")
    assert res.count_matrix.tolist() == [[1, 2, 0]]
    assert np.isnan(res.step_rate).all()  # counts grow: no step rate without pair counts
    assert res.overall_rate.tolist() == [[1 / 3, 2 / 3, 0.0]]
