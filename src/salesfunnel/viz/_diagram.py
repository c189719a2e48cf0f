"""A funnel's state diagram as SVG, drawn from the graph of :meth:`Funnel.to_mermaid`."""

from __future__ import annotations

from salesfunnel._display._measure import text_width, wrap
from salesfunnel._display._svgkit import INK, MUTED, document, text, xml_escape
from salesfunnel._util._i18n import check_lang, word
from salesfunnel._util._validate import check_instance
from salesfunnel.model import Funnel
from salesfunnel.model._diagram import (
    LOST_FILL,
    LOST_LINE,
    OPEN_FILL,
    OPEN_LINE,
    WON_FILL,
    WON_LINE,
    Node,
    diagram,
)

__all__ = ["diagram_svg"]

_FONT = 13
_SMALL = 11
_LINE = 16
_SMALL_LINE = 14


def diagram_svg(funnel: Funnel, *, lang: str = "en", width: int = 720) -> str:
    """The state diagram of ``funnel`` as a standalone SVG document.

    The main path runs down the left, each arrow labelled with the gates checked on
    that move; the open stages sit in a dashed group with a dashed arrow to each LOST
    stage; WON is green and double-framed, LOST red; re-entry and extra transitions are
    dashed arrows on the left; the policy (advance, skip ahead, fall back) is a note.
    The same graph as :meth:`~salesfunnel.Funnel.to_mermaid` and
    :meth:`~salesfunnel.Funnel.to_dot`, drawn without any tool beyond Python.

    Parameters
    ----------
    funnel : Funnel
    lang : str
        Language of the labels (``"en"`` or ``"zh"``).
    width : int
        Width in pixels; the drawing grows when its labels need more room.

    Returns
    -------
    str
        An ``<svg>`` document.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> f = Funnel("mini", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> svg = diagram_svg(f)
    >>> svg.startswith("<svg") and svg.count("<rect") >= 4 and ">lose<" in svg
    True
    """
    check_instance("funnel", funnel, Funnel, where="diagram_svg", expected="a Funnel")
    d = diagram(funnel, check_lang(lang))
    by_id = {n.id: n for n in d.nodes}
    path_ids = [e.source for e in d.edges if e.kind == "advance" and e.source is not None]
    path_ids += [e.target for e in d.edges if e.kind == "advance"][-1:]
    if not path_ids:
        path_ids = [n.id for n in d.nodes if n.kind != "lost"][:1]
    lost = [n for n in d.nodes if n.kind == "lost"]
    side = [e for e in d.edges if e.kind in ("reenter", "explicit")]

    box_w = min(280.0, max(140.0, max(text_width(by_id[i].label, _FONT) for i in path_ids) + 28))
    box_lines = {i: wrap(by_id[i].label, box_w - 20, _FONT) for i in path_ids}
    left = 24.0 + 28.0 * len(side)          # room for the arcs of side edges
    x0 = left + 16                          # inside the dashed open group
    gate_x = x0 + box_w / 2 + 10
    gate_w = max(160.0, width - gate_x - 24)
    advance = {e.source: e for e in d.edges if e.kind == "advance"}
    gate_lines = {i: wrap(advance[i].label, gate_w, _SMALL) if i in advance and
                  advance[i].label else [] for i in path_ids}
    lost_w = max([120.0] + [text_width(n.label, _FONT) + 28 for n in lost])
    group_r = max(x0 + box_w + 16, gate_x + 8 + max(
        [0.0] + [text_width(x, _SMALL) for ls in gate_lines.values() for x in ls]))
    lost_x = group_r + 90
    total_w = max(float(width), lost_x + lost_w + 16)
    policy = f"{word('funnel.transitions', lang)}: " + " · ".join(d.policy)
    policy_lines = wrap(policy, total_w - 48, _SMALL)

    body: list[str] = []
    y = 50.0
    body.append(text(16, 22, d.title, size=_FONT + 2, weight="600", box=total_w - 32))
    centers: dict[str, tuple[float, float, float]] = {}      # id -> (top, bottom, x centre)
    group_top = y
    y += 14
    for i in path_ids:
        n = by_id[i]
        h = _LINE * len(box_lines[i]) + 14
        fill, line = _colours(n)
        extra = ' stroke-width="2.5"' if n.kind == "won" else ""
        body.append(f'<rect x="{x0:.1f}" y="{y:.1f}" width="{box_w:.1f}" height="{h:.1f}" '
                    f'rx="8" fill="{fill}" stroke="{line}"{extra}><title>{xml_escape(n.name)}'
                    "</title></rect>")
        if n.kind == "won":
            body.append(f'<rect x="{x0 + 3:.1f}" y="{y + 3:.1f}" width="{box_w - 6:.1f}" '
                        f'height="{h - 6:.1f}" rx="6" fill="none" stroke="{line}"/>')
        for j, ln in enumerate(box_lines[i]):
            body.append(text(x0 + box_w / 2, y + 7 + _LINE * (j + 0.8), ln, size=_FONT,
                             anchor="middle", box=box_w - 16))
        centers[i] = (y, y + h, x0 + box_w / 2)
        y += h
        if i in advance:
            gap = max(30.0, _SMALL_LINE * len(gate_lines[i]) + 12)
            cx = x0 + box_w / 2
            body.append(_arrow(cx, y, cx, y + gap, dashed=False))
            for j, ln in enumerate(gate_lines[i]):
                body.append(text(gate_x, y + 6 + _SMALL_LINE * (j + 0.8), ln, size=_SMALL,
                                 fill=MUTED, box=gate_w))
            y += gap
    open_ids = [i for i in path_ids if by_id[i].kind == "open"]
    if open_ids:
        g_bottom = centers[open_ids[-1]][1] + 8
        body.insert(1, f'<rect x="{left:.1f}" y="{group_top:.1f}" '
                       f'width="{group_r - left:.1f}" height="{g_bottom - group_top:.1f}" '
                       'rx="10" fill="none" stroke="#9fb3c8" stroke-dasharray="6,4"/>')
        body.append(text(left + 8, group_top - 4, d.open_group, size=_SMALL, fill=MUTED,
                         box=group_r - left - 8))
    # LOST stages on the right, a dashed arrow from the open group to each
    ly = group_top + 20
    for e in (e for e in d.edges if e.kind == "lose"):
        n = by_id[e.target]
        lh = 30.0
        body.append(f'<rect x="{lost_x:.1f}" y="{ly:.1f}" width="{lost_w:.1f}" '
                    f'height="{lh:.1f}" rx="8" fill="{LOST_FILL}" stroke="{LOST_LINE}">'
                    f"<title>{xml_escape(n.name)}</title></rect>")
        body.append(text(lost_x + lost_w / 2, ly + 20, n.label, size=_FONT, anchor="middle",
                         box=lost_w - 16))
        gx = group_r
        body.append(_arrow(gx, ly + lh / 2, lost_x, ly + lh / 2, dashed=True))
        body.append(text((gx + lost_x) / 2, ly + lh / 2 - 5, e.label, size=_SMALL,
                         anchor="middle", fill=MUTED, box=lost_x - gx))
        ly += lh + 14
    for n in lost:               # LOST stages nobody can reach by losing (no can_lose)
        if not any(e.kind == "lose" and e.target == n.id for e in d.edges):
            body.append(f'<rect x="{lost_x:.1f}" y="{ly:.1f}" width="{lost_w:.1f}" '
                        f'height="30" rx="8" fill="{LOST_FILL}" stroke="{LOST_LINE}"/>')
            body.append(text(lost_x + lost_w / 2, ly + 20, n.label, size=_FONT,
                             anchor="middle", box=lost_w - 16))
            ly += 44
    # re-entry and extra transitions: arcs on the left
    for k, e in enumerate(side):
        if e.source not in centers or e.target not in centers:
            continue
        (st, sb, _), (tt, tb, _) = centers[e.source], centers[e.target]
        sy, ty = (st + sb) / 2, (tt + tb) / 2
        ax = left - 12 - 28 * k
        tip = f"<title>{xml_escape(e.label)}</title>" if e.label else ""
        body.append(f'<g>{tip}<path d="M{x0:.1f},{sy:.1f} L{ax:.1f},{sy:.1f} '
                    f'L{ax:.1f},{ty:.1f} L{x0 - 6:.1f},{ty:.1f}" fill="none" stroke="{INK}" '
                    f'stroke-dasharray="5,3"/>{_head(x0 - 6, ty, "right")}</g>')
    y = max(y, ly) + 12
    for j, ln in enumerate(policy_lines):
        body.append(text(16, y + _SMALL_LINE * (j + 0.8), ln, size=_SMALL, fill=MUTED,
                         box=total_w - 32))
    y += _SMALL_LINE * len(policy_lines) + 12
    desc = " → ".join(by_id[i].label for i in path_ids)
    return document(total_w, y, body, title=d.title, desc=desc)


def _colours(n: Node) -> tuple[str, str]:
    if n.kind == "won":
        return WON_FILL, WON_LINE
    if n.kind == "lost":
        return LOST_FILL, LOST_LINE
    return OPEN_FILL, OPEN_LINE


def _head(x: float, y: float, direction: str) -> str:
    if direction == "down":
        pts = f"{x - 5:.1f},{y - 8:.1f} {x + 5:.1f},{y - 8:.1f} {x:.1f},{y:.1f}"
    else:
        pts = f"{x - 8:.1f},{y - 5:.1f} {x - 8:.1f},{y + 5:.1f} {x:.1f},{y:.1f}"
    return f'<polygon points="{pts}" fill="{INK}"/>'


def _arrow(x1: float, y1: float, x2: float, y2: float, *, dashed: bool) -> str:
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    direction = "down" if x1 == x2 else "right"
    end_x, end_y = (x2, y2 - 8) if direction == "down" else (x2 - 8, y2)
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{end_x:.1f}" y2="{end_y:.1f}" '
            f'stroke="{INK}" stroke-width="1.3"{dash}/>' + _head(x2, y2, direction))

