"""Bar charts, histograms and stacked bars as SVG (standard library and numpy only).

The report's charts besides the funnel: time between stages, the open pipeline by stage
and age, the forecast distribution, nominal against observed probabilities and the
levers. Each function takes plain numbers and words (already in the reader's language)
and measures every label with :func:`~salesfunnel._display._measure.text_width`, so no
label is cut off: long ones wrap, and a chart that needs more room grows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from salesfunnel._display._measure import text_width, wrap
from salesfunnel._display._svgkit import INK, MUTED, PALETTE, document, text, text_on, xml_escape

__all__ = ["bar_chart", "histogram", "stacked_bars"]

_FONT = 12
_LINE = 15


def _label_column(labels: Sequence[str], width: float, share: float = 0.38
                  ) -> tuple[float, list[list[str]]]:
    longest = max((text_width(s, _FONT) for s in labels), default=40.0)
    col = max(48.0, min(longest, share * width))
    lines = [wrap(s, col, _FONT) for s in labels]
    col = max([48.0] + [text_width(x, _FONT) for ls in lines for x in ls])
    return col, lines


def _legend(names: Sequence[str], colours: Sequence[str], x: float, y: float,
            width: float) -> tuple[list[str], float]:
    """Legend swatches from ``x``, wrapping at ``width``; the parts and the height used."""
    parts: list[str] = []
    cx, cy = x, y
    for name, colour in zip(names, colours, strict=True):
        w = 16 + text_width(name, _FONT - 1) + 14
        if cx > x and cx + w > x + width:
            cx, cy = x, cy + _LINE + 2
        parts.append(f'<rect x="{cx:.1f}" y="{cy - 10:.1f}" width="11" height="11" '
                     f'fill="{colour}"/>')
        parts.append(text(cx + 15, cy, name, size=_FONT - 1, fill=MUTED))
        cx += w
    return parts, cy - y + _LINE + 4


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float],
                                                            Sequence[str]]],
              *, title: str = "", width: float = 640, signed: bool = False) -> str:
    """Horizontal bars, one group per label and one bar per series.

    Parameters
    ----------
    labels : sequence of str
        One per group (a stage, a lever).
    series : sequence of (name, values, texts)
        One bar per group in each series; ``texts`` are written beside the bars (NaN
        values draw no bar). With several series a legend names them.
    signed : bool
        Bars grow left and right from a zero line (for gains and losses).

    Examples
    --------
    >>> svg = bar_chart(["lead", "deal"], [("nominal", [0.3, 0.6], ["30%", "60%"]),
    ...                                    ("observed", [0.4, 0.5], ["40%", "50%"])])
    >>> svg.count("<rect") - 2    # four bars and two legend swatches
    4
    """
    n_series = len(series)
    col, lines = _label_column(labels, width)
    vals = np.array([[float(v) for v in s[1]] for s in series], dtype=np.float64)
    finite = vals[np.isfinite(vals)]
    hi = float(np.max(np.abs(finite))) if finite.size else 1.0
    hi = hi if hi > 0 else 1.0
    text_w = max((text_width(t, _FONT - 1) for s in series for t in s[2]), default=0.0)
    plot_w = max(140.0, width - col - 24 - 2 * (text_w + 6))
    total_w = col + 12 + plot_w + 2 * (text_w + 6) + 12
    bar_h = 14.0 if n_series > 1 else 18.0
    group_h = [max(n_series * (bar_h + 2) + 8, _LINE * len(ls) + 8) for ls in lines]
    top = 28.0 if title else 8.0
    body: list[str] = []
    if title:
        body.append(text(8, 18, title, size=_FONT + 2, weight="600", box=total_w - 16))
    x_left = col + 12 + (text_w + 6 if signed else 0)
    x0 = x_left + (plot_w / 2 if signed else 0)
    room = plot_w / 2 if signed else plot_w
    y = top
    for g, label in enumerate(labels):
        h = group_h[g]
        ls = lines[g]
        first = y + h / 2 - (len(ls) - 1) * _LINE / 2 + _FONT * 0.35
        for j, line in enumerate(ls):
            body.append(text(col, first + j * _LINE, line, size=_FONT, anchor="end", box=col))
        by = y + (h - n_series * (bar_h + 2)) / 2
        for s, (_, values, texts) in enumerate(series):
            v = float(values[g])
            colour = PALETTE[s % len(PALETTE)] if n_series > 1 or not signed else (
                PALETTE[0] if v >= 0 else PALETTE[1])
            if np.isfinite(v):
                w = abs(v) / hi * room          # divide first: hi may be tiny
                x = x0 - w if v < 0 else x0
                body.append(f'<rect x="{x:.1f}" y="{by:.1f}" width="{max(w, 1):.1f}" '
                            f'height="{bar_h:.1f}" fill="{colour}"><title>{xml_escape(label)}: '
                            f"{xml_escape(texts[g])}</title></rect>")
                tx, anchor = (x - 4, "end") if v < 0 else (x0 + w + 4, "start")
            else:
                tx, anchor = x0 + 4, "start"
            body.append(text(tx, by + bar_h / 2 + 4, texts[g], size=_FONT - 1, anchor=anchor,
                             fill=MUTED, box=text_w))
            by += bar_h + 2
        y += h
    if signed:
        body.append(f'<line x1="{x0:.1f}" y1="{top - 2:.1f}" x2="{x0:.1f}" y2="{y:.1f}" '
                    f'stroke="{INK}" stroke-width="1"/>')
    height = y + 6
    if n_series > 1:
        parts, used = _legend([s[0] for s in series], PALETTE[:n_series], col + 12,
                              y + 14, total_w - col - 24)
        body += parts
        height = y + 14 + used
    desc = "; ".join(f"{label}: " + ", ".join(f"{s[0]} {s[2][g]}" for s in series)
                     for g, label in enumerate(labels))
    return document(total_w, height, body, title=title, desc=desc)


def histogram(values: Sequence[float] | np.ndarray, *, bins: int = 24, title: str = "",
              xlabel: str = "", width: float = 640, height: float = 200,
              marker: float | None = None, marker_label: str = "",
              value_format: str = "{:,.0f}") -> str:
    """A histogram of ``values`` with an optional vertical marker (a target).

    Examples
    --------
    >>> svg = histogram([1, 2, 2, 3, 3, 3], bins=3, marker=2.5, marker_label="target")
    >>> svg.count("<rect"), "target" in svg
    (3, True)
    """
    data = np.asarray(values, dtype=np.float64)
    data = data[np.isfinite(data)]
    lo = float(data.min()) if data.size else 0.0
    hi = float(data.max()) if data.size else 1.0
    if marker is not None and np.isfinite(marker):
        lo, hi = min(lo, marker), max(hi, marker)
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(data, bins=bins, range=(lo, hi))
    left, right = 44.0, 16.0
    top = (28.0 if title else 10.0) + (16.0 if marker_label else 0.0)
    bottom = 40.0 if xlabel else 24.0
    plot_w = width - left - right
    plot_h = height - top - bottom
    peak = max(int(counts.max()) if counts.size else 0, 1)
    body: list[str] = []
    if title:
        body.append(text(8, 18, title, size=_FONT + 2, weight="600", box=width - 16))
    bw = plot_w / bins
    for k, c in enumerate(counts):
        h = plot_h * c / peak
        x = left + k * bw
        tip = (f"{value_format.format(edges[k])} – {value_format.format(edges[k + 1])}: "
               f"{int(c):,}")
        body.append(f'<rect x="{x + 0.5:.1f}" y="{top + plot_h - h:.1f}" '
                    f'width="{max(bw - 1, 0.5):.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
                    f"<title>{xml_escape(tip)}</title></rect>")
    base = top + plot_h
    body.append(f'<line x1="{left:.1f}" y1="{base:.1f}" x2="{left + plot_w:.1f}" '
                f'y2="{base:.1f}" stroke="{INK}"/>')
    # y axis: the peak count
    body.append(text(left - 4, top + 8, f"{peak:,}", size=_FONT - 2, anchor="end",
                     fill=MUTED, box=left - 6))
    body.append(text(left - 4, base, "0", size=_FONT - 2, anchor="end", fill=MUTED,
                     box=left - 6))
    # x axis: low, middle and high values, kept inside the canvas
    for frac_x, anchor in ((0.0, "start"), (0.5, "middle"), (1.0, "end")):
        v = lo + frac_x * (hi - lo)
        body.append(text(left + frac_x * plot_w, base + 14, value_format.format(v),
                         size=_FONT - 2, anchor=anchor, fill=MUTED,
                         box=plot_w / 3))
    if xlabel:
        body.append(text(left + plot_w / 2, base + 30, xlabel, size=_FONT - 1,
                         anchor="middle", fill=MUTED, box=plot_w))
    if marker is not None and np.isfinite(marker):
        mx = left + plot_w * (marker - lo) / (hi - lo)
        body.append(f'<line x1="{mx:.1f}" y1="{top - 4:.1f}" x2="{mx:.1f}" y2="{base:.1f}" '
                    f'stroke="{PALETTE[1]}" stroke-width="2" stroke-dasharray="5,3"/>')
        lw = text_width(marker_label, _FONT - 1)
        right_room = left + plot_w - mx - 4
        ly = top - 8          # above the bars, never over them
        if lw <= right_room:
            body.append(text(mx + 4, ly, marker_label, size=_FONT - 1,
                             fill=PALETTE[1], weight="600", box=right_room))
        else:
            body.append(text(mx - 4, ly, marker_label, size=_FONT - 1, anchor="end",
                             fill=PALETTE[1], weight="600", box=mx - 4))
    desc = (f"{int(data.size):,} values from {value_format.format(lo)} to "
            f"{value_format.format(hi)}" + (f"; {marker_label}" if marker_label else ""))
    return document(width, height, body, title=title, desc=desc)


def stacked_bars(labels: Sequence[str], names: Sequence[str], matrix: Sequence[Sequence[int]],
                 *, title: str = "", width: float = 640,
                 colours: Sequence[str] | None = None) -> str:
    """Horizontal bars of counts, one per label, split into the segments ``names``.

    Examples
    --------
    >>> svg = stacked_bars(["lead", "deal"], ["< 30 d", ">= 30 d"], [[5, 2], [1, 0]])
    >>> svg.count("<rect") - 2    # three non-empty segments and two legend swatches
    3
    """
    col, lines = _label_column(labels, width)
    m = np.asarray(matrix, dtype=np.int64).reshape(len(labels), len(names))
    totals = m.sum(axis=1)
    peak = max(int(totals.max()) if totals.size else 0, 1)
    total_text = [f"{int(t):,}" for t in totals]
    text_w = max((text_width(t, _FONT - 1) for t in total_text), default=0.0)
    plot_w = max(160.0, width - col - 36 - text_w)
    total_w = col + 12 + plot_w + text_w + 24
    if colours is None or len(colours) < len(names):
        colours = [PALETTE[k % len(PALETTE)] for k in range(len(names))]
    top = 28.0 if title else 8.0
    body: list[str] = []
    if title:
        body.append(text(8, 18, title, size=_FONT + 2, weight="600", box=total_w - 16))
    y = top
    bar_h = 20.0
    for g, label in enumerate(labels):
        h = max(bar_h + 8, _LINE * len(lines[g]) + 8)
        first = y + h / 2 - (len(lines[g]) - 1) * _LINE / 2 + _FONT * 0.35
        for j, line in enumerate(lines[g]):
            body.append(text(col, first + j * _LINE, line, size=_FONT, anchor="end", box=col))
        x = col + 12
        by = y + (h - bar_h) / 2
        for k, name in enumerate(names):
            c = int(m[g, k])
            if c <= 0:
                continue
            w = plot_w * c / peak
            body.append(f'<rect x="{x:.1f}" y="{by:.1f}" width="{w:.1f}" height="{bar_h}" '
                        f'fill="{colours[k]}"><title>{xml_escape(label)}, {xml_escape(name)}: {c:,}'
                        "</title></rect>")
            inside = f"{c:,}"
            if text_width(inside, _FONT - 2) + 6 <= w:
                body.append(text(x + w / 2, by + bar_h / 2 + 4, inside, size=_FONT - 2,
                                 anchor="middle", fill=text_on(colours[k]), box=w))
            x += w
        body.append(text(x + 4, by + bar_h / 2 + 4, total_text[g], size=_FONT - 1,
                         fill=INK, weight="600", box=text_w + 8))
        y += h
    parts, used = _legend(names, colours[:len(names)], col + 12, y + 14, total_w - col - 24)
    body += parts
    desc = "; ".join(f"{label}: " + ", ".join(f"{n} {int(m[g, k]):,}"
                                               for k, n in enumerate(names))
                     for g, label in enumerate(labels))
    return document(total_w, y + 14 + used, body, title=title, desc=desc)
