"""PostHog's own funnel test cases, ported.

Each test names the PostHog test it comes from (``posthog/hogql_queries/insights/funnels/
test/``: ``test_funnel.py``, ``test_funnel_strict.py``, ``test_funnel_unordered.py``,
``breakdown_cases.py``) and states the journeys and the counts, times and breakdown
buckets PostHog's test expects, not what this library returns.

How PostHog's fixtures are translated:

- events created one after another without a timestamp (``_create_event`` without
  ``timestamp``, ``journeys_for`` without ``"timestamp"``) happen one after another: they
  get increasing seconds in creation order;
- a person with several distinct ids is one entity;
- an *action* (an event plus property filters) is a :class:`Step` with a ``where`` rule;
  PostHog's autocapture element filters (``tag_name``, ``text``, ``href``) become
  ``text`` and ``href`` properties;
- a PostHog funnel without a window has its default window of 14 days;
- PostHog's exclusion steps are :class:`Exclusion` objects with the same from and to
  steps.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog, with_events
from salesfunnel.metrics import Exclusion, Step, funnel
from salesfunnel.model import Funnel, Stage

PRODUCT = Funnel("product", [Stage("event"), Stage("done", kind="won")])
DAY14 = np.timedelta64(14, "D")
PROPS = ("text", "href", "browser", "key", "current_url", "test_propX")

# an event: (name,), (name, props), (name, when) or (name, when, props); ``when`` is a
# datetime or seconds
Ev = tuple[Any, ...]


def journeys(people: dict[str, Sequence[Ev]]) -> EventLog:
    """One log from PostHog-style journeys (events without a time follow one another)."""
    clock = itertools.count(1)
    rows = []
    for person, events in people.items():
        for ev in events:
            name, when, props = ev[0], None, {}
            for part in ev[1:]:
                if isinstance(part, dict):
                    props = part
                else:
                    when = part
            if when is None:
                when = next(clock)
            if isinstance(when, datetime):
                when = when.replace(tzinfo=UTC)
            rows.append((person, name, when, props))
    log = EventLog.from_arrays(PRODUCT, entity=[r[0] for r in rows], stage=[0] * len(rows),
                               ts=[r[2] for r in rows], unit="s")
    return with_events(log, event=[r[1] for r in rows],
                       properties={p: [r[3].get(p) for r in rows] for p in PROPS})


def d(*args: int) -> datetime:
    return datetime(*args)


# PostHog's ``_basic_funnel`` steps: "user signed up", the action "paid" (an autocapture
# click on the button "Pay $10") and the action "watched movie" (a click on the link
# "/movie")
SIGNUP = ("user signed up",)
PAY = ("$autocapture", {"text": "Pay $10"})
MOVIE = ("$autocapture", {"href": "/movie"})
PAID = Step(event="$autocapture", where="text == 'Pay $10'", name="paid")
WATCHED = Step(event="$autocapture", where="href == '/movie'", name="watched movie")
ANY = Step(stage="event", name="any event")


# -- test_funnel.py: ordered funnels ------------------------------------------------------


def test_funnel_events() -> None:
    """PostHog ``test_funnel.py::test_funnel_events``: 4 signed up, 2 paid, 1 watched;
    the person who paid before signing up does not count at "paid"."""
    log = journeys({
        "stopped_after_signup": [SIGNUP],
        "stopped_after_pay": [SIGNUP, PAY],
        "had_anonymous_id": [SIGNUP, PAY, MOVIE],  # with "completed_movie": one person
        "just_did_movie": [MOVIE],
        "wrong_order": [PAY, SIGNUP, MOVIE],
    })
    r = funnel(log, ["user signed up", PAID, WATCHED], window=DAY14)
    assert r.counts == (4, 2, 1)


def test_funnel_with_messed_up_order() -> None:
    """PostHog ``test_funnel.py::test_funnel_with_messed_up_order``: signed up, then
    watched; a movie before the signup does not count."""
    log = journeys({
        "stopped_after_signup": [SIGNUP],
        "stopped_after_pay": [SIGNUP],
        # "completed_movie" watched before the person (with "had_anonymous_id") signed up
        "had_anonymous_id": [(*MOVIE[:1], 3, MOVIE[1]), ("user signed up", 4),
                             (*MOVIE[:1], 5, MOVIE[1])],
        "just_did_movie": [(*MOVIE[:1], 6, MOVIE[1])],
        "wrong_order": [(*MOVIE[:1], 7, MOVIE[1]), ("user signed up", 8)],
    })
    assert funnel(log, ["user signed up", WATCHED], window=DAY14).counts == (4, 1)


def test_funnel_with_any_event() -> None:
    """PostHog ``test_funnel.py::test_funnel_with_any_event``: three "any event" steps:
    5, 3 and 1 (one event fills one step only)."""
    log = journeys({
        "stopped_after_signup": [SIGNUP],
        "stopped_after_pay": [SIGNUP, MOVIE],
        "completed_movie": [SIGNUP, MOVIE],
        "just_did_movie": [MOVIE],
        "wrong_order": [MOVIE, SIGNUP, MOVIE],
    })
    assert funnel(log, [ANY, ANY, ANY], window=DAY14).counts == (5, 3, 1)


def test_funnel_skipped_step() -> None:
    """PostHog ``test_funnel.py::test_funnel_skipped_step``: signed up and watched
    without paying: nobody reaches "paid" or "watched movie"."""
    log = journeys({"wrong_order": [SIGNUP, MOVIE]})
    r = funnel(log, ["user signed up", PAID, WATCHED], window=DAY14)
    assert r.counts[1:] == (0, 0)


def test_funnel_prop_filters() -> None:
    """PostHog ``test_funnel.py::test_funnel_prop_filters``: a funnel-wide filter
    ``$browser = Safari`` (here on every step): 2 signed up, 1 paid."""
    safari = {"browser": "Safari"}
    log = journeys({
        "with_property": [("user signed up", safari), ("$autocapture", {**PAY[1], **safari})],
        "without_property": [SIGNUP, PAY],
        "half_property": [("user signed up", safari), PAY],
    })
    on = "browser == 'Safari'"
    steps = [Step(event="user signed up", where=on),
             Step(event="$autocapture", where=f"text == 'Pay $10' and {on}"),
             Step(event="$autocapture", where=f"href == '/movie' and {on}")]
    assert funnel(log, steps, window=DAY14).counts[:2] == (2, 1)


def test_funnel_prop_filters_per_entity() -> None:
    """PostHog ``test_funnel.py::test_funnel_prop_filters_per_entity``: a filter per
    step (Safari and not Chrome; Safari; Firefox): 1, 1, 0."""
    log = journeys({
        "with_property": [("user signed up", {"browser": "Safari"}),
                          ("$autocapture", {**PAY[1], "browser": "Safari"}), MOVIE],
        "without_property": [SIGNUP, ("$autocapture", {**PAY[1], "browser": "Safari"})],
        "half_property": [SIGNUP, PAY, MOVIE],
    })
    steps = [Step(event="user signed up",
                  where="browser == 'Safari' and browser != 'Chrome'"),
             Step(event="$autocapture", where="text == 'Pay $10' and browser == 'Safari'"),
             Step(event="$autocapture", where="href == '/movie' and browser == 'Firefox'")]
    assert funnel(log, steps, window=DAY14).counts == (1, 1, 0)


def test_funnel_multiple_actions() -> None:
    """PostHog ``test_funnel.py::test_funnel_multiple_actions``: the same event with two
    different property filters at steps 1 and 2: 1, 1, 0."""
    log = journeys({"person1": [("event1",), ("event2", {"test_propX": "a"})]})
    steps = ["event1", Step(event="event2", where="test_propX == 'a'"),
             Step(event="event2", where="test_propX == 'c'")]
    assert funnel(log, steps, window=DAY14).counts == (1, 1, 0)


def test_basic_funnel_with_repeat_steps() -> None:
    """PostHog ``test_funnel.py::test_basic_funnel_with_repeat_steps``: the same event at
    both steps: two signups reach step 2, one does not."""
    log = journeys({"stopped_after_signup1": [SIGNUP, SIGNUP],
                    "stopped_after_signup2": [SIGNUP]})
    r = funnel(log, ["user signed up", "user signed up"], window=DAY14)
    assert r.counts == (2, 1)


def test_basic_funnel_with_derivative_steps() -> None:
    """PostHog ``test_funnel.py::test_basic_funnel_with_derivative_steps``: step 0 is
    the signup with ``key = val``, step 1 any signup: 2, 1."""
    val = ("user signed up", {"key": "val"})
    log = journeys({"stopped_after_signup1": [val, SIGNUP], "stopped_after_signup2": [val]})
    steps = [Step(event="user signed up", where="key == 'val'"), "user signed up"]
    assert funnel(log, steps, window=DAY14).counts == (2, 1)


def test_funnel_with_actions() -> None:
    """PostHog ``test_funnel.py::test_funnel_with_actions``: the action "sign up" (with
    ``key = val``) at both steps: 2, 1."""
    val = ("sign up", {"key": "val"})
    log = journeys({"stopped_after_signup1": [val, val], "stopped_after_signup2": [val]})
    action = Step(event="sign up", where="key in ['val']")
    assert funnel(log, [action, action]).counts == (2, 1)


def test_advanced_funnel_with_repeat_steps() -> None:
    """PostHog ``test_funnel.py::test_advanced_funnel_with_repeat_steps``: a signup then
    four pageview steps: 5, 4, 3, 2, 1 (other events in between do not matter)."""
    pv, blah = ("$pageview",), ("blaah blaa",)
    log = journeys({
        "stopped_after_signup1": [SIGNUP],
        "stopped_after_pageview1": [SIGNUP, pv],
        "stopped_after_pageview2": [SIGNUP, pv, blah, pv],
        "stopped_after_pageview3": [SIGNUP, pv, blah, pv, pv, blah],
        "stopped_after_pageview4": [SIGNUP, pv, pv, pv, pv],
    })
    steps = ["user signed up"] + ["$pageview"] * 4
    assert funnel(log, steps).counts == (5, 4, 3, 2, 1)


def test_advanced_funnel_with_repeat_steps_out_of_order_events() -> None:
    """PostHog ``test_funnel.py::test_advanced_funnel_with_repeat_steps_out_of_order_
    events``: pageviews before the signup do not count: 5, 4, 1, 1, 1."""
    pv, blah = ("$pageview",), ("blaah blaa",)
    log = journeys({
        "random": [pv, SIGNUP],  # distinct ids "random" and "stopped_after_signup1"
        "stopped_after_pageview1": [SIGNUP, pv],
        "stopped_after_pageview2": [pv, SIGNUP, blah, pv],
        "stopped_after_pageview3": [blah, pv, blah, pv, SIGNUP, pv],
        "stopped_after_pageview4": [SIGNUP, pv, blah, pv, pv, pv],
        "stopped_after_pageview5": [pv, blah, pv, pv, pv],
    })
    steps = ["user signed up"] + ["$pageview"] * 4
    assert funnel(log, steps, window=DAY14).counts == (5, 4, 1, 1, 1)


def test_funnel_with_matching_properties() -> None:
    """PostHog ``test_funnel.py::test_funnel_with_matching_properties``: pageview steps
    told apart by ``$current_url``: 5, 4, 3, 2, 0."""
    pv1 = ("$pageview", {"current_url": "aloha.com"})
    pv2 = ("$pageview", {"current_url": "aloha2.com"})
    log = journeys({
        "stopped_after_signup1": [SIGNUP],
        "stopped_after_pageview1": [SIGNUP, pv1],
        "stopped_after_pageview2": [SIGNUP, pv1, ("blaah blaa", {"current_url": "aloha.com"}),
                                    pv2],
        "stopped_after_pageview3": [SIGNUP, pv1, pv2, pv2, ("blaah blaa",)],
        "stopped_after_pageview4": [SIGNUP, pv1, ("blaah blaa",), pv2, pv1, pv2],
    })
    steps = ["user signed up", Step(event="$pageview", where="current_url == 'aloha.com'"),
             Step(event="$pageview", where="current_url == 'aloha2.com'"),
             Step(event="$pageview", where="current_url == 'aloha2.com'"), "$pageview"]
    assert funnel(log, steps, window=DAY14).counts == (5, 4, 3, 2, 0)


@pytest.mark.parametrize(("late", "window"), [
    (d(2021, 5, 10), np.timedelta64(7, "D")),  # test_funnel_conversion_window
    (d(2021, 5, 1, 0, 0, 20), np.timedelta64(15, "s")),  # ..._window_seconds
])
def test_funnel_conversion_window(late: datetime, window: np.timedelta64) -> None:
    """PostHog ``test_funnel.py::test_funnel_conversion_window`` (7 days) and
    ``test_funnel_conversion_window_seconds`` (15 s): 10 users convert inside the
    window, 15 outside it: 25, 10, 0."""
    early = d(2021, 5, 2) if window == np.timedelta64(7, "D") else d(2021, 5, 1, 0, 0, 10)
    log = journeys({
        f"user_{i}": [("step one", d(2021, 5, 1)), ("step two", early if i < 10 else late)]
        for i in range(25)})
    r = funnel(log, ["step one", "step two", "step three"], window=window)
    assert r.counts == (25, 10, 0)


def test_same_event_same_timestamp() -> None:
    """PostHog ``test_funnel.py::test_same_event_same_timestamp``: twenty "step one" at
    one moment and a "step two" a day later: the person converts."""
    log = journeys({"test": [("step one", d(2024, 1, 10, 12, 1))] * 20
                    + [("step two", d(2024, 1, 11, 12, 1))]})
    assert funnel(log, ["step one", "step two"], window=DAY14).counts[-1] == 1


def test_funnel_with_different_actions_at_same_time_count_as_converted() -> None:
    """PostHog ``test_funnel.py::test_funnel_with_different_actions_at_same_time_count_
    as_converted``: a "sign up" and a pageview at the same moment count as converted
    (2, 1) in PostHog, whose ordered funnel lets a step share the previous step's time
    when the two steps are different events.

    A deliberate difference: by default (``ties="later"``) events at the same moment do
    not chain here, so the same-moment pageview does not count; ``ties="row_order"``
    (same-moment events chain in row order, here the order PostHog created them in)
    gives PostHog's numbers."""
    at = d(2020, 1, 3)
    log = journeys({"stopped_after_signup1": [("sign up", at, {"key": "val"}),
                                              ("$pageview", at, {"key": "val"})],
                    "stopped_after_signup2": [("sign up", at, {"key": "val"})]})
    steps = [Step(event="sign up", where="key in ['val']"), "$pageview"]
    assert funnel(log, steps, ties="row_order").counts == (2, 1)
    assert funnel(log, steps).counts == (2, 0)


# -- test_funnel.py: exclusions ------------------------------------------------------------


def test_funnel_exclusions_invalid_params() -> None:
    """PostHog ``test_funnel.py::test_funnel_exclusions_invalid_params``: on a 2-step
    funnel, exclusions from step 1 to 1, 1 to 2, 2 to 1 and 0 to 2 are refused."""
    log = journeys({"p": [SIGNUP, ("paid",)]})
    for start, end in [(1, 1), (1, 2), (2, 1), (0, 2)]:
        with pytest.raises(InvalidParameterError):
            funnel(log, ["user signed up", "paid"], window=DAY14,
                   exclusions=[Exclusion("x", start, end)])


def test_funnel_exclusion_no_end_event() -> None:
    """PostHog ``test_funnel.py::test_funnel_exclusion_no_end_event``: one-day window,
    "x" excluded between steps 0 and 1: person2 (x before paying) and person3 (x within
    the window, never paid) drop out; person4's x comes after the window: 2, 1."""
    log = journeys({
        "person1": [("user signed up", d(2021, 5, 1, 1)), ("paid", d(2021, 5, 1, 2))],
        "person2": [("user signed up", d(2021, 5, 1, 3)), ("x", d(2021, 5, 1, 3, 30)),
                    ("paid", d(2021, 5, 1, 4))],
        "person3": [("user signed up", d(2021, 5, 1, 5)), ("x", d(2021, 5, 1, 6))],
        "person4": [("user signed up", d(2021, 5, 1, 7)), ("x", d(2021, 5, 2, 8))],
    })
    r = funnel(log, ["user signed up", "paid"], window=np.timedelta64(1, "D"),
               exclusions=[Exclusion("x", 0, 1)])
    assert r.counts == (2, 1)
    assert r.excluded == 2


@pytest.mark.parametrize(("events", "counts"), [
    # ..._no_end_event1: the second attempt (at 31 s) has no x after it
    ([("step one", 0), ("exclusion", 1), ("step one", 31)], (1, 0)),
    # ..._no_end_event2: the first attempt's window (10 s) ends before the x at 32 s
    ([("step one", 0), ("step one", 31), ("exclusion", 32)], (1, 0)),
    # ..._no_end_event3: both attempts have the x within their window
    ([("step one", 0), ("step one", 1), ("exclusion", 2)], (0, 0)),
])
def test_funnel_exclusion_multiple_possible_no_end_event(events: list[Ev],
                                                         counts: tuple[int, int]) -> None:
    """PostHog ``test_funnel.py::test_funnel_exclusion_multiple_possible_no_end_event1``,
    ``2`` and ``3``: a 10-second window and an exclusion between steps 0 and 1; a user
    with several attempts counts when one attempt has no exclusion event."""
    log = journeys({"user_one": [(name, 1_619_827_200 + s) for name, s in events]})
    r = funnel(log, ["step one", "step two"], window=np.timedelta64(10, "s"),
               exclusions=[Exclusion("exclusion", 0, 1)])
    assert r.counts == counts


def test_funnel_exclusions_with_actions() -> None:
    """PostHog ``test_funnel.py::test_funnel_exclusions_with_actions``: the excluded step
    is an action ("sign up" with ``key = val``): person2 drops out: 2, 2."""
    log = journeys({
        "person1": [("user signed up", d(2021, 5, 1, 1)), ("paid", d(2021, 5, 1, 2))],
        "person2": [("user signed up", d(2021, 5, 1, 3)),
                    ("sign up", d(2021, 5, 1, 3, 30), {"key": "val"}),
                    ("paid", d(2021, 5, 1, 4))],
        "person3": [("user signed up", d(2021, 5, 1, 5)), ("paid", d(2021, 5, 1, 6))],
    })
    ex = Exclusion(Step(event="sign up", where="key in ['val']"), 0, 1)
    r = funnel(log, ["user signed up", "paid"], window=DAY14, exclusions=[ex])
    assert r.counts == (2, 2)


def test_funnel_exclusions_full_window() -> None:
    """PostHog ``test_funnel.py::test_funnel_exclusions_full_window``: an exclusion event
    named "x 1 name with numbers 2" between the steps drops person2: 2, 2."""
    x = "x 1 name with numbers 2"
    log = journeys({
        "person1": [("user signed up", d(2021, 5, 1, 1)), ("paid", d(2021, 5, 1, 2))],
        "person2": [("user signed up", d(2021, 5, 1, 3)), (x, d(2021, 5, 1, 3, 30)),
                    ("paid", d(2021, 5, 1, 4))],
        "person3": [("user signed up", d(2021, 5, 1, 5)), ("paid", d(2021, 5, 1, 6))],
    })
    r = funnel(log, ["user signed up", "paid"], window=DAY14, exclusions=[Exclusion(x, 0, 1)])
    assert r.counts == (2, 2)


ORDERS = ["ordered", "strict", "unordered"]
FIVE = ["user signed up", "$pageview", "insight viewed", "invite teammate", "pageview2"]


def _five(extra: dict[int, str], pageview: int = 120) -> list[Ev]:
    """The five steps at 1:00, 2:00 (``pageview``: minutes past midnight), 4:00, 5:00
    and 6:00 on 2021-05-01, plus events at the given minutes past midnight."""
    at = dict(zip([60, pageview, 240, 300, 360], FIVE, strict=True)) | extra
    return [(name, d(2021, 5, 1, m // 60, m % 60)) for m, name in sorted(at.items())]


@pytest.mark.parametrize(("start", "end", "kept"), [
    (0, 1, {"person1", "person2"}), (1, 2, {"person2", "person3"}),
    (2, 3, {"person3"}), (3, 4, set()), (1, 3, {"person3"})])
def test_advanced_funnel_exclusions_between_steps(start: int, end: int,
                                                  kept: set[str]) -> None:
    """PostHog ``test_funnel.py::test_advanced_funnel_exclusions_between_steps``: "x"
    excluded between steps 0-1, 1-2, 2-3, 3-4 and 1-3 of a five-step funnel; who stays
    (everyone who stays completes all five steps)."""
    people = {
        "person1": _five({180: "x", 270: "x", 330: "x"}),
        "person2": _five({270: "x", 330: "x"}),
        "person3": _five({90: "x", 330: "x"}),
    }
    log = journeys(people)
    r = funnel(log, FIVE, window=DAY14, exclusions=[Exclusion("x", start, end)])
    assert r.counts[0] == len(kept) and r.counts[4] == len(kept)
    assert r.excluded == 3 - len(kept)
    by = journeys({p: [(*e, {"key": p}) for e in evs] for p, evs in people.items()})
    groups = funnel(by, FIVE, window=DAY14, exclusions=[Exclusion("x", start, end)],
                    by="key")
    assert {p for p, g in groups.items() if g.counts[0]} == kept


@pytest.mark.parametrize("exclusions", [
    [("x", 0, 1), ("y", 2, 3)], [("x", 0, 1), ("y", 0, 1)], [("x", 0, 4), ("y", 0, 4)]])
def test_advanced_funnel_multiple_exclusions_between_steps(
        exclusions: list[tuple[str, int, int]]) -> None:
    """PostHog ``test_funnel.py::test_advanced_funnel_multiple_exclusions_between_steps``:
    two exclusions at once; only person4 (no "x", no "y") stays: 1, ..., 1."""
    people = {
        "person1": _five({120: "x", 270: "y"}, pageview=180),
        "person2": _five({90: "y", 270: "y", 330: "x"}),
        "person3": _five({90: "x", 330: "x"}),
        "person4": _five({}),
    }
    log = journeys(people)
    r = funnel(log, FIVE, window=DAY14,
               exclusions=[Exclusion(x, s, e) for x, s, e in exclusions])
    assert r.counts[0] == 1 and r.counts[4] == 1


# -- test_funnel_strict.py -----------------------------------------------------------------


def test_basic_strict_funnel() -> None:
    """PostHog ``test_funnel_strict.py::test_basic_strict_funnel``: any other event
    between two steps breaks a strict funnel: 7, 2, 1."""
    s, pv, iv, blah = SIGNUP, ("$pageview",), ("insight viewed",), ("blaah blaa",)
    log = journeys({
        "stopped_after_signup1": [s],
        "stopped_after_pageview1": [pv, s],
        "stopped_after_insightview": [s, pv, blah, iv],
        "stopped_after_insightview2": [iv, blah, pv, s],
        "stopped_after_insightview3": [pv, s, blah, pv, iv],
        "person6": [blah, s, blah, pv],
        "person7": [blah, s, pv, iv, blah],
        "stopped_after_insightview6": [iv, pv],
    })
    r = funnel(log, ["user signed up", "$pageview", "insight viewed"], order="strict",
               window=DAY14)
    assert r.counts == (7, 2, 1)


def test_advanced_strict_funnel() -> None:
    """PostHog ``test_funnel_strict.py::test_advanced_strict_funnel``: steps "user signed
    up", the action "sign up" (``key = val``), "$pageview" and the action "pageview"
    (``key = val``), strict: 8, 6, 5, 1."""
    s, blah, pv = SIGNUP, ("blaah blaa",), ("$pageview",)
    val = ("sign up", {"key": "val"})
    log = journeys({
        "stopped_after_signup1": [s],
        "stopped_after_pageview1": [s, pv],
        "stopped_after_insightview": [s, val, ("sign up", {"key": "val2"}), pv, blah,
                                      ("insight viewed",)],
        "person4": [blah, s, val, ("$pageview", {"key": "val"}), blah],
        "person5": [blah, s, val, pv, blah],
        "person6": [blah, s, val, pv, ("pageview", {"key": "val1"})],
        "person7": [blah, s, val, pv, s, ("pageview", {"key": "val"})],
        "person8": [blah, s, s, val, pv, ("pageview", {"key": "val"})],
    })
    steps = ["user signed up", Step(event="sign up", where="key in ['val']"), "$pageview",
             Step(event="pageview", where="key in ['val']")]
    assert funnel(log, steps, order="strict", window=DAY14).counts == (8, 6, 5, 1)


def test_basic_strict_funnel_conversion_times() -> None:
    """PostHog ``test_funnel_strict.py::test_basic_strict_funnel_conversion_times``: 3
    signed up; 1.5 hours on average to the pageview (1 and 2 hours), 2 hours to the
    insight view."""
    log = journeys({
        "stopped_after_signup1": [("user signed up", d(2021, 5, 2))],
        "stopped_after_pageview1": [("user signed up", d(2021, 5, 2)),
                                    ("$pageview", d(2021, 5, 2, 1))],
        "stopped_after_insightview": [("user signed up", d(2021, 5, 2)),
                                      ("$pageview", d(2021, 5, 2, 2)),
                                      ("insight viewed", d(2021, 5, 2, 4))],
    })
    r = funnel(log, ["user signed up", "$pageview", "insight viewed"], order="strict",
               window=DAY14)
    assert r.counts[0] == 3
    assert r.times[0].mean == 5400 and r.times[1].mean == 7200


# -- test_funnel_unordered.py --------------------------------------------------------------


def test_basic_unordered_funnel_conversion_times() -> None:
    """PostHog ``test_funnel_unordered.py::test_basic_unordered_funnel_conversion_times``
    (counts only: unordered funnels keep no times here): one-day window, 3 people
    complete a first step."""
    log = journeys({
        "stopped_after_signup1": [("user signed up", d(2021, 5, 2))],
        "stopped_after_pageview1": [("$pageview", d(2021, 5, 2)),
                                    ("user signed up", d(2021, 5, 2, 1))],
        "stopped_after_insightview": [
            ("insight viewed", d(2021, 5, 2)), ("user signed up", d(2021, 5, 2, 2)),
            ("$pageview", d(2021, 5, 2, 4)), ("$pageview", d(2021, 5, 3)),
            ("insight viewed", d(2021, 5, 3, 3)), ("user signed up", d(2021, 5, 3, 6))],
    })
    r = funnel(log, ["user signed up", "$pageview", "insight viewed"], order="unordered",
               window=np.timedelta64(1, "D"))
    assert r.counts[0] == 3


def _unordered_people(crying: bool) -> dict[str, list[Ev]]:
    s, pv, iv, blah, cry = (SIGNUP, ("$pageview",), ("insight viewed",), ("blaah blaa",),
                            ("crying",))
    return {
        "stopped_after_signup1": [s],
        "stopped_after_pageview1": [pv, cry] if crying else [pv, s],
        "stopped_after_insightview": [s, pv, blah, iv],
        "stopped_after_insightview2": [iv, cry, s] if crying else [iv, pv, s],
        "stopped_after_insightview3": [pv, s, cry, iv] if crying else [pv, s, blah, iv],
        "stopped_after_insightview4": [blah, iv],
        "stopped_after_insightview5": [pv, blah],
        "stopped_after_insightview6": [iv, pv],
    }


def test_basic_unordered_funnel() -> None:
    """PostHog ``test_funnel_unordered.py::test_basic_unordered_funnel``: steps in any
    order: completed 1, 2, 3 steps: 8, 5, 3."""
    log = journeys(_unordered_people(crying=False))
    r = funnel(log, ["user signed up", "$pageview", "insight viewed"], order="unordered",
               window=DAY14)
    assert r.counts == (8, 5, 3)


def test_big_multi_step_unordered_funnel() -> None:
    """PostHog ``test_funnel_unordered.py::test_big_multi_step_unordered_funnel``: four
    steps in any order: 8, 5, 3, 1."""
    log = journeys(_unordered_people(crying=True))
    r = funnel(log, ["user signed up", "$pageview", "insight viewed", "crying"],
               order="unordered", window=DAY14)
    assert r.counts == (8, 5, 3, 1)


# -- breakdown_cases.py: attribution ---------------------------------------------------------


def _attribution_people(with_person5: bool) -> dict[str, list[Ev]]:
    out: dict[str, list[Ev]] = {
        "person1": [("sign up", d(2020, 1, 1, 12), {"browser": "Chrome"}),
                    ("buy", d(2020, 1, 1, 13))],
        "person2": [("sign up", d(2020, 1, 1, 13)),
                    ("buy", d(2020, 1, 2, 13), {"browser": "Safari"})],
        "person3": [("sign up", d(2020, 1, 2, 14), {"browser": "Mac"}),
                    ("buy", d(2020, 1, 2, 15))],
        "person4": [("sign up", d(2020, 1, 2, 15), {"browser": "0"}),
                    ("buy", d(2020, 1, 2, 16), {"browser": "alakazam"})],
    }
    if with_person5:  # no properties at all
        out["person5"] = [("sign up", d(2020, 1, 2, 15)), ("buy", d(2020, 1, 2, 16))]
    return out


def _buckets(result: Any) -> dict[Any, tuple[tuple[int, ...], float]]:
    """value -> (counts, mean time to convert); unordered funnels keep no times, so
    their expected times are replaced by NaN."""
    return {v: (r.counts, r.times[0].mean if r.times else math.nan)
            for v, r in result.items()}


def _expect(order: str, want: dict[Any, tuple[tuple[int, ...], float]]) -> dict[Any, Any]:
    if order != "unordered":
        return want
    return {v: (counts, math.nan) for v, (counts, _) in want.items()}


def _same(got: dict[Any, Any], want: dict[Any, Any]) -> bool:
    return got.keys() == want.keys() and all(
        got[k][0] == want[k][0] and (got[k][1] == want[k][1] or (
            math.isnan(got[k][1]) and math.isnan(want[k][1]))) for k in got)


@pytest.mark.parametrize("order", ORDERS)
def test_funnel_step_breakdown_with_first_touch_attribution(order: str) -> None:
    """PostHog ``breakdown_cases.py::test_funnel_step_breakdown_with_first_touch_
    attribution``: each person in the bucket of the first ``$browser`` value seen along
    its path (person2's signup has none, so its purchase's Safari counts; person5 has
    none at all), with one hour (Safari: one day) to convert."""
    log = journeys(_attribution_people(with_person5=True))
    r = funnel(log, ["sign up", "buy"], order=order, window=np.timedelta64(7, "D"),  # type: ignore[arg-type]
               by="browser", attribution="first_touch")
    assert _same(_buckets(r), _expect(order, {
        None: ((1, 1), 3600), "0": ((1, 1), 3600), "Chrome": ((1, 1), 3600),
        "Mac": ((1, 1), 3600), "Safari": ((1, 1), 86400)}))


@pytest.mark.parametrize("order", ORDERS)
def test_funnel_step_breakdown_with_last_touch_attribution(order: str) -> None:
    """PostHog ``breakdown_cases.py::test_funnel_step_breakdown_with_last_touch_
    attribution``: the last ``$browser`` value seen along the path (person1's purchase
    has none, so its signup's Chrome counts; person4 is "alakazam", not "0")."""
    log = journeys(_attribution_people(with_person5=True))
    r = funnel(log, ["sign up", "buy"], order=order, window=np.timedelta64(7, "D"),  # type: ignore[arg-type]
               by="browser", attribution="last_touch")
    assert _same(_buckets(r), _expect(order, {
        None: ((1, 1), 3600), "alakazam": ((1, 1), 3600), "Chrome": ((1, 1), 3600),
        "Mac": ((1, 1), 3600), "Safari": ((1, 1), 86400)}))


@pytest.mark.parametrize("order", ORDERS)
def test_funnel_step_breakdown_with_step_attribution(order: str) -> None:
    """PostHog ``breakdown_cases.py::test_funnel_step_breakdown_with_step_attribution``
    (step 0): the signup's value, missing for person2 (its purchase's Safari does not
    count): 4 buckets, person2 in the empty one with one day to convert."""
    log = journeys(_attribution_people(with_person5=False))
    r = funnel(log, ["sign up", "buy"], order=order, window=np.timedelta64(7, "D"),  # type: ignore[arg-type]
               by="browser", attribution=0)
    assert _same(_buckets(r), _expect(order, {
        None: ((1, 1), 86400), "0": ((1, 1), 3600), "Chrome": ((1, 1), 3600),
        "Mac": ((1, 1), 3600)}))
