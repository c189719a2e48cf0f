"""Run every benchmark (``make bench``): each ``bench_*.py`` prints its own table.

``python benchmarks/run.py model metrics`` runs only the named ones.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def main(argv: list[str]) -> None:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        start = time.perf_counter()
        print(f"\n=== {name} ===")
        module.main()
        print(f"({name}: {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
