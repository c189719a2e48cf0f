"""Text, SVG and HTML rendering: shapes, proportions and well-formed documents."""

from __future__ import annotations

import html.parser
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesfunnel import Funnel, InvalidParameterError, Stage
from salesfunnel.viz import funnel_chart, funnel_svg, html_report, html_table, to_html
from salesfunnel.viz._data import display_width

SVG = "{http://www.w3.org/2000/svg}"


def bar_cells(line: str) -> float:
    """Width of the bar in a chart line, in columns (a half block counts 0.5)."""
    return line.count("█") + 0.5 * line.count("▌")


@pytest.fixture
def b2b() -> Funnel:
    return Funnel("b2b", [
        Stage("target", label={"en": "Target", "zh": "目标客户"}, probability=0.1,
              owner="rep", gates="need_known"),
        Stage("qualified", label={"en": "Qualified", "zh": "有效客户"}, probability=0.25),
        Stage("won", kind="won", label={"en": "Won", "zh": "赢单客户"}),
        Stage("lost", kind="lost"),
    ])


# -- text chart -----------------------------------------------------------------------------
@settings(max_examples=40)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=8), st.integers(10, 80))
def test_bar_widths_are_proportional_to_counts(counts: list[int], width: int) -> None:
    chart = funnel_chart(counts, width=width)
    lines = chart.splitlines()[1:]
    assert len(lines) == len(counts)
    top = max(counts)
    for count, line in zip(counts, lines, strict=True):
        cells = bar_cells(line)
        if count == 0:
            assert cells == 0
        else:
            expected = count / top * width
            # half-column resolution; a positive count always shows something
            assert abs(cells - expected) <= 0.5 or (cells == 0.5 and expected < 0.5)


def test_step_and_overall_rates_beside_the_bars() -> None:
    chart = funnel_chart({"lead": 800, "demo": 200, "won": 50}, width=20)
    lines = chart.splitlines()
    assert lines[0].split() == ["stage", "funnel", "count", "step", "overall"]
    assert lines[2].split()[-2:] == [f"{200 / 800:.1%}", f"{200 / 800:.1%}"]
    assert lines[3].split()[-2:] == [f"{50 / 200:.1%}", f"{50 / 800:.1%}"]
    assert lines[1].split()[-1] == "100.0%"


def test_zero_before_a_stage_gives_no_step_rate_not_an_error() -> None:
    chart = funnel_chart([10, 0, 0], labels=["a", "b", "c"], width=10)
    last = chart.splitlines()[-1]
    assert last.split() == ["c", "0", "0.0%"]  # no step rate after a zero; overall 0 %


def test_wide_labels_keep_columns_aligned(b2b: Funnel) -> None:
    chart = funnel_chart([1000, 250, 25], labels=["目标客户", "有效", "赢单客户"], width=12)
    rows = chart.splitlines()[1:]
    # the right-aligned counts end at the same display column on every row
    ends = {display_width(r[: r.index(c) + len(c)])
            for r, c in zip(rows, ["1,000", "250", " 25"], strict=True)}
    assert len(ends) == 1


def test_funnel_definition_chart_shows_probabilities(b2b: Funnel) -> None:
    chart = funnel_chart(b2b, lang="zh", width=20)
    assert "目标客户" in chart and "赢单客户" in chart
    assert chart.splitlines()[-1].rstrip().endswith("100.0%")  # one percent format
    assert "lost" not in chart  # only the main path is drawn


@pytest.mark.parametrize(
    ("data", "kwargs", "match"),
    [
        ([1, 2], {"width": 5}, "width"),
        ([1, 2], {"width": 12.5}, "width"),
        ([1, -2], {}, "non-negative"),
        ([1, float("nan")], {}, "finite"),
        (["a", "b"], {}, "numbers"),
        ([[1, 2]], {}, "1-D"),
        ([1, 2], {"labels": ["x"]}, "labels"),
        (object(), {}, "per-stage counts"),
    ],
)
def test_bad_arguments_raise_the_librarys_error(data: object, kwargs: dict[str, object],
                                                match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        funnel_chart(data, **kwargs)  # type: ignore[arg-type]


def test_empty_counts_give_just_the_header() -> None:
    assert funnel_chart([]).splitlines()[0].startswith("stage")
    assert len(funnel_chart([]).splitlines()) == 1


# -- SVG ------------------------------------------------------------------------------------
def test_svg_is_well_formed_and_widths_follow_counts() -> None:
    counts = [1000, 400, 100, 20]
    root = ET.fromstring(funnel_svg(counts, labels=["a", "b <c>", "d & e", "won"],
                                    title="Q1 \"pipeline\""))
    assert root.tag == f"{SVG}svg"
    polygons = root.findall(f".//{SVG}polygon")
    assert len(polygons) == 4
    tops = []
    for poly in polygons:
        pts = [tuple(map(float, p.split(","))) for p in poly.attrib["points"].split()]
        tops.append(pts[1][0] - pts[0][0])
    ratios = np.array(tops) / tops[0]
    np.testing.assert_allclose(ratios, np.array(counts) / counts[0], atol=0.02)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "b <c>" in texts and "d & e" in texts and 'Q1 "pipeline"' in texts


def test_svg_of_a_funnel_definition_and_chinese_labels(b2b: Funnel) -> None:
    root = ET.fromstring(funnel_svg(b2b, lang="zh"))
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"目标客户", "有效客户", "赢单客户", "10.0%", "25.0%", "100.0%"} <= texts


def test_svg_rejects_a_tiny_width() -> None:
    with pytest.raises(InvalidParameterError, match="320"):
        funnel_svg([1, 2], width=100)


# -- HTML -----------------------------------------------------------------------------------
class _Checker(html.parser.HTMLParser):
    """Checks that every non-void element is closed in order."""

    VOID = frozenset({"meta", "br", "img", "link", "input", "hr", "polygon"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def balanced(doc: str) -> bool:
    checker = _Checker()
    checker.feed(doc)
    checker.close()
    return not checker.stack


def test_html_table_escapes_and_checks_row_lengths() -> None:
    table = html_table(["a", "b"], [["<script>", 1234567], [None, float("nan")]])
    assert "&lt;script&gt;" in table and "<script>" not in table
    assert '<td class="num">1,234,567</td>' in table
    assert balanced(table)
    with pytest.raises(InvalidParameterError, match="row 0 has 1 cells; expected 2"):
        html_table(["a", "b"], [["x"]])
    with pytest.raises(InvalidParameterError, match="align"):
        html_table(["a", "b"], [], align="<")


def test_funnel_html_lists_every_stage_gate_and_owner(b2b: Funnel) -> None:
    doc = to_html(b2b)
    assert balanced(doc)
    for text in ("Target", "Qualified", "need_known", "rep", "lost"):
        assert text in doc


def test_result_objects_render_from_their_display_parts() -> None:
    from salesfunnel._display._chart import FunnelData
    from salesfunnel._display._result import Displayable, Part
    from salesfunnel._display._table import Table

    class Result(Displayable):
        counts = np.array([100, 40, 10])  # attributes alone are never read

        def _display_parts(self, lang: str) -> tuple[Part, ...]:
            return (FunnelData(["lead", "demo", "won"], [100, 40, 10]),
                    Table("reached", ["stage", "n"], [["lead", "100"], ["demo", "40"]]))

    doc = to_html(Result())
    assert balanced(doc)
    assert "<svg" in doc and "reached" in doc and "<th>stage</th>" in doc
    assert ET.fromstring(re.search(r"<svg.*?</svg>", doc, re.S).group(0))  # type: ignore[union-attr]
    assert funnel_chart(Result(), width=10).splitlines()[1].startswith("lead")

    class Counts:  # counts as an attribute, but no display parts: not guessed at
        counts = (100, 40, 10)

    with pytest.raises(InvalidParameterError, match="per-stage counts"):
        funnel_chart(Counts())
    assert "<pre>" in to_html(Counts())


def test_report_is_a_self_contained_document(b2b: Funnel) -> None:
    doc = html_report([("Definition", b2b), ("Counts", [10, 5, 1]), ("Text", "x < y")],
                      title="Report & more", lang="zh")
    assert doc.startswith("<!DOCTYPE html>")
    assert balanced(doc)
    assert "Report &amp; more" in doc and "x &lt; y" in doc and "目标客户" in doc
    assert "<script" not in doc and "http://" not in doc.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert doc.count("<section") == 3
