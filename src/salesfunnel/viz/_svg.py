"""A standalone SVG funnel chart of counts or a result (drawn by :mod:`salesfunnel._display`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from salesfunnel._display._svg import svg_from_data
from salesfunnel.errors import InvalidParameterError
from salesfunnel.viz._data import funnel_data

__all__ = ["funnel_svg"]


def funnel_svg(
    counts_or_result: Any,
    *,
    labels: Sequence[str] | None = None,
    width: int = 640,
    lang: str = "en",
    title: str | None = None,
) -> str:
    """Draw a funnel as a standalone SVG document.

    Each stage is a trapezoid whose width is proportional to its count and tapers to
    the next stage; labels stand on the left, step and overall rates on the right.
    The document needs no stylesheet or script, so it can be written to a ``.svg``
    file, embedded in HTML or shown in a notebook.

    Parameters
    ----------
    counts_or_result : sequence, mapping, Funnel or result
        As for :func:`funnel_chart`.
    labels : sequence of str, optional
        Stage labels, overriding the ones found in the data.
    width : int
        Width of the drawing in pixels (at least 320).
    lang : str
        Language of labels taken from a funnel.
    title : str, optional
        A heading drawn above the funnel (defaults to the funnel's label, if any).

    Returns
    -------
    str
        An SVG document (``<svg xmlns="http://www.w3.org/2000/svg" ...>``).

    Raises
    ------
    InvalidParameterError
        If ``width`` is below 320 or the counts are not non-negative numbers.

    Examples
    --------
    >>> svg = funnel_svg([1000, 400, 100], labels=["lead", "demo", "won"])
    >>> svg.startswith("<svg") and svg.count("<polygon") == 3
    True
    >>> import xml.etree.ElementTree as ET
    >>> ET.fromstring(svg).tag
    '{http://www.w3.org/2000/svg}svg'
    """
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 320:
        raise InvalidParameterError(
            f"width must be an integer of at least 320 pixels; got {width!r}",
            parameter="width",
            value=width,
        )
    data = funnel_data(counts_or_result, labels=labels, lang=lang)
    return svg_from_data(data, width=int(width), title=title)
