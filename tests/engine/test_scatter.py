"""The GIL-free scatter-minimum equals ``np.minimum.at`` on and off a thread pool."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from salesfunnel._engine import parallel_map
from salesfunnel._engine._pool import in_parallel
from salesfunnel._engine._scatter import scatter_min

NEVER = np.iinfo(np.int64).max


def _scatter_on_workers(out: np.ndarray, index: np.ndarray, values: np.ndarray,
                        above: bool) -> tuple[np.ndarray, bool]:
    """Scatter into a copy of ``out`` inside a two-worker ``parallel_map`` (the
    GIL-free rounds), reporting whether the worker saw itself as running in parallel."""
    def work(_: int) -> tuple[np.ndarray, bool]:
        mine = out.copy()
        scatter_min(mine, index, values, above=above)
        return mine, in_parallel()

    first, second = parallel_map(work, [0, 1], workers=2)
    assert np.array_equal(first[0], second[0])
    return first


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 40), seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400),
       dup=st.sampled_from([1, 3, 50, 400]), fresh=st.booleans(),
       order=st.sampled_from(["ascending", "descending", "random"]))
@example(size=1, seed=0, n=400, dup=400, fresh=True, order="ascending")  # past the rounds
@example(size=5, seed=1, n=300, dup=1, fresh=False, order="random")
def test_scatter_min_equals_minimum_at(size: int, seed: int, n: int, dup: int,
                                       fresh: bool, order: str) -> None:
    """Any number of values per slot (one slot taking hundreds, more than the rounds
    settle, so ``minimum.at`` finishes), slots already below some values or a fresh
    table of NEVER: the same table as ``np.minimum.at``, in and out of a pool."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, min(size, max(n // dup, 1)), n)
    values = rng.integers(-1000, 1000, n)
    if order != "random":  # ascending: the largest write lands, one round per value
        values = np.sort(values) if order == "ascending" else np.sort(values)[::-1].copy()
    out = np.full(size, NEVER) if fresh else rng.integers(-1000, 1000, size)
    expected = out.copy()
    np.minimum.at(expected, index, values)
    got, parallel = _scatter_on_workers(out, index, values, above=fresh)
    assert parallel
    assert np.array_equal(got, expected)
    alone = out.copy()
    scatter_min(alone, index, values)
    assert not in_parallel() and np.array_equal(alone, expected)


def test_in_parallel_is_false_with_one_worker() -> None:
    """One worker runs the calls in the caller's thread: not in parallel there."""
    assert parallel_map(lambda _: in_parallel(), [0, 1], workers=1) == [False, False]
    assert parallel_map(lambda _: in_parallel(), [0, 1], workers=2) == [True, True]
    assert not in_parallel()
