"""Shared numpy kernels over an :class:`~salesfunnel.EventLog`.

Every function here works on whole columns (no Python loop over rows or entities) and
caches its result on the log (a :func:`~salesfunnel.events._derived.derived` function,
cached under the function itself), so metrics that need the same per-entity arrays compute
them once. Semantics: the documentation page "Metric semantics".

Functions
---------
``stage_kinds(funnel)``
    Per-stage boolean arrays ``(is_open, is_won, is_lost)``.
``path_length(log)``
    Number of main-path stages (open stages plus WON) ``= funnel.won_index + 1``.
``entered(log)``
    ``(n_entities, n_stages)`` bool: entity has at least one event at stage ``k``.
``depth(log)``
    Per entity: highest main-path index among its OPEN/WON events (a WON event reaches
    every stage, LOST events do not deepen); ``-1`` for an entity with no such event.
``first_tables(log)``
    :class:`FirstTables`: the first time at each depth, the first event and the arrival
    flags in the log's coarsest exact time unit (``int32`` when the span allows).
``first_times(log)``
    ``(n_entities, n_path)`` int64: first time (ns) at depth >= ``k``, i.e. the earliest
    event at any main-path stage ``>= k``; :data:`NEVER` where the entity never got there.
``first_event_time(log)``, ``last_event_time(log)``
    Per entity: time of its first and latest event (any stage).
``latest_stage(log)``
    Per entity: stage of its latest event, ties broken by the larger stage index.
``first_event_row(log)``
    Per entity: row of its first event (smallest time, then smallest stage, then row).
``entity_groups(log, by)``
    :class:`EntityGroups` for a segment column: an entity's segment is its value on its
    first event (see ``first_event_row``). Offers ``count`` (2-D bincount), ``sum`` and
    ``split`` (one sort, then per-group slices).
``ordered_levels(log, window_ns)``
    Per entity: ClickHouse ``windowFunnel`` level minus one (``-1``: never at stage 0):
    the longest chain stage 0 -> 1 -> ... -> j of events with non-decreasing times,
    each within ``window_ns`` of the chain's first event.

Every time in a log is below :data:`NEVER` (``int64`` max is not a representable time,
see :mod:`salesfunnel._util._time`), so the sentinel never collides with an event.
``counts_at_least(values, n)``
    ``out[k]`` = number of values ``>= k`` for ``k < n`` (reached counts from depths).

Examples
--------
>>> import numpy as np
>>> from salesfunnel import EventLog, Funnel, Stage
>>> f = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
...                  Stage("lost", kind="lost")], skip_ahead=True)
>>> log = EventLog.from_arrays(f, entity=["a", "a", "b", "c", "c"],
...                            stage=["lead", "won", "lead", "lead", "lost"],
...                            ts=[0, 5, 1, 2, 3], unit="D")
>>> depth(log).tolist()
[2, 0, 0]
>>> counts_at_least(depth(log), 3).tolist()
[3, 1, 1]
>>> (first_times(log)[0] // 86_400_000_000_000).tolist()
[0, 5, 5]
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._engine._pool import in_parallel
from salesfunnel._engine._scatter import scatter_min
from salesfunnel._util._suggest import listing
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events._derived import derived, peek
from salesfunnel.events._log import EventLog
from salesfunnel.events._sort import time_offsets, time_scale
from salesfunnel.model._funnel import Funnel
from salesfunnel.model._stage import StageKind

__all__ = [
    "NEVER",
    "EntityGroups",
    "Progress",
    "counts_at_least",
    "depth",
    "entered",
    "entity_groups",
    "first_event_row",
    "first_event_time",
    "first_times",
    "last_event_time",
    "latest_amount",
    "latest_stage",
    "ordered_levels",
    "path_length",
    "progress",
    "stage_kinds",
    "time_units",
    "until",
]

NEVER = np.iinfo(np.int64).max
"""Sentinel time for "never happened" in :func:`first_times`."""

_I64 = npt.NDArray[np.int64]


def stage_kinds(funnel: Funnel) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_],
                                         npt.NDArray[np.bool_]]:
    """``(is_open, is_won, is_lost)`` boolean arrays indexed by stage."""
    kinds = [s.kind for s in funnel.stages]
    return (
        np.array([k is StageKind.OPEN for k in kinds], dtype=np.bool_),
        np.array([k is StageKind.WON for k in kinds], dtype=np.bool_),
        np.array([k is StageKind.LOST for k in kinds], dtype=np.bool_),
    )


def path_length(log: EventLog) -> int:
    """Number of main-path stages: the open stages and the WON stage."""
    return log.funnel.won_index + 1


@derived
def time_units(log: EventLog) -> tuple[int, int]:
    """``(t0, step)`` of :func:`salesfunnel.events._sort.time_scale` for ``log.ts``."""
    return time_scale(log.ts)


@derived
def entered(log: EventLog) -> npt.NDArray[np.bool_]:
    """``(n_entities, n_stages)`` flags: the entity has an event at stage ``k``.

    Stored stage-major, so a column ``entered(log)[:, k]`` is contiguous.
    """
    n, n_st = log.n_entities, len(log.funnel.stages)
    flags = np.zeros(n_st * n, dtype=np.bool_)
    key = log.stage.astype(np.int64)
    key *= n
    key += log.entity
    flags[key] = True
    return flags.reshape(n_st, n).T


@derived
def depth(log: EventLog) -> npt.NDArray[np.int16]:
    """Per entity: the highest main-path index reached, ``-1`` when none (only LOST)."""
    flags = entered(log)
    d = np.full(log.n_entities, -1, dtype=np.int16)
    reach = np.zeros(log.n_entities, dtype=np.bool_)
    for k in range(path_length(log) - 1, -1, -1):
        reach |= flags[:, k]  # depth >= k
        d += reach
    return d


def counts_at_least(values: npt.ArrayLike, n: int) -> _I64:
    """``out[k]`` = how many ``values`` are ``>= k``, for ``k = 0 .. n - 1``.

    Examples
    --------
    >>> counts_at_least([-1, 0, 2, 2], 3).tolist()
    [3, 2, 2]
    """
    v = np.asarray(values)
    if n <= 16 and v.dtype.kind in "iu":  # a few vectorized comparisons beat a bincount
        return np.array([np.count_nonzero(v >= k) for k in range(n)], dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    hist = np.bincount(np.clip(v + 1, 0, n), minlength=n + 1)
    return np.cumsum(hist[::-1])[::-1][1:].astype(np.int64)


_SCATTER_ROWS = 1 << 20  # rows per slice of a scatter's keys
#: rows per slice on a thread pool's worker, where every slice after the first costs
#: the GIL-free scatter one more gather (it checks the table)
_SCATTER_ROWS_PARALLEL = 1 << 22


@attrs.frozen(eq=False)
class FirstTables:
    """The first time at each depth in compact form: ``units`` counts the log's coarsest
    exact time unit since ``t0`` (``t0 + step * units`` ns), in ``int32`` when the log
    spans fewer than ``2**31 - 1`` units (half the memory of nanoseconds), else plain
    ``int64`` nanoseconds (``t0 = 0``, ``step = 1``). ``never`` marks "not reached".

    Attributes
    ----------
    units : numpy.ndarray
        ``(n_entities, n_path)``, stage-major: first time at depth ``>= k``.
    entry : numpy.ndarray
        Per entity: first event at any stage, same units.
    bits : numpy.ndarray of uint8
        ``(ceil(n_path / 8), n_entities)``: the flags of :meth:`arrived`, eight stages to
        a byte (bit ``k % 8`` of row ``k // 8``), an eighth of the memory of a ``bool``
        table (the tables stay cached with the log).
    """

    units: npt.NDArray[np.signedinteger[Any]]
    entry: npt.NDArray[np.signedinteger[Any]]
    bits: npt.NDArray[np.uint8]
    never: int
    t0: int
    step: int

    def arrived(self, k: int, rows: npt.NDArray[np.int64] | None = None
                ) -> npt.NDArray[np.bool_]:
        """Per entity (of ``rows`` only, when given): its first arrival at depth ``>= k``
        was an event at stage ``k`` itself (it did not skip past ``k``); a new array."""
        if not 0 <= k < self.units.shape[1]:
            raise ValueError(f"stage {k} is not on the path; expected 0 .. "
                             f"{self.units.shape[1] - 1}")
        byte = self.bits[k >> 3] if rows is None else self.bits[k >> 3].take(rows)
        out = np.right_shift(byte, np.uint8(k & 7))
        np.bitwise_and(out, np.uint8(1), out=out)
        flags: npt.NDArray[np.bool_] = out.view(np.bool_)
        return flags

    def ns(self, units: npt.NDArray[np.signedinteger[Any]]) -> _I64:
        """``units`` (any shape) as int64 ns, ``never`` as :data:`NEVER` (no copy when
        the units are nanoseconds already)."""
        if units.dtype == np.int64 and self.step == 1 and self.t0 == 0:
            return units
        out = units.astype(np.int64)
        out *= self.step
        out += self.t0
        out[units == self.never] = NEVER
        return out


@derived
def first_tables(log: EventLog) -> FirstTables:
    """The first time at each depth, the first event time and the arrival flags of every
    entity (compact units: see :class:`FirstTables`).

    One scatter-minimum of the events (``np.minimum.at``, or its GIL-free form on a
    thread pool's worker) fills the first time at each main-path stage and, in an extra
    row, at any LOST stage; a reverse running minimum over the stages then gives depth
    ``>= k``, and the minimum with the LOST row gives the first event.
    """
    n, n_path = log.n_entities, path_length(log)
    t0, step = time_units(log)
    span = (int(log.ts.max()) - t0) // step if len(log) else 0
    dtype: type[np.signedinteger[Any]] = np.int32 if span < 2**31 - 1 else np.int64
    if dtype is np.int64:
        t0, step = 0, 1  # the nanoseconds themselves: any span an int64 holds
    never = int(np.iinfo(dtype).max)
    table = np.full((n_path + 1) * n, never, dtype=dtype)
    clamp = len(log.funnel.stages) > n_path + 1  # several LOST stages -> row n_path
    # The flat keys ``stage * n + entity`` (and the times in units) are made a slice of
    # rows at a time, so the scatter needs no int64 copy of the whole log beside the
    # table (peak memory). On a thread pool's worker the slices are larger: the
    # GIL-free scatter skips its check of the table for the first slice only (the table
    # then holds only ``never``), so each later slice costs it one more gather.
    rows_per = _SCATTER_ROWS_PARALLEL if in_parallel() else _SCATTER_ROWS
    key = np.empty(min(len(log), rows_per), dtype=np.int64)
    # the times in units, through ufuncs with ``out=`` into buffers kept across slices
    # (no ``astype``, which holds the GIL)
    rel = np.empty(len(key) if dtype is np.int32 else 0, dtype=np.uint64)
    units = np.empty(len(rel), dtype=np.int32)
    step_u = np.uint64(step)
    for lo in range(0, len(log), rows_per):
        hi = min(lo + rows_per, len(log))
        flat = key[:hi - lo]
        stage = log.stage[lo:hi]
        np.multiply(np.minimum(stage, n_path) if clamp else stage, np.int64(n), out=flat)
        flat += log.entity[lo:hi]
        times: npt.NDArray[Any] = log.ts[lo:hi]
        if dtype is np.int32:
            time_offsets(times, t0, out=rel[:hi - lo])
            if step > 1:
                np.floor_divide(rel[:hi - lo], step_u, out=units[:hi - lo], casting="unsafe")
            else:
                np.copyto(units[:hi - lo], rel[:hi - lo], casting="unsafe")
            times = units[:hi - lo]
        scatter_min(table, flat, times, above=lo == 0)
    del key, rel, units
    rows = table.reshape(n_path + 1, n)
    bits = np.zeros(((n_path + 7) // 8, n), dtype=np.uint8)
    flag = np.empty(n, dtype=np.bool_)
    # Reaching stage j means depth >= k for every k <= j: reverse running minimum. The
    # first arrival at depth >= k was an event at stage k itself when that stage's
    # first time is no later than the first time at depth >= k + 1.
    for k in range(n_path - 1, -1, -1):
        if k == n_path - 1:
            np.not_equal(rows[k], never, out=flag)
        else:
            np.less_equal(rows[k], rows[k + 1], out=flag)
            flag &= rows[k] != never
            np.minimum(rows[k], rows[k + 1], out=rows[k])
        byte = flag.view(np.uint8)  # 0 or 1, shifted to bit k % 8 in place
        np.left_shift(byte, np.uint8(k & 7), out=byte)
        bits[k >> 3] |= byte
    del flag
    entry = np.minimum(rows[0], rows[n_path])
    # The row of LOST stages served only the entry times: the cached table lets it go
    # (realloc, in place; no view of the table is left to move with it).
    del rows
    table.resize(n_path * n, refcheck=False)
    return FirstTables(table.reshape(n_path, n).T, entry, bits, never, t0, step)


@derived
def first_times(log: EventLog) -> _I64:
    """``(n_entities, n_path)`` first time (ns) at depth >= ``k``; :data:`NEVER` if not.

    Stored stage-major (a column ``first_times(log)[:, k]`` is contiguous). The
    nanosecond form of :func:`first_tables` (kernels that can, such as ``timing``, read
    the compact one and never make this).
    """
    tables = first_tables(log)
    return tables.ns(tables.units)


@derived
def first_event_time(log: EventLog) -> _I64:
    """Per entity: time (ns) of its first event at any stage (from :func:`first_tables`
    when they are there, else one scatter-minimum)."""
    tables = peek(log, first_tables)
    if tables is not None:
        return tables.ns(tables.entry)
    t = np.full(log.n_entities, NEVER, dtype=np.int64)
    np.minimum.at(t, log.entity, log.ts)
    return t


@derived
def _time_stage_packing(log: EventLog) -> tuple[int, int, int] | None:
    """``(t0, step, s_bits)`` when ``(ts - t0) // step << s_bits | stage`` fits in 62 bits.

    Nanoseconds are used as they are (``step = 1``) when they fit, so no division is
    needed for spans up to about 18 years; ``None`` when even the coarsest exact unit of
    :func:`time_units` does not fit.
    """
    out: tuple[int, int, int] | None = None
    if len(log):
        s_bits = max(len(log.funnel.stages) - 1, 0).bit_length()
        t0 = int(log.ts.min())
        span = int(log.ts.max()) - t0
        if span.bit_length() + s_bits <= 62:
            out = (t0, 1, s_bits)
        else:
            t0, step = time_units(log)
            if (span // step).bit_length() + s_bits <= 62:
                out = (t0, step, s_bits)
    return out


def _time_stage_keys(log: EventLog, packing: tuple[int, int, int]) -> _I64:
    """Per event: ``(ts - t0) // step << s_bits | stage`` (row order; see above)."""
    t0, step, s_bits = packing
    rel = time_offsets(log.ts, t0)  # exact even when the log spans more than 2**63 ns
    if step > 1:
        rel //= np.uint64(step)
    key = rel.view(np.int64)  # fits: (span // step) has at most 62 - s_bits bits
    key <<= s_bits
    key |= log.stage
    return key


@derived
def _latest(log: EventLog) -> tuple[_I64, npt.NDArray[Any], _I64 | None]:
    """``(last_event_time, latest_stage, latest_key)`` in one pass.

    The latest (time, stage) per entity is one ``np.maximum.at`` over a packed
    ``time << stage_bits | stage`` key when that fits in an int64 (the per-entity
    maxima, ``latest_key``, serve :func:`latest_amount`; ``None`` when they do not fit).
    """
    n = log.n_entities
    packing = _time_stage_packing(log)
    latest_key: _I64 | None = None
    if packing is not None:
        t0, step, s_bits = packing
        key = _time_stage_keys(log, packing)
        best = np.full(n, -1, dtype=np.int64)
        np.maximum.at(best, log.entity, key)
        del key
        latest_key = best
        none = best < 0
        stage = (best & ((1 << s_bits) - 1)).astype(log.stage.dtype)
        best = best >> s_bits
        if step > 1:
            best *= step
        best += t0
        if none.any():
            best[none] = np.iinfo(np.int64).min
            stage[none] = -1
    else:
        best = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(best, log.entity, log.ts)
        at_last = log.ts == best[log.entity]
        stage = np.full(n, -1, dtype=log.stage.dtype)
        np.maximum.at(stage, log.entity[at_last], log.stage[at_last])
    return best, stage, latest_key


def last_event_time(log: EventLog) -> _I64:
    """Per entity: time (ns) of its latest event at any stage."""
    return _latest(log)[0]


def latest_stage(log: EventLog) -> npt.NDArray[Any]:
    """Per entity: stage of its latest event; ties broken by the larger stage index."""
    return _latest(log)[1]


@derived
def first_event_row(log: EventLog) -> _I64:
    """Per entity: row of its first event (smallest time, then stage, then row)."""
    n = log.n_entities
    cand = log.ts == first_event_time(log)[log.entity]
    smin = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
    np.minimum.at(smin, log.entity[cand], log.stage[cand])
    cand &= log.stage == smin[log.entity]
    rows = np.full(n, len(log), dtype=np.int64)
    np.minimum.at(rows, log.entity[cand], np.flatnonzero(cand))
    return rows


@attrs.frozen(eq=False)
class EntityGroups:
    """Entities grouped by a segment column.

    Attributes
    ----------
    name : str
        The segment column.
    codes : numpy.ndarray of int64
        Group of each entity (index into ``categories``).
    categories : numpy.ndarray
        The segment values, one per group (all categories of the column, including
        values no entity starts with).
    """

    name: str
    codes: _I64
    categories: np.ndarray[Any, Any]

    @property
    def n_groups(self) -> int:
        """Number of groups (``len(categories)``)."""
        return len(self.categories)

    def count(self, values: npt.ArrayLike, n_values: int) -> _I64:
        """``(n_groups, n_values)`` counts of each value per group (values in ``0..n_values-1``)."""
        v = np.asarray(values, dtype=np.int64)
        flat = np.bincount(self.codes * n_values + v, minlength=self.n_groups * n_values)
        return flat.reshape(self.n_groups, n_values).astype(np.int64)

    def sum(self, weights: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Per group sum of per-entity ``weights``."""
        w = np.asarray(weights, dtype=np.float64)
        out: npt.NDArray[np.float64] = np.bincount(self.codes, weights=w,
                                                   minlength=self.n_groups).astype(np.float64)
        return out

    def order(self) -> tuple[_I64, _I64]:
        """``(order, bounds)``: entities sorted by group (stable); group ``g`` is
        ``order[bounds[g]:bounds[g + 1]]``."""
        order = np.argsort(self.codes, kind="stable").astype(np.int64)
        bounds = np.searchsorted(self.codes[order], np.arange(self.n_groups + 1))
        return order, bounds.astype(np.int64)

    def split(self, values: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
        """Per-entity ``values`` split into one array per group (entity order kept)."""
        order, bounds = self.order()
        vs = values[order]
        return [vs[bounds[g]:bounds[g + 1]] for g in range(self.n_groups)]

    def masks(self) -> list[npt.NDArray[np.bool_]]:
        """One boolean entity mask per group."""
        return [self.codes == g for g in range(self.n_groups)]


def entity_groups(log: EventLog, by: str) -> EntityGroups:
    """Group the entities of ``log`` by segment column ``by`` (value on the first event).

    Raises
    ------
    InvalidParameterError
        If ``by`` is not a segment column of the log.
    """
    if not isinstance(by, str) or by not in log.segments:
        listed = listing(by, list(log.segments))
        raise InvalidParameterError(
            f"by={by!r} is not a segment column of the log; expected one of: {listed}",
            parameter="by",
            value=by,
        )
    return _groups(log, by)


@derived
def _groups(log: EventLog, by: str) -> EntityGroups:
    seg = log.segments[by]
    rows = first_event_row(log)
    codes = seg.codes[rows].astype(np.int64) if log.n_entities else np.zeros(0, np.int64)
    return EntityGroups(by, codes, seg.categories)


def _sorted_for_ordered(log: EventLog) -> tuple[_I64, _I64, npt.NDArray[Any], int]:
    """Events sorted by (entity, time, stage) as ``(entity, time, stage, step)``.

    LOST stages become ``n_path`` (ignored by the caller). Times are in units of
    ``step`` nanoseconds (relative to the earliest event) when the whole key packs into
    one int64, so only values are sorted (no permutation); otherwise ns from the log's
    cached stable sort with ``step = 1``.
    """
    n_path = path_length(log)
    t0, step = time_units(log)
    t_bits = ((int(log.ts.max()) - t0) // step).bit_length()
    e_bits = max(log.n_entities - 1, 0).bit_length()
    s_bits = n_path.bit_length()
    if e_bits + t_bits + s_bits <= 63:
        rel = time_offsets(log.ts, t0)  # exact even when the log spans more than 2**63 ns
        if step > 1:
            rel //= np.uint64(step)
        key = rel.view(np.int64)  # fits: t_bits <= 63
        key <<= s_bits
        key |= np.minimum(log.stage, n_path).astype(np.int64)
        key |= log.entity << (t_bits + s_bits)
        key.sort()
        stage = (key & ((1 << s_bits) - 1)).astype(np.int16)
        key >>= s_bits
        t = key & ((1 << t_bits) - 1)
        key >>= t_bits
        return key, t, stage, step
    srt = log.sorted_by_entity_time()
    return srt.entity, srt.ts, np.minimum(srt.stage, n_path).astype(np.int16), 1


@derived
def ordered_levels(log: EventLog, window_ns: int | None) -> npt.NDArray[np.int16]:
    """Per entity: windowFunnel level minus one (``-1`` when never at stage 0).

    ``window_ns=None`` means no window. A chain's events have non-decreasing times and
    each is at most ``window_ns`` after the chain's first event (inclusive, like
    ClickHouse). Equal times are ordered by stage, so ``0 -> 1`` at the same instant
    counts. Any window below ``2**64`` ns works: time differences are taken in ``uint64``,
    exact even when a log spans more than ``2**63`` ns.
    """
    n_path = path_length(log)
    level = np.full(log.n_entities, -1, dtype=np.int16)
    if len(log):
        ent, ts, stage, step = _sorted_for_ordered(log)
        # Times are multiples of `step`: t_b - t_a <= window  <=>  (units) <= window // step.
        window = None if window_ns is None else window_ns // step
        # Greedy per level (equivalent to ClickHouse's scan): keep, for every event that
        # extends a chain to level k, the latest chain start; among the valid events of
        # one entity those starts are non-decreasing, so the last valid level-(k-1) event
        # before a stage-k event carries the best start.
        by_stage = np.argsort(stage, kind="stable")
        bounds = np.searchsorted(stage[by_stage], np.arange(n_path + 1))
        prev_pos = by_stage[bounds[0]:bounds[1]]
        prev_start = ts[prev_pos]
        level[ent[prev_pos]] = 0
        for k in range(1, n_path):
            if len(prev_pos) == 0:
                break
            pos = by_stage[bounds[k]:bounds[k + 1]]
            j = np.searchsorted(prev_pos, pos)
            j -= 1
            ok = j >= 0
            np.maximum(j, 0, out=j)
            ok &= ent[prev_pos[j]] == ent[pos]
            start = prev_start[j]
            if window is not None:
                # ts[pos] >= start: the difference is exact in uint64 (not in int64).
                ok &= ts[pos].view(np.uint64) - start.view(np.uint64) <= np.uint64(window)
            prev_pos = pos[ok]
            prev_start = start[ok]
            level[ent[prev_pos]] = k
    return level


# -- kernels added for timing / survival / pipeline (metrics._timing, metrics._pipeline) -------
# Kept in one block so the owner of the kernels above can review them at a glance.
# ``progress`` gathers per-entity arrays that other kernels compute with one scatter each
# (no sort of the events): ``first_times`` (first event, first WON) and ``_latest``.


@attrs.frozen(eq=False)
class Progress:
    """Per-entity summary of a log: first, latest and first-WON event.

    Attributes
    ----------
    first_time, last_time : numpy.ndarray of int64
        Per entity: time of its first and of its latest event (any stage);
        :data:`NEVER` and the smallest int64 for an entity without events.
    latest_stage : numpy.ndarray of int16
        Per entity: stage of its latest event (ties: the larger stage index); ``-1``
        without events.
    won_time : numpy.ndarray of int64
        Per entity: time of its first WON event, :data:`NEVER` if none.
    last_key : numpy.ndarray of int64 or None
        Per entity: packed ``(time, stage)`` key of its latest event (see
        :func:`_time_stage_keys`), ``None`` when the keys do not fit in 62 bits.
    """

    first_time: _I64
    last_time: _I64
    latest_stage: npt.NDArray[np.int16]
    won_time: _I64
    last_key: _I64 | None


@derived
def _packing(log: EventLog) -> tuple[int, int, int, int] | None:
    """``(t0, step, t_bits, s_bits)`` when (entity, time, stage) packs into 63 bits.

    No kernel here needs it any more (``progress`` does not sort); it is kept for the
    tests, which use it to check that their wide-time logs really are wide (their
    nanosecond spans also defeat :func:`_time_stage_packing`, so they take its fallbacks).
    """
    if len(log) == 0:
        return None
    t0, step = time_units(log)
    span = (int(log.ts.max()) - t0) // step
    t_bits = span.bit_length()
    e_bits = max(log.n_entities - 1, 0).bit_length()
    s_bits = max(len(log.funnel.stages) - 1, 0).bit_length()
    if e_bits + t_bits + s_bits > 63:
        return None
    return t0, step, t_bits, s_bits


@derived
def progress(log: EventLog) -> Progress:
    """The :class:`Progress` of ``log`` (computed once, cached).

    Built from :func:`first_times` (whose extra LOST row also gives the first event)
    and the latest (time, stage) of :func:`latest_stage`; both are cached on the log, so
    :func:`~salesfunnel.metrics.timing` and :func:`~salesfunnel.metrics.pipeline` on
    the same log share them.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won"),
    ...                  Stage("lost", kind="lost")], skip_ahead=True)
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 1, 2, 2], stage=[3, 0, 2, 1, 0],
    ...                            ts=[0, 1, 4, 2, 7], unit="s")
    >>> p = progress(log)
    >>> (p.first_time // 10**9).tolist(), (p.last_time // 10**9).tolist()
    ([0, 2], [4, 7])
    >>> p.latest_stage.tolist(), (p.won_time[:1] // 10**9).tolist(), bool(p.won_time[1] == NEVER)
    ([2, 0], [4], True)
    """
    n_path = path_length(log)
    won_time = first_times(log)[:, n_path - 1]  # depth >= won index: a WON event
    return Progress(first_event_time(log), last_event_time(log),
                    latest_stage(log).astype(np.int16), won_time, _latest(log)[2])


@derived
def latest_amount(log: EventLog) -> npt.NDArray[np.float64]:
    """Per entity: amount of its latest event with a non-NaN amount.

    Ties at the latest time go to the larger stage index, then to the larger amount (so
    the result does not depend on row order). NaN for entities without such an event
    and for every entity when the log has no ``amount`` column.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")], skip_ahead=True)
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 1, 2], stage=[0, 1, 0, 0],
    ...                            ts=[0, 5, 5, 1], amount=[10.0, 30.0, 20.0, 7.0], unit="s")
    >>> latest_amount(log).tolist()
    [30.0, 7.0]
    """
    n = log.n_entities
    result = np.full(n, np.nan, dtype=np.float64)
    if log.amount is None or n == 0 or len(log) == 0:
        return result
    amount = log.amount
    valid = ~np.isnan(amount)
    best = np.full(n, -np.inf, dtype=np.float64)
    if valid.all():
        # The latest (time, stage) of every entity is known from ``progress``: keep the
        # events that carry it and take the largest amount among them.
        pr = progress(log)
        packing = _time_stage_packing(log)
        if pr.last_key is not None and packing is not None:
            cand = _time_stage_keys(log, packing) == pr.last_key.take(log.entity)
        else:
            cand = log.ts == pr.last_time.take(log.entity)
            cand &= log.stage == pr.latest_stage.take(log.entity)
        rows = np.flatnonzero(cand)  # index arrays: much faster than boolean masks here
        np.maximum.at(best, log.entity.take(rows), amount.take(rows))
        result[:] = best
        return result
    ent, ts, stage, amount = (log.entity[valid], log.ts[valid],
                              log.stage[valid].astype(np.int32), amount[valid])
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, ent, ts)
    cand = ts == last[ent]
    ent, stage, amount = ent[cand], stage[cand], amount[cand]
    top = np.full(n, -1, dtype=np.int32)
    np.maximum.at(top, ent, stage)
    cand = stage == top[ent]
    np.maximum.at(best, ent[cand], amount[cand])
    seen = top >= 0
    result[seen] = best[seen]
    return result


def until(log: EventLog, as_of_ns: int | None) -> EventLog:
    """The events at or before ``as_of_ns`` (ns since the epoch) as a log of their own.

    Entities with no such event are dropped and the rest re-coded densely (in code
    order, so ``ids`` and segment groups follow); ``log`` itself is returned when no
    event is later than ``as_of_ns`` (or ``as_of_ns`` is ``None``), keeping its cache.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=["x", "x", "y"], stage=[0, 1, 0], ts=[0, 5, 9],
    ...                            unit="s")
    >>> sub = until(log, 5 * 10**9)
    >>> sub.ids.tolist(), sub.stage.tolist(), until(log, None) is log
    (['x'], [0, 1], True)
    """
    if as_of_ns is None or len(log) == 0 or int(log.ts.max()) <= as_of_ns:
        return log
    rows = log.ts <= as_of_ns
    present = np.zeros(log.n_entities, dtype=np.bool_)
    present[log.entity[rows]] = True
    return log._select(rows, present)
