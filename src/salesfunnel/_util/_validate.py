"""One family of argument checks, with one message shape.

In the spirit of scikit-learn's ``validate_params``: every check below either returns
the argument (converted to a plain Python value) or raises ``error(message,
parameter=name, value=value)`` -- :class:`~salesfunnel.errors.InvalidParameterError`
unless the caller passes a subclass such as :class:`~salesfunnel.errors.PlanError`.
Every message has the same shape::

    The '<name>' parameter of <where> must be <expected>; got <repr(value)>.

and, when no function name is given, ``The '<name>' parameter must be ...``. The
message always names the parameter and shows the offending value.

Examples
--------
>>> check_number("level", 1.5, where="conversion", low=0, high=1, low_open=True,
...              high_open=True)
Traceback (most recent call last):
...
salesfunnel.errors.InvalidParameterError: The 'level' parameter of conversion must be a number in (0, 1); got 1.5.
>>> check_choice("ci", "wilsn", ("jeffreys", "wilson"))
Traceback (most recent call last):
...
salesfunnel.errors.InvalidParameterError: The 'ci' parameter must be one of 'wilson', 'jeffreys'; got 'wilsn'.
>>> check_int("periods", 12, where="reverse", low=1)
12
"""  # noqa: E501

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, Literal, overload

import numpy as np

from salesfunnel._util._suggest import listing
from salesfunnel.errors import InvalidParameterError

__all__ = [
    "check_bool",
    "check_choice",
    "check_instance",
    "check_int",
    "check_number",
    "invalid",
]


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def invalid(
    name: str,
    value: Any,
    expected: str,
    *,
    where: str | None = None,
    error: type[InvalidParameterError] = InvalidParameterError,
) -> InvalidParameterError:
    """The error (not raised) for a bad ``name`` argument: the shape of every check.

    Use it directly for domain checks that the family does not cover.

    Examples
    --------
    >>> err = invalid("n", -1, "an integer >= 0", where="simulate")
    >>> str(err)
    "The 'n' parameter of simulate must be an integer >= 0; got -1."
    >>> err.parameter, err.value
    ('n', -1)
    >>> str(invalid("unit", 3, "a string or None"))
    "The 'unit' parameter must be a string or None; got 3."
    """
    of = "" if where is None else f" of {where}"
    return error(
        f"The {name!r} parameter{of} must be {expected}; got {value!r}.",
        parameter=name, value=value,
    )


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool | np.bool_)


def _bounds(low: float | None, high: float | None, low_open: bool, high_open: bool,
            finite: bool) -> str:
    """``"a number in (0, 1]"``, ``"a number >= 0"``, ``"a finite number"``, ..."""
    if low is not None and high is not None:
        return (f"a number in {'(' if low_open else '['}{low:g}, {high:g}"
                f"{')' if high_open else ']'}")
    kind = "a finite number" if finite else "a number"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{kind} {'<' if high_open else '<='} {high:g}"
    return kind


@overload
def check_number(
    name: str, value: Any, *, where: str | None = ..., low: float | None = ...,
    high: float | None = ..., low_open: bool = ..., high_open: bool = ...,
    allow_none: Literal[False] = ..., finite: bool = ..., expected: str | None = ...,
    error: type[InvalidParameterError] = ...,
) -> float: ...
@overload
def check_number(
    name: str, value: Any, *, where: str | None = ..., low: float | None = ...,
    high: float | None = ..., low_open: bool = ..., high_open: bool = ...,
    allow_none: bool, finite: bool = ..., expected: str | None = ...,
    error: type[InvalidParameterError] = ...,
) -> float | None: ...
def check_number(
    name: str,
    value: Any,
    *,
    where: str | None = None,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
    finite: bool = True,
    expected: str | None = None,
    error: type[InvalidParameterError] = InvalidParameterError,
) -> float | None:
    """``value`` as a float within the bounds (or ``None`` if allowed), else ``error``.

    Refuses booleans, non-numbers, NaN, infinities (unless ``finite=False``) and
    numbers too large for a float (``10**400``). ``expected`` replaces the generated
    description of what is accepted.

    Examples
    --------
    >>> check_number("target", 3, low=0, low_open=True)
    3.0
    >>> check_number("target", None, allow_none=True) is None
    True
    >>> check_number("target", 10**400, where="pipeline")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: The 'target' parameter of pipeline must be a finite number; got 1000...
    >>> check_number("q", True, low=0, high=1)
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: The 'q' parameter must be a number in [0, 1]; got True.
    """  # noqa: E501
    if value is None and allow_none:
        return None
    v = math.nan
    ok = _is_real(value)
    if ok:
        try:
            v = float(value)
        except (OverflowError, ValueError, TypeError):
            ok = False
    if ok:
        ok = not math.isnan(v) and (not finite or math.isfinite(v))
        if low is not None and (v < low or (low_open and v == low)):
            ok = False
        if high is not None and (v > high or (high_open and v == high)):
            ok = False
    if not ok:
        if expected is None:
            expected = _bounds(low, high, low_open, high_open, finite)
            if allow_none:
                expected += " or None"
        raise invalid(name, value, expected, where=where, error=error)
    return v


def check_int(
    name: str,
    value: Any,
    *,
    where: str | None = None,
    low: int | None = None,
    high: int | None = None,
    expected: str | None = None,
    error: type[InvalidParameterError] = InvalidParameterError,
) -> int:
    """``value`` as a Python int within the bounds, else ``error``.

    Accepts Python and numpy integers; refuses booleans, floats (even ``3.0``) and
    integers outside int64 (``10**400``), which no array of the library could hold.

    Examples
    --------
    >>> check_int("n", np.int64(5), low=0)
    5
    >>> check_int("n", 5.0, where="simulate", low=0)
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: The 'n' parameter of simulate must be an integer >= 0; got 5.0.
    >>> check_int("max_steps", 2000, low=0, high=1000)
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: The 'max_steps' parameter must be an integer in [0, 1000]; got 2000.
    """  # noqa: E501
    ok = isinstance(value, Integral) and not isinstance(value, bool | np.bool_)
    if ok:
        i = int(value)
        ok = (_INT64_MIN <= i <= _INT64_MAX and (low is None or i >= low)
              and (high is None or i <= high))
    if not ok:
        if expected is None:
            if low is not None and high is not None:
                expected = f"an integer in [{low}, {high}]"
            elif low is not None:
                expected = f"an integer >= {low}"
            elif high is not None:
                expected = f"an integer <= {high}"
            else:
                expected = "an integer"
        raise invalid(name, value, expected, where=where, error=error)
    return int(value)


@overload
def check_bool(
    name: str, value: Any, *, where: str | None = ..., allow_none: Literal[False] = ...,
    error: type[InvalidParameterError] = ...,
) -> bool: ...
@overload
def check_bool(
    name: str, value: Any, *, where: str | None = ..., allow_none: bool,
    error: type[InvalidParameterError] = ...,
) -> bool | None: ...
def check_bool(
    name: str,
    value: Any,
    *,
    where: str | None = None,
    allow_none: bool = False,
    error: type[InvalidParameterError] = InvalidParameterError,
) -> bool | None:
    """``value`` when it is ``True`` or ``False`` (or ``None`` if allowed), else ``error``.

    Examples
    --------
    >>> check_bool("failing", np.True_)
    True
    >>> check_bool("composite", None, allow_none=True) is None
    True
    >>> check_bool("failing", 1)
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: The 'failing' parameter must be True or False; got 1.
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, bool | np.bool_):
        expected = "True, False or None" if allow_none else "True or False"
        raise invalid(name, value, expected, where=where, error=error)
    return bool(value)


def check_choice(
    name: str,
    value: Any,
    options: Sequence[str],
    *,
    where: str | None = None,
    error: type[InvalidParameterError] = InvalidParameterError,
) -> str:
    """``value`` when it is one of ``options``, else ``error`` listing them closest first.

    Examples
    --------
    >>> check_choice("lost", "censor", ("censor", "never"))
    'censor'
    >>> check_choice("semantic", 3, ("reached", "entered"), where="conversion")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: The 'semantic' parameter of conversion must be one of 'reached', 'entered'; got 3.
    """  # noqa: E501
    if not isinstance(value, str) or value not in options:
        shown = listing(value, options) if isinstance(value, str) else ", ".join(
            map(repr, options))
        raise invalid(name, value, f"one of {shown}", where=where, error=error)
    return value


def check_instance(
    name: str,
    value: Any,
    types: type | tuple[type, ...],
    *,
    where: str | None = None,
    expected: str | None = None,
    error: type[InvalidParameterError] = InvalidParameterError,
) -> Any:
    """``value`` when it is an instance of ``types``, else ``error``.

    ``expected`` describes what is accepted (default: ``"a <type name>"``).

    Examples
    --------
    >>> check_instance("unit", "devices", (str, type(None)), expected="a string or None")
    'devices'
    >>> check_instance("name", 3, str, where="register")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: The 'name' parameter of register must be a str; got 3.
    """
    if not isinstance(value, types):
        if expected is None:
            names = [t.__name__ for t in (types if isinstance(types, tuple) else (types,))]
            expected = "a " + " or ".join(names)
        raise invalid(name, value, expected, where=where, error=error)
    return value
