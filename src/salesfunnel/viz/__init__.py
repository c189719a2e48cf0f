"""Rendering: funnel charts for terminals, SVG and HTML for notebooks and reports.

Text, SVG and HTML need nothing beyond the standard library; :func:`plot` needs
matplotlib (``pip install 'salesfunnel[plot]'``) and :func:`to_plotly` needs plotly
(``pip install 'salesfunnel[plotly]'``), both imported only when called.

Every function takes "counts or a result": a sequence of counts, a mapping of stage
to count, a :class:`~salesfunnel.Funnel` (drawn as its shape with win
probabilities), or a result with per-stage counts such as a conversion result or a
reverse plan. Funnels, metric results and plans also show themselves as HTML in
Jupyter through ``_repr_html_``, which calls :func:`to_html`.

Examples
--------
>>> from salesfunnel.viz import funnel_chart
>>> print(funnel_chart([200, 50], labels=["visits", "signups"], width=10))
stage    funnel      count    step  overall
visits   ██████████    200           100.0%
signups     ██▌         50   25.0%    25.0%
"""

from salesfunnel.viz._diagram import diagram_svg
from salesfunnel.viz._html import html_report, html_table, to_html
from salesfunnel.viz._mpl import plot
from salesfunnel.viz._plotly import to_plotly
from salesfunnel.viz._svg import funnel_svg
from salesfunnel.viz._text import funnel_chart

__all__ = [
    "diagram_svg",
    "funnel_chart",
    "funnel_svg",
    "html_report",
    "html_table",
    "plot",
    "to_html",
    "to_plotly",
]
