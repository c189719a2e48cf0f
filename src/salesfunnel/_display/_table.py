"""The one table model behind the plain-text and HTML display of results.

A result builds its :class:`Table` objects once, in ``_display_parts(lang)`` (see
:mod:`salesfunnel._display._result`); :func:`render_text` turns one into the aligned plain
text of ``str(result)`` and :func:`salesfunnel._display._html.table_html` into an HTML
``<table>`` for notebooks and reports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import attrs

from salesfunnel.errors import InvalidParameterError

__all__ = ["Table", "display_width", "render_text", "render_texts"]


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (wide East Asian characters count twice).

    Examples
    --------
    >>> display_width("lead"), display_width("线索")
    (4, 4)
    """
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


_NUMBER = re.compile(r"[+\-−]?[\d.]")


def _numeric_column(cells: Iterable[str]) -> bool:
    """Every cell that is not blank or missing starts like a number (none: numeric)."""
    return all(_NUMBER.match(c.strip()) for c in cells if c.strip() not in ("", "—"))


def _cells(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _rows(rows: Iterable[Iterable[object]]) -> tuple[tuple[str, ...], ...]:
    return tuple(_cells(r) for r in rows)


@attrs.frozen
class Table:
    """A titled table of text cells, with notes under it.

    Attributes
    ----------
    title : str
        Lines above the table (may be empty or hold several lines).
    headers : tuple of str
        Column headings (empty: no table, only the title and notes).
    rows : tuple of tuples of str
        The formatted cells, one tuple per row, each as long as ``headers``.
    notes : tuple of str
        Lines under the table.
    align : str
        ``"<"`` (left) or ``">"`` (right) per column; empty: the first column left, and
        each other column right when its cells are numbers (a sign, then a digit) and
        left when they are text. Right-aligned columns hold numbers.

    Examples
    --------
    >>> t = Table("Stages", ["stage", "count"], [["lead", "10"], ["won", "2"]],
    ...           notes=["2 stages"])
    >>> t.align
    '<>'
    >>> print(render_text(t))
    Stages
    stage  count
    -----  -----
    lead      10
    won        2
    2 stages
    """

    title: str
    headers: tuple[str, ...] = attrs.field(converter=_cells)
    rows: tuple[tuple[str, ...], ...] = attrs.field(converter=_rows)
    notes: tuple[str, ...] = attrs.field(default=(), converter=_cells, kw_only=True)
    align: str = attrs.field(default="", kw_only=True)

    def __attrs_post_init__(self) -> None:
        n = len(self.headers)
        for i, row in enumerate(self.rows):
            if len(row) != n:
                raise InvalidParameterError(
                    f"row {i} of table {self.title!r} has {len(row)} cells; expected {n} "
                    "(one per header)", parameter="rows", value=row,
                )
        if not self.align:
            object.__setattr__(self, "align", "".join(
                "<" if j == 0 or not _numeric_column(r[j] for r in self.rows) else ">"
                for j in range(n)))
        elif len(self.align) != n or set(self.align) - {"<", ">"}:
            raise InvalidParameterError(
                f"align must give '<' or '>' for each of the {n} columns; got {self.align!r}",
                parameter="align", value=self.align,
            )

    def __str__(self) -> str:
        return render_text(self)


def render_text(table: Table) -> str:
    """``table`` as aligned plain text: title, headers, a rule, the rows, then the notes.

    Widths are terminal columns (see :func:`display_width`); trailing spaces are dropped.
    """
    lines = [table.title] if table.title else []
    if table.headers:
        widths = [display_width(h) for h in table.headers]
        for row in table.rows:
            widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]

        def line(cells: Sequence[str]) -> str:
            out = []
            for cell, w, a in zip(cells, widths, table.align, strict=True):
                gap = " " * (w - display_width(cell))
                out.append(cell + gap if a == "<" else gap + cell)
            return "  ".join(out).rstrip()

        lines.append(line(table.headers))
        lines.append(line(["-" * w for w in widths]))
        lines.extend(line(r) for r in table.rows)
    lines.extend(table.notes)
    return "\n".join(lines)


def render_texts(tables: Iterable[Table]) -> str:
    """Several tables as plain text, one after the other."""
    return "\n".join(render_text(t) for t in tables)
