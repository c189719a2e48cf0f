"""``funnel``: product funnels with PostHog's order types, exclusions, per-step windows,
time to convert and breakdown attribution, as numpy kernels.

Semantics (the documentation page "Steps, exclusions and attribution"): an entity's
events are read in time order. ``order="ordered"``: a chain takes one event per step,
each strictly later than the one before (events at the same moment do not chain), the
last at most ``window`` after the first and each at most ``step_windows[k - 1]`` after
the previous one. ``"strict"``: each step's event is at the entity's next moment after
the previous step's (nothing happens in between). ``"unordered"``: the steps done within
``window`` of a first step event, in any order. The entity's *path* is the first chain
that reaches its furthest step (for ``ordered``, the one with the latest start), which
gives its conversion times, its exclusion check and its breakdown value. With exclusion
steps, every first-step event starts an *attempt*; an attempt whose path has an
exclusion event drops out and the path is chosen among the other attempts (PostHog's
semantics); an entity whose every attempt drops out is excluded.

Kernels: level by level, a step-``k`` event extends the latest valid step-``k - 1``
event at an earlier moment (latest start and latest time dominate, so one
``searchsorted`` per level decides); ``strict`` works on (entity, time) groups, where
the predecessor is simply the previous group; ``unordered`` looks up, for every anchor
event and step, the step's next event at or after the anchor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

from salesfunnel._util._validate import check_choice, invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.metrics._conversion import describe_window
from salesfunnel.metrics._kernels import EntityGroups
from salesfunnel.metrics._modes import (
    _INF,
    StepFunnel,
    _Elements,
    _elements,
    _first_per_entity,
    check_window,
    counts_from_levels,
)
from salesfunnel.metrics._results import Breakdown, breakdown, check_log
from salesfunnel.metrics._steps import Exclusion, Step, match_steps, to_steps
from salesfunnel.metrics._timing import Durations

__all__ = ["ORDERS", "Attribution", "Path", "funnel", "funnel_paths"]

_I64 = npt.NDArray[np.int64]
ORDERS = ("ordered", "strict", "unordered")
Order = Literal["ordered", "strict", "unordered"]
Ties = Literal["later", "row_order"]
TIES = ("later", "row_order")
Attribution = Literal["first_touch", "last_touch"] | int


class Path:
    """Per entity: the level reached and the sorted row of each step on its path.

    ``rows`` may be given as a function computing them on first use (the sort-free
    ordered path needs them only for a breakdown).
    """

    def __init__(self, level: _I64, rows: _I64 | Callable[[], _I64], el: _Elements,
                 times: _I64 | None = None) -> None:
        self.level = level  # (n_entities,) steps reached
        self._rows = rows  # (n_entities, n_steps) sorted-row position, -1 beyond level
        self.el = el
        self._times = times

    @property
    def rows(self) -> _I64:
        if callable(self._rows):
            self._rows = self._rows()
        return self._rows

    def times(self) -> _I64:
        """``(n_entities, n_steps)`` times of the path's events (meaningless beyond level)."""
        if self._times is None:
            self._times = self.el.ts[np.maximum(self.rows, 0)] if len(self.el.ts) else (
                np.zeros(self.rows.shape, dtype=np.int64))
        return self._times


def _backtrack(n_ent: int, valid: list[tuple[_I64, _I64, _I64]], n: int
               ) -> tuple[_I64, _I64]:
    """Levels and path rows from per-level ``(positions, entities, predecessor index)``."""
    level = np.zeros(n_ent, dtype=np.int64)
    for k in range(n):
        has = np.zeros(n_ent, dtype=np.bool_)
        has[valid[k][1]] = True
        level[has] = k + 1
    rows = np.full((n_ent, n), -1, dtype=np.int64)
    cur = np.full(n_ent, -1, dtype=np.int64)
    for k in range(n - 1, -1, -1):
        pos, ent, pred = valid[k]
        idx = np.arange(len(pos), dtype=np.int64)
        first = _first_per_entity(ent, idx, n_ent)
        here = level == k + 1
        cur[here] = first[here]
        act = np.flatnonzero(cur >= 0)
        rows[act, k] = pos[cur[act]]
        if k:
            cur[act] = pred[cur[act]]
    return level, rows


def _ordered(el: _Elements, m: npt.NDArray[np.bool_], n_ent: int, window: int | None,
             step_windows: Sequence[int | None]) -> tuple[_I64, _I64]:
    n = m.shape[0]
    pos = np.flatnonzero(m[0])
    start = el.ts[pos]
    valid = [(pos, el.ent[pos], np.zeros(len(pos), dtype=np.int64))]
    w = None if window is None else np.uint64(window)
    for k in range(1, n):
        vpos, vent, _ = valid[-1]
        cpos = np.flatnonzero(m[k])
        cts = el.ts[cpos]
        j = np.searchsorted(vpos, el.group_start[el.group[cpos]]) - 1
        ok = j >= 0
        np.maximum(j, 0, out=j)
        if len(vpos):
            ok &= vent[j] == el.ent[cpos]
            s = start[j]
            if w is not None:
                ok &= cts.view(np.uint64) - s.view(np.uint64) <= w
            sw = step_windows[k - 1]
            if sw is not None:
                ok &= cts.view(np.uint64) - el.ts[vpos[j]].view(np.uint64) <= np.uint64(sw)
        else:
            ok[:] = False
            s = cts
        vi = np.flatnonzero(ok)
        start = s[vi]
        valid.append((cpos[vi], el.ent[cpos[vi]], j[vi]))
    return _backtrack(n_ent, valid, n)


def _ordered_unsorted(log: EventLog, match: npt.NDArray[np.bool_]
                      ) -> tuple[_I64, Callable[[], _I64], _I64]:
    """``ordered`` without windows or exclusions, in log row order and without a sort.

    The earliest time each step can be reached (``minimum.at`` level by level) decides
    the level: a step-``k`` event can end a chain exactly when it is later than that time
    at step ``k - 1``. The path then runs back from the earliest event reaching the
    furthest step, taking at each step the latest such event before the next one.
    Returns the levels, a function giving the path rows (ties: the earlier row for the
    last step, the later row before it, the order of :func:`_elements`) and the path
    times.
    """
    n_ent, n = log.n_entities, match.shape[0]
    ent, ts = log.entity, log.ts
    first: list[_I64] = []  # earliest time at each step
    cands: list[tuple[_I64, _I64, _I64]] = []  # rows of step k that can end a chain
    prev = None
    for k in range(n):
        rows = np.flatnonzero(match[k])
        e, t = ent[rows], ts[rows]
        if prev is not None:
            ok = np.flatnonzero(t > prev[e])  # (index arrays gather faster than masks)
            rows, e, t = rows[ok], e[ok], t[ok]
        best = np.full(n_ent, _INF, dtype=np.int64)
        np.minimum.at(best, e, t)
        first.append(best)
        cands.append((rows, e, t))
        prev = best
    level = np.zeros(n_ent, dtype=np.int64)
    for k in range(n):
        level += first[k] != _INF
    times = np.zeros((n, n_ent), dtype=np.int64)  # step-major; transposed at the end
    bound = np.full(n_ent, _INF, dtype=np.int64)  # the next step's time on the path
    lvs = []
    for k in range(n - 1, -1, -1):
        _, e, t = cands[k]
        lv = level[e]
        lvs.append(lv)
        # earlier steps: the latest event before the next step's
        i = np.flatnonzero(lv > k + 1)
        i = i[t[i] < bound[e[i]]]
        top = np.full(n_ent, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(top, e[i], t[i])
        # the last step: the earliest event
        bound = np.where(level == k + 1, first[k], top)
        times[k] = bound
    lvs.reverse()

    def path_rows() -> _I64:
        path = np.full((n, n_ent), -1, dtype=np.int64)
        for k in range(n):
            rows, e, t = cands[k]
            lv = lvs[k]
            i = np.flatnonzero((lv > k) & (t == times[k][e]))
            end = lv[i] == k + 1
            j = i[end]  # the last step: the first row at its time
            np.minimum.at(path[k], e[j], rows[j] - _INF)  # -1 - _INF: below every row
            j = i[~end]  # before it: the last row at its time
            np.maximum.at(path[k], e[j], rows[j])
            path[k, level == k + 1] += _INF
        return path.T

    return level, path_rows, times.T


def _strict(el: _Elements, m: npt.NDArray[np.bool_], n_ent: int, window: int | None,
            step_windows: Sequence[int | None]) -> tuple[_I64, _I64]:
    n = m.shape[0]
    gs = el.group_start
    n_g = len(gs)
    # per group: does some row match step k, and the first such row
    g_ent = el.ent[gs] if n_g else np.zeros(0, dtype=np.int64)
    g_ts = el.ts[gs] if n_g else np.zeros(0, dtype=np.int64)
    cont = np.zeros(n_g, dtype=np.bool_)  # group g follows group g - 1 of the same entity
    if n_g > 1:
        np.equal(g_ent[1:], g_ent[:-1], out=cont[1:])
    first_row = []
    for k in range(n):
        rows = np.flatnonzero(m[k])
        fr = np.full(n_g, -1, dtype=np.int64)
        if len(rows):
            g = el.group[rows]
            keep = np.ones(len(rows), dtype=np.bool_)
            np.not_equal(g[1:], g[:-1], out=keep[1:])
            fr[g[keep]] = rows[keep]
        first_row.append(fr)
    w = None if window is None else np.uint64(window)
    valid_g = first_row[0] >= 0
    start = g_ts.copy()
    valid = [(np.flatnonzero(valid_g), g_ent[valid_g], np.zeros(int(valid_g.sum()), np.int64))]
    for k in range(1, n):
        prev = np.zeros(n_g, dtype=np.bool_)
        prev[1:] = valid_g[:-1]
        ok = (first_row[k] >= 0) & prev & cont
        st = np.empty(n_g, dtype=np.int64)
        st[1:] = start[:-1]
        st[:1] = g_ts[:1]
        if w is not None:
            ok &= g_ts.view(np.uint64) - st.view(np.uint64) <= w
        sw = step_windows[k - 1]
        if sw is not None and n_g > 1:
            gap = np.zeros(n_g, dtype=np.uint64)
            gap[1:] = g_ts[1:].view(np.uint64) - g_ts[:-1].view(np.uint64)
            ok &= gap <= np.uint64(sw)
        valid_g, start = ok, st
        gi = np.flatnonzero(ok)
        # predecessor index: position of group gi - 1 among the previous level's groups
        pred = np.searchsorted(valid[-1][0], gi - 1)
        valid.append((gi, g_ent[gi], pred))
    level, grows = _backtrack(n_ent, valid, n)
    rows = np.full(grows.shape, -1, dtype=np.int64)
    for k in range(n):
        has = grows[:, k] >= 0
        rows[has, k] = first_row[k][grows[has, k]]
    return level, rows


def _unordered(el: _Elements, m: npt.NDArray[np.bool_], n_ent: int, window: int | None
               ) -> tuple[_I64, _I64]:
    n = m.shape[0]
    anchor = np.flatnonzero(m.any(axis=0))
    a_ent, a_ts = el.ent[anchor], el.ts[anchor]
    a_from = el.group_start[el.group[anchor]]
    covered = np.zeros(len(anchor), dtype=np.int64)
    found = np.full((n, len(anchor)), -1, dtype=np.int64)
    w = None if window is None else np.uint64(window)
    for k in range(n):
        pk = np.flatnonzero(m[k])
        j = np.searchsorted(pk, a_from)
        ok = j < len(pk)
        np.minimum(j, max(len(pk) - 1, 0), out=j)
        if len(pk):
            ok &= el.ent[pk[j]] == a_ent
            if w is not None:
                ok &= el.ts[pk[j]].view(np.uint64) - a_ts.view(np.uint64) <= w
            found[k, ok] = pk[j[ok]]
        covered += ok
    level = np.zeros(n_ent, dtype=np.int64)
    np.maximum.at(level, a_ent, covered)
    best = covered == level[a_ent]  # the first anchor with the most steps
    bi = np.flatnonzero(best)
    first = _first_per_entity(a_ent[bi], bi.astype(np.int64), n_ent)
    rows = np.full((n_ent, n), -1, dtype=np.int64)
    has = np.flatnonzero(first != _INF)
    rows[has] = found[:, first[has]].T
    return level, rows


def _excluded(el: _Elements, xmatch: Sequence[npt.NDArray[np.bool_]], path_level: _I64,
              rows: _I64, exclusions: Sequence[Exclusion], window: int | None
              ) -> npt.NDArray[np.bool_]:
    n_ent = len(path_level)
    out = np.zeros(n_ent, dtype=np.bool_)
    if not exclusions:
        return out
    n_rows = len(el.ts)
    ends = np.append(el.group_start[1:], n_rows) if n_rows else np.zeros(0, np.int64)
    for ex, xm in zip(exclusions, xmatch, strict=True):
        xmask = xm[el.order]
        xpos = np.flatnonzero(xmask)
        e = np.flatnonzero(path_level > ex.start)
        if not len(xpos) or not len(e):
            continue
        lo_row = rows[e, ex.start]
        after = ends[el.group[lo_row]]  # first row strictly later than step `start`
        j = np.searchsorted(xpos, after)
        inside = j < len(xpos)
        e, j, lo_row = e[inside], j[inside], lo_row[inside]
        xp = xpos[j]
        hit = el.ent[xp] == e
        t_x = el.ts[xp]
        reached = path_level[e] > ex.end
        end_row = rows[e, min(ex.end, rows.shape[1] - 1)]
        before_end = t_x < el.ts[np.maximum(end_row, 0)]
        if window is None:
            open_ok = np.ones(len(e), dtype=np.bool_)
        else:
            t0 = el.ts[rows[e, 0]]
            open_ok = t_x.view(np.uint64) - t0.view(np.uint64) <= np.uint64(window)
        hit &= np.where(reached, before_end, open_ok)
        out[e[hit]] = True
    return out


def funnel_paths(log: EventLog, steps: Sequence[Step], order: str, window: int | None,
                 step_windows: Sequence[int | None], exclusions: Sequence[Exclusion],
                 ties: str = "later") -> tuple[Path, npt.NDArray[np.bool_]]:
    """The :class:`Path` of every entity and whether an exclusion drops it."""
    n_ent = log.n_entities
    match = match_steps(log, steps)
    xmatch = [ex.step.matches(log) for ex in exclusions]
    if (order == "ordered" and window is None and ties == "later" and not exclusions
            and all(w is None for w in step_windows)):
        ar = np.arange(len(log), dtype=np.int64)
        fast_level, rows_fn, times = _ordered_unsorted(log, match)
        rows_el = _Elements(ar, log.entity, log.ts, ar, ar)
        return Path(fast_level, rows_fn, rows_el, times), np.zeros(n_ent, dtype=np.bool_)
    rows = None
    if order != "strict":  # only step and exclusion events matter
        rows = np.any(match, axis=0)
        for x in xmatch:
            rows |= x
    by_time = el = _elements(log, rows)
    if ties == "row_order":  # every row its own moment: equal times chain in row order
        ar = np.arange(len(el.order), dtype=np.int64)
        el = _Elements(el.order, el.ent, el.ts, ar, ar)
    m = match[:, el.order]

    def paths_of(el: _Elements, m: npt.NDArray[np.bool_], n_ent: int) -> tuple[_I64, _I64]:
        if order == "ordered":
            return _ordered(el, m, n_ent, window, step_windows)
        if order == "strict":
            return _strict(el, m, n_ent, window, step_windows)
        return _unordered(el, m, n_ent, window)

    level, paths = paths_of(el, m, n_ent)
    # exclusion events count strictly between the path's times, whatever ``ties``
    hit = _excluded(by_time, xmatch, level, paths, exclusions, window)
    excluded = np.zeros(n_ent, dtype=np.bool_)
    full_el = el
    at: _I64 | None = None  # positions of the current sub-problem in ``full_el``
    ids: _I64 | None = None  # entity ids of the current sub-problem's entities
    sub_paths = paths
    while hit.any():
        # an attempt (a first-step event) whose path has an exclusion event drops out;
        # the entity keeps its best remaining attempt (PostHog's exclusion semantics).
        # The next round reads only the entities just hit, numbered 0, 1, ...
        excluded[hit if ids is None else ids[hit]] = True
        m[0, sub_paths[hit, 0]] = False  # ``m`` is a copy (fancy indexing)
        sel = np.flatnonzero(hit[el.ent])
        at = sel if at is None else at[sel]
        same = by_time is el
        el, local = _subset(el, sel)
        by_time = el if same else _subset(by_time, sel)[0]
        m = m[:, sel]
        ids = local if ids is None else ids[local]
        sub_level, sub_paths = paths_of(el, m, len(ids))
        level[ids] = sub_level
        paths[ids] = np.where(sub_paths >= 0, at[np.maximum(sub_paths, 0)], -1)
        hit = _excluded(by_time, xmatch, sub_level, sub_paths, exclusions, window)
    excluded &= level == 0  # every attempt excluded
    return Path(level, paths, full_el), excluded


def _subset(el: _Elements, sel: _I64) -> tuple[_Elements, _I64]:
    """The sorted positions ``sel`` (whole entities) of ``el``, with the entities
    renumbered ``0, 1, ...`` and the groups renumbered; and the old id of each entity."""
    ent = el.ent[sel]
    g = el.group[sel]
    new_ent = np.ones(len(sel), dtype=np.bool_)
    new = np.ones(len(sel), dtype=np.bool_)
    if len(sel) > 1:
        np.not_equal(ent[1:], ent[:-1], out=new_ent[1:])
        np.not_equal(g[1:], g[:-1], out=new[1:])
    new |= new_ent
    group = np.cumsum(new, dtype=np.int64)
    group -= 1
    local = np.cumsum(new_ent, dtype=np.int64)
    local -= 1
    return (_Elements(el.order[sel], local, el.ts[sel], group, np.flatnonzero(new)),
            ent[np.flatnonzero(new_ent)])


def _result(order: str, labels: Sequence[str], path: Path, excluded: npt.NDArray[np.bool_],
            entities: _I64 | None, window: int | None, options: Sequence[str]) -> StepFunnel:
    n = len(labels)
    level = path.level if entities is None else path.level[entities]
    ex = excluded if entities is None else excluded[entities]
    keep = ~ex
    lv = level[keep]
    times: list[Durations] = []
    total = None
    if order != "unordered":
        t = path.times() if entities is None else path.times()[entities]
        if ex.any():
            t = t[keep]
        for k in range(1, n):
            sel = np.flatnonzero(lv > k)
            d = (t[sel, k].view(np.uint64) - t[sel, k - 1].view(np.uint64)).astype(np.int64)
            times.append(Durations(labels[k - 1], labels[k], d))
        sel = np.flatnonzero(lv >= n)
        d = (t[sel, n - 1].view(np.uint64) - t[sel, 0].view(np.uint64)).astype(np.int64)
        total = Durations(labels[0], labels[-1], d)
    return StepFunnel(order, labels, counts_from_levels(lv, n), len(level), window, options,
                      int(ex.sum()), times, total)


def _first_rows(log: EventLog) -> _I64:
    """Per entity: its first row by (time, row); 0 for an entity without rows."""
    n_ent = log.n_entities
    first_t = np.full(n_ent, _INF, dtype=np.int64)
    np.minimum.at(first_t, log.entity, log.ts)
    at_first = np.flatnonzero(log.ts == first_t[log.entity])
    out = np.full(n_ent, _INF, dtype=np.int64)
    np.minimum.at(out, log.entity[at_first], at_first)
    out[out == _INF] = 0
    return out


def _groups(log: EventLog, path: Path, by: str, attribution: Any, unordered: bool
            ) -> EntityGroups:
    """Per entity the value of ``by`` on its attributed path event."""
    n_ent, n = log.n_entities, path.rows.shape[1]
    el = path.el
    if by in log.segments:
        seg = log.segments[by]
        col_codes: _I64 | None = seg.codes.astype(np.int64)
        cats: Any = seg.categories
    elif by in log.properties:
        col_codes = None
        cats = None
    else:
        options = sorted({*log.segments, *log.properties})
        raise invalid("by", by, "a segment or property column: " + (
            ", ".join(map(repr, options)) or "none"), where="funnel")
    lv = path.level
    ar = np.arange(n_ent)
    step_row = path.rows if unordered else np.where(lv[:, None] > np.arange(n), path.rows,
                                                    -1)
    # the path's events in time order, none last: step order for ordered and strict
    # paths; unordered ones are on sorted elements, whose positions ascend with time
    in_time = np.where(step_row >= 0, step_row, _INF)
    if unordered:
        in_time.sort(axis=1)
    got = in_time != _INF
    in_time[~got] = -1
    n_got = got.sum(axis=1)
    last = in_time[ar, np.maximum(n_got - 1, 0)] if n else np.full(n_ent, -1)
    if attribution in ("first_touch", "last_touch"):
        # the first (last) path event with the value set; PostHog's touch points
        is_set = _value_set(log, by)
        valued = got.copy()
        valued[got] = is_set[el.order[in_time[got]]]
        if attribution == "last_touch":
            valued = valued[:, ::-1]
            in_time = in_time[:, ::-1]
        pick = np.argmax(valued, axis=1)
        fallback = in_time[:, 0] if attribution == "first_touch" else last
        row = np.where(valued.any(axis=1), in_time[ar, pick], fallback)
    else:
        row = np.where(step_row[:, int(attribution)] >= 0, step_row[:, int(attribution)],
                       last)
    # entities on no path: their first event (earliest time, then earliest row)
    log_row = np.where(row >= 0, el.order[np.maximum(row, 0)] if len(el.order) else row,
                       _first_rows(log))
    if col_codes is not None:
        codes = col_codes[log_row] if len(col_codes) else np.zeros(n_ent, np.int64)
        return EntityGroups(by, codes.astype(np.int64), cats)
    values = log.properties[by][log_row] if len(log) else np.zeros(0, dtype=object)
    table: dict[Any, int] = {}
    codes = np.empty(n_ent, dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        if isinstance(v, float) and v != v:
            v = None
        codes[i] = table.setdefault(v, len(table))
    ordered = sorted(table, key=lambda v: (v is None, str(type(v)), v if v is not None else 0))
    remap = np.empty(max(len(table), 1), dtype=np.int64)
    for new, v in enumerate(ordered):
        remap[table[v]] = new
    cats = np.empty(len(ordered), dtype=object)
    cats[:] = ordered
    return EntityGroups(by, remap[codes] if n_ent else codes, cats)


def _is_set(values: Any) -> npt.NDArray[np.bool_]:
    """Per value: not ``None`` and not NaN."""
    return np.fromiter((v is not None and not (isinstance(v, float) and v != v)
                        for v in values.tolist()), dtype=np.bool_, count=len(values))


def _value_set(log: EventLog, by: str) -> npt.NDArray[np.bool_]:
    """Per log row: the ``by`` column has a value (not ``None`` or NaN)."""
    if by in log.segments:
        seg = log.segments[by]
        return _is_set(seg.categories)[seg.codes]
    values = log.properties[by]
    if values.dtype.kind == "f":
        out: npt.NDArray[np.bool_] = ~np.isnan(values)
        return out
    if values.dtype.kind != "O":
        return np.ones(len(values), dtype=np.bool_)
    return _is_set(values)


def _check_attribution(value: Any, n: int) -> Any:
    if value in ("first_touch", "last_touch"):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < n:
        return value
    raise invalid("attribution", value,
                  f"'first_touch', 'last_touch' or a step index in 0..{n - 1}", where="funnel")


@overload
def funnel(
    log: EventLog,
    steps: Sequence[Step | str | int],
    *,
    order: Order = ...,
    window: Any = ...,
    step_windows: Sequence[Any] | None = ...,
    exclusions: Sequence[Exclusion] = ...,
    by: None = ...,
    attribution: Attribution = ...,
    ties: Ties = ...,
) -> StepFunnel: ...


@overload
def funnel(
    log: EventLog,
    steps: Sequence[Step | str | int],
    *,
    order: Order = ...,
    window: Any = ...,
    step_windows: Sequence[Any] | None = ...,
    exclusions: Sequence[Exclusion] = ...,
    by: str,
    attribution: Attribution = ...,
    ties: Ties = ...,
) -> Breakdown[StepFunnel]: ...


def funnel(
    log: EventLog,
    steps: Sequence[Step | str | int],
    *,
    order: Order = "ordered",
    window: Any = None,
    step_windows: Sequence[Any] | None = None,
    exclusions: Sequence[Exclusion] = (),
    by: str | None = None,
    attribution: Attribution = "first_touch",
    ties: Ties = "later",
) -> StepFunnel | Breakdown[StepFunnel]:
    """A product funnel over steps: PostHog's order types, exclusions, attribution.

    Parameters
    ----------
    log : EventLog
        The events (event names and properties: :func:`salesfunnel.events.with_events`).
    steps : sequence of Step, str or int
        The steps (at most 32): :class:`Step` objects, event names (stage names on a log
        without event names) or stage indices. The same event may appear at several
        steps; one event counts for at most one step of a path.
    order : {"ordered", "strict", "unordered"}
        ``"ordered"``: each step strictly after the previous one, other events allowed
        in between. ``"strict"``: each step at the entity's very next moment.
        ``"unordered"``: steps in any order within ``window`` of the first.
    window : numpy.timedelta64, datetime.timedelta or float, optional
        Conversion window from the first step to the last (seconds for numbers;
        inclusive). ``None`` (or any window longer than a log can span): no limit.
    step_windows : sequence, optional
        ``step_windows[k - 1]``: the most time allowed from step ``k - 1`` to step
        ``k`` (``None`` entries: no limit); not for ``"unordered"``.
    exclusions : sequence of Exclusion
        Every first-step event starts an attempt; an attempt with an exclusion event
        inside its span of the attempt's path drops out, and an entity keeps its best
        remaining attempt. Entities whose every attempt drops out are excluded
        (reported in ``excluded``); not for ``"unordered"``.
    by : str, optional
        A segment or property column: one result per value (a :class:`Breakdown`).
    attribution : {"first_touch", "last_touch"} or int
        Which event of the path gives an entity's ``by`` value: the first
        (``"first_touch"``) or last (``"last_touch"``) event of the path that has a
        value, as PostHog's touch points; or step ``i``'s event, with or without a value
        (the furthest step's when ``i`` was not reached).
    ties : {"later", "row_order"}
        ``"later"`` (default): each step strictly later than the previous one, so events
        at the same moment do not chain. ``"row_order"``: events at the same moment
        chain in the log's row order (each row is a moment of its own; ``strict`` then
        means the very next row).

    Returns
    -------
    StepFunnel or Breakdown
        Counts per step, ``excluded``, and (ordered, strict) the time from each step to
        the next (``times``) and through the whole funnel (``total``).

    Raises
    ------
    InvalidParameterError
        Bad steps, order, windows, exclusions, ``by`` or attribution.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.events import with_events
    >>> from salesfunnel.metrics import Exclusion, Step, funnel
    >>> f = Funnel("app", [Stage("visit"), Stage("paid", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 1, 2, 2, 2], stage=[0, 0, 1, 0, 0, 1],
    ...                            ts=[0, 60, 120, 0, 30, 90], unit="s")
    >>> log = with_events(log, event=["view", "view", "buy", "view", "chat", "buy"],
    ...                   properties={"url": ["/", "/pricing", None, "/pricing", None, None]})
    >>> steps = ["view", Step(event="view", where="url == '/pricing'"), "buy"]
    >>> r = funnel(log, steps)
    >>> r.counts, r.total.median
    ((2, 1, 1), 120.0)
    >>> funnel(log, ["view", "buy"], order="strict").counts
    (2, 1)
    >>> funnel(log, ["view", "buy"], exclusions=[Exclusion("chat", 0, 1)]).counts
    (1, 1)
    """
    log = check_log(log)
    st = to_steps(steps, log, where="funnel")
    n = len(st)
    order = check_choice("order", order, ORDERS, where="funnel")  # type: ignore[assignment]
    win = check_window(window, where="funnel")
    if step_windows is None:
        sws: list[int | None] = [None] * (n - 1)
    else:
        if isinstance(step_windows, str) or not isinstance(step_windows, Sequence) or len(
                step_windows) != n - 1:
            raise invalid("step_windows", step_windows,
                          f"a sequence of {n - 1} windows (one per step after the first)",
                          where="funnel")
        sws = [check_window(w, "step_windows", "funnel") for w in step_windows]
    exs = tuple(exclusions)
    for ex in exs:
        if not isinstance(ex, Exclusion):
            raise invalid("exclusions", ex, "Exclusion objects", where="funnel")
        if ex.end >= n:
            raise invalid("exclusions", ex, f"exclusions between steps 0..{n - 1}",
                          where="funnel")
    if order == "unordered" and (exs or any(w is not None for w in sws)):
        raise InvalidParameterError(
            "exclusions and step_windows need an order; got order='unordered'",
            parameter="order", value=order)
    attr = _check_attribution(attribution, n)
    ties = check_choice("ties", ties, TIES, where="funnel")  # type: ignore[assignment]
    options = [*(f"{k}: {describe(w)}" for k, w in enumerate(sws, 1) if w is not None),
               *(f"exclude {e.step.label} between {e.start} and {e.end}" for e in exs)]
    if by is not None:
        options.append(f"attribution: {attr}")
    if ties != "later":
        options.append(f"ties: {ties}")
    path, excluded = funnel_paths(log, st, order, win, sws, exs, ties)
    labels = [s.label for s in st]
    if by is None:
        return _result(order, labels, path, excluded, None, win, options)
    groups = _groups(log, path, by, attr, order == "unordered")
    return breakdown(groups, lambda g, ents: _result(order, labels, path, excluded, ents,
                                                      win, options))


def describe(ns: int) -> str:
    """A step window in words (``'within 1 day'``)."""
    return "within " + describe_window(ns)
