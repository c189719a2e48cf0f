"""One value per deal for a segment column: a deal whose rows disagree (a rep change, a
forecast category moving from Pipeline to Commit) is an error, or takes its first or its
latest value, as the caller says; never silently the first."""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np

from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog, Segment
from salesfunnel.events._segment import plain

__all__ = ["one_value_per_entity"]


def one_value_per_entity(log: EventLog, column: str,
                         policy: Literal["error", "first", "last"] = "error") -> EventLog:
    """``log`` with every event of an entity carrying one value of segment ``column``.

    Parameters
    ----------
    log : EventLog
        The events.
    column : str
        A segment column.
    policy : {"error", "first", "last"}
        Entities with several values: an error naming how many and one example, or
        the value of their earliest or latest event (ties: the later row).

    Returns
    -------
    EventLog
        ``log`` itself when every entity has one value already.

    Raises
    ------
    InvalidParameterError
        An unknown column, or several values with ``policy="error"``.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=["x", "x"], stage=[0, 1], ts=[0, 1], unit="s",
    ...                            segments={"rep": ["ann", "bo"]})
    >>> one_value_per_entity(log, "rep", "last").segments["rep"].values().tolist()
    ['bo', 'bo']
    """
    if column not in log.segments:
        raise InvalidParameterError(
            f"{column!r} is not a segment column of the log; it has "
            f"{', '.join(repr(s) for s in log.segments) or 'none'}",
            parameter="by", value=column)
    if policy not in ("error", "first", "last"):
        raise InvalidParameterError(f"policy must be 'error', 'first' or 'last'; got "
                                    f"{policy!r}", parameter="policy", value=policy)
    seg = log.segments[column]
    n = log.n_entities
    codes = seg.codes.astype(np.int64)
    lo = np.full(n, np.iinfo(np.int64).max)
    hi = np.full(n, -1, dtype=np.int64)
    np.minimum.at(lo, log.entity, codes)
    np.maximum.at(hi, log.entity, codes)
    mixed = lo != hi
    if not mixed.any():
        return log
    if policy == "error":
        e = int(np.flatnonzero(mixed)[0])
        values = sorted({str(seg.categories[c]) for c in codes[log.entity == e]})
        raise InvalidParameterError(
            f"{int(mixed.sum()):,} entities have more than one {column!r} value (e.g. "
            f"{plain(log.ids[e])!r}: {', '.join(repr(v) for v in values)}); choose which "
            "counts with --by-value first|last (by_value=)", parameter="by", value=column)
    order = np.lexsort((np.arange(len(log)), log.ts, log.entity))
    ent = log.entity[order]
    edge = np.flatnonzero(np.r_[True, ent[1:] != ent[:-1]]) if len(ent) else ent
    pick = order[edge] if policy == "first" else order[np.r_[edge[1:] - 1, len(ent) - 1]]
    chosen = np.zeros(n, dtype=np.int64)
    chosen[log.entity[pick]] = codes[pick]
    segments: dict[str, Any] = dict(log.segments)
    segments[column] = Segment(chosen[log.entity].astype(seg.codes.dtype), seg.categories)
    return attrs.evolve(log, segments=segments)
