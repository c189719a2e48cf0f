"""``timing`` and ``survival``: agreement with the pure-Python reference, exact merges,
breakdowns, a Kaplan-Meier cross-check against lifelines, and edge cases."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.reference import FUNNELS, Row, logs, ref_channel
from metrics.reference_timing import (
    NS_PER_SECOND,
    build,
    build_unpacked,
    events,
    ref_kaplan_meier,
    ref_observations,
    ref_timing,
)
from salesfunnel import EventLog, Funnel, InvalidParameterError, Stage
from salesfunnel._util._time import to_ns
from salesfunnel.metrics import Breakdown, Durations, Survival, survival, timing
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._timing import exact_sum, format_duration

PERCENTILES = st.lists(st.sampled_from([0, 2.5, 10, 25, 50, 75, 90, 99, 100]), max_size=4)
DAY = 86_400


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def aware(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def check_durations(d: Durations, ref: dict[str, Any], percentiles: tuple[float, ...]) -> None:
    assert d.count == ref["count"]
    assert d.observations().tolist() == ref["durations"]
    assert close(d.mean, ref["mean"])
    assert close(d.median, ref["median"])
    for q in percentiles:
        assert close(d.quantiles[q], ref["percentiles"][q]), q
    assert (d.reason is None) == (ref["count"] > 0)


# -- timing: agreement with the reference -------------------------------------------------------


@settings(max_examples=60)
@given(data=logs(), percentiles=PERCENTILES)
def test_timing_matches_reference(data: tuple[Funnel, list[Row]], percentiles: list[float]
                                  ) -> None:
    funnel, rows = data
    log = build(funnel, rows)
    result = timing(log, percentiles=percentiles)
    assert K.first_tables(log).units.dtype == np.int32  # seconds over months: compact
    qs = tuple(sorted(set(map(float, percentiles))))
    ref = ref_timing(funnel, events(rows), qs)
    assert result.stages == tuple(s.name for s in funnel.path)
    assert result.entities == len({r.entity for r in rows})
    assert len(result.steps) == funnel.won_index
    for k, step in enumerate(result.steps, start=1):
        assert (step.source, step.target) == (funnel.stages[k - 1].name, funnel.stages[k].name)
        check_durations(step, ref["steps"][k], qs)
    check_durations(result.cycle, ref["cycle"], qs)


@settings(max_examples=40)
@given(data=logs(), parts=st.integers(1, 4))
def test_timing_partitions_merge_exactly(data: tuple[Funnel, list[Row]], parts: int) -> None:
    funnel, rows = data
    log = build(funnel, rows)
    whole = timing(log)
    pieces = [timing(p) for p in log.partition(parts)]
    merged = pieces[0]
    for piece in pieces[1:]:
        merged = merged.merge(piece)
    assert merged == whole
    for a, b in zip((*merged.steps, merged.cycle), (*whole.steps, whole.cycle), strict=True):
        # bit-for-bit, not just close: the merge keeps every duration
        assert (a.count, a.total) == (b.count, b.total)
        assert a.mean == b.mean or (math.isnan(a.mean) and math.isnan(b.mean))
        assert a.quantiles == b.quantiles or a.count == 0


@settings(max_examples=60)
@given(data=logs(), parts=st.integers(2, 9), accuracy=st.sampled_from([None, 0.01]),
       workers=st.integers(1, 3))
def test_timing_merged_in_one_pass_equals_merging_pairs(data: tuple[Funnel, list[Row]],
                                                        parts: int,
                                                        accuracy: float | None,
                                                        workers: int) -> None:
    """``tree_merge`` of two or more results merges them in one pass per step
    (``_merge_all``, the steps on ``workers`` threads): the same values, counts, totals
    and statistics as merging one piece after another, and as the whole log."""
    from salesfunnel._engine._pool import tree_merge

    funnel, rows = data
    log = build(funnel, rows)
    pieces = [timing(p, accuracy=accuracy) for p in log.partition(parts)]
    pairwise = pieces[0]
    for piece in pieces[1:]:
        pairwise = pairwise.merge(piece)
    at_once = tree_merge(pieces, workers=workers)
    assert at_once == pairwise == timing(log, accuracy=accuracy)
    for a, b in zip((*at_once.steps, at_once.cycle), (*pairwise.steps, pairwise.cycle),
                    strict=True):
        assert a.frequencies is not None and a.frequencies.dtype == np.int64
        assert a.values.dtype == np.uint64 and (a.count, a.total) == (b.count, b.total)
        assert a.quantiles == b.quantiles or a.count == 0


def test_timing_merged_in_one_pass_refuses_incompatible_results() -> None:
    """The one-pass merge checks every result against the first, like ``merge``."""
    from salesfunnel._engine._pool import tree_merge

    log = EventLog.from_arrays(deals(), entity=[1, 2], stage=[0, 0], ts=[0, 1], unit="s")
    with pytest.raises(InvalidParameterError, match="the same percentiles"):
        tree_merge([timing(log), timing(log), timing(log, percentiles=[5])])
    with pytest.raises(InvalidParameterError, match="the same accuracy"):
        tree_merge([timing(log).cycle, timing(log).cycle, timing(log, accuracy=0.01).cycle])


@settings(max_examples=40)
@given(data=logs())
def test_timing_breakdown_matches_reference_per_channel(data: tuple[Funnel, list[Row]]) -> None:
    funnel, rows = data
    result = timing(build(funnel, rows), by="channel")
    assert isinstance(result, Breakdown)
    channel = ref_channel(rows)
    assert set(result) == set(channel.values())
    for value, t in result.items():
        mine = [r for r in rows if channel[r.entity] == value]
        ref = ref_timing(funnel, events(mine))
        assert t.entities == len({r.entity for r in mine})
        for k, step in enumerate(t.steps, start=1):
            check_durations(step, ref["steps"][k], t.percentiles)
        check_durations(t.cycle, ref["cycle"], t.percentiles)


@settings(max_examples=30)
@given(data=logs(), lost=st.sampled_from(["never", "censor"]))
def test_unpacked_path_matches_reference(data: tuple[Funnel, list[Row]], lost: str) -> None:
    funnel, rows = data
    log, evs = build_unpacked(funnel, rows)
    if evs:
        assert K._packing(log) is None  # the kernels cannot pack: the argsort path
        assert K.first_tables(log).units.dtype == np.int64  # 200 years of ns: no int32
    t = timing(log)
    ref = ref_timing(funnel, evs)
    for k, step in enumerate(t.steps, start=1):
        check_durations(step, ref["steps"][k], t.percentiles)
    check_durations(t.cycle, ref["cycle"], t.percentiles)
    as_of = max((e.ts for e in evs), default=0)
    km = survival(log, as_of=np.datetime64(as_of, "ns"), lost=lost)  # type: ignore[arg-type]
    ref_rows, _ = ref_kaplan_meier(ref_observations(funnel, evs, as_of, lost))
    assert km.time_ns.tolist() == [r[0] for r in ref_rows]
    assert km.events.tolist() == [r[2] for r in ref_rows]
    assert km.censored.tolist() == [r[3] for r in ref_rows]


@pytest.mark.parametrize("span", [2**31 - 2, 2**31 - 1])
@pytest.mark.parametrize("unit", ["s", "ns"])
def test_first_tables_at_the_int32_edge_agree_with_nanoseconds(span: int, unit: str) -> None:
    """A log spanning 2**31 - 2 units keeps its first times in int32, one unit more in
    int64 nanoseconds: either way they are the first times of a plain scatter-minimum,
    and a step's durations are exact."""
    f = deals()
    ent = [1, 1, 2, 2, 2, 3]
    stage = ["lead", "demo", "lead", "demo", "won", "lost"]
    ts = np.array([0, span, 7, 7 + span // 3, span, 5], dtype=np.int64)
    log = EventLog.from_arrays(f, entity=ent, stage=stage, ts=ts, unit=unit)
    tables = K.first_tables(log)
    assert tables.units.dtype == (np.int32 if span < 2**31 - 1 else np.int64)
    step = 10**9 if unit == "s" else 1
    ns = ts * step
    path = len(f.path)
    expected = np.full((3, path + 1), K.NEVER)
    codes = np.unique(ent, return_inverse=True)[1]
    for e, s_, t in zip(codes, [f.index(x) for x in stage], ns, strict=True):
        row = min(s_, path)
        expected[e, row] = min(expected[e, row], t)
    depth_first = np.minimum.accumulate(expected[:, :path][:, ::-1], axis=1)[:, ::-1]
    assert K.first_times(log).tolist() == depth_first.tolist()
    assert K.first_event_time(log).tolist() == expected.min(axis=1).tolist()
    t = timing(log, percentiles=())
    assert t.step("demo").values.tolist() == [span // 3 * step, span * step]
    assert t.cycle.values.tolist() == [(span - 7) * step]


# -- timing: closed forms and edge cases ----------------------------------------------------------


def deals() -> Funnel:
    return Funnel("deals", [Stage("lead"), Stage("demo"), Stage("proposal"),
                            Stage("won", kind="won"), Stage("lost", kind="lost")],
                  skip_ahead=True, fall_back=True)


def test_a_skipped_stage_has_no_time_from_it_and_fall_back_does_not_reset() -> None:
    """Regression: a deal that skipped a stage used to count a 0 s step out of it,
    which printed 0.0 s medians. It now has no time in the step out of the skipped stage
    (it never was there) and keeps the time to get past the stage before."""
    # a: lead d0, proposal d4 (skips demo), back to demo d6, won d10
    log = EventLog.from_arrays(deals(), entity=["a"] * 4, stage=[0, 2, 1, 3],
                               ts=[0, 4, 6, 10], unit="D")
    t = timing(log)
    days = [d.observations().tolist() for d in t.steps]
    assert days == [[4 * DAY * NS_PER_SECOND], [], [6 * DAY * NS_PER_SECOND]]
    assert t.steps[1].count == 0 and "0.0 s" not in str(t)
    assert t.cycle.observations().tolist() == [10 * DAY * NS_PER_SECOND]


def test_cycle_starts_at_the_first_event_even_when_it_is_lost() -> None:
    log = EventLog.from_arrays(deals(), entity=[1, 1, 1], stage=["lost", "lead", "won"],
                               ts=[0, 2, 5], unit="D")
    t = timing(log)
    assert t.cycle.median == 5 * DAY
    assert t.step("demo").median == 3 * DAY  # lead (d2) -> won reaches demo at d5


def test_known_percentiles_closed_form() -> None:
    # durations 1..101 days: median 51 d, p10 11 d, p90 91 d, mean 51 d
    n = 101
    log = EventLog.from_arrays(
        Funnel("f", [Stage("lead"), Stage("won", kind="won")]),
        entity=np.repeat(np.arange(n), 2), stage=np.tile([0, 1], n),
        ts=np.column_stack([np.zeros(n, np.int64), np.arange(1, n + 1)]).ravel(), unit="D",
    )
    step = timing(log).steps[0]
    assert (step.count, step.median, step.mean) == (n, 51 * DAY, 51 * DAY)
    assert (step.quantiles[10], step.quantiles[90]) == (11 * DAY, 91 * DAY)
    assert step.median_timedelta == np.timedelta64(51, "D")
    assert step.percentile_timedelta(90) == np.timedelta64(91, "D")


def test_empty_log() -> None:
    log = EventLog.from_arrays(deals(), entity=[], stage=[], ts=np.array([], "datetime64[ns]"))
    t = timing(log)
    assert t.entities == 0
    assert all(d.count == 0 and math.isnan(d.median) and math.isnan(d.mean) for d in t.steps)
    assert t.cycle.reason == "no entity reached 'won'"
    assert t.step(1).median_timedelta != t.step(1).median_timedelta  # NaT
    assert json.loads(json.dumps(t.to_dict()))["cycle"]["median"] is None
    assert "no sales cycle" in repr(t)
    assert len(timing(EventLog.from_arrays(deals(), entity=[], stage=[], ts=[], unit="s",
                                           segments={"rep": []}), by="rep")) == 0


def test_all_lost_and_single_entity_and_one_stage() -> None:
    lost = EventLog.from_arrays(deals(), entity=[1, 2], stage=["lost", "lost"], ts=[0, 1],
                                unit="s")
    t = timing(lost)
    assert [d.count for d in t.steps] == [0, 0, 0] and t.cycle.count == 0
    one = FUNNELS[0]  # lead, won
    t1 = timing(EventLog.from_arrays(one, entity=["x"], stage=["won"], ts=[3], unit="s"))
    # never seen at "lead": no time out of it; its cycle (first event to WON) is 0
    assert t1.steps[0].observations().tolist() == [] and t1.cycle.observations().tolist() == [0]
    t2 = timing(EventLog.from_arrays(one, entity=["x", "y"], stage=["lead", "lead"],
                                     ts=[3, 4], unit="s"))
    assert t2.steps[0].count == 0 and t2.cycle.count == 0 and math.isnan(t2.cycle.mean)
    single = EventLog.from_arrays(deals(), entity=[7, 7], stage=[0, 1], ts=[0, 60], unit="s")
    assert timing(single).step("demo").median == 60.0


def test_exact_sum_does_not_overflow() -> None:
    big = np.full(1000, 2**62, dtype=np.int64)
    assert exact_sum(big) == 1000 * 2**62
    assert exact_sum(np.array([], np.int64)) == 0


def test_step_lookup_and_errors() -> None:
    t = timing(EventLog.from_arrays(deals(), entity=[1], stage=[0], ts=[0], unit="s"))
    assert t.step("demo") is t.steps[0] and t.step(3) is t.steps[2]
    for bad in ("lead", "nope", 0, 4, True):
        with pytest.raises(InvalidParameterError, match="no step into"):
            t.step(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="percentile 33 was not computed"):
        t.steps[0].percentile_timedelta(33)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"percentiles": [101]}, r"The 'percentiles' parameter of timing must be a sequence of "
            r"numbers in \[0, 100\]; got \[101\]\."),
        ({"percentiles": [-1]}, r"The 'percentiles' parameter of timing must be a sequence of "
            r"numbers in \[0, 100\]; got \[-1\]\."),
        ({"percentiles": ["10"]}, r"The 'percentiles' parameter of timing must be a sequence of "
            r"numbers in \[0, 100\]; got \['10'\]\."),
        ({"percentiles": "10"}, r"The 'percentiles' parameter of timing must be a sequence of "
            r"numbers in \[0, 100\]; got '10'\."),
        ({"percentiles": 10}, r"The 'percentiles' parameter of timing must be a sequence of "
            r"numbers in \[0, 100\]; got 10\."),
        ({"percentiles": [True]}, r"The 'percentiles' parameter of timing must be a sequence of "
            r"numbers in \[0, 100\]; got \[True\]\."),
        ({"by": "nope"}, "by='nope' is not a segment column"),
    ],
)
def test_bad_timing_arguments_raise(kwargs: dict[str, Any], match: str) -> None:
    log = EventLog.from_arrays(deals(), entity=[1], stage=[0], ts=[0], unit="s",
                               segments={"rep": ["x"]})
    with pytest.raises(InvalidParameterError, match=match):
        timing(log, **kwargs)


def test_log_must_be_an_eventlog() -> None:
    with pytest.raises(InvalidParameterError, match=r"The 'log' parameter must be an EventLog; "
        r"got \[\]"):
        timing([])  # type: ignore[call-overload]
    with pytest.raises(InvalidParameterError, match=r"The 'log' parameter must be an EventLog; "
        r"got \{\}"):
        survival({}, as_of="2026-01-01T00:00Z")  # type: ignore[call-overload]


def test_timing_merge_refuses_incompatible_results() -> None:
    log = EventLog.from_arrays(deals(), entity=[1], stage=[0], ts=[0], unit="s")
    other = EventLog.from_arrays(FUNNELS[0], entity=[1], stage=[0], ts=[0], unit="s")
    with pytest.raises(InvalidParameterError, match="the same stages"):
        timing(log).merge(timing(other))
    with pytest.raises(InvalidParameterError, match="the same percentiles"):
        timing(log).merge(timing(log, percentiles=[5]))
    with pytest.raises(InvalidParameterError, match=r"The 'other' parameter of Timing\.merge must "
        r"be a Timing; got <Survival"):
        timing(log).merge(survival(log, as_of="2026-01-01T00:00Z"))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"The 'other' parameter of Durations\.merge "
        r"must be Durations; got "):
        timing(log).cycle.merge(1)  # type: ignore[arg-type]


def test_timing_presentation() -> None:
    log = EventLog.from_arrays(deals(), entity=[1, 1, 2, 2, 2], stage=[0, 3, 0, 1, 4],
                               ts=[0, 10, 0, 2, 3], unit="D", segments={"rep": ["a"] * 5})
    t = timing(log)
    text = str(t)
    assert "lead -> demo" in text and "sales cycle (first -> won)" in text
    assert "10.0 d" in text and "p10" in text and "p50" not in text  # median shown once
    assert repr(t) == "<Timing: 3 steps, 2 entities, median sales cycle 10.0 d over 1 won>"
    assert repr(t.steps[0]).startswith("<Durations lead -> demo: 2 observations, median")
    assert t.steps[2].count == 0  # nobody was seen at "proposal"
    d = json.loads(json.dumps(t.to_dict()))
    assert d["unit"] == "seconds" and d["cycle"]["median"] == 10 * DAY
    assert d["steps"][0]["p90"] == pytest.approx(t.steps[0].quantiles[90])
    frame = t.to_pandas()
    assert list(frame.columns) == ["from", "to", "count", "median", "mean", "p10", "p50", "p90"]
    assert str(frame["median"].dtype).startswith("timedelta64")
    assert frame["median"].iloc[-1] == np.timedelta64(10, "D")
    by = timing(log, by="rep")
    assert by.to_pandas()["rep"].tolist() == ["a"] * 4
    with pytest.raises(TypeError):
        hash(t.cycle)


def test_durations_presentation_matches_its_timing_row() -> None:
    log = EventLog.from_arrays(deals(), entity=[1, 1, 2, 2, 2], stage=[0, 3, 0, 1, 4],
                               ts=[0, 10, 0, 2, 3], unit="D")
    t = timing(log)
    frame = t.to_pandas()
    for i, d in enumerate((*t.steps, t.cycle)):
        own = d.to_pandas()
        assert len(own) == 1 and list(own.columns) == list(frame.columns)
        assert own.iloc[0].equals(frame.iloc[i])
    cycle = str(t.cycle)
    assert cycle.splitlines()[0].split() == ["step", "count", "median", "mean", "p10", "p90"]
    row = cycle.splitlines()[2]
    assert row.startswith("first event -> won")
    assert row.split()[4:9] == ["1", "10.0", "d", "10.0", "d"]  # count, median, mean
    never = Durations("demo", "proposal", np.zeros(0, np.int64))
    assert str(never).endswith("no entity reached 'proposal'")
    assert never.to_pandas()["median"].isna().all()


def test_format_duration_units() -> None:
    assert [format_duration(x) for x in (0.5, 90.0, 7200.0, 2.5 * DAY)] == \
        ["0.5 s", "1.5 min", "2.0 h", "2.5 d"]


# -- survival: agreement with the reference and with lifelines -----------------------------------


@st.composite
def survival_cases(draw: st.DrawFn) -> tuple[Funnel, list[Row], int, str]:
    funnel, rows = draw(logs())
    times = [r.ts for r in rows] or [1_700_000_000]
    as_of = draw(st.one_of(st.sampled_from(times),
                           st.integers(min(times) - 10, max(times) + 10)))
    return funnel, rows, as_of, draw(st.sampled_from(["never", "censor"]))


def check_against_reference(km: Survival, funnel: Funnel, rows: list[Row], as_of: int,
                            lost: str) -> None:
    obs = ref_observations(funnel, events(rows), as_of * NS_PER_SECOND, lost)
    ref_rows, ref_median = ref_kaplan_meier(obs)
    assert km.observations == len(obs)
    assert km.converted == sum(e for _, e in obs)
    assert km.time_ns.tolist() == [r[0] for r in ref_rows]
    assert km.at_risk.tolist() == [r[1] for r in ref_rows]
    assert km.events.tolist() == [r[2] for r in ref_rows]
    assert km.censored.tolist() == [r[3] for r in ref_rows]
    for got, want in zip(km.survival, (r[4] for r in ref_rows), strict=True):
        assert close(float(got), want)
    for got, want in zip(km.lower, (r[5] for r in ref_rows), strict=True):
        assert close(float(got), want)
    for got, want in zip(km.upper, (r[6] for r in ref_rows), strict=True):
        assert close(float(got), want)
    if ref_median is None:
        assert math.isnan(km.median) and km.reason is not None
    else:
        assert km.median == ref_median / NS_PER_SECOND and km.reason is None


@settings(max_examples=60)
@given(case=survival_cases())
def test_survival_matches_reference(case: tuple[Funnel, list[Row], int, str]) -> None:
    funnel, rows, as_of, lost = case
    km = survival(build(funnel, rows), as_of=aware(as_of), lost=lost)  # type: ignore[arg-type]
    assert (km.as_of, km.lost, km.stage) == (as_of * NS_PER_SECOND, lost, funnel.won.name)
    check_against_reference(km, funnel, rows, as_of, lost)


@settings(max_examples=30)
@given(case=survival_cases(), parts=st.integers(1, 4))
def test_survival_partitions_merge_exactly(case: tuple[Funnel, list[Row], int, str],
                                           parts: int) -> None:
    funnel, rows, as_of, lost = case
    log = build(funnel, rows)
    whole = survival(log, as_of=aware(as_of), lost=lost)  # type: ignore[arg-type]
    pieces = [survival(p, as_of=aware(as_of), lost=lost)  # type: ignore[arg-type]
              for p in log.partition(parts)]
    merged = pieces[0]
    for piece in pieces[1:]:
        merged = merged.merge(piece)
    assert merged == whole
    assert np.array_equal(merged.survival, whole.survival)
    assert np.array_equal(merged.at_risk, whole.at_risk)


@settings(max_examples=40)
@given(case=survival_cases(), parts=st.integers(3, 7), late=st.booleans())
def test_survival_merged_in_one_pass_equals_merging_pairs(
        case: tuple[Funnel, list[Row], int, str], parts: int, late: bool) -> None:
    """``tree_merge`` of three or more estimates merges the tables in one pass
    (``Survival._merge_all``), with or without late entry (some parts with an ``entry``
    mapping, some without): the table of merging pairs, and of the whole log."""
    from salesfunnel._engine._pool import tree_merge

    funnel, rows, as_of, lost = case
    log = build(funnel, rows)
    pieces = log.partition(parts)
    # late entry: the entities of every other part entered one day before their first
    # event (those of the other parts, at time 0)
    first = {e: min(r.ts for r in rows if r.entity == e) for e in {r.entity for r in rows}}
    entry = {e: aware(t - 86_400) for e, t in first.items()} if late else None

    def km(part: EventLog, k: int) -> Survival:
        own = None if entry is None or k % 2 else {
            i: entry[i] for i in part.ids.tolist()}
        return survival(part, as_of=aware(as_of), lost=lost,  # type: ignore[arg-type]
                        entry=own)

    kms = [km(p, k) for k, p in enumerate(pieces)]
    pairwise = kms[0]
    for piece in kms[1:]:
        pairwise = pairwise.merge(piece)
    at_once = tree_merge(kms)
    assert at_once == pairwise
    assert at_once.to_dict() == pairwise.to_dict()
    for name in ("time_ns", "events", "censored", "at_risk", "survival", "lower", "upper"):
        assert np.array_equal(getattr(at_once, name), getattr(pairwise, name),
                              equal_nan=name in ("lower", "upper")), name
    if entry is None:
        assert at_once == survival(log, as_of=aware(as_of), lost=lost)  # type: ignore[arg-type]


@settings(max_examples=30)
@given(case=survival_cases())
def test_survival_breakdown_matches_reference(case: tuple[Funnel, list[Row], int, str]) -> None:
    funnel, rows, as_of, lost = case
    result = survival(build(funnel, rows), as_of=aware(as_of), by="channel",
                      lost=lost)  # type: ignore[arg-type]
    channel = ref_channel(rows)
    seen = {channel[r.entity] for r in rows if r.ts <= as_of}
    assert set(result) == seen
    for value, km in result.items():
        mine = [r for r in rows if channel[r.entity] == value]
        check_against_reference(km, funnel, mine, as_of, lost)


def lifelines_fit(km: Survival, durations: np.ndarray, converted: np.ndarray) -> Any:
    lifelines = pytest.importorskip("lifelines")
    return lifelines.KaplanMeierFitter(alpha=1 - km.level).fit(durations, converted)


def check_against_lifelines(km: Survival, durations: np.ndarray, converted: np.ndarray
                            ) -> None:
    fitter = lifelines_fit(km, durations, converted)
    table = fitter.event_table
    times = km.time
    assert np.array_equal(table.loc[times, "at_risk"].to_numpy(), km.at_risk)
    assert np.array_equal(table.loc[times, "observed"].to_numpy(), km.events)
    assert np.array_equal(table.loc[times, "censored"].to_numpy(), km.censored)
    sf = fitter.survival_function_.iloc[:, 0]
    np.testing.assert_allclose(sf.loc[times].to_numpy(), km.survival, rtol=1e-9, atol=1e-12)
    ci = fitter.confidence_interval_
    np.testing.assert_allclose(ci.iloc[:, 0].loc[times].to_numpy(), km.lower, rtol=1e-7,
                               atol=1e-9)
    np.testing.assert_allclose(ci.iloc[:, 1].loc[times].to_numpy(), km.upper, rtol=1e-7,
                               atol=1e-9)
    ambiguous = np.any(np.abs(km.survival - 0.5) < 1e-9)  # lifelines compares floats
    if not ambiguous:
        theirs = fitter.median_survival_time_
        if math.isinf(theirs):
            assert math.isnan(km.median)
        else:
            assert km.median == pytest.approx(theirs, rel=1e-12)
    text = repr(fitter)
    assert f"fitted with {km.observations} total observations" in text
    assert f"{km.right_censored} right-censored" in text


@settings(max_examples=30, deadline=None)
@given(case=survival_cases())
def test_survival_matches_lifelines(case: tuple[Funnel, list[Row], int, str]) -> None:
    funnel, rows, as_of, lost = case
    km = survival(build(funnel, rows), as_of=aware(as_of), lost=lost)  # type: ignore[arg-type]
    if km.observations == 0:
        return
    obs = ref_observations(funnel, events(rows), as_of * NS_PER_SECOND, lost)
    durations = np.array([d for d, _ in obs], dtype=np.float64) / NS_PER_SECOND
    converted = np.array([e for _, e in obs], dtype=bool)
    check_against_lifelines(km, durations, converted)


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_survival_matches_lifelines_on_a_larger_random_log(level: float) -> None:
    rng = np.random.default_rng(7)
    n = 3_000
    funnel = Funnel("f", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
    entry = rng.integers(0, 200, n)
    outcome = rng.choice([0, 1, 2], size=n, p=[0.3, 0.4, 0.3])  # open, won, lost
    close_at = entry + rng.integers(0, 120, n)
    entity = np.concatenate([np.arange(n), np.flatnonzero(outcome > 0)])
    stage = np.concatenate([np.zeros(n, np.int64), outcome[outcome > 0]])
    ts = np.concatenate([entry, close_at[outcome > 0]])
    log = EventLog.from_arrays(funnel, entity=entity, stage=stage, ts=ts, unit="D")
    as_of = np.datetime64(250, "D")
    km = survival(log, as_of=as_of, level=level)
    before = close_at <= 250
    won = (outcome == 1) & before
    durations = np.where(won, close_at - entry, 250 - entry).astype(np.float64) * DAY
    check_against_lifelines(km, durations, won)
    assert km.observations == n and km.converted == int(won.sum())


# -- survival: closed forms and edge cases -------------------------------------------------------


def test_lost_policies_differ_only_for_lost_entities() -> None:
    f = deals()
    log = EventLog.from_arrays(f, entity=[1, 1, 2, 2, 3], stage=["lead", "won", "lead",
                               "lost", "lead"], ts=[0, 4, 0, 2, 0], unit="D")
    never = survival(log, as_of=np.datetime64(10, "D"))
    censor = survival(log, as_of=np.datetime64(10, "D"), lost="censor")
    # never: 2 stays at risk until day 10; censor: 2 leaves at day 2.
    assert never.time.tolist() == [4 * DAY, 10 * DAY] and never.at_risk.tolist() == [3, 2]
    assert censor.time.tolist() == [2 * DAY, 4 * DAY, 10 * DAY]
    assert censor.at_risk.tolist() == [3, 2, 1]
    assert never.survival[0] == pytest.approx(2 / 3) and censor.survival[1] == 0.5


def test_events_after_as_of_are_ignored_and_late_entities_left_out() -> None:
    log = EventLog.from_arrays(deals(), entity=[1, 1, 2], stage=["lead", "won", "lead"],
                               ts=[0, 20, 15], unit="D")
    km = survival(log, as_of="1970-01-11T00:00:00Z")
    assert (km.observations, km.converted, km.right_censored) == (1, 0, 1)
    assert km.time.tolist() == [10 * DAY]
    assert ": 1 observation, 0 converted, 1 right-censored" in str(km)
    assert math.isnan(km.median) and "fewer than half" in str(km.reason)


def test_survival_edge_cases() -> None:
    empty = EventLog.from_arrays(deals(), entity=[], stage=[], ts=[], unit="s",
                                 segments={"rep": []})
    km = survival(empty, as_of="2026-01-01T00:00Z")
    assert km.observations == 0 and len(km.time) == 0 and math.isnan(km.median)
    assert km.reason == "no entity entered by 2026-01-01T00:00:00Z"
    assert km.survival_at([1.0]).tolist() == [1.0]
    assert np.isnat(km.median_timedelta)
    assert len(survival(empty, as_of="2026-01-01T00:00Z", by="rep")) == 0
    lost = EventLog.from_arrays(deals(), entity=[1, 2], stage=["lost", "lost"], ts=[0, 5],
                                unit="D")
    km = survival(lost, as_of=np.datetime64(10, "D"))
    assert km.converted == 0 and km.survival.tolist() == [1.0, 1.0]
    assert km.lower.tolist() == [1.0, 1.0]
    one = FUNNELS[0]
    km = survival(EventLog.from_arrays(one, entity=["a"], stage=["won"], ts=[0], unit="s"),
                  as_of=np.datetime64(0, "s"))
    assert km.time.tolist() == [0.0] and km.survival.tolist() == [0.0] and km.median == 0.0
    assert km.lower.tolist() == [0.0] and km.upper.tolist() == [0.0]


def test_survival_at_and_timedelta() -> None:
    log = EventLog.from_arrays(deals(), entity=[1, 1, 2, 2], stage=["lead", "won", "lead",
                               "won"], ts=[0, 2, 0, 6], unit="D")
    km = survival(log, as_of=np.datetime64(10, "D"))
    assert km.survival_at([0, 2 * DAY, 3 * DAY, 6 * DAY]).tolist() == [1.0, 0.5, 0.5, 0.0]
    assert km.median_timedelta == np.timedelta64(2, "D")
    assert km.timedelta.astype("timedelta64[D]").tolist() == [dt.timedelta(days=2),
                                                              dt.timedelta(days=6)]


@pytest.mark.parametrize("as_of", [None, "2026-01-01", "soon", 1_700_000_000, True,
                                   dt.datetime(2026, 1, 1), np.datetime64("NaT")])
def test_bad_as_of_raises(as_of: Any) -> None:
    log = EventLog.from_arrays(deals(), entity=[1], stage=[0], ts=[0], unit="s")
    with pytest.raises(InvalidParameterError, match="as_of must be a timezone-aware datetime"):
        survival(log, as_of=as_of)


def as_of_ns(value: Any) -> int:
    return to_ns(value, parameter="as_of")


def test_as_of_forms_are_equivalent() -> None:
    want = 1_767_225_600 * NS_PER_SECOND
    assert as_of_ns("2026-01-01T00:00:00Z") == want
    assert as_of_ns(dt.datetime(2026, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))) \
        == want
    assert as_of_ns(np.datetime64("2026-01-01")) == want
    pd = pytest.importorskip("pandas")
    assert as_of_ns(pd.Timestamp("2026-01-01", tz="UTC")) == want


def test_survival_at_refuses_non_numbers() -> None:
    km = survival(EventLog.from_arrays(deals(), entity=[1], stage=[0], ts=[0], unit="D"),
                  as_of="1970-01-05T00:00Z")
    with pytest.raises(InvalidParameterError, match=r"seconds must be numbers.*got 'x'"):
        km.survival_at("x")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lost": "drop"}, "The 'lost' parameter of survival must be one of .*'never'.*; got "
            "'drop'"),
        ({"level": 1.5}, "level"),
        ({"by": "nope"}, "by='nope' is not a segment column"),
    ],
)
def test_bad_survival_arguments_raise(kwargs: dict[str, Any], match: str) -> None:
    log = EventLog.from_arrays(deals(), entity=[1], stage=[0], ts=[0], unit="s",
                               segments={"rep": ["x"]})
    with pytest.raises(InvalidParameterError, match=match):
        survival(log, as_of="2026-01-01T00:00Z", **kwargs)


def test_survival_merge_refuses_incompatible_results() -> None:
    log = EventLog.from_arrays(deals(), entity=[1], stage=[0], ts=[0], unit="s")
    a = survival(log, as_of="2026-01-01T00:00Z")
    with pytest.raises(InvalidParameterError, match="the same as_of"):
        a.merge(survival(log, as_of="2026-01-02T00:00Z"))
    with pytest.raises(InvalidParameterError, match="the same lost"):
        a.merge(survival(log, as_of="2026-01-01T00:00Z", lost="censor"))
    with pytest.raises(InvalidParameterError, match=r"The 'other' parameter of Survival\.merge "
        r"must be a Survival; got "):
        a.merge(timing(log))  # type: ignore[arg-type]


def test_survival_presentation() -> None:
    n = 50
    log = EventLog.from_arrays(
        deals(), entity=np.concatenate([np.arange(n), np.arange(0, n, 2)]),
        stage=np.concatenate([np.zeros(n, np.int64), np.full(n // 2, 3)]),
        ts=np.concatenate([np.zeros(n, np.int64), np.arange(0, n, 2) + 1]), unit="D",
        segments={"rep": ["a"] * (n + n // 2)},
    )
    km = survival(log, as_of="1970-03-01T00:00Z")
    assert repr(km) == ("<Survival time to 'won' (Kaplan-Meier): fitted with 50 observations, "
                        "25 right-censored>")
    text = str(km)
    assert text.startswith("Kaplan-Meier time to 'won' as of 1970-03-01T00:00:00Z")
    assert "rows shown" in text and "median time to conversion" in text
    d = json.loads(json.dumps(km.to_dict()))
    assert d["observations"] == 50 and len(d["rows"]) == len(km.time)
    assert d["rows"][0]["at_risk"] == 50
    frame = km.to_pandas()
    assert frame["at_risk"].tolist() == km.at_risk.tolist()
    assert str(frame["time"].dtype).startswith("timedelta64")
    bd = survival(log, as_of="1970-03-01T00:00Z", by="rep")
    assert bd["a"] == km
    with pytest.raises(TypeError):
        hash(km)


# -- the compact (value, count) form ----------------------------------------------------------


@settings(max_examples=200)
@given(values=st.lists(st.integers(0, 10**15), min_size=1, max_size=60),
       wanted=st.lists(st.floats(0, 100), max_size=6))
def test_weighted_percentiles_equal_numpy_bit_for_bit(values: list[int],
                                                     wanted: list[float]) -> None:
    from salesfunnel.metrics._timing import compact, weighted_percentiles
    raw = np.asarray(values, dtype=np.int64)
    distinct, counts = compact(raw)
    assert counts.sum() == len(raw) and np.all(np.diff(distinct) > 0)
    got = weighted_percentiles(distinct, counts, [*wanted, 50.0])
    assert got.tolist() == np.percentile(raw, [*wanted, 50.0]).tolist()


@settings(max_examples=50)
@given(a=st.lists(st.integers(0, 10**13), max_size=40),
       b=st.lists(st.integers(0, 10**13), max_size=40))
def test_durations_merge_exactly_and_stay_compact(a: list[int], b: list[int]) -> None:
    da, db = Durations("x", "y", a), Durations("x", "y", b)
    merged = da.merge(db)
    assert merged == Durations("x", "y", a + b)
    assert merged.observations().tolist() == sorted(a + b)
    assert len(merged.values) == len(set(a + b))


def test_durations_sketch_is_an_explicit_option() -> None:
    rng = np.random.default_rng(5)
    raw = rng.integers(1, 10**15, 50_000)
    exact = Durations("x", "y", raw)
    sketch = Durations("x", "y", raw, accuracy=0.01)
    assert exact.accuracy is None and len(exact.values) > 40_000
    assert len(sketch.values) < 2_000  # bounded by the grid, not by the entities
    for q in (10.0, 50.0, 90.0):
        assert abs(sketch.quantiles[q] - exact.quantiles[q]) <= 0.0101 * exact.quantiles[q]
    with pytest.raises(InvalidParameterError, match="accuracy"):
        exact.merge(sketch)
