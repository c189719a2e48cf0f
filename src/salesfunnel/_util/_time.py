"""Time in salesfunnel: the one place that turns time values into nanoseconds and back.

Every time the library stores is an ``int64`` count of **nanoseconds since the Unix epoch,
UTC**. This module owns the conversions and their rules; event logs, metrics, the planner,
the simulator, journeys and the command line all call it.

Accepted time values
    - a timezone-aware :class:`datetime.datetime` (a :class:`pandas.Timestamp` keeps its
      nanoseconds);
    - an ISO 8601 string (``"2026-03-01T09:30:00+01:00"``, ``"...Z"``, up to nine
      fractional digits, all kept);
    - a :class:`numpy.datetime64` of any unit (numpy times have no zone: taken as UTC);
    - a :class:`datetime.date` (midnight; it has no zone, so it is *naive*, see below);
    - a number together with a ``unit`` (one of :data:`NS_PER_UNIT`: ``ns``, ``us``,
      ``ms``, ``s``, ``m``, ``h``, ``D``, ``W``) counting from the epoch. Without a unit a
      number is refused: the unit would be a guess.

Range
    The representable times are ``TS_MIN .. TS_MAX`` =
    ``1677-09-21T00:12:43.145224193Z .. 2262-04-11T23:47:16.854775806Z``: the int64
    nanosecond range without its two ends (``-2**63`` is numpy's NaT, ``2**63 - 1`` is the
    metric kernels' "never" marker). A value outside raises
    :class:`~salesfunnel.errors.InvalidParameterError` naming it and the range; nothing
    wraps around.

Naive times
    A time without a UTC offset is *naive*. One policy, ``naive=``, decides: ``"raise"``
    (the default everywhere: refuse it, saying how to opt in) or ``"utc"`` (read it as
    UTC). Event log constructors, metric ``as_of=`` and the command line (``--naive``)
    take it; journeys use the default.

Durations
    :func:`duration_ns` converts a :class:`datetime.timedelta`, a
    :class:`numpy.timedelta64` of any unit (``Y`` and ``M`` at their mean lengths, 365.2425
    and 30.436875 days) or a number with a unit to an exact Python int of nanoseconds; by
    default a value outside int64 raises.

Output
    :func:`to_iso` writes ISO 8601 in UTC with as many fractional digits (0, 3, 6 or 9) as
    needed, so nanoseconds survive a round trip through text.

Examples
--------
>>> to_ns("2026-01-01T00:00:00.123456789Z")
1767225600123456789
>>> to_iso(1767225600123456789)
'2026-01-01T00:00:00.123456789Z'
>>> to_ns(90, unit="m"), to_ns("2026-01-01T00:00", naive="utc") == to_ns("2026-01-01T00:00Z")
(5400000000000, True)
>>> to_ns(np.datetime64("9999-01-01"), parameter="as_of")
Traceback (most recent call last):
...
salesfunnel.errors.InvalidParameterError: as_of=np.datetime64('9999-01-01') is outside ...
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from salesfunnel.errors import InvalidParameterError

__all__ = [
    "NAIVE_POLICIES",
    "NS_PER_DAY",
    "NS_PER_S",
    "NS_PER_UNIT",
    "TS_MAX",
    "TS_MIN",
    "Naive",
    "TimeProblem",
    "Unit",
    "aware_datetime",
    "check_naive",
    "check_unit",
    "datetime64_in_range",
    "duration_ns",
    "elapsed_ns",
    "ns_timedeltas",
    "ns_to_datetime",
    "scalar_ns",
    "to_iso",
    "to_ns",
    "to_ns_array",
]

Unit = Literal["ns", "us", "ms", "s", "m", "h", "D", "W"]
Naive = Literal["raise", "utc"]
NAIVE_POLICIES = ("raise", "utc")

NS_PER_S = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_S
NS_PER_UNIT: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": NS_PER_S,
    "m": 60 * NS_PER_S,
    "h": 3_600 * NS_PER_S,
    "D": NS_PER_DAY,
    "W": 7 * NS_PER_DAY,
}
"""Nanoseconds per unit of a number given with ``unit=``."""

_I64_MAX = 2**63 - 1
TS_MIN = -(2**63) + 1
"""The earliest representable time in ns (``-2**63`` is NaT)."""
TS_MAX = 2**63 - 2
"""The latest representable time in ns (``2**63 - 1`` means "never" in the kernels)."""
RANGE = "1677-09-21T00:12:43.145224193Z .. 2262-04-11T23:47:16.854775806Z"

# numpy duration units beyond NS_PER_UNIT: calendar units at their mean (Gregorian) length.
_NUMPY_UNIT_NS: dict[str, int] = {**NS_PER_UNIT, "Y": 31_556_952 * NS_PER_S,
                                  "M": 2_629_746 * NS_PER_S}
_SUB_NS = {"ps": 1_000, "fs": 1_000_000, "as": 1_000_000_000}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FRACTION = re.compile(r"([.,])(\d+)")
_NAIVE_HINT = ("; pass naive='utc' (--naive utc on the command line) to read naive times "
               "as UTC")


class TimeProblem(ValueError):
    """Why one value is not a time: ``reason`` is ``"missing"``, ``"naive"``,
    ``"unparsable"`` or ``"range"`` (internal; callers turn it into their own error)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def check_unit(unit: Any, *, parameter: str = "unit") -> str | None:
    """Validate a ``unit=`` argument: ``None`` or a key of :data:`NS_PER_UNIT`.

    Examples
    --------
    >>> check_unit("ms"), check_unit(None)
    ('ms', None)
    >>> check_unit("sec")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: unit must be one of 'ns', 'us', ... got 'sec'
    """
    if unit is not None and (not isinstance(unit, str) or unit not in NS_PER_UNIT):
        raise InvalidParameterError(
            f"{parameter} must be one of {', '.join(map(repr, NS_PER_UNIT))} or None; "
            f"got {unit!r}", parameter=parameter, value=unit,
        )
    return unit


def check_naive(naive: Any) -> str:
    """Validate a ``naive=`` policy: ``"raise"`` or ``"utc"``.

    Examples
    --------
    >>> check_naive("utc")
    'utc'
    """
    if not isinstance(naive, str) or naive not in NAIVE_POLICIES:
        raise InvalidParameterError(
            f"naive must be 'raise' (refuse times without a UTC offset) or 'utc' (read "
            f"them as UTC); got {naive!r}", parameter="naive", value=naive,
        )
    return naive


# -- scalars ------------------------------------------------------------------------------


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _parse_iso(text: str) -> tuple[datetime, int]:
    """An ISO 8601 string as ``(datetime, extra_ns)``: the datetime keeps microseconds,
    ``extra_ns`` (0..999) the seventh to ninth fractional digits."""
    text = text.strip()
    extra = 0
    match = _FRACTION.search(text, 17)  # after "YYYY-MM-DDTHH:MM:SS" at the earliest
    if match is not None:
        digits = match.group(2)
        if len(digits) > 9:
            raise TimeProblem("unparsable", "more than nine fractional digits")
        if len(digits) > 6:
            extra = int(digits[6:].ljust(3, "0"))
            text = text[:match.start(2) + 6] + text[match.end(2):]
    try:
        return datetime.fromisoformat(text), extra
    except ValueError:
        raise TimeProblem("unparsable") from None


def _datetime64_ns(value: np.datetime64) -> int | None:
    """A ``datetime64`` scalar as exact ns (None for NaT; TimeProblem out of range)."""
    if np.isnat(value):
        return None
    unit, count = np.datetime_data(value.dtype)
    raw = int(value.astype(np.int64))
    if unit in ("Y", "M"):
        months = raw * count * (12 if unit == "Y" else 1)
        day = np.datetime64(months, "M").astype("datetime64[D]") if abs(months) < 10**7 \
            else None
        if day is None:
            raise TimeProblem("range")
        ns = int(day.astype(np.int64)) * NS_PER_DAY
    elif unit in _SUB_NS:
        ns = raw * count // _SUB_NS[unit]
    elif unit == "generic":
        raise TimeProblem("unparsable", "a datetime64 without a unit")
    else:
        ns = raw * count * NS_PER_UNIT[unit]
    if not TS_MIN <= ns <= TS_MAX:
        raise TimeProblem("range")
    return ns


def scalar_ns(value: Any, *, unit: str | None = None, naive: str = "raise") -> int | None:
    """One time value as ns since the epoch, ``None`` when missing (None, NaN, NaT, "").

    Raises :class:`TimeProblem` (with a ``reason``) for anything else that is not a
    representable time; :func:`to_ns` turns that into the library's error.
    """
    if isinstance(value, np.datetime64):
        return _datetime64_ns(value)
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return None
    extra = 0
    if isinstance(value, str):
        if not value.strip():
            return None
        if unit is not None and _NUMBER.match(value):
            value = float(value) if any(c in value for c in ".eE") else int(value)
            return scalar_ns(value, unit=unit, naive=naive)
        value, extra = _parse_iso(value)
    elif isinstance(value, bool):
        raise TimeProblem("unparsable")
    elif isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return None
        if unit is None:
            raise TimeProblem("unparsable", "a number needs unit=")
        if isinstance(value, float):
            scaled = value * NS_PER_UNIT[unit]
            if not math.isfinite(scaled):  # inf, or 1.8e305 us overflowing to inf
                raise TimeProblem("range")
            ns = round(scaled)
        else:
            ns = value * NS_PER_UNIT[unit]
        if not TS_MIN <= ns <= TS_MAX:
            raise TimeProblem("range")
        return ns
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise TimeProblem("unparsable")
    if value != value:  # pandas.NaT is a datetime that is not equal to itself
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        if naive != "utc":
            raise TimeProblem("naive")
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    ns = ((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1_000
    ns += extra + int(getattr(value, "nanosecond", 0))  # pandas.Timestamp keeps ns
    if not TS_MIN <= ns <= TS_MAX:
        raise TimeProblem("range")
    return int(ns)


def _error(problem: TimeProblem, value: Any, parameter: str, unit: str | None,
           hint: str | None = None) -> InvalidParameterError:
    if problem.reason == "naive":
        shown = value.isoformat() if isinstance(value, datetime) else value
        message = (f"{parameter}={shown!r} is a naive datetime (no UTC offset): {parameter} "
                   f"must be a timezone-aware datetime{_NAIVE_HINT if hint is None else hint}")
    elif problem.reason == "range":
        message = (f"{parameter}={value!r} is outside the representable times {RANGE} "
                   "(int64 nanoseconds)")
    else:
        numbers = "" if unit is None else f", a number of {unit!r}"
        detail = f"; {problem.detail}" if problem.detail else ""
        what = ", which is not an ISO 8601 time" if isinstance(value, str) else ""
        message = (f"{parameter} must be a timezone-aware datetime; got "
                   f"{type(value).__name__} {value!r}{what} (expected it, an ISO 8601 string "
                   f"with an offset or a numpy.datetime64{numbers}{detail})")
    return InvalidParameterError(message, parameter=parameter, value=value)


def to_ns(value: Any, *, parameter: str = "time", unit: str | None = None,
          naive: str = "raise") -> int:
    """One time value as int nanoseconds since the epoch, UTC (see the module docs).

    Parameters
    ----------
    value : datetime, str, numpy.datetime64, date or number
        The time; a number needs ``unit``.
    parameter : str
        The argument name used in error messages.
    unit : str, optional
        Unit of a number (a key of :data:`NS_PER_UNIT`).
    naive : {"raise", "utc"}
        What to do with a time without a UTC offset.

    Returns
    -------
    int
        In ``TS_MIN .. TS_MAX``.

    Raises
    ------
    InvalidParameterError
        A missing, naive (with ``naive="raise"``), unparsable or out-of-range value.

    Examples
    --------
    >>> to_ns("1970-01-02T00:00:00+00:00"), to_ns(np.datetime64(3, "us"))
    (86400000000000, 3000)
    >>> to_ns("2026-01-01")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: time='2026-01-01' is a naive datetime ...
    """
    check_naive(naive)
    try:
        ns = scalar_ns(value, unit=unit, naive=naive)
    except TimeProblem as problem:
        raise _error(problem, value, parameter, unit) from None
    if ns is None:
        raise _error(TimeProblem("missing", "a missing time"), value, parameter, unit)
    return ns


def aware_datetime(value: Any, *, parameter: str = "at", naive: str = "raise",
                   hint: str | None = None) -> datetime:
    """``value`` as a timezone-aware :class:`~datetime.datetime` (a given datetime keeps its
    offset; strings keep theirs; other forms become UTC), checked like :func:`to_ns`.

    Used where a time is kept as a datetime (journeys, forecast dates); ``hint`` replaces
    the advice in the error for a naive time.

    Examples
    --------
    >>> aware_datetime("2026-01-01T09:00+08:00").isoformat()
    '2026-01-01T09:00:00+08:00'
    """
    if isinstance(value, datetime) and value.tzinfo is not None \
            and value.utcoffset() is not None:
        return value
    try:
        if isinstance(value, str):
            when, _ = _parse_iso(value)
            if when.tzinfo is not None and when.utcoffset() is not None:
                return when
            if naive != "utc":
                raise TimeProblem("naive")
            return when.replace(tzinfo=UTC)
        if isinstance(value, datetime) and naive == "utc":
            return value.replace(tzinfo=UTC)
        ns = scalar_ns(value, naive=naive)
    except TimeProblem as problem:
        raise _error(problem, value, parameter, None, hint) from None
    if ns is None:
        raise _error(TimeProblem("missing", "a missing time"), value, parameter, None)
    return ns_to_datetime(ns)


def ns_to_datetime(ns: int) -> datetime:
    """ns since the epoch as an aware UTC datetime (to the microsecond, rounded down).

    Examples
    --------
    >>> ns_to_datetime(1_500).isoformat()
    '1970-01-01T00:00:00.000001+00:00'
    """
    return _EPOCH + timedelta(microseconds=int(ns) // 1_000)


def to_iso(ns: int) -> str:
    """ns since the epoch as ISO 8601 UTC text with 0, 3, 6 or 9 fractional digits.

    Examples
    --------
    >>> to_iso(0), to_iso(1_500_000), to_iso(-1)
    ('1970-01-01T00:00:00Z', '1970-01-01T00:00:00.001500Z', '1969-12-31T23:59:59.999999999Z')
    """
    ns = int(ns)
    unit: Literal["s", "ms", "us", "ns"] = "s" if ns % NS_PER_S == 0 else "ms" \
        if ns % 1_000_000 == 0 else "us" if ns % 1_000 == 0 else "ns"
    return str(np.datetime_as_string(np.datetime64(ns, "ns"), unit=unit)) + "Z"


# -- durations ----------------------------------------------------------------------------


def duration_ns(value: Any, *, parameter: str, unit: str = "s", bounded: bool = True
                ) -> int:
    """A duration as an exact int of nanoseconds.

    Accepts :class:`datetime.timedelta`, :class:`numpy.timedelta64` of any unit and
    numbers (in ``unit``; floats are rounded to the nanosecond).

    Parameters
    ----------
    value : timedelta, numpy.timedelta64 or number
        The duration.
    parameter : str
        The argument name used in error messages.
    unit : str
        Unit of a number.
    bounded : bool
        Refuse values outside int64 nanoseconds (about +-292 years); with ``False`` the
        exact value is returned, however large, for the caller to judge.

    Raises
    ------
    InvalidParameterError
        NaT, NaN, infinity, another type, or (``bounded``) a value outside int64.

    Examples
    --------
    >>> duration_ns(np.timedelta64(600, "Y"), parameter="window")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: window=np.timedelta64(600,'Y') is ...
    >>> duration_ns(np.timedelta64(600, "Y"), parameter="window", bounded=False)
    18934171200000000000
    >>> duration_ns(timedelta(days=1, microseconds=1), parameter="d"), duration_ns(
    ...     1.5, parameter="d", unit="m")
    (86400000001000, 90000000000)
    """
    ns: int | None = None
    if isinstance(value, np.timedelta64):
        if not np.isnat(value):
            td_unit, count = np.datetime_data(value.dtype)
            raw = int(value.astype(np.int64)) * count
            if td_unit in _SUB_NS:
                ns = raw // _SUB_NS[td_unit]
            elif td_unit in _NUMPY_UNIT_NS:
                ns = raw * _NUMPY_UNIT_NS[td_unit]
    elif isinstance(value, timedelta):
        ns = ((value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds) * 1_000
    elif isinstance(value, int | float | np.integer | np.floating) \
            and not isinstance(value, bool | np.bool_):
        per = NS_PER_UNIT[unit]
        if isinstance(value, int | np.integer):
            ns = int(value) * per
        elif math.isfinite(float(value)):
            scaled = float(value) * per
            # 1e300 seconds overflows the float product: such a float is a whole number,
            # so the exact product of ints is the same duration.
            ns = round(scaled) if math.isfinite(scaled) else int(float(value)) * per
    if ns is None:
        raise InvalidParameterError(
            f"{parameter} must be a numpy.timedelta64, datetime.timedelta or number of "
            f"{unit!r}; got {value!r}", parameter=parameter, value=value,
        )
    if bounded and not -_I64_MAX <= ns <= _I64_MAX:
        raise InvalidParameterError(
            f"{parameter}={value!r} is outside the representable durations (int64 "
            "nanoseconds, about 292 years either way)", parameter=parameter, value=value,
        )
    return ns


# -- columns ------------------------------------------------------------------------------


def datetime64_in_range(values: np.ndarray[Any, Any]) -> npt.NDArray[np.bool_]:
    """Which ``datetime64`` values (any unit) are representable times (NaT counts as in
    range): numpy's unit conversion wraps around silently, so this is checked first."""
    if not values.dtype.isnative:  # the raw int64 below must be the times themselves
        values = values.astype(values.dtype.newbyteorder("="))
    unit, count = np.datetime_data(values.dtype)
    raw = values.view(np.int64)
    nat = np.isnat(values)
    if unit in ("ns", "ps", "fs", "as", "generic"):
        # Sub-ns units shrink towards zero; in ns only int64 max (the "never" marker) is out.
        ok: npt.NDArray[np.bool_] = (raw != _I64_MAX) if unit == "ns" and count == 1 \
            else np.ones(values.shape, dtype=np.bool_)
        if unit == "ns" and count > 1:
            limit = TS_MAX // count
            ok = (raw <= limit) & (raw >= -limit)
    elif unit in ("Y", "M"):  # months since 1970-01: 1677-10 .. 2262-04 is -3507 .. 3507
        months = raw.astype(np.float64) * (count * (12 if unit == "Y" else 1))
        ok = np.abs(months) <= 3507
    else:
        limit = TS_MAX // (count * NS_PER_UNIT[unit])
        ok = (raw <= limit) & (raw >= -limit)
    ok |= nat
    return ok


def coarse_ns(values: np.ndarray[Any, Any]) -> npt.NDArray[np.int64] | None:
    """A ``datetime64`` column of a unit coarser than nanoseconds as int64 ns in a new
    array, when every value is a representable time (no NaT); ``None`` otherwise (and
    for ns and finer units), for the checks and messages of the general path.

    Two reductions and one multiply with ``out=``: several times faster than
    ``astype("datetime64[ns]")``, which checks each value and holds the GIL.

    Examples
    --------
    >>> coarse_ns(np.array(["2025-01-01T00:00:01"], dtype="datetime64[s]")).tolist()
    [1735689601000000000]
    >>> coarse_ns(np.array(["NaT"], dtype="datetime64[s]")) is None
    True
    """
    unit, count = np.datetime_data(values.dtype)
    if unit not in NS_PER_UNIT or unit == "ns" or not len(values) or not values.dtype.isnative:
        return None  # (the raw int64 of a byte-swapped column are not the times)
    factor = count * NS_PER_UNIT[unit]
    raw = values.view(np.int64)
    limit = TS_MAX // factor  # NaT, the lowest int64, is below -limit
    if not (-limit <= int(raw.min()) and int(raw.max()) <= limit):
        return None
    out = np.empty(len(raw), dtype=np.int64)
    np.multiply(raw, np.int64(factor), out=out)
    return out


def to_ns_array(values: np.ndarray[Any, Any], *, unit: str | None = None,
                naive: str = "raise"
                ) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.bool_]]]:
    """A column of times as int64 ns, with a mask per problem (``0`` where there is one).

    ``datetime64`` and numeric columns convert with whole-array numpy operations (no copy
    for int64 nanoseconds); object and string columns go value by value through
    :func:`scalar_ns`. The masks are keyed by :class:`TimeProblem` reasons and only
    present when some value has that problem.

    Raises
    ------
    InvalidParameterError
        A numeric column without ``unit``.

    Examples
    --------
    >>> ns, bad = to_ns_array(np.array([1.5, np.nan, 1e300]), unit="s")
    >>> ns.tolist(), {k: v.tolist() for k, v in bad.items()}
    ([1500000000, 0, 0], {'missing': [False, True, False], 'range': [False, False, True]})
    """
    kind = values.dtype.kind
    masks: dict[str, npt.NDArray[np.bool_]] = {}

    def note(reason: str, mask: npt.NDArray[np.bool_]) -> None:
        if mask.any():
            masks[reason] = mask

    if kind == "M":
        fast = coarse_ns(values) if values.ndim == 1 else None
        if fast is not None:
            return fast, masks
        missing = np.isnat(values)
        wide = ~datetime64_in_range(values)
        note("missing", missing)
        note("range", wide)
        with np.errstate(all="ignore"):
            out = values.astype("datetime64[ns]", copy=False).view(np.int64)
        bad = missing | wide
        return (np.where(bad, 0, out) if bad.any() else out), masks
    if kind in "iuf" and values.dtype != np.bool_:
        if unit is None:
            raise InvalidParameterError(
                f"numeric timestamps need unit= (one of {', '.join(map(repr, NS_PER_UNIT))}); "
                f"got dtype {values.dtype} and unit=None", parameter="unit", value=None,
            )
        factor = NS_PER_UNIT[unit]
        if kind == "f":
            missing = np.isnan(values)
            note("missing", missing)
            with np.errstate(invalid="ignore", over="ignore"):
                scaled = np.round(np.where(missing, 0.0, values) * factor)
                # 2**63 - 1 is not a float64: compare with the floats around the range.
                wide = ~((scaled >= -(2.0**63)) & (scaled < 2.0**63))
                wide |= scaled == -(2.0**63)
            scaled = np.where(wide, 0.0, scaled)
            out = scaled.astype(np.int64)
            note("range", wide)
            return out, masks
        wide = values > TS_MAX // factor
        if kind == "i":
            wide |= values < -(-TS_MIN // factor)
        if wide.any():
            note("range", wide)
            values = np.where(wide, 0, values)
        if factor == 1:
            return values.astype(np.int64, copy=False), masks
        return values.astype(np.int64) * factor, masks
    n = len(values)
    out = np.zeros(n, dtype=np.int64)
    reasons = np.zeros(n, dtype=np.int8)
    codes = {"missing": 1, "naive": 2, "unparsable": 3, "range": 4}
    for i, v in enumerate(values):  # Python objects: one at a time, whatever the type
        try:
            ns = scalar_ns(v, unit=unit, naive=naive)
        except TimeProblem as problem:
            reasons[i] = codes[problem.reason]
            continue
        if ns is None:
            reasons[i] = 1
        else:
            out[i] = ns
    for reason, code in codes.items():
        note(reason, reasons == code)
    return out, masks


def elapsed_ns(later: Any, earlier: Any) -> npt.NDArray[np.uint64]:
    """``later - earlier`` of int64 ns times (``later >= earlier``), exact as ``uint64``.

    Two representable times are up to ``TS_MAX - TS_MIN = 2**64 - 3`` ns (about 584
    years) apart, which int64 (up to about 292 years) cannot hold; uint64 can, so no
    duration wraps round to a negative one.

    Examples
    --------
    >>> a = np.array([-(2**63) + 1, 0], dtype=np.int64)
    >>> b = np.array([2**63 - 2, 5], dtype=np.int64)
    >>> elapsed_ns(b, a).tolist()
    [18446744073709551613, 5]
    """
    lo = np.asarray(earlier, dtype=np.int64).view(np.uint64)
    hi = np.asarray(later, dtype=np.int64).view(np.uint64)
    out: npt.NDArray[np.uint64] = np.subtract(hi, lo)
    return out


def ns_timedeltas(ns: npt.NDArray[np.uint64]) -> npt.NDArray[np.timedelta64]:
    """Non-negative ``uint64`` nanoseconds as ``timedelta64[ns]``; NaT beyond its range.

    ``timedelta64[ns]`` holds up to ``2**63 - 1`` ns (about 292 years); a longer
    duration is NaT rather than a wrapped, negative one.

    Examples
    --------
    >>> ns_timedeltas(np.array([5, 2**63], dtype=np.uint64)).tolist()
    [5, None]
    """
    arr = np.asarray(ns, dtype=np.uint64)
    out = arr.astype(np.int64).astype("timedelta64[ns]")
    out[arr > np.uint64(_I64_MAX)] = np.timedelta64("NaT", "ns")
    return out
