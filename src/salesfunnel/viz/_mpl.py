"""Optional matplotlib rendering (extra ``plot``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from salesfunnel._display._svgkit import INK, MUTED, text_on
from salesfunnel._util._i18n import word
from salesfunnel._util._optional import import_optional
from salesfunnel.viz._data import fmt_count, fmt_rate, funnel_data

__all__ = ["plot"]


def plot(
    counts_or_result: Any,
    *,
    ax: Any = None,
    labels: Sequence[str] | None = None,
    lang: str = "en",
    title: str | None = None,
    color: str = "#1f4e79",
) -> Any:
    """Draw a funnel with matplotlib: centred horizontal bars, counts and step rates.

    Parameters
    ----------
    counts_or_result : sequence, mapping, Funnel or result
        As for :func:`~salesfunnel.viz.funnel_chart`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    labels : sequence of str, optional
        Stage labels, overriding the ones found in the data.
    lang : str
        Language of labels taken from a funnel.
    title : str, optional
        Axes title (defaults to the funnel's label, if any).
    color : str
        Bar colour.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed (``pip install 'salesfunnel[plot]'``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot({"lead": 1000, "demo": 300, "won": 60})
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['lead', 'demo', 'won']
    """
    data = funnel_data(counts_or_result, labels=labels, lang=lang)
    plt = import_optional("matplotlib.pyplot", "plot", purpose="plot()")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.55 * len(data.labels) + 1.2))
    n = len(data.labels)
    frac = data.fractions
    ys = list(range(n))[::-1]
    widths = [max(float(f), 0.004) for f in frac]
    ax.barh(ys, widths, left=[-w / 2 for w in widths], color=color, height=0.8)
    integral = bool((data.values == data.values.round()).all())
    step = data.step
    colors = import_optional("matplotlib.colors", "plot", purpose="plot()")
    on_bar = text_on("#{:02x}{:02x}{:02x}".format(*(round(255 * c)
                                                     for c in colors.to_rgb(color))))
    for k, y in enumerate(ys):
        text = data.note[k] if data.note else fmt_count(float(data.values[k]), integral)
        if widths[k] > 0.15:      # inside the bar, in the colour that reads on it
            ax.text(0, y, text, ha="center", va="center", color=on_bar, fontweight="bold",
                    fontsize=9)
        else:                     # beside a narrow bar, in ink on the white background
            ax.text(widths[k] / 2 + 0.01, y, text, ha="left", va="center", color=INK,
                    fontweight="bold", fontsize=9)
        if not data.note and k > 0 and fmt_rate(step[k]):
            ax.text(0.53, y, word("chart.of_previous", lang).format(fmt_rate(step[k])),
                    ha="left", va="center", fontsize=8, color=MUTED)
    ax.set_yticks(ys, list(data.labels))
    ax.set_xlim(-0.55, 0.85 if not data.note else 0.55)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    head = title if title is not None else data.title
    if head:
        ax.set_title(head)
    return ax
