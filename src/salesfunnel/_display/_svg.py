"""The SVG funnel of :class:`~salesfunnel._display._chart.FunnelData` (standard library
only; displays in browsers and notebooks)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import numpy as np

from salesfunnel._display._chart import FunnelData, fmt_count, fmt_rate
from salesfunnel._display._format import MISSING

__all__ = ["svg_from_data"]

# Blues from dark (top of the funnel) to light, interpolated per stage.
_TOP = (31, 78, 121)
_BOTTOM = (120, 170, 214)
_ROW = 38
_GAP = 4
_FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', sans-serif"


def _colour(k: int, n: int) -> str:
    t = k / (n - 1) if n > 1 else 0.0
    r, g, b = (round(a + (b - a) * t) for a, b in zip(_TOP, _BOTTOM, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _text_len(text: str) -> float:
    """A rough width in em for layout (wide characters count as one em)."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.58 for ch in text)


def svg_from_data(data: FunnelData, *, width: int = 640, title: str | None = None) -> str:
    """Render :class:`FunnelData` as an SVG document (see :func:`salesfunnel.viz.funnel_svg`).

    Examples
    --------
    >>> svg = svg_from_data(FunnelData(["lead", "won"], [0, 5]))  # no rate after a zero
    >>> svg.count("<polygon"), "—" in svg
    (2, True)
    """
    n = len(data.labels)
    font = 13
    label_w = int(min(220, max(60, max((_text_len(s) for s in data.labels), default=4) * font)))
    step, overall = data.step, data.overall
    rates = [
        "" if data.note or k == 0
        else f"{fmt_rate(step[k]) or MISSING} of previous · "
        f"{fmt_rate(overall[k]) or MISSING} of first"
        for k in range(n)
    ]
    stats_w = int(max((_text_len(r) for r in rates), default=0) * (font - 1)) + 16
    funnel_w = max(120, width - label_w - stats_w - 24)
    head = title if title is not None else data.title
    top = 30 if head else 8
    height = top + n * (_ROW + _GAP) + 8
    cx = label_w + 12 + funnel_w / 2
    frac = data.fractions
    integral = bool(np.all(data.values == np.round(data.values)))
    desc = "; ".join(
        f"{lab}: {note or fmt_count(v, integral)}"
        for lab, v, note in zip(
            data.labels, data.values, data.note or ("",) * n, strict=True
        )
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f"aria-label={quoteattr('Funnel chart: ' + desc)} font-family={quoteattr(_FONT)} "
        f'font-size="{font}">',
        f"<title>{escape(head or 'Funnel chart')}</title>",
        f"<desc>{escape(desc)}</desc>",
    ]
    if head:
        parts.append(
            f'<text x="{cx:.1f}" y="20" text-anchor="middle" font-weight="600" '
            f'font-size="{font + 2}" fill="#1f2933">{escape(head)}</text>'
        )
    min_w = 6.0
    for k in range(n):
        y0 = top + k * (_ROW + _GAP)
        y1 = y0 + _ROW
        w0 = max(min_w, float(frac[k]) * funnel_w)
        nxt = float(frac[k + 1]) if k + 1 < n else float(frac[k])
        # Taper towards the next stage, but never widen inside a row of a narrowing funnel.
        w1 = max(min_w, (nxt if nxt <= frac[k] else frac[k]) * funnel_w)
        if data.values[k] <= 0:
            w0 = w1 = min_w
        pts = (
            f"{cx - w0 / 2:.1f},{y0} {cx + w0 / 2:.1f},{y0} "
            f"{cx + w1 / 2:.1f},{y1} {cx - w1 / 2:.1f},{y1}"
        )
        value = data.note[k] if data.note else fmt_count(float(data.values[k]), integral)
        parts.append(
            f'<g><title>{escape(data.labels[k])}: {escape(value)}</title>'
            f'<polygon points="{pts}" fill="{_colour(k, n)}"/></g>'
        )
        ym = y0 + _ROW / 2 + font * 0.35
        parts.append(
            f'<text x="{label_w:.1f}" y="{ym:.1f}" text-anchor="end" fill="#1f2933">'
            f"{escape(data.labels[k])}</text>"
        )
        if min(w0, w1) > _text_len(value) * font + 8:
            parts.append(
                f'<text x="{cx:.1f}" y="{ym:.1f}" text-anchor="middle" fill="#ffffff" '
                f'font-weight="600">{escape(value)}</text>'
            )
        else:
            parts.append(
                f'<text x="{cx + max(w0, w1) / 2 + 4:.1f}" y="{ym:.1f}" fill="#1f2933" '
                f'font-weight="600">{escape(value)}</text>'
            )
        if rates[k]:
            parts.append(
                f'<text x="{width - stats_w + 8:.1f}" y="{ym:.1f}" fill="#52606d" '
                f'font-size="{font - 1}">{escape(rates[k])}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)
