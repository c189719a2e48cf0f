"""Running one function over partitions on a thread pool, and merging the results.

numpy releases the GIL in sorts, takes, ufuncs and reductions, so threads give real
parallelism on the per-partition kernels without copying data into processes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from salesfunnel._engine._progress import Progress

__all__ = ["MAX_THREADS", "in_parallel", "parallel_map", "tree_merge"]

#: Most threads one :func:`parallel_map` starts, whatever ``workers`` asks: a huge
#: ``workers`` (``10**6``) would otherwise start a thread per item until the OS refuses.
MAX_THREADS = 1024

T = TypeVar("T")
R = TypeVar("R")

_worker = threading.local()


def in_parallel() -> bool:
    """True in a worker thread of :func:`parallel_map` that runs beside others (kernels
    then prefer GIL-free forms even when they cost a little more work)."""
    return bool(getattr(_worker, "parallel", False))


def _as_worker(fn: Callable[[T], R], item: T) -> R:
    _worker.parallel = True
    try:
        return fn(item)
    finally:
        _worker.parallel = False


def parallel_map(fn: Callable[[T], R], items: Sequence[T], workers: int, *,
                 progress: bool = False, label: str = "salesfunnel") -> list[R]:
    """``[fn(x) for x in items]`` on up to ``workers`` threads (at most
    :data:`MAX_THREADS`), in order.

    When calls fail, the exception of the earliest failing item (in ``items`` order,
    among the calls that ran) is raised once every started call has ended; calls not
    yet started are cancelled (also on Ctrl-C), so nothing keeps running behind the
    caller.

    Examples
    --------
    >>> parallel_map(lambda x: x * x, [1, 2, 3], workers=2)
    [1, 4, 9]
    """
    with Progress(len(items), label, progress) as bar:
        if workers <= 1 or len(items) <= 1:
            out = []
            for item in items:
                out.append(fn(item))
                bar.advance()
            return out
        pool = ThreadPoolExecutor(max_workers=min(workers, len(items), MAX_THREADS),
                                  thread_name_prefix="salesfunnel")
        futures: list[Future[R]] = []
        try:
            for item in items:
                fut = pool.submit(_as_worker, fn, item)
                fut.add_done_callback(lambda _: bar.advance())
                futures.append(fut)
            wait(futures, return_when=FIRST_EXCEPTION)
            if any(f.done() and not f.cancelled() and f.exception() is not None
                   for f in futures):
                # a call failed: the calls not yet started are cancelled, the started ones
                # end, and the error of the earliest item that failed is raised (not of
                # whichever failed first in time: the error is the same in every run)
                for fut in futures:
                    fut.cancel()
                wait(futures)
                for fut in futures:
                    if not fut.cancelled() and fut.exception() is not None:
                        raise fut.exception()  # type: ignore[misc]
            return [fut.result() for fut in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def tree_merge(results: Sequence[Any], merge: Callable[[Any, Any], Any] | None = None,
               *, workers: int = 1) -> Any:
    """Merge results pairwise, neighbours first (``a.merge(b)``, or ``merge(a, b)``),
    keeping their order: each result is merged about log2(n) times, where merging into
    one running total would merge the growing total n times. Results whose class has a
    ``_merge_all(results, workers=...)`` classmethod (such as ``Timing``) are merged by
    it in one pass, given ``workers`` threads for independent pieces (a ``Timing``'s
    steps); it must give what the pairwise merges give.

    Examples
    --------
    >>> class S:
    ...     def __init__(self, v): self.v = v
    ...     def merge(self, o): return S(self.v + o.v)
    >>> tree_merge([S("a"), S("b"), S("c")]).v
    'abc'
    >>> tree_merge([[1], [2], [3], [4]], merge=lambda a, b: [a, b])
    [[[1], [2]], [[3], [4]]]
    """
    level = list(results)
    if not level:
        raise ValueError("nothing to merge")
    many = getattr(type(level[0]), "_merge_all", None) if merge is None else None
    if many is not None and len(level) > 1 and all(type(r) is type(level[0]) for r in level):
        # the result's class merges a whole list in one pass (no growing re-merges)
        return many(level, workers=workers)
    pair = merge if merge is not None else (lambda a, b: a.merge(b))
    while len(level) > 1:
        nxt = [pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]
