"""Argument checks, plain-text tables and result plumbing shared by the planner modules."""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import partial
from typing import Any, cast

import attrs

from salesfunnel._display._table import Table, render_texts
from salesfunnel._util._validate import check_int as _check_int
from salesfunnel._util._validate import check_number as _check_number
from salesfunnel._util._validate import invalid
from salesfunnel.errors import PlanError
from salesfunnel.model import Labels

__all__ = [
    "Report",
    "Row",
    "ceil_count",
    "check_int",
    "check_number",
    "check_rate",
    "fmt_count",
    "fmt_pct",
    "plan_error",
    "rows_frame",
]


class Row:
    """Mixin for the frozen attrs rows of a result: ``to_dict`` from the fields.

    Labels become their mapping and tuples lists, so the form is JSON-safe.
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: one key per field, in field order."""
        fields = attrs.fields(cast("type[attrs.AttrsInstance]", type(self)))
        return {f.name: _plain(getattr(self, f.name)) for f in fields}


def _plain(value: Any) -> Any:
    if isinstance(value, Labels):
        return value.to_dict()
    if isinstance(value, tuple):
        return list(value)
    return value


class Report:
    """Mixin for result objects: ``str()`` is :meth:`table` in English; notebooks render
    the HTML of :mod:`salesfunnel.viz`. Both come from the result's ``_tables(lang)``."""

    __slots__ = ()

    def _tables(self, lang: str = "en") -> tuple[Table, ...]:
        raise NotImplementedError

    def table(self, lang: str = "en") -> str:
        """Plain text in ``lang`` (``"en"`` or ``"zh"``)."""
        return render_texts(self._tables(lang))

    def __str__(self) -> str:
        return self.table("en")

    def _repr_html_(self) -> str:  # notebook display; rendering lives in salesfunnel.viz
        from salesfunnel.viz._html import repr_html

        return repr_html(self)


def rows_frame(
    rows: Iterable[Any], row_type: type[attrs.AttrsInstance], *, index: str, purpose: str
) -> Any:
    """Rows (with a ``label``) as a :class:`pandas.DataFrame` indexed by ``index``.

    The columns are the fields of ``row_type``, so no rows still give the right columns;
    the label is its text.
    """
    from salesfunnel._util._optional import import_optional

    pd = import_optional("pandas", "pandas", purpose=purpose)
    recs = [r.to_dict() | {"label": r.label.text()} for r in rows]
    columns = [f.name for f in attrs.fields(row_type)]
    return pd.DataFrame.from_records(recs, columns=columns).set_index(index)


#: The planner's argument checks: the family of :mod:`salesfunnel._util._validate`
#: raising :class:`~salesfunnel.errors.PlanError` (``check_int`` defaults to ``low=1``,
#: ``check_rate`` accepts a conversion rate in (0, 1]).
plan_error = partial(invalid, error=PlanError)
check_number = partial(_check_number, error=PlanError)
check_int = partial(_check_int, low=1, error=PlanError)
check_rate = partial(_check_number, low=0.0, high=1.0, low_open=True,
                     expected="a rate in (0, 1] (e.g. 0.1 for 10 %)", error=PlanError)


def ceil_count(x: float) -> float:
    """Round a count up, ignoring floating-point noise (``1000.0000000001`` -> 1000)."""
    return float(math.ceil(x - (1e-9 + 1e-12 * abs(x))))


def fmt_count(x: float | None) -> str:
    """A count: whole numbers without decimals, others with one (``83.3``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x - round(x)) < 1e-9 * max(1.0, abs(x)):
        return f"{round(x):,}"
    return f"{x:,.1f}"


def fmt_pct(x: float | None) -> str:
    """A rate as a percentage with up to one decimal (``10%``, ``12.5%``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    s = f"{100 * x:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return f"{s}%"
