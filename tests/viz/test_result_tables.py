"""Metric and planner results show one table model as plain text and as HTML tables.

The expected headers and cells come from each result's ``table()``; the
HTML is parsed independently (``html.parser``) and the text is split on its column gaps.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from salesfunnel import Funnel, InvalidParameterError, Stage, metrics
from salesfunnel._display._table import Table, render_text
from salesfunnel.cli._demo import DEMO_END, demo_log, run_demo
from salesfunnel.planner import (
    Capacity,
    MarkovModel,
    Source,
    forecast,
    forward,
    levers,
    reverse,
)


class Tables(HTMLParser):
    """The tables of an HTML fragment: caption, header cells, body rows, notes after each."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self.pre = 0
        self._cell: list[str] | None = None
        self._where = ""
        self._note: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"caption": "", "headers": [], "rows": [], "numeric": [],
                                "notes": [], "num_headers": []})
        elif tag == "caption":
            self._where, self._cell = "caption", []
        elif tag == "br" and self._where == "caption" and self._cell is not None:
            self._cell.append("\n")
        elif tag == "th":
            self._where, self._cell = "th", []
            self.tables[-1]["num_headers"].append(a.get("class") == "num")
        elif tag == "tr" and self._where != "caption":
            self._row: list[str] = []
            self._num: list[bool] = []
        elif tag == "td":
            self._where, self._cell = "td", []
            self._num.append(a.get("class") == "num")
        elif tag == "p" and a.get("class") == "sf-muted" and self.tables:
            self._note = []
        elif tag == "pre":
            self.pre += 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._note is not None:
            self._note.append(data)

    def handle_endtag(self, tag: str) -> None:
        t = self.tables[-1] if self.tables else None
        if tag in ("caption", "th", "td") and self._cell is not None and t is not None:
            text = "".join(self._cell)
            if tag == "caption":
                t["caption"] = text
            elif tag == "th":
                t["headers"].append(text)
            else:
                self._row.append(text)
            self._cell = None
            self._where = ""
        elif tag == "tr" and t is not None and self._where == "" and getattr(self, "_row", []):
            t["rows"].append(self._row)
            t["numeric"].append(self._num)
            self._row = []
        elif tag == "p" and self._note is not None and t is not None:
            t["notes"].append("".join(self._note))
            self._note = None


def parse(html: str) -> Tables:
    p = Tables()
    p.feed(html)
    p.close()
    return p


def tables_of(obj: Any) -> tuple[Table, ...]:
    return tuple(obj.table())


@pytest.fixture(scope="module")
def log() -> Any:
    return demo_log(seed=5, deals=300)


@pytest.fixture(scope="module")
def results(log: Any) -> dict[str, Any]:
    conv = metrics.conversion(log)
    a, b = log.partition(2)
    model = MarkovModel().fit(log)
    timing = metrics.timing(log)
    return {
        "conversion": conv,
        "timing": timing,
        "durations": timing.steps[0],
        "empty durations": metrics.Durations("a", "b", [], percentiles=()),
        "survival": metrics.survival(log, as_of=DEMO_END),
        "pipeline": metrics.pipeline(log, as_of=DEMO_END, target=1e6),
        "cohorts": metrics.cohorts(log, period="quarter"),
        "comparison": metrics.compare(a, b, names=("first", "second")),
        "plan": reverse(target=3_000_000, deal_size=30_000, rates=[0.4, 0.25],
                        sources=[Source("events", share=0.25, rate=0.1),
                                 Source("web", share=0.75)],
                        capacity=Capacity(per_rep=50, touches={"stage_1": 2,
                                                               "stage_2": 3})),
        "forward plan": forward(inflow=1000, deal_size=10, rates=[0.5, 0.2]),
        "levers": levers(opportunities=100, win_rate=0.2, deal_size=30_000, cycle_days=60,
                         target=200_000),
        "forecast": forecast(log, as_of=DEMO_END, horizon=30, n_sims=200, rng=1,
                             target=10_000, model=model),
        "nominal": model.compare_nominal(),
        "markov": model,
    }


def test_html_tables_match_the_text_tables(results: dict[str, Any]) -> None:
    from salesfunnel.viz import to_html

    for name, obj in results.items():
        html = obj._repr_html_() if hasattr(obj, "_repr_html_") else to_html(obj)
        parsed = parse(html)
        expected = [t for t in tables_of(obj) if t.headers]
        assert parsed.pre == 0, f"{name}: still a <pre> block"
        assert len(parsed.tables) == len(expected), name
        for want, got in zip(expected, parsed.tables, strict=True):
            assert got["caption"] == want.title, name
            assert got["headers"] == list(want.headers), name
            assert got["rows"] == [list(r) for r in want.rows], name
            assert got["notes"] == list(want.notes), name
            # right-aligned (numeric) columns are marked so in the HTML, header and cells
            right = [a == ">" for a in want.align]
            assert got["num_headers"] == right, name
            assert all(num == right for num in got["numeric"]), name
        # and the plain text shows the same cells: one line per row, columns split on gaps
        text = obj.summary() if isinstance(obj, MarkovModel) else str(obj)
        lines = text.splitlines()
        for want in expected:
            for row in want.rows:
                split = [row_line for row_line in lines
                         if re.split(r" {2,}", row_line.strip()) == list(row)]
                assert split, f"{name}: row {row} not in the text"


def test_numbers_are_right_aligned_in_html(results: dict[str, Any]) -> None:
    number = re.compile(r"^[+-]?[\d,]+(\.\d+)?%?$")
    for name, obj in results.items():
        for table in tables_of(obj):
            for j in range(len(table.headers)):
                cells = [r[j] for r in table.rows]
                if cells and all(number.match(c) for c in cells):
                    assert table.align[j] == ">", (name, table.headers[j])


def test_every_result_has_tables_and_no_pre(results: dict[str, Any]) -> None:
    for name, obj in results.items():
        if name in ("empty durations",):
            continue
        assert any(t.headers and t.rows for t in tables_of(obj)), name


def test_labels_are_escaped_in_html() -> None:
    nasty = '<b>Lead & "Co"</b>'
    f = Funnel("x", [Stage("lead", label=nasty, probability=0.1),
                     Stage("won", kind="won")])
    plan = reverse(target=100, deal_size=1, funnel=f)
    html = plan._repr_html_()
    assert "<b>" not in html and "&lt;b&gt;Lead &amp; &quot;Co&quot;&lt;/b&gt;" in html
    rows = parse(html).tables[0]["rows"]
    assert rows[0][0] == nasty  # the parser decodes the entities back to the label

    log = demo_log(seed=2, deals=60)
    a, b = log.partition(2)
    cmp = metrics.compare(a, b, names=("<a>", "b & c"))
    parsed = parse(cmp._repr_html_())
    assert parsed.tables[0]["headers"][1:3] == ["<a>", "b & c"]
    assert "<a>" not in cmp._repr_html_()


def test_multiline_title_keeps_its_lines() -> None:
    from salesfunnel.viz._html import table_html

    t = Table("one <1>\ntwo", ["a", "b"], [["x", "1"]])
    got = parse(table_html(t)).tables[0]
    assert got["caption"] == "one <1>\ntwo"
    assert render_text(t).splitlines()[:2] == ["one <1>", "two"]


def test_a_table_without_columns_shows_title_and_notes() -> None:
    from salesfunnel.viz._html import table_html

    t = Table("Cohorts by month", [], [], notes=["(no cohorts)"])
    assert render_text(t) == "Cohorts by month\n(no cohorts)"
    html = table_html(t)
    assert "<table" not in html and "Cohorts by month" in html and "(no cohorts)" in html


def test_table_checks_its_shape() -> None:
    with pytest.raises(InvalidParameterError, match=r"row 0 .* 1 cells; expected 2"):
        Table("t", ["a", "b"], [["x"]])
    with pytest.raises(InvalidParameterError, match="align"):
        Table("t", ["a", "b"], [["x", "1"]], align="<")
    with pytest.raises(InvalidParameterError, match="align"):
        Table("t", ["a", "b"], [["x", "1"]], align="<^")


def test_text_columns_line_up_with_wide_characters() -> None:
    t = Table("", ["阶段", "n"], [["线索", "1"], ["lead", "10"]])
    lines = render_text(t).splitlines()
    from salesfunnel._display._table import display_width

    assert len({display_width(line) for line in lines}) == 1  # right column ends align


def test_demo_html_report_uses_tables() -> None:
    text, html = run_demo(deals=300)
    parsed = parse(html)
    assert parsed.pre == 0
    captions = " ".join(t["caption"] for t in parsed.tables)
    for word in ("Conversion", "Timing", "Pipeline", "Reverse plan", "Forecast"):
        assert word in captions
    # every table body row appears, cell by cell, in the text report
    text_rows = {tuple(re.split(r" {2,}", line.strip())) for line in text.splitlines()}
    for t in parsed.tables:
        for row in t["rows"]:
            assert tuple(row) in text_rows
