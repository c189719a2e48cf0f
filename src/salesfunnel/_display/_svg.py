"""The SVG funnel of :class:`~salesfunnel._display._chart.FunnelData` (standard library
only; displays in browsers and notebooks)."""

from __future__ import annotations

import numpy as np

from salesfunnel._display._chart import FunnelData, fmt_count, fmt_rate
from salesfunnel._display._format import MISSING
from salesfunnel._display._measure import text_width, wrap
from salesfunnel._display._svgkit import MUTED, document, shade, text, text_on, xml_escape
from salesfunnel._util._i18n import word

__all__ = ["svg_from_data"]

_ROW = 38
_GAP = 4
_FONT = 13
_LINE = 16


def svg_from_data(data: FunnelData, *, width: int = 640, title: str | None = None,
                  lang: str = "en", compact: bool = False) -> str:
    """Render :class:`FunnelData` as an SVG document (see :func:`salesfunnel.viz.funnel_svg`).

    Labels are measured with :func:`~salesfunnel._display._measure.text_width` and wrapped
    to their column; when the text needs more room than ``width`` the drawing grows
    (and scales down to its container) rather than cutting a label off. ``compact`` shows
    only the step rate beside each bar (for small multiples).

    Examples
    --------
    >>> svg = svg_from_data(FunnelData(["lead", "won"], [0, 5]))  # no rate after a zero
    >>> svg.count("<polygon"), "—" in svg
    (2, True)
    """
    n = len(data.labels)
    font = _FONT
    small = font - 1
    longest = max((text_width(s, font) for s in data.labels), default=40.0)
    label_w = max(60.0, min(longest, (0.45 if compact else 0.4) * width))
    labels = [wrap(s, label_w, font) for s in data.labels]
    label_w = max([60.0] + [text_width(x, font) for ls in labels for x in ls])
    step, overall = data.step, data.overall
    rate_lines = [
        [] if data.note or k == 0
        else [fmt_rate(step[k]) or MISSING] if compact
        else [word("chart.of_previous", lang).format(fmt_rate(step[k]) or MISSING),
              word("chart.of_first", lang).format(fmt_rate(overall[k]) or MISSING)]
        for k in range(n)
    ]
    stats_w = max((text_width(x, small) for ls in rate_lines for x in ls), default=0.0)
    frac = data.fractions
    integral = bool(np.all(data.values == np.round(data.values)))
    values = [data.note[k] if data.note else fmt_count(float(data.values[k]), integral)
              for k in range(n)]
    value_w = max((text_width(v, font) for v in values), default=0.0)
    funnel_w = max(3 * value_w + 24, width - label_w - stats_w - 44, 120.0)
    total_w = label_w + funnel_w + stats_w + 44
    head = title if title is not None else data.title
    top = 30 if head else 8
    rows_h = [max(_ROW, _LINE * max(len(labels[k]), len(rate_lines[k])) + 10) for k in range(n)]
    height = top + sum(rows_h) + _GAP * n + 8
    if head:
        total_w = max(total_w, text_width(head, font + 2) + 16)
    cx = label_w + 12 + funnel_w / 2
    desc = "; ".join(f"{lab}: {v}" for lab, v in zip(data.labels, values, strict=True))
    body: list[str] = []
    if head:
        body.append(text(total_w / 2, 20, head, size=font + 2, anchor="middle",
                         weight="600", box=total_w - 16))
    y0 = float(top)
    min_w = 6.0
    for k in range(n):
        y1 = y0 + rows_h[k]
        w0 = max(min_w, float(frac[k]) * funnel_w)
        nxt = float(frac[k + 1]) if k + 1 < n else float(frac[k])
        # Taper towards the next stage, but never widen inside a row of a narrowing funnel.
        w1 = max(min_w, (nxt if nxt <= frac[k] else frac[k]) * funnel_w)
        if data.values[k] <= 0:
            w0 = w1 = min_w
        pts = (f"{cx - w0 / 2:.1f},{y0:.1f} {cx + w0 / 2:.1f},{y0:.1f} "
               f"{cx + w1 / 2:.1f},{y1:.1f} {cx - w1 / 2:.1f},{y1:.1f}")
        fill = shade(k, n)
        body.append(f"<g><title>{xml_escape(data.labels[k])}: {xml_escape(values[k])}</title>"
                    f'<polygon points="{pts}" fill="{fill}"/></g>')
        mid = (y0 + y1) / 2
        ls = labels[k]
        first = mid - (len(ls) - 1) * _LINE / 2 + font * 0.35
        for j, line in enumerate(ls):
            body.append(text(label_w, first + j * _LINE, line, size=font, anchor="end",
                             box=label_w))
        ym = mid + font * 0.35
        if min(w0, w1) > text_width(values[k], font) + 8:
            body.append(text(cx, ym, values[k], size=font, anchor="middle",
                             fill=text_on(fill), weight="600", box=min(w0, w1)))
        else:
            x = cx + max(w0, w1) / 2 + 4
            body.append(text(x, ym, values[k], size=font, weight="600",
                             box=label_w + 12 + funnel_w - x))
        rl = rate_lines[k]
        first = mid - (len(rl) - 1) * _LINE / 2 + small * 0.35
        for j, line in enumerate(rl):
            body.append(text(total_w - stats_w - 4, first + j * _LINE, line, size=small,
                             fill=MUTED, box=stats_w))
        y0 = y1 + _GAP
    return document(total_w, height, body, title=head or word("chart.funnel", lang),
                    desc=desc)
