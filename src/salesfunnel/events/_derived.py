"""Derived arrays of an event log, computed once per log and cached under their function.

A function ``f(log, *args)`` decorated with :func:`derived` is computed at most once per
log and argument tuple: its result is stored in the log's cache under the key
``(f, *args)`` -- the function object itself, so two modules cannot collide on a name and
a cached value cannot outlive a renamed function. Arrays in a result (also inside
tuples and attrs instances) are made read-only before they are stored, because every
caller shares them.

Examples
--------
>>> import numpy as np
>>> from salesfunnel import EventLog, Funnel, Stage
>>> @derived
... def doubled(log):
...     print("computing")
...     return log.ts * 2
>>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
>>> log = EventLog.from_arrays(f, entity=[1], stage=[0], ts=[3], unit="ns")
>>> doubled(log).tolist()
computing
[6]
>>> doubled(log).tolist(), doubled(log).flags.writeable, peek(log, doubled) is doubled(log)
([6], False, True)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, Protocol, TypeVar, cast

import attrs
import numpy as np

__all__ = ["derived", "peek"]

P = ParamSpec("P")
R = TypeVar("R")
_MISSING = object()


class _Cached(Protocol):
    """What the cache needs of an :class:`~salesfunnel.EventLog` (kept structural, so this
    module does not import the log that imports it)."""

    @property
    def _cache(self) -> dict[Any, Any]: ...


def freeze(value: Any) -> None:
    """Make every numpy array in ``value`` (or its tuple items / attrs fields) read-only."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple):
        for item in value:
            freeze(item)
    elif attrs.has(type(value)):
        for item in attrs.astuple(value, recurse=False):
            freeze(item)


def derived(func: Callable[P, R]) -> Callable[P, R]:
    """Cache ``func(log, *args)`` on ``log`` under ``(func, *args)`` (args hashable).

    The wrapper is what other modules call; ``peek(log, wrapper, *args)`` reads the cache
    without computing.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        log: _Cached = args[0]  # type: ignore[assignment]
        key = (wrapper, *args[1:], *sorted(kwargs.items()))
        cache = log._cache
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            value = func(*args, **kwargs)
            freeze(value)
            cache[key] = value
        return cast(R, value)

    return wrapper


def peek(log: _Cached, func: Callable[..., R], *args: Any) -> R | None:
    """The cached ``func(log, *args)`` of a :func:`derived` function, or ``None``."""
    value = log._cache.get((func, *args), _MISSING)
    return None if value is _MISSING else cast(R, value)
