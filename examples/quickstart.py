"""Quickstart: define a funnel with gates, move deals through it, persist one as JSON.

Run with ``python examples/quickstart.py`` (``make demo`` does).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from salesfunnel import Funnel, GateFailed, Journey, Stage

funnel = Funnel(
    "b2b",
    [
        Stage("target", label={"en": "Target customer", "zh": "目标客户"}, probability=0.10),
        Stage("qualified", label={"en": "Qualified", "zh": "有效客户"}, probability=0.25,
              gates="budget >= 10000 and decision_maker is set"),
        Stage("shortlisted", label={"en": "Shortlisted", "zh": "入围客户"}, probability=0.50,
              gates="technical_fit"),
        Stage("won", kind="won", label={"en": "Won", "zh": "赢单客户"}),
        Stage("lost", kind="lost", label={"en": "Lost", "zh": "丢单"}),
    ],
    fall_back=True,
)
print(funnel.describe())
print()

t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
deal = funnel.start({"company": "Acme", "budget": 25000}, at=t0, id="acme-1")
try:
    deal.advance(at=t0 + timedelta(days=3))
except GateFailed as refused:
    print(f"refused: {refused}")

deal.subject["decision_maker"] = "CFO"
deal.advance(at=t0 + timedelta(days=4), actor="ann")
print("can enter shortlisted?", deal.can_advance().failed or "yes")
deal.subject["technical_fit"] = True
deal.advance(at=t0 + timedelta(days=10), actor="ann").advance(at=t0 + timedelta(days=30))
print(f"{deal!r}")
for rec in deal.history:
    print(f"  {rec.at:%Y-%m-%d}  {rec.from_stage or '-':>12} -> {rec.to_stage:<12} {rec.kind}")

saved = json.dumps(deal.to_dict())
restored = Journey.from_dict(json.loads(saved), funnel)
assert restored.history == deal.history
print(f"persisted as {len(saved)} bytes of JSON and restored at version {restored.version}")
