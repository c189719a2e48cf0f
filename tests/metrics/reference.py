"""Slow, obviously-correct references for the EventLog kernels, ``conversion`` and
``cohorts``, written straight from the documented metric semantics with loops over dicts.

Nothing here imports the code under test except the model (to read stage kinds). Events
are plain tuples ``Row(entity, stage, ts, channel)``: ``stage`` an index into
``funnel.stages``, ``ts`` integer seconds since the epoch, ``channel`` a segment value.

The Hypothesis strategy :func:`logs` generates such rows: shuffled, with exact
duplicates, skip-ahead, fall-back, LOST events, re-entry after WON, ties in time, and
entities whose only events are LOST.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, NamedTuple

from hypothesis import strategies as st

from salesfunnel import Funnel, Stage, StageKind

NS = 1_000_000_000


class Row(NamedTuple):
    entity: Hashable
    stage: int
    ts: int  # seconds
    channel: str = "ads"


FUNNELS = [
    Funnel("one", [Stage("lead"), Stage("won", kind="won")]),
    Funnel("two", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
                   Stage("lost", kind="lost")], skip_ahead=True),
    Funnel("four", [Stage("a"), Stage("b"), Stage("c"), Stage("d"), Stage("won", kind="won"),
                    Stage("lost", kind="lost"), Stage("gone", kind="lost")],
           skip_ahead=True, fall_back=True, reentry="b"),
]


# -- grouping ---------------------------------------------------------------------------------


def by_entity(rows: Iterable[Row]) -> dict[Hashable, list[tuple[int, Row]]]:
    """Rows of each entity with their original row number."""
    out: dict[Hashable, list[tuple[int, Row]]] = defaultdict(list)
    for i, r in enumerate(rows):
        out[r.entity].append((i, r))
    return out


def n_path(funnel: Funnel) -> int:
    count = 0
    for s in funnel.stages:
        if s.kind is StageKind.LOST:
            break
        count += 1
    return count


def is_main(funnel: Funnel, stage: int) -> bool:
    return funnel.stages[stage].kind is not StageKind.LOST


# -- per-entity quantities --------------------------------------------------------------------


def ref_depth(funnel: Funnel, rows: Sequence[Row]) -> int:
    depth = -1
    for r in rows:
        if is_main(funnel, r.stage) and r.stage > depth:
            depth = r.stage
    return depth


def ref_entered(funnel: Funnel, rows: Sequence[Row]) -> set[int]:
    return {r.stage for r in rows}


def ref_first_times(funnel: Funnel, rows: Sequence[Row]) -> list[int | None]:
    """First time (seconds) at depth >= k, for every main-path k."""
    out: list[int | None] = []
    for k in range(n_path(funnel)):
        times = [r.ts for r in rows if is_main(funnel, r.stage) and r.stage >= k]
        out.append(min(times) if times else None)
    return out


def ref_latest_stage(rows: Sequence[Row]) -> int:
    latest = max(r.ts for r in rows)
    return max(r.stage for r in rows if r.ts == latest)


def ref_first_row(indexed: Sequence[tuple[int, Row]]) -> tuple[int, Row]:
    """The entity's first event: smallest time, then smallest stage, then row number."""
    return min(indexed, key=lambda ir: (ir[1].ts, ir[1].stage, ir[0]))


def ref_ordered_level(funnel: Funnel, rows: Sequence[Row], window: int | None) -> int:
    """Longest chain 0 -> 1 -> ... -> j with non-decreasing times, all within ``window``
    seconds of the chain's first event; returns j (-1 when there is no stage-0 event).

    For each possible start, picks greedily the earliest possible next event; an earlier
    pick never hurts (any later choice could be swapped for it).
    """
    best = -1
    m = n_path(funnel)
    for start in rows:
        if start.stage != 0:
            continue
        level, t = 0, start.ts
        for k in range(1, m):
            options = [r.ts for r in rows if r.stage == k and r.ts >= t
                       and (window is None or r.ts - start.ts <= window)]
            if not options:
                break
            t = min(options)
            level = k
        best = max(best, level)
    return best


# -- aggregates ------------------------------------------------------------------------------


def ref_conversion(funnel: Funnel, rows: Sequence[Row], semantic: str,
                   window: int | None = None) -> tuple[list[int], int]:
    """(counts per main-path stage, number of entities)."""
    m = n_path(funnel)
    counts = [0] * m
    groups = by_entity(rows)
    for indexed in groups.values():
        evs = [r for _, r in indexed]
        if semantic == "entered":
            seen = ref_entered(funnel, evs)
            for k in range(m):
                counts[k] += k in seen
            continue
        level = (ref_depth(funnel, evs) if semantic == "reached"
                 else ref_ordered_level(funnel, evs, window))
        for k in range(m):
            counts[k] += level >= k
    return counts, len(groups)


def ref_rates(counts: Sequence[int]) -> tuple[list[float], list[float]]:
    """(step rates with NaN at 0, overall rates)."""
    step = [math.nan] + [counts[k] / counts[k - 1] if counts[k - 1] else math.nan
                         for k in range(1, len(counts))]
    overall = [c / counts[0] if counts[0] else math.nan for c in counts]
    return step, overall


def ref_wilson(k: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval, from the textbook formula."""
    if n == 0 or k > n:
        return math.nan, math.nan
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def ref_channel(rows: Sequence[Row]) -> dict[Hashable, str]:
    """Each entity's channel: its value on its first event."""
    return {e: ref_first_row(ix)[1].channel for e, ix in by_entity(rows).items()}


def period_start(seconds: int, period: str) -> dt.date:
    day = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)).date()
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def ref_cohorts(funnel: Funnel, rows: Sequence[Row], period: str
                ) -> dict[dt.date, tuple[list[int], int]]:
    """Cohort start -> (reached counts, entities); cohort = period of the first event."""
    out: dict[dt.date, tuple[list[int], int]] = {}
    for indexed in by_entity(rows).values():
        evs = [r for _, r in indexed]
        start = period_start(min(r.ts for r in evs), period)
        counts, n = out.get(start, ([0] * n_path(funnel), 0))
        d = ref_depth(funnel, evs)
        out[start] = ([c + (d >= k) for k, c in enumerate(counts)], n + 1)
    return out


# -- strategy -----------------------------------------------------------------------------------


@st.composite
def logs(draw: st.DrawFn, *, max_entities: int = 10, max_events: int = 7,
         spread: int = 60) -> tuple[Funnel, list[Row]]:
    """A funnel and shuffled raw rows exercising every edge the semantics have."""
    funnel = draw(st.sampled_from(FUNNELS))
    n_stages = len(funnel.stages)
    n_entities = draw(st.integers(0, max_entities))
    ids = draw(st.one_of(
        st.lists(st.integers(-10**12, 10**12), min_size=n_entities, max_size=n_entities,
                 unique=True),
        st.lists(st.text("xyz", min_size=1, max_size=3), min_size=n_entities,
                 max_size=n_entities, unique=True),
    ))
    base = draw(st.integers(1_700_000_000, 1_800_000_000))
    rows: list[Row] = []
    for ent in ids:
        t = base + draw(st.integers(0, spread * 86_400))
        mine: list[Row] = []
        for _ in range(draw(st.integers(1, max_events))):
            t += draw(st.sampled_from([0, 0, 1, 5, 3_600, 86_400, 20 * 86_400]))
            stage = draw(st.integers(0, n_stages - 1))
            mine.append(Row(ent, stage, t, draw(st.sampled_from(["ads", "web", "mail"]))))
        if draw(st.booleans()):
            mine.append(draw(st.sampled_from(mine)))  # an exact duplicate
        rows.extend(mine)
    return funnel, draw(st.permutations(rows))


def columns(rows: Sequence[Row]) -> dict[str, Any]:
    """The rows as the keyword columns of ``EventLog.from_arrays`` (``unit="s"``)."""
    return {
        "entity": [r.entity for r in rows],
        "stage": [r.stage for r in rows],
        "ts": [r.ts for r in rows],
        "segments": {"channel": [r.channel for r in rows]},
    }
