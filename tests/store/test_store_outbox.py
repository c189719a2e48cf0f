"""Hooks with a store: messages emitted by hooks go to the outbox in the transaction of
the save; a conflicting save sends nothing; the dispatcher delivers at least once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from salesfunnel import Funnel, Hooks, Stage
from salesfunnel.errors import ConflictError
from salesfunnel.store import Delivery, Store

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def hooks() -> Hooks:
    hooks = Hooks()

    def won(event: Any) -> None:
        event.emit("deal.won", {"amount": event.journey.subject["amount"]})

    def moved(event: Any) -> None:
        event.emit("deal.moved", {"to": event.to_stage})

    hooks.on("enter", won, stage="won")
    hooks.on("after", moved)
    return hooks


@pytest.fixture
def funnel() -> Funnel:
    return Funnel("deals", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
                            Stage("lost", kind="lost")], fall_back=True)


def test_hook_messages_reach_the_outbox_with_the_save(store_url: str, funnel: Funnel,
                                                      hooks: Hooks) -> None:
    with Store.open(store_url, hooks=hooks) as store:
        store.add(funnel.start({"amount": 900}, id="d1", at=day(0)))
        with store.edit("d1") as deal:
            deal.advance(at=day(1)).advance(at=day(2))
            assert [m.topic for m in deal.pending_messages] == [
                "deal.moved", "deal.won", "deal.moved"]  # "enter" runs before "after"
        pending = store.pending()
        assert [(d.id, d.topic, d.version) for d in pending] == [
            ("d1", "deal.moved", 2), ("d1", "deal.won", 3), ("d1", "deal.moved", 3)]
        assert pending[1].payload == {"amount": 900}
        assert store.get("d1").pending_messages == ()  # sent with the save


def test_a_conflicting_save_sends_nothing(store_url: str, funnel: Funnel,
                                          hooks: Hooks) -> None:
    with Store.open(store_url, hooks=hooks) as store:
        store.add(funnel.start({"amount": 5}, id="d1", at=day(0)))
        stale, fresh = store.get("d1"), store.get("d1")
        store.save(fresh.advance(at=day(1)))
        stale.advance(at=day(1)).advance(at=day(2))  # a move to won that never happened
        with pytest.raises(ConflictError):
            store.save(stale)
        assert [d.topic for d in store.pending()] == ["deal.moved"]


def test_dispatch_at_least_once(store_url: str, funnel: Funnel, hooks: Hooks) -> None:
    with Store.open(store_url, hooks=hooks) as store:
        for i in range(3):
            store.add(funnel.start({"amount": i}, id=f"d{i}", at=day(0)))
            store.apply(f"d{i}", lambda d: d.advance(at=day(1)))
        seen: list[Delivery] = []

        def flaky(message: Delivery) -> None:
            if message.id == "d1" and message.attempts == 0:
                raise ConnectionError("mail server down")
            seen.append(message)

        with pytest.raises(ConnectionError):
            store.dispatch(flaky)
        assert [d.id for d in seen] == ["d0"]
        assert [(d.id, d.attempts) for d in store.pending()] == [("d1", 1), ("d2", 0)]
        assert store.dispatch(flaky) == 2
        assert [d.id for d in seen] == ["d0", "d1", "d2"]
        assert store.pending() == [] and store.dispatch(flaky) == 0
        assert len({d.seq for d in seen}) == 3
