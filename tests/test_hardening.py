"""Edge inputs that once escaped as raw exceptions, hung, or gave silently wrong numbers.

Each test pins one input found by fuzzing every public entry point: it must end in the
library's own error (a :class:`~salesfunnel.FunnelError` naming the value) or in a right
result. The fuzzers themselves live in ``tests/fuzz/``.
"""

from __future__ import annotations

import contextlib
import io
import math
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from salesfunnel import (
    DefinitionError,
    EventLog,
    EventLogError,
    Funnel,
    InvalidParameterError,
    PlanError,
    Stage,
    metrics,
    planner,
    simulate,
)
from salesfunnel.cli._main import main

F = Funnel("f", [Stage("lead", probability=0.1), Stage("demo", probability=0.5),
                 Stage("won", kind="won"), Stage("lost", kind="lost")])
I64_MAX = 2**63 - 1
TS_MIN, TS_MAX = -(2**63) + 1, 2**63 - 2


def small_log() -> EventLog:
    return EventLog.from_arrays(F, entity=[1, 1, 2, 2, 3], stage=[0, 1, 0, 2, 0],
                                ts=[0, 5, 1, 9, 3], unit="D", amount=[1.0, 2, 3, 4, 5])


# -- EventLog ids --------------------------------------------------------------------------------
BIG = np.array([2**64 - 1, 2**63, 5, 2**63, 2**63 + 7], dtype=np.uint64)


def _check_big_ids(log: EventLog) -> None:
    assert log.ids.dtype == np.uint64
    assert log.ids.tolist() == sorted({int(v) for v in BIG})
    assert [int(log.ids[c]) for c in log.entity] == [int(v) for v in BIG]


def test_uint64_ids_from_numpy() -> None:
    _check_big_ids(EventLog.from_arrays(F, entity=BIG, stage=[0] * 5, ts=range(5), unit="s"))


def test_uint64_ids_from_pandas() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"entity": BIG, "stage": [0] * 5, "ts": range(5)})
    _check_big_ids(EventLog.from_pandas(F, frame, unit="s"))


def test_uint64_ids_from_arrow() -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"entity": pa.array(BIG, type=pa.uint64()), "stage": [0] * 5,
                      "ts": list(range(5))})
    _check_big_ids(EventLog.from_arrow(F, table, unit="s"))


def test_uint64_ids_spread_out_use_the_sorting_path() -> None:
    # Ids over the whole uint64 range: too spread for a lookup table, so the radix sort.
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 2**64 - 1, size=3000, dtype=np.uint64, endpoint=True)
    ids[:1000] = ids[1000:2000]  # repeats
    log = EventLog.from_arrays(F, entity=ids, stage=np.zeros(3000, int), ts=np.arange(3000),
                               unit="s")
    assert log.ids.tolist() == np.unique(ids).tolist()
    assert np.array_equal(log.ids[log.entity], ids)


@pytest.mark.parametrize("entity", [[[1], 2], [1, [1]], ([1, 2], 3)])
def test_ragged_entity_list_is_refused(entity: list[object]) -> None:
    with pytest.raises(EventLogError, match=r"not hashable"):
        EventLog.from_arrays(F, entity=entity, stage=[0, 1], ts=[0, 1], unit="s")


def test_python_equal_ids_are_one_entity() -> None:
    # Documented: ids are compared like dict keys (Python equality): 1, 1.0 and True
    # are one entity; "1" is another.
    log = EventLog.from_arrays(F, entity=[1, 1.0, True, "1"], stage=[0, 1, 1, 0],
                               ts=[0, 1, 2, 3], unit="s")
    assert log.n_entities == 2
    log = EventLog.from_arrays(F, entity=[1, 1.0, True], stage=[0, 1, 1], ts=[0, 1, 2],
                               unit="s")
    assert log.n_entities == 1


def test_large_int_ids_are_not_merged_through_float() -> None:
    # numpy would turn [2**53 + 1, 2**53, 1.0] into float64, making the first two equal;
    # Python equality keeps them apart.
    log = EventLog.from_arrays(F, entity=[2**53 + 1, 2**53, 1.0], stage=[0, 0, 0],
                               ts=[0, 1, 2], unit="s")
    assert log.n_entities == 3
    assert sorted(int(i) for i in log.ids) == [1, 2**53, 2**53 + 1]


@pytest.mark.parametrize("make", ["records", "pandas", "journeys"])
def test_segments_none_means_no_segments(make: str) -> None:
    if make == "records":
        log = EventLog.from_records(F, [{"entity": 1, "stage": 0, "ts": 0}], unit="s",
                                    segments=None)
    elif make == "pandas":
        pd = pytest.importorskip("pandas")
        log = EventLog.from_pandas(F, pd.DataFrame({"entity": [1], "stage": [0], "ts": [0]}),
                                   unit="s", segments=None)
    else:
        log = EventLog.from_journeys([], segments=None, funnel=F)
    assert dict(log.segments) == {}


@pytest.mark.parametrize("segments", [5, [1], [b"x"], {"a": 1}])
def test_bad_segment_names_are_refused(segments: object) -> None:
    with pytest.raises(InvalidParameterError, match="segments must be a column name"):
        EventLog.from_records(F, [{"entity": 1, "stage": 0, "ts": 0}], unit="s",
                              segments=segments)  # type: ignore[arg-type]


# -- durations and sorting beyond 2**63 ns ------------------------------------------------------
def wide_log() -> EventLog:
    """Entity 1: lead at the earliest time, won at the latest (2**64 - 3 ns later)."""
    return EventLog.from_arrays(
        F, entity=[1, 1, 2, 2], stage=[0, 2, 0, 1],
        ts=np.array([TS_MIN, TS_MAX, TS_MIN + 5, TS_MAX - 1], dtype="datetime64[ns]"))


def test_durations_beyond_int64_do_not_wrap() -> None:
    t = metrics.timing(wide_log())
    span = TS_MAX - TS_MIN
    assert t.cycle.values.tolist() == [span]
    assert t.cycle.total == span
    assert t.cycle.mean == pytest.approx(span / 1e9)
    steps = sorted(int(v) for v in t.steps[0].values)
    assert steps == [TS_MAX - 1 - (TS_MIN + 5), span]  # entity 1 skipped demo: won counts
    assert all(d.mean > 0 for d in t.steps if d.count)
    # Beyond timedelta64[ns]: NaT, not a wrapped negative duration.
    assert np.isnat(t.cycle.median_timedelta)


def test_survival_times_beyond_int64_do_not_wrap() -> None:
    s = metrics.survival(wide_log(), as_of=np.datetime64(TS_MAX, "ns"))
    assert (s.time > 0).all()
    assert s.time_ns.tolist() == sorted([TS_MAX - (TS_MIN + 5), TS_MAX - TS_MIN])
    assert np.isnat(s.timedelta).all()


def test_average_cycle_beyond_int64_does_not_wrap() -> None:
    p = metrics.pipeline(wide_log(), as_of=np.datetime64(TS_MAX, "ns"))
    assert p.cycle_total == TS_MAX - TS_MIN
    assert p.average_cycle == pytest.approx((TS_MAX - TS_MIN) / 1e9)


def test_sorting_a_log_spanning_more_than_2_63_ns() -> None:
    rng = np.random.default_rng(7)
    n = 2000
    ts = rng.integers(TS_MIN, TS_MAX, size=n, endpoint=True)
    ts[:4] = [TS_MIN, TS_MAX, TS_MIN, TS_MAX]
    ent = rng.integers(0, 50, size=n)
    stage = rng.integers(0, 4, size=n)
    log = EventLog.from_arrays(F, entity=ent, stage=stage, ts=ts.astype("datetime64[ns]"))
    s = log.sorted_by_entity_time()
    expected = np.lexsort((np.arange(n), log.stage, log.ts, log.entity))
    assert s.order.tolist() == expected.tolist()
    # ... and the metrics built on the time/stage packing agree with the sorted order.
    last = {int(e): int(log.stage[s.order[b - 1]])
            for e, b in enumerate(s.bounds[1:]) if b > s.bounds[e]}
    assert set(last) == set(range(log.n_entities))


# -- metrics and planner -----------------------------------------------------------------------
def test_pipeline_target_timedelta_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="'target' parameter of pipeline"):
        metrics.pipeline(small_log(), target=np.timedelta64(1, "D"))  # type: ignore[arg-type]


def test_forecast_as_of_before_1677_is_refused() -> None:
    with pytest.raises(PlanError, match="outside the representable times"):
        planner.forecast(small_log(), as_of=datetime(1, 1, 1, tzinfo=UTC), horizon=30)


@pytest.mark.parametrize("horizon", [10**30, 1e30, 1e300, 213_504.0])
def test_forecast_horizon_beyond_the_time_span_is_refused(horizon: float) -> None:
    with pytest.raises(InvalidParameterError, match="'horizon' parameter of forecast"):
        planner.forecast(small_log(), as_of="1970-01-10T00:00Z", horizon=horizon, n_sims=10)


def test_forecast_longest_horizon_works_and_prints() -> None:
    fc = planner.forecast(small_log(), as_of="1970-01-10T00:00Z", horizon=213_503.0,
                          n_sims=10, rng=1)
    assert "Forecast" in repr(fc) and str(fc)


@pytest.mark.parametrize("prior", [(6.1e16, 6.5e22), (1e308, 1e308), (1.0, 1e6 + 1),
                                   (1e-300, 1e-300), (1, 8.3e-304)])
def test_compare_refuses_huge_priors_quickly(prior: tuple[float, float]) -> None:
    log = small_log()
    start = time.perf_counter()
    with pytest.raises(InvalidParameterError, match=r"'prior' parameter of compare"):
        metrics.compare(log, log, prior=prior)
    assert time.perf_counter() - start < 5


def test_compare_largest_prior_is_fast() -> None:
    log = small_log()
    start = time.perf_counter()
    c = metrics.compare(log, log, prior=(1e6, 1e6))
    assert time.perf_counter() - start < 10
    assert all(0.0 <= p <= 1.0 for p in c.prob_b_better)


def test_comparison_constructor_checks_the_prior() -> None:
    with pytest.raises(InvalidParameterError, match="'prior' parameter of Comparison"):
        metrics.Comparison(steps=("x",), semantic="reached", a_successes=(1,), a_trials=(2,),
                           b_successes=(1,), b_trials=(2,), prior=(1e308, 1.0))


def test_gates_null_in_a_stage_dict_means_no_gates() -> None:
    f = Funnel.from_dict({"name": "x", "stages": [{"name": "a", "gates": None},
                                                  {"name": "w", "kind": "won"}]})
    assert f.stages[0].gates == ()


@pytest.mark.parametrize("gates", [5, "budget > 4", True])
def test_bad_gates_in_a_stage_dict_are_refused(gates: object) -> None:
    with pytest.raises(DefinitionError):
        Funnel.from_dict({"name": "x", "stages": [{"name": "a", "gates": gates},
                                                  {"name": "w", "kind": "won"}]})


@pytest.mark.parametrize("n", [10**30, 10**18, 10**9 + 1])
def test_simulate_refuses_n_beyond_its_limit(n: int) -> None:
    with pytest.raises(InvalidParameterError, match=r"'n' parameter of simulate"):
        simulate(F, n=n)


@pytest.mark.parametrize("kwargs", [
    {"win_rate": 5e-324, "deal_size": 5e-324, "opportunities": 5e-324, "cycle_days": 5e-324},
    {"win_rate": 0.5, "deal_size": 5e-324, "opportunities": 10, "cycle_days": 30},
    {"win_rate": 0.5, "deal_size": 1, "opportunities": 1, "cycle_days": 5e-324},
    {"win_rate": 0.5, "deal_size": 1e308, "opportunities": 1e308, "cycle_days": 1},
])
def test_levers_with_denormal_or_huge_inputs_refuse(kwargs: dict[str, float]) -> None:
    with pytest.raises(PlanError):
        planner.levers(**kwargs)


def test_huge_window_saturates_to_no_window() -> None:
    log = small_log()
    assert (metrics.conversion(log, semantic="ordered", window=1e308)
            == metrics.conversion(log, semantic="ordered"))


@pytest.mark.parametrize("kwargs", [
    {"target": 1e308, "deal_size": 1e-10, "win_rate": 0.5},
    {"target": 1e308, "deal_size": 1e-10, "win_rate": 0.5, "rounding": "ceil"},
    {"target": 1e-320, "deal_size": 1e-320, "win_rate": 1e-320},
    {"target": 1, "deal_size": 1, "win_rate": 1e-320, "rounding": "ceil"},
    {"target": 1, "deal_size": 1, "rates": [1e-200, 1e-200]},
    {"target": 1, "deal_size": 1, "win_rate": 0.5, "capacity": {"per_rep": 1e-320}},
])
def test_reverse_refuses_plans_beyond_the_float_range(kwargs: dict[str, object]) -> None:
    with pytest.raises(PlanError, match="beyond the largest number a float holds") as info:
        planner.reverse(**kwargs)  # type: ignore[arg-type]
    assert str(info.value)


def test_forward_refuses_plans_beyond_the_float_range() -> None:
    with pytest.raises(PlanError, match="beyond the largest number"):
        planner.forward(inflow=1e308, deal_size=1e308, win_rate=1.0)


def test_reverse_huge_but_finite_plan_prints() -> None:
    plan = planner.reverse(target=1e300, deal_size=1e-5, win_rate=0.5, rounding="ceil")
    assert np.isfinite(plan.inflow) and str(plan) and plan.to_dict()["deals"] == plan.deals


# -- the command line --------------------------------------------------------------------------
def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def one_line(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in err, err
    return lines[0]


REPORT = ("report", "--entity", "deal", "--stage", "stage", "--ts", "time",
          "--template", "b2b-seven-stage", "--format", "json")


def test_cli_reads_cr_only_line_endings(tmp_path: Path) -> None:
    rows = ["deal,stage,time", "1,prospect,2026-01-01T00:00Z", "1,won,2026-01-02T00:00Z",
            "2,prospect,2026-01-03T00:00Z"]
    cr, lf = tmp_path / "cr.csv", tmp_path / "lf.csv"
    cr.write_bytes("\r".join(rows).encode() + b"\r")
    lf.write_bytes("\n".join(rows).encode() + b"\n")
    code_cr, out_cr, err_cr = run(*REPORT, cr)
    code_lf, out_lf, _ = run(*REPORT, lf)
    assert code_cr == code_lf == 0, err_cr
    assert out_cr == out_lf


def test_cli_header_field_over_the_csv_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("deal,stage,time," + "x" * 140_000 + "\n1,prospect,2026-01-01T00:00Z,a\n")
    line = one_line(*run(*REPORT, path)[::2])
    assert "long.csv, line 1" in line and "131,072 characters" in line


def test_cli_time_of_year_9999(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    path.write_text("deal,stage,time\n1,prospect,9999-12-31T00:00Z\n")
    assert "9999-12-31" in one_line(*run(*REPORT, path)[::2])


def test_cli_huge_window(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("deal,stage,time\n1,prospect,2026-01-01T00:00Z\n1,won,2026-01-03T00:00Z\n")
    code, out, err = run(*REPORT, path, "--semantic", "ordered", "--window", "1e300")
    code0, out0, _ = run(*REPORT, path, "--semantic", "ordered")
    assert code == code0 == 0, err
    assert out == out0
    assert "window" in one_line(*run(*REPORT, path, "--window", "1e300")[::2])


@pytest.mark.parametrize("args", [
    ("--target", "1e308", "--deal-size", "1e-10", "--win-rate", "0.5"),
    ("--target", "1e-320", "--deal-size", "1e-320", "--win-rate", "1e-320"),
    ("--target", "1e6", "--deal-size", "1e-320", "--win-rate", "0.5"),
    ("--target", "1", "--deal-size", "1", "--win-rate", "1e-320", "--rounding", "ceil"),
    ("--target", "1e-320", "--deal-size", "1e-320", "--template", "b2b-seven-stage",
     "--rates", "1e-320,1e-320,1e-320,1e-320,1e-320,1e-320"),
])
def test_cli_plan_beyond_the_float_range(args: tuple[str, ...]) -> None:
    code, _, err = run("plan", *args)
    assert "plan" in one_line(code, err)


def test_pipeline_amounts_summing_beyond_the_float_range_say_so() -> None:
    log = EventLog.from_arrays(F, entity=[1, 2], stage=[1, 1], ts=[0, 1], unit="s",
                               amount=[1e308, 1e308])
    p = metrics.pipeline(log)
    assert math.isinf(p.open_value)
    assert "largest float" in p.reasons["open_value"]
    assert p.to_dict()["open_value"] is None and str(p)


def test_pipeline_coverage_of_a_tiny_target_says_why_in_every_language() -> None:
    """A target so small that the coverage overflows (found by the fuzz test: a
    subnormal target) raised InvalidParameterError from the word table when shown: its
    note had no label. Both languages now show it, naming the target."""
    log = EventLog.from_arrays(F, entity=[1, 2], stage=[1, 1], ts=[0, 1], unit="s",
                               amount=[5.0, 7.0])
    p = metrics.pipeline(log, target=2.225073858507e-311)
    assert math.isinf(p.coverage_unweighted)
    assert "target is so small" in p.reasons["coverage_unweighted"]
    assert "unweighted coverage: the target is so small" in str(p)
    assert "未加权覆盖率" in p.text("zh") and "目标过小" in p.text("zh")
    assert "target is so small" in p._repr_html_()


def test_forecast_refuses_more_simulations_than_its_limit() -> None:
    with pytest.raises(PlanError, match=r"'n_sims' parameter of forecast"):
        planner.forecast(small_log(), as_of="1970-01-10T00:00Z", horizon=3, n_sims=10**18)


@pytest.mark.parametrize("ids", [[2**63], [2**64 - 1, 2**64 - 3, 2**64 - 1],
                                 np.array([250, 255], dtype=np.uint8),
                                 [-(2**63), -(2**63) + 2]])
def test_close_together_ids_at_the_ends_of_the_integer_range(ids: list[int]) -> None:
    log = EventLog.from_arrays(F, entity=ids, stage=[0] * len(ids), ts=range(len(ids)),
                               unit="s")
    assert [int(log.ids[c]) for c in log.entity] == [int(i) for i in ids]


def test_markov_holding_times_beyond_int64_do_not_wrap() -> None:
    log = EventLog.from_arrays(F, entity=[1, 1, 1], stage=[0, 1, 2],
                               ts=np.array([TS_MIN, TS_MAX - 1, TS_MAX], dtype="datetime64[ns]"))
    model = planner.MarkovModel().fit(log)
    assert model.holding_days_[0] == pytest.approx((TS_MAX - 1 - TS_MIN) / 86_400e9)


def test_markov_refuses_huge_smoothing() -> None:
    with pytest.raises(InvalidParameterError, match="'smoothing' parameter of MarkovModel"):
        planner.MarkovModel(smoothing=1e300).fit(small_log())


def test_confidence_level_next_to_one_gives_finite_intervals() -> None:
    c = metrics.conversion(small_log(), level=0.9999999999999999)
    low, high = c.step_interval
    assert np.isfinite(low[~np.isnan(low)]).all() and np.isfinite(high[~np.isnan(high)]).all()


def test_ordered_conversion_of_a_log_spanning_more_than_2_63_ns() -> None:
    # Whole seconds, so the times pack in units of a second: the offsets must not wrap.
    s = 10**9
    ts = np.array([TS_MIN // s * s + s, 0, TS_MAX // s * s, TS_MIN // s * s + 2 * s],
                  dtype="datetime64[ns]")
    log = EventLog.from_arrays(F, entity=[1, 1, 1, 2], stage=[0, 1, 2, 0], ts=ts)
    c = metrics.conversion(log, semantic="ordered")
    assert c.count_array.tolist() == [2, 1, 1]
    window = metrics.conversion(log, semantic="ordered", window=np.timedelta64(300, "Y"))
    assert window.count_array.tolist() == [2, 1, 0]  # won came 584 years after lead
