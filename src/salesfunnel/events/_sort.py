"""Sorting a log by (entity, time, stage): one packed SIMD sort where the keys fit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._util._time import NS_PER_S
from salesfunnel.events._factorize import bit_length, stable_order

if TYPE_CHECKING:  # pragma: no cover
    from salesfunnel.events._log import EventLog

__all__ = ["SortedEvents", "scaled_offsets", "scaled_times", "sort_events", "time_offsets",
           "time_scale"]


@attrs.frozen(eq=False)
class SortedEvents:
    """The events of a log in (entity, time, stage) order.

    Returned (and cached) by :meth:`EventLog.sorted_by_entity_time`.

    Attributes
    ----------
    order : numpy.ndarray of int64
        Permutation of the log's rows: ``log.ts[order]`` is the sorted ``ts``. Among exact
        duplicates (same entity, time and stage) the original row order is kept.
    entity, stage, ts : numpy.ndarray
        The sorted columns.
    bounds : numpy.ndarray of int64
        ``n_entities + 1`` offsets: the events of entity ``e`` are
        ``bounds[e]:bounds[e + 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[7, 3, 7], stage=[1, 0, 0], ts=[5, 1, 2], unit="s")
    >>> s = log.sorted_by_entity_time()
    >>> s.order.tolist(), s.bounds.tolist()
    ([1, 2, 0], [0, 1, 3])
    """

    order: npt.NDArray[np.int64]
    entity: npt.NDArray[np.int64]
    stage: np.ndarray[Any, Any]
    ts: npt.NDArray[np.int64]
    bounds: npt.NDArray[np.int64]

    @property
    def starts(self) -> npt.NDArray[np.int64]:
        """Offset of each entity's first event (``bounds[:-1]``)."""
        return self.bounds[:-1]

    @property
    def ends(self) -> npt.NDArray[np.int64]:
        """Offset one past each entity's last event (``bounds[1:]``)."""
        return self.bounds[1:]



def sort_events(log: EventLog) -> SortedEvents:
    """Stable sort by (entity, ts, stage); packs the keys into one int64 when they fit."""
    n = len(log)
    ent, ts, stage = log.entity, log.ts, log.stage
    if n == 0:
        order = np.zeros(0, dtype=np.int64)
    else:
        order = _entity_time_order(ent, ts, stage, log.n_entities, len(log.funnel.stages))
    ent_s = ent[order]
    bounds = np.searchsorted(ent_s, np.arange(log.n_entities + 1, dtype=np.int64))
    return SortedEvents(order=order, entity=ent_s, stage=stage[order], ts=ts[order],
                        bounds=bounds.astype(np.int64))


def time_offsets(ts: npt.NDArray[np.int64], t0: int,
                 out: npt.NDArray[np.uint64] | None = None) -> npt.NDArray[np.uint64]:
    """``ts - t0`` for ``t0 <= ts.min()``, exact as ``uint64`` (into ``out`` when given).

    In int64 the difference overflows once the times span more than ``2**63`` ns (about
    292 years; a log may span 584); in ``uint64`` it cannot.

    Examples
    --------
    >>> ts = np.array([-(2**63) + 1, 2**63 - 2], dtype=np.int64)
    >>> time_offsets(ts, int(ts.min())).tolist()
    [0, 18446744073709551613]
    """
    rel: npt.NDArray[np.uint64] = np.subtract(ts.view(np.uint64), np.uint64(t0 % 2**64),
                                              out=out)
    return rel


def time_scale(ts: npt.NDArray[np.int64]) -> tuple[int, int]:
    """``(t0, step)``: every time is ``t0 + step * k`` for an integer ``k >= 0``.

    ``step`` is the largest power of ten (up to one second) dividing every offset,
    so times stored in seconds or milliseconds pack into fewer bits.

    Examples
    --------
    >>> time_scale(np.array([9 * 10**18, -9 * 10**18, 0], dtype=np.int64))  # spans > 2**63
    (-9000000000000000000, 1000000000)
    """
    if len(ts) == 0:
        return 0, 1
    t0 = int(ts.min())
    # a slice of offsets at a time, in buffers that stay in the core's cache (no offsets
    # of the whole log); a slice that a step does not divide moves on to the next step
    steps = [NS_PER_S, 1_000_000, 1_000]
    rel = np.empty(min(len(ts), _SCALE_SLICE), dtype=np.uint64)
    rem = np.empty(len(rel), dtype=np.uint64)
    for lo in range(0, len(ts), _SCALE_SLICE):
        part = time_offsets(ts[lo:lo + _SCALE_SLICE], t0, out=rel[:len(ts) - lo])
        left = rem[:len(part)]
        while steps and np.any(np.remainder(part, np.uint64(steps[0]), out=left)):
            steps.pop(0)
        if not steps:
            return t0, 1
    return t0, steps[0]


#: times per slice of :func:`time_scale`
_SCALE_SLICE = 1 << 15


def scaled_offsets(ts: npt.NDArray[np.int64]) -> tuple[int, int, npt.NDArray[np.uint64]]:
    """``(t0, step, k)`` of :func:`time_scale` with the offsets themselves: every time is
    ``t0 + step * k`` (``k`` as ``uint64``). The inverse is :func:`scaled_times`.

    Examples
    --------
    >>> t0, step, k = scaled_offsets(np.array([5, 3, 9], dtype=np.int64) * 10**9)
    >>> t0, step, k.tolist()
    (3000000000, 1000000000, [2, 0, 6])
    """
    t0, step = time_scale(ts)
    rel = time_offsets(ts, t0)
    if step > 1:
        rel //= np.uint64(step)
    return t0, step, rel


def scaled_times(k: npt.NDArray[np.uint64], t0: int, step: int) -> npt.NDArray[np.int64]:
    """The times ``t0 + step * k`` as int64 ns, computed in place in ``k`` (the inverse
    of :func:`scaled_offsets`).

    Examples
    --------
    >>> scaled_times(np.array([2, 0, 6], dtype=np.uint64), 3 * 10**9, 10**9).tolist()
    [5000000000, 3000000000, 9000000000]
    """
    if step > 1:
        k *= np.uint64(step)
    k += np.uint64(t0 % 2**64)
    return k.view(np.int64)


def _entity_time_order(ent: npt.NDArray[np.int64], ts: npt.NDArray[np.int64],
                       stage: np.ndarray[Any, Any], n_entities: int, n_stages: int
                       ) -> npt.NDArray[np.int64]:
    n = len(ent)
    _, _, trel = scaled_offsets(ts)
    e_bits = bit_length(n_entities - 1)
    t_bits = bit_length(int(trel.max()))
    s_bits = bit_length(n_stages - 1)
    key_bits = e_bits + t_bits + s_bits
    keys = [(ent, e_bits), (trel, t_bits), (stage, s_bits)]
    if key_bits + max(bit_length(n - 1), 1) <= 64 or key_bits > 63:
        # One packed SIMD sort, or (keys too wide for one int64) a radix sort by digits.
        return stable_order(keys, n)
    key = ent << (t_bits + s_bits)
    key |= trel.view(np.int64) << s_bits  # fits: key_bits <= 63
    key |= stage.astype(np.int64)
    order = np.argsort(key)
    ks = np.take(key, order)
    dup = ks[1:] == ks[:-1]
    if dup.any():
        # Restore row order among exact duplicates (argsort is not stable).
        pos = np.flatnonzero(np.concatenate([dup, [False]]) | np.concatenate([[False], dup]))
        sub = np.lexsort((order[pos], ks[pos]))
        order[pos] = order[pos][sub]
    return order.astype(np.int64, copy=False)
