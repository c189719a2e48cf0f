"""One estimate of how wide a text is drawn, shared by every SVG chart and its tests.

SVG has no text layout: a chart must know how wide a label will be before the browser
draws it. :func:`text_width` is a deliberately generous estimate for a sans-serif font
(wide East Asian characters take one em; Latin letters between 0.3 and 0.9 em); charts
size their label columns and wrap their labels with it, and the tests check every label
of every chart against its box with the same function.
"""

from __future__ import annotations

import unicodedata

__all__ = ["FONT_STACK", "text_width", "wrap"]

#: The fonts of charts and reports: system fonts first, then the CJK fonts of Windows,
#: macOS and Linux (Noto/Source Han, WenQuanYi), then the generic family.
FONT_STACK = ("system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
              "'Noto Sans', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', "
              "'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', sans-serif")

_CLOSING = set(":：,，、;；)）")
_NARROW = set("ijlI.,:;!|'`()[]{} ")
_WIDE_LATIN = set("mwMW@%&")


def _em(ch: str) -> float:
    if unicodedata.combining(ch):
        return 0.0
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0
    if ch in _NARROW:
        return 0.34
    if ch in _WIDE_LATIN:
        return 0.95
    if ch.isupper():
        return 0.72
    return 0.6


def text_width(text: str, size: float) -> float:
    """Estimated width in pixels of ``text`` drawn at ``size`` pixels (never too small
    for common sans-serif fonts).

    Examples
    --------
    >>> text_width("", 12), text_width("线索", 10)
    (0.0, 20.0)
    >>> text_width("lead", 10) < text_width("LEAD", 10)
    True
    """
    return float(sum(_em(ch) for ch in text)) * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels at ``size``.

    Breaks at spaces (and anywhere between wide characters, as Chinese text does); a
    single word wider than ``width`` is cut into pieces that fit.

    Examples
    --------
    >>> wrap("Opportunity found: target customer", 120, 10)
    ['Opportunity found:', 'target customer']
    >>> wrap("发掘潜在的商机:目标客户", 80, 10)
    ['发掘潜在的商机:', '目标客户']
    """
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch == " ":
            if word:
                tokens.append(word)
            tokens.append(" ")
            word = ""
        elif unicodedata.east_asian_width(ch) in "WF" and ch not in _CLOSING:
            if word:
                tokens.append(word)
            word = ch
        elif ch in _CLOSING:          # a break may follow, never precede, punctuation
            tokens.append(word + ch)
            word = ""
        else:
            word += ch
    if word:
        tokens.append(word)
    lines: list[str] = []
    line = ""
    for tok in tokens:
        if text_width((line + tok).rstrip(), size) <= width:
            line += tok
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = "" if tok == " " else tok
        while text_width(line, size) > width and len(line) > 1:   # a word too long
            cut = len(line)
            while cut > 1 and text_width(line[:cut], size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]
