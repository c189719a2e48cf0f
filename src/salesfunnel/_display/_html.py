"""HTML tables and the HTML of displayable objects (standard library and numpy only)."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from salesfunnel._display._chart import FunnelData
from salesfunnel._display._format import MISSING
from salesfunnel._display._measure import FONT_STACK
from salesfunnel._display._svg import svg_from_data
from salesfunnel._display._table import Table
from salesfunnel.errors import InvalidParameterError

__all__ = ["CSS", "block", "html_table", "is_number", "parts_html", "table_html"]

CSS = """
.sf-block{font-family:""" + FONT_STACK + """;
  color:#1f2933;margin:0.5em 0 1.5em 0;max-width:100%;overflow-x:auto}
.sf-block h3{font-size:1.05em;margin:0.4em 0}
.sf-table{border-collapse:collapse;font-size:0.9em;margin:0.4em 0}
.sf-table caption{text-align:left;font-weight:600;padding:0.2em 0}
.sf-block .sf-table th{background:#e4ecf5;text-align:left;padding:0.25em 0.7em;
  border-bottom:1px solid #9fb3c8;white-space:nowrap}
.sf-block .sf-table td{padding:0.2em 0.7em;border-bottom:1px solid #e4e7eb;
  vertical-align:top;text-align:left;white-space:nowrap}
.sf-block .sf-table td.num{text-align:right;font-variant-numeric:tabular-nums}
.sf-block .sf-table th.num{text-align:right}
.sf-block .sf-table td.wrap{white-space:normal;min-width:14em}
.sf-muted{color:#616e7c;font-size:0.9em}
.sf-block pre{background:#f5f7fa;padding:0.6em;overflow-x:auto;font-size:0.85em}
"""


#: Text cells longer than this may wrap (between words); shorter ones never do.
_NOWRAP = 32


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )


def _cell(value: Any) -> tuple[str, bool]:
    """Text of one table cell and whether it is numeric (right-aligned)."""
    if value is None:
        return "", False
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), False
    if is_number(value):
        v = float(value)
        if math.isnan(v):
            return MISSING, True
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
            cls = (' class="num"' if numeric else
                   ' class="wrap"' if len(text) > _NOWRAP else "")
            cells.append(f"<td{cls}>{escape(text)}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def table_html(table: Table) -> str:
    """A :class:`~salesfunnel._display._table.Table` as HTML: its title as the caption,
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


def block(*parts: str, title: str | None = None, style: bool = True) -> str:
    head = f"<h3>{escape(title)}</h3>" if title else ""
    css = f"<style>{CSS}</style>" if style else ""
    return f'<div class="sf-block">{css}{head}' + "\n".join(parts) + "</div>"


def parts_html(parts: Iterable[Table | FunnelData]) -> list[str]:
    """HTML for display parts: a funnel chart as SVG, a table as :func:`table_html`."""
    return [svg_from_data(p, width=600, title="") if isinstance(p, FunnelData) else table_html(p)
            for p in parts]
