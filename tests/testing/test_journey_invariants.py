"""assert_journey_invariants accepts real histories and names each broken law."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from salesfunnel import Funnel, Journey, Stage
from salesfunnel.testing import assert_journey_invariants

FUNNEL = Funnel(
    "deals",
    [Stage("lead"), Stage("demo", gates="contact is set"), Stage("proposal"),
     Stage("won", kind="won"), Stage("lost", kind="lost")],
    reentry="demo",
)


def journey() -> Journey:
    deal = FUNNEL.start({"contact": "ann"}, at="2026-01-05T09:00:00+00:00", id=7)
    deal.advance(at="2026-01-06T09:00:00+00:00")
    deal.advance(at="2026-01-07T09:00:00+00:00")
    deal.advance(at="2026-01-08T09:00:00+00:00")
    deal.reenter(at="2026-01-09T09:00:00+00:00")
    deal.lose("no budget", at="2026-01-10T09:00:00+00:00")
    return deal


def test_a_real_journey_passes() -> None:
    assert_journey_invariants(journey())


def set_record(i: int, **changes: object) -> Callable[[Journey], None]:
    def corrupt(j: Journey) -> None:
        # history is an immutable tuple: corrupt the private list behind it
        j._history[i] = j._history[i]._replace(**changes)
        j._history_t = None

    return corrupt


def bump_version(j: Journey) -> None:
    j._version += 1


def drop_last(j: Journey) -> None:
    j._history.pop()
    j._history_t = None
    j._version -= 1


def clear(j: Journey) -> None:
    j._history.clear()
    j._history_t = None


CORRUPTIONS = [
    (clear, r"start law broken: journey .* has an empty history"),
    (set_record(0, kind="advance"), r"start law broken: record 0 should start the journey"),
    (set_record(0, to_stage="won", from_stage=None),
     r"start law broken: the journey starts at 'won', not an open stage"),
    (drop_last, r"chain law broken: the journey is at 'lost' but its last record ends at 'demo'"),
    (set_record(2, from_stage="lead"),
     r"chain law broken: record 2 \('lead' -> 'proposal'\) starts at 'lead' but record 1 "
     r"ended at 'demo'"),
    (set_record(3, to_stage="lost", kind="lose"), r"chain law broken"),
    (set_record(1, to_stage="won"), r"legality law broken: record 1 \('lead' -> 'won'\): "
                                    r"funnel 'deals' allows from 'lead' only 'demo', 'lost'"),
    (set_record(4, kind="advance"), r"legality law broken: record 4 \('won' -> 'demo'\) is "
                                    r"recorded as 'advance', but the funnel makes it a "
                                    r"'reenter' move"),
    (lambda j: set_record(3, at=j.history[2].at - timedelta(seconds=1))(j),
     r"time law broken: record 3 \('proposal' -> 'won'\) at stage 'won' happened at "),
    (set_record(2, forced=True, reason=" "),
     r"force law broken: record 2 into stage 'proposal' is forced without a reason"),
    (bump_version, r"version law broken: version is 7 but the history has 6 records "
                   r"and 0 edits \(at stage 'lost'\)"),
]


@pytest.mark.parametrize(("corrupt", "message"), CORRUPTIONS)
def test_each_broken_law_is_named(corrupt: Callable[[Journey], None], message: str) -> None:
    deal = journey()
    corrupt(deal)
    with pytest.raises(AssertionError, match=message):
        assert_journey_invariants(deal)


def test_a_history_from_another_funnel_breaks_legality() -> None:
    deal = journey()
    other = Funnel("deals", [Stage("lead"), Stage("demo"), Stage("proposal"),
                             Stage("won", kind="won"), Stage("lost", kind="lost")])
    deal.funnel = other  # no re-entry in this funnel
    with pytest.raises(AssertionError, match=r"legality law broken: record 4 \('won' -> 'demo'\)"):
        assert_journey_invariants(deal)
