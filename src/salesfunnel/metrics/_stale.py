"""``stale``: open deals that have sat too long in their stage ("rotting" deals).

A deal is open when its latest event by ``as_of`` is at an OPEN stage. Its age is the
time since it entered its current stage (the first event of its last run of events at
that stage; ``clock="stage"``) or since its latest event (``clock="activity"``). It is
stale when that age exceeds the day threshold of its stage. This works on an
:class:`~salesfunnel.EventLog`; a journey store answers the same question with its own
query.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._util._i18n import word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._suggest import listing
from salesfunnel._util._time import NS_PER_DAY, Naive, to_iso, to_ns
from salesfunnel._util._validate import check_number, invalid
from salesfunnel.events import EventLog
from salesfunnel.events._segment import plain
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._results import check_choice, check_log, format_count, format_pct

__all__ = ["CLOCKS", "Stale", "current_runs", "stale", "thresholds_per_stage"]

_F64 = npt.NDArray[np.float64]
_I64 = npt.NDArray[np.int64]
CLOCKS = ("stage", "activity")
#: Stale deals listed by ``str()``.
_MAX_ROWS = 20


def current_runs(log: EventLog) -> tuple[_I64, _I64, _I64]:
    """Per entity: ``(current stage, time it entered it, time of its latest event)``.

    The current stage is the stage of the latest event (in (time, stage) order); the
    entry time is the first event of the entity's last run of events at that stage.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")], fall_back=True)
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 1, 1], stage=[0, 1, 0, 0],
    ...                            ts=[0, 2, 5, 9], unit="s")
    >>> [(x // 10**9).tolist() if i else x.tolist() for i, x in enumerate(current_runs(log))]
    [[0], [5], [9]]
    """
    n = log.n_entities
    if n == 0 or len(log) == 0:
        z = np.zeros(n, dtype=np.int64)
        return z, z.copy(), z.copy()
    # No sort: the last run starts after the latest event at another stage. In (time,
    # stage) order an event at another stage at that same time comes after the current
    # stage's events there only when its stage index is larger.
    pr = K.progress(log)
    cur = pr.latest_stage.astype(np.int64)
    e, ts = log.entity, log.ts
    stage = log.stage.astype(np.int64)
    cur_e = cur[e]
    other = stage != cur_e
    brk = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(brk, e[other], ts[other])
    brk_e = brk[e]
    late = np.zeros(n, dtype=np.bool_)
    late[e[other & (ts == brk_e) & (stage > cur_e)]] = True
    cand = ~other & ((ts > brk_e) | ((ts == brk_e) & ~late[e]))
    entered = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(entered, e[cand], ts[cand])
    return cur, entered, pr.last_time.copy()


def thresholds_per_stage(log_or_funnel: Any, thresholds: Any, *, where: str = "stale"
                     ) -> _F64:
    """Per stage of the funnel: the day threshold (NaN: never stale), from a number (every
    OPEN stage) or a mapping of OPEN stage name to days.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")])
    >>> thresholds_per_stage(f, {"b": 30}).tolist()
    [nan, 30.0, nan]
    >>> thresholds_per_stage(f, 14).tolist()
    [14.0, 14.0, nan]
    """
    funnel = getattr(log_or_funnel, "funnel", log_or_funnel)
    is_open = np.array([st.is_open for st in funnel.stages])
    out = np.full(len(funnel.stages), np.nan)
    if isinstance(thresholds, Mapping):
        names = [st.name for st in funnel.stages if st.is_open]
        for name, days in thresholds.items():
            if name not in names:
                raise invalid("thresholds", thresholds, "a mapping of OPEN stage names to "
                              f"days; {name!r} is not one (options: "
                              f"{listing(str(name), names)})", where=where)
            out[funnel.index(name)] = check_number("thresholds", days, where=where, low=0.0)
        return out
    days = check_number("thresholds", thresholds, where=where, low=0.0,
                        expected="a number of days >= 0 or a mapping of stage name to days")
    out[is_open] = days
    return out


@attrs.frozen(eq=False, repr=False)
class Stale(Displayable):
    """Open deals past their stage's day threshold as of a date, most overdue first.

    Attributes
    ----------
    as_of : int
        The date (ns since the epoch).
    clock : str
        ``"stage"`` (days since the deal entered its stage) or ``"activity"`` (days
        since its latest event).
    stages : tuple of str
        The funnel's stage names.
    thresholds : tuple of float
        Days per stage (NaN: no threshold).
    open_by_stage, stale_by_stage : tuple of int
        Open deals and stale deals per stage.
    ids : numpy.ndarray
        The stale deals' ids, most overdue (days over the threshold) first.
    stage : numpy.ndarray of int64
        Their stages (index into :attr:`stages`).
    days : numpy.ndarray of float64
        Their age in days by :attr:`clock`.
    amount : numpy.ndarray of float64
        Their latest known amounts (NaN: unknown or no amount column).

    Examples
    --------
    >>> import numpy as np
    >>> s = Stale(0, "stage", ("a", "won"), (10.0, float("nan")), (3, 0), (1, 0),
    ...           np.array(["d1"]), np.array([0]), np.array([12.5]), np.array([100.0]))
    >>> s.count, s.share, s.overdue.tolist()
    (1, 0.3333333333333333, [2.5])
    """

    as_of: int
    clock: str
    stages: tuple[str, ...]
    thresholds: tuple[float, ...]
    open_by_stage: tuple[int, ...]
    stale_by_stage: tuple[int, ...]
    ids: np.ndarray[Any, Any]
    stage: _I64
    days: _F64
    amount: _F64

    __hash__ = None  # type: ignore[assignment]

    @property
    def count(self) -> int:
        """Number of stale deals."""
        return len(self.ids)

    @property
    def open(self) -> int:
        """Number of open deals."""
        return sum(self.open_by_stage)

    @property
    def share(self) -> float:
        """Stale share of the open deals (NaN with no open deal)."""
        return self.count / self.open if self.open else math.nan

    @property
    def overdue(self) -> _F64:
        """Days past the threshold, per stale deal."""
        th = np.asarray(self.thresholds, dtype=np.float64)
        out: _F64 = self.days - th[self.stage] if self.count else np.zeros(0)
        return out

    def rows(self) -> list[dict[str, Any]]:
        """One dict per stale deal (JSON-safe)."""
        over = self.overdue
        return [{"id": to_json_value(plain(self.ids[i])), "stage": self.stages[self.stage[i]],
                 "days": float(self.days[i]),
                 "threshold": float(self.thresholds[self.stage[i]]),
                 "overdue": float(over[i]),
                 "amount": to_json_value(float(self.amount[i]))} for i in range(self.count)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings, counts per stage and the stale deals."""
        return {
            "as_of": to_iso(self.as_of), "clock": self.clock, "count": self.count,
            "open": self.open, "share": to_json_value(self.share),
            "by_stage": [{"stage": s, "threshold": to_json_value(t), "open": o, "stale": n}
                         for s, t, o, n in zip(self.stages, self.thresholds,
                                               self.open_by_stage, self.stale_by_stage,
                                               strict=True)],
            "deals": self.rows(),
        }

    def to_pandas(self) -> Any:
        """The stale deals as a DataFrame (``pandas`` extra)."""
        pd = import_optional("pandas", "pandas", purpose="Stale.to_pandas")
        return pd.DataFrame(self.rows(), columns=["id", "stage", "days", "threshold",
                                                  "overdue", "amount"])

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        per_stage = [[s, _days(t), format_count(o), format_count(n),
                      format_pct(n / o if o else math.nan)]
                     for s, t, o, n in zip(self.stages, self.thresholds, self.open_by_stage,
                                           self.stale_by_stage, strict=True)
                     if o]
        title = word("stale.title", lang).format(to_iso(self.as_of), self.count, self.open,
                                                 word(f"stale.clock.{self.clock}", lang))
        first = Table(title, [word("stage", lang), word("stale.threshold", lang),
                              word("stale.open", lang), word("stale.stale", lang),
                              word("stale.share", lang)], per_stage)
        deals = [[str(r["id"]), r["stage"], f"{r['days']:.1f}", _days(r["threshold"]),
                  f"{r['overdue']:.1f}", "—" if r["amount"] is None else f"{r['amount']:,.0f}"]
                 for r in self.rows()[:_MAX_ROWS]]
        notes = ([word("surv.shown", lang).format(_MAX_ROWS, self.count)]
                 if self.count > _MAX_ROWS else [])
        second = Table(word("stale.list", lang),
                       [word("stale.deal", lang), word("stage", lang), word("stale.days", lang),
                        word("stale.threshold", lang), word("stale.over", lang),
                        word("stale.amount", lang)], deals, notes=notes, align="<<>>>>")
        return (first, second)

    def __repr__(self) -> str:
        return (f"<Stale as of {to_iso(self.as_of)}: {self.count:,} of {self.open:,} open "
                f"deals past their stage's threshold (clock: {self.clock})>")


def _days(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:g}"


def stale(
    log: EventLog,
    *,
    as_of: Any,
    thresholds: float | Mapping[str, float],
    clock: str = "stage",
    naive: Naive = "raise",
) -> Stale:
    """Open deals that have sat in their stage longer than its threshold, as of a date.

    Parameters
    ----------
    log : EventLog
    as_of : datetime or str
        The date; later events are ignored.
    thresholds : float or mapping of str to float
        Days: one number for every OPEN stage, or a mapping of OPEN stage name to days
        (stages not named never go stale).
    clock : {"stage", "activity"}
        Age since the deal entered its current stage, or since its latest event.
    naive : {"raise", "utc"}
        A naive ``as_of``: refuse it, or read it as UTC.

    Returns
    -------
    Stale
        ``count``, counts per stage and the stale deals, most overdue first.

    Raises
    ------
    InvalidParameterError
        A missing ``as_of``, a threshold below 0 or on a stage that is not OPEN, an
        unknown ``clock``.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import stale
    >>> f = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(
    ...     f, entity=["a", "a", "b", "c"], stage=[0, 1, 0, 0],
    ...     ts=["2026-01-01T00:00Z", "2026-02-20T00:00Z", "2026-02-01T00:00Z",
    ...         "2026-02-25T00:00Z"])
    >>> s = stale(log, as_of="2026-03-01T00:00Z", thresholds={"lead": 14, "demo": 30})
    >>> s.count, s.ids.tolist(), s.days.tolist()
    (1, ['b'], [28.0])
    """
    log = check_log(log)
    cut = to_ns(as_of, parameter="as_of", naive=naive)
    th = thresholds_per_stage(log, thresholds)
    clock = check_choice("clock", clock, options=CLOCKS, where="stale")
    view = K.until(log, cut)
    funnel = log.funnel
    n_stages = len(funnel.stages)
    stage, entered, last = current_runs(view)
    is_open = np.array([st.is_open for st in funnel.stages])
    open_ = is_open[stage] if view.n_entities else np.zeros(0, np.bool_)
    since = entered if clock == "stage" else last
    days = (cut - since) / NS_PER_DAY
    with np.errstate(invalid="ignore"):
        hit = open_ & (days > th[stage])
    amount = K.latest_amount(view)
    over = days - th[stage]
    rows = np.flatnonzero(hit)
    rows = rows[np.lexsort((rows, -over[rows]))]
    open_by = np.bincount(stage[open_], minlength=n_stages)
    stale_by = np.bincount(stage[hit], minlength=n_stages)
    return Stale(cut, clock, funnel.names, tuple(float(x) for x in th),
                 tuple(int(x) for x in open_by), tuple(int(x) for x in stale_by),
                 view.ids[rows], stage[rows], days[rows].astype(np.float64), amount[rows])
