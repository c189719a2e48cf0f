"""Small pieces every SVG chart is made of: a document, a text that knows its box, colours.

Every ``<text>`` written through :func:`text` carries ``data-fit``, the width in pixels
the chart gave it; the tests measure each text with
:func:`~salesfunnel._display._measure.text_width` and check it fits that box and the
canvas.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from salesfunnel._display._measure import FONT_STACK, text_width

__all__ = ["INK", "MUTED", "PALETTE", "document", "fits", "shade", "text", "text_on",
           "xml_escape"]

# Characters XML 1.0 does not allow (C0 controls but tab and newlines, surrogates, FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_escape(s: str) -> str:
    """``s`` escaped for SVG text, without the characters XML cannot hold.

    Examples
    --------
    >>> xml_escape("a < b\x08")
    'a &lt; b'
    """
    return escape(_NOT_XML.sub("", s))

INK = "#1f2933"
MUTED = "#52606d"
#: Colour-blind-friendly series colours (blue, orange, teal, purple, grey).
PALETTE = ("#1f4e79", "#e07b39", "#2a9d8f", "#7b5ea7", "#8c96a0")


def shade(k: int, n: int, top: tuple[int, int, int] = (31, 78, 121),
          bottom: tuple[int, int, int] = (140, 185, 222)) -> str:
    """The ``k``-th of ``n`` colours from ``top`` to ``bottom``."""
    t = k / (n - 1) if n > 1 else 0.0
    r, g, b = (round(a + (c - a) * t) for a, c in zip(top, bottom, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def text_on(fill: str) -> str:
    """Dark or white text, whichever reads better on ``fill`` (``#rrggbb``)."""
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lum = 0.2126 * r ** 2.2 + 0.7152 * g ** 2.2 + 0.0722 * b ** 2.2
    return INK if lum > 0.28 else "#ffffff"


def fits(s: str, size: float, box: float) -> bool:
    """Whether ``s`` at ``size`` fits ``box`` pixels."""
    return text_width(s, size) <= box


def text(x: float, y: float, s: str, *, size: float, box: float | None = None,
         anchor: str = "start", fill: str = INK, weight: str | None = None) -> str:
    """One ``<text>`` element; ``box`` (default: the estimated width) is the room it has."""
    fit = text_width(s, size) if box is None else box
    attrs_ = (f'x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" fill="{fill}" '
              f'data-fit="{fit:.1f}"')
    if anchor != "start":
        attrs_ += f' text-anchor="{anchor}"'
    if weight:
        attrs_ += f' font-weight="{weight}"'
    return f"<text {attrs_}>{xml_escape(s)}</text>"


def document(width: float, height: float, body: list[str], *, title: str, desc: str) -> str:
    """An SVG document that scales down to its container and never below its text."""
    w, h = round(width), round(height)
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" style="max-width:100%;height:auto" '
        f"aria-label={quoteattr(_NOT_XML.sub('', title + ': ' + desc if title else desc))} "
        f"font-family={quoteattr(FONT_STACK)}>",
        f"<title>{xml_escape(title or desc)}</title>",
        f"<desc>{xml_escape(desc)}</desc>",
        *body,
        "</svg>",
    ])
