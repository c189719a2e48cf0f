"""Shared pieces of the fuzz tests in ``tests/fuzz/``: junk values, the settings, the oracle.

The oracle of every fuzz test: a public entry point given anything ends in the
library's own error (a :class:`~salesfunnel.FunnelError` with a message) or returns a
valid result (its ``repr``, ``str`` and strict-JSON ``to_dict()`` work). Any other
exception, a warning (the suite turns warnings into errors) or a hang fails the test.

``make test`` runs a modest number of examples per test; ``make fuzz`` runs them with
``HYPOTHESIS_PROFILE=fuzz`` (``FUZZ_EXAMPLES`` each, 5000 by default).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from salesfunnel import FunnelError

#: Examples per fuzz test: the fuzz profile's count under ``make fuzz``, else a few.
EXAMPLES = (settings.default.max_examples if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
            else min(settings.default.max_examples, 15))

fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# -- junk values --------------------------------------------------------------------------------
EDGE_NUMBERS: list[Any] = [
    0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), 2**64 - 1, 2**64, 10**30, 10**400,
    -(10**400), 0.0, -0.0, 1e-320, 5e-324, 1e-10, 0.5, 1.0, 1e300, 1e308, -1e308,
    float("inf"), float("-inf"), float("nan"), True, False,
]

numbers: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.floats(min_value=0.0, max_value=1.0),
    st.builds(np.int64, st.integers(-(2**63), 2**63 - 1)),
    st.builds(np.uint64, st.integers(0, 2**64 - 1)),
    st.builds(np.float64, st.floats(allow_nan=True)),
)

EDGE_TIMES: list[Any] = [
    datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC),
    datetime(1677, 9, 21, 0, 12, 44, tzinfo=UTC), datetime(2262, 4, 11, 23, 47, 16, tzinfo=UTC),
    datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123456789Z", "2262-04-11T23:47:16.854775807Z",
    "9999-12-31T00:00Z", "0001-01-01T00:00Z", "2026-13-01T00:00Z", "2026-01-01", "yesterday",
    "", np.datetime64("9999-01-01"), np.datetime64(2**63 - 1, "ns"), np.datetime64("NaT"),
    np.datetime64(-(2**63) + 1, "ns"), np.datetime64(0, "s"), np.datetime64(10**18, "s"),
]

times: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(EDGE_TIMES),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(),
    st.builds(lambda n: np.datetime64(n, "ns"), st.integers(-(2**63) + 1, 2**63 - 1)),
)

durations: st.SearchStrategy[Any] = st.one_of(
    numbers,
    st.timedeltas(),
    st.sampled_from([np.timedelta64(1, "D"), np.timedelta64(600, "Y"), np.timedelta64("NaT"),
                     np.timedelta64(2**63 - 1, "ns"), np.timedelta64(-1, "s"),
                     timedelta.max, timedelta.min]),
)

scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(), numbers, st.text(max_size=8), st.binary(max_size=4), times,
    st.sampled_from(["lead", "won", "lost", "", " ", "\x00", "1", "nan", "NaN", "1e309",
                     "3,000", "10%", "é"]),
)

#: Anything at all: scalars, containers of them, and odd objects.
junk: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=8,
) | st.sampled_from([object(), np.array([[1, 2], [3, 4]]), np.array([]), np.zeros(3),
                     range(3), iter([1, 2]), float, Ellipsis])


# -- the oracle ---------------------------------------------------------------------------------
def check_result(result: Any) -> None:
    """A valid result: ``repr`` and ``str`` work, ``to_dict()`` is strict JSON."""
    repr(result)
    str(result)
    to_dict = getattr(result, "to_dict", None)
    if callable(to_dict):
        json.dumps(to_dict(), allow_nan=False)


def error_or_result(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``: a :class:`FunnelError` with a message, or a valid result."""
    try:
        result = fn(*args, **kwargs)
    except FunnelError as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        return None
    check_result(result)
    return result


def finite_or_nan(value: float) -> bool:
    """A number a result may show: finite, or NaN (undefined, with a reason)."""
    return math.isfinite(value) or math.isnan(value)
