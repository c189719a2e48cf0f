"""The HTML report as a product: both languages complete, every chart drawn, nothing cut off.

Labels are measured with the same :func:`text_width` the charts use to lay them out.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from functools import cache
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesfunnel import templates
from salesfunnel._display._charts import bar_chart, histogram, stacked_bars
from salesfunnel._display._measure import text_width, wrap
from salesfunnel.cli._demo import run_demo
from salesfunnel.viz import diagram_svg

SVG = "{http://www.w3.org/2000/svg}"
HEADINGS = {"h1", "h2", "h3", "caption", "th", "figcaption", "summary", "title"}
# Proper names and symbols that stay as they are in Chinese text.
KEEP = {"salesfunnel", "B2B", "Wilson", "Jeffreys", "Markov", "p10", "p50", "p90", "pp"}


@cache
def report(lang: str) -> str:
    return run_demo(deals=600, lang=lang)[1]


class _Headings(HTMLParser):
    """Text of headings, captions and table headers; the SVG documents, verbatim."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.headings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HEADINGS:
            self.stack.append(tag)
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.headings[-1] += data


def headings(html: str) -> list[str]:
    p = _Headings()
    p.feed(re.sub(r"<svg.*?</svg>", "", html, flags=re.S))
    return [h.strip() for h in p.headings if h.strip()]


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", html, flags=re.S)


def english_words(text: str) -> list[str]:
    text = re.sub(r"'[^']*'", "", text)           # quoted names (a funnel's id)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in KEEP]


def check_svg(svg: str) -> None:
    """Parses; every text fits its box and the canvas; the chart draws something."""
    root = ET.fromstring(svg)
    width = float(root.get("width", "0"))
    assert width > 0
    texts = root.iter(f"{SVG}text")
    n_text = 0
    for t in texts:
        n_text += 1
        content = t.text or ""
        size = float(t.get("font-size", "0"))
        w = text_width(content, size)
        fit = float(t.get("data-fit", "nan"))
        assert w <= fit + 0.5, f"{content!r} ({w:.1f} px) is wider than its box ({fit:.1f})"
        x = float(t.get("x", "0"))
        anchor = t.get("text-anchor", "start")
        left = x - (w if anchor == "end" else w / 2 if anchor == "middle" else 0)
        assert left >= -0.5 and left + w <= width + 0.5, f"{content!r} leaves the canvas"
    shapes = [e for e in root.iter() if e.tag in (f"{SVG}rect", f"{SVG}polygon")]
    drawn = [e for e in shapes if e.tag == f"{SVG}polygon"
             or (float(e.get("width", "0")) > 0 and float(e.get("height", "0")) > 0)]
    assert drawn and n_text, "a chart without marks or words"
    assert (root.findtext(f"{SVG}desc") or "").strip()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_of_the_report_parses_fits_and_has_data(lang: str) -> None:
    html = report(lang)
    charts = svgs(html)
    # funnel, 4 channels, 6 steps, pipeline, plan, levers, nominal vs observed, forecast
    assert len(charts) >= 16
    for svg in charts:
        check_svg(svg)


def test_the_report_has_a_summary_and_every_section() -> None:
    html = report("en")
    assert html.count('class="sf-tile"') >= 6
    for anchor in ("conversion", "breakdown", "timing", "pipeline", "plan", "levers",
                   "markov", "forecast"):
        assert f'<section id="{anchor}">' in html
    # every section that shows a threshold explains it
    assert html.count('class="sf-explain"') == 8
    assert "P(target)" in html


def test_no_english_heading_remains_in_the_chinese_report() -> None:
    zh = headings(report("zh"))
    assert len(zh) > 40
    leftovers = {h: english_words(h) for h in zh if english_words(h)}
    assert not leftovers
    # and the English report does have English headings (the check can fail)
    assert sum(bool(english_words(h)) for h in headings(report("en"))) > 40


def test_chinese_report_text_is_chinese_beyond_the_headings() -> None:
    html = re.sub(r"<svg.*?</svg>|<style>.*?</style>", "", report("zh"), flags=re.S)
    body = re.sub(r"<[^>]+>", " ", html)
    for phrase in ("of previous", "rounded up", "observed", "weighted_value", " days",
                   "open pipeline", "sales cycle"):
        assert phrase not in body


def test_tables_use_stage_labels_not_ids() -> None:
    html = report("en")
    cells = re.findall(r"<tr><td[^>]*>([^<]*)</td>", html)      # first column
    ids = {s.name for s in templates.get("b2b-seven-stage").stages}
    assert not ids & set(cells)
    assert "Prospect pool: customer group defined" in cells


def test_people_and_deals_are_whole_numbers_in_the_report() -> None:
    text = run_demo(deals=600)[0]
    plan = text[text.index("Reverse plan"):text.index("The four levers")]
    # no count of people with a decimal: every number in the plan's total and per-period
    # columns is whole
    for line in plan.splitlines():
        cells = re.split(r" {2,}", line.strip())
        if len(cells) == 5 and cells[1].endswith("%"):
            assert "." not in cells[3] and "." not in cells[4], line


@pytest.mark.parametrize("name", templates.names())
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_template_diagram_parses_and_fits(name: str, lang: str) -> None:
    funnel = templates.get(name)
    svg = diagram_svg(funnel, lang=lang)
    check_svg(svg)
    for stage in funnel.stages:
        label = stage.label.text(lang) or stage.name
        assert all(line in svg for line in wrap(label, 260, 13))


@pytest.mark.parametrize("name", templates.names())
def test_mermaid_and_dot_name_every_stage_and_style_won_and_lost(name: str) -> None:
    funnel = templates.get(name)
    mermaid, dot = funnel.to_mermaid(), funnel.to_dot()
    for k, stage in enumerate(funnel.stages):
        label = stage.label.text("en") or stage.name
        assert f'"{label}"' in mermaid and f'label="{label}"' in dot
        if stage.kind.value == "won":
            assert f"s{k}([" in mermaid and ":::won" in mermaid and "peripheries=2" in dot
        if stage.kind.value == "lost":
            assert f"s{k}[/" in mermaid and ":::lost" in mermaid
    # one solid arrow per step of the main path
    assert mermaid.count(" --> ") + mermaid.count(" -->|") == len(funnel.path) - 1
    assert dot.count("{") == dot.count("}")


def test_gates_label_the_edges_and_policy_is_noted() -> None:
    funnel = templates.get("crm-pipeline")
    mermaid = funnel.to_mermaid()
    for a, b in itertools.pairwise(funnel.path):
        for g in funnel.gates_for(a.name, b.name):
            assert (g.rule or g.name) in mermaid
    from salesfunnel import Funnel, Stage

    f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")], skip_ahead=True,
               fall_back=True)
    assert "skip ahead" in f.to_mermaid() and "fall back" in f.to_dot()
    assert "可跳级" in f.to_mermaid("zh")


# -- the one text-width estimate ----------------------------------------------------------------
_text = st.text(st.sampled_from(list("abcdefghijklmnop WMil.,:线索客户阶段")), max_size=60)


@given(_text, st.floats(60, 400))
def test_wrapped_lines_fit_and_keep_every_character(text: str, width: float) -> None:
    lines = wrap(text, width, 12)
    assert all(text_width(line, 12) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6),
       st.lists(st.floats(0, 1e6), min_size=6, max_size=6))
def test_generated_charts_always_fit(labels: list[str], values: list[float]) -> None:
    vals = values[:len(labels)]
    check_svg(bar_chart(labels, [("a", vals, [f"{v:,.0f}" for v in vals])], width=500))
    check_svg(stacked_bars(labels, ["x", "y"], [[int(v) % 50 + 1, 3] for v in vals],
                           width=500))
    check_svg(histogram(vals, bins=5, marker=vals[0], marker_label=labels[0][:20]))


def test_text_columns_left_numbers_right_also_in_notebooks() -> None:
    from salesfunnel._display._table import Table

    t = Table("", ["stage", "owner", "count", "rate"],
              [["lead", "Alice", "1,200", "—"], ["won", "Bob 2", "30", "+5.0%"]])
    assert t.align == "<<>>"
    html = templates.get("b2b-seven-stage")._repr_html_()
    # notebook styles right-align every cell; ours say left for text, right for numbers
    assert ".sf-block .sf-table td{" in html and "text-align:left" in html
    row = re.search(r"<tr><td[^>]*>1</td>(.*?)</tr>", html, flags=re.S)
    assert row is not None
    cells = re.findall(r"<td([^>]*)>([^<]*)</td>", row.group(1))
    owner = next(attrs for attrs, text in cells if text == "account manager")
    assert 'class="num"' not in owner
