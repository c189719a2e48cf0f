"""Suggestions for a mistyped name: the valid options, closest first.

Every "unknown X" message in the library lists the valid names through :func:`closest`
(ordering) or :func:`listing` (the ready-made text), so they all read the same.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = ["closest", "listing"]


def closest(name: str, options: Sequence[str]) -> list[str]:
    """``options`` ordered with the closest matches to ``name`` first (ignoring case).

    Examples
    --------
    >>> closest("Qualifed", ["lead", "qualified", "won"])[0]
    'qualified'
    >>> closest("x", [])
    []
    """
    if not options:
        return []
    by_lower: dict[str, list[str]] = {}
    for option in options:
        by_lower.setdefault(option.lower(), []).append(option)
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=len(by_lower), cutoff=0.0)
    return [option for lowered in close for option in by_lower[lowered]] or list(options)


def listing(name: object, options: Sequence[str], *, limit: int | None = None) -> str:
    """The quoted options, closest to ``name`` first, comma-separated (``"none"`` if empty).

    Examples
    --------
    >>> listing("wn", ["lead", "won"])
    "'won', 'lead'"
    >>> listing("lead", ["won", "lead", "lost"], limit=1)
    "'lead', ..."
    >>> listing("a", [])
    'none'
    """
    ordered = closest(str(name), options)
    if not ordered:
        return "none"
    shown = ordered if limit is None else ordered[:limit]
    more = ", ..." if len(ordered) > len(shown) else ""
    return ", ".join(repr(o) for o in shown) + more
