"""PostHog's own funnel test cases (its ``conversion_time_cases``, run for every order
type), ported: the journeys and the counts and conversion times PostHog expects."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from salesfunnel.events import EventLog, with_events
from salesfunnel.metrics import funnel
from salesfunnel.model import Funnel, Stage

PRODUCT = Funnel("product", [Stage("event"), Stage("done", kind="won")])
HOUR, DAY = 3600, 86_400


def _log(journeys: dict[str, list[tuple[str, datetime]]]) -> EventLog:
    rows = [(person, event, at) for person, evs in journeys.items() for event, at in evs]
    log = EventLog.from_arrays(PRODUCT, entity=[r[0] for r in rows], stage=[0] * len(rows),
                               ts=[r[2].replace(tzinfo=UTC) for r in rows])
    return with_events(log, event=[r[1] for r in rows])


def d(*args: int) -> datetime:
    return datetime(*args)


ORDERS = ["ordered", "strict", "unordered"]


@pytest.mark.parametrize("order", ORDERS)
def test_funnel_with_multiple_incomplete_tries(order: str) -> None:
    """PostHog ``conversion_time_cases.py::test_funnel_with_multiple_incomplete_tries``:
    one person, three tries within a day; converted once, in one hour."""
    log = _log({"person1": [
        ("user signed up", d(2021, 5, 1, 1)), ("$pageview", d(2021, 5, 1, 2)),
        ("something else", d(2021, 5, 1, 3)),
        ("user signed up", d(2021, 5, 3, 4)), ("$pageview", d(2021, 5, 3, 5)),
        ("user signed up", d(2021, 5, 4, 7)), ("$pageview", d(2021, 5, 4, 10)),
    ]})
    r = funnel(log, ["user signed up", "$pageview", "something else"], order=order,
               window=np.timedelta64(1, "D"))
    assert r.counts[0] == 1 and r.counts[2] == 1
    if order != "unordered":  # one hour to convert: the incomplete tries do not count
        assert r.times[0].mean == HOUR and r.times[0].median == HOUR


@pytest.mark.parametrize("order", ORDERS)
def test_funnel_step_conversion_times(order: str) -> None:
    """PostHog ``conversion_time_cases.py::test_funnel_step_conversion_times``: 3, 3, 2
    with mean/median times 6000/7200 s and 5400/5400 s."""
    log = _log({
        "person1": [("sign up", d(2020, 1, 1, 12)), ("play movie", d(2020, 1, 1, 13)),
                    ("buy", d(2020, 1, 1, 15))],
        "person2": [("sign up", d(2020, 1, 2, 14)), ("play movie", d(2020, 1, 2, 16))],
        "person3": [("sign up", d(2020, 1, 2, 14)), ("play movie", d(2020, 1, 2, 16)),
                    ("buy", d(2020, 1, 2, 17))],
    })
    r = funnel(log, ["sign up", "play movie", "buy"], order=order,
               window=np.timedelta64(7, "D"))
    assert r.counts == (3, 3, 2)
    if order != "unordered":
        assert (r.times[0].mean, r.times[0].median) == (6000, 7200)
        assert (r.times[1].mean, r.times[1].median) == (5400, 5400)


@pytest.mark.parametrize("order", ORDERS)
def test_funnel_times_with_different_conversion_windows(order: str) -> None:
    """PostHog ``conversion_time_cases.py::test_funnel_times_with_different_conversion_
    windows``: 14 days: 3, 2 (600 s); 5 minutes: 3, 1 (300 s)."""
    log = _log({
        "stopped_after_signup1": [("user signed up", d(2020, 1, 2, 14)),
                                  ("pageview", d(2020, 1, 2, 14, 5))],
        "stopped_after_signup2": [("user signed up", d(2020, 1, 2, 14, 3))],
        "stopped_after_signup3": [("user signed up", d(2020, 1, 2, 12)),
                                  ("pageview", d(2020, 1, 2, 12, 15))],
    })
    steps = ["user signed up", "pageview"]
    r = funnel(log, steps, order=order, window=np.timedelta64(14, "D"))
    assert r.counts == (3, 2)
    r5 = funnel(log, steps, order=order, window=np.timedelta64(5, "m"))
    assert r5.counts == (3, 1)
    if order != "unordered":
        assert r.times[0].mean == 600 and r5.times[0].mean == 300
