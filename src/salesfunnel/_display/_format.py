"""The one missing-value marker, percent format and count format of every display."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MISSING", "format_count", "format_pct", "is_missing"]

#: What a table shows for a value that is missing or undefined (NaN, None).
MISSING = "—"


def is_missing(value: Any) -> bool:
    """``None`` or a float that is not finite."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def format_pct(value: float | None, digits: int = 1, *, signed: bool = False) -> str:
    """A rate as a percentage with ``digits`` decimals; :data:`MISSING` for NaN/None.

    Examples
    --------
    >>> format_pct(0.4), format_pct(0.125, 0), format_pct(0.05, signed=True)
    ('40.0%', '12%', '+5.0%')
    >>> format_pct(float("nan"))
    '—'
    """
    if is_missing(value):
        return MISSING
    assert value is not None
    return f"{100.0 * float(value):{'+' if signed else ''}.{digits}f}%"


def format_count(value: float | None) -> str:
    """A count with thousands separators: whole numbers without decimals, others with
    one; :data:`MISSING` for NaN/None.

    Examples
    --------
    >>> format_count(1234), format_count(83.33), format_count(None)
    ('1,234', '83.3', '—')
    """
    if is_missing(value):
        return MISSING
    assert value is not None
    x = float(value)
    if abs(x - round(x)) < 1e-9 * max(1.0, abs(x)):
        return f"{round(x):,}"
    return f"{x:,.1f}"
