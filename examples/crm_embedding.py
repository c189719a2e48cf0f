"""Embed salesfunnel in a CRM: a tiny deal service with gates and JSON persistence.

The service keeps one :class:`~salesfunnel.Journey` per deal, moves deals only when the
stage's checklist (its gates) passes, refuses stale writes with the journey's
``version`` (optimistic concurrency), and stores everything as JSON so that a restart
loses nothing. The funnel is the seven-stage B2B project funnel from the built-in
templates.

Run with ``python examples/crm_embedding.py [STORE.json]``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from salesfunnel import Funnel, GateFailed, GateResult, Journey, templates


class StaleDeal(Exception):
    """Someone else changed the deal since it was read."""


class DealService:
    """Deals moving through a funnel, persisted as one JSON document.

    Parameters
    ----------
    funnel : Funnel
        The funnel every deal follows.
    store : Path
        The JSON file holding the funnel definition and every deal.
    """

    def __init__(self, funnel: Funnel, store: Path) -> None:
        self.funnel = funnel
        self.store = store
        self.deals: dict[str, Journey] = {}
        if store.exists():
            self._load()

    # -- persistence ---------------------------------------------------------------------
    def _load(self) -> None:
        data = json.loads(self.store.read_text(encoding="utf-8"))
        stored = Funnel.from_dict(data["funnel"])
        if stored != self.funnel:
            raise ValueError(f"{self.store} was written for a different funnel definition")
        self.deals = {d["id"]: Journey.from_dict(d, self.funnel) for d in data["deals"]}

    def save(self) -> None:
        """Write the funnel and every deal; atomically replace the old file."""
        payload = {
            "funnel": self.funnel.to_dict(),
            "deals": [j.to_dict() for j in self.deals.values()],
        }
        tmp = self.store.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.store)

    # -- commands --------------------------------------------------------------------------
    def open(self, deal_id: str, fields: Mapping[str, Any], *, at: datetime,
             actor: str) -> Journey:
        """Start a deal at the first stage."""
        if deal_id in self.deals:
            raise ValueError(f"deal {deal_id!r} exists already")
        deal = self.funnel.start(dict(fields), at=at, id=deal_id, actor=actor)
        self.deals[deal_id] = deal
        self.save()
        return deal

    def _fresh(self, deal_id: str, version: int) -> Journey:
        deal = self.deals[deal_id]
        if deal.version != version:
            raise StaleDeal(
                f"deal {deal_id!r} is at version {deal.version}, the change was made on "
                f"version {version}; reload and try again"
            )
        return deal

    def record(self, deal_id: str, *, version: int, at: datetime, actor: str,
               **fields: Any) -> Journey:
        """Record facts about a deal (checklist answers): they do not change its stage,
        but are kept with their old values in ``deal.edits`` and bump the version."""
        deal = self._fresh(deal_id, version)
        deal.update(fields, at=at, actor=actor)
        self.save()
        return deal

    def missing(self, deal_id: str) -> GateResult:
        """What the deal still lacks to enter the next stage."""
        return self.deals[deal_id].can_advance()

    def advance(self, deal_id: str, *, version: int, at: datetime, actor: str) -> Journey:
        """Move a deal to the next stage if its checklist passes."""
        deal = self._fresh(deal_id, version)
        deal.advance(at=at, actor=actor)  # raises GateFailed and leaves the deal untouched
        self.save()
        return deal

    def lose(self, deal_id: str, *, version: int, at: datetime, actor: str,
             reason: str) -> Journey:
        """Mark a deal as lost, with the reason."""
        deal = self._fresh(deal_id, version)
        deal.lose(reason=reason, at=at, actor=actor)
        self.save()
        return deal

    # -- queries ---------------------------------------------------------------------------
    def board(self, lang: str = "en") -> dict[str, list[str]]:
        """Deal ids per stage, in funnel order (a kanban board)."""
        board: dict[str, list[str]] = {
            s.label.text(lang): [] for s in self.funnel.stages
        }
        for deal in self.deals.values():
            board[deal.current.label.text(lang)].append(deal.id)
        return board

    def weighted_pipeline(self) -> float:
        """Sum of amount x stage win probability over open deals."""
        return sum(
            float(d.subject.get("amount", 0.0)) * (d.current.probability or 0.0)
            for d in self.deals.values() if d.is_open
        )


def main(store: Path) -> None:
    """Walk two deals through the B2B funnel, restart the service, and report."""
    funnel = templates.get("b2b-seven-stage")
    crm = DealService(funnel, store)
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    day = timedelta(days=1)

    acme = crm.open("acme", {"company": "Acme Ltd", "amount": 30_000}, at=t0, actor="li")
    beta = crm.open("beta", {"company": "Beta Co", "amount": 45_000}, at=t0, actor="wang")
    print("Acme lacks:", "; ".join(crm.missing("acme").failed))

    try:
        crm.advance("acme", version=acme.version, at=t0 + day, actor="li")
    except GateFailed as refused:
        print(f"refused: {len(refused.result.failed)} checks open")

    crm.record("acme", version=acme.version, at=t0 + 2 * day, actor="li",
               problems_understood=True, need_deadline="2026-06-30",
               preferred_product="ERP", competition_assessed=True)
    crm.advance("acme", version=acme.version, at=t0 + 3 * day, actor="li")
    crm.record("acme", version=acme.version, at=t0 + 9 * day, actor="li",
               project_approved=True, budget_confirmed=True, budget_amount=30_000,
               budget_payer="CFO")
    crm.advance("acme", version=acme.version, at=t0 + 10 * day, actor="li")

    stale = beta.version
    crm.lose("beta", version=beta.version, at=t0 + 5 * day, actor="wang",
             reason="no budget this year")
    try:
        crm.record("beta", version=stale, at=t0 + 6 * day, actor="wang",
                   note="call back in Q3")
    except StaleDeal as conflict:
        print("conflict:", conflict)

    # A restart: a new service reads the same store and sees the same deals.
    again = DealService(templates.get("b2b-seven-stage"), store)
    assert again.deals["acme"].history == crm.deals["acme"].history
    assert again.deals["acme"].version == crm.deals["acme"].version
    for stage, ids in again.board().items():
        if ids:
            print(f"{stage:<40} {', '.join(ids)}")
    print(f"weighted pipeline: {again.weighted_pipeline():,.0f}")
    print(f"store: {store.stat().st_size:,} bytes of JSON")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp) / "deals.json")
