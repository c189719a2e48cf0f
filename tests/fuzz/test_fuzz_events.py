"""Fuzz every EventLog constructor with odd columns, records and tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fuzz_support import error_or_result, fuzz, junk, numbers, scalars, times
from salesfunnel import EventLog, Funnel, Stage
from salesfunnel.testing import event_logs

F = Funnel("f", [Stage("lead", probability=0.1), Stage("demo", probability=0.5),
                 Stage("won", kind="won"), Stage("lost", kind="lost")])
UNITS = [None, "ns", "us", "ms", "s", "m", "h", "D", "W", "Y", 5]

ids = st.one_of(numbers, scalars, st.lists(st.integers(), max_size=2),
                st.sampled_from([1, 1.0, True, "1", b"1", None, float("nan"), 2**64 - 1]))
stages = st.one_of(st.sampled_from(["lead", "demo", "won", "lost", "x", 0, 1, 3, 4, -1, 2**70,
                                    1.0, 1.5, None, True]), scalars)
stamps = st.one_of(times, numbers, scalars)


def column(values: st.SearchStrategy[Any], n: int) -> st.SearchStrategy[Any]:
    """A column of ``n`` values: a list, or a numpy array when numpy accepts them."""
    def to_array(items: list[Any]) -> Any:
        try:
            return np.asarray(items)
        except (ValueError, TypeError, OverflowError):
            return items
    return st.lists(values, min_size=n, max_size=n).flatmap(
        lambda items: st.sampled_from([items, tuple(items), to_array(items)]))


@st.composite
def columns(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 5))
    out: dict[str, Any] = {
        "entity": draw(column(ids, n)),
        "stage": draw(column(stages, n)),
        "ts": draw(column(stamps, n)),
        "unit": draw(st.sampled_from(UNITS)),
        "on_invalid": draw(st.sampled_from(["raise", "drop", "ignore"])),
        "naive": draw(st.sampled_from(["raise", "utc", None])),
    }
    if draw(st.booleans()):
        out["amount"] = draw(column(st.one_of(numbers, scalars), n))
    if draw(st.booleans()):
        out["segments"] = draw(st.one_of(
            st.dictionaries(st.sampled_from(["channel", "rep", 1]), column(scalars, n),
                            max_size=2), junk))
    if draw(st.integers(0, 9)) == 0:  # a column of another length or kind
        out[draw(st.sampled_from(["entity", "stage", "ts", "amount"]))] = draw(junk)
    return out


def check_log(log: EventLog | None) -> None:
    if log is None:
        return
    assert len(log.entity) == len(log.stage) == len(log.ts) == len(log)
    if len(log):
        assert int(log.entity.min()) >= 0 and int(log.entity.max()) < log.n_entities
        assert int(log.stage.min()) >= 0 and int(log.stage.max()) < len(F.stages)
    s = log.sorted_by_entity_time()
    assert (np.diff(s.entity) >= 0).all()
    same = s.entity[1:] == s.entity[:-1]
    assert (s.ts[1:][same] >= s.ts[:-1][same]).all()


@fuzz
@given(columns())
@example({"entity": np.array([2**63, 2**64 - 1], dtype=np.uint64), "stage": [0, 1],
          "ts": [0, 1], "unit": "s"})
@example({"entity": [[1], 2], "stage": [0, 1], "ts": [0, 1], "unit": "s"})
@example({"entity": [2**53 + 1, 2**53, 1.0], "stage": [0, 0, 0], "ts": [0, 1, 2], "unit": "s"})
@example({"entity": [1], "stage": [0], "ts": ["2262-04-11T23:47:16.854775807Z"]})
@example({"entity": [1], "stage": [0], "ts": [np.datetime64("9999-12-31")]})
@example({"entity": [0], "stage": ["lead"], "ts": [0], "unit": "s", "segments": {"": None}})
@example({"entity": [0, 0], "stage": ["lead", "lead"], "ts": [0, 1.797693134862316e305],
          "unit": "us"})
@example({"entity": [0, 0], "stage": [None, 2**63 - 1], "ts": [0, 1], "unit": "s"})
@example({"entity": [0, 0], "stage": [0, 0], "ts": [0, 1], "unit": "s", "amount": ["", 10**400]})
@example({"entity": [2**63], "stage": ["lead"], "ts": [0], "unit": "s"})
def test_from_arrays(kwargs: dict[str, Any]) -> None:
    log = error_or_result(EventLog.from_arrays, F, **kwargs)
    check_log(log)
    if log is not None and kwargs.get("on_invalid") != "drop":
        # Every row kept, in order: each id reads back equal (Python equality), and two
        # rows share an entity exactly when their ids are equal.
        given_ids = list(kwargs["entity"])
        back = [log.ids[c] for c in log.entity]
        assert all(bool(b == g) for b, g in zip(back, given_ids, strict=True)), (back, given_ids)
        for i, a in enumerate(given_ids):
            for j, b in enumerate(given_ids):
                assert bool(a == b) == (log.entity[i] == log.entity[j]), (a, b)


@fuzz
@given(st.one_of(
    st.lists(st.one_of(st.fixed_dictionaries(
        {"entity": ids, "stage": stages, "ts": stamps},
        optional={"amount": st.one_of(numbers, scalars), "channel": scalars}), junk),
        max_size=5),
    junk),
    st.sampled_from(UNITS), st.one_of(st.none(), st.just("channel"), junk))
@example([{"entity": 1, "stage": 0, "ts": 0}], "s", None)
def test_from_records(records: Any, unit: Any, segments: Any) -> None:
    check_log(error_or_result(EventLog.from_records, F, records, unit=unit, segments=segments))


def _arrow_safe(column: Any) -> bool:
    """A column pyarrow builds from safely: a typed numpy array or a one-type list."""
    if isinstance(column, np.ndarray):
        return column.dtype.kind in "biufMU"
    kinds = {type(v) for v in column if v is not None}
    return len(kinds) <= 1 and kinds <= {int, float, str, bool}


@fuzz
@given(columns(), st.sampled_from(["pandas", "polars", "arrow"]))
@example({"entity": np.array([2**63, 2**64 - 1], dtype=np.uint64), "stage": [0, 1],
          "ts": [0, 1], "unit": "s", "segments": None}, "pandas")
@example({"entity": np.array([2**63, 2**64 - 1], dtype=np.uint64), "stage": [0, 1],
          "ts": [0, 1], "unit": "s"}, "arrow")
@example({"entity": [0, 0], "stage": ["lead", "lead"], "ts": [-(2**63) - 1, None],
           "unit": None}, "polars")
@example({"entity": [0, 0], "stage": ["lead", None], "ts": [0, 1], "unit": "s",
          "amount": ["", 10**400]}, "pandas")
@example({"entity": [0, 0], "stage": [None, 2**63 - 1], "ts": [None, 1], "unit": "s"},
         "pandas")
def test_from_tables(kwargs: dict[str, Any], kind: str) -> None:
    cols = {k: kwargs[k] for k in ("entity", "stage", "ts", "amount") if k in kwargs}
    try:
        if kind == "pandas":
            pd = pytest.importorskip("pandas")
            table: Any = pd.DataFrame(cols)
        elif kind == "polars":
            pl = pytest.importorskip("polars")
            table = pl.DataFrame(cols, strict=False)
        else:
            pa = pytest.importorskip("pyarrow")
            if not all(_arrow_safe(v) for v in cols.values()):
                return  # pyarrow itself can crash (segfault) on some mixed Python objects
            table = pa.table(cols)
    except Exception:
        return
    make = {"pandas": EventLog.from_pandas, "polars": EventLog.from_polars,
            "arrow": EventLog.from_arrow}[kind]
    amount = "amount" if "amount" in cols else None
    check_log(error_or_result(make, F, table, unit=kwargs["unit"], amount=amount,
                              on_invalid=kwargs.get("on_invalid", "raise"),
                              segments=kwargs.get("segments") if isinstance(
                                  kwargs.get("segments"), str | None) else None))


@fuzz
@given(event_logs(F, max_entities=6), st.one_of(st.none(), st.just("channel"), junk),
       st.one_of(st.none(), st.just("amount"), junk))
@example(EventLog.from_arrays(F, entity=[], stage=[], ts=[], unit="s"), None,
         np.array([[1, 2], [3, 4]]))
def test_from_journeys(log: EventLog, segments: Any, amount: Any) -> None:
    journeys = [F.start({"amount": 1.0, "channel": "x"}, at="2026-01-01T00:00Z")]
    error_or_result(EventLog.from_journeys, journeys, segments=segments, amount=amount,
                    funnel=F)
    check_log(log)


@fuzz
@given(st.sampled_from(["pandas", "polars", "arrow", "records"]),
       st.fixed_dictionaries({}, optional={k: st.one_of(st.sampled_from(
           ["entity", "stage", "ts", "x"]), junk) for k in
           ("entity", "stage", "ts", "amount", "segments")}))
@example("records", {"entity": np.array([[1, 2], [3, 4]])})
@example("pandas", {"entity": np.array([[1, 2], [3, 4]])})
def test_table_column_names(kind: str, names: dict[str, Any]) -> None:
    cols = {"entity": [1, 1], "stage": [0, 1], "ts": [0, 5], "x": [1.0, 2.0]}
    if kind == "records":
        records = [dict(zip(cols, row, strict=True)) for row in zip(*cols.values(),
                                                                  strict=True)]
        error_or_result(EventLog.from_records, F, records, unit="s", **names)
        return
    lib = pytest.importorskip({"pandas": "pandas", "polars": "polars",
                               "arrow": "pyarrow"}[kind])
    table = lib.table(cols) if kind == "arrow" else lib.DataFrame(cols)
    make = {"pandas": EventLog.from_pandas, "polars": EventLog.from_polars,
            "arrow": EventLog.from_arrow}[kind]
    check_log(error_or_result(make, F, table, unit="s", **names))
