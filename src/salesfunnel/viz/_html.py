"""HTML fragments for notebooks (``_repr_html_``) and self-contained HTML reports."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from salesfunnel._display._table import Table
from salesfunnel.errors import FunnelError, InvalidParameterError
from salesfunnel.viz._data import fmt_count, fmt_rate, funnel_data
from salesfunnel.viz._svg import svg_from_data

__all__ = [
    "funnel_html",
    "html_report",
    "html_table",
    "repr_html",
    "result_html",
    "table_html",
    "to_html",
]

CSS = """
.sf-block{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC',sans-serif;
  color:#1f2933;margin:0.5em 0 1.5em 0}
.sf-block h3{font-size:1.05em;margin:0.4em 0}
.sf-table{border-collapse:collapse;font-size:0.9em;margin:0.4em 0}
.sf-table caption{text-align:left;font-weight:600;padding:0.2em 0}
.sf-table th{background:#e4ecf5;text-align:left;padding:0.25em 0.7em;
  border-bottom:1px solid #9fb3c8}
.sf-table td{padding:0.2em 0.7em;border-bottom:1px solid #e4e7eb;vertical-align:top}
.sf-table td.num{text-align:right;font-variant-numeric:tabular-nums}
.sf-table th.num{text-align:right}
.sf-table td:nth-child(-n+3){white-space:nowrap}
.sf-muted{color:#616e7c;font-size:0.9em}
.sf-block pre{background:#f5f7fa;padding:0.6em;overflow-x:auto;font-size:0.85em}
"""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )


def _cell(value: Any) -> tuple[str, bool]:
    """Text of one table cell and whether it is numeric (right-aligned)."""
    if value is None:
        return "", False
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), False
    if _is_number(value):
        v = float(value)
        if math.isnan(v):
            return "–", True
        if isinstance(value, int | np.integer) or (v == round(v) and abs(v) >= 100):
            return f"{v:,.0f}", True
        return (f"{v:,.4g}" if abs(v) < 1 else f"{v:,.2f}"), True
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat(), False
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_cell(v)[0]}" for k, v in value.items()), False
    if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str | bytes):
        return ", ".join(_cell(v)[0] for v in value), False
    return str(value), False


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    caption: str | None = None,
    align: Sequence[str] | None = None,
) -> str:
    """An HTML ``<table>`` with escaped cells; numbers are formatted and right-aligned.

    Parameters
    ----------
    headers : sequence of str
        Column headings.
    rows : sequence of sequences
        One sequence of cells per row, each as long as ``headers``.
    caption : str, optional
        A caption shown above the table (line breaks are kept).
    align : sequence of str, optional
        ``"<"`` or ``">"`` per column to force left or right alignment (by default
        numbers align right and everything else left).

    Returns
    -------
    str
        The ``<table>`` element.

    Raises
    ------
    InvalidParameterError
        If a row, or ``align``, does not have one entry per header.

    Examples
    --------
    >>> print(html_table(["stage", "count"], [["lead", 1200], ["won <3", 30]]))
    <table class="sf-table">
    <thead><tr><th>stage</th><th>count</th></tr></thead><tbody>
    <tr><td>lead</td><td class="num">1,200</td></tr>
    <tr><td>won &lt;3</td><td class="num">30</td></tr>
    </tbody></table>
    """
    if align is not None and (
        len(align) != len(headers) or any(a not in ("<", ">") for a in align)
    ):
        raise InvalidParameterError(
            f"align must give '<' or '>' for each of the {len(headers)} columns; got {align!r}",
            parameter="align",
            value=align,
        )
    out = ['<table class="sf-table">']
    if caption:
        out.append(f"<caption>{'<br>'.join(escape(x) for x in caption.split(chr(10)))}"
                   "</caption>")
    th = ['<th class="num">' if align is not None and align[j] == ">" else "<th>"
          for j in range(len(headers))]
    lines = ["".join(out)]
    lines.append("<thead><tr>" + "".join(f"{t}{escape(str(h))}</th>"
                                         for t, h in zip(th, headers, strict=True))
                 + "</tr></thead><tbody>")
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise InvalidParameterError(
                f"row {i} has {len(row)} cells; expected {len(headers)} (one per header)",
                parameter="rows",
                value=row,
            )
        cells = []
        for j, value in enumerate(row):
            text, numeric = _cell(value)
            if align is not None:
                numeric = align[j] == ">"
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{escape(text)}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def table_html(table: Table) -> str:
    """A result's :class:`~salesfunnel._display._table.Table` as HTML: its title as the caption,
    right-aligned columns marked numeric, its notes as paragraphs under the table.

    Examples
    --------
    >>> from salesfunnel._display._table import Table
    >>> print(table_html(Table("Deals", ["stage", "count"], [["won <3", "30"]],
    ...                        notes=["a & b"])))
    <table class="sf-table"><caption>Deals</caption>
    <thead><tr><th>stage</th><th class="num">count</th></tr></thead><tbody>
    <tr><td>won &lt;3</td><td class="num">30</td></tr>
    </tbody></table>
    <p class="sf-muted">a &amp; b</p>
    """
    if table.headers:
        parts = [html_table(table.headers, table.rows, caption=table.title or None,
                            align=table.align)]
    else:  # no columns: only the title and the notes
        parts = [f"<p>{escape(line)}</p>" for line in table.title.splitlines()]
    parts += [f'<p class="sf-muted">{escape(note)}</p>' for note in table.notes]
    return "\n".join(parts)


def _tables_of(obj: Any, lang: str) -> tuple[Table, ...] | None:
    """The tables a result displays (its ``_tables(lang)`` or ``_table()``), if any."""
    try:
        if callable(getattr(obj, "_tables", None)):
            return tuple(obj._tables(lang))
        if callable(getattr(obj, "_table", None)):
            return (obj._table(),)
    except FunnelError:  # e.g. a model that is not fitted yet: shown by its repr
        return None
    return None


def _block(*parts: str, title: str | None = None, style: bool = True) -> str:
    head = f"<h3>{escape(title)}</h3>" if title else ""
    css = f"<style>{CSS}</style>" if style else ""
    return f'<div class="sf-block">{css}{head}' + "\n".join(parts) + "</div>"


def funnel_html(funnel: Any, *, lang: str = "en", style: bool = True) -> str:
    """HTML for a funnel definition: its shape as SVG and a table of its stages.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> f = Funnel("mini", [Stage("lead", probability=0.2, owner="SDR", gates="budget > 0"),
    ...                     Stage("won", kind="won")])
    >>> html = funnel_html(f)
    >>> "<svg" in html and "budget &gt; 0" in html and "SDR" in html
    True
    """
    rows = []
    for i, s in enumerate(funnel.stages, 1):
        prob = "" if s.probability is None else f"{s.probability:.0%}"
        gates = "; ".join(g.describe(lang) for g in s.gates)
        owner = s.owner.text(lang) if s.owner else ""
        rows.append([i, s.label.text(lang), s.name, s.kind.value, prob, owner, gates])
    word = {"zh": ("阶段", "名称", "类型", "赢单率", "负责人", "准入条件")}.get(
        lang, ("stage", "name", "kind", "win prob", "owner", "gates")
    )
    table = html_table(["#", *word], rows)
    policy = funnel.describe(lang).splitlines()[-1]
    desc = funnel.description.text(lang)
    parts = [svg_from_data(funnel_data(funnel, lang=lang), width=560, title="")]
    if desc:
        parts.insert(0, f"<p>{escape(desc)}</p>")
    parts += [table, f'<p class="sf-muted">{escape(policy)}</p>']
    return _block(*parts, title=funnel.label.text(lang) or funnel.name, style=style)


def _records_table(records: Sequence[Mapping[str, Any]], caption: str | None) -> str:
    headers: list[str] = []
    for rec in records:
        for key in rec:
            if key not in headers:
                headers.append(str(key))
    return html_table(headers, [[rec.get(h) for h in headers] for rec in records],
                      caption=caption)


def _columns_table(columns: Mapping[str, Sequence[Any]], caption: str | None) -> str:
    headers = [str(k) for k in columns]
    n = len(next(iter(columns.values())))
    rows = [[columns[h][i] for h in headers] for i in range(n)]
    return html_table(headers, rows, caption=caption)


def _dict_html(data: Mapping[str, Any], caption: str | None = None, depth: int = 0) -> str:
    """Render a ``to_dict()`` payload: scalars as a key/value table, nested parts below."""
    scalars: list[list[Any]] = []
    nested: list[str] = []
    for key, value in data.items():
        name = str(key)
        if isinstance(value, Mapping) and value and depth < 3:
            vals = list(value.values())
            lengths = {
                len(v) for v in vals
                if isinstance(v, Sequence | np.ndarray) and not isinstance(v, str | bytes)
            }
            if len(lengths) == 1 and len(vals) > 1 and all(
                isinstance(v, Sequence | np.ndarray) and not isinstance(v, str | bytes)
                for v in vals
            ) and next(iter(lengths)) > 0:
                nested.append(_columns_table(value, name))
            else:
                nested.append(_dict_html(value, name, depth + 1))
        elif (
            isinstance(value, Sequence) and not isinstance(value, str | bytes) and value
            and all(isinstance(v, Mapping) for v in value)
        ):
            nested.append(_records_table(value, name))
        else:
            scalars.append([name, value])
    parts = []
    if scalars:
        parts.append(html_table(["", "value"], scalars, caption=caption))
    elif caption:
        parts.append(f"<h3>{escape(caption)}</h3>")
    return "\n".join(parts + nested)


def _counts_table(obj: Any, lang: str) -> tuple[str, str]:
    data = funnel_data(obj, lang=lang)
    integral = bool(np.all(data.values == np.round(data.values)))
    rows = [
        [label, fmt_count(float(v), integral), fmt_rate(s), fmt_rate(o)]
        for label, v, s, o in zip(data.labels, data.values, data.step, data.overall,
                                  strict=True)
    ]
    table = html_table(["stage", "count", "step", "overall"], rows, align="<>>>")
    return svg_from_data(data, width=600, title=""), table


def _is_funnel_result(obj: Any) -> bool:
    """Results whose counts shrink down a funnel: conversions and plans."""
    return hasattr(obj, "step_rate") or (
        isinstance(getattr(obj, "rows", None), Sequence)
        and all(hasattr(r, "total") for r in obj.rows)
    )


def result_html(obj: Any, *, lang: str = "en", style: bool = True) -> str:
    """HTML for a result object: an SVG funnel for conversions and plans, then its tables.

    The tables are the ones behind the result's plain text (its ``_tables(lang)`` or
    ``_table()``, see :func:`table_html`); other objects are shown from ``to_dict()`` as
    HTML tables, or as their ``str()`` preformatted.

    Examples
    --------
    >>> from salesfunnel.metrics import Conversion
    >>> html = result_html(Conversion("reached", ("lead", "demo", "won"), (100, 40, 10), 100))
    >>> "<svg" in html and "<td>demo</td>" in html and "<pre>" not in html
    True
    """
    parts: list[str] = []
    if _is_funnel_result(obj):
        try:
            svg, _ = _counts_table(obj, lang)
        except InvalidParameterError:
            pass
        else:
            parts.append(svg)
    tables = _tables_of(obj, lang)
    if tables is not None:
        parts.extend(table_html(t) for t in tables)
    elif getattr(type(obj), "__str__", None) is not object.__str__:
        parts.append(f"<pre>{escape(str(obj))}</pre>")
    else:
        to_dict = getattr(obj, "to_dict", None)
        data = to_dict() if callable(to_dict) else None
        parts.append(_dict_html(data) if isinstance(data, Mapping)
                     else f"<pre>{escape(repr(obj))}</pre>")
    return _block(*parts, style=style)


def to_html(obj: Any, *, lang: str = "en", style: bool = True) -> str:
    """An HTML fragment for a funnel, a result object, counts, or plain text.

    Parameters
    ----------
    obj : Funnel, result, sequence, mapping or str
        What to render. A ``str`` is shown preformatted (e.g. a text report).
    lang : str
        Language of labels taken from a funnel.
    style : bool
        Include the small ``<style>`` block (set ``False`` inside :func:`html_report`,
        which has its own).

    Returns
    -------
    str
        A ``<div class="sf-block">`` element.

    Examples
    --------
    >>> "<svg" in to_html({"visits": 900, "signups": 90})
    True
    >>> to_html("a <b>", style=False)
    '<div class="sf-block"><pre>a &lt;b&gt;</pre></div>'
    """
    from salesfunnel.model import Funnel

    if isinstance(obj, Funnel):
        return funnel_html(obj, lang=lang, style=style)
    if isinstance(obj, str):
        return _block(f"<pre>{escape(obj)}</pre>", style=style)
    if isinstance(obj, Mapping) and obj and not all(_is_number(v) for v in obj.values()):
        # a breakdown: one result per group
        by = getattr(obj, "by", None)
        parts = [
            f"<h3>{escape(f'{by} = {key}' if by else str(key))}</h3>"
            + to_html(value, lang=lang, style=False)
            for key, value in obj.items()
        ]
        return _block(*parts, style=style)
    if isinstance(obj, Mapping | Sequence | np.ndarray):
        svg, table = _counts_table(obj, lang)
        return _block(svg, table, style=style)
    return result_html(obj, lang=lang, style=style)


def repr_html(obj: Any) -> str:
    """The ``_repr_html_`` of funnels, metric results and plans (for Jupyter)."""
    return to_html(obj)


def html_report(
    sections: Sequence[tuple[str, Any]] | Mapping[str, Any],
    *,
    title: str = "salesfunnel report",
    lang: str = "en",
    intro: str | None = None,
) -> str:
    """A self-contained HTML document (inline CSS and SVG, no script, no network).

    Parameters
    ----------
    sections : sequence of (heading, content) or mapping of heading to content
        Each content is rendered with :func:`to_html` (a funnel, a result, counts, or
        text shown preformatted).
    title : str
        The document title and top heading.
    lang : str
        Language of labels taken from funnels.
    intro : str, optional
        A paragraph under the title.

    Returns
    -------
    str
        The document, starting with ``<!DOCTYPE html>``.

    Examples
    --------
    >>> doc = html_report({"Funnel": [1000, 300, 60], "Notes": "seeded demo"}, title="Q1")
    >>> doc.startswith("<!DOCTYPE html>") and "<h2>Notes</h2>" in doc and "<svg" in doc
    True
    """
    items = list(sections.items()) if isinstance(sections, Mapping) else list(sections)
    body = [f"<h1>{escape(title)}</h1>"]
    if intro:
        body.append(f"<p>{escape(intro)}</p>")
    toc = "".join(
        f'<li><a href="#s{i}">{escape(str(h))}</a></li>' for i, (h, _) in enumerate(items)
    )
    if len(items) > 1:
        body.append(f'<nav><ul class="sf-toc">{toc}</ul></nav>')
    for i, (heading, content) in enumerate(items):
        body.append(f'<section id="s{i}"><h2>{escape(str(heading))}</h2>')
        body.append(to_html(content, lang=lang, style=False))
        body.append("</section>")
    from salesfunnel import __version__

    stamp = f"salesfunnel {__version__}"
    body.append(f'<footer class="sf-muted">Generated by {escape(stamp)}.</footer>')
    page_css = (
        "body{max-width:980px;margin:2em auto;padding:0 1em;"
        "font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC',"
        "sans-serif;color:#1f2933;line-height:1.45}"
        "h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #d9e2ec;"
        "padding-bottom:0.2em;margin-top:1.6em}.sf-toc{columns:2}"
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{page_css}{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
