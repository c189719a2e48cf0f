"""Argument checks, plain-text tables and result plumbing shared by the planner modules."""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import partial
from typing import Any, cast

import attrs

from salesfunnel._display._format import format_count, format_pct
from salesfunnel._display._result import Displayable
from salesfunnel._util._i18n import WORDS, word
from salesfunnel._util._json import to_json_value
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
    "format_count",
    "format_pct",
    "plan_error",
    "rows_frame",
    "whole",
    "word",
    "word_labels",
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


#: The planner's argument checks: the family of :mod:`salesfunnel._util._validate`
#: raising :class:`~salesfunnel.errors.PlanError` (``check_int`` defaults to ``low=1``,
#: ``check_rate`` accepts a conversion rate in (0, 1]).
plan_error = partial(invalid, error=PlanError)
check_number = partial(_check_number, error=PlanError)
check_int = partial(_check_int, low=1, error=PlanError)
check_rate = partial(_check_number, low=0.0, high=1.0, low_open=True,
                     expected="a rate in (0, 1] (e.g. 0.1 for 10 %)", error=PlanError)


def ceil_count(x: float) -> float:
    """Round a count up, ignoring floating-point noise (``1000.0000000001`` -> 1000).

    Infinities and NaN come back unchanged (the plan refuses them with its own error).
    """
    if not math.isfinite(x):
        return x
    return float(math.ceil(x - (1e-9 + 1e-12 * abs(x))))



def whole(x: float) -> str:
    """A count of people or deals as a whole number, rounded up (``2481.4`` -> ``2,482``)."""
    if not math.isfinite(x):
        return format_count(x)
    return format_count(math.ceil(x - (1e-9 + 1e-12 * abs(x))))


def word_labels(key: str) -> Labels:
    """The phrase ``key`` of the word table as :class:`~salesfunnel.model.Labels`."""
    en, zh = WORDS[key]
    return Labels({"en": en, "zh": zh})
