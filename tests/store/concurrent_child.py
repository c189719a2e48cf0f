"""Worker of the concurrency test: threads that load, change and save shared journeys.

``python concurrent_child.py URL SEED ATTEMPTS THREADS START`` prints one JSON line: per
journey the successful increments of the subject's counter and the moves saved, and
the conflicts seen.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from salesfunnel.errors import ConflictError, TransitionNotAllowed
from salesfunnel.store import Store
from store_support import FUNNEL, IDS


def work(url: str, seed: int, attempts: int, totals: dict[str, Counter[str]],
         lock: threading.Lock, shared: Store | None) -> None:
    rng = random.Random(seed)
    store = shared or Store.open(url, funnels=[FUNNEL])
    saves: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    conflicts = 0
    refused = 0
    for _ in range(attempts):
        ident = rng.choice(IDS[:3])
        roll = rng.random()
        if roll < 0.2:  # through edit(): the block's move is applied again on a conflict
            try:
                with store.edit(ident, retries=50) as deal:
                    step(deal, rng)
            except TransitionNotAllowed:  # the retry found the journey already there
                refused += 1
                continue
            moves[ident] += 1
            continue
        if roll < 0.4:  # through apply(): the change is run again on a conflict
            store.apply(ident, lambda d: (increment(d), step(d, rng)), retries=50)
            saves[ident] += 1
            moves[ident] += 1
            continue
        deal = store.get(ident)
        increment(deal)
        step(deal, rng)
        time.sleep(0.001)  # a window for others to save first
        try:
            store.save(deal)
        except ConflictError as exc:
            assert exc.actual is not None and exc.actual > exc.expected
            conflicts += 1
            continue
        saves[ident] += 1
        moves[ident] += 1
    with lock:
        totals["saves"].update(saves)
        totals["moves"].update(moves)
        totals["conflicts"]["all"] += conflicts
        totals["conflicts"]["refused"] += refused
    if shared is None:
        store.close()


def increment(deal: Any) -> None:
    deal.subject["n"] += 1


def step(deal: Any, rng: random.Random) -> None:
    at = deal.history[-1].at + timedelta(minutes=1)
    target = rng.choice([s for s in ("lead", "call", "demo") if s != deal.stage])
    if FUNNEL.index(target) > FUNNEL.index(deal.stage):
        deal.advance(target, at=at)
    else:
        deal.regress(target, at=at)


def main(url: str, seed: int, attempts: int, threads: int, start: float) -> None:
    time.sleep(max(0.0, start - time.time()))  # all processes begin together
    totals: dict[str, Counter[str]] = {"saves": Counter(), "moves": Counter(),
                                       "conflicts": Counter()}
    lock = threading.Lock()
    failed: list[BaseException] = []
    threading.excepthook = lambda args: failed.append(args.exc_value)  # type: ignore[assignment]
    shared = Store.open(url, funnels=[FUNNEL]) if seed % 2 else None  # one shared store
    workers = [threading.Thread(target=work, args=(url, seed * 100 + i, attempts, totals,
                                                    lock, shared)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failed:
        raise SystemExit(f"{len(failed)} worker threads failed: {failed!r}")
    print(json.dumps({k: dict(v) for k, v in totals.items()}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
