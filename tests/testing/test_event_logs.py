"""event_logs: valid logs with every kind of mess real event data has."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import InvalidArgument

from salesfunnel import EventLog, Funnel, Stage, templates
from salesfunnel.testing import event_logs

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rows(log: EventLog) -> list[tuple[int, int, int]]:
    return list(zip(log.entity.tolist(), log.stage.tolist(), log.ts.tolist(), strict=True))


def per_entity(log: EventLog) -> dict[int, list[tuple[int, int]]]:
    """Each entity's (time, stage) events in time order."""
    out: dict[int, list[tuple[int, int]]] = {}
    for e, s, t in sorted(rows(log), key=lambda r: (r[0], r[2])):
        out.setdefault(e, []).append((t, s))
    return out


def features_seen(strategy: Any, features: dict[str, Any], n: int = 200) -> set[str]:
    seen: set[str] = set()

    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None,
              derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(log: EventLog) -> None:
        seen.update(name for name, feature in features.items() if feature(log))

    run()
    return seen


@FAST
@given(event_logs(max_entities=8))
def test_logs_are_valid(log: EventLog) -> None:
    assert log.n_entities <= 8
    assert len(log.entity) == len(log.stage) == len(log.ts)
    assert ((log.stage >= 0) & (log.stage < len(log.funnel.stages))).all()
    assert log.ts.dtype == np.int64 and log.entity.dtype == np.int64
    assert log.dropped == 0


def test_options_are_honoured() -> None:
    funnel = templates.get("crm-pipeline")

    @FAST
    @given(event_logs(funnel, min_entities=2, max_entities=4, max_events=9, with_amount=True,
                      segments={"channel": ["ads", "web"]}))
    def run(log: EventLog) -> None:
        assert log.funnel is funnel
        assert 1 <= log.n_entities <= 4 and len(log) <= 9
        assert log.amount is not None and np.isfinite(log.amount).all()
        assert set(log.segments) == {"channel"}
        assert set(log.segments["channel"].categories.tolist()) <= {"ads", "web"}
        codes = log.segments["channel"].codes
        for e in range(log.n_entities):  # one category per entity
            assert len(set(codes[log.entity == e].tolist())) == 1

    run()

    @FAST
    @given(event_logs(funnel, max_entities=3, with_amount=False, segments=[]))
    def bare(log: EventLog) -> None:
        assert log.amount is None and not log.segments

    bare()


def test_logs_show_every_kind_of_mess() -> None:
    def later_event_at_lower_stage(log: EventLog, lower_than: Any) -> bool:
        for events in per_entity(log).values():
            stages = [s for _, s in events]
            if lower_than(stages):
                return True
        return False

    won = lambda log: log.funnel.won_index  # noqa: E731
    features = {
        "empty": lambda log: len(log) == 0,
        "duplicates": lambda log: len(set(rows(log))) < len(log),
        "shuffled": lambda log: rows(log) != sorted(rows(log), key=lambda r: (r[0], r[2])),
        "tied times": lambda log: any(
            len({t for t, _ in ev}) < len(ev) for ev in per_entity(log).values()),
        "skip-ahead": lambda log: any(
            b - a >= 2 and b <= won(log) for ev in per_entity(log).values()
            for (_, a), (_, b) in itertools.pairwise(ev)),
        "loss": lambda log: bool((log.stage > won(log)).any()),
        "fall back": lambda log: later_event_at_lower_stage(
            log, lambda st: any(b < a < won(log) for a, b in itertools.pairwise(st))),
        "string ids": lambda log: log.ids.dtype.kind in "OU",
        "amounts": lambda log: log.amount is not None,
        "segments": lambda log: bool(log.segments),
    }
    seen = features_seen(event_logs(max_entities=10), features)
    assert not set(features) - seen, f"never generated: {sorted(set(features) - seen)}"


def test_cyclic_funnels_get_re_entries() -> None:
    funnel = templates.get("lead-funnel")
    won, again = funnel.won_index, funnel.index(funnel.reentry or "")

    def reentered(log: EventLog) -> bool:
        for events in per_entity(log).values():
            stages = [s for _, s in events]
            if won in stages and again in stages[stages.index(won) + 1:]:
                return True
        return False

    assert features_seen(event_logs(funnel), {"re-entry": reentered}) == {"re-entry"}


def test_expanding_funnels_get_referrals() -> None:
    funnel = templates.get("influence")
    assert funnel.expanding

    def referred(log: EventLog) -> bool:  # an entity that never was at the first stage
        return any(all(s > 0 for _, s in events) for events in per_entity(log).values())

    assert features_seen(event_logs(funnel), {"referral": referred}) == {"referral"}

    plain = Funnel("plain", [Stage("a"), Stage("b"), Stage("won", kind="won")])
    assert features_seen(event_logs(plain), {"referral": referred}) == set()


@FAST
@given(event_logs(max_entities=3))
def test_default_funnels_are_drawn(log: EventLog) -> None:
    assert isinstance(log.funnel, Funnel)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"funnel": "aida"}, r"The 'funnel' parameter must be a salesfunnel\.Funnel; got 'aida'\."),
        ({"max_entities": -1}, r"The 'max_entities' parameter "
                               r"must be an integer in \[0, 10000\]; got -1\."),
        ({"min_entities": 5, "max_entities": 2}, r"min_entities=5 must not exceed"),
        ({"max_events": -3}, r"The 'max_events' parameter "
                             r"must be an integer >= 0; got -3\."),
        ({"with_amount": "yes"}, r"The 'with_amount' parameter must be True, False or None; "
         r"got 'yes'\."),
        ({"segments": "channel"}, r"segments='channel' must be None, a sequence"),
        ({"segments": ["a", "a"]}, r"lists a name more than once"),
        ({"segments": {"channel": []}}, r"segments\['channel'\]=\[\] must be a non-empty"),
        ({"segments": [1]}, r"segment names must be strings"),
    ],
)
def test_bad_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        event_logs(**kwargs)
