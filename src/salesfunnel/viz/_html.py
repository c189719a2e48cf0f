"""HTML fragments of anything displayable, and self-contained HTML reports.

The tables, chart and their HTML come from :mod:`salesfunnel._display`; this module only
decides what to show for each kind of content and assembles the report page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from salesfunnel._display._chart import fmt_count, fmt_rate
from salesfunnel._display._html import block, html_table, is_number, table_html
from salesfunnel._display._result import Viewable
from salesfunnel._display._svg import svg_from_data
from salesfunnel._util._i18n import check_lang, word
from salesfunnel.viz._data import funnel_data
from salesfunnel.viz._report import page

__all__ = ["html_report", "html_table", "table_html", "to_html"]


def _counts_html(obj: Any, lang: str, style: bool) -> str:
    data = funnel_data(obj, lang=lang)
    integral = bool(np.all(data.values == np.round(data.values)))
    rows = [
        [label, fmt_count(float(v), integral), fmt_rate(s), fmt_rate(o)]
        for label, v, s, o in zip(data.labels, data.values, data.step, data.overall,
                                  strict=True)
    ]
    headers = [word(k, lang) for k in ("stage", "count", "step", "overall")]
    table = html_table(headers, rows, align="<>>>")
    return block(svg_from_data(data, width=600, title=""), table, style=style)


def to_html(obj: Any, *, lang: str = "en", style: bool = True) -> str:
    """An HTML fragment for a funnel, a result object, counts, or plain text.

    Parameters
    ----------
    obj : Funnel, result, sequence, mapping or str
        What to render: a funnel or a result shows its own display parts (its chart as
        SVG and its tables); counts are drawn as a funnel with a table; a mapping of
        names to results shows each under its name; a ``str`` (e.g. a text report), and
        anything else as its ``str()``, is shown preformatted.
    lang : str
        Language of tables and labels (``"en"`` or ``"zh"``).
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
    check_lang(lang)
    if isinstance(obj, Viewable):
        return obj._html(lang, style=style)
    if isinstance(obj, str):
        return block(f"<pre>{escape(obj)}</pre>", style=style)
    if isinstance(obj, Mapping) and obj and not all(is_number(v) for v in obj.values()):
        parts = [f"<h3>{escape(str(key))}</h3>" + to_html(value, lang=lang, style=False)
                 for key, value in obj.items()]
        return block(*parts, style=style)
    if isinstance(obj, Mapping | Sequence | np.ndarray):
        return _counts_html(obj, lang, style)
    return block(f"<pre>{escape(str(obj))}</pre>", style=style)


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
        Language of tables and labels (``"en"`` or ``"zh"``).
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
    return page(title=title, lang=check_lang(lang), intro=intro or "",
                sections=[(f"s{i}", str(heading), to_html(content, lang=lang, style=False))
                          for i, (heading, content) in enumerate(items)])
