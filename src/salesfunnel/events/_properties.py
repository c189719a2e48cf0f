"""Event names and event properties on an :class:`~salesfunnel.EventLog`.

Product funnels define a step by an event name and filters on event properties
(``pageview`` with ``url == "/pricing"``) rather than by a funnel stage. :func:`with_events`
attaches those columns to a log; the funnel steps in :mod:`salesfunnel.metrics` read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from salesfunnel._util._validate import invalid
from salesfunnel.errors import EventLogError
from salesfunnel.events._log import EventLog
from salesfunnel.events._segment import Segment

__all__ = ["with_events"]


def _column(name: str, values: Any, n: int) -> np.ndarray[Any, Any]:
    arr = np.asarray(values)
    if arr.dtype.kind not in "biufOUS":  # datetimes, mixed values: keep them as objects
        arr = np.asarray(values, dtype=object)
    if arr.ndim != 1 or len(arr) != n:
        raise EventLogError(
            f"{name} has shape {arr.shape}; expected one value per event ({n},)", count=1)
    return arr


def with_events(log: EventLog, *, event: Any = None,
                properties: Mapping[str, Any] | None = None) -> EventLog:
    """A copy of ``log`` carrying event names and event properties.

    Parameters
    ----------
    log : EventLog
        The events, in the log's row order.
    event : array-like of str, optional
        The event name of every row (``"pageview"``, ``"signup"``); stored as a
        categorical :class:`~salesfunnel.events.Segment`.
    properties : mapping of str to array-like, optional
        Property columns, one value per row (``url``, ``plan``, ``price``); a step's
        ``where`` rule reads them. ``None`` and NaN are *not set*.

    Returns
    -------
    EventLog
        A new log (columns shared with ``log``) whose ``event`` and ``properties`` are
        set; columns of ``log`` not given are kept.

    Raises
    ------
    EventLogError
        A column whose length is not the number of events.
    InvalidParameterError
        ``properties`` that is not a mapping of names to columns.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.events import with_events
    >>> f = Funnel("app", [Stage("visit"), Stage("paid", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 2], stage=[0, 1, 0], ts=[0, 5, 2], unit="s")
    >>> log = with_events(log, event=["pageview", "purchase", "pageview"],
    ...                   properties={"url": ["/", None, "/pricing"]})
    >>> log
    <EventLog 'app': 3 events, 2 entities, 2 stages, event names, properties: url>
    >>> log.event.values().tolist()
    ['pageview', 'purchase', 'pageview']
    """
    n = len(log)
    seg = log.event
    if event is not None:
        names = _column("event", event, n).astype(str)
        cats, codes = np.unique(names, return_inverse=True)
        seg = Segment(codes.astype(np.int32).reshape(-1), cats)
    props = dict(log.properties)
    if properties is not None:
        if not isinstance(properties, Mapping) or not all(
                isinstance(k, str) for k in properties):
            raise invalid("properties", properties, "a mapping of names to columns",
                          where="with_events")
        for name, values in properties.items():
            props[name] = _column(f"property {name!r}", values, n)
    return attrs.evolve(log, event=seg, properties=props)
