"""The pieces of the HTML report: its page, its summary, and one chart builder per section.

Each builder takes a result (and the words of the reader's language) and returns HTML
fragments: SVG charts from :mod:`salesfunnel._display._charts` and tables whose stage ids
are replaced by the funnel's labels. The command line's report puts them together, one
function per section, so a new section is one more function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from salesfunnel._display._chart import FunnelData
from salesfunnel._display._charts import bar_chart, histogram, stacked_bars
from salesfunnel._display._format import format_count, format_pct
from salesfunnel._display._html import CSS, table_html
from salesfunnel._display._measure import FONT_STACK
from salesfunnel._display._svg import svg_from_data
from salesfunnel._display._table import Table, render_texts
from salesfunnel._util._i18n import check_lang, word
from salesfunnel._util._time import NS_PER_DAY
from salesfunnel._util._version import package_version

__all__ = [
    "AGE_BUCKETS",
    "age_matrix",
    "forecast_chart",
    "funnel_chart_html",
    "labelled_parts",
    "labelled_tables",
    "labelled_text",
    "levers_chart",
    "nominal_chart",
    "page",
    "pipeline_age_chart",
    "small_multiples",
    "timing_charts",
]

#: Upper bounds (days) of the age buckets of the open pipeline; the last is open-ended.
AGE_BUCKETS = (14, 30, 60, 90)
#: Fresh to stale: green, teal, yellow, orange, red-brown.
AGE_COLOURS = ("#2f855a", "#38a3a5", "#d69e2e", "#dd6b20", "#9b2c2c")

PAGE_CSS = f"""
body{{max-width:1080px;margin:2em auto;padding:0 1em;font-family:{FONT_STACK};
  color:#1f2933;line-height:1.5}}
h1{{font-size:1.7em;margin-bottom:0.2em}}
h2{{font-size:1.3em;border-bottom:1px solid #d9e2ec;padding-bottom:0.2em;margin-top:1.8em}}
.sf-toc{{columns:2;padding-left:1.2em}}
.sf-summary{{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));
  gap:0.6em;margin:1em 0}}
.sf-tile{{background:#f0f4f8;border-radius:6px;padding:0.6em 0.8em}}
.sf-tile .v{{font-size:1.45em;font-weight:650;font-variant-numeric:tabular-nums}}
.sf-tile .k{{color:#52606d;font-size:0.85em}}
.sf-tile .h{{color:#616e7c;font-size:0.78em}}
.sf-explain{{background:#fffbea;border-left:3px solid #f0b429;padding:0.4em 0.8em;
  font-size:0.9em}}
.sf-grid{{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1em;
  align-items:start}}
.sf-small{{grid-template-columns:repeat(auto-fill,minmax(240px,1fr))}}
.sf-grid figure,.sf-figure{{margin:0.5em 0}}
.sf-tile .v.t{{font-size:1.05em}}
details.sf-more summary{{cursor:pointer;color:#1f4e79;margin:0.5em 0}}
.sf-grid figcaption{{font-weight:600;font-size:0.95em;margin-bottom:0.2em}}
.sf-block .sf-table td{{white-space:normal}}
.sf-table td:first-child{{min-width:9em}}
"""


def labelled_parts(result: Any, labels: Mapping[str, str], lang: str) -> list[Table]:
    """The tables of ``result``, stage ids in the first column replaced by labels.

    ``"a -> b"`` becomes ``"label of a → label of b"``; ids quoted or named in titles and
    notes become labels too; other cells stay as they are.
    """
    out = []
    for part in result._display_parts(lang):
        if not isinstance(part, Table):
            continue
        rows = [[_label_cell(row[0], labels), *row[1:]] if row else row for row in part.rows]
        out.append(Table(_label_text(part.title, labels), part.headers, rows,
                         notes=[_label_text(n, labels) for n in part.notes], align=part.align))
    return out


def labelled_tables(result: Any, labels: Mapping[str, str], lang: str) -> list[str]:
    """:func:`labelled_parts` as HTML tables."""
    return [table_html(t) for t in labelled_parts(result, labels, lang)]


def labelled_text(result: Any, labels: Mapping[str, str], lang: str) -> str:
    """:func:`labelled_parts` as plain text."""
    return render_texts(labelled_parts(result, labels, lang))


def _label_text(text: str, labels: Mapping[str, str]) -> str:
    """Ids quoted (``'id'``), named (``: id (``) or grouped (`` = id``) in a sentence."""
    for key in sorted(labels, key=len, reverse=True):
        label = labels[key]
        text = (text.replace(f"'{key}'", f"'{label}'").replace(f": {key} (", f": {label} (")
                .replace(f" = {key}", f" = {label}"))
        if text.endswith(f" = {key}"):
            text = text[: -len(key)] + label
    return text


def _label_cell(cell: str, labels: Mapping[str, str]) -> str:
    if cell in labels:
        return labels[cell]
    if " -> " in cell:
        a, _, b = cell.partition(" -> ")
        if a in labels and b in labels:
            return f"{labels[a]} → {labels[b]}"
        head, sep, tail = cell.rpartition(" -> ")
        if sep and tail.rstrip(")") in labels:
            return f"{head} → {labels[tail.rstrip(')')]}" + (")" if tail.endswith(")") else "")
    return cell


def funnel_chart_html(data: FunnelData, *, width: int = 640, lang: str = "en") -> str:
    """One funnel chart as an SVG element."""
    return svg_from_data(data, width=width, title="", lang=lang)


def small_multiples(items: Sequence[tuple[str, FunnelData]], *, lang: str = "en") -> str:
    """Funnels side by side (one per group), each under its name, in a responsive grid;
    each shows its step rates only."""
    figs = [
        f"<figure><figcaption>{escape(name)}</figcaption>"
        f"{svg_from_data(data, width=250, title='', lang=lang, compact=True)}</figure>"
        for name, data in items
    ]
    return '<div class="sf-grid sf-small">' + "".join(figs) + "</div>"


def timing_charts(timing: Any, labels: Mapping[str, str], *, lang: str = "en") -> str:
    """One histogram of days per step of the main path, side by side."""
    figs = []
    for d in timing.steps:
        days = np.asarray(d.values, dtype=np.float64) / NS_PER_DAY
        if not days.size:
            continue
        name = f"{labels.get(d.source, d.source)} → {labels.get(d.target, d.target)}"
        med = float(np.median(days))
        svg = histogram(days, bins=20, width=340, height=170, xlabel=word("rep.days", lang),
                        marker=med, marker_label=word("rep.median_days", lang).format(med),
                        value_format="{:,.0f}")
        figs.append(f"<figure><figcaption>{escape(name)}</figcaption>{svg}</figure>")
    return '<div class="sf-grid">' + "".join(figs) + "</div>"


def age_matrix(log: Any, as_of_ns: int) -> tuple[list[int], np.ndarray]:
    """Open deals by current stage and days in it at ``as_of_ns``.

    Returns the indices of the funnel's open stages and a matrix of counts (one row per
    open stage, one column per bucket of :data:`AGE_BUCKETS` plus one for the rest).
    Days in stage count from the first event of the deal's last run of events at its
    current stage.
    """
    f = log.funnel
    open_idx = [k for k, s in enumerate(f.stages) if s.kind.value == "open"]
    m = np.zeros((len(open_idx), len(AGE_BUCKETS) + 1), dtype=np.int64)
    s = log.sorted_by_entity_time()
    keep = s.ts <= as_of_ns
    ent, st, ts = s.entity[keep], np.asarray(s.stage[keep]), s.ts[keep]
    if not ent.size:
        return open_idx, m
    n = ent.size
    start = np.ones(n, dtype=bool)
    start[1:] = (ent[1:] != ent[:-1]) | (st[1:] != st[:-1])
    run_start = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    last = np.ones(n, dtype=bool)
    last[:-1] = ent[1:] != ent[:-1]
    rows = np.flatnonzero(last)
    cur = st[rows]
    age = (as_of_ns - ts[run_start[rows]]) / NS_PER_DAY
    bucket = np.searchsorted(np.asarray(AGE_BUCKETS, dtype=np.float64), age, side="right")
    for i, k in enumerate(open_idx):
        sel = cur == k
        m[i] = np.bincount(bucket[sel], minlength=len(AGE_BUCKETS) + 1)
    return open_idx, m


def pipeline_age_chart(log: Any, as_of_ns: int, *, lang: str = "en") -> str:
    """Open deals per stage, split by days in the stage (stacked bars)."""
    open_idx, m = age_matrix(log, as_of_ns)
    f = log.funnel
    names = []
    lo = 0
    for hi in AGE_BUCKETS:
        names.append(word("rep.age_range", lang).format(lo, hi))
        lo = hi
    names.append(word("rep.age_over", lang).format(lo))
    labels = [f.stages[k].label.text(lang) or f.stages[k].name for k in open_idx]
    return stacked_bars(labels, names, m.tolist(), width=720, colours=AGE_COLOURS)


def forecast_chart(fc: Any, *, lang: str = "en") -> str:
    """The distribution of simulated won revenue, the target marked with P(target)."""
    samples = np.asarray(fc.samples, dtype=np.float64)
    marker = None if fc.target is None else float(fc.target)
    label = "" if marker is None else word("rep.target_marker", lang).format(
        format_count(marker), format_pct(fc.p_target))
    xlabel = word("rep.fc_x", lang)
    return histogram(samples, bins=30, width=720, height=230, marker=marker,
                     marker_label=label, xlabel=xlabel)


def nominal_chart(cmp: Any, *, lang: str = "en") -> str:
    """Nominal and observed probability of winning per stage, bar beside bar."""
    labels = [r.label.text(lang) or r.stage for r in cmp.rows]
    nominal = [r.nominal for r in cmp.rows]
    observed = [r.observed for r in cmp.rows]
    return bar_chart(labels, [
        (word("nominal", lang), nominal, [format_pct(x) for x in nominal]),
        (word("observed", lang), observed, [format_pct(x) for x in observed]),
    ], width=720)


def levers_chart(report: Any, *, lang: str = "en") -> str:
    """Gain in revenue per period from each lever alone (largest first)."""
    labels = [e.label.text(lang) for e in report.effects]
    gains = [e.gain for e in report.effects]
    texts = [f"+{format_count(round(e.gain))} ({format_pct(e.gain_pct, signed=True)})"
             for e in report.effects]
    return bar_chart(labels, [(word("gain", lang), gains, texts)], width=720)


def _is_text(value: str) -> bool:
    """A tile value that is words (a stage name) rather than a number."""
    return sum(ch.isalpha() for ch in value) > 3


def page(*, title: str, lang: str, intro: str = "",
         summary: Sequence[tuple[str, str, str]] = (),
         sections: Sequence[tuple[str, str, str]] = ()) -> str:
    """A self-contained report page: title, intro, summary tiles, contents, sections.

    ``summary`` holds (name, value, hint) tiles; ``sections`` (anchor, heading, html).
    """
    check_lang(lang)
    body = [f"<h1>{escape(title)}</h1>"]
    if intro:
        body.append(f"<p>{escape(intro)}</p>")
    if summary:
        tiles = "".join(
            f'<div class="sf-tile"><div class="k">{escape(k)}</div>'
            f'<div class="v{" t" if _is_text(v) else ""}">{escape(v)}</div>'
            + (f'<div class="h">{escape(h)}</div>' if h else "") + "</div>"
            for k, v, h in summary)
        body.append(f'<div class="sf-summary">{tiles}</div>')
    if len(sections) > 1:
        toc = "".join(f'<li><a href="#{escape(a)}">{escape(h)}</a></li>'
                      for a, h, _ in sections)
        body.append(f'<nav><ul class="sf-toc">{toc}</ul></nav>')
    for anchor, heading, html in sections:
        body.append(f'<section id="{escape(anchor)}"><h2>{escape(heading)}</h2>{html}'
                    "</section>")
    stamp = f"salesfunnel {package_version()}"
    body.append(f'<footer class="sf-muted">{escape(word("rep.generated", lang))} '
                f"{escape(stamp)}.</footer>")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}{PAGE_CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
