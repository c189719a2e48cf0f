"""Column conversion for files: numbers with decimal commas, times with a format, and
the row-level problems of a file turned into one line naming the row and the column."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import TimeProblem, scalar_ns
from salesfunnel.events._arrow import factorize_arrow
from salesfunnel.events._convert import Factorized

__all__ = ["is_arrow", "numbers", "parse_number", "text_values", "times_with_format",
           "to_factorized", "to_objects"]

_PLAIN = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def is_arrow(values: Any) -> bool:
    """Whether ``values`` is a pyarrow array or chunked array."""
    return type(values).__module__.startswith("pyarrow")


def to_objects(values: Any) -> np.ndarray[Any, Any]:
    """A column as a numpy object array (``None`` for missing values)."""
    if is_arrow(values):
        out = np.empty(len(values), dtype=object)
        out[:] = values.to_pylist()
        return out
    return np.asarray(values, dtype=object)


def to_factorized(values: Any, *, drop_unused: bool = False) -> Any:
    """Text columns from Arrow as :class:`Factorized` (dense codes, no Python per row;
    see :func:`~salesfunnel.events._factorize.arrow_codes` for ``drop_unused``); numpy
    columns as they are."""
    if is_arrow(values):
        return factorize_arrow(values, drop_unused=drop_unused)
    return values


def text_values(values: Any) -> Any:
    """The column's values as a sequence indexable by row (for examples in messages)."""
    return values if isinstance(values, Factorized) else to_objects(values)


def parse_number(text: str, decimal: str = "auto") -> float:
    """A number as CRMs write them: ``25000``, ``25,000.50``, ``25.000,50``, ``25000,00``
    (``decimal="auto"``: a comma followed by one or two digits at the end, or by any
    digits after a ``.`` thousands separator, is the decimal mark), currency symbols and
    spaces ignored. Raises ``ValueError`` for anything else.

    Examples
    --------
    >>> [parse_number(t) for t in ("25000,00", "25.000,5", "1,250.75", "$ 1 200", "7")]
    [25000.0, 25000.5, 1250.75, 1200.0, 7.0]
    >>> parse_number("1,250", decimal=",")
    1.25
    """
    t = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    t = t.lstrip("$€£¥").rstrip("$€£¥")
    for code in ("USD", "EUR", "GBP", "CNY", "RMB"):
        t = t.removeprefix(code).removesuffix(code)
    if _PLAIN.match(t):
        return float(t)
    comma, dot = t.rfind(","), t.rfind(".")
    if decimal == "," or (decimal == "auto" and comma > dot and (
            dot >= 0 or re.search(r",\d{1,2}$", t) is not None)):
        t = t.replace(".", "").replace(",", ".")
    else:
        t = t.replace(",", "")
    if not _PLAIN.match(t):
        raise ValueError(text)
    return float(t)


def numbers(values: Any, decimal: str = "auto", scale: float = 1.0
            ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """A column of numbers as float64 (NaN where blank) and the mask of values that are
    no number; Arrow converts plain numbers in C, the rest go value by value."""
    if is_arrow(values) and decimal != ",":
        pa = import_optional("pyarrow", "arrow", purpose="reading numbers")
        try:
            out = values.cast(pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        else:
            out = np.asarray(out, dtype=np.float64)
            return (out / scale if scale != 1.0 else out), np.zeros(len(out), np.bool_)
    objs = to_objects(values)
    out = np.full(len(objs), np.nan)
    bad = np.zeros(len(objs), dtype=np.bool_)
    for i, v in enumerate(objs):
        if v is None:
            continue
        if isinstance(v, int | float):
            out[i] = float(v)
            continue
        s = str(v).strip()
        if not s:
            continue
        pct = s.endswith("%")
        try:
            out[i] = parse_number(s[:-1] if pct else s, decimal) / (100.0 if pct else 1.0)
        except ValueError:
            bad[i] = True
            continue
        if pct:
            out[i] *= scale
    if scale != 1.0:
        out = out / scale
    return out, bad


def times_with_format(values: Any, fmt: str, naive: str
                      ) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.bool_]]]:
    """Times parsed with a :func:`~datetime.datetime.strptime` format: ns and problem
    masks (``missing``, ``unparsable``, ``naive``) as :func:`to_ns_array` gives them."""
    objs = to_objects(values)
    n = len(objs)
    out = np.zeros(n, dtype=np.int64)
    reasons = {k: np.zeros(n, dtype=np.bool_) for k in ("missing", "unparsable", "naive",
                                                          "range")}
    cache: dict[str, Any] = {}
    for i, v in enumerate(objs):
        if v is None or (isinstance(v, str) and not v.strip()):
            reasons["missing"][i] = True
            continue
        text = str(v).strip()
        got = cache.get(text)
        if got is None:
            try:
                got = scalar_ns(datetime.strptime(text, fmt), naive=naive)
            except TimeProblem as problem:  # naive or out of range
                got = problem.reason
            except ValueError:
                got = "unparsable"
            cache[text] = got
        if isinstance(got, str):
            reasons[got][i] = True
        elif got is not None:
            out[i] = got
    return out, {k: m for k, m in reasons.items() if m.any()}
