"""What the charts accept ("counts or a result"), as one :class:`FunnelData`.

A sequence of numbers, a mapping of stage to number, :class:`FunnelData` itself, or an
object that shows a funnel chart among its display parts (a
:class:`~salesfunnel.Funnel`, a conversion result, a reverse plan: see
:mod:`salesfunnel._display._result`). Objects are asked through that one method; none is
recognised by its attribute names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from salesfunnel._display._chart import FunnelData, as_values, fmt_count, fmt_rate, pad
from salesfunnel._display._result import Viewable, chart_of
from salesfunnel._display._table import display_width
from salesfunnel._util._i18n import check_lang
from salesfunnel.errors import InvalidParameterError

__all__ = ["FunnelData", "display_width", "fmt_count", "fmt_rate", "funnel_data", "pad"]


def funnel_data(
    data: Any, *, labels: Sequence[str] | None = None, lang: str = "en"
) -> FunnelData:
    """Coerce counts, a mapping, or a displayable object into :class:`FunnelData`.

    Raises
    ------
    InvalidParameterError
        If ``data`` holds no per-stage numbers, holds negative or non-finite ones, or
        ``labels`` has the wrong length.

    Examples
    --------
    >>> funnel_data({"lead": 10, "won": 2}).labels
    ('lead', 'won')
    """
    if isinstance(data, FunnelData):
        result = data
    elif isinstance(data, Viewable):
        chart = chart_of(data._display_parts(check_lang(lang)))
        if chart is None:
            raise InvalidParameterError(
                f"a {type(data).__name__} has no funnel chart; expected per-stage counts, "
                "a Funnel, a conversion result or a reverse plan",
                parameter="counts", value=data,
            )
        result = chart
    elif isinstance(data, Mapping):
        result = FunnelData([str(k) for k in data], as_values(list(data.values())))
    elif isinstance(data, np.ndarray | Sequence) and not isinstance(data, str | bytes):
        values = as_values(data)
        names = labels if labels is not None else [str(i) for i in range(1, len(values) + 1)]
        result = FunnelData(names, values)
    else:
        raise InvalidParameterError(
            "expected per-stage counts: a sequence of numbers, a mapping of stage to "
            f"count, a Funnel, a conversion result or a reverse plan; got "
            f"{type(data).__name__}",
            parameter="counts",
            value=data,
        )
    return result.relabel(labels)
