"""Normalise what the renderers accept into one small structure.

Every chart takes "counts or a result": a sequence of numbers, a mapping of stage to
number, a :class:`~salesfunnel.Funnel` (drawn as its shape, annotated with win
probabilities), or any result object that carries per-stage counts (the conversion
results of :mod:`salesfunnel.metrics`, a reverse :class:`~salesfunnel.planner.Plan`).
Result objects are read by duck typing so that viz stays the top layer and never
needs the lower layers at import time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from salesfunnel._display._table import display_width
from salesfunnel.errors import InvalidParameterError

__all__ = ["FunnelData", "display_width", "fmt_count", "fmt_rate", "funnel_data", "pad"]

# Attributes looked up, in order, on result objects.
_COUNT_ATTRS = ("counts", "reached", "required", "values")
_LABEL_ATTRS = ("labels", "stages", "stage_names", "names")


@attrs.frozen
class FunnelData:
    """Per-stage values ready to draw: labels, values, step and overall rates."""

    labels: tuple[str, ...]
    values: np.ndarray
    title: str = ""
    note: tuple[str, ...] = ()

    @property
    def step(self) -> np.ndarray:
        """``values[k] / values[k - 1]`` (NaN for the first stage or a zero before)."""
        out = np.full(len(self.values), np.nan)
        if len(self.values) > 1:
            prev = self.values[:-1]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[1:] = np.where(prev > 0, self.values[1:] / np.where(prev > 0, prev, 1), np.nan)
        return out

    @property
    def overall(self) -> np.ndarray:
        """``values[k] / values[0]`` (NaN when the first value is zero)."""
        if not len(self.values) or not self.values[0] > 0:
            return np.full(len(self.values), np.nan)
        out: np.ndarray = self.values / self.values[0]
        return out

    @property
    def fractions(self) -> np.ndarray:
        """Values scaled to the largest one (0 when everything is zero)."""
        top = float(np.max(self.values)) if len(self.values) else 0.0
        if not top > 0:
            return np.zeros(len(self.values))
        return np.clip(self.values / top, 0.0, 1.0)


def _label_text(value: Any, lang: str) -> str:
    text = getattr(value, "label", None)
    if text is not None and hasattr(text, "text"):
        return str(text.text(lang))
    if hasattr(value, "text") and callable(value.text):
        return str(value.text(lang))
    if hasattr(value, "name") and isinstance(value.name, str):
        return value.name
    return str(value)


def _as_values(raw: Any, what: str) -> np.ndarray:
    try:
        values = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{what} must be numbers; got {raw!r}", parameter="counts", value=raw
        ) from None
    if values.ndim != 1:
        raise InvalidParameterError(
            f"{what} must be one number per stage (1-D); got shape {values.shape}",
            parameter="counts",
            value=raw,
        )
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        first = values[bad][0]
        raise InvalidParameterError(
            f"{what} must be finite and non-negative; got {first!r} at position "
            f"{int(np.flatnonzero(bad)[0])}",
            parameter="counts",
            value=raw,
        )
    return values


def _from_funnel(funnel: Any, lang: str) -> FunnelData:
    path = funnel.path
    n = len(path)
    # A schematic shape: equal steps down (or up for an expanding funnel).
    shape = np.linspace(1.0, 0.35, n) if n > 1 else np.ones(1)
    if funnel.expanding:
        shape = shape[::-1].copy()
    notes = tuple(
        "" if s.probability is None else f"{s.probability:.0%}" for s in path
    )
    return FunnelData(
        labels=tuple(_label_text(s, lang) for s in path),
        values=shape,
        title=funnel.label.text(lang) or funnel.name,
        note=notes,
    )


def _has_rows(data: Any) -> bool:
    rows = getattr(data, "rows", None)
    return (
        isinstance(rows, Sequence) and len(rows) > 0
        and all(hasattr(r, "total") for r in rows)
    )


def funnel_data(
    data: Any, *, labels: Sequence[str] | None = None, lang: str = "en"
) -> FunnelData:
    """Coerce counts, a mapping, a funnel or a result object into :class:`FunnelData`.

    Raises
    ------
    InvalidParameterError
        If ``data`` holds no per-stage numbers, holds negative or non-finite ones, or
        ``labels`` has the wrong length.
    """
    from salesfunnel.model import Funnel

    title = ""
    names: Sequence[str] | None = None
    if isinstance(data, FunnelData | Funnel):
        result = data if isinstance(data, FunnelData) else _from_funnel(data, lang)
        if labels is not None:
            if len(labels) != len(result.values):
                raise InvalidParameterError(
                    f"labels has {len(labels)} entries but there are {len(result.values)} "
                    "stages",
                    parameter="labels",
                    value=labels,
                )
            result = attrs.evolve(result, labels=tuple(str(x) for x in labels))
        return result
    if isinstance(data, Mapping):
        names = [str(k) for k in data]
        values = _as_values(list(data.values()), "counts")
    elif isinstance(data, np.ndarray | Sequence) and not isinstance(data, str | bytes):
        values = _as_values(data, "counts")
    elif _has_rows(data):  # a plan: one row per stage with the total needed there
        names = [_label_text(r, lang) or str(getattr(r, "stage", "")) for r in data.rows]
        values = _as_values([r.total for r in data.rows], f"{type(data).__name__}.rows")
    else:
        raw = next((getattr(data, a) for a in _COUNT_ATTRS if hasattr(data, a)), None)
        if raw is None:
            raise InvalidParameterError(
                "expected per-stage counts: a sequence of numbers, a mapping of stage to "
                f"count, a Funnel, or a result with a 'counts' attribute; got "
                f"{type(data).__name__}",
                parameter="counts",
                value=data,
            )
        if isinstance(raw, Mapping):
            names = [str(k) for k in raw]
            raw = list(raw.values())
        values = _as_values(raw, f"{type(data).__name__}.counts")
        if names is None:
            found = next((getattr(data, a) for a in _LABEL_ATTRS if hasattr(data, a)), None)
            funnel = getattr(data, "funnel", None)
            if found is not None and len(found) == len(values):
                names = [_label_text(s, lang) for s in found]
            elif funnel is not None and hasattr(funnel, "path"):
                stages = funnel.stages if len(funnel.stages) == len(values) else funnel.path
                if len(stages) == len(values):
                    names = [_label_text(s, lang) for s in stages]
        funnel = getattr(data, "funnel", None)
        if funnel is not None and hasattr(funnel, "label"):
            title = funnel.label.text(lang) or getattr(funnel, "name", "")
    if labels is not None:
        names = [str(x) for x in labels]
    if names is None:
        names = [str(i) for i in range(1, len(values) + 1)]
    if len(names) != len(values):
        raise InvalidParameterError(
            f"labels has {len(names)} entries but there are {len(values)} stages",
            parameter="labels",
            value=labels,
        )
    return FunnelData(labels=tuple(names), values=values, title=title)


def pad(text: str, width: int, align: str = "<") -> str:
    """Pad ``text`` to ``width`` terminal columns (``align``: ``<``, ``>`` or ``^``)."""
    gap = max(0, width - display_width(text))
    if align == ">":
        return " " * gap + text
    if align == "^":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


def fmt_count(value: float, integral: bool) -> str:
    """A count with thousands separators (one decimal unless all counts are whole)."""
    return f"{value:,.0f}" if integral else f"{value:,.1f}"


def fmt_rate(value: float) -> str:
    """A rate as a percentage with one decimal, or an empty string for NaN."""
    return "" if not np.isfinite(value) else f"{value:.1%}"
