"""Plain-Python references for the funnel modes, written from the documentation pages
"Funnel order modes" and "Steps, exclusions and attribution", one entity at a time by
exhaustive search (no shared code with the numpy kernels), and the chdb oracle for
ClickHouse ``windowFunnel``."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from salesfunnel.events import EventLog
from salesfunnel.metrics import Exclusion, Step, WindowFunnelMode

Event = tuple[int, int, int, frozenset[int]]


def entity_events(log: EventLog, masks: np.ndarray) -> dict[int, list[Event]]:
    """entity -> its events as (ts, stage, row, steps matched), in (ts, row) order."""
    out: dict[int, list[Event]] = {}
    for r in range(len(log)):
        matched = frozenset(int(k) for k in np.flatnonzero(masks[:, r]))
        out.setdefault(int(log.entity[r]), []).append(
            (int(log.ts[r]), int(log.stage[r]), r, matched))
    for evs in out.values():
        evs.sort(key=lambda e: (e[0], e[2]))
    return out


def ordered_path(evs: list[Any], n: int, window: int | None,
                 step_windows: Sequence[int | None], ties: str = "later",
                 starts: set[int] | None = None) -> list[int]:
    """Indices (into evs) of the path: the longest chain, ending at the earliest event,
    then the latest choice at each step going back (``starts``: the first steps allowed)."""
    best: list[int] = []
    def ok(chain: tuple[int, ...]) -> bool:
        ts = [evs[i][0] for i in chain]
        if ties == "later" and any(b <= a for a, b in itertools.pairwise(ts)):
            return False
        if window is not None and ts[-1] - ts[0] > window:
            return False
        return all(w is None or ts[k] - ts[k - 1] <= w
                   for k, w in enumerate(step_windows[:len(ts) - 1], 1))
    chains = [()]
    for k in range(n):
        nxt = [(*c, i) for c in chains for i in range(len(evs))
               if k in evs[i][3] and (not c or i > c[-1]) and ok((*c, i))
               and (c or starts is None or i in starts)]
        if not nxt:
            break
        chains = nxt
        # earliest end, then latest choices going back
        best = list(min(chains, key=lambda c: (c[-1], *(-x for x in reversed(c[:-1])))))
    return best


def strict_path(evs: list[Any], n: int, window: int | None,
                step_windows: Sequence[int | None], ties: str = "later",
                starts: set[int] | None = None) -> list[int]:
    if ties == "row_order":  # moments are rows
        times = list(range(len(evs)))
        at = [e[0] for e in evs]
    else:
        times = sorted({e[0] for e in evs})
        at = times

    def first_at(g: int, k: int) -> int | None:
        def allowed(i: int) -> bool:
            return k > 0 or starts is None or i in starts
        if ties == "row_order":
            return g if k in evs[g][3] and allowed(g) else None
        for i, e in enumerate(evs):
            if e[0] == times[g] and k in e[3] and allowed(i):
                return i
        return None
    best: list[int] = []
    for g0 in range(len(times)):
        chain: list[int] = []
        for k in range(n):
            g = g0 + k
            if g >= len(times):
                break
            i = first_at(g, k)
            if i is None:
                break
            if window is not None and at[g] - at[g0] > window:
                break
            if k and step_windows[k - 1] is not None and (
                    at[g] - at[g - 1] > step_windows[k - 1]):
                break
            chain.append(i)
        # longest; ties: the one ending earliest (lower g0)
        if len(chain) > len(best):
            best = chain
    return best


def unordered_path(evs: list[Any], n: int, window: int | None) -> list[int]:
    best: list[int] = []
    best_count = 0
    for a in evs:
        if not a[3]:
            continue
        found = []
        for k in range(n):
            hit = [i for i, e in enumerate(evs) if k in e[3] and e[0] >= a[0]
                   and (window is None or e[0] - a[0] <= window)]
            found.append(hit[0] if hit else -1)
        count = sum(f >= 0 for f in found)
        if count > best_count:
            best_count, best = count, found
    return best


def reference_funnel(log: EventLog, steps: Sequence[Step], order: str, window: int | None,
                     step_windows: Sequence[int | None] | None = None,
                     exclusions: Sequence[Exclusion] = (), by: str | None = None,
                     attribution: Any = "first_touch", ties: str = "later") -> dict[str, Any]:
    n = len(steps)
    sws = list(step_windows) if step_windows is not None else [None] * (n - 1)
    masks = np.array([s.matches(log) for s in steps]).reshape(n, len(log))
    per = entity_events(log, masks)
    xmasks = [ex.step.matches(log) for ex in exclusions]
    result: dict[Any, dict[str, Any]] = {}
    for e in range(log.n_entities):
        evs = per.get(e, [])

        def path_of(starts: set[int] | None, evs: list[Event] = evs) -> list[int]:
            if order == "ordered":
                return ordered_path(evs, n, window, sws, ties, starts)
            if order == "strict":
                return strict_path(evs, n, window, sws, ties, starts)
            return unordered_path(evs, n, window)

        def excluded_path(path: list[int], evs: list[Event] = evs) -> bool:
            level = len(path)
            times = [evs[i][0] for i in path]
            for ex, xm in zip(exclusions, xmasks, strict=True):
                if level <= ex.start:
                    continue
                lo = times[ex.start]
                for ev in evs:
                    if not xm[ev[2]] or ev[0] <= lo:
                        continue
                    if level > ex.end:
                        if ev[0] < times[ex.end]:
                            return True
                    elif window is None or ev[0] - times[0] <= window:
                        return True
            return False

        excluded = False
        if exclusions:
            # every first-step event is an attempt; an attempt whose own path has an
            # exclusion event drops out, the entity keeps the path of the others
            attempts = [i for i, ev in enumerate(evs) if 0 in ev[3]]
            kept = {i for i in attempts if not excluded_path(path_of({i}))}
            path = path_of(kept)
            excluded = bool(attempts) and not kept
        else:
            path = path_of(None)
        level = len(path) if order != "unordered" else sum(p >= 0 for p in path)
        times = [evs[i][0] for i in path] if order != "unordered" else []
        key = None
        if by is not None and evs:
            if level == 0:
                i = 0
            else:
                col = (log.properties[by] if by in log.properties
                       else log.segments[by].values())
                got = sorted(p for p in path if p >= 0)  # the path in time order
                if attribution in ("first_touch", "last_touch"):
                    # the first (last) path event whose value is set
                    valued = [p for p in got if _is_set(col[evs[p][2]])]
                    if attribution == "first_touch":
                        i = valued[0] if valued else got[0]
                    else:
                        i = valued[-1] if valued else got[-1]
                elif order == "unordered":
                    i = path[attribution] if path[attribution] >= 0 else got[-1]
                else:
                    i = path[attribution] if level > attribution else path[level - 1]
            row = evs[i][2]
            col = log.properties[by] if by in log.properties else log.segments[by].values()
            key = col[row]
            key = key.item() if isinstance(key, np.generic) else key
            if isinstance(key, float) and key != key:
                key = None
        g = result.setdefault(key, {"counts": [0] * n, "entities": 0, "excluded": 0,
                                    "times": [[] for _ in range(n - 1)], "total": []})
        g["entities"] += 1
        if excluded:
            g["excluded"] += 1
            continue
        for k in range(level):
            g["counts"][k] += 1
        for k in range(1, min(level, n)):
            if times:
                g["times"][k - 1].append(times[k] - times[k - 1])
        if level == n and times:
            g["total"].append(times[-1] - times[0])
    return result


def _is_set(value: Any) -> bool:
    value = value.item() if isinstance(value, np.generic) else value
    return value is not None and not (isinstance(value, float) and value != value)


# -- ClickHouse windowFunnel through chdb -------------------------------------------------------

#: every valid combination of windowFunnel options
ALL_MODES = [WindowFunnelMode(**dict(zip(("strict_deduplication", "strict_order",
                                          "strict_increase", "strict_once"), bits,
                                         strict=True)), allow_reentry=reentry)
             for bits in itertools.product((False, True), repeat=4)
             for reentry in ((False, True) if bits[1] else (False,))]


def chdb_levels(ent: np.ndarray, sec: np.ndarray, masks: np.ndarray, window_s: int,
                modes: Sequence[WindowFunnelMode]) -> dict[int, list[int]]:
    """entity -> windowFunnel level under each mode, from one chdb query."""
    import chdb

    n = masks.shape[0]
    if len(ent) == 0:
        return {}
    cols = ", ".join(f"c{k} UInt8" for k in range(n))
    rows = ",".join(
        "(" + ",".join([str(int(e)), str(int(t)), *(str(int(x)) for x in masks[:, i])]) + ")"
        for i, (e, t) in enumerate(zip(ent, sec, strict=True)))
    conds = ", ".join(f"c{k} = 1" for k in range(n))
    funcs = ", ".join(
        f"windowFunnel({window_s}{''.join(f', {chr(39)}{o}{chr(39)}' for o in m.options)})"
        f"(t, {conds})" for m in modes)
    q = (f"SELECT e, {funcs} FROM values('e UInt64, t UInt64, {cols}', {rows}) "
         "GROUP BY e ORDER BY e SETTINGS max_threads=1")
    out = chdb.query(q, "CSV").data()
    res = {}
    for line in out.strip().splitlines():
        vals = [int(v) for v in line.split(",")]
        res[vals[0]] = vals[1:]
    return res
