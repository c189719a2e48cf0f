"""``survival``: Kaplan-Meier time to conversion, open deals right-censored at ``as_of``.

Units: :class:`Survival` keeps integer nanoseconds (``time_ns``); ``time``, ``median``
and the other attributes are seconds as floats. One row per distinct duration (time,
events, censored) is kept, so results over entity partitions merge exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Literal, overload

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._engine import PartitionedLog
from salesfunnel._util._i18n import counted, word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import NS_PER_S, Naive, elapsed_ns, ns_timedeltas, to_iso, to_ns
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.events._segment import plain
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._parallel import run_partitioned
from salesfunnel.metrics._results import (
    Breakdown,
    breakdown,
    check_choice,
    check_log,
    check_merge,
    format_count,
    format_pct,
)
from salesfunnel.metrics._stats import check_level, z_value
from salesfunnel.metrics._timing import _durations_ns, _readonly, format_duration

__all__ = ["Survival", "survival"]

_I64 = npt.NDArray[np.int64]
_U64 = npt.NDArray[np.uint64]
_F64 = npt.NDArray[np.float64]
LostPolicy = Literal["never", "censor"]
LOST_POLICIES = ("never", "censor")
#: Tolerance when comparing a survival estimate with 0.5 for the median: the product of
#: ``1 - d/n`` is exact in rational arithmetic but not in floating point.
_MEDIAN_TOL = 1e-12
#: Rows of a survival table shown by ``str()`` (evenly thinned beyond that).
_MAX_ROWS = 20


def _unique_counts(times: _U64, events: npt.NDArray[np.bool_]) -> tuple[_U64, _I64, _I64]:
    """Distinct times with the number of events and of censored observations at each."""
    if len(times) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z.astype(np.uint64), z, z
    if int(times.max()) < 2**62:
        # Sort (time, event) packed in one int64 by value: much faster than an argsort.
        key = times.astype(np.int64) << 1
        key |= events
        key.sort()
        flag = key & 1
        key >>= 1
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
        counts = np.diff(np.append(starts, len(key)))
        ev = np.add.reduceat(flag, starts)
        return key[starts].astype(np.uint64), ev, counts - ev
    uniq, inverse = np.unique(times, return_inverse=True)
    n = len(uniq)
    ev = np.bincount(inverse[events], minlength=n).astype(np.int64)
    total = np.bincount(inverse, minlength=n).astype(np.int64)
    return uniq.astype(np.uint64), ev, total - ev


def _optional_readonly(values: Any) -> _I64 | None:
    """attrs converter of :attr:`Survival.entered` (``None`` stays ``None``)."""
    return None if values is None else _readonly(values)


def _level(value: Any) -> float:
    """attrs converter of :attr:`Survival.level` (converters take the value only)."""
    return check_level(value, where="Survival")


@attrs.frozen(eq=False, repr=False)
class Survival(Displayable):
    """Kaplan-Meier estimate of the time to conversion (first event to first WON).

    One row per distinct observed duration. ``S(t)`` is the probability of *not yet*
    having converted ``t`` after entry; ``1 - S(t)`` is the cumulative conversion curve.
    Confidence intervals are the exponential Greenwood ("log-log") intervals, as in
    lifelines.

    Attributes
    ----------
    stage : str
        The WON stage (the event of interest).
    as_of : int
        Cut-off in ns since the epoch: later events are ignored; entities not converted
        by then are right-censored.
    lost : {"never", "censor"}
        How entities whose current stage is LOST are treated (see :func:`survival`).
    time_ns : numpy.ndarray of uint64
        Distinct durations (ns), ascending (unsigned: a log's times may be up to about
        584 years apart, more than int64 nanoseconds hold).
    events, censored : numpy.ndarray of int64
        Conversions and censored observations at each time.
    level : float
        Confidence level of the intervals.
    entered : numpy.ndarray of int64 or None
        Late entry (left truncation): entities entering the risk set at each time;
        ``None`` when every entity is at risk from 0.
    time : numpy.ndarray of float64
        :attr:`time_ns` in seconds.
    observations, converted, right_censored : int
        Totals.
    median : float
        Smallest ``t`` with ``S(t) <= 0.5``, in seconds; NaN when never reached (see
        :attr:`reason`).

    Examples
    --------
    >>> import numpy as np
    >>> days = 86_400 * 10**9
    >>> s = Survival("won", 0, "never", np.array([1, 2, 4]) * days, np.array([1, 1, 0]),
    ...              np.array([0, 1, 1]))
    >>> s
    <Survival time to 'won' (Kaplan-Meier): fitted with 4 observations, 2 right-censored>
    >>> s.at_risk.tolist(), s.survival.tolist(), s.median / 86_400
    ([4, 3, 1], [0.75, 0.5, 0.5], 2.0)
    """

    stage: str
    as_of: int
    lost: str
    time_ns: _U64 = attrs.field(converter=_durations_ns)
    events: _I64 = attrs.field(converter=_readonly)
    censored: _I64 = attrs.field(converter=_readonly)
    level: float = attrs.field(default=0.95, converter=_level)
    entered: _I64 | None = attrs.field(default=None, converter=_optional_readonly,
                                       kw_only=True)
    # the curve (at_risk, survival, lower, upper), computed when first read: a merge of
    # many parts makes tables that are only merged again, never read
    _curve: tuple[_I64, _F64, _F64, _F64] | None = attrs.field(default=None, init=False,
                                                                repr=False)

    def __attrs_post_init__(self) -> None:
        t, d, c = self.time_ns, self.events, self.censored
        if not len(t) == len(d) == len(c):
            raise InvalidParameterError(
                f"time_ns, events and censored must have equal lengths; got {len(t)}, "
                f"{len(d)}, {len(c)}", parameter="events", value=(len(t), len(d), len(c)),
            )
        if self.entered is not None and len(self.entered) != len(t):
            raise InvalidParameterError(
                f"entered must have one count per time ({len(t)}); got "
                f"{len(self.entered)}", parameter="entered", value=len(self.entered))

    @property
    def at_risk(self) -> _I64:
        """Entities at risk at each time: with duration ``>= t`` (not yet converted or
        censored just before ``t``) and, with late entry, entered at or before ``t``
        (``numpy.ndarray`` of int64; the curve is fitted when first read)."""
        return self._fitted()[0]

    @property
    def survival(self) -> _F64:
        """``S(t)`` at each time (``numpy.ndarray`` of float64)."""
        return self._fitted()[1]

    @property
    def lower(self) -> _F64:
        """Lower bound of the confidence interval of ``S(t)`` at each time (exponential
        Greenwood, at :attr:`level`)."""
        return self._fitted()[2]

    @property
    def upper(self) -> _F64:
        """Upper bound of the confidence interval of ``S(t)`` at each time."""
        return self._fitted()[3]

    def _fitted(self) -> tuple[_I64, _F64, _F64, _F64]:
        if self._curve is None:
            object.__setattr__(self, "_curve", self._fit())
        assert self._curve is not None
        return self._curve

    def _fit(self) -> tuple[_I64, _F64, _F64, _F64]:
        """The Kaplan-Meier curve and its exponential Greenwood interval."""
        t, d, c = self.time_ns, self.events, self.censored
        removed = d + c
        if self.entered is not None:
            # Late entry: at risk at t = entered at or before t, less removed before t.
            at_risk = np.cumsum(self.entered) - (np.cumsum(removed) - removed)
        else:
            at_risk = int(removed.sum()) - np.concatenate([[0], np.cumsum(removed)[:-1]]) \
                if len(t) else np.zeros(0, np.int64)
        at_risk = np.asarray(at_risk, dtype=np.int64)
        n = at_risk.astype(np.float64)
        df = d.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            surv = np.cumprod(np.where(at_risk > 0, 1.0 - df / n, 1.0)) if len(t) \
                else np.zeros(0)
            term = np.where(at_risk > d, df / (n * (n - df)), 0.0)
            var = np.cumsum(term)
            log_s = np.log(surv)
            half = z_value(self.level) * np.sqrt(var) / np.abs(log_s)
            inner = (surv > 0) & (surv < 1)
            lower = np.where(inner, surv ** np.exp(half), surv)
            upper = np.where(inner, surv ** np.exp(-half), surv)
        out: list[Any] = []
        for arr in (at_risk, surv, lower, upper):
            arr = np.asarray(arr)
            arr.flags.writeable = False
            out.append(arr)
        return out[0], out[1], out[2], out[3]

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Survival):
            return NotImplemented
        return ((self.stage, self.as_of, self.lost, self.level)
                == (other.stage, other.as_of, other.lost, other.level)
                and all(np.array_equal(getattr(self, f), getattr(other, f))
                        for f in ("time_ns", "events", "censored"))
                and np.array_equal(self._entries(), other._entries()))

    @property
    def left_truncated(self) -> int:
        """Entities entering the risk set after time 0 (late entry)."""
        if self.entered is None or not len(self.time_ns):
            return 0
        return int(self.entered[self.time_ns > 0].sum())

    def _entries(self) -> _I64:
        """Entries per time, with everyone entering at 0 when :attr:`entered` is None."""
        if self.entered is not None:
            return self.entered
        out = np.zeros(len(self.time_ns), dtype=np.int64)
        if len(out):
            out[0] = self.observations
        return out

    # -- derived ------------------------------------------------------------------------------
    @property
    def time(self) -> _F64:
        """Distinct durations in seconds."""
        return self.time_ns / NS_PER_S

    @property
    def timedelta(self) -> npt.NDArray[np.timedelta64]:
        """Distinct durations as ``timedelta64[ns]`` (NaT beyond its 292 years)."""
        return ns_timedeltas(self.time_ns)

    @property
    def observations(self) -> int:
        """Number of entities observed (entered at or before :attr:`as_of`)."""
        return int(self.events.sum() + self.censored.sum())

    @property
    def converted(self) -> int:
        """Number of entities that converted (won) by :attr:`as_of`."""
        return int(self.events.sum())

    @property
    def right_censored(self) -> int:
        """Number of censored entities."""
        return int(self.censored.sum())

    @property
    def median(self) -> float:
        """Median time to conversion in seconds (NaN when ``S`` never reaches 0.5)."""
        hit = np.flatnonzero(self.survival <= 0.5 + _MEDIAN_TOL)
        return float(self.time_ns[hit[0]] / NS_PER_S) if len(hit) else math.nan

    @property
    def median_timedelta(self) -> np.timedelta64:
        """:attr:`median` as ``numpy.timedelta64[ns]`` (NaT when undefined)."""
        hit = np.flatnonzero(self.survival <= 0.5 + _MEDIAN_TOL)
        return (ns_timedeltas(self.time_ns[hit[:1]])[0] if len(hit)
                else np.timedelta64("NaT", "ns"))

    @property
    def reason(self) -> str | None:
        """Why :attr:`median` is NaN (``None`` when it is defined)."""
        if not math.isnan(self.median):
            return None
        if not self.observations:
            return f"no entity entered by {to_iso(self.as_of)}"
        return ("fewer than half of the entities converted within the follow-up "
                f"({self.converted:,} of {self.observations:,})")

    def survival_at(self, seconds: npt.ArrayLike) -> _F64:
        """``S(t)`` at arbitrary times ``t`` in seconds (a step function, 1 before the
        first event).

        Examples
        --------
        >>> import numpy as np
        >>> s = Survival("won", 0, "never", np.array([10**9, 2 * 10**9]), np.array([1, 1]),
        ...              np.array([0, 0]))
        >>> s.survival_at([0.5, 1.0, 1.5, 3.0]).tolist()
        [1.0, 0.5, 0.5, 0.0]
        """
        try:
            t = np.asarray(seconds, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"seconds must be numbers (durations in seconds); got {seconds!r}",
                parameter="seconds", value=seconds,
            ) from None
        idx = np.searchsorted(self.time, t, side="right") - 1
        values = np.concatenate([[1.0], self.survival])
        out: _F64 = values[idx + 1]
        return out

    # -- merging ------------------------------------------------------------------------------
    def merge(self, other: Survival) -> Survival:
        """The estimate over the union of two disjoint sets of entities (exact: the event
        and censoring counts at each time add up).

        Raises
        ------
        InvalidParameterError
            If ``other`` is not a :class:`Survival` with the same stage, ``as_of``,
            ``lost`` policy and level.
        """
        return Survival._merge_all([self, other])

    @classmethod
    def _merge_all(cls, items: Sequence[Survival], *, workers: int = 1) -> Survival:
        """Every item merged in one pass (:meth:`merge` is this with two items;
        ``tree_merge`` uses it for more: one sort of all the tables, where merging pairs
        would sort the growing table at every level). ``workers`` is part of the
        protocol and unused: one table is one sort."""
        first = items[0]
        for other in items[1:]:
            check_merge(first, other, ("stage", "as_of", "lost", "level"))
        late = any(side.entered is not None for side in items)
        # Entry times and counts: a side with late entry keeps its own; beside one, the
        # entities of a side without it entered at time 0 (as entities missing from an
        # ``entry`` mapping do). Time 0 joins the grid only then, so parts of a log
        # merge into the table of the whole log (it used to be added always: an extra
        # row at 0 when every entity had a late entry, or when no part had entities).
        starts: list[_U64] = []
        counts: list[_I64] = []
        for side in items if late else ():
            if side.entered is not None:
                starts.append(side.time_ns)
                counts.append(side.entered)
            elif side.observations:
                starts.append(np.zeros(1, dtype=np.uint64))
                counts.append(np.array([side.observations], dtype=np.int64))
        # Ascending runs (each side's times, then the entry times): a stable sort merges
        # them, and the counts of a time in several runs add up.
        n_entry = sum(len(x) for x in starts)
        zeros = np.zeros(n_entry, dtype=np.int64)
        times = np.concatenate([*(side.time_ns for side in items), *starts]).astype(np.uint64)
        order = np.argsort(times, kind="stable")
        times = times.take(order)
        first_of = np.flatnonzero(np.concatenate([[True], times[1:] != times[:-1]])) \
            if len(times) else np.zeros(0, dtype=np.int64)

        def summed(*parts: _I64) -> _I64:
            out: _I64 = np.add.reduceat(np.concatenate(parts).take(order), first_of) \
                if len(first_of) else np.zeros(0, dtype=np.int64)
            return out

        events = summed(*(side.events for side in items), zeros)
        censored = summed(*(side.censored for side in items), zeros)
        entered = None
        if late:
            own = np.zeros(len(times) - n_entry, dtype=np.int64)
            entered = summed(own, *counts)
        return Survival(first.stage, first.as_of, first.lost, times.take(first_of), events,
                        censored, first.level, entered=entered)

    # -- presentation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings, totals, the median and one row per time (seconds).

        Examples
        --------
        >>> import numpy as np
        >>> s = Survival("won", 0, "never", np.array([10**9]), np.array([1]), np.array([1]))
        >>> d = s.to_dict()
        >>> d["observations"], d["median"], d["rows"][0]["survival"]
        (2, 1.0, 0.5)
        """
        return {
            "stage": self.stage,
            "as_of": to_iso(self.as_of),
            "lost": self.lost,
            "level": self.level,
            "unit": "seconds",
            "observations": self.observations,
            "converted": self.converted,
            "right_censored": self.right_censored,
            "left_truncated": self.left_truncated,
            "median": to_json_value(self.median),
            "reason": self.reason,
            "rows": [
                {"time": to_json_value(float(t)), "at_risk": int(n), "events": int(d),
                 "censored": int(c), "entered": int(en), "survival": to_json_value(float(s)),
                 "lower": to_json_value(float(lo)), "upper": to_json_value(float(hi))}
                for t, n, d, c, en, s, lo, hi in zip(self.time, self.at_risk, self.events,
                                                     self.censored, self._entries(),
                                                     self.survival, self.lower, self.upper,
                                                     strict=True)
            ],
        }

    def to_pandas(self) -> Any:
        """The survival table (``pandas`` extra): ``time`` (timedelta64[ns]), ``at_risk``,
        ``events``, ``censored``, ``survival``, ``lower``, ``upper``.

        Examples
        --------
        >>> import numpy as np
        >>> s = Survival("won", 0, "never", np.array([86_400 * 10**9]), np.array([1]),
        ...              np.array([1]))
        >>> s.to_pandas()[["time", "at_risk", "survival"]]
            time  at_risk  survival
        0 1 days        2       0.5
        """
        pd = import_optional("pandas", "pandas", purpose="Survival.to_pandas")
        return pd.DataFrame({
            "time": self.timedelta, "at_risk": self.at_risk, "events": self.events,
            "censored": self.censored, "survival": self.survival, "lower": self.lower,
            "upper": self.upper,
        })

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        max_rows = _MAX_ROWS
        n = len(self.time_ns)
        idx = np.arange(n)
        if n > max_rows:  # evenly thinned, first and last rows kept
            idx = np.unique(np.linspace(0, n - 1, max_rows).round().astype(np.int64))
        rows = [[format_duration(float(self.time[i])), format_count(int(self.at_risk[i])),
                 format_count(int(self.events[i])), format_count(int(self.censored[i])),
                 format_pct(float(self.survival[i])),
                 f"[{format_pct(float(self.lower[i]))}, {format_pct(float(self.upper[i]))}]"]
                for i in idx]
        median = (format_duration(self.median) if not math.isnan(self.median)
                  else word("surv.not_reached", lang).format(self.reason))
        head = word("surv.title", lang).format(
            repr(self.stage), to_iso(self.as_of), counted(self.observations, "observation", lang),
            self.converted, self.right_censored, self.lost)
        shown = [] if n <= max_rows else [word("surv.shown", lang).format(len(idx), n)]
        headers = [*(word(k, lang) for k in ("time", "at risk", "events", "censored", "S(t)")),
                   word("interval", lang).format(format_pct(self.level, 0))]
        return (Table(head, headers, rows,
                      notes=[*shown, word("surv.median", lang).format(median)]),)


    def __repr__(self) -> str:
        late = (f", {self.left_truncated:,} left-truncated" if self.entered is not None
                else "")
        return (f"<Survival time to {self.stage!r} (Kaplan-Meier): fitted with "
                f"{self.observations:,} observation{'s' * (self.observations != 1)}, "
                f"{self.right_censored:,} right-censored{late}>")


#: ``check_lost(lost, where=...)``: the ``lost`` policy of :func:`survival`.
check_lost = partial(check_choice, "lost", options=LOST_POLICIES)


def observations(log: EventLog, as_of: int, lost: str) -> tuple[_U64, npt.NDArray[np.bool_]]:
    """Per entity of ``log`` (already cut at ``as_of``): duration (ns) and converted flag."""
    pr = K.progress(log)
    converted = pr.won_time != K.NEVER
    end = np.full(log.n_entities, as_of, dtype=np.int64)
    if lost == "censor":
        _, _, is_lost = K.stage_kinds(log.funnel)
        at_loss = is_lost[pr.latest_stage]
        end = np.where(at_loss, pr.last_time, end)
    end = np.where(converted, pr.won_time, end)
    return elapsed_ns(end, pr.first_time), converted


@overload
def survival(log: EventLog | PartitionedLog, *, as_of: Any, by: None = ..., lost: LostPolicy = ...,
             level: float = ..., entry: Any = ..., naive: Naive = ...,
           workers: int | None = ...,
           progress: bool = ...,
) -> Survival: ...


@overload
def survival(log: EventLog | PartitionedLog, *, as_of: Any, by: str, lost: LostPolicy = ...,
             level: float = ..., entry: Any = ..., naive: Naive = ...,
           workers: int | None = ...,
           progress: bool = ...,
) -> Breakdown[Survival]: ...


def survival(
    log: EventLog | PartitionedLog,
    *,
    as_of: Any,
    by: str | None = None,
    lost: LostPolicy = "never",
    level: float = 0.95,
    entry: Any = None,
    naive: Naive = "raise",
    workers: int | None = None,
    progress: bool = False,
) -> Survival | Breakdown[Survival]:
    """Kaplan-Meier time to conversion, with open deals right-censored at ``as_of``.

    Only events at or before ``as_of`` count. Each entity with such an event is one
    observation: entry = its first event; conversion = its first WON event; an entity
    not converted by ``as_of`` is right-censored.

    Parameters
    ----------
    log : EventLog
        The events.
    as_of : datetime, str or numpy.datetime64
        The cut-off (timezone-aware; ISO strings need an offset, e.g. ``"...Z"``).
    by : str, optional
        A segment column: one :class:`Survival` per value (value on the first event).
    lost : {"never", "censor"}
        Entities whose current stage (latest event by ``as_of``) is LOST:

        - ``"never"`` (default): a lost deal will not convert, so it stays in the risk
          set until ``as_of`` (censored there). With censoring only at ``as_of`` this
          makes ``1 - S(t)`` the cumulative incidence of winning with loss as a
          competing risk: "what share of entering deals win within ``t``".
        - ``"censor"``: censored at the time of its latest (LOST) event. This is the
          cause-specific view "time to win if deals could not be lost"; it
          overstates the share that eventually wins.
    level : float
        Confidence level of the intervals.
    entry : mapping or array-like, optional
        Late entry (left truncation), for logs that start after some deals were already
        open: when each deal really started (e.g. its CRM creation date), as a mapping
        of entity id to time or one time per entity in ``log.ids`` order (NaT/None:
        no earlier start; a :class:`~salesfunnel.PartitionedLog` takes a mapping).
        Durations are then measured from that start, and a deal whose first event in
        the log is later is at risk only from its first event: deals that closed before
        the log began are not in it, and the others must not count as "at risk" while
        they were unobserved. Times are those accepted by
        :meth:`~salesfunnel.EventLog.from_arrays` (aware datetimes, ISO strings with an
        offset, ``datetime64``). Matches lifelines' ``KaplanMeierFitter.fit(...,
        entry=)``.
    naive : {"raise", "utc"}
        A naive ``as_of`` or ``entry`` (no UTC offset): refuse it, or read it as UTC.

    workers : int, optional
        Threads: the log is split by entity into partitions computed in parallel and
        merged (exactly: the result is the same for every number of workers). Default:
        the library option (:func:`salesfunnel.set_options`, the number of cores).
        Logs under 400,000 events run on one thread. A
        :class:`~salesfunnel.PartitionedLog` always runs per partition.
    progress : bool
        Show a progress bar on stderr (on a terminal, for work over a few seconds).

    Returns
    -------
    Survival or Breakdown
        The survival table (time, at risk, events, censored, ``S(t)``, interval) and
        the median time to conversion.

    Raises
    ------
    InvalidParameterError
        A missing or naive ``as_of``, an unknown ``lost`` policy or ``by`` column, a bad
        ``level``.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import survival
    >>> f = Funnel("deals", [Stage("lead"), Stage("won", kind="won"),
    ...                      Stage("lost", kind="lost")])
    >>> log = EventLog.from_arrays(
    ...     f, entity=[1, 1, 2, 2, 3, 4, 4], stage=[0, 1, 0, 1, 0, 0, 2],
    ...     ts=["2026-01-01T00:00Z", "2026-01-11T00:00Z", "2026-01-01T00:00Z",
    ...         "2026-01-21T00:00Z", "2026-01-25T00:00Z", "2026-01-01T00:00Z",
    ...         "2026-01-05T00:00Z"])
    >>> km = survival(log, as_of="2026-01-31T00:00Z")
    >>> km
    <Survival time to 'won' (Kaplan-Meier): fitted with 4 observations, 2 right-censored>
    >>> (km.time / 86_400).tolist(), km.at_risk.tolist(), km.events.tolist()
    ([6.0, 10.0, 20.0, 30.0], [4, 3, 2, 1], [0, 1, 1, 0])
    >>> km.survival.round(4).tolist(), km.median / 86_400
    ([1.0, 0.6667, 0.3333, 0.3333], 20.0)
    >>> survival(log, as_of="2026-01-31T00:00Z", lost="censor").survival.tolist()
    [1.0, 1.0, 0.5, 0.0]

    Deal 2 really started on 2025-12-22 (ten days before the log begins): with late
    entry its 30 days run from then, and it is at risk only from day 10.

    >>> late = survival(log, as_of="2026-01-31T00:00Z", entry={2: "2025-12-22T00:00Z"})
    >>> (late.time / 86_400).tolist(), late.at_risk.tolist(), late.entered.tolist()
    ([0.0, 6.0, 10.0, 30.0], [3, 3, 3, 2], [3, 0, 1, 0])
    """
    if entry is not None and not isinstance(entry, Mapping):
        if isinstance(log, PartitionedLog):  # it has no one log.ids order to follow
            raise InvalidParameterError(
                f"The 'entry' parameter of survival must be a mapping of entity id to "
                f"time for a PartitionedLog (one time per entity follows the ids of one "
                f"EventLog); got {type(entry).__name__} {entry!r:.60}.",
                parameter="entry", value=entry)
        workers = 1  # one time per entity in log.ids order: not split into partitions
    parted = run_partitioned(log, workers, progress, "survival", lambda part: survival(
        part, as_of=as_of, by=by, lost=lost, level=level, entry=entry, naive=naive,
        workers=1))
    if parted is not None:
        return parted
    log = check_log(log)
    cut = to_ns(as_of, parameter="as_of", naive=naive)
    lost = check_lost(lost, where="survival")  # type: ignore[assignment]
    level = check_level(level, where="survival")
    stage = log.funnel.won.name
    view = K.until(log, cut)

    def fit(durations: _U64, converted: npt.NDArray[np.bool_]) -> Survival:
        t, d, c = _unique_counts(durations, converted)
        return Survival(stage, cut, lost, t, d, c, level)

    durations, converted = observations(view, cut, lost)
    if entry is None:
        if by is None:
            return fit(durations, converted)
        groups = K.entity_groups(view, by)  # the view keeps every segment column
        return breakdown(groups, lambda _, rows: fit(durations[rows], converted[rows]))
    delay = _entry_delays(view, entry, naive)
    durations = durations + delay

    def fit_late(rows: Any) -> Survival:
        t, d, c = _unique_counts(durations[rows], converted[rows])
        grid = np.union1d(t, delay[rows])
        pos = np.searchsorted(grid, t)
        ev, ce = (np.zeros(len(grid), np.int64) for _ in range(2))
        ev[pos], ce[pos] = d, c
        entered = np.bincount(np.searchsorted(grid, delay[rows]),
                              minlength=len(grid)).astype(np.int64)
        return Survival(stage, cut, lost, grid, ev, ce, level, entered=entered)

    if by is None:
        return fit_late(slice(None))
    groups = K.entity_groups(view, by)
    return breakdown(groups, lambda _, rows: fit_late(rows))


def _entry_delays(view: EventLog, entry: Any, naive: Naive) -> _U64:
    """Per entity of ``view``: first observed event minus the deal's real start (ns)."""
    n = view.n_entities
    start = np.full(n, K.NEVER, dtype=np.int64)
    if isinstance(entry, Mapping):
        index = {plain(v): i for i, v in enumerate(view.ids.tolist())}
        for key, when in entry.items():
            i = index.get(plain(key))
            if i is not None and when is not None:
                start[i] = to_ns(when, parameter="entry", naive=naive)
    else:
        try:
            values = np.asarray(entry)
        except (TypeError, ValueError):
            values = np.zeros(0)
        if values.ndim != 1 or len(values) != view.n_entities:
            raise InvalidParameterError(
                f"The 'entry' parameter of survival must be a mapping of entity id to time "
                f"or one time per entity ({view.n_entities:,}, in log.ids order); got "
                f"{type(entry).__name__} of length {len(values) if values.ndim else 0}",
                parameter="entry", value=entry)
        if values.dtype.kind == "M":
            nat = np.isnat(values)
            ns = values.astype("datetime64[ns]").astype(np.int64)
            start = np.where(nat, K.NEVER, ns)
        else:
            for i, when in enumerate(values.tolist()):
                if when is not None and when == when:  # not None, not NaN
                    start[i] = to_ns(when, parameter="entry", naive=naive)
    first = K.progress(view).first_time
    given = start != K.NEVER
    late = given & (start > first)
    if late.any():
        i = int(np.flatnonzero(late)[0])
        raise InvalidParameterError(
            f"The 'entry' parameter of survival gives {int(late.sum()):,} entities a start "
            f"after their first event (e.g. {plain(view.ids[i])!r}: {to_iso(int(start[i]))} "
            f"> {to_iso(int(first[i]))}); expected a start at or before the first event",
            parameter="entry", value=plain(view.ids[i]))
    delays = np.zeros(len(first), dtype=np.uint64)
    # uint64: a start more than 2**63 ns (292 years) before the first event stays exact
    delays[given] = elapsed_ns(first[given], start[given])
    return delays
