"""Shared numpy kernels over an :class:`~salesfunnel.EventLog`.

Every function here works on whole columns (no Python loop over rows or entities) and
caches its result on the log, so metrics that need the same per-entity arrays compute
them once. Semantics follow DESIGN.md "Metric semantics".

Functions
---------
``stage_kinds(funnel)``
    Per-stage boolean arrays ``(is_open, is_won, is_lost)``.
``path_length(log)``
    Number of main-path stages (open stages plus WON) ``= funnel.won_index + 1``.
``entered(log)``
    ``(n_entities, n_stages)`` bool: entity has at least one event at stage ``k``.
``depth(log)``
    Per entity: highest main-path index among its OPEN/WON events (a WON event reaches
    every stage, LOST events do not deepen); ``-1`` for an entity with no such event.
``first_times(log)``
    ``(n_entities, n_path)`` int64: first time (ns) at depth >= ``k``, i.e. the earliest
    event at any main-path stage ``>= k``; :data:`NEVER` where the entity never got there.
``first_event_time(log)``, ``last_event_time(log)``
    Per entity: time of its first and latest event (any stage).
``latest_stage(log)``
    Per entity: stage of its latest event, ties broken by the larger stage index.
``first_event_row(log)``
    Per entity: row of its first event (smallest time, then smallest stage, then row).
``entity_groups(log, by)``
    :class:`EntityGroups` for a segment column: an entity's segment is its value on its
    first event (see ``first_event_row``). Offers ``count`` (2-D bincount), ``sum`` and
    ``split`` (one sort, then per-group slices).
``ordered_levels(log, window_ns)``
    Per entity: ClickHouse ``windowFunnel`` level minus one (``-1``: never at stage 0):
    the longest chain stage 0 -> 1 -> ... -> j of events with non-decreasing times,
    each within ``window_ns`` of the chain's first event.
``counts_at_least(values, n)``
    ``out[k]`` = number of values ``>= k`` for ``k < n`` (reached counts from depths).

Examples
--------
>>> import numpy as np
>>> from salesfunnel import EventLog, Funnel, Stage
>>> f = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
...                  Stage("lost", kind="lost")], skip_ahead=True)
>>> log = EventLog.from_arrays(f, entity=["a", "a", "b", "c", "c"],
...                            stage=["lead", "won", "lead", "lead", "lost"],
...                            ts=[0, 5, 1, 2, 3], unit="D")
>>> depth(log).tolist()
[2, 0, 0]
>>> counts_at_least(depth(log), 3).tolist()
[3, 1, 1]
>>> (first_times(log)[0] // 86_400_000_000_000).tolist()
[0, 5, 5]
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._events import EventLog, Segment, time_scale
from salesfunnel.errors import InvalidParameterError
from salesfunnel.model._funnel import Funnel, closest
from salesfunnel.model._stage import StageKind

__all__ = [
    "NEVER",
    "EntityGroups",
    "counts_at_least",
    "depth",
    "entered",
    "entity_groups",
    "first_event_row",
    "first_event_time",
    "first_times",
    "last_event_time",
    "latest_amount",
    "latest_stage",
    "ordered_levels",
    "path_length",
    "stage_kinds",
    "until",
]

NEVER = np.iinfo(np.int64).max
"""Sentinel time for "never happened" in :func:`first_times`."""

_I64 = npt.NDArray[np.int64]


def _cached(log: EventLog, key: str) -> Any:
    return log._cache.get(key)


def _store(log: EventLog, key: str, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    log._cache[key] = value
    return value


def stage_kinds(funnel: Funnel) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_],
                                         npt.NDArray[np.bool_]]:
    """``(is_open, is_won, is_lost)`` boolean arrays indexed by stage."""
    kinds = [s.kind for s in funnel.stages]
    return (
        np.array([k is StageKind.OPEN for k in kinds], dtype=np.bool_),
        np.array([k is StageKind.WON for k in kinds], dtype=np.bool_),
        np.array([k is StageKind.LOST for k in kinds], dtype=np.bool_),
    )


def path_length(log: EventLog) -> int:
    """Number of main-path stages: the open stages and the WON stage."""
    return log.funnel.won_index + 1


def entered(log: EventLog) -> npt.NDArray[np.bool_]:
    """``(n_entities, n_stages)`` flags: the entity has an event at stage ``k``."""
    out = _cached(log, "entered")
    if out is None:
        n_st = len(log.funnel.stages)
        flags = np.zeros(log.n_entities * n_st, dtype=np.bool_)
        flags[log.entity * n_st + log.stage] = True
        out = _store(log, "entered", flags.reshape(log.n_entities, n_st))
    return out  # type: ignore[no-any-return]


def depth(log: EventLog) -> npt.NDArray[np.int16]:
    """Per entity: the highest main-path index reached, ``-1`` when none (only LOST)."""
    out = _cached(log, "depth")
    if out is None:
        flags = entered(log)
        d = np.full(log.n_entities, -1, dtype=np.int16)
        for k in range(path_length(log)):
            d[flags[:, k]] = k
        out = _store(log, "depth", d)
    return out  # type: ignore[no-any-return]


def counts_at_least(values: npt.ArrayLike, n: int) -> _I64:
    """``out[k]`` = how many ``values`` are ``>= k``, for ``k = 0 .. n - 1``.

    Examples
    --------
    >>> counts_at_least([-1, 0, 2, 2], 3).tolist()
    [3, 2, 2]
    """
    v = np.asarray(values, dtype=np.int64)
    hist = np.bincount(np.clip(v + 1, 0, n), minlength=n + 1)
    return np.cumsum(hist[::-1])[::-1][1:].astype(np.int64)


def first_times(log: EventLog) -> _I64:
    """``(n_entities, n_path)`` first time (ns) at depth >= ``k``; :data:`NEVER` if not."""
    out = _cached(log, "first_times")
    if out is None:
        n_path = path_length(log)
        ft = np.full(log.n_entities * n_path, NEVER, dtype=np.int64)
        main = log.stage < n_path
        if main.all():
            np.minimum.at(ft, log.entity * n_path + log.stage, log.ts)
        else:
            np.minimum.at(ft, log.entity[main] * n_path + log.stage[main], log.ts[main])
        mat = ft.reshape(log.n_entities, n_path)
        # Reaching stage j means depth >= k for every k <= j: reverse running minimum.
        np.minimum.accumulate(mat[:, ::-1], axis=1, out=mat[:, ::-1])
        out = _store(log, "first_times", mat)
    return out  # type: ignore[no-any-return]


def first_event_time(log: EventLog) -> _I64:
    """Per entity: time (ns) of its first event at any stage."""
    out = _cached(log, "first_event_time")
    if out is None:
        t = np.full(log.n_entities, NEVER, dtype=np.int64)
        np.minimum.at(t, log.entity, log.ts)
        out = _store(log, "first_event_time", t)
    return out  # type: ignore[no-any-return]


def last_event_time(log: EventLog) -> _I64:
    """Per entity: time (ns) of its latest event at any stage."""
    out = _cached(log, "last_event_time")
    if out is None:
        t = np.full(log.n_entities, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(t, log.entity, log.ts)
        out = _store(log, "last_event_time", t)
    return out  # type: ignore[no-any-return]


def latest_stage(log: EventLog) -> npt.NDArray[Any]:
    """Per entity: stage of its latest event; ties broken by the larger stage index."""
    out = _cached(log, "latest_stage")
    if out is None:
        sorted_ = _cached(log, "sorted")
        if sorted_ is not None:
            last = sorted_.stage[sorted_.ends - 1] if log.n_entities else sorted_.stage[:0]
            out = last.copy()
        else:
            at_last = log.ts == last_event_time(log)[log.entity]
            out = np.full(log.n_entities, -1, dtype=log.stage.dtype)
            np.maximum.at(out, log.entity[at_last], log.stage[at_last])
        out = _store(log, "latest_stage", out)
    return out  # type: ignore[no-any-return]


def first_event_row(log: EventLog) -> _I64:
    """Per entity: row of its first event (smallest time, then stage, then row)."""
    out = _cached(log, "first_event_row")
    if out is None:
        n = log.n_entities
        cand = log.ts == first_event_time(log)[log.entity]
        smin = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
        np.minimum.at(smin, log.entity[cand], log.stage[cand])
        cand &= log.stage == smin[log.entity]
        rows = np.full(n, len(log), dtype=np.int64)
        np.minimum.at(rows, log.entity[cand], np.flatnonzero(cand))
        out = _store(log, "first_event_row", rows)
    return out  # type: ignore[no-any-return]


@attrs.frozen(eq=False)
class EntityGroups:
    """Entities grouped by a segment column.

    Attributes
    ----------
    name : str
        The segment column.
    codes : numpy.ndarray of int64
        Group of each entity (index into ``categories``).
    categories : numpy.ndarray
        The segment values, one per group (all categories of the column, including
        values no entity starts with).
    """

    name: str
    codes: _I64
    categories: np.ndarray[Any, Any]

    @property
    def n_groups(self) -> int:
        """Number of groups (``len(categories)``)."""
        return len(self.categories)

    def count(self, values: npt.ArrayLike, n_values: int) -> _I64:
        """``(n_groups, n_values)`` counts of each value per group (values in ``0..n_values-1``)."""
        v = np.asarray(values, dtype=np.int64)
        flat = np.bincount(self.codes * n_values + v, minlength=self.n_groups * n_values)
        return flat.reshape(self.n_groups, n_values).astype(np.int64)

    def sum(self, weights: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Per group sum of per-entity ``weights``."""
        w = np.asarray(weights, dtype=np.float64)
        out: npt.NDArray[np.float64] = np.bincount(self.codes, weights=w,
                                                   minlength=self.n_groups).astype(np.float64)
        return out

    def order(self) -> tuple[_I64, _I64]:
        """``(order, bounds)``: entities sorted by group (stable); group ``g`` is
        ``order[bounds[g]:bounds[g + 1]]``."""
        order = np.argsort(self.codes, kind="stable").astype(np.int64)
        bounds = np.searchsorted(self.codes[order], np.arange(self.n_groups + 1))
        return order, bounds.astype(np.int64)

    def split(self, values: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
        """Per-entity ``values`` split into one array per group (entity order kept)."""
        order, bounds = self.order()
        vs = values[order]
        return [vs[bounds[g]:bounds[g + 1]] for g in range(self.n_groups)]

    def masks(self) -> list[npt.NDArray[np.bool_]]:
        """One boolean entity mask per group."""
        return [self.codes == g for g in range(self.n_groups)]


def entity_groups(log: EventLog, by: str) -> EntityGroups:
    """Group the entities of ``log`` by segment column ``by`` (value on the first event).

    Raises
    ------
    InvalidParameterError
        If ``by`` is not a segment column of the log.
    """
    if not isinstance(by, str) or by not in log.segments:
        options = list(log.segments)
        listed = ", ".join(repr(o) for o in closest(str(by), options)) if options else "none"
        raise InvalidParameterError(
            f"by={by!r} is not a segment column of the log; expected one of: {listed}",
            parameter="by",
            value=by,
        )
    key = f"groups:{by}"
    out = _cached(log, key)
    if out is None:
        seg = log.segments[by]
        rows = first_event_row(log)
        codes = seg.codes[rows].astype(np.int64) if log.n_entities else np.zeros(0, np.int64)
        out = EntityGroups(by, codes, seg.categories)
        log._cache[key] = out
    return out  # type: ignore[no-any-return]


def _main_path_sorted(log: EventLog) -> tuple[_I64, _I64, _I64]:
    """Main-path events sorted by (entity, time, stage): ``(entity, ts, stage)`` arrays."""
    n_path = path_length(log)
    main = log.stage < n_path
    all_main = bool(main.all())
    ent = log.entity if all_main else log.entity[main]
    ts = log.ts if all_main else log.ts[main]
    stage = log.stage if all_main else log.stage[main]
    if len(ent) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    t0, step = time_scale(ts)
    trel = ts - t0
    if step > 1:
        trel //= step
    t_bits = int(trel.max()).bit_length()
    e_bits = max(log.n_entities - 1, 0).bit_length()
    s_bits = max(n_path - 1, 0).bit_length()
    if e_bits + t_bits + s_bits <= 63:
        # Everything the algorithm needs fits in one int64: sort values, not indices.
        key = ent << (t_bits + s_bits)
        key |= trel << s_bits
        key |= stage.astype(np.int64)
        key.sort()
        s_sorted = key & ((1 << s_bits) - 1)
        t_sorted = ((key >> s_bits) & ((1 << t_bits) - 1)) * step + t0
        e_sorted = key >> (t_bits + s_bits)
        return e_sorted, t_sorted, s_sorted
    srt = log.sorted_by_entity_time()
    keep = srt.stage < n_path
    return (srt.entity[keep], srt.ts[keep], srt.stage[keep].astype(np.int64))


def ordered_levels(log: EventLog, window_ns: int | None) -> npt.NDArray[np.int16]:
    """Per entity: windowFunnel level minus one (``-1`` when never at stage 0).

    ``window_ns=None`` means no window. A chain's events have non-decreasing times and
    each is at most ``window_ns`` after the chain's first event (inclusive, like
    ClickHouse). Equal times are ordered by stage, so ``0 -> 1`` at the same instant
    counts.
    """
    key = f"ordered:{window_ns}"
    out = _cached(log, key)
    if out is not None:
        return out  # type: ignore[no-any-return]
    n_path = path_length(log)
    level = np.full(log.n_entities, -1, dtype=np.int16)
    ent, ts, stage = _main_path_sorted(log)
    if len(ent):
        # Greedy per level (equivalent to ClickHouse's scan): keep, for every event that
        # extends a chain to level k, the latest chain start; among the valid events of
        # one entity those starts are non-decreasing, so the last valid level-(k-1) event
        # before a stage-k event carries the best start.
        by_stage = np.argsort(stage, kind="stable")
        bounds = np.searchsorted(stage[by_stage], np.arange(n_path + 1))
        prev_pos = by_stage[bounds[0]:bounds[1]]
        prev_start = ts[prev_pos]
        level[ent[prev_pos]] = 0
        for k in range(1, n_path):
            if len(prev_pos) == 0:
                break
            pos = by_stage[bounds[k]:bounds[k + 1]]
            j = np.searchsorted(prev_pos, pos) - 1
            ok = j >= 0
            jj = np.where(ok, j, 0)
            ok &= ent[prev_pos[jj]] == ent[pos]
            start = prev_start[jj]
            if window_ns is not None:
                ok &= ts[pos] - start <= window_ns
            prev_pos = pos[ok]
            prev_start = start[ok]
            level[ent[prev_pos]] = k
    return _store(log, key, level)  # type: ignore[no-any-return]


# -- kernels added for timing / survival / pipeline (metrics._timing, metrics._pipeline) -------
# Kept in one block so the owner of the kernels above can review them at a glance.


def latest_amount(log: EventLog) -> npt.NDArray[np.float64]:
    """Per entity: amount of its latest event with a non-NaN amount.

    Ties at the latest time go to the larger stage index, then to the larger amount (so
    the result does not depend on row order). NaN for entities without such an event
    and for every entity when the log has no ``amount`` column.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")], skip_ahead=True)
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 1, 2], stage=[0, 1, 0, 0],
    ...                            ts=[0, 5, 5, 1], amount=[10.0, 30.0, 20.0, 7.0], unit="s")
    >>> latest_amount(log).tolist()
    [30.0, 7.0]
    """
    out = _cached(log, "latest_amount")
    if out is not None:
        return out  # type: ignore[no-any-return]
    n = log.n_entities
    result = np.full(n, np.nan, dtype=np.float64)
    if log.amount is None or n == 0 or len(log) == 0:
        return _store(log, "latest_amount", result)  # type: ignore[no-any-return]
    amount = log.amount
    valid = ~np.isnan(amount)
    if valid.all():
        ent, ts, stage = log.entity, log.ts, log.stage
        last = last_event_time(log)
    else:
        ent, ts, stage, amount = (log.entity[valid], log.ts[valid], log.stage[valid],
                                  amount[valid])
        last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, ent, ts)
    cand = ts == last[ent]
    ent, stage, amount = ent[cand], stage[cand].astype(np.int32), amount[cand]
    top = np.full(n, -1, dtype=np.int32)
    np.maximum.at(top, ent, stage)
    cand = stage == top[ent]
    best = np.full(n, -np.inf, dtype=np.float64)
    np.maximum.at(best, ent[cand], amount[cand])
    seen = top >= 0
    result[seen] = best[seen]
    return _store(log, "latest_amount", result)  # type: ignore[no-any-return]


def until(log: EventLog, as_of_ns: int | None) -> EventLog:
    """The events at or before ``as_of_ns`` (ns since the epoch) as a log of their own.

    Entities with no such event are dropped and the rest re-coded densely (in code
    order, so ``ids`` and segment groups follow); ``log`` itself is returned when no
    event is later than ``as_of_ns`` (or ``as_of_ns`` is ``None``), keeping its cache.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=["x", "x", "y"], stage=[0, 1, 0], ts=[0, 5, 9],
    ...                            unit="s")
    >>> sub = until(log, 5 * 10**9)
    >>> sub.ids.tolist(), sub.stage.tolist(), until(log, None) is log
    (['x'], [0, 1], True)
    """
    if as_of_ns is None or len(log) == 0 or int(log.ts.max()) <= as_of_ns:
        return log
    rows = log.ts <= as_of_ns
    present = np.zeros(log.n_entities, dtype=np.bool_)
    present[log.entity[rows]] = True
    remap = np.cumsum(present, dtype=np.int64) - 1
    return EventLog(
        funnel=log.funnel,
        entity=remap[log.entity[rows]],
        ids=log.ids[present],
        stage=log.stage[rows],
        ts=log.ts[rows],
        amount=None if log.amount is None else log.amount[rows],
        segments={k: Segment(s.codes[rows], s.categories) for k, s in log.segments.items()},
        n_entities=int(present.sum()),
    )
