"""The ``salesfunnel`` command, driven in process through ``main(argv, stdout=, stderr=)``
(one subprocess smoke test at the end runs it as a user would)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from salesfunnel import metrics, templates
from salesfunnel.cli import main
from salesfunnel.simulation import simulate

CRM = Path(__file__).parent / "data" / "crm"


@dataclass(frozen=True)
class Run:
    """What one command printed and its exit status."""

    returncode: int
    stdout: str
    stderr: str


def run(*args: str | Path, cwd: Path | None = None) -> Run:
    """Run ``salesfunnel ARGS`` in this process (in ``cwd`` when given)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        code = main([str(a) for a in args], stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())


def one_line_error(proc: Run) -> str:
    """Assert the process failed with exit 2 and exactly one line on stderr."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# -- help -----------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [[], ["demo"], ["report"], ["plan"], ["templates"]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    proc = run(*command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "example" in proc.stdout
    assert "salesfunnel" in proc.stdout


def test_no_command_prints_help() -> None:
    proc = run()
    assert proc.returncode == 0
    assert "commands" in proc.stdout and "demo" in proc.stdout


# -- templates ------------------------------------------------------------------------------
def test_templates_lists_every_registered_template() -> None:
    proc = run("templates", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    listed = [row["name"] for row in json.loads(proc.stdout)]
    assert listed == list(templates.names())


def test_templates_shows_one_in_chinese() -> None:
    proc = run("templates", "b2b-seven-stage", "--lang", "zh")
    assert proc.returncode == 0, proc.stderr
    funnel = templates.get("b2b-seven-stage")
    for stage in funnel.stages:
        assert stage.label.text("zh") in proc.stdout
    assert "10%" in proc.stdout and "90%" in proc.stdout


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_templates_draws_one_as_a_diagram(fmt: str) -> None:
    proc = run("templates", "crm-pipeline", "--format", fmt, "--lang", "zh")
    assert proc.returncode == 0, proc.stderr
    funnel = templates.get("crm-pipeline")
    expected = funnel.to_mermaid("zh") if fmt == "mermaid" else funnel.to_dot("zh")
    assert proc.stdout == expected
    line = one_line_error(run("templates", "--format", fmt))
    assert "NAME" in line


def test_unknown_template_is_one_line_with_the_options() -> None:
    line = one_line_error(run("templates", "b2b-seven"))
    assert "b2b-seven" in line and "b2b-seven-stage" in line


# -- plan -------------------------------------------------------------------------------------
def test_plan_is_the_balance_calculation() -> None:
    proc = run("plan", "--target", "3,000,000", "--deal-size", "30,000", "--win-rate", "10%",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["deals"] == pytest.approx(3_000_000 / 30_000)
    assert plan["inflow"] == pytest.approx(3_000_000 / 30_000 / 0.10)
    assert plan["rows"][0]["per_period"] == pytest.approx(1000 / 12)


def test_plan_text_with_a_template_and_rates() -> None:
    funnel = templates.get("b2b-seven-stage")
    steps = len(funnel.path) - 1
    rates = [0.5] * steps
    proc = run("plan", "--target", "3e6", "--deal-size", "3e4", "--template",
               "b2b-seven-stage", "--rates", ",".join(map(str, rates)), "--chart")
    assert proc.returncode == 0, proc.stderr
    inflow = 100 / 0.5**steps
    assert f"{inflow:,.0f}" in proc.stdout
    assert "█" in proc.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--target", "3e6", "--deal-size", "0", "--win-rate", "0.1"], "deal_size"),
        (["--target", "3e6", "--deal-size", "3e4", "--win-rate", "1.5"], "win_rate"),
        (["--target", "3e6", "--deal-size", "3e4"], "--win-rate"),
        (["--target", "3e6", "--deal-size", "3e4", "--template", "b2b-seven-stage",
          "--rates", "0.5,0.5"], "rates"),
    ],
)
def test_bad_plan_arguments_give_one_line(args: list[str], needle: str) -> None:
    assert needle in one_line_error(run("plan", *args))


def test_unparseable_number_is_an_argparse_error() -> None:
    proc = run("plan", "--target", "lots", "--deal-size", "3e4", "--win-rate", "0.1")
    assert proc.returncode == 2
    assert "expected a number; got 'lots'" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- report -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A simulated log written as CSV (stage names, ISO times, amounts, a channel)."""
    funnel = templates.get("b2b-seven-stage")
    log = simulate(funnel, n=300, rng=11, segments={"channel": ["ads", "events"]},
                   until="2026-10-01T00:00:00+00:00")
    path = tmp_path_factory.mktemp("events") / "events.csv"
    names = funnel.names
    channel = log.segments["channel"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["deal_id", "stage", "time", "amount", "channel"])
        for i in range(len(log)):
            ts = datetime.fromtimestamp(int(log.ts[i]) / 1e9, tz=UTC).isoformat()
            writer.writerow([f"D{log.ids[log.entity[i]]}", names[log.stage[i]], ts,
                             f"{log.amount[i]:.2f}",
                             channel.categories[channel.codes[i]]])
    return path, log


REPORT = ["--template", "b2b-seven-stage", "--entity", "deal_id", "--stage", "stage",
          "--ts", "time"]


def test_report_json_matches_the_metrics_on_the_same_events(events: tuple[Path, object],
                                                           ) -> None:
    path, log = events
    proc = run("report", path, *REPORT, "--amount", "amount", "--by", "channel",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    expected = metrics.conversion(log)  # type: ignore[arg-type]
    assert data["conversion"]["counts"] == list(expected.counts)
    groups = {g["value"]: g["result"]["counts"] for g in data["breakdown"]["groups"]}
    assert set(groups) == {"ads", "events"}
    assert np.sum([g[0] for g in groups.values()]) == expected.counts[0]


def test_report_text_has_the_funnel_chart(events: tuple[Path, object]) -> None:
    path, _ = events
    proc = run("report", path, *REPORT, "--progress", "always")
    assert proc.returncode == 0, proc.stderr
    assert "█" in proc.stdout and "Funnel" in proc.stdout
    assert "100%" in proc.stderr and "rows" in proc.stderr  # the progress bar


def test_report_html_is_written_and_well_formed(events: tuple[Path, object],
                                               tmp_path: Path) -> None:
    path, _ = events
    out = tmp_path / "r.html"
    proc = run("report", path, *REPORT, "--format", "html", "--out", out)
    assert proc.returncode == 0, proc.stderr
    doc = out.read_text(encoding="utf-8")
    assert doc.startswith("<!DOCTYPE html>")
    svg = doc[doc.index("<svg"): doc.index("</svg>") + 6]
    assert ET.fromstring(svg).tag.endswith("svg")


def test_report_reads_parquet(events: tuple[Path, object], tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path, log = events
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    table = pa.table({
        "deal_id": [r["deal_id"] for r in rows],
        "stage": [r["stage"] for r in rows],
        "time": [datetime.fromisoformat(r["time"]) for r in rows],
    })
    target = tmp_path / "events.parquet"
    pq.write_table(table, target)
    proc = run("report", target, *REPORT, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["conversion"]["counts"] == list(
        metrics.conversion(log).counts)  # type: ignore[arg-type]


GOOD = "deal_id,stage,time,amount\nA,prospect,2026-01-05T09:00:00+00:00,100\n"


@pytest.mark.parametrize(
    ("content", "extra", "needles"),
    [
        (GOOD + "B,qualifed,2026-01-06T09:00:00,5\n", [],
         ["line 3", "column 'stage'", "'qualifed'", "'qualified'"]),
        (GOOD + "B,target,yesterday,5\n", [], ["line 3", "column 'time'", "ISO 8601"]),
        (GOOD + "B,target,2026-01-06T00:00Z,lots\n", ["--amount", "amount"],
         ["line 3", "column 'amount'", "a finite number", "'lots'"]),
        (GOOD + "B,target,2026-01-06T09:00:00,5\n", [],
         ["line 3", "column 'time'", "'2026-01-06T09:00:00'", "--naive utc"]),
        (GOOD + ",target,2026-01-06,5\n", [], ["line 3", "column 'deal_id'"]),
        (GOOD + "B,target\n", [], ["line 3", "expected 4 fields", "got 2"]),
        ("id,stage,time\nA,prospect,2026-01-05\n", [], ["no column 'deal_id'", "'id'"]),
        ("", [], ["empty"]),
        (None, [], ["UTF-8"]),
    ],
    ids=["unknown-stage", "bad-time", "bad-amount", "naive-time", "missing-id", "short-row",
         "missing-column", "empty", "binary"],
)
def test_bad_files_give_one_clear_line(tmp_path: Path, content: str | None,
                                       extra: list[str], needles: list[str]) -> None:
    path = tmp_path / "bad.csv"
    if content is None:
        path.write_bytes(b"deal_id,stage,time\n\xff\xfe\x00garbage\n")
    else:
        path.write_text(content, encoding="utf-8")
    line = one_line_error(run("report", path, *REPORT, *extra))
    assert "bad.csv" in line
    for needle in needles:
        assert needle in line, line


def test_missing_file_and_unknown_template(tmp_path: Path) -> None:
    assert "no such file" in one_line_error(run("report", tmp_path / "nope.csv", *REPORT))
    path = tmp_path / "e.csv"
    path.write_text(GOOD, encoding="utf-8")
    args = [a if a != "b2b-seven-stage" else "nope" for a in REPORT]
    assert "nope" in one_line_error(run("report", path, *args))


def test_a_directory_is_not_an_event_file(tmp_path: Path) -> None:
    line = one_line_error(run("report", tmp_path, *REPORT))
    assert "is a directory" in line and str(tmp_path) in line


def test_option_names_survive_in_one_line_errors(events: tuple[Path, object]) -> None:
    path, _ = events
    line = one_line_error(run("report", path, *REPORT, "--as-of", "yesterday"))
    assert "--as-of" in line and "'yesterday'" in line


def test_multi_line_errors_become_one_line_without_their_bullets() -> None:
    from salesfunnel import DefinitionError, Funnel, Stage
    from salesfunnel.cli._main import _one_line

    with pytest.raises(DefinitionError) as info:
        Funnel("x", [Stage("a"), Stage("a")])
    problems = info.value.problems
    assert len(problems) >= 2
    line = _one_line(info.value)
    assert "\n" not in line
    assert "- " not in line.replace("--", "")
    for problem in problems:
        assert str(problem) in line


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_shows_on_a_terminal_only_for_slow_inputs(tmp_path: Path) -> None:
    from salesfunnel.cli._read import Progress

    def draw(stream: io.StringIO, **kwargs: object) -> str:
        bar = Progress("reading x.csv", 1000, stream=stream, **kwargs)  # type: ignore[arg-type]
        for done in range(0, 1001, 250):
            bar.update(done, done // 10)
        bar.close(100)
        return stream.getvalue()

    slow = draw(_Terminal(), delay=0.0)  # "auto" on a terminal, past the delay
    assert "reading x.csv" in slow and "100%" in slow and "100 rows" in slow
    assert slow.endswith("\n") and "\r" in slow
    assert draw(_Terminal(), delay=3600.0) == ""  # fast: no bar at all
    assert draw(io.StringIO(), delay=0.0) == ""  # not a terminal: no bar by default
    assert "100%" in draw(io.StringIO(), mode="always")
    assert draw(_Terminal(), mode="never", delay=0.0) == ""


def _help_examples(text: str) -> list[str]:
    """The command lines under 'example:'/'examples:' in a --help text."""
    commands: list[str] = []
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.rstrip() in ("example:", "examples:"))
    pending = ""
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        pending += line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        commands.append(pending)
        pending = ""
    return commands


@pytest.mark.parametrize("command", [[], ["demo"], ["report"], ["plan"], ["templates"]])
def test_every_example_in_the_help_runs(command: list[str], events: tuple[Path, object],
                                        tmp_path: Path) -> None:
    shutil.copy(events[0], tmp_path / "events.csv")
    for sample in CRM.iterdir():  # the CRM exports the examples name
        shutil.copy(sample, tmp_path / sample.name)
    examples = _help_examples(run(*command, "--help").stdout)
    assert examples, "no example in the help"
    for example in examples:
        argv = shlex.split(example)
        assert argv[0] == "salesfunnel", example
        proc = run(*argv[1:], cwd=tmp_path)
        assert proc.returncode == 0, (example, proc.stderr)
        assert proc.stdout.strip() or (tmp_path / "report.html").exists(), example


# -- demo -------------------------------------------------------------------------------------
def test_demo_prints_every_part_and_writes_the_html_report(tmp_path: Path) -> None:
    proc = run("demo", "--out", "report.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for heading in ("Funnel", "Funnel by channel", "Time between stages", "Open pipeline",
                    "Reverse plan", "The four levers", "Forecast"):
        assert f"\n{heading}" in proc.stdout or proc.stdout.startswith(heading), heading
    doc = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert doc.startswith("<!DOCTYPE html>") and "</html>" in doc
    assert "<script" not in doc
    for start in range(doc.count("<svg")):
        i = [k for k in range(len(doc)) if doc.startswith("<svg", k)][start]
        ET.fromstring(doc[i: doc.index("</svg>", i) + 6])


def test_demo_is_seeded() -> None:
    from salesfunnel.cli._demo import run_demo

    a, _ = run_demo(seed=5, deals=300)
    b, _ = run_demo(seed=5, deals=300)
    c, _ = run_demo(seed=6, deals=300)
    assert a == b
    assert a != c


def test_report_ordered_semantic_takes_a_window_in_days(events: tuple[Path, object]) -> None:
    path, log = events
    proc = run("report", path, *REPORT, "--semantic", "ordered", "--window", "30",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    from datetime import timedelta

    expected = metrics.conversion(log, semantic="ordered",  # type: ignore[arg-type]
                                  window=timedelta(days=30))
    assert json.loads(proc.stdout)["conversion"]["counts"] == list(expected.counts)
    assert "window" in one_line_error(run("report", path, *REPORT, "--window", "30"))


def test_console_script_and_module_run_as_a_user_would(tmp_path: Path) -> None:
    """The one subprocess test: the installed script and ``python -m salesfunnel``."""
    script = Path(sys.executable).parent / ("salesfunnel.exe" if os.name == "nt" else "salesfunnel")
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("salesfunnel ")
    proc = subprocess.run(
        [sys.executable, "-m", "salesfunnel", "plan", "--target", "lots", "--deal-size", "3",
         "--win-rate", "0.1"], capture_output=True, text=True, check=False, timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "expected a number; got 'lots'" in proc.stderr


def test_bad_option_values_give_one_line_not_the_usage_block() -> None:
    for args in (["plan", "--target", "x"], ["report", "--window", "1e300"], ["bogus"],
                 ["templates", "--lang", "fr"]):
        line = one_line_error(run(*args))
        assert "usage:" not in line and "--help" in line, line


def test_naive_times_are_refused_unless_naive_utc(tmp_path: Path) -> None:
    from salesfunnel.cli._main import main
    from salesfunnel.cli._read import read_events
    from salesfunnel.errors import InputFileError

    funnel = templates.get("b2b-seven-stage")
    naive = tmp_path / "naive.csv"
    naive.write_text("deal_id,stage,time,amount\nA,prospect,2026-01-05T09:00:00.123456789,\n"
                     "B,prospect,2026-01-06T09:00:00,7\n", encoding="utf-8")
    aware = tmp_path / "aware.csv"
    aware.write_text("deal_id,stage,time,amount\nA,prospect,2026-01-05T09:00:00.123456789Z,\n"
                     "B,prospect,2026-01-06T09:00:00+00:00,7\n", encoding="utf-8")
    kw: dict[str, Any] = {"entity": "deal_id", "stage": "stage", "ts": "time",
                          "amount": "amount", "progress": "never"}
    with pytest.raises(InputFileError, match=r"row 1 \(line 2\), column 'time'.*--naive utc"):
        read_events(naive, funnel, **kw)
    as_utc = read_events(naive, funnel, naive="utc", **kw)
    want = read_events(aware, funnel, **kw)
    # Nanoseconds survive; the empty amount is unknown (NaN), not an invalid row.
    assert as_utc.ts.tolist() == want.ts.tolist() == [1767603600123456789, 1767690000000000000]
    assert np.isnan(as_utc.amount[0]) and as_utc.amount[1] == 7.0
    out, err = io.StringIO(), io.StringIO()
    args = ["report", str(naive), *REPORT, "--amount", "amount", "--format", "json"]
    assert main([*args, "--naive", "utc", "--as-of", "2026-02-01T00:00"], stdout=out,
                stderr=err) == 0
    assert json.loads(out.getvalue())["pipeline"]["as_of"] == "2026-02-01T00:00:00Z"
    assert main(args, stdout=io.StringIO(), stderr=err) == 2
    assert "--naive utc" in err.getvalue()


def test_report_with_workers_gives_the_same_json(events: tuple[Path, object]) -> None:
    path, _ = events
    args = ("report", path, *REPORT, "--amount", "amount", "--format", "json")
    one = run(*args, "--workers", "1")
    two = run(*args, "--workers", "2")
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert json.loads(one.stdout) == json.loads(two.stdout)
    bad = run(*args, "--workers", "0")
    assert bad.returncode != 0 and "--workers" in bad.stderr


def test_ctrl_c_exits_130_in_one_line_and_leaves_no_file(events: tuple[Path, object],
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the report is computed or written: exit status 130, one line on
    stderr (no traceback), and no report file, temporary or half-written; a report that
    was there before stays as it was."""
    import salesfunnel.cli._main as cli_main
    import salesfunnel.cli._report as report

    path, _ = events
    out = tmp_path / "r.html"
    args = ["report", path, *REPORT, "--format", "html", "--out", out]

    def interrupt(*_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(report, "build_report", interrupt)
        proc = run(*args)
    assert (proc.returncode, proc.stderr) == (130, "salesfunnel: interrupted\n")
    assert list(tmp_path.iterdir()) == []
    with monkeypatch.context() as patch:  # interrupted between writing and renaming
        patch.setattr(cli_main.os, "replace", interrupt)
        proc = run(*args)
    assert proc.returncode == 130 and list(tmp_path.iterdir()) == []
    out.write_text("the earlier report")
    with monkeypatch.context() as patch:
        patch.setattr(cli_main.os, "replace", interrupt)
        assert run(*args).returncode == 130
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    assert out.read_text() == "the earlier report"
    proc = run(*args)  # and without an interrupt it is written
    assert proc.returncode == 0 and out.read_text().startswith("<!DOCTYPE html>")
    link = tmp_path / "link.html"
    link.symlink_to(out)
    assert run(*args[:-1], link).returncode == 0
    assert link.is_symlink() and link.read_text() == out.read_text()
