"""``survival``: Kaplan-Meier time to conversion, open deals right-censored at ``as_of``.

Units: :class:`Survival` keeps integer nanoseconds (``time_ns``); ``time``, ``median``
and the other attributes are seconds as floats. One row per distinct duration (time,
events, censored) is kept, so results over entity partitions merge exactly.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Literal, overload

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._util._i18n import counted, word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import NS_PER_S, Naive, elapsed_ns, ns_timedeltas, to_iso, to_ns
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.metrics import _kernels as K
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
    time : numpy.ndarray of float64
        :attr:`time_ns` in seconds.
    at_risk : numpy.ndarray of int64
        Entities with duration ``>= t`` (not yet converted or censored just before ``t``).
    survival, lower, upper : numpy.ndarray of float64
        ``S(t)`` and its confidence interval.
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
    at_risk: _I64 = attrs.field(init=False)
    survival: _F64 = attrs.field(init=False)
    lower: _F64 = attrs.field(init=False)
    upper: _F64 = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        t, d, c = self.time_ns, self.events, self.censored
        if not len(t) == len(d) == len(c):
            raise InvalidParameterError(
                f"time_ns, events and censored must have equal lengths; got {len(t)}, "
                f"{len(d)}, {len(c)}", parameter="events", value=(len(t), len(d), len(c)),
            )
        removed = d + c
        at_risk = int(removed.sum()) - np.concatenate([[0], np.cumsum(removed)[:-1]]) \
            if len(t) else np.zeros(0, np.int64)
        at_risk = np.asarray(at_risk, dtype=np.int64)
        n = at_risk.astype(np.float64)
        df = d.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            surv = np.cumprod(1.0 - df / n) if len(t) else np.zeros(0)
            term = np.where(at_risk > d, df / (n * (n - df)), 0.0)
            var = np.cumsum(term)
            log_s = np.log(surv)
            half = z_value(self.level) * np.sqrt(var) / np.abs(log_s)
            inner = (surv > 0) & (surv < 1)
            lower = np.where(inner, surv ** np.exp(half), surv)
            upper = np.where(inner, surv ** np.exp(-half), surv)
        for name, arr in (("at_risk", at_risk), ("survival", surv), ("lower", lower),
                          ("upper", upper)):
            arr = np.asarray(arr)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Survival):
            return NotImplemented
        return ((self.stage, self.as_of, self.lost, self.level)
                == (other.stage, other.as_of, other.lost, other.level)
                and all(np.array_equal(getattr(self, f), getattr(other, f))
                        for f in ("time_ns", "events", "censored")))

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
        check_merge(self, other, ("stage", "as_of", "lost", "level"))
        times = np.concatenate([self.time_ns, other.time_ns])
        uniq, inverse = np.unique(times, return_inverse=True)
        events = np.zeros(len(uniq), dtype=np.int64)
        censored = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(events, inverse, np.concatenate([self.events, other.events]))
        np.add.at(censored, inverse, np.concatenate([self.censored, other.censored]))
        return Survival(self.stage, self.as_of, self.lost, uniq, events, censored, self.level)

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
            "median": to_json_value(self.median),
            "reason": self.reason,
            "rows": [
                {"time": to_json_value(float(t)), "at_risk": int(n), "events": int(d),
                 "censored": int(c), "survival": to_json_value(float(s)),
                 "lower": to_json_value(float(lo)), "upper": to_json_value(float(hi))}
                for t, n, d, c, s, lo, hi in zip(self.time, self.at_risk, self.events,
                                                 self.censored, self.survival, self.lower,
                                                 self.upper, strict=True)
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
        return (f"<Survival time to {self.stage!r} (Kaplan-Meier): fitted with "
                f"{self.observations:,} observation{'s' * (self.observations != 1)}, "
                f"{self.right_censored:,} right-censored>")


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
def survival(log: EventLog, *, as_of: Any, by: None = ..., lost: LostPolicy = ...,
             level: float = ..., naive: Naive = ...) -> Survival: ...


@overload
def survival(log: EventLog, *, as_of: Any, by: str, lost: LostPolicy = ...,
             level: float = ..., naive: Naive = ...) -> Breakdown[Survival]: ...


def survival(
    log: EventLog,
    *,
    as_of: Any,
    by: str | None = None,
    lost: LostPolicy = "never",
    level: float = 0.95,
    naive: Naive = "raise",
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
    naive : {"raise", "utc"}
        A naive ``as_of`` (no UTC offset): refuse it, or read it as UTC.

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
    """
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
    if by is None:
        return fit(durations, converted)
    groups = K.entity_groups(view, by)  # the view keeps every segment column
    return breakdown(groups, lambda _, rows: fit(durations[rows], converted[rows]))
