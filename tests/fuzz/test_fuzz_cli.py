"""Fuzz the command line in process: odd options and odd event files.

Every run ends in exit status 0, or in exit status 2 with exactly one line on stderr;
never a traceback, never "internal error" (exit 1).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from fuzz_support import fuzz
from salesfunnel.cli._main import main

VALUES = ["0", "-1", "1", "1e300", "1e308", "1e309", "1e-320", "5e-324", "nan", "inf", "-inf",
          "10%", "3,000,000", "3_000", "", " ", "x", "1e400", "9" * 400, "0.5", "100%", "1%%",
          "9999-12-31T00:00Z", "2026-01-01", "2262-04-11T23:47:16.854775807Z", "--", "-"]
OPTIONS = ["--target", "--deal-size", "--win-rate", "--rates", "--periods", "--unit",
           "--rounding", "--template", "--format", "--lang", "--window", "--semantic",
           "--as-of", "--naive", "--by", "--amount", "--deals", "--seed", "--out",
           "--progress", "--chart", "--bogus"]
value = st.one_of(st.sampled_from(VALUES), st.text(max_size=6))
argv_tail = st.lists(st.one_of(st.tuples(st.sampled_from(OPTIONS), value).map(list),
                               value.map(lambda v: [v])), max_size=6).map(
    lambda parts: [a for p in parts for a in p])


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def check(code: int, err: str) -> None:
    assert "internal error" not in err and "Traceback" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err


@fuzz
@given(st.sampled_from(["plan", "templates", "report", "bogus"]), argv_tail)
@example("plan", ["--target", "1e308", "--deal-size", "1e-10", "--win-rate", "0.5"])
@example("plan", ["--target", "1e-320", "--deal-size", "1e-320", "--win-rate", "1e-320"])
@example("plan", ["--target", "1", "--deal-size", "1", "--win-rate", "1e-320",
                  "--rounding", "ceil"])
@example("plan", ["--target", "x"])
@example("plan", ["--periods", "99999999999999999999999", "--target", "1", "--deal-size", "1",
                  "--win-rate", "0.5"])
def test_options(command: str, tail: list[str]) -> None:
    if "--out" in tail or command == "report":
        tail = [a for a in tail if a != "--out"]  # nothing is written by the fuzzer
    check(*run([command, *tail])[::2])


header = st.sampled_from(["deal,stage,time", "deal;stage;time", "deal\tstage\ttime",
                          "deal,stage", "", "deal,stage,time," + "x" * 140_000,
                          '"deal","stage","time"', "\ufeffdeal,stage,time"])
cells = st.one_of(st.sampled_from(["1", "2", "prospect", "won", "lost", "target",
                                   "2026-01-01T00:00Z", "9999-12-31T00:00Z", "2026-01-01",
                                   "1677-09-21T00:12:43.145224192Z", "", '"', '""', "x,y"]),
                  st.text(max_size=5))
rows = st.lists(st.lists(cells, min_size=1, max_size=4).map(",".join), max_size=5)
newline = st.sampled_from(["\n", "\r\n", "\r"])


@fuzz
@given(header, rows, newline, st.sampled_from(["utf-8", "utf-16", "latin-1"]),
       st.lists(st.sampled_from(["--semantic", "ordered", "--window", "1e300", "--as-of",
                                 "9999-12-31T00:00Z", "--naive", "utc", "--format", "json",
                                 "--by", "deal", "--amount", "stage"]), max_size=4))
@example("deal,stage,time", ["1,prospect,2026-01-01T00:00Z", "1,won,2026-01-02T00:00Z"], "\r",
         "utf-8", [])
@example("deal,stage,time," + "x" * 140_000, ["1,prospect,2026-01-01T00:00Z,a"], "\n",
         "utf-8", [])
@example("deal,stage,time", ["1,prospect,9999-12-31T00:00Z"], "\n", "utf-8", [])
@example("deal,stage,time", ["1,prospect,2026-01-01T00:00Z"], "\n", "utf-8",
         ["--semantic", "ordered", "--window", "1e300"])
def test_report_files(head: str, body: list[str], nl: str, encoding: str,
                      extra: list[str]) -> None:
    text = nl.join([head, *body]) + nl
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.csv"
        try:
            path.write_bytes(text.encode(encoding))
        except UnicodeEncodeError:
            return
        argv: list[Any] = ["report", str(path), "--template", "b2b-seven-stage", "--entity",
                           "deal", "--stage", "stage", "--ts", "time", "--progress", "never",
                           *extra]
        check(*run(argv)[::2])
