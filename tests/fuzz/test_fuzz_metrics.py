"""Fuzz every metric: odd options on generated logs, and logs at the edges of time."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from fuzz_support import durations, error_or_result, finite_or_nan, fuzz, junk, numbers, times
from metrics.reference import FUNNELS, Row, columns, ref_conversion
from metrics.reference_timing import events, ref_timing
from salesfunnel import EventLog, Funnel, Stage, metrics
from salesfunnel.testing import event_logs

F = Funnel("f", [Stage("lead", probability=0.1), Stage("demo", probability=0.5),
                 Stage("won", kind="won"), Stage("lost", kind="lost")])
TS_MIN, TS_MAX = -(2**63) + 1, 2**63 - 2


@st.composite
def edge_logs(draw: st.DrawFn) -> EventLog:
    """Small logs whose times sit anywhere in the representable range, ends included."""
    n = draw(st.integers(1, 8))
    ts = draw(st.lists(st.one_of(st.sampled_from([TS_MIN, TS_MAX, 0, TS_MIN + 1, TS_MAX - 1]),
                                 st.integers(TS_MIN, TS_MAX)), min_size=n, max_size=n))
    ent = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    stage = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    amount = draw(st.one_of(st.none(), st.lists(
        st.one_of(st.floats(allow_infinity=False), st.sampled_from([1e308, -1e308, 5e-324])),
        min_size=n, max_size=n)))
    return EventLog.from_arrays(F, entity=ent, stage=stage,
                                ts=np.array(ts, dtype="datetime64[ns]"), amount=amount,
                                segments={"channel": draw(st.lists(
                                    st.sampled_from(["a", "b"]), min_size=n, max_size=n))})


logs = st.one_of(event_logs(F, max_entities=8, segments=["channel"]), edge_logs())
options: dict[str, st.SearchStrategy[Any]] = {
    "semantic": st.sampled_from(["reached", "entered", "ordered", "x", None]),
    "window": st.one_of(st.none(), durations),
    "ci": st.sampled_from(["wilson", "jeffreys", "exact", None]),
    "level": st.one_of(st.sampled_from([0.95, 0.5, 1e-300, 1 - 1e-16]), numbers),
    "by": st.sampled_from([None, "channel", "rep", 1]),
    "percentiles": st.one_of(st.lists(numbers, max_size=3), junk),
    "as_of": st.one_of(st.none(), times, numbers),
    "target": st.one_of(st.none(), numbers, durations),
    "period": st.sampled_from(["day", "week", "month", "quarter", "year", "decade", None]),
    "lost": st.sampled_from(["never", "censor", "x"]),
    "prior": st.one_of(st.tuples(numbers, numbers), junk),
    "naive": st.sampled_from(["raise", "utc", "x"]),
}


def some(*names: str) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments: each of ``names`` present or not, with a value from options."""
    return st.fixed_dictionaries({}, optional={n: options[n] for n in names})


def semantic_ok(kwargs: dict[str, Any]) -> dict[str, Any]:
    if kwargs.get("window") is not None and "semantic" not in kwargs:
        kwargs["semantic"] = "ordered"
    return kwargs


@fuzz
@given(logs, some("semantic", "window", "ci", "level", "by"))
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         {"semantic": "ordered", "window": 1e308})
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         {"level": 0.9999999999999999})
def test_conversion(log: EventLog, kwargs: dict[str, Any]) -> None:
    c = error_or_result(metrics.conversion, log, **semantic_ok(kwargs))
    if c is not None and kwargs.get("by") is None:
        assert all(finite_or_nan(r) and (np.isnan(r) or 0 <= r <= 1) for r in c.step_rate)


@fuzz
@given(logs, some("by", "percentiles"))
@example(EventLog.from_arrays(F, entity=[1, 1], stage=[0, 2],
                              ts=np.array([TS_MIN, TS_MAX], dtype="datetime64[ns]")), {})
def test_timing(log: EventLog, kwargs: dict[str, Any]) -> None:
    t = error_or_result(metrics.timing, log, **kwargs)
    if t is not None and kwargs.get("by") is None:
        for d in (*t.steps, t.cycle):
            assert d.values.dtype == np.uint64
            assert np.isnan(d.mean) or d.mean >= 0


@fuzz
@given(logs, some("by", "lost", "level", "naive"), st.one_of(times, numbers))
@example(EventLog.from_arrays(F, entity=[1, 1], stage=[0, 2],
                              ts=np.array([TS_MIN, TS_MAX], dtype="datetime64[ns]")), {},
         np.datetime64(TS_MAX, "ns"))
@example(EventLog.from_arrays(F, entity=[0], stage=[0], ts=[0], unit="s"),
         {"level": 0.9999999999999999}, "1970-01-02T00:00Z")
def test_survival(log: EventLog, kwargs: dict[str, Any], as_of: Any) -> None:
    s = error_or_result(metrics.survival, log, as_of=as_of, **kwargs)
    if s is not None and kwargs.get("by") is None:
        assert (s.time >= 0).all()
        assert ((s.survival >= 0) & (s.survival <= 1)).all()


@fuzz
@given(logs, some("as_of", "target", "by", "naive"))
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         {"target": np.timedelta64(1, "D")})
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         {"as_of": np.datetime64("9999-01-01")})
def test_pipeline(log: EventLog, kwargs: dict[str, Any]) -> None:
    p = error_or_result(metrics.pipeline, log, **kwargs)
    if p is not None and kwargs.get("by") is None:
        assert np.isnan(p.average_cycle) or p.average_cycle >= 0


@fuzz
@given(logs, some("period", "semantic", "window", "ci", "level", "by"))
def test_cohorts(log: EventLog, kwargs: dict[str, Any]) -> None:
    error_or_result(metrics.cohorts, log, **semantic_ok(kwargs))


@fuzz
@given(logs, logs, some("semantic", "window", "level", "prior"))
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         {"prior": (6.1e16, 6.5e22)})
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         {"prior": (1e308, 1e308)})
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         {"prior": (1, 8.287347368778232e-304)})
@example(EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         EventLog.from_arrays(F, entity=[1], stage=[0], ts=[0], unit="s"),
         {"prior": (1e-300, 1e-300)})
def test_compare(a: EventLog, b: EventLog, kwargs: dict[str, Any]) -> None:
    c = error_or_result(metrics.compare, a, b, **semantic_ok(kwargs))
    if c is not None:
        assert all(np.isnan(p) or 0 <= p <= 1 for p in c.prob_b_better)


@fuzz
@given(st.sampled_from([metrics.conversion, metrics.timing, metrics.pipeline,
                        metrics.cohorts]), junk)
def test_metrics_refuse_what_is_not_a_log(fn: Any, log: Any) -> None:
    error_or_result(fn, log)


S_MIN, S_MAX = -(TS_MIN // -(10**9)) + 1, TS_MAX // 10**9  # whole seconds in range


@st.composite
def wide_rows(draw: st.DrawFn) -> tuple[Funnel, list[Row]]:
    """Reference rows whose times (whole seconds) spread over the whole time range."""
    funnel = draw(st.sampled_from(FUNNELS))
    n = draw(st.integers(1, 10))
    times = st.one_of(st.sampled_from([S_MIN, S_MAX, 0, S_MIN + 1, S_MAX - 1]),
                      st.integers(S_MIN, S_MAX))
    rows = [Row(draw(st.integers(0, 3)), draw(st.integers(0, len(funnel.stages) - 1)),
                draw(times)) for _ in range(n)]
    return funnel, rows


@fuzz
@given(wide_rows(), st.sampled_from(["reached", "entered", "ordered"]),
       st.one_of(st.none(), st.integers(0, S_MAX - S_MIN + 10)))
@example((FUNNELS[1], [Row(1, 0, S_MIN + 1), Row(1, 1, 0), Row(1, 2, S_MAX),
                       Row(2, 0, S_MIN + 2)]), "ordered", None)
def test_wide_logs_agree_with_the_reference(data: tuple[Funnel, list[Row]], semantic: str,
                                            window: int | None) -> None:
    funnel, rows = data
    log = EventLog.from_arrays(funnel, unit="s", **columns(rows))
    win = window if semantic == "ordered" else None
    c = metrics.conversion(log, semantic=semantic,
                           window=None if win is None else np.timedelta64(win, "s"))
    counts, n = ref_conversion(funnel, rows, semantic, win)
    assert c.count_array.tolist() == counts
    assert c.entities == n


@fuzz
@given(wide_rows())
@example((FUNNELS[1], [Row(1, 0, S_MIN + 1), Row(1, 1, 0), Row(1, 2, S_MAX)]))
def test_wide_log_timing_agrees_with_the_reference(data: tuple[Funnel, list[Row]]) -> None:
    funnel, rows = data
    t = metrics.timing(EventLog.from_arrays(funnel, unit="s", **columns(rows)))
    ref = ref_timing(funnel, events(rows))
    for k, step in enumerate(t.steps, start=1):
        assert [int(v) for v in step.observations()] == ref["steps"][k]["durations"]
    assert [int(v) for v in t.cycle.observations()] == ref["cycle"]["durations"]
