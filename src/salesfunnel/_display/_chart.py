"""The data of a funnel chart, handed in by whoever draws one.

A result that can be drawn as a funnel puts a :class:`FunnelData` among its display parts
(see :mod:`salesfunnel._display._result`); the SVG here and the charts of
:mod:`salesfunnel.viz` draw it without knowing where it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from salesfunnel._display._format import format_count, format_pct
from salesfunnel._display._table import display_width
from salesfunnel.errors import InvalidParameterError

__all__ = ["FunnelData", "as_values", "fmt_count", "fmt_rate", "pad"]


def as_values(raw: Any, what: str = "counts") -> np.ndarray:
    """``raw`` as a 1-D float array of finite non-negative numbers, else
    :class:`~salesfunnel.errors.InvalidParameterError` naming ``what``."""
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


def _labels(values: Sequence[Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


@attrs.frozen
class FunnelData:
    """Per-stage values ready to draw: labels, values, step and overall rates.

    Attributes
    ----------
    labels : tuple of str
        One label per stage.
    values : numpy.ndarray
        One finite non-negative number per stage.
    title : str
        A heading for the chart (may be empty).
    note : tuple of str
        Text drawn instead of the values (a funnel definition's win probabilities);
        empty: the values are counts.

    Examples
    --------
    >>> d = FunnelData(["lead", "won"], [10, 4])
    >>> d.step.tolist()[1], d.overall.tolist()
    (0.4, [1.0, 0.4])
    """

    labels: tuple[str, ...] = attrs.field(converter=_labels)
    values: np.ndarray = attrs.field(converter=as_values, eq=attrs.cmp_using(np.array_equal))
    title: str = ""
    note: tuple[str, ...] = attrs.field(default=(), converter=_labels)

    def __attrs_post_init__(self) -> None:
        if len(self.labels) != len(self.values):
            raise InvalidParameterError(
                f"labels has {len(self.labels)} entries but there are {len(self.values)} "
                "stages", parameter="labels", value=self.labels,
            )

    def relabel(self, labels: Sequence[str] | None) -> FunnelData:
        """The same data with other labels (``None``: unchanged)."""
        return self if labels is None else attrs.evolve(self, labels=labels)

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


def pad(text: str, width: int, align: str = "<") -> str:
    """Pad ``text`` to ``width`` terminal columns (``align``: ``<``, ``>`` or ``^``)."""
    gap = max(0, width - display_width(text))
    if align == ">":
        return " " * gap + text
    if align == "^":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


def fmt_count(value: float, integral: bool) -> str:
    """A count in a chart: one decimal unless every count of the chart is whole."""
    return format_count(round(value)) if integral else f"{value:,.1f}"


def fmt_rate(value: float) -> str:
    """A rate beside a chart bar (:func:`~salesfunnel._display._format.format_pct`),
    blank where there is none (the first stage, or after a zero)."""
    return "" if not np.isfinite(value) else format_pct(value)
