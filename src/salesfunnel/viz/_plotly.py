"""Optional plotly rendering (extra ``plotly``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from salesfunnel._util._optional import import_optional
from salesfunnel.viz._data import funnel_data

__all__ = ["to_plotly"]


def to_plotly(
    counts_or_result: Any,
    *,
    labels: Sequence[str] | None = None,
    lang: str = "en",
    title: str | None = None,
) -> Any:
    """A plotly funnel figure (``go.Funnel``) with counts, step and overall rates.

    Parameters
    ----------
    counts_or_result : sequence, mapping, Funnel or result
        As for :func:`~salesfunnel.viz.funnel_chart`.
    labels : sequence of str, optional
        Stage labels, overriding the ones found in the data.
    lang : str
        Language of labels taken from a funnel.
    title : str, optional
        Figure title (defaults to the funnel's label, if any).

    Returns
    -------
    plotly.graph_objects.Figure
        The figure; call ``.show()`` or ``.write_html(path)``.

    Raises
    ------
    MissingDependencyError
        If plotly is not installed (``pip install 'salesfunnel[plotly]'``).

    Examples
    --------
    >>> try:
    ...     fig = to_plotly([1000, 300, 60], labels=["lead", "demo", "won"])
    ... except ImportError as missing:
    ...     print("salesfunnel[plotly]" in str(missing))
    ... else:
    ...     print(list(fig.data[0].y) == ["lead", "demo", "won"])
    True
    """
    data = funnel_data(counts_or_result, labels=labels, lang=lang)
    go = import_optional("plotly.graph_objects", "plotly", purpose="to_plotly()")
    head = title if title is not None else data.title
    trace = go.Funnel(
        y=list(data.labels),
        x=[float(v) for v in data.values],
        textinfo="value+percent previous+percent initial",
    )
    fig = go.Figure(trace)
    if head:
        fig.update_layout(title=head)
    return fig
