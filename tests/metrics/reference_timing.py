"""Slow, obviously-correct references for ``timing``, ``survival`` and ``pipeline``.

Pure Python loops over events, written straight from docs/reference/metric-semantics.md and
the documented choices of ``salesfunnel.metrics``; nothing here imports the code under
test. Events are plain tuples ``(entity, stage_index, ts_ns, amount)`` where ``amount``
is a float (possibly NaN) or ``None``.

The strategy :func:`priced_logs` reuses ``metrics.reference.logs`` (shuffled, duplicated,
skip-ahead, LOST, re-entry) and adds amounts and stage probabilities; a later issue
replaces both with ``salesfunnel.testing.event_logs``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import attrs
import numpy as np
from hypothesis import strategies as st

from metrics.reference import Row, columns, logs
from salesfunnel import EventLog, Funnel, StageKind

NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND


class Event(NamedTuple):
    entity: Hashable
    stage: int
    ts: int
    amount: float | None = None


# -- helpers ---------------------------------------------------------------------------------


def by_entity(events: Iterable[Event]) -> dict[Hashable, list[Event]]:
    out: dict[Hashable, list[Event]] = defaultdict(list)
    for ev in events:
        out[ev.entity].append(ev)
    return dict(out)


def contribution(funnel: Funnel, stage: int) -> int:
    """Main-path index an event at ``stage`` reaches (-1 for LOST: no depth)."""
    kind = funnel.stages[stage].kind
    if kind is StageKind.LOST:
        return -1
    return stage  # open stages and the WON stage: their main-path index


def percentile(values: Sequence[float], q: float) -> float:
    """numpy's default ("linear") percentile, by hand."""
    xs = sorted(values)
    if not xs:
        return math.nan
    h = (len(xs) - 1) * q / 100.0
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def summary(durations_ns: Sequence[int], percentiles: Sequence[float]) -> dict[str, Any]:
    """count, mean, median and percentiles in seconds."""
    n = len(durations_ns)
    secs = [d / NS_PER_SECOND for d in durations_ns]
    return {
        "count": n,
        "mean": (sum(durations_ns) / n) / NS_PER_SECOND if n else math.nan,
        "median": percentile(secs, 50),
        "percentiles": {q: percentile(secs, q) for q in percentiles},
        "durations": sorted(durations_ns),
    }


# -- timing ----------------------------------------------------------------------------------


def ref_timing(
    funnel: Funnel, events: Iterable[Event], percentiles: Sequence[float] = (10, 50, 90)
) -> dict[str, Any]:
    """Per step k (1..won_index): first time at depth >= k minus first at depth >= k-1,
    over the entities that reached k and whose first arrival at depth >= k-1 was an
    event at stage k-1 itself (an entity that skipped stage k-1 has no time from it)."""
    won = funnel.won_index
    steps: dict[int, list[int]] = {k: [] for k in range(1, won + 1)}
    cycle: list[int] = []
    for evs in by_entity(events).values():
        first_at: dict[int, int] = {}
        for k in range(won + 1):
            times = [ev.ts for ev in evs if contribution(funnel, ev.stage) >= k]
            if times:
                first_at[k] = min(times)
        for k in range(1, won + 1):
            if k in first_at and any(ev.stage == k - 1 and ev.ts == first_at[k - 1]
                                     for ev in evs):
                steps[k].append(first_at[k] - first_at[k - 1])
        won_times = [ev.ts for ev in evs if ev.stage == won]
        if won_times:
            cycle.append(min(won_times) - min(ev.ts for ev in evs))
    return {
        "steps": {k: summary(v, percentiles) for k, v in steps.items()},
        "cycle": summary(cycle, percentiles),
    }


# -- survival --------------------------------------------------------------------------------


def latest(evs: Sequence[Event]) -> Event:
    """The latest event; ties broken by the larger stage index."""
    return max(evs, key=lambda ev: (ev.ts, ev.stage))


def ref_observations(
    funnel: Funnel, events: Iterable[Event], as_of: int, lost: str = "never"
) -> list[tuple[int, bool]]:
    """(duration_ns, converted) per entity first seen at or before ``as_of``."""
    won = funnel.won_index
    out: list[tuple[int, bool]] = []
    for evs in by_entity(events).values():
        seen = [ev for ev in evs if ev.ts <= as_of]
        if not seen:
            continue
        entry = min(ev.ts for ev in seen)
        won_times = [ev.ts for ev in seen if ev.stage == won]
        if won_times:
            out.append((min(won_times) - entry, True))
            continue
        last = latest(seen)
        if lost == "censor" and funnel.stages[last.stage].kind is StageKind.LOST:
            out.append((last.ts - entry, False))
        else:
            out.append((as_of - entry, False))
    return out


def ref_kaplan_meier(
    observations: Sequence[tuple[int, bool]], z: float = 1.959963984540054
) -> tuple[list[tuple[int, int, int, int, float, float, float]], int | None]:
    """Rows (time_ns, at_risk, events, censored, S, lower, upper) and the median (ns or None).

    The median is the first time with S <= 1/2, decided in exact rational arithmetic.
    """
    times = sorted({d for d, _ in observations})
    rows = []
    s = 1.0
    exact = Fraction(1)
    median: int | None = None
    var = 0.0
    for t in times:
        n = sum(1 for d, _ in observations if d >= t)
        d_ = sum(1 for d, e in observations if d == t and e)
        c = sum(1 for d, e in observations if d == t and not e)
        s *= 1.0 - d_ / n
        exact *= 1 - Fraction(d_, n)
        if median is None and exact <= Fraction(1, 2):
            median = t
        if d_ and n > d_:
            var += d_ / (n * (n - d_))
        if 0.0 < s < 1.0:
            log_s = math.log(s)
            half = z * math.sqrt(var) / abs(log_s)
            lower = s ** math.exp(half)
            upper = s ** math.exp(-half)
        else:
            lower = upper = s
        rows.append((t, n, d_, c, s, lower, upper))
    return rows, median


# -- pipeline --------------------------------------------------------------------------------


def ref_pipeline(
    funnel: Funnel, events: Iterable[Event], as_of: int | None = None,
    target: float | None = None,
) -> dict[str, Any]:
    won_index = funnel.won_index
    probs = [s.probability for s in funnel.stages]
    counts = [0] * len(funnel.stages)
    n_open = n_won = n_lost = 0
    open_value = 0.0
    weighted = 0.0
    open_amounts = 0
    no_probability = 0
    no_amount = 0
    won_amounts: list[float] = []
    cycles: list[int] = []
    for evs in by_entity(events).values():
        seen = [ev for ev in evs if as_of is None or ev.ts <= as_of]
        if not seen:
            continue
        current = latest(seen).stage
        counts[current] += 1
        priced = [ev for ev in seen if ev.amount is not None and not math.isnan(ev.amount)]
        amount = (
            max(priced, key=lambda ev: (ev.ts, ev.stage, ev.amount)).amount if priced
            else math.nan
        )
        kind = funnel.stages[current].kind
        if kind is StageKind.OPEN:
            n_open += 1
            if math.isnan(amount):
                no_amount += 1
                continue
            open_value += amount
            open_amounts += 1
            p = probs[current]
            if p is None:
                no_probability += 1
            else:
                weighted += amount * p
        elif kind is StageKind.WON:
            n_won += 1
            if not math.isnan(amount):
                won_amounts.append(amount)
            first_won = min(ev.ts for ev in seen if ev.stage == won_index)
            cycles.append(first_won - min(ev.ts for ev in seen))
        else:
            n_lost += 1
    win_rate = n_won / (n_won + n_lost) if n_won + n_lost else math.nan
    avg_won = sum(won_amounts) / len(won_amounts) if won_amounts else math.nan
    avg_cycle_days = (sum(cycles) / len(cycles)) / NS_PER_DAY if cycles else math.nan
    velocity = (
        n_open * win_rate * avg_won / avg_cycle_days
        if not math.isnan(win_rate) and not math.isnan(avg_won)
        and not math.isnan(avg_cycle_days) and avg_cycle_days > 0
        else math.nan
    )
    return {
        "counts": counts,
        "open": n_open,
        "won": n_won,
        "lost": n_lost,
        "open_value": open_value,
        "weighted": weighted,
        "priced_open": open_amounts,
        "no_probability": no_probability,
        "no_amount": no_amount,
        "win_rate": win_rate,
        "avg_won_amount": avg_won,
        "avg_cycle_days": avg_cycle_days,
        "velocity": velocity,
        "coverage": weighted / target if target else math.nan,
        "coverage_unweighted": open_value / target if target else math.nan,
    }


# -- strategy: part A's ``metrics.reference.logs`` plus amounts and probabilities ---------------


def with_probabilities(funnel: Funnel, *, unknown: int | None = None) -> Funnel:
    """``funnel`` with rising probabilities on its open stages (``unknown``: left None)."""
    opens = [s for s in funnel.stages if s.kind is StageKind.OPEN]
    stages = [
        attrs.evolve(s, probability=None if i == unknown else round((i + 1) / (len(opens) + 2),
                                                                    3))
        if s.kind is StageKind.OPEN else s
        for i, s in enumerate(funnel.stages)
    ]
    return Funnel(funnel.name, stages, skip_ahead=funnel.skip_ahead,
                  fall_back=funnel.fall_back, can_lose=funnel.can_lose, reentry=funnel.reentry,
                  expanding=funnel.expanding)


@st.composite
def priced_logs(draw: st.DrawFn, *, max_entities: int = 10, max_events: int = 7,
                amounts: bool | None = None) -> tuple[Funnel, list[Row], list[float] | None]:
    """Part A's shuffled logs, on a funnel with (some) probabilities, with amounts.

    ``amounts=None`` lets Hypothesis choose whether the log has an amount column.
    """
    funnel, rows = draw(logs(max_entities=max_entities, max_events=max_events))
    n_open = sum(s.kind is StageKind.OPEN for s in funnel.stages)
    funnel = draw(st.sampled_from([
        funnel,
        with_probabilities(funnel),
        with_probabilities(funnel, unknown=n_open - 1),
    ]))
    has = draw(st.booleans()) if amounts is None else amounts
    values = (draw(st.lists(st.integers(0, 4000).map(lambda a: a * 2.5), min_size=len(rows),
                            max_size=len(rows)))
              if has else None)
    return funnel, rows, values


def events(rows: Sequence[Row], amounts: Sequence[float] | None = None) -> list[Event]:
    """Rows (seconds) as reference events (nanoseconds)."""
    return [
        Event(r.entity, r.stage, r.ts * NS_PER_SECOND, None if amounts is None else amounts[i])
        for i, r in enumerate(rows)
    ]


def build(funnel: Funnel, rows: Sequence[Row], amounts: Sequence[float] | None = None
          ) -> EventLog:
    """The rows as an EventLog (with a ``channel`` segment and the amounts)."""
    return EventLog.from_arrays(funnel, unit="s", amount=amounts, **columns(rows))


def build_unpacked(funnel: Funnel, rows: Sequence[Row], amounts: Sequence[float] | None = None
                   ) -> tuple[EventLog, list[Event]]:
    """The rows with nanosecond jitter plus one event 200 years later (for the first
    entity): (entity, time, stage) no longer pack into 63 bits, so the kernels take their
    unpacked path. Returns the log and the matching reference events."""
    evs = [ev._replace(ts=ev.ts + i % 3) for i, ev in enumerate(events(rows, amounts))]
    if evs:
        far = evs[0]._replace(stage=0,
                              ts=max(e.ts for e in evs) + 200 * 365 * NS_PER_DAY + 1)
        evs.append(far)
    log = EventLog.from_arrays(
        funnel,
        entity=[e.entity for e in evs],
        stage=[e.stage for e in evs],
        ts=np.array([e.ts for e in evs], dtype="datetime64[ns]"),
        amount=None if amounts is None else [e.amount for e in evs],
        segments={"channel": [*(r.channel for r in rows), *(["ads"] if evs else [])]},
    )
    return log, evs
