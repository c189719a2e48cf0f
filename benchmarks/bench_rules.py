"""Benchmark of the rule language: one subject at a time, and whole columns with numpy.

Run with ``python benchmarks/bench_rules.py`` (takes about 10 seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _table import best_of, print_table

from salesfunnel.model.rules import parse_rule

RULE = "budget >= 10000 and decision_maker is set and stage_ok"
N_SUBJECTS = 100_000
N_ROWS = 10_000_000


def _subjects(n: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(7)
    budgets = rng.uniform(0, 20_000, n).tolist()
    makers = rng.random(n) < 0.8
    oks = (rng.random(n) < 0.9).tolist()
    return [
        {"budget": b, "decision_maker": "ann" if m else None, "stage_ok": ok}
        for b, m, ok in zip(budgets, makers, oks, strict=True)
    ]


def _columns(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(8)
    budget = rng.uniform(0, 20_000, n)
    budget[::10] = np.nan  # 10% not set
    return {
        "budget": budget,
        "score": rng.integers(0, 100, n),
        "stage_ok": rng.random(n) < 0.9,
    }


def main() -> None:
    rule = parse_rule(RULE)
    subjects = _subjects(N_SUBJECTS)

    def by_hand(s: dict[str, Any]) -> bool:
        budget = s.get("budget")
        return (
            budget is not None
            and budget >= 10000
            and s.get("decision_maker") is not None
            and bool(s.get("stage_ok"))
        )

    test = rule.test
    assert [test(s) for s in subjects[:1000]] == [by_hand(s) for s in subjects[:1000]]

    def run_rule() -> None:
        for s in subjects:
            test(s)

    def run_lambda() -> None:
        for s in subjects:
            by_hand(s)

    def run_failed() -> None:
        failed = rule.failed
        for s in subjects:
            failed(s)

    t_rule = best_of(run_rule, repeat=5)
    t_lambda = best_of(run_lambda, repeat=5)
    t_failed = best_of(run_failed, repeat=3)
    fresh = iter(range(10**9))  # a new text each call defeats the parse cache

    def parse_fresh() -> None:
        parse_rule(RULE + " " * (next(fresh) % 5000))

    t_parse = best_of(parse_fresh, repeat=3, number=300)

    columns = _columns(N_ROWS)
    vector_rule = parse_rule("budget >= 10000 and score < 50 and stage_ok")
    t_many = best_of(lambda: vector_rule.evaluate_many(columns), repeat=5)

    rows = [
        (f"Rule.test, dict subject ({RULE!r})", N_SUBJECTS / t_rule, "evals/s",
         t_rule / N_SUBJECTS * 1e9),
        ("the same rule as a hand-written Python function", N_SUBJECTS / t_lambda, "evals/s",
         t_lambda / N_SUBJECTS * 1e9),
        ("Rule.failed, dict subject", N_SUBJECTS / t_failed, "evals/s",
         t_failed / N_SUBJECTS * 1e9),
        (f"Rule.evaluate_many, {N_ROWS:,} rows, 3 numeric checks", N_ROWS / t_many, "rows/s",
         t_many / N_ROWS * 1e9),
        ("parse_rule + compile, uncached", 1 / t_parse, "rules/s", t_parse * 1e9),
    ]
    print_table("Rule language", ["benchmark", "per second", "unit", "ns each"], rows)


if __name__ == "__main__":
    main()
