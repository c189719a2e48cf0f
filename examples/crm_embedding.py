"""Embed salesfunnel in a CRM: a tiny deal service on the SQLite journey store.

The service keeps its deals in :class:`salesfunnel.store.Store` (one SQLite file: a
current-state row per deal and an append-only history), records facts with
``Journey.update`` (versioned, with old and new values), moves deals only when the
stage's checklist (its gates) passes, lets a stale write fail with ``ConflictError``
(optimistic concurrency), notifies presales through a hook whose message goes to the
store's outbox in the same transaction as the move, answers "which deals are stuck?"
with a query, and computes the funnel metrics straight from the stored history. The
funnel is the seven-stage B2B project funnel from the built-in templates.

Run with ``python examples/crm_embedding.py [DEALS.db]``.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from salesfunnel import (
    ConflictError,
    GateFailed,
    GateResult,
    HookEvent,
    Hooks,
    Journey,
    metrics,
    templates,
)
from salesfunnel.store import Delivery, Store


def presales_hooks() -> Hooks:
    """Tell presales when a deal shows purchase intent (a message for the outbox)."""
    hooks = Hooks()

    @hooks.on("enter", stage="qualified")
    def qualified(event: HookEvent) -> None:
        event.emit("deal.qualified", {"deal": event.journey.id,
                                      "amount": event.journey.subject["amount"]})

    return hooks


class DealService:
    """Deals moving through a funnel, kept in a journey store.

    Parameters
    ----------
    store : Store
        Where the deals live; the service registers the funnel in it.
    """

    def __init__(self, store: Store) -> None:
        self.funnel = templates.get("b2b-seven-stage")
        self.store = store
        store.register(self.funnel)

    # -- commands --------------------------------------------------------------------------
    def open(self, deal_id: str, fields: Mapping[str, Any], *, at: datetime,
             actor: str) -> Journey:
        """Start a deal at the first stage."""
        deal = self.funnel.start(dict(fields), at=at, id=deal_id, actor=actor)
        self.store.add(deal, key=f"open:{deal_id}")  # a retried request adds it once
        return deal

    def record(self, deal_id: str, *, at: datetime, actor: str, **fields: Any) -> None:
        """Record facts about a deal (checklist answers), versioned; retried on a
        conflict."""
        with self.store.edit(deal_id) as deal:
            deal.update(fields, at=at, actor=actor)

    def missing(self, deal_id: str) -> GateResult:
        """What the deal still lacks to enter the next stage."""
        return self.store.get(deal_id).can_advance()

    def advance(self, deal_id: str, *, at: datetime, actor: str) -> None:
        """Move a deal to the next stage if its checklist passes."""
        with self.store.edit(deal_id) as deal:
            deal.advance(at=at, actor=actor)  # GateFailed: nothing is saved

    # -- queries ---------------------------------------------------------------------------
    def board(self) -> dict[str, int]:
        """Deals per stage (a kanban board's column counts), from an indexed query."""
        return {stage: n for stage, n in self.store.counts(self.funnel).items() if n}

    def stuck(self, now: datetime) -> list[str]:
        """Deals longer in their stage than its threshold."""
        limits = {"prospect": timedelta(days=7), "target": timedelta(days=14),
                  "qualified": timedelta(days=21)}
        return [f"{s.id} ({s.stage}, {s.age.days} days)"
                for s in self.store.stale(self.funnel, limits, now=now)]


def main(path: Path) -> None:
    """Walk three deals through the B2B funnel with two service instances, and report."""
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    day = timedelta(days=1)
    url = f"sqlite:///{path}"
    with Store.open(url, hooks=presales_hooks()) as store:
        crm = DealService(store)
        crm.open("acme", {"company": "Acme Ltd", "amount": 30_000}, at=t0, actor="li")
        crm.open("beta", {"company": "Beta Co", "amount": 45_000}, at=t0, actor="wang")
        crm.open("gamma", {"company": "Gamma AG", "amount": 12_000}, at=t0, actor="li")
        print("Acme lacks:", "; ".join(crm.missing("acme").failed))
        try:
            crm.advance("acme", at=t0 + day, actor="li")
        except GateFailed as refused:
            print(f"refused: {len(refused.result.failed)} checks open")

        crm.record("acme", at=t0 + 2 * day, actor="li", problems_understood=True,
                   need_deadline="2026-06-30", preferred_product="ERP",
                   competition_assessed=True)
        crm.advance("acme", at=t0 + 3 * day, actor="li")
        crm.record("acme", at=t0 + 9 * day, actor="li", project_approved=True,
                   budget_confirmed=True, budget_amount=30_000, budget_payer="CFO")
        crm.advance("acme", at=t0 + 10 * day, actor="li")
        print("audit:", dict(store.history("acme")[-1].facts))

        # Two reps open Beta at the same time; the second save is based on a stale version.
        wang, zhao = store.get("beta"), store.get("beta")
        store.save(wang.lose(reason="no budget this year", at=t0 + 5 * day, actor="wang"))
        zhao.update({"note": "call back in Q3"}, at=t0 + 6 * day, actor="zhao")
        try:
            store.save(zhao)
        except ConflictError as conflict:
            print("conflict:", conflict)

        # The outbox: written with the move that emitted it; delivered at least once.
        def send(message: Delivery) -> None:
            print(f"outbox -> {message.topic} {message.payload}")

        store.dispatch(send)

    # A restart: a new service on the same file sees the same deals.
    with Store.open(url) as store:
        again = DealService(store)
        print("board:", again.board())
        print("stuck:", "; ".join(again.stuck(now=t0 + 20 * day)))
        log = store.event_log("b2b-seven-stage")  # the stored history, column-wise
        conv = metrics.conversion(log)
        print(f"events: {len(log)} for {log.n_entities} deals; "
              f"reached 'target': {conv.counts[1]} of {conv.counts[0]}")
        print(f"store: {path.stat().st_size:,} bytes of SQLite")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp) / "deals.db")
