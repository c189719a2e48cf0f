"""Exact numeric comparisons of numpy columns, as Python compares numbers.

numpy compares an ``int64`` column with a float in float64, so ``2**53 + 1 > 2.0**53``
comes out false; Python compares ints and floats exactly, and so does the rule engine
one subject at a time.  These helpers give the columnar compiler the same answers:

* integer columns are compared with integer literals in their own dtype, and literals
  outside the dtype's range decide every row at once;
* an integer column and a float literal: a non-integral literal ``f`` becomes
  ``floor(f)`` or ``ceil(f)``, an integral one becomes an int, infinities are beyond
  every integer;
* a float column and an integer literal that no float equals: the literal lies strictly
  between two adjacent floats, which decide the comparison;
* an integer column and a float column: compared in float64 first, then exactly where
  float64 cannot tell them apart.

Rows that are not set (NaN) come out false, except for ``!=``, which the caller masks.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from salesfunnel.model.rules._values import FLIPPED, PYOPS, BoolArray

__all__ = ["compare_columns", "compare_number", "isin_numbers"]

_HOLDS_ABOVE: Final = {"==": False, "!=": True, "<": True, "<=": True, ">": False, ">=": False}
"""Whether ``value op literal`` holds when the literal is above every value."""
_HOLDS_BELOW: Final = {"==": False, "!=": True, "<": False, "<=": False, ">": True, ">=": True}
"""Whether ``value op literal`` holds when the literal is below every value."""


def _exact_dtype(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Booleans as uint8 and small floats as float64: same values, exact comparisons."""
    code = values.dtype.kind
    if code == "b":
        return values.view(np.uint8)
    if code == "f" and values.dtype.itemsize < 8:
        return values.astype(np.float64)
    return values


def _full(n: int, value: bool) -> BoolArray:
    return np.full(n, value, dtype=bool)


def _int_vs_int(values: npt.NDArray[Any], op: str, lit: int) -> BoolArray:
    info = np.iinfo(values.dtype)
    if lit > info.max:
        return _full(len(values), _HOLDS_ABOVE[op])
    if lit < info.min:
        return _full(len(values), _HOLDS_BELOW[op])
    return np.asarray(PYOPS[op](values, values.dtype.type(lit)), dtype=bool)


def _int_vs_float(values: npt.NDArray[Any], op: str, lit: float) -> BoolArray:
    if math.isnan(lit):  # pragma: no cover - the parser makes no NaN
        return _full(len(values), False)
    if math.isinf(lit):
        return _int_vs_int(values, op, 2**64 if lit > 0 else -(2**64))
    if lit.is_integer():
        return _int_vs_int(values, op, int(lit))
    if op in ("==", "!="):
        return _full(len(values), op == "!=")
    if op in ("<", "<="):
        return _int_vs_int(values, "<=", math.floor(lit))
    return _int_vs_int(values, ">=", math.ceil(lit))


def _float_vs_int(values: npt.NDArray[Any], op: str, lit: int) -> BoolArray:
    try:
        near = float(lit)
    except OverflowError:
        near = math.inf if lit > 0 else -math.inf
    if not math.isinf(near) and int(near) == lit:
        with np.errstate(invalid="ignore"):
            return np.asarray(PYOPS[op](values, near), dtype=bool)
    # no float equals lit: it lies strictly between two adjacent floats below < lit < above
    if math.isinf(near):
        below, above = (sys.float_info.max, math.inf) if near > 0 else (
            -math.inf, -sys.float_info.max)
    elif int(near) < lit:
        below, above = near, math.nextafter(near, math.inf)
    else:
        below, above = math.nextafter(near, -math.inf), near
    if op in ("==", "!="):
        return _full(len(values), op == "!=")
    with np.errstate(invalid="ignore"):
        if op in ("<", "<="):
            return np.asarray(values <= below, dtype=bool)
        return np.asarray(values >= above, dtype=bool)


def compare_number(values: npt.NDArray[Any], op: str, lit: Any) -> BoolArray:
    """``values op lit`` for a numeric column and a number literal, exactly.

    Examples
    --------
    >>> big = np.array([2**53, 2**53 + 1], dtype=np.int64)
    >>> compare_number(big, ">", 9007199254740992.0)
    array([False,  True])
    >>> compare_number(np.array([2.0**63]), "==", 2**63 - 1)
    array([False])
    """
    values = _exact_dtype(values)
    if isinstance(lit, bool):
        lit = int(lit)
    if values.dtype.kind in "iu":
        if isinstance(lit, float):
            return _int_vs_float(values, op, lit)
        return _int_vs_int(values, op, lit)
    if isinstance(lit, int):
        return _float_vs_int(values, op, lit)
    with np.errstate(invalid="ignore"):
        return np.asarray(PYOPS[op](values, lit), dtype=bool)


def _sign_int_float(x: npt.NDArray[Any], y: npt.NDArray[Any]) -> npt.NDArray[np.int8]:
    """Sign of ``x - y`` for an integer and a float64 column, exactly (0 where y is NaN)."""
    xf = x.astype(np.float64)
    with np.errstate(invalid="ignore"):
        sign = (xf > y).astype(np.int8) - (xf < y).astype(np.int8)
        ties = np.flatnonzero(xf == y)
    if ties.size:  # equal in float64: y is an integral float near x, compare exactly
        yt = y[ties]
        beyond = yt >= float(np.iinfo(x.dtype).max) + 1.0  # y == 2**63 (or 2**64) > any x
        exact = np.where(beyond, 0.0, yt).astype(x.dtype)
        xt = x[ties]
        tied = (xt > exact).astype(np.int8) - (xt < exact).astype(np.int8)
        tied[beyond] = -1
        sign[ties] = tied
    return sign


def compare_columns(a: npt.NDArray[Any], op: str, b: npt.NDArray[Any]) -> BoolArray:
    """``a op b`` for two numeric columns, exactly (NaN rows false except for ``!=``).

    Examples
    --------
    >>> compare_columns(np.array([2**53 + 1]), ">", np.array([2.0**53]))
    array([ True])
    """
    a, b = _exact_dtype(a), _exact_dtype(b)
    a_int, b_int = a.dtype.kind in "iu", b.dtype.kind in "iu"
    if a_int == b_int or a.dtype.kind not in "iuf" or b.dtype.kind not in "iuf":
        with np.errstate(invalid="ignore"):
            return np.asarray(PYOPS[op](a, b), dtype=bool)
    if a_int:
        sign, floats = _sign_int_float(a, b), b
    else:
        sign, floats, op = _sign_int_float(b, a), a, FLIPPED[op]
    result = np.asarray(PYOPS[op](sign, 0), dtype=bool)
    if op == "!=":
        return result
    with np.errstate(invalid="ignore"):
        np.logical_and(result, floats == floats, out=result)  # NaN is not set
    return result


def isin_numbers(values: npt.NDArray[Any], wanted: Iterable[Any]) -> BoolArray:
    """Whether each number of ``values`` equals (exactly) one of the ``wanted`` numbers.

    Examples
    --------
    >>> isin_numbers(np.array([2**53 + 1, 3]), [9007199254740992.0, 3.0])
    array([False,  True])
    """
    values = _exact_dtype(values)
    if values.dtype.kind in "iu":
        info = np.iinfo(values.dtype)
        ints: set[int] = set()
        for v in wanted:
            if isinstance(v, float):
                if not v.is_integer():
                    continue
                v = int(v)
            if info.min <= v <= info.max:
                ints.add(int(v))
        table: npt.NDArray[Any] = np.array(sorted(ints), dtype=values.dtype)
    else:
        floats: set[float] = set()
        for v in wanted:
            if isinstance(v, int):
                try:
                    f = float(v)
                except OverflowError:
                    continue
                if int(f) != v:
                    continue  # no float equals v
                v = f
            floats.add(v)
        table = np.array(sorted(floats), dtype=np.float64)
    if table.size == 0:
        return np.zeros(len(values), dtype=bool)
    return np.asarray(np.isin(values, table), dtype=bool)
