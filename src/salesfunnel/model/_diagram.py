"""A funnel as a diagram: one graph description, written as Mermaid or Graphviz DOT.

:func:`diagram` turns a funnel into nodes (its stages, WON and LOST marked), edges (the
main path with each move's gates as its label, losing from any open stage, re-entry
after WON, extra transitions) and the policy a diagram cannot draw edge by edge
(skipping ahead, falling back). :func:`to_mermaid` and :func:`to_dot` write it; the SVG
of :func:`salesfunnel.viz.diagram_svg` draws the same graph.
"""

from __future__ import annotations

import itertools
from typing import Any

import attrs

from salesfunnel._util._i18n import check_lang, word

__all__ = ["Diagram", "Edge", "Node", "diagram", "to_dot", "to_mermaid"]

WON_FILL, WON_LINE = "#d8f3dc", "#2f855a"
LOST_FILL, LOST_LINE = "#fde2e1", "#9b2c2c"
OPEN_FILL, OPEN_LINE = "#eef3f8", "#1f4e79"


@attrs.frozen
class Node:
    """A stage: its id in the diagram, its stage name, label and kind (open/won/lost)."""

    id: str
    name: str
    label: str
    kind: str


@attrs.frozen
class Edge:
    """A move. ``source`` ``None`` means "from any open stage" (losing).

    ``kind`` is ``"advance"``, ``"lose"``, ``"reenter"`` or ``"explicit"``; ``label``
    holds the gates checked on the move (empty: none).
    """

    source: str | None
    target: str
    kind: str
    label: str = ""


@attrs.frozen
class Diagram:
    """Nodes, edges, the policy notes and the title of a funnel diagram."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    policy: tuple[str, ...]
    open_group: str


def _gates(gates: Any, lang: str) -> str:
    """The gates of a move, short: each one's rule (or name); ``describe`` has the words."""
    return "; ".join(g.rule if g.rule is not None else g.name for g in gates)


def diagram(funnel: Any, lang: str = "en") -> Diagram:
    """The graph of ``funnel`` with labels in ``lang``."""
    check_lang(lang)
    ids = {s.name: f"s{k}" for k, s in enumerate(funnel.stages)}
    nodes = tuple(Node(ids[s.name], s.name, s.label.text(lang) or s.name, s.kind.value)
                  for s in funnel.stages)
    edges: list[Edge] = []
    path = funnel.path
    for a, b in itertools.pairwise(path):
        edges.append(Edge(ids[a.name], ids[b.name], "advance",
                          _gates(funnel.gates_for(a.name, b.name), lang)))
    if funnel.can_lose:
        edges.extend(Edge(None, ids[s.name], "lose", word("diagram.lose", lang))
                     for s in funnel.lost)
    if funnel.reentry is not None:
        edges.append(Edge(ids[funnel.won.name], ids[funnel.reentry], "reenter",
                          word("diagram.reenter", lang)))
    for t in funnel.transitions:
        text = t.label.text(lang) if t.label else ""
        gates = _gates(t.gates, lang)
        edges.append(Edge(ids[t.source], ids[t.target], "explicit",
                          "; ".join(x for x in (text, gates) if x)))
    policy = [word("funnel.advance", lang)]
    for flag in ("skip_ahead", "fall_back", "expanding"):
        if getattr(funnel, flag):
            policy.append(word(f"funnel.{flag}", lang))
    title = funnel.label.text(lang) or funnel.name
    return Diagram(title, nodes, tuple(edges), tuple(policy), word("diagram.open", lang))


def _mermaid_text(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def to_mermaid(funnel: Any, lang: str = "en") -> str:
    """A Mermaid flowchart of ``funnel`` (see :meth:`salesfunnel.Funnel.to_mermaid`)."""
    d = diagram(funnel, lang)
    out = ["flowchart TD", f"    %% {d.title}"]
    open_nodes = [n for n in d.nodes if n.kind == "open"]
    out.append(f"    subgraph open_stages [{_mermaid_text(d.open_group)}]")
    out += [f"        {n.id}[{_mermaid_text(n.label)}]" for n in open_nodes]
    out.append("    end")
    for n in d.nodes:
        if n.kind == "won":
            out.append(f"    {n.id}([{_mermaid_text(n.label)}]):::won")
        elif n.kind == "lost":
            out.append(f"    {n.id}[/{_mermaid_text(n.label)}/]:::lost")
    for e in d.edges:
        source = "open_stages" if e.source is None else e.source
        arrow = "-->" if e.kind == "advance" else "-.->"
        label = f"|{_mermaid_text(e.label)}|" if e.label else ""
        out.append(f"    {source} {arrow}{label} {e.target}")
    out.append(f"    policy>{_mermaid_text(' · '.join(d.policy))}]:::policy")
    out.append(f"    classDef won fill:{WON_FILL},stroke:{WON_LINE},stroke-width:2px")
    out.append(f"    classDef lost fill:{LOST_FILL},stroke:{LOST_LINE}")
    out.append("    classDef policy fill:#fffbea,stroke:#f0b429")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(funnel: Any, lang: str = "en") -> str:
    """A Graphviz DOT digraph of ``funnel`` (see :meth:`salesfunnel.Funnel.to_dot`)."""
    d = diagram(funnel, lang)
    out = [f"digraph {_dot_text(funnel.name)} {{",
           f"    label={_dot_text(d.title)}; labelloc=t; rankdir=TB; compound=true;",
           '    node [shape=box, style="rounded,filled", fontname="Helvetica", '
           f'fillcolor="{OPEN_FILL}", color="{OPEN_LINE}"];',
           '    edge [fontname="Helvetica", fontsize=10];',
           f"    subgraph cluster_open {{ label={_dot_text(d.open_group)}; style=dashed; "
           'color="#9fb3c8";']
    open_nodes = [n for n in d.nodes if n.kind == "open"]
    out += [f"        {n.id} [label={_dot_text(n.label)}];" for n in open_nodes]
    out.append("    }")
    for n in d.nodes:
        if n.kind == "won":
            out.append(f'    {n.id} [label={_dot_text(n.label)}, fillcolor="{WON_FILL}", '
                       f'color="{WON_LINE}", penwidth=2, peripheries=2];')
        elif n.kind == "lost":
            out.append(f'    {n.id} [label={_dot_text(n.label)}, fillcolor="{LOST_FILL}", '
                       f'color="{LOST_LINE}"];')
    anchor = open_nodes[-1].id if open_nodes else None
    for e in d.edges:
        attrs_ = [] if not e.label else [f"label={_dot_text(e.label)}"]
        if e.kind != "advance":
            attrs_.append("style=dashed")
        if e.source is None:
            if anchor is None:
                continue
            attrs_.append("ltail=cluster_open")
            source = anchor
        else:
            source = e.source
        out.append(f"    {source} -> {e.target}" + (f" [{', '.join(attrs_)}]" if attrs_
                                                      else "") + ";")
    out.append(f"    policy [shape=note, label={_dot_text(' · '.join(d.policy))}, "
               'fillcolor="#fffbea", color="#f0b429"];')
    out.append("}")
    return "\n".join(out) + "\n"
