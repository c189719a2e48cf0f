"""The display contract of results: one explicit method, every view derived from it.

An object implements :meth:`Viewable._display_parts` and returns, in one language, the
parts it shows: :class:`~salesfunnel._display._table.Table` objects and, when it can be
drawn as a funnel, a :class:`~salesfunnel._display._chart.FunnelData`. From those parts

- ``table(lang)`` returns the tables,
- ``text(lang)`` and ``str()`` (English) render the tables as aligned plain text,
- ``_repr_html_()`` renders the chart as SVG and the tables as HTML for notebooks,

and :mod:`salesfunnel.viz` draws the chart and builds reports from the same parts.
Nothing guesses what an object is from its attribute names.
"""

from __future__ import annotations

from salesfunnel._display._chart import FunnelData
from salesfunnel._display._html import block, parts_html
from salesfunnel._display._table import Table, render_texts
from salesfunnel._util._i18n import check_lang

__all__ = ["Displayable", "Part", "Viewable", "chart_of", "tables_of"]

Part = Table | FunnelData


def tables_of(parts: tuple[Part, ...]) -> tuple[Table, ...]:
    """The tables among display parts."""
    return tuple(p for p in parts if isinstance(p, Table))


def chart_of(parts: tuple[Part, ...]) -> FunnelData | None:
    """The first funnel chart among display parts, if any."""
    return next((p for p in parts if isinstance(p, FunnelData)), None)


class Viewable:
    """Mixin: ``table(lang)``, ``text(lang)`` and ``_repr_html_()`` from
    :meth:`_display_parts` (``str()`` is left to the class: see :class:`Displayable`).

    Examples
    --------
    >>> class Counts(Displayable):
    ...     def _display_parts(self, lang: str) -> tuple[Part, ...]:
    ...         head = "阶段" if lang == "zh" else "stage"
    ...         return (FunnelData(["a", "b"], [4, 1]),
    ...                 Table("Counts", [head, "n"], [["a", "4"], ["b", "1"]]))
    >>> print(Counts())
    Counts
    stage  n
    -----  -
    a      4
    b      1
    >>> Counts().table("zh")[0].headers
    ('阶段', 'n')
    >>> html = Counts()._repr_html_()
    >>> html.startswith('<div class="sf-block">') and "<svg" in html and "<table" in html
    True
    """

    __slots__ = ()

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        """The tables (and funnel chart) this object shows, in ``lang``."""
        raise NotImplementedError  # pragma: no cover - every subclass implements it

    def table(self, lang: str = "en") -> tuple[Table, ...]:
        """The tables behind the plain text and the HTML, in ``lang`` (``"en"``, ``"zh"``).

        Raises
        ------
        InvalidParameterError
            If ``lang`` is not ``"en"`` or ``"zh"``.
        """
        return tables_of(self._display_parts(check_lang(lang)))

    def text(self, lang: str = "en") -> str:
        """The tables as aligned plain text in ``lang`` (``str()`` is the English text)."""
        return render_texts(self.table(lang))

    def _html(self, lang: str = "en", *, style: bool = True) -> str:
        return block(*parts_html(self._display_parts(check_lang(lang))), style=style)

    def _repr_html_(self) -> str:
        """HTML for notebooks: the funnel chart as SVG and the tables."""
        return self._html("en")


class Displayable(Viewable):
    """Mixin for results: :class:`Viewable`, and ``str()`` is ``text("en")``."""

    __slots__ = ()

    def __str__(self) -> str:
        return self.text("en")
