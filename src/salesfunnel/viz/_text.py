"""A Unicode funnel chart for terminals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from salesfunnel._util._i18n import word
from salesfunnel.errors import InvalidParameterError
from salesfunnel.viz._data import display_width, fmt_count, fmt_rate, funnel_data, pad

__all__ = ["funnel_chart"]

_FULL = "█"
_HALF = "▌"


def _bar(fraction: float, width: int, positive: bool) -> str:
    """A bar centred in ``width`` columns, in half-column steps, never empty when > 0."""
    halves = round(fraction * width * 2)
    if positive:
        halves = max(halves, 1)
    full, half = divmod(halves, 2)
    body = _FULL * full + (_HALF if half else "")
    used = full + half
    left = (width - used) // 2
    return " " * left + body + " " * (width - used - left)


def funnel_chart(
    counts_or_result: Any,
    *,
    labels: Sequence[str] | None = None,
    width: int = 60,
    lang: str = "en",
    title: str | None = None,
) -> str:
    """Draw a funnel with Unicode blocks: bar widths proportional to the counts.

    Beside each bar stand the count, the step rate (this stage over the previous
    one) and the overall rate (this stage over the first). A :class:`~salesfunnel.Funnel`
    is drawn as its shape with each stage's win probability.

    Parameters
    ----------
    counts_or_result : sequence, mapping, Funnel or result
        Counts per stage (a sequence, or a mapping of stage to count), a funnel, or a
        result carrying per-stage counts (conversion results, a reverse plan).
    labels : sequence of str, optional
        Stage labels, overriding the ones found in the data.
    width : int
        Columns for the widest bar (at least 10).
    lang : str
        Language of the stage labels taken from a funnel (``"en"`` or ``"zh"``).
    title : str, optional
        A line printed above the chart.

    Returns
    -------
    str
        The chart, one line per stage plus a header, without a trailing newline.

    Raises
    ------
    InvalidParameterError
        If ``width`` is not an integer of at least 10, or the counts are not
        non-negative numbers.

    Examples
    --------
    >>> print(funnel_chart({"lead": 1000, "qualified": 500, "won": 125}, width=20))
    stage      funnel                count    step  overall
    lead       ████████████████████  1,000           100.0%
    qualified       ██████████         500   50.0%    50.0%
    won                ██▌             125   25.0%    12.5%
    """
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 10:
        raise InvalidParameterError(
            f"width must be an integer of at least 10 columns; got {width!r}",
            parameter="width",
            value=width,
        )
    width = int(width)
    data = funnel_data(counts_or_result, labels=labels, lang=lang)
    lines: list[str] = []
    head = title if title is not None else data.title
    if head:
        lines.append(head)
    w_stage, w_funnel, w_count, w_step, w_overall, w_prob = (
        word(key, lang) for key in ("stage", "funnel", "count", "step", "overall", "win prob"))
    label_w = max([display_width(w_stage), *(display_width(x) for x in data.labels)])
    fractions = data.fractions
    if data.note:  # a funnel definition: its shape and the win probability of each stage
        lines.append(f"{pad(w_stage, label_w)}  {pad(w_funnel, width)}  {pad(w_prob, 8, '>')}")
        for label, frac, note in zip(data.labels, fractions, data.note, strict=True):
            lines.append(f"{pad(label, label_w)}  {_bar(frac, width, True)}  {note:>8}")
        return "\n".join(line.rstrip() for line in lines)
    integral = bool(np.all(data.values == np.round(data.values)))
    counts = [fmt_count(v, integral) for v in data.values]
    count_w = max([5, *(len(c) for c in counts)])
    step, overall = data.step, data.overall
    lines.append(
        f"{pad(w_stage, label_w)}  {pad(w_funnel, width)}  {pad(w_count, count_w, '>')}  "
        f"{pad(w_step, 6, '>')}  {pad(w_overall, 7, '>')}"
    )
    for k, label in enumerate(data.labels):
        bar = _bar(float(fractions[k]), width, bool(data.values[k] > 0))
        lines.append(
            f"{pad(label, label_w)}  {bar}  {counts[k]:>{count_w}}  "
            f"{fmt_rate(step[k]):>6}  {fmt_rate(overall[k]):>7}"
        )
    return "\n".join(line.rstrip() for line in lines)
