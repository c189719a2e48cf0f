"""Per-deal transitions through a seven-stage funnel with a two-check gate per stage.

salesfunnel (history records with the facts their gates read, and gate results,
included) against the `transitions` and `python-statemachine` libraries doing the same
work, and a bare dict-and-if loop as the floor. Machines/journeys are created before
timing; the timed work is walking every deal from the first stage to WON (6 guarded
transitions each).
"""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _table import best_of, print_table

from salesfunnel import Funnel, Stage

STAGES = ["target", "effective", "shortlisted", "intent", "closing", "signing", "won"]
N_DEALS = 20_000
N_STEPS = len(STAGES) - 1
RULE = "budget >= 10000 and decision_maker is set"


def ok(subject: dict[str, Any]) -> bool:
    return subject.get("budget", 0) >= 10000 and subject.get("decision_maker") is not None


def subjects() -> list[dict[str, Any]]:
    return [{"budget": 20000 + i, "decision_maker": "cfo"} for i in range(N_DEALS)]


def bench_salesfunnel() -> float:
    funnel = Funnel(
        "bench",
        [Stage(STAGES[0])]
        + [Stage(name, gates=RULE) for name in STAGES[1:-1]]
        + [Stage("won", kind="won", gates=RULE), Stage("lost", kind="lost")],
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    clock = lambda: now  # noqa: E731 - a fixed clock keeps timing about transitions
    journeys: list[Any] = []

    def setup() -> None:
        journeys[:] = [funnel.start(s, clock=clock) for s in subjects()]

    def run() -> None:
        for j in journeys:
            for _ in range(N_STEPS):
                j.advance()
        assert all(j.is_won and len(j.history) == N_STEPS + 1 for j in journeys)

    return timed(setup, run)


def timed(setup: Any, run: Any, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        setup()
        best = min(best, best_of(run, repeat=1))
    return N_DEALS * N_STEPS / best


def bench_dict_loop() -> float:
    order = {a: b for a, b in itertools.pairwise(STAGES)}
    deals: list[dict[str, Any]] = []

    def setup() -> None:
        deals[:] = [{"stage": STAGES[0], "subject": s} for s in subjects()]

    def run() -> None:
        for d in deals:
            for _ in range(N_STEPS):
                if ok(d["subject"]):
                    d["stage"] = order[d["stage"]]

    return timed(setup, run)


def bench_transitions() -> float:
    from transitions import Machine

    class Deal:
        def __init__(self, subject: dict[str, Any]) -> None:
            self.subject = subject

        def ok(self) -> bool:
            return ok(self.subject)

    spec = [{"trigger": "advance", "source": a, "dest": b, "conditions": "ok"}
            for a, b in itertools.pairwise(STAGES)]
    deals: list[Any] = []

    def setup() -> None:
        deals[:] = [Deal(s) for s in subjects()]
        Machine(model=deals, states=STAGES, transitions=spec, initial=STAGES[0],
                auto_transitions=False)

    def run() -> None:
        for d in deals:
            for _ in range(N_STEPS):
                d.advance()
        assert all(d.state == "won" for d in deals)

    return timed(setup, run)


def bench_statemachine() -> float:
    from statemachine import State, StateMachine

    states = {name: State(name, initial=(i == 0), final=(name == "won"))
              for i, name in enumerate(STAGES)}
    advance = None
    for a, b in itertools.pairwise(STAGES):
        t = states[a].to(states[b], cond="ok")
        advance = t if advance is None else advance | t

    def ok_method(self: Any) -> bool:
        return ok(self.subject)

    DealMachine = type("DealMachine", (StateMachine,),
                       {**states, "advance": advance, "ok": ok_method})
    machines: list[Any] = []

    def setup() -> None:
        machines[:] = []
        for s in subjects():
            m = DealMachine()
            m.subject = s
            machines.append(m)

    def run() -> None:
        for m in machines:
            for _ in range(N_STEPS):
                m.advance()

    return timed(setup, run)


def bench_rule_eval() -> float:
    from salesfunnel import Gate

    gate = Gate(RULE + " and stage_ok")
    subject = {"budget": 20000, "decision_maker": "cfo", "stage_ok": True}
    n = 200_000

    def run() -> None:
        for _ in range(n):
            gate(subject)

    return n / best_of(run, repeat=3)


def main() -> None:
    impls = [("salesfunnel Journey.advance", bench_salesfunnel),
             ("transitions", bench_transitions),
             ("python-statemachine", bench_statemachine),
             ("bare dict-and-if loop (floor)", bench_dict_loop)]
    best: dict[str, float] = {}
    # Rounds interleave the implementations so that a change in machine load hits all alike.
    for _ in range(3):
        for name, fn in impls:
            try:
                best[name] = max(best.get(name, 0.0), fn())
            except ImportError:
                best[name] = float("nan")
    ours = best[impls[0][0]]
    rows = []
    for name, _ in impls:
        rate = best[name]
        if rate != rate:
            rows.append((name, rate, "not installed (pip install salesfunnel[bench])"))
        elif name == impls[0][0]:
            rows.append((name, rate, "1.0x"))
        else:
            rows.append((name, rate, f"salesfunnel is {ours / rate:.2f}x"))
    print_table(
        f"Guarded transitions, {N_DEALS:,} deals x {N_STEPS} steps through 7 stages "
        "(transitions/s, best of 3 interleaved rounds)",
        ["implementation", "transitions/s", "ratio"],
        rows,
    )
    print_table("Gate evaluation on a dict subject (3-clause rule)",
                ["implementation", "evaluations/s"],
                [("Gate.__call__", bench_rule_eval())])


if __name__ == "__main__":
    main()
