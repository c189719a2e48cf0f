"""Argument checks, plain-text tables and result plumbing shared by the planner modules."""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real
from typing import Any, cast

import attrs

from salesfunnel._display._format import format_count, format_pct
from salesfunnel._display._result import Displayable
from salesfunnel._util._json import to_json_value
from salesfunnel.errors import PlanError

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

    Labels become their mapping, tuples lists and NaN ``None``: the form is strict JSON
    (see :func:`salesfunnel._util._json.to_json_value`).
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON form: one key per field, in field order."""
        fields = attrs.fields(cast("type[attrs.AttrsInstance]", type(self)))
        return {f.name: to_json_value(getattr(self, f.name)) for f in fields}


#: Planner results are :class:`~salesfunnel._display._result.Displayable`: each implements
#: ``_display_parts(lang)``; ``table(lang)``, ``text(lang)``, ``str()`` and the notebook
#: HTML come from it.
Report = Displayable


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


def plan_error(parameter: str, value: Any, expected: str, *, where: str) -> PlanError:
    """The :class:`PlanError` for a bad ``parameter`` of ``where``."""
    return PlanError(
        f"the {parameter!r} parameter of {where} must be {expected}; got {value!r}",
        parameter=parameter, value=value,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_number(
    value: Any,
    parameter: str,
    where: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    expected: str | None = None,
) -> float:
    """``value`` as a finite float within the bounds, else :class:`PlanError`."""
    ok = _is_number(value) and math.isfinite(float(value))
    if ok:
        v = float(value)
        if low is not None and (v < low or (low_open and v == low)):
            ok = False
        if high is not None and (v > high or (high_open and v == high)):
            ok = False
    if not ok:
        if expected is None:
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            expected = (
                f"a number in {'(' if low_open or low is None else '['}{lo}, "
                f"{hi}{')' if high_open or high is None else ']'}"
            )
        raise plan_error(parameter, value, expected, where=where)
    return float(value)


def check_rate(value: Any, parameter: str, where: str) -> float:
    """A conversion rate in (0, 1]."""
    return check_number(
        value, parameter, where, low=0.0, high=1.0, low_open=True,
        expected="a rate in (0, 1] (e.g. 0.1 for 10 %)",
    )


def check_int(value: Any, parameter: str, where: str, *, low: int = 1) -> int:
    """An integer ``>= low``."""
    ok = _is_number(value) and math.isfinite(float(value)) and float(value) == int(float(value))
    if not ok or int(float(value)) < low:
        raise plan_error(parameter, value, f"an integer >= {low}", where=where)
    return int(float(value))


def ceil_count(x: float) -> float:
    """Round a count up, ignoring floating-point noise (``1000.0000000001`` -> 1000)."""
    return float(math.ceil(x - (1e-9 + 1e-12 * abs(x))))


#: The display layer's count and percent formats, under the planner's names.
fmt_count = format_count
fmt_pct = format_pct
