"""Event files: formats, fast and fallback engines, one-line errors, CRM exports."""

from __future__ import annotations

import contextlib
import csv
import importlib
import io as stdio
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from salesfunnel import EventLog, Funnel, InputFileError, Stage, metrics, templates
from salesfunnel.cli import main
from salesfunnel.errors import InvalidParameterError
from salesfunnel.io import (
    load_events,
    load_funnel,
    load_stage_map,
    one_value_per_entity,
    read_events,
    read_hubspot_stage_history,
    read_pipedrive_deal_flow,
    read_salesforce_history,
)

CRM = Path(__file__).resolve().parents[1] / "data" / "crm"
#: The six sample opportunities (the same deals in every sample export): all are leads,
#: four were qualified, three reached an opportunity, two were won, two lost.
EXPECTED = [6, 4, 3, 2]
ENGINES = ["pyarrow", "python"]


def need(module: str) -> Any:
    """An optional dependency: required in CI (the dev extra installs it), else the test
    is skipped where it is missing."""
    if os.environ.get("CI") == "true":
        return importlib.import_module(module)
    return pytest.importorskip(module)


def funnel() -> Funnel:
    return Funnel("deals", [Stage("lead", aliases=["Prospecting"]),
                            Stage("demo", probability=0.5), Stage("won", kind="won"),
                            Stage("lost", kind="lost")])


def write(tmp_path: Path, text: str, name: str = "e.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: Any) -> tuple[int, str, str]:
    out, err = stdio.StringIO(), stdio.StringIO()
    code = main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def one_line(args: list[Any]) -> str:
    code, _, err = run(*args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# -- formats -------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_epoch_units_decimal_commas_and_blank_amounts(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, "deal;stage;at;amount\n"
                           "d1;Prospecting;1704067200000;\n"
                           "d1;demo;1704153600000;25000,50\n"
                           "d2;lead;1704067200000;1.250,75\n"
                           "d2;lost;1704153600000;  \n")
    log = read_events(path, funnel(), entity="deal", stage="stage", ts="at",
                      amount="amount", unit="ms", engine=engine)
    assert log.ts[:2].tolist() == [1704067200 * 10**9, 1704153600 * 10**9]
    assert log.n_entities == 2 and len(log) == 4  # blank amounts keep their rows
    amounts = log.amount.tolist()
    assert np.isnan(amounts[0]) and amounts[1:3] == [25000.5, 1250.75]
    assert np.isnan(amounts[3])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("fmt", "text", "iso"), [
    ("%m/%d/%Y, %I:%M %p", "1/8/2024, 9:15 PM", "2024-01-08T21:15:00+00:00"),
    ("%d.%m.%Y", "08.01.2024", "2024-01-08T00:00:00+00:00"),
    ("auto", "1/8/2024, 9:15 AM", "2024-01-08T09:15:00+00:00"),
    ("%Y-%m-%d %H:%M%z", "2024-01-08 09:15+0100", "2024-01-08T08:15:00+00:00"),
])
def test_time_formats(tmp_path: Path, engine: str, fmt: str, text: str, iso: str) -> None:
    path = write(tmp_path, f'deal,stage,at\nd1,lead,"{text}"\n')
    log = read_events(path, funnel(), entity="deal", stage="stage", ts="at",
                      time_format=fmt, naive="utc", engine=engine)
    want = EventLog.from_arrays(funnel(), entity=["d1"], stage=[0], ts=[iso])
    assert log.ts.tolist() == want.ts.tolist()


def test_a_time_format_without_a_zone_follows_the_naive_policy(tmp_path: Path) -> None:
    path = write(tmp_path, "deal,stage,at\nd1,lead,1/8/2024\n")
    with pytest.raises(InputFileError, match=r"row 1 \(line 2\), column 'at'.*UTC offset"):
        read_events(path, funnel(), entity="deal", stage="stage", ts="at",
                    time_format="%m/%d/%Y")


@pytest.mark.parametrize("engine", ENGINES)
def test_drop_removes_bad_rows_not_deals_and_says_what(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, "deal,stage,at,amount\n"
                           "d1,lead,2024-01-01T00:00Z,10\n"
                           "d1,demoo,2024-01-02T00:00Z,10\n"
                           "d1,won,2024-01-03T00:00Z,lots\n"
                           "d2,lead,never,5\n"
                           "d2,demo,2024-01-05T00:00Z,5\n")
    got = load_events(path, funnel(), entity="deal", stage="stage", ts="at",
                      amount="amount", on_invalid="drop", engine=engine)
    assert got.log.dropped == 3 and got.log.n_entities == 2 and len(got.log) == 2
    text = " | ".join(got.dropped)
    assert "unknown stage in column 'stage' (rows 2)" in text
    assert "column 'amount' (rows 3)" in text and "column 'at' (rows 4)" in text


@pytest.mark.parametrize("engine", ENGINES)
def test_wide_exports_become_one_event_per_filled_stage_cell(tmp_path: Path,
                                                              engine: str) -> None:
    path = write(tmp_path, "id,amount,date_entered_lead,date_entered_demo,date_entered_won\n"
                           "a,100,2024-01-01T00:00Z,2024-01-02T00:00Z,2024-01-03T00:00Z\n"
                           "b,,2024-01-01T00:00Z,,\n")
    log = read_events(path, funnel(), entity="id", layout="wide", amount="amount",
                      engine=engine)
    assert len(log) == 4 and log.n_entities == 2
    assert metrics.conversion(log).counts == (2, 1, 1)


def test_parquet_goes_through_arrow_and_gives_the_csv_result(tmp_path: Path) -> None:
    pa = need("pyarrow")
    pq = need("pyarrow.parquet")
    text = "deal,stage,at\nd1,Prospecting,2024-01-01T00:00Z\nd1,won,2024-01-03T00:00Z\n"
    csv_log = read_events(write(tmp_path, text), funnel(), entity="deal", stage="stage",
                          ts="at")
    table = pa.table({"deal": ["d1", "d1"], "stage": ["Prospecting", "won"],
                      "at": pa.array([1704067200, 1704240000], pa.timestamp("s", "UTC"))})
    pq.write_table(table, tmp_path / "e.parquet")
    pq_log = read_events(tmp_path / "e.parquet", funnel(), entity="deal", stage="stage",
                         ts="at")
    for a, b in ((csv_log.stage, pq_log.stage), (csv_log.ts, pq_log.ts),
                 (csv_log.ids, pq_log.ids)):
        assert a.tolist() == b.tolist()


def test_from_sql_with_adbc_returns_the_same_log_as_sqlite3(tmp_path: Path) -> None:
    dbapi = need("adbc_driver_sqlite.dbapi")
    db = tmp_path / "h.db"
    con = sqlite3.connect(db)
    con.execute("create table h (deal text, stage text, at text, amount real)")
    con.executemany("insert into h values (?, ?, ?, ?)", [
        ("a", "Prospecting", "2024-01-01T00:00Z", None),
        ("a", "won", "2024-01-03T00:00Z", 7.5), ("b", "lead", "2024-01-02T00:00Z", 1.0)])
    con.commit()
    kw: dict[str, Any] = {"entity": "deal", "ts": "at", "amount": "amount"}
    plain = EventLog.from_sql(funnel(), con, "select * from h", **kw)
    with contextlib.closing(dbapi.connect(str(db))) as adbc:
        fast = EventLog.from_sql(funnel(), adbc, "select * from h where deal <> ?", ["z"],
                                 **kw)
    assert plain.ids.tolist() == fast.ids.tolist() == ["a", "b"]
    assert plain.stage.tolist() == fast.stage.tolist()
    assert np.array_equal(plain.amount, fast.amount, equal_nan=True)


def test_from_sql_on_duckdb_reads_arrow_and_gives_the_sqlite3_log(
        monkeypatch: pytest.MonkeyPatch) -> None:
    duckdb = need("duckdb")
    need("pyarrow")
    from salesfunnel.events import _sources

    rows = [("a", "Prospecting", "2024-01-01T00:00Z", None),
            ("a", "won", "2024-01-03T00:00Z", 7.5), ("b", "lead", "2024-01-02T00:00Z", 1.0)]
    lite = sqlite3.connect(":memory:")
    lite.execute("create table h (deal text, stage text, at text, amount real)")
    lite.executemany("insert into h values (?, ?, ?, ?)", rows)
    kw: dict[str, Any] = {"entity": "deal", "ts": "at", "amount": "amount"}
    plain = EventLog.from_sql(funnel(), lite, "select * from h where deal <> ?", ["z"], **kw)
    con = duckdb.connect()
    con.execute("create table h (deal text, stage text, \"at\" text, amount double)")
    con.executemany("insert into h values (?, ?, ?, ?)", rows)

    def no_rows(cursor: Any) -> Any:
        raise AssertionError("DuckDB results are read as Arrow, not row by row")

    monkeypatch.setattr(_sources, "_fetch_rows", no_rows)
    fast = EventLog.from_sql(funnel(), con, "select * from h where deal <> ?", ["z"], **kw)
    assert plain.ids.tolist() == fast.ids.tolist() == ["a", "b"]
    assert plain.entity.tolist() == fast.entity.tolist()
    assert plain.stage.tolist() == fast.stage.tolist()
    assert plain.ts.tolist() == fast.ts.tolist()
    assert np.array_equal(plain.amount, fast.amount, equal_nan=True)
    with pytest.raises(Exception, match="the query failed: CatalogException"):
        EventLog.from_sql(funnel(), con, "select * from nowhere", **kw)


def test_from_sql_errors_name_the_query_problem_and_the_columns() -> None:
    con = sqlite3.connect(":memory:")
    with pytest.raises(Exception, match="the query failed: OperationalError"):
        EventLog.from_sql(funnel(), con, "select * from nowhere")
    con.execute("create table h (deal text, stage text, at text)")
    with pytest.raises(Exception, match="its columns are 'deal', 'stage', 'at'"):
        EventLog.from_sql(funnel(), con, "select * from h", entity="id", ts="at")


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "start", "kind"), [
    ("deals.xlsx", b"PK\x03\x04rest", "Excel workbook"),
    ("deals.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "Excel 97-2003"),
    ("deals.ods", b"PK\x03\x04rest", "OpenDocument"),
    ("deals.csv", b"PK\x03\x04rest", "spreadsheet"),
])
def test_spreadsheets_are_detected_and_named(tmp_path: Path, name: str, start: bytes,
                                             kind: str) -> None:
    path = tmp_path / name
    path.write_bytes(start)
    line = one_line(["report", path, "--template", "crm-pipeline", "--entity", "a",
                     "--stage", "b", "--ts", "c"])
    assert name in line and kind in line and "CSV" in line


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("body", "line"), [
    (b"de\xe9l,stage,at\nd1,Prospecting,2026-01-01T00:00Z\n", 1),
    (b"deal,stage,at\nd1,Prospecting,2026-01-01T00:00Z\nd2,Prosp\xe9cting,"
     b"2026-01-01T00:00Z\n", 3),
])
def test_bytes_that_are_not_utf8_are_named_by_their_line(tmp_path: Path, engine: str,
                                                        body: bytes, line: int) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(body)
    with pytest.raises(InputFileError, match=rf"latin1\.csv, line {line}: expected UTF-8"):
        read_events(path, templates.get("crm-pipeline"), entity="deal", stage="stage",
                    ts="at", engine=engine)


def test_a_missing_column_lists_every_column_of_the_file(tmp_path: Path) -> None:
    header = [f"col{i}" for i in range(11)]
    path = write(tmp_path, ",".join(header) + "\n" + ",".join("x" * 11) + "\n")
    line = one_line(["report", path, "--template", "crm-pipeline", "--entity", "deal",
                     "--stage", "col1", "--ts", "col2"])
    assert "no column 'deal'" in line and "11 columns" in line
    assert all(repr(h) in line for h in header)


def test_out_without_an_html_format_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    line = one_line(["report", CRM / "OpportunityHistory.csv", "--source", "salesforce",
                     "--out", out])
    assert "--out" in line and "--format html" in line and not out.exists()


def test_by_with_several_values_per_deal_is_an_error_or_an_explicit_policy(
        tmp_path: Path) -> None:
    path = write(tmp_path, "deal,stage,at,rep\n"
                           "d1,lead,2024-01-01T00:00Z,ann\n"
                           "d1,won,2024-01-03T00:00Z,bo\n"
                           "d2,lead,2024-01-02T00:00Z,ann\n")
    base = ["report", path, "--funnel", _funnel_file(tmp_path), "--entity", "deal",
            "--stage", "stage", "--ts", "at", "--by", "rep", "--format", "json"]
    line = one_line(base)
    assert "'d1'" in line and "'ann', 'bo'" in line and "--by-value" in line
    groups = {}
    for policy in ("first", "last"):
        code, out, err = run(*base, "--by-value", policy)
        assert code == 0, err
        data = json.loads(out)["breakdown"]["groups"]
        groups[policy] = {g["value"]: g["result"]["counts"][0] for g in data}
    assert groups["first"] == {"ann": 2}
    assert groups["last"] == {"ann": 1, "bo": 1}


def test_one_value_per_entity_names_the_id_plainly() -> None:
    """The error quotes the id as the user wrote it (``'a'``), not numpy's
    ``np.str_('a')`` (text ids can be held in a ``U`` array)."""
    log = EventLog.from_arrays(funnel(), entity=["a", "a"], stage=[0, 1], ts=[0, 1],
                               unit="s", segments={"rep": ["x", "y"]})
    assert log.ids.dtype.kind == "U"
    with pytest.raises(InvalidParameterError, match=r"\(e\.g\. 'a': 'x', 'y'\)"):
        one_value_per_entity(log, "rep")


def test_one_value_per_entity_keeps_a_log_without_conflicts() -> None:
    log = EventLog.from_arrays(funnel(), entity=["a", "a"], stage=[0, 1], ts=[0, 1],
                               unit="s", segments={"rep": ["x", "x"]})
    assert one_value_per_entity(log, "rep") is log


# -- definitions ---------------------------------------------------------------------------
def _funnel_file(tmp_path: Path, suffix: str = ".json") -> Path:
    f = funnel()
    if suffix == ".json":
        return write(tmp_path, json.dumps(f.to_dict()), "funnel.json")
    return write(tmp_path, 'name = "deals"\n'
                           '[[stages]]\nname = "lead"\naliases = ["Prospecting"]\n'
                           '[[stages]]\nname = "demo"\nprobability = 0.5\n'
                           '[[stages]]\nname = "won"\nkind = "won"\n'
                           '[[stages]]\nname = "lost"\nkind = "lost"\n', "funnel.toml")


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_funnel_files_in_json_and_toml(tmp_path: Path, suffix: str) -> None:
    assert load_funnel(_funnel_file(tmp_path, suffix)) == funnel()
    events = write(tmp_path, "deal,stage,at\nd1,PROSPECTING,2024-01-01T00:00Z\n"
                             "d1,Booked,2024-01-02T00:00Z\n")
    stage_map = write(tmp_path, "text,stage\nBooked,demo\n", "map.csv")
    code, out, err = run("report", events, "--funnel", _funnel_file(tmp_path, suffix),
                         "--stage-map", stage_map, "--entity", "deal", "--stage", "stage",
                         "--ts", "at", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["conversion"]["counts"] == [1, 1, 0]


def test_bad_definition_files_give_one_line(tmp_path: Path) -> None:
    bad = write(tmp_path, '{"name": "x", "stages": [{"name": "Bad Name"}]}', "f.json")
    with pytest.raises(InputFileError, match=r"f\.json: not a valid funnel definition"):
        load_funnel(bad)
    with pytest.raises(InputFileError, match="line 1, column 2: not valid JSON"):
        load_funnel(write(tmp_path, "{oops", "g.json"))
    with pytest.raises(InputFileError, match="the stage for 'a' must be text"):
        load_stage_map(write(tmp_path, '{"a": 1}', "m.json"))


# -- CRM exports ---------------------------------------------------------------------------
CRM_CASES = [
    ("salesforce", "OpportunityHistory.csv", read_salesforce_history, {}),
    ("salesforce", "salesforce-report.csv", read_salesforce_history, {}),
    ("hubspot", "hubspot-deals.csv", read_hubspot_stage_history, {}),
    ("hubspot", "hubspot-dealstage-history.csv", read_hubspot_stage_history, {}),
    ("pipedrive", "pipedrive-deal-flow.csv", read_pipedrive_deal_flow,
     {"stage_map": "pipedrive-stages.json"}),
]


@pytest.mark.parametrize(("source", "name", "reader", "extra"), CRM_CASES)
def test_crm_samples_give_the_right_funnel_in_the_api_and_the_cli(
        source: str, name: str, reader: Any, extra: dict[str, str]) -> None:
    kw = {k: load_stage_map(CRM / v) for k, v in extra.items()}
    log = reader(CRM / name, **kw)
    assert list(metrics.conversion(log).counts) == EXPECTED
    assert log.n_entities == 6
    pipe = metrics.pipeline(log)
    assert (pipe.won, pipe.lost, pipe.open) == (2, 2, 2)
    args = ["report", CRM / name, "--source", source, "--format", "json"]
    if extra:
        args += ["--stage-map", CRM / extra["stage_map"]]
    code, out, err = run(*args)
    assert code == 0, err
    assert json.loads(out)["conversion"]["counts"] == EXPECTED


def test_salesforce_probability_weights_the_pipeline_and_forecast_category_groups_it(
        ) -> None:
    log = read_salesforce_history(CRM / "OpportunityHistory.csv")
    pipe = metrics.pipeline(log)
    # The only open deal with an amount: 42,000 at a row probability of 90 %; the
    # template's opportunity stage has no probability, so without rows it is excluded.
    assert pipe.weighted_value == pytest.approx(0.9 * 42000)
    no_rows = metrics.pipeline(EventLog(log.funnel, log.entity, log.ids, log.stage, log.ts,
                                        log.amount, log.segments))
    assert no_rows.weighted_value == 0.0 and no_rows.unestimated == 1
    latest = one_value_per_entity(log, "forecast_category", "last")
    groups = metrics.pipeline(latest, by="forecast_category")
    by = dict(groups.results)
    assert by["Forecast"].open == 1 and by["Closed"].won == 2 and by["Omitted"].lost == 2
    code, out, err = run("report", CRM / "OpportunityHistory.csv", "--source",
                         "salesforce")
    assert code == 0, err
    assert "Open pipeline by forecast category" in out


def test_templates_name_lists_stage_ids_and_aliases() -> None:
    code, out, _ = run("templates", "crm-pipeline")
    assert code == 0
    section = out[out.index("Stage ids"):]
    for text in ("contracts", "Closed Won", "closedwon", "Contracts", "leads",
                 "Prospecting"):
        assert text in section
    assert templates.get("crm-pipeline").to_dict()["stages"][0]["aliases"]


def test_salesforce_rows_in_the_recycle_bin_are_skipped() -> None:
    text = (CRM / "OpportunityHistory.csv").read_text(encoding="utf-8")
    assert ",true," in text  # the sample has a deleted "Closed Lost" of a won deal
    log = read_salesforce_history(CRM / "OpportunityHistory.csv")
    assert len(log) == text.count("\n") - 1 - text.count(",true,")
    assert metrics.pipeline(log).lost == 2


def test_to_pandas_keeps_the_probability_column() -> None:
    need("pandas")
    log = read_salesforce_history(CRM / "OpportunityHistory.csv")
    frame = log.to_pandas()
    assert frame["probability"].tolist()[:2] == log.probability[:2].tolist()
    assert "forecast_category" in frame.columns


# -- the pyarrow engine on one thread and on several --------------------------------------
@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"])
def arrow_threads(request: pytest.FixtureRequest) -> Any:
    """pyarrow limited to one thread (all columns converted in turn) or allowed two (the
    ids factorized on a second thread while the other columns are converted)."""
    pa = need("pyarrow")
    before = pa.cpu_count()
    pa.set_cpu_count(request.param)
    yield request.param
    pa.set_cpu_count(before)


def test_the_first_bad_row_is_named_whatever_the_threads(tmp_path: Path,
                                                         arrow_threads: int) -> None:
    # row 2 lacks its id and has an unknown stage: the id is named, as the columns are
    # checked in order (id, stage, time, amount) whichever thread converted them
    path = write(tmp_path, "deal,stage,at,amount\n"
                           "d1,lead,2024-01-01T00:00Z,10\n"
                           ",demoo,never,lots\n"
                           "d2,lead,2024-01-05T00:00Z,5\n")
    with pytest.raises(InputFileError,
                       match=r"row 2 \(line 3\), column 'deal': expected an id"):
        read_events(path, funnel(), entity="deal", stage="stage", ts="at", amount="amount",
                    engine="pyarrow")
    got = load_events(path, funnel(), entity="deal", stage="stage", ts="at",
                      amount="amount", on_invalid="drop", engine="pyarrow")
    assert got.dropped[0].startswith("1 row with a missing id in column 'deal'")
    assert got.log.n_entities == 2 and len(got.log) == 2


@pytest.mark.parametrize("quote", [False, True])
def test_many_rows_read_alike_by_both_engines_on_any_threads(
        tmp_path: Path, quote: bool, arrow_threads: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # enough rows and ids for the integer path of the id factorizer, and (quoted) values
    # holding newlines, which the reader must not cut blocks inside: blocks of 64 KiB
    # on several threads, one block on one thread up to 1 MiB (the file is 1.3 MiB or so)
    from salesfunnel.io import _files

    monkeypatch.setattr(_files, "BLOCK", 1 << 16)
    monkeypatch.setattr(_files, "ONE_BLOCK", 1 << 20)
    rng = np.random.default_rng(5)
    n = 40_000
    deals = [f"D{d:07d}" for d in rng.integers(0, 15_000, n)]
    stages = np.array(["Prospecting", "demo", "won", "lost"])[rng.integers(0, 4, n)]
    notes = ['"two\nlines, one ""quote"""' if quote and i % 7 == 0 else "plain"
             for i in range(n)]
    days = rng.integers(1, 28, n)
    path = write(tmp_path, "deal,stage,at,note\n" + "".join(
        f"{d},{s},2024-02-{t:02d}T00:00Z,{note}\n"
        for d, s, t, note in zip(deals, stages, days, notes, strict=True)))
    kwargs: dict[str, Any] = {"entity": "deal", "stage": "stage", "ts": "at",
                              "segments": ["note"]}
    fast = read_events(path, funnel(), engine="pyarrow", **kwargs)
    slow = read_events(path, funnel(), engine="python", **kwargs)
    assert fast.ids.tolist() == slow.ids.tolist() == sorted(set(deals))
    assert fast.entity.tolist() == slow.entity.tolist()
    assert [fast.ids[e] for e in fast.entity] == deals
    assert fast.stage.tolist() == slow.stage.tolist()
    assert fast.ts.tolist() == slow.ts.tolist()
    assert fast.segments["note"].values().tolist() == [
        'two\nlines, one "quote"' if quote and i % 7 == 0 else "plain" for i in range(n)]


# -- the rest of issue 13's cases, each as a user meets it ---------------------------------
def report_counts(*args: Any) -> tuple[list[int], str]:
    """``report --format json`` of the test funnel: the conversion counts and stderr."""
    code, out, err = run("report", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)["conversion"]["counts"], err


def test_cli_reads_epoch_units_report_dates_and_decimal_commas(tmp_path: Path) -> None:
    f = _funnel_file(tmp_path)
    epoch = write(tmp_path, "deal,stage,at\nd1,Prospecting,1704705300000\n"
                            "d1,demo,1705327320000\nd2,lead,1704873600000\n", "ms.csv")
    cols = ["--funnel", f, "--entity", "deal", "--stage", "stage", "--ts", "at"]
    assert report_counts(epoch, *cols, "--unit", "ms")[0] == [2, 1, 0]
    line = one_line(["report", epoch, *cols])  # epoch numbers need a unit
    assert "column 'at'" in line and "1704705300000" in line
    dated = write(tmp_path, 'deal;stage;at;amount\nd1;Prospecting;"1/8/2024, 9:15 AM";'
                            '"25.000,50"\nd1;won;"3/27/2024, 4:30 PM";"1,5"\n', "us.csv")
    fmt = ["--time-format", "%m/%d/%Y, %I:%M %p", "--amount", "amount"]
    line = one_line(["report", dated, *cols, *fmt])  # no zone: the naive policy
    assert "row 1 (line 2), column 'at'" in line and "--naive utc" in line
    assert report_counts(dated, *cols, *fmt, "--naive", "utc",
                         "--decimal", ",")[0] == [1, 1, 1]
    log = read_events(dated, funnel(), entity="deal", stage="stage", ts="at",
                      amount="amount", time_format="auto", naive="utc", decimal=",")
    assert log.amount.tolist() == [25000.5, 1.5]


@pytest.mark.parametrize("engine", ENGINES)
def test_date_only_close_dates_are_midnight_utc_under_the_naive_policy(
        tmp_path: Path, engine: str) -> None:
    # Salesforce's CloseDate (ISO, date only) and a report's "Close Date" (US, date only)
    iso = read_salesforce_history(CRM / "OpportunityHistory.csv")
    rows = read_events(CRM / "OpportunityHistory.csv", templates.get("crm-pipeline"),
                       entity="OpportunityId", stage="StageName", ts="CloseDate",
                       naive="utc", engine=engine)
    assert len(rows) == len(iso) + 1  # the deleted row is kept: no CRM reader here
    with (CRM / "OpportunityHistory.csv").open(encoding="utf-8") as fh:
        dates = [r["CloseDate"] for r in csv.DictReader(fh)]
    assert rows.ts.tolist() == [int(np.datetime64(d, "ns").astype(np.int64)) for d in dates]
    with pytest.raises(InputFileError, match=r"column 'CloseDate'.*UTC offset"):
        read_events(CRM / "OpportunityHistory.csv", templates.get("crm-pipeline"),
                    entity="OpportunityId", stage="StageName", ts="CloseDate",
                    engine=engine)
    us = read_events(CRM / "salesforce-report.csv", templates.get("crm-pipeline"),
                     entity="Opportunity ID", stage="Stage", ts="Close Date",
                     time_format="auto", naive="utc", engine=engine)
    assert us.ts[0] == np.datetime64("2024-03-29", "ns").astype(np.int64)


def test_cli_drop_keeps_the_deals_and_says_what_was_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "deal,stage,at\nd1,lead,2024-01-01T00:00Z\n"
                           ",demo,2024-01-02T00:00Z\nd1,demo,soon\nd1,won,2024-01-04T00:00Z\n")
    args = [path, "--funnel", _funnel_file(tmp_path), "--entity", "deal", "--stage", "stage",
            "--ts", "at"]
    line = one_line(["report", *args])
    assert "row 2 (line 3), column 'deal'" in line and "2 bad rows in all" in line
    assert "--on-invalid drop" in line
    counts, err = report_counts(*args, "--on-invalid", "drop")
    assert counts == [1, 1, 1]  # d1 keeps its lead and won events
    assert "dropped 2 invalid rows (the deals keep their other events)" in err
    assert "missing id in column 'deal' (rows 2)" in err
    assert "unparsable time in column 'at' (rows 3)" in err


@pytest.mark.parametrize("engine", ENGINES)
def test_every_unknown_stage_is_named_once_with_its_count(tmp_path: Path,
                                                          engine: str) -> None:
    path = write(tmp_path, "deal,stage,at\n" + "".join(
        f"d{i},{s},2024-01-0{i % 9 + 1}T00:00Z\n"
        for i, s in enumerate(["lead", "Demo Booked", "Demo Booked", "Nurture", "won",
                               "Demo Booked"])))
    with pytest.raises(InputFileError) as info:
        read_events(path, funnel(), entity="deal", stage="stage", ts="at", engine=engine)
    message = str(info.value)
    assert "\n" not in message and "row 2 (line 3), column 'stage'" in message
    assert "'Demo Booked' (3 rows" in message and "'Nurture' (1 row" in message
    assert message.index("'Demo Booked'") < message.index("'Nurture'")  # most first
    line = one_line(["report", path, "--funnel", _funnel_file(tmp_path), "--entity",
                     "deal", "--stage", "stage", "--ts", "at"])
    assert "'Demo Booked' (3 rows" in line and "'Nurture' (1 row" in line


@pytest.mark.parametrize("header", [
    "hs_date_entered_{}", "hs_v2_date_entered_{}", "date_entered_{}",
    'Date entered "{} (Sales Pipeline)"'])
def test_wide_exports_of_every_column_naming(tmp_path: Path, header: str) -> None:
    # a header with quotes is a quoted CSV field with the quotes doubled
    names = ",".join('"' + header.format(s).replace('"', '""') + '"'
                     for s in ("lead", "demo", "won"))
    path = write(tmp_path, f"id,{names}\n"
                           "a,1704067200000,1704153600000,1704240000000\n"
                           "b,1704067200000,,\n")
    log = read_events(path, funnel(), entity="id", layout="wide", unit="ms")
    assert metrics.conversion(log).counts == (2, 1, 1)
    counts, _ = report_counts(path, "--funnel", _funnel_file(tmp_path), "--entity", "id",
                              "--layout", "wide", "--unit", "ms")
    assert counts == [2, 1, 1]


def test_without_pyarrow_csv_falls_back_to_the_standard_library(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from salesfunnel import MissingDependencyError

    path = write(tmp_path, "deal,stage,at\nd1,lead,2024-01-01T00:00Z\n"
                           "d1,won,2024-01-02T00:00Z\n")
    with_arrow = read_events(path, funnel(), entity="deal", stage="stage", ts="at")
    for name in ("pyarrow", "pyarrow.csv", "pyarrow.parquet", "pyarrow.compute"):
        monkeypatch.setitem(importlib.import_module("sys").modules, name, None)
    plain = read_events(path, funnel(), entity="deal", stage="stage", ts="at")
    assert plain.ids.tolist() == with_arrow.ids.tolist()
    assert plain.ts.tolist() == with_arrow.ts.tolist()
    with pytest.raises(MissingDependencyError, match=r"salesfunnel\[arrow\]"):
        read_events(path, funnel(), entity="deal", stage="stage", ts="at",
                    engine="pyarrow")
    (tmp_path / "e.parquet").write_bytes(b"PAR1")
    with pytest.raises(MissingDependencyError, match=r"salesfunnel\[arrow\]"):
        read_events(tmp_path / "e.parquet", funnel(), entity="deal", stage="stage",
                    ts="at")


def test_from_sql_on_postgresql_through_psycopg_gives_the_sqlite3_log() -> None:
    psycopg = need("psycopg")
    import pgserver

    try:
        base = pgserver.server_url()
    except pgserver.Unavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and PostgreSQL is unavailable: {exc}")
        pytest.skip(f"PostgreSQL is unavailable: {exc}")
    url, schema = pgserver.fresh_schema_url(base)
    rows = [("a", "Prospecting", "2024-01-01T00:00Z", None),
            ("a", "won", "2024-01-03T00:00Z", 7.5), ("b", "lead", "2024-01-02T00:00Z", 1.0)]
    kw: dict[str, Any] = {"entity": "deal", "ts": "at", "amount": "amount"}
    lite = sqlite3.connect(":memory:")
    lite.execute("create table h (deal text, stage text, at text, amount real)")
    lite.executemany("insert into h values (?, ?, ?, ?)", rows)
    plain = EventLog.from_sql(funnel(), lite, "select * from h", **kw)
    try:
        with psycopg.connect(url) as con:
            con.execute("create table h (deal text, stage text, at timestamptz, "
                        "amount double precision)")
            with con.cursor() as cur:
                cur.executemany("insert into h values (%s, %s, %s, %s)", rows)
            log = EventLog.from_sql(funnel(), con, "select * from h where deal <> %s",
                                    ["z"], **kw)
            with pytest.raises(Exception, match="the query failed: UndefinedTable"):
                EventLog.from_sql(funnel(), con, "select * from nowhere", **kw)
    finally:
        pgserver.drop_schema(base, schema)
    assert log.ids.tolist() == plain.ids.tolist() == ["a", "b"]
    assert log.entity.tolist() == plain.entity.tolist()
    assert log.stage.tolist() == plain.stage.tolist()
    assert log.ts.tolist() == plain.ts.tolist()
    assert np.array_equal(log.amount, plain.amount, equal_nan=True)
