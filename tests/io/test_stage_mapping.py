"""Stage aliases, stage maps on every EventLog constructor, unknown stages at once."""

from __future__ import annotations

import importlib
import os
import sqlite3
from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings

from salesfunnel import (
    DefinitionError,
    EventLog,
    EventLogError,
    Funnel,
    InvalidParameterError,
    Stage,
    templates,
)
from salesfunnel.testing import funnels

T = "2026-01-01T00:00Z"


def need(module: str) -> Any:
    """An optional dependency: required in CI (the dev extra installs it), else the test
    is skipped where it is missing."""
    if os.environ.get("CI") == "true":
        return importlib.import_module(module)
    return pytest.importorskip(module)


def funnel() -> Funnel:
    return Funnel("f", [Stage("lead", aliases=["Prospecting", "MQL"]),
                        Stage("demo", label={"en": "Demo booked", "zh": "演示"}),
                        Stage("won", kind="won", aliases="Closed Won"),
                        Stage("lost", kind="lost")])


def test_aliases_are_kept_stripped_deduplicated_and_serialized() -> None:
    s = Stage("lead", aliases=[" Prospecting ", "Prospecting", "MQL"])
    assert s.aliases == ("Prospecting", "MQL")
    assert Stage.from_dict(s.to_dict()) == s
    assert s.to_dict()["aliases"] == ["Prospecting", "MQL"]
    assert "aliases" not in Stage("lead").to_dict()
    f = funnel()
    assert Funnel.from_dict(f.to_dict()) == f


@pytest.mark.parametrize("bad", [[""], [3], ["ok", None]])
def test_aliases_must_be_non_empty_text(bad: list[Any]) -> None:
    with pytest.raises(DefinitionError, match="aliases are non-empty strings"):
        Stage("lead", aliases=bad)


def test_an_alias_naming_two_stages_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match=r"'won' of stage 'won' also names stage 'lead'"):
        Funnel("f", [Stage("lead", aliases=["Won"]), Stage("won", kind="won")])


@pytest.mark.parametrize(("text", "stage"), [
    ("lead", "lead"), ("PROSPECTING", "lead"), ("  mql ", "lead"),
    ("demo booked", "demo"), ("演示", "demo"), ("closed  won", "won"), ("Lost", "lost"),
    ("nothing", None),
])
def test_resolve_matches_names_aliases_and_labels_in_any_case(text: str,
                                                             stage: str | None) -> None:
    assert funnel().resolve(text) == stage


def test_a_label_shared_by_two_stages_names_neither() -> None:
    f = Funnel("f", [Stage("a", label="Open"), Stage("b", label="Open"),
                     Stage("won", kind="won")])
    assert f.resolve("open") is None and f.resolve("a") == "a"


@pytest.mark.parametrize("crm_stage", [
    # Salesforce's default opportunity stages
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
    "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
    "Negotiation/Review", "Closed Won", "Closed Lost",
    # HubSpot's default deal stages (ids and labels)
    "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
    "decisionmakerboughtin", "contractsent", "closedwon", "closedlost",
    "Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled",
    "Decision Maker Bought-In", "Contract Sent",
    # Pipedrive's default stages and statuses
    "Lead In", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started",
    "won", "lost",
])
def test_crm_pipeline_knows_the_default_crm_stages(crm_stage: str) -> None:
    assert templates.get("crm-pipeline").resolve(crm_stage) is not None


def test_crm_pipeline_maps_closed_stages_to_won_and_lost() -> None:
    f = templates.get("crm-pipeline")
    assert {f.resolve(s) for s in ("Closed Won", "closedwon", "won")} == {f.won.name}
    assert {f.resolve(s) for s in ("Closed Lost", "closedlost", "lost")} == {"lost"}


ROWS = [{"id": "a", "st": "Discovery", "t": T}, {"id": "a", "st": "Closed Won", "t": T},
        {"id": "b", "st": "discovery", "t": T}, {"id": "c", "st": "MQL", "t": T}]
MAP = {"DISCOVERY": "Demo booked"}  # keys any case, targets a name, alias or label


def _build(how: str) -> EventLog:
    f = funnel()
    kw: dict[str, Any] = {"entity": "id", "stage": "st", "ts": "t", "stage_map": MAP}
    cols = {k: [r[k] for r in ROWS] for k in ROWS[0]}
    if how == "arrays":
        return EventLog.from_arrays(f, entity=cols["id"], stage=cols["st"], ts=cols["t"],
                                    stage_map=MAP)
    if how == "records":
        return EventLog.from_records(f, ROWS, **kw)
    if how == "pandas":
        pd = need("pandas")
        return EventLog.from_pandas(f, pd.DataFrame(cols), **kw)
    if how == "polars":
        pl = need("polars")
        return EventLog.from_polars(f, pl.DataFrame(cols), **kw)
    if how == "polars-lazy":
        pl = need("polars")
        return EventLog.from_polars(f, pl.LazyFrame(cols), **kw)
    if how == "arrow":
        pa = need("pyarrow")
        return EventLog.from_arrow(f, pa.table(cols), **kw)
    if how == "duckdb":
        duckdb = need("duckdb")
        pa = need("pyarrow")
        con = duckdb.connect()
        con.register("t0", pa.table(cols))
        return EventLog.from_arrow(f, con.sql("select * from t0"), **kw)
    if how == "duckdb-sql":
        duckdb = need("duckdb")
        con = duckdb.connect()
        con.execute("create table h (id text, st text, t text)")
        con.executemany("insert into h values ($id, $st, $t)", ROWS)
        return EventLog.from_sql(f, con, "select * from h", **kw)
    con = sqlite3.connect(":memory:")
    con.execute("create table h (id text, st text, t text)")
    con.executemany("insert into h values (:id, :st, :t)", ROWS)
    return EventLog.from_sql(f, con, "select * from h", **kw)


@pytest.mark.parametrize("how", ["arrays", "records", "pandas", "polars", "polars-lazy",
                                 "arrow", "duckdb", "duckdb-sql", "sql"])
def test_stage_map_works_on_every_constructor(how: str) -> None:
    log = _build(how)
    stages = sorted((str(log.ids[e]), log.stage_names[s])
                    for e, s in zip(log.entity, log.stage, strict=True))
    assert stages == [("a", "demo"), ("a", "won"), ("b", "demo"), ("c", "lead")]


def test_a_stage_map_to_no_stage_is_refused_naming_every_bad_target() -> None:
    with pytest.raises(InvalidParameterError, match=r"'x': 'nowhere', 'y': 3"):
        EventLog.from_records(funnel(), ROWS, entity="id", stage="st", ts="t",
                              stage_map={"x": "nowhere", "y": 3})


def test_unknown_stages_are_listed_at_once_with_their_counts() -> None:
    rows = [{"e": i, "s": s, "t": T} for i, s in
            enumerate(["Foo", "Bar", "Foo", "lead", "Baz", "Foo", "Bar"])]
    with pytest.raises(EventLogError) as info:
        EventLog.from_records(funnel(), rows, entity="e", stage="s", ts="t")
    message = str(info.value)
    assert "6 invalid event rows" in message
    assert "'Foo' (3 rows" in message and "'Bar' (2 rows" in message
    assert "'Baz' (1 row" in message
    assert message.index("'Foo'") < message.index("'Bar'") < message.index("'Baz'")


def test_dropping_an_unknown_stage_keeps_the_deal_and_its_other_events() -> None:
    rows = [{"e": "a", "s": "lead", "t": T}, {"e": "a", "s": "Foo", "t": T},
            {"e": "a", "s": "won", "t": T}]
    log = EventLog.from_records(funnel(), rows, entity="e", stage="s", ts="t",
                                on_invalid="drop")
    assert log.dropped == 1 and log.n_entities == 1 and len(log) == 2


@pytest.mark.parametrize("values", [[1704067200000, 1704153600000],
                                    ["1704067200000", "1704153600000"],
                                    [1704067200000.0, "1704153600000"]])
def test_from_records_reads_epoch_numbers_with_a_unit(values: list[Any]) -> None:
    rows = [{"entity": 1, "stage": "lead", "ts": values[0]},
            {"entity": 1, "stage": "won", "ts": values[1]}]
    log = EventLog.from_records(funnel(), rows, unit="ms")
    assert log.ts.tolist() == [1704067200 * 10**9, 1704153600 * 10**9]


def test_probability_and_forecast_category_columns() -> None:
    rows = [{"e": "a", "s": "lead", "t": T, "p": "25%", "fc": "Pipeline"},
            {"e": "b", "s": "lead", "t": T, "p": 0.5, "fc": "Commit"},
            {"e": "c", "s": "lead", "t": T, "p": None, "fc": None}]
    log = EventLog.from_records(funnel(), rows, entity="e", stage="s", ts="t",
                                probability="p", forecast_category="fc")
    assert log.probability is not None
    assert log.probability[:2].tolist() == [0.25, 0.5] and np.isnan(log.probability[2])
    assert log.segments["forecast_category"].values().tolist() == ["Pipeline", "Commit",
                                                                    None]
    with pytest.raises(EventLogError, match="probability that is not in"):
        EventLog.from_records(funnel(), [{**rows[0], "p": 25}], entity="e", stage="s",
                              ts="t", probability="p")


@given(funnels())
def test_every_name_and_alias_resolves_to_its_stage_in_any_case(f: Funnel) -> None:
    for stage in f.stages:
        for text in (stage.name, *stage.aliases):
            for spelling in (text, text.upper(), f"  {text.lower()} "):
                assert f.resolve(spelling) == stage.name


def test_the_funnel_strategy_draws_aliases() -> None:
    # No shrinking: the first funnel with aliases will do (shrinking one took up to 54 s)
    found = find(funnels(), lambda f: any(s.aliases for s in f.stages),
                 settings=settings(max_examples=200, phases=[Phase.generate], database=None,
                                   derandomize=True))
    assert any(s.aliases for s in found.stages)
    assert Funnel.from_dict(found.to_dict()) == found


def test_numeric_stage_ids_get_no_misleading_closest_name() -> None:
    rows = [{"e": 1, "s": "17915773", "t": T}]
    with pytest.raises(EventLogError) as info:
        EventLog.from_records(funnel(), rows, entity="e", stage="s", ts="t")
    assert "'17915773' (1 row)" in str(info.value) and "closest" not in str(info.value)
