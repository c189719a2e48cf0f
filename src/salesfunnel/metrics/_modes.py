"""ClickHouse ``windowFunnel`` with every mode, over funnel steps, as numpy kernels.

:func:`window_funnel` computes, per entity, the level ClickHouse's ``windowFunnel(window,
options...)(ts, cond_1, ..., cond_n)`` returns, with the options ``strict_order``,
``strict_deduplication``, ``strict_increase``, ``strict_once`` and ``allow_reentry``.

How it is computed (see the documentation page "Funnel order modes"): the rows matching
some step (under ``strict_order``: every row) are sorted once, as (entity, time, step
bits) packed in one ``uint64`` (:func:`_packed_steps`; one radix pass on the top bits,
then small in-cache sorts); a row matching steps ``k1, k2, ...`` becomes one *element*
per step; an unmatched row becomes a ``-1`` element under ``strict_order``. Elements are
ordered by (entity, time, step), the order ClickHouse sorts them in; each gets the
integer key ``group * (n_steps + 1) + step + 1`` (``group``: the packed (entity, time)
value, which orders the groups), so the elements of one step are already sorted and no
global sort is needed. Level by level, an element of step
``k`` is *valid* when the latest valid element of step ``k - 1`` before it belongs to the
same entity, started its chain at most ``window`` earlier and (``strict_increase``) is
strictly earlier; that latest one carries both the latest start and the latest time,
so it decides. The options that stop the scan (a repeated step, an intervening event, a
step out of order) are, per entity, the first element where ClickHouse returns; the
level is the number of steps with a valid element before that point. ``strict_once``
(each row counts for one step only) changes nothing unless a row matches several steps;
the entities with such a row are scanned one by one (:func:`_strict_once_scan`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._chart import FunnelData
from salesfunnel._display._format import MISSING
from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._util._i18n import counted, word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import TS_MAX, TS_MIN, duration_ns
from salesfunnel._util._validate import invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.events._derived import peek
from salesfunnel.events._factorize import bit_length, sorted_packed, stable_order
from salesfunnel.events._log import _sorted
from salesfunnel.events._sort import SortedEvents, scaled_offsets, scaled_times
from salesfunnel.metrics._conversion import describe_window
from salesfunnel.metrics._results import (
    check_log,
    check_merge,
    format_count,
    format_pct,
    ints,
    strs,
)
from salesfunnel.metrics._steps import Step, match_steps, to_steps
from salesfunnel.metrics._timing import Durations, format_duration

__all__ = ["MODE_OPTIONS", "StepFunnel", "WindowFunnelMode", "check_window",
           "window_funnel", "window_funnel_levels"]

_I64 = npt.NDArray[np.int64]
_INF = np.iinfo(np.int64).max

#: The option names of ClickHouse ``windowFunnel``, in its documentation order.
MODE_OPTIONS = ("strict_deduplication", "strict_order", "strict_increase", "strict_once",
                "allow_reentry")


@attrs.frozen
class WindowFunnelMode:
    """The options of ClickHouse ``windowFunnel`` (all off: the default mode).

    Attributes
    ----------
    strict_order : bool
        Another event between two steps breaks the chain (the scan stops at the first
        event matching no step after the first step; a step whose previous step was not
        reached stops it too).
    strict_deduplication : bool
        A step event that repeats (its step already reached) stops the scan.
    strict_increase : bool
        Consecutive steps need strictly increasing times.
    strict_once : bool
        Each event counts for at most one step (an event matching steps 1 and 2 no
        longer reaches 2 by itself).
    allow_reentry : bool
        With ``strict_order``: a step whose previous step was not reached is skipped
        instead of stopping the scan.

    Examples
    --------
    >>> from salesfunnel.metrics import WindowFunnelMode
    >>> WindowFunnelMode.parse("strict_order, allow_reentry").options
    ('strict_order', 'allow_reentry')
    >>> WindowFunnelMode(allow_reentry=True)
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: allow_reentry needs strict_order (as in ClickHouse); got allow_reentry=True, strict_order=False
    """  # noqa: E501

    strict_deduplication: bool = False
    strict_order: bool = False
    strict_increase: bool = False
    strict_once: bool = False
    allow_reentry: bool = False

    def __attrs_post_init__(self) -> None:
        for name in MODE_OPTIONS:
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise invalid(name, getattr(self, name), "True or False",
                              where="WindowFunnelMode")
        if self.allow_reentry and not self.strict_order:
            raise InvalidParameterError(
                "allow_reentry needs strict_order (as in ClickHouse); got "
                "allow_reentry=True, strict_order=False", parameter="allow_reentry",
                value=True)

    @property
    def options(self) -> tuple[str, ...]:
        """The options that are on, in :data:`MODE_OPTIONS` order."""
        return tuple(name for name in MODE_OPTIONS if getattr(self, name))

    @classmethod
    def parse(cls, value: Any) -> WindowFunnelMode:
        """A mode from ``None``, a mode, ``"opt1, opt2"`` or an iterable of option names.

        Raises
        ------
        InvalidParameterError
            An unknown option name (the message lists the options).
        """
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            names = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, Iterable):
            names = list(value)
        else:
            raise invalid("mode", value, "a WindowFunnelMode, option names or None",
                          where="window_funnel")
        flags = {}
        for name in names:
            if not isinstance(name, str) or name not in MODE_OPTIONS:
                raise invalid("mode", name, "one of " + ", ".join(map(repr, MODE_OPTIONS)),
                              where="window_funnel")
            flags[name] = True
        return cls(**flags)


def check_window(window: Any, name: str = "window", where: str = "window_funnel"
                 ) -> int | None:
    """``window`` as integer ns; ``None`` when absent or at least as long as any log.

    A window longer than the widest possible log saturates to "no limit", so no sum of a
    time and a window can overflow.

    Examples
    --------
    >>> check_window(np.timedelta64(1, "D")), check_window(np.timedelta64(10**6, "Y"))
    (86400000000000, None)
    """
    if window is None:
        return None
    try:
        ns = duration_ns(window, parameter=name, unit="s", bounded=False)
    except InvalidParameterError:
        ns = -1
    if ns < 0:
        raise invalid(name, window, "a non-negative numpy.timedelta64, datetime.timedelta "
                      "or number of seconds", where=where)
    return None if ns >= TS_MAX - TS_MIN else ns


# -- the kernel --------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class _Elements:
    """Rows of a log sorted by (entity, time, row), with their (entity, time) groups."""

    order: _I64  # log row of each sorted position
    ent: _I64
    ts: _I64
    group: _I64  # rank of the position's (entity, time) among the sorted rows
    group_start: _I64  # per group: its first sorted position


def _elements(log: EventLog, rows: npt.NDArray[np.bool_] | None = None) -> _Elements:
    """The rows of ``log`` (``rows``: only those) sorted by (entity, time, row).

    One packed SIMD sort of (entity, time) with the row below it when the bits fit
    (:func:`~salesfunnel.events._factorize.stable_order`); rows that can play no part in
    the funnel are left out before sorting, which is most of the cost.
    """
    sel = None if rows is None else np.flatnonzero(rows)
    ent = log.entity if sel is None else log.entity[sel]
    ts = log.ts if sel is None else log.ts[sel]
    n = len(ent)
    if n:
        t0, step, trel = scaled_offsets(ts)
        e_bits = bit_length(log.n_entities - 1)
        t_bits = bit_length(int(trel.max()))
        r_bits = max(bit_length(n - 1), 1)
        if e_bits + t_bits + r_bits <= 64:
            # one SIMD sort of (entity, time, row) packed in a uint64; the sorted columns
            # are unpacked with shifts instead of gathered through the order
            key = ent.astype(np.uint64) << np.uint64(t_bits + r_bits)
            key |= trel << np.uint64(r_bits)
            key |= np.arange(n, dtype=np.uint64)
            del trel
            key = sorted_packed(key, e_bits + t_bits + r_bits)
            order = (key & np.uint64((1 << r_bits) - 1)).view(np.int64)
            ent = (key >> np.uint64(t_bits + r_bits)).view(np.int64)
            key >>= np.uint64(r_bits)
            key &= np.uint64((1 << t_bits) - 1)
            ts = scaled_times(key, t0, step)
        else:
            order = stable_order([(ent, e_bits), (trel, t_bits)], n)
            del trel
            ent, ts = ent[order], ts[order]
        if sel is not None:
            order = sel[order]
    else:
        order = np.zeros(0, dtype=np.int64) if sel is None else sel
    new = np.ones(n, dtype=np.bool_)
    if n > 1:
        np.not_equal(ent[1:], ent[:-1], out=new[1:])
        new[1:] |= ts[1:] != ts[:-1]
    group = np.cumsum(new, dtype=np.int64)
    group -= 1
    return _Elements(order, ent, ts, group, np.flatnonzero(new))


def _step_codes(match: npt.NDArray[np.bool_]) -> npt.NDArray[np.unsignedinteger[Any]]:
    """Per row: the bits of the steps it matches (bit ``k``: step ``k``), in the smallest
    unsigned type that holds them."""
    n = match.shape[0]
    dtype: Any = np.uint8 if n <= 8 else np.uint16 if n <= 16 else np.uint32
    code: npt.NDArray[np.unsignedinteger[Any]] = np.zeros(match.shape[1], dtype=dtype)
    for k in range(n):
        bit = match[k].view(np.uint8)
        code |= (bit << np.uint8(k)) if n <= 8 else bit.astype(dtype) << dtype(k)
    return code


_Codes = npt.NDArray[np.unsignedinteger[Any]]


def _packed_steps(log: EventLog, code: _Codes, n: int, sel: _I64 | None
                  ) -> tuple[_Elements, _Codes] | None:
    """The rows ``sel`` (``None``: all) sorted by (entity, time, steps matched), with
    their step codes, from one sort of (entity, time, step bits) packed in a uint64
    (:func:`~salesfunnel.events._factorize.sorted_packed`).

    ``windowFunnel`` needs no row identity (rows with equal keys are interchangeable),
    so the step bits take the place of the row index and no gather through the order
    is needed. The elements' ``group`` is the packed (entity, time) value itself (it
    orders the groups like their ranks; no ``group_start``) when it leaves room for the
    step keys, dense ranks otherwise. ``None`` when the bits do not fit (then
    :func:`_elements` is used); the returned elements have no ``order``.
    """
    if sel is None:  # every row
        ent, ts = log.entity, log.ts
    elif len(sel):
        ent, ts = log.entity[sel], log.ts[sel]
    else:
        return None
    if not len(ts):
        return None
    t0, step, trel = scaled_offsets(ts)
    e_bits = bit_length(log.n_entities - 1)
    t_bits = bit_length(int(trel.max()))
    if e_bits + t_bits + n > 64:
        return None
    key = ent.astype(np.uint64) << np.uint64(t_bits + n)
    trel <<= np.uint64(n)
    key |= trel
    del trel, ent, ts
    key |= code if sel is None else code[sel]
    key = sorted_packed(key, e_bits + t_bits + n)
    codes = (key & np.uint64((1 << n) - 1)).astype(code.dtype)
    key >>= np.uint64(n)
    ent = (key >> np.uint64(t_bits)).view(np.int64)
    if e_bits + t_bits + bit_length(n + 1) + 1 <= 63:  # doubled step keys fit
        group = key.copy().view(np.int64)
        group_start = np.zeros(0, dtype=np.int64)
    else:
        group = None
    key &= np.uint64((1 << t_bits) - 1)
    ts = scaled_times(key, t0, step)
    if group is None:
        group, group_start = _time_groups(ent, ts)
    return _Elements(np.zeros(0, dtype=np.int64), ent, ts, group, group_start), codes


def _time_groups(ent: _I64, ts: _I64) -> tuple[_I64, _I64]:
    """``(group, group_start)`` of rows sorted by (entity, time): the number of each
    row's (entity, time) group and where each group starts."""
    rows = len(ts)
    new = np.ones(rows, dtype=np.bool_)
    if rows > 1:
        np.not_equal(ent[1:], ent[:-1], out=new[1:])
        new[1:] |= ts[1:] != ts[:-1]
    group = np.cumsum(new, dtype=np.int64)
    group -= 1
    return group, np.flatnonzero(new)


def _cached_steps(sorted_events: SortedEvents, code: _Codes, every_row: bool
                  ) -> tuple[_Elements, _Codes]:
    """As :func:`_packed_steps`, from the log's cached (entity, time) order: no sort.

    Rows of one (entity, time) group may come in any order (the elements' keys do not
    depend on it)."""
    codes = code[sorted_events.order]
    ent, ts = sorted_events.entity, sorted_events.ts
    if not every_row:
        keep = np.flatnonzero(codes != 0)
        codes, ent, ts = codes[keep], ent[keep], ts[keep]
    group, group_start = _time_groups(ent, ts)
    return _Elements(np.zeros(0, dtype=np.int64), ent, ts, group, group_start), codes


def _first_per_entity(ent: _I64, values: _I64, n_entities: int) -> _I64:
    """Per entity: the first of ``values`` (``ent`` sorted), ``_INF`` when none."""
    out = np.full(n_entities, _INF, dtype=np.int64)
    if len(ent):
        first = np.ones(len(ent), dtype=np.bool_)
        np.not_equal(ent[1:], ent[:-1], out=first[1:])
        idx = np.flatnonzero(first)  # (index arrays gather faster than boolean masks)
        out[ent[idx]] = values[idx]
    return out


def _stop_at_first(stop: _I64, ent: _I64, at: _I64) -> None:
    """``stop[e] = min(stop[e], first of at for e)`` (``ent`` sorted)."""
    if not len(ent):
        return
    first = np.ones(len(ent), dtype=np.bool_)
    np.not_equal(ent[1:], ent[:-1], out=first[1:])
    idx = np.flatnonzero(first)
    e = ent[idx]
    stop[e] = np.minimum(stop[e], at[idx])


def window_funnel_levels(log: EventLog, match: npt.NDArray[np.bool_], window: int | None,
                         mode: WindowFunnelMode) -> _I64:
    """Per entity: the ClickHouse ``windowFunnel`` level (0 .. n_steps).

    ``match[k]`` is the row mask of step ``k`` (log row order); ``window`` in ns
    (``None``: no limit).
    """
    n_ent = log.n_entities
    n = match.shape[0]
    if len(log) == 0 or n == 0:
        return np.zeros(n_ent, dtype=np.int64)
    code = _step_codes(match)
    matched = code != 0
    # under strict_order the rows matching no step stop the scan: they are sorted too
    cached = peek(log, _sorted)
    if cached is not None:  # the log is sorted already: reuse its order
        packed: tuple[_Elements, _Codes] | None = _cached_steps(cached, code,
                                                                 mode.strict_order)
    else:
        packed = _packed_steps(log, code, n,
                               None if mode.strict_order else np.flatnonzero(matched))
    if packed is None:
        el = _elements(log, matched)  # rows matching no step: see strict_order below
        codes = code[el.order]
    else:
        el, codes = packed
    bit = codes.dtype.type
    big = n + 1
    w = None if window is None else np.uint64(window)
    once = mode.strict_once and not mode.strict_increase
    stops = (mode.strict_order and not mode.allow_reentry) or mode.strict_deduplication
    level = np.zeros(n_ent, dtype=np.int64)

    def reached(ent: _I64, key: _I64) -> _I64:
        """Per entity: its first valid key at this level, doubled (or: reached)."""
        if stops or mode.strict_order:
            return _first_per_entity(ent, 2 * key, n_ent)
        has = np.zeros(n_ent, dtype=np.bool_)
        has[ent] = True
        level[has] += 1  # without a stop, the level counts the steps reached
        return np.zeros(0, dtype=np.int64)

    # position keys of the valid elements of the previous level, and their chains
    pos = np.flatnonzero((codes & bit(1)) != 0)  # nonzero is fastest on booleans
    v_key = el.group[pos] * big + 1
    v_ent = el.ent[pos]
    v_start = el.ts[pos]
    v_last = v_start
    fv = [reached(v_ent, v_key)]  # doubled keys, see below
    first0 = v_key  # per entity: its first step-0 key (strict_order only)
    if mode.strict_order:
        first0 = fv[0] // 2
        first0[fv[0] == _INF] = _INF
    stop = np.full(n_ent, _INF, dtype=np.int64)  # doubled key where the scan stops
    for k in range(1, n):
        cpos = np.flatnonzero((codes & bit(1 << k)) != 0)
        c_key = el.group[cpos] * big + (k + 1)
        c_ent = el.ent[cpos]
        c_ts = el.ts[cpos]
        if mode.strict_once and mode.strict_increase:
            j = np.searchsorted(v_key, c_key - (k + 1)) - 1  # strictly earlier times
        else:
            j = np.searchsorted(v_key, c_key) - 1
        ok = j >= 0
        np.maximum(j, 0, out=j)
        if len(v_key):
            ok &= v_ent[j] == c_ent
            start = v_start[j]
            if w is not None:
                ok &= c_ts.view(np.uint64) - start.view(np.uint64) <= w
            if mode.strict_increase and not mode.strict_once:
                ok &= v_last[j] < c_ts
        else:
            ok[:] = False
            start = c_ts
        if mode.strict_order and not mode.allow_reentry:
            # a step-k element after the first step-0 element and before the first
            # valid step k - 1 stops the scan (the entity's first such one)
            early = np.flatnonzero((c_key > first0[c_ent]) & (2 * c_key < fv[k - 1][c_ent]))
            _stop_at_first(stop, c_ent[early], 2 * c_key[early])
        vi = np.flatnonzero(ok)
        if mode.strict_deduplication and len(vi):
            # the step-k element right after the first valid one repeats step k
            first = np.ones(len(vi), dtype=np.bool_)
            np.not_equal(c_ent[vi[1:]], c_ent[vi[:-1]], out=first[1:])
            fi = vi[first]
            nx = fi + 1
            inside = nx < len(c_key)
            fi, nx = fi[inside], nx[inside]
            same = c_ent[nx] == c_ent[fi]
            fi, nx = fi[same], nx[same]
            at = 2 * c_key[nx] + (c_key[nx] == c_key[fi])
            e = c_ent[fi]  # one per entity
            stop[e] = np.minimum(stop[e], at)
        v_key, v_ent, v_last = c_key[vi], c_ent[vi], c_ts[vi]
        v_start = start[vi]
        fv.append(reached(v_ent, v_key))
    if mode.strict_order and packed is None:
        _stop_at_unmatched(log, el, matched, first0, big, stop)
    elif mode.strict_order:
        # the first row matching no step strictly later than the first step 0 (at the
        # same time it sorts before the step elements) stops the scan
        none = np.flatnonzero(codes == 0)
        g = el.group[none]
        e = el.ent[none]
        later = np.flatnonzero(g > first0[e] // big)
        _stop_at_first(stop, e[later], 2 * big * g[later])
    if stops or mode.strict_order:
        for k in range(n):
            level += fv[k] < stop
    if once:
        multi = (codes & (codes - bit(1))) != 0  # several bits: several steps
        if multi.any():
            # every row of those entities, unmatched ones too (strict_order reads them)
            ents = np.unique(el.ent[multi])
            take = np.isin(log.entity, ents)
            rows = np.flatnonzero(take)
            rows = rows[np.argsort(log.entity[rows], kind="stable")]
            ent_rows = log.entity[rows]
            bounds = np.searchsorted(ent_rows, np.stack([ents, ents + 1]))
            for e, lo, hi in zip(ents.tolist(), bounds[0].tolist(), bounds[1].tolist(),
                                 strict=True):
                r = rows[lo:hi]
                level[e] = _strict_once_scan(match[:, r], log.ts[r], window, mode)
    return level


def _stop_at_unmatched(log: EventLog, el: _Elements, matched: npt.NDArray[np.bool_],
                       first0: _I64, big: int, stop: _I64) -> None:
    """``strict_order``: the scan stops at the first row matching no step after the first
    step-0 element. Such rows are not sorted: per entity, the earliest one strictly later
    than the first step 0 (at the same time it sorts before the step elements) is found
    with one ``minimum.at``, then placed among the sorted rows by a vectorized binary
    search within the entity's block."""
    n_ent = log.n_entities
    has0 = first0 != _INF
    t_first0 = np.full(n_ent, _INF, dtype=np.int64)
    g0 = first0[has0] // big
    t_first0[has0] = el.ts[el.group_start[g0]]
    none = np.flatnonzero(~matched)
    if not len(none):
        return
    ent, ts = log.entity[none], log.ts[none]
    later = ts > t_first0[ent]
    t_none = np.full(n_ent, _INF, dtype=np.int64)
    np.minimum.at(t_none, ent[later], ts[later])
    e = np.flatnonzero(t_none != _INF)
    if not len(e):
        return
    lo = np.searchsorted(el.ent, e, side="left")
    hi = np.searchsorted(el.ent, e, side="right")
    end = hi.copy()
    target = t_none[e]
    while True:  # first sorted row of the entity at or after the unmatched row's time
        open_ = lo < hi
        if not open_.any():
            break
        mid = (lo + hi) // 2
        go = open_ & (el.ts[np.minimum(mid, len(el.ts) - 1)] < target)
        lo = np.where(go, mid + 1, lo)
        hi = np.where(open_ & ~go, mid, hi)
    inside = lo < end
    group = np.where(inside, el.group[np.minimum(lo, len(el.group) - 1)],
                     el.group[end - 1] + 1)
    np.minimum.at(stop, e, 2 * group * big)


def _strict_once_scan(m: npt.NDArray[np.bool_], ts: _I64, window: int | None,
                      mode: WindowFunnelMode) -> int:
    """The ``strict_once`` level of one entity (its rows in row order): every chain of
    distinct rows is followed, as ClickHouse does when a row matches several steps."""
    n, rows = m.shape
    elems: list[tuple[int, int, int]] = []
    for r in range(rows):
        ks = np.flatnonzero(m[:, r]).tolist()
        if not ks and mode.strict_order:
            ks = [-1]
        elems.extend((int(ts[r]), k, r) for k in ks)
    elems.sort()
    chains: list[list[tuple[int, int, frozenset[int]]]] = [[] for _ in range(n)]
    started = False
    for t, k, r in elems:
        if k == -1:
            if started:
                break
            continue
        if k == 0:
            chains[0].append((t, t, frozenset((r,))))
            started = True
        elif mode.strict_deduplication and chains[k]:
            break
        elif mode.strict_order and started and not chains[k - 1]:
            if mode.allow_reentry:
                continue
            break
        else:
            for first, _last, used in chains[k - 1]:
                if window is not None and t - first > window:
                    continue
                if r in used:
                    continue
                chains[k].append((first, t, used | {r}))
            if k == n - 1 and chains[k]:
                return int(n)
    return int(sum(1 for c in chains if c))


# -- the result ----------------------------------------------------------------------------------


def _durations(values: Iterable[Durations]) -> tuple[Durations, ...]:
    return tuple(values)


@attrs.frozen(repr=False)
class StepFunnel(Displayable):
    """Entities per funnel step under one order mode, with time to convert.

    Returned by :func:`window_funnel` and :func:`~salesfunnel.metrics.funnel`. Counts
    are nested: ``counts[k]`` entities reached step ``k`` (and every step before it).

    Attributes
    ----------
    order : str
        ``"windowFunnel"``, ``"ordered"``, ``"strict"`` or ``"unordered"``.
    steps : tuple of str
        Step labels.
    counts : tuple of int
        Entities that reached each step.
    entities : int
        Entities in the log (excluded ones included).
    window : int or None
        The conversion window in ns (``None``: no limit).
    options : tuple of str
        The mode options, exclusions and attribution in words.
    excluded : int
        Entities dropped by an exclusion step (counted at no step).
    times : tuple of Durations
        ``times[k - 1]``: time from step ``k - 1`` to step ``k`` of the entities that
        reached ``k`` (empty for ``windowFunnel``, which keeps no times).
    total : Durations or None
        Time from the first step to the last of the entities that completed the funnel.

    Examples
    --------
    >>> from salesfunnel.metrics import StepFunnel
    >>> r = StepFunnel("ordered", ("view", "buy"), (10, 4), 12)
    >>> r.step_rate.tolist(), r.overall_rate.tolist()
    ([nan, 0.4], [1.0, 0.4])
    >>> r
    <StepFunnel ordered: 2 steps, 12 entities, 4 converted>
    """

    order: str
    steps: tuple[str, ...] = attrs.field(converter=strs)
    counts: tuple[int, ...] = attrs.field(converter=ints)
    entities: int = attrs.field(converter=int)
    window: int | None = None
    options: tuple[str, ...] = attrs.field(default=(), converter=strs)
    excluded: int = 0
    times: tuple[Durations, ...] = attrs.field(default=(), converter=_durations, eq=False)
    total: Durations | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        if len(self.steps) != len(self.counts):
            raise InvalidParameterError(
                f"{len(self.steps)} steps but {len(self.counts)} counts; expected one "
                "count per step", parameter="counts", value=self.counts)

    @property
    def converted(self) -> int:
        """Entities that reached the last step."""
        return self.counts[-1] if self.counts else 0

    @property
    def step_rate(self) -> npt.NDArray[np.float64]:
        """``counts[k] / counts[k - 1]`` (NaN at 0 and where undefined)."""
        c = np.asarray(self.counts, dtype=np.float64)
        out = np.full(len(c), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[1:] = np.where(c[:-1] > 0, c[1:] / np.where(c[:-1] > 0, c[:-1], 1), np.nan)
        return out

    @property
    def overall_rate(self) -> npt.NDArray[np.float64]:
        """``counts[k] / counts[0]`` (NaN when nobody reached the first step)."""
        c = np.asarray(self.counts, dtype=np.float64)
        if not len(c) or c[0] == 0:
            return np.full(len(c), np.nan)
        out: npt.NDArray[np.float64] = c / c[0]
        return out

    def histogram(self, bins: int | Sequence[float] = 10, step: int | None = None
                  ) -> tuple[_I64, npt.NDArray[np.float64]]:
        """Histogram of the time to convert, in seconds: ``(counts, edges)``.

        Parameters
        ----------
        bins : int or sequence of float
            As in :func:`numpy.histogram` (edges in seconds).
        step : int, optional
            The step ``k >= 1`` whose time from step ``k - 1`` is binned; default: the
            whole funnel (first step to last, :attr:`total`).

        Raises
        ------
        InvalidParameterError
            A step outside ``1 .. len(steps) - 1``, or a result without times.
        """
        if step is None:
            d = self.total
        elif isinstance(step, int) and not isinstance(step, bool) and 1 <= step <= len(
                self.times):
            d = self.times[step - 1]
        else:
            raise invalid("step", step, f"a step index in 1..{len(self.times)}",
                          where="StepFunnel.histogram")
        if d is None:
            raise InvalidParameterError(
                f"a {self.order!r} result keeps no conversion times", parameter="step",
                value=step)
        counts, edges = np.histogram(d.values / 1e9, bins=bins, weights=d.frequencies)
        return counts.astype(np.int64), edges

    def merge(self, other: StepFunnel) -> StepFunnel:
        """The result over the union of two disjoint sets of entities (counts add,
        durations join).

        Raises
        ------
        InvalidParameterError
            If ``other`` is not a StepFunnel of the same steps, order, window and options.
        """
        check_merge(self, other, ("order", "steps", "window", "options"))
        total = None
        if self.total is not None and other.total is not None:
            total = self.total.merge(other.total)
        return attrs.evolve(
            self, counts=[a + b for a, b in zip(self.counts, other.counts, strict=True)],
            entities=self.entities + other.entities, excluded=self.excluded + other.excluded,
            times=[a.merge(b) for a, b in zip(self.times, other.times, strict=True)],
            total=total)

    def _rows(self) -> list[dict[str, Any]]:
        step, overall = self.step_rate, self.overall_rate
        rows = []
        for k, name in enumerate(self.steps):
            d = self.times[k - 1] if k and self.times else None
            rows.append({
                "step": name, "count": self.counts[k], "step_rate": float(step[k]),
                "overall_rate": float(overall[k]),
                "mean_s": math.nan if d is None else d.mean,
                "median_s": math.nan if d is None else d.median,
            })
        return rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings, counts, one row per step (NaN as ``None``).

        Examples
        --------
        >>> from salesfunnel.metrics import StepFunnel
        >>> StepFunnel("strict", ("a", "b"), (4, 1), 4).to_dict()["rows"][1]["step_rate"]
        0.25
        """
        return {
            "order": self.order, "steps": list(self.steps), "counts": list(self.counts),
            "entities": self.entities, "excluded": self.excluded, "window_ns": self.window,
            "options": list(self.options),
            "total_mean_s": to_json_value(math.nan if self.total is None else self.total.mean),
            "total_median_s": to_json_value(
                math.nan if self.total is None else self.total.median),
            "rows": [{k: to_json_value(v) for k, v in row.items()} for row in self._rows()],
        }

    def to_pandas(self) -> Any:
        """One row per step: count, rates, mean and median time from the previous step.

        Examples
        --------
        >>> from salesfunnel.metrics import StepFunnel
        >>> StepFunnel("ordered", ("a", "b"), (4, 1), 4).to_pandas()[["step", "count"]]
          step  count
        0    a      4
        1    b      1
        """
        pd = import_optional("pandas", "pandas", purpose="StepFunnel.to_pandas")
        return pd.DataFrame(self._rows())

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        step, overall = self.step_rate, self.overall_rate
        rows = []
        for k, name in enumerate(self.steps):
            d = self.times[k - 1] if k and self.times else None
            rows.append([name, format_count(self.counts[k]), format_pct(step[k]),
                         format_pct(overall[k]),
                         MISSING if d is None else format_duration(d.median)])
        what = self.order + (f" ({', '.join(self.options)})" if self.options else "")
        if self.window is not None:
            what += word("conv.window", lang) + describe_window(self.window)
        title = word("modes.title", lang).format(what, counted(self.entities, "entity", lang))
        notes = []
        if self.excluded:
            notes.append(word("modes.excluded", lang).format(self.excluded))
        if self.total is not None and self.total.count:
            notes.append(word("modes.total", lang).format(format_duration(self.total.median),
                                                          format_duration(self.total.mean)))
        headers = [word("step.name", lang), word("count", lang), word("step", lang),
                   word("overall", lang), word("median", lang)]
        table = Table(title, headers, rows, notes=notes, align="<>>>>")
        return FunnelData(self.steps, self.counts), table

    def __repr__(self) -> str:
        n = len(self.steps)
        return (f"<StepFunnel {self.order}: {n} step{'s' if n != 1 else ''}, "
                f"{self.entities:,} entit{'ies' if self.entities != 1 else 'y'}, "
                f"{self.converted:,} converted>")


def counts_from_levels(level: _I64, n: int) -> list[int]:
    """``out[k]`` = entities with level ``> k``."""
    hist = np.bincount(np.clip(level, 0, n), minlength=n + 1)
    out: list[int] = np.cumsum(hist[::-1])[::-1][1:].tolist()
    return out


def window_funnel(log: EventLog, steps: Sequence[Step | str | int], *, window: Any = None,
                  mode: Any = None) -> StepFunnel:
    """ClickHouse ``windowFunnel``: entities per step under its modes.

    Parameters
    ----------
    log : EventLog
        The events (with event names and properties for event steps).
    steps : sequence of Step, str or int
        The funnel steps (at most 32, as in ClickHouse): :class:`Step` objects, event
        names (stage names on a log without event names) or stage indices.
    window : numpy.timedelta64, datetime.timedelta or float, optional
        Sliding window from a chain's first step (numbers are seconds; inclusive).
        ``None``, or any window longer than a log can span, means no limit.
    mode : WindowFunnelMode, str or iterable of str, optional
        ClickHouse options: ``"strict_order"``, ``"strict_deduplication"``,
        ``"strict_increase"``, ``"strict_once"``, ``"allow_reentry"``.

    Returns
    -------
    StepFunnel
        ``counts[k]``: entities whose ``windowFunnel`` level is above ``k``.

    Raises
    ------
    InvalidParameterError
        Bad steps, window or mode.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.events import with_events
    >>> from salesfunnel.metrics import window_funnel
    >>> f = Funnel("app", [Stage("visit"), Stage("paid", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 1, 2, 2], stage=[0, 0, 1, 0, 1],
    ...                            ts=[0, 1, 2, 0, 5], unit="s")
    >>> log = with_events(log, event=["view", "chat", "buy", "view", "buy"])
    >>> window_funnel(log, ["view", "buy"]).counts
    (2, 2)
    >>> window_funnel(log, ["view", "buy"], mode="strict_order").counts
    (2, 1)
    >>> window_funnel(log, ["view", "buy"], window=3).counts
    (2, 1)
    """
    log = check_log(log)
    st = to_steps(steps, log, where="window_funnel")
    win = check_window(window)
    md = WindowFunnelMode.parse(mode)
    level = window_funnel_levels(log, match_steps(log, st), win, md)
    return StepFunnel("windowFunnel", [s.label for s in st],
                      counts_from_levels(level, len(st)), log.n_entities, win, md.options)
