"""Child process of the crash test: commits a stream of transitions until killed.

``python crash_child.py URL SEED`` prints ``ready`` once its store is open, then
``<id> <version>`` after each save returns (committed), flushing every line.
"""

from __future__ import annotations

import random
import sys
from datetime import timedelta

from salesfunnel import Hooks
from salesfunnel.store import Store
from store_support import FUNNEL, IDS, T0


def main(url: str, seed: int) -> None:
    rng = random.Random(seed)
    hooks = Hooks()  # one outbox message per move, written with the move
    hooks.on("after", lambda e: e.emit("moved", {"to": e.to_stage}))
    store = Store.open(url, funnels=[FUNNEL], hooks=hooks)
    for ident in IDS:
        if ident not in store:
            store.add(FUNNEL.start({"n": 0}, id=ident, at=T0), key=f"add-{ident}")
    print("ready", flush=True)
    while True:
        ident = rng.choice(IDS)
        deal = store.get(ident)
        at = deal.history[-1].at + timedelta(minutes=1)
        target = rng.choice([s for s in ("lead", "call", "demo") if s != deal.stage])
        if FUNNEL.index(target) > FUNNEL.index(deal.stage):
            deal.advance(target, at=at)
        else:
            deal.regress(target, at=at)
        deal.subject["n"] += 1
        if rng.random() < 0.3:  # several moves in one transaction
            back = "lead" if deal.stage != "lead" else "call"
            (deal.regress if back == "lead" else deal.advance)(back, at=at)
        receipt = store.save(deal)
        print(ident, receipt.version, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
