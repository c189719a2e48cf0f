"""Hypothesis strategies for product funnels: event logs with names and properties,
funnel steps, ``windowFunnel`` modes and exclusions.

The logs are small and dense on purpose: few entities, few event names, times drawn
from a handful of seconds so that ties, repeated events and events matching several
steps are common, which is where funnel modes differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from salesfunnel._util._time import NS_PER_S
from salesfunnel.events import EventLog, with_events
from salesfunnel.metrics import Exclusion, Step, WindowFunnelMode
from salesfunnel.metrics._modes import MODE_OPTIONS
from salesfunnel.model import Funnel, Stage
from salesfunnel.testing._validation import StrategyArgumentError, check_int

__all__ = ["PRODUCT_EVENTS", "exclusions", "funnel_steps", "product_event_logs",
           "window_funnel_modes"]

#: The event names the strategies draw from by default.
PRODUCT_EVENTS = ("view", "signup", "buy", "cancel")
#: Property filters drawn for event steps (``url``, ``plan`` and ``price`` columns).
_WHERE = ("url == '/pricing'", "url != '/pricing'", "plan in ['pro', 'team']",
          "price >= 10", "plan is set", "url == '/pricing' and price >= 10")
_URLS = ("/", "/pricing", "/docs", None)
_PLANS = ("free", "pro", "team", None)
_FUNNEL = Funnel("product", [Stage("event"), Stage("done", kind="won")])
_T0 = 1_767_225_600 * NS_PER_S  # 2026-01-01T00:00:00Z


def _events(events: Any) -> tuple[str, ...]:
    if isinstance(events, str) or not isinstance(events, Sequence) or not events or not all(
            isinstance(e, str) for e in events):
        raise StrategyArgumentError(
            f"events={events!r} must be a non-empty sequence of event names")
    return tuple(events)


@st.composite
def _log(draw: st.DrawFn, max_entities: int, max_events: int, events: tuple[str, ...],
         max_seconds: int) -> EventLog:
    n = draw(st.integers(0, max_events))
    ent = draw(st.lists(st.integers(0, max_entities - 1), min_size=n, max_size=n))
    sec = draw(st.lists(st.integers(0, max_seconds), min_size=n, max_size=n))
    name = draw(st.lists(st.sampled_from(events), min_size=n, max_size=n))
    url = draw(st.lists(st.sampled_from(_URLS), min_size=n, max_size=n))
    plan = draw(st.lists(st.sampled_from(_PLANS), min_size=n, max_size=n))
    price = draw(st.lists(st.one_of(st.none(), st.integers(0, 20).map(float)), min_size=n,
                          max_size=n))
    log = EventLog.from_arrays(_FUNNEL, entity=np.array(ent, dtype=np.int64),
                               stage=np.zeros(n, dtype=np.int64),
                               ts=np.array(sec, dtype=np.int64) * NS_PER_S + _T0, unit="ns")
    price_col = np.array([np.nan if p is None else p for p in price], dtype=np.float64)
    url_col = np.empty(n, dtype=object)
    url_col[:] = url
    plan_col = np.empty(n, dtype=object)
    plan_col[:] = plan
    return with_events(log, event=np.array(name, dtype=object),
                       properties={"url": url_col, "plan": plan_col, "price": price_col})


def product_event_logs(*, max_entities: int = 6, max_events: int = 40,
                       events: Sequence[str] = PRODUCT_EVENTS,
                       max_seconds: int = 12) -> st.SearchStrategy[EventLog]:
    """Event logs with event names and the properties ``url``, ``plan`` and ``price``.

    Parameters
    ----------
    max_entities : int
        Entities are drawn from ``0 .. max_entities - 1`` (>= 1).
    max_events : int
        At most this many rows (>= 0).
    events : sequence of str
        The event names.
    max_seconds : int
        Times are whole seconds in ``0 .. max_seconds`` after 2026-01-01: small, so
        ties are frequent (>= 0).

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel.testing import product_event_logs
    >>> @given(product_event_logs(max_events=5))
    ... def test_names(log):
    ...     assert log.event is not None and len(log.event.codes) == len(log) <= 5
    >>> test_names()
    """
    max_entities = check_int("max_entities", max_entities, low=1)
    max_events = check_int("max_events", max_events, low=0)
    max_seconds = check_int("max_seconds", max_seconds, low=0)
    return _log(max_entities, max_events, _events(events), max_seconds)


@st.composite
def _step(draw: st.DrawFn, events: tuple[str, ...]) -> Step:
    name = draw(st.sampled_from(events))
    where = draw(st.one_of(st.none(), st.sampled_from(_WHERE)))
    return Step(event=name, where=where)


def funnel_steps(*, min_steps: int = 1, max_steps: int = 4,
                 events: Sequence[str] = PRODUCT_EVENTS) -> st.SearchStrategy[list[Step]]:
    """Lists of event :class:`~salesfunnel.metrics.Step` objects, some with property
    filters, event names often repeated (so one event can match several steps).

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel.testing import funnel_steps
    >>> @given(funnel_steps(max_steps=3))
    ... def test_steps(steps):
    ...     assert 1 <= len(steps) <= 3
    >>> test_steps()
    """
    min_steps = check_int("min_steps", min_steps, low=1)
    max_steps = check_int("max_steps", max_steps, low=min_steps)
    if max_steps > 32:
        raise StrategyArgumentError(f"max_steps={max_steps} must be at most 32")
    return st.lists(_step(_events(events)), min_size=min_steps, max_size=max_steps)


@st.composite
def _mode(draw: st.DrawFn) -> WindowFunnelMode:
    flags = {name: draw(st.booleans()) for name in MODE_OPTIONS if name != "allow_reentry"}
    flags["allow_reentry"] = flags["strict_order"] and draw(st.booleans())
    return WindowFunnelMode(**flags)


def window_funnel_modes() -> st.SearchStrategy[WindowFunnelMode]:
    """Every valid combination of ClickHouse ``windowFunnel`` options.

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel.testing import window_funnel_modes
    >>> @given(window_funnel_modes())
    ... def test_modes(mode):
    ...     assert mode.strict_order or not mode.allow_reentry
    >>> test_modes()
    """
    return _mode()


def exclusions(n_steps: int, *, events: Sequence[str] = PRODUCT_EVENTS,
               max_size: int = 2) -> st.SearchStrategy[list[Exclusion]]:
    """Lists of :class:`~salesfunnel.metrics.Exclusion` between steps of an
    ``n_steps``-step funnel (empty when ``n_steps < 2``).

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel.testing import exclusions
    >>> @given(exclusions(3))
    ... def test_spans(exs):
    ...     assert all(0 <= e.start < e.end < 3 for e in exs)
    >>> test_spans()
    """
    n_steps = check_int("n_steps", n_steps, low=1)
    max_size = check_int("max_size", max_size, low=0)
    names = _events(events)
    if n_steps < 2:
        return st.just([])
    span = st.tuples(st.integers(0, n_steps - 2), st.integers(1, n_steps - 1)).filter(
        lambda t: t[0] < t[1])
    one = st.builds(lambda s, sp: Exclusion(s, sp[0], sp[1]), _step(names), span)
    return st.lists(one, max_size=max_size)
