"""``lagged``: a time-lagged reverse plan: leads needed per entry month so that, with the
measured cycle-time distribution, deals close in the months the target needs them.

A lead entering in month ``m`` wins in month ``m + d`` with probability ``f[d]`` (the
*lag distribution*; ``sum(f)`` is the lead-to-win rate). Expected wins in month ``t`` are
``sum_m leads[m] * f[t - m]``: a convolution. The plan inverts it: the entry months run
from ``len(f) - 1`` months before the first target month to the last one, and the leads
are the leanest, then smoothest, non-negative inflow that meets the monthly targets
(few leads whose wins fall outside the target months, little month-to-month change);
where no non-negative inflow meets every target exactly, the closest one in least
squares is taken and the expected wins say by how much it misses.
:func:`lag_distribution` measures ``f`` from an event log by entry-month cohorts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._util._i18n import word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import Naive, to_ns
from salesfunnel.errors import InvalidParameterError, PlanError
from salesfunnel.events import EventLog
from salesfunnel.metrics import _kernels as K
from salesfunnel.planner._common import check_int, check_number, format_count, format_pct

__all__ = ["LaggedPlan", "lag_distribution", "lagged", "nnls"]

_F64 = npt.NDArray[np.float64]


def _month(ns: Any) -> Any:
    return np.asarray(ns, dtype=np.int64).astype("datetime64[ns]").astype(
        "datetime64[M]").astype(np.int64)


def _label(month: int) -> str:
    return str(np.datetime64(int(month), "M"))


def lag_distribution(log: EventLog, *, as_of: Any = None, max_lag: int = 12,
                     naive: Naive = "raise") -> _F64:
    """``f[d]``: the share of leads entering in a month that win ``d`` calendar months
    later, ``d = 0 .. max_lag``, measured by entry-month cohorts.

    A lead enters with its first event and wins with its first WON event. For each lag
    ``d`` only the cohorts whose month ``m + d`` is complete by ``as_of`` (default: the
    last event) count, so recent cohorts do not bias the later lags.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(
    ...     f, entity=[1, 1, 2, 2, 3, 4], stage=[0, 1, 0, 1, 0, 0],
    ...     ts=["2026-01-05T00:00Z", "2026-02-10T00:00Z", "2026-01-07T00:00Z",
    ...         "2026-01-20T00:00Z", "2026-01-09T00:00Z", "2026-02-02T00:00Z"])
    >>> lag_distribution(log, as_of="2026-04-01T00:00Z", max_lag=2).tolist()
    [0.25, 0.25, 0.0]
    """
    if not isinstance(log, EventLog):
        raise PlanError(f"lag_distribution needs an EventLog; got {type(log).__name__}",
                        parameter="log", value=log)
    max_lag = check_int("max_lag", max_lag, where="lag_distribution", low=0, high=600)
    if as_of is not None:
        try:
            cut = to_ns(as_of, parameter="as_of", naive=naive)
        except InvalidParameterError as exc:
            raise PlanError(str(exc), parameter="as_of", value=as_of) from None
        log = K.until(log, cut)
    f = np.zeros(max_lag + 1)
    if not log.n_entities:
        return f
    cut = to_ns(as_of, naive=naive) if as_of is not None else int(log.ts.max())
    # months before the cut month are complete (the cut month is, only at its very end)
    done = int(_month(cut)) - 1
    pr = K.progress(log)
    entry = _month(pr.first_time)
    won = pr.won_time != K.NEVER
    lag = np.where(won, _month(np.where(won, pr.won_time, pr.first_time)) - entry, -1)
    for d in range(max_lag + 1):
        cohort = entry + d <= done
        n = int(cohort.sum())
        if n:
            f[d] = float(((lag == d) & cohort).sum()) / n
    return f


def nnls(a: _F64, b: _F64, max_iter: int = 500) -> _F64:
    """Non-negative least squares ``min ||a x - b||, x >= 0`` (Lawson-Hanson).

    Examples
    --------
    >>> import numpy as np
    >>> nnls(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([2.0, -1.0])).tolist()
    [2.0, 0.0]
    """
    _, n = a.shape
    x = np.zeros(n)
    passive = np.zeros(n, dtype=np.bool_)
    w = a.T @ (b - a @ x)
    tol = 1e-12 * max(1.0, float(np.abs(a).max(initial=0.0))) * max(1.0, float(
        np.abs(b).max(initial=0.0))) * n
    for _ in range(max_iter):
        if passive.all() or (w[~passive] <= tol).all():
            break
        j = int(np.argmax(np.where(passive, -np.inf, w)))
        passive[j] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = float(np.min(x[neg] / (x[neg] - z[neg])))
            x = x + alpha * (z - x)
            passive &= x > 1e-15
            x[~passive] = 0.0
        w = a.T @ (b - a @ x)
    return x


@attrs.frozen(eq=False, repr=False)
class LaggedPlan(Displayable):
    """Leads to enter per month so that expected wins meet monthly targets.

    Attributes
    ----------
    first_month : int
        The first entry month (months since 1970-01).
    leads : numpy.ndarray of float64
        Leads to enter per month, from :attr:`first_month`.
    target : numpy.ndarray of float64
        Wins needed per target month (the last ``len(target)`` months of the plan).
    expected : numpy.ndarray of float64
        Expected wins per plan month with these leads (months before the target ones
        too: wins there come early, the lags' spread).
    lags : numpy.ndarray of float64
        The lag distribution ``f[d]``.
    deal_size : float or None
        Revenue per won deal when the target was revenue.

    Examples
    --------
    >>> plan = lagged([10, 10], lags=[0.0, 0.1], start="2026-03")
    >>> plan.months, plan.leads.round(6).tolist(), plan.expected.round(6).tolist()
    (('2026-02', '2026-03', '2026-04'), [100.0, 100.0, 0.0], [0.0, 10.0, 10.0])
    """

    first_month: int
    leads: _F64
    target: _F64
    expected: _F64
    lags: _F64
    deal_size: float | None = None

    __hash__ = None  # type: ignore[assignment]

    @property
    def months(self) -> tuple[str, ...]:
        """Labels (``"2026-03"``) of the plan months: entry months, ending with the
        target months."""
        return tuple(_label(self.first_month + i) for i in range(len(self.leads)))

    @property
    def total_leads(self) -> float:
        """All leads of the plan."""
        return float(self.leads.sum())

    @property
    def conversion(self) -> float:
        """Lead-to-win rate within the lags (``sum(f)``)."""
        return float(self.lags.sum())

    @property
    def shortfall(self) -> float:
        """Largest shortfall of expected wins below a target month (0 when met)."""
        n = len(self.target)
        gap = self.target - self.expected[len(self.expected) - n:] if n else np.zeros(0)
        worst = float(gap.max(initial=0.0))
        return worst if worst > 1e-9 * max(1.0, float(self.target.max(initial=0.0))) else 0.0

    def rows(self) -> list[dict[str, Any]]:
        """One dict per plan month (JSON-safe)."""
        off = len(self.leads) - len(self.target)
        return [{"month": m, "leads": float(self.leads[i]),
                 "target": to_json_value(float(self.target[i - off])) if i >= off else None,
                 "expected": float(self.expected[i])}
                for i, m in enumerate(self.months)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: totals, the lag distribution and one row per month."""
        return {"total_leads": self.total_leads, "conversion": self.conversion,
                "shortfall": self.shortfall, "deal_size": self.deal_size,
                "lags": [float(x) for x in self.lags], "rows": self.rows()}

    def to_pandas(self) -> Any:
        """One row per plan month (``pandas`` extra)."""
        pd = import_optional("pandas", "pandas", purpose="LaggedPlan.to_pandas")
        return pd.DataFrame(self.rows(), columns=["month", "leads", "target", "expected"])

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        rows = [[r["month"], format_count(math.ceil(r["leads"] - 1e-6)),
                 "—" if r["target"] is None else format_count(r["target"]),
                 format_count(round(r["expected"], 1))] for r in self.rows()]
        title = word("lag.title", lang).format(format_count(math.ceil(self.total_leads - 1e-6)),
                                               format_pct(self.conversion))
        notes = [word("lag.lags", lang).format(
            ", ".join(f"{d}: {format_pct(x)}" for d, x in enumerate(self.lags) if x > 0))]
        if self.shortfall > 1e-6:
            notes.append(word("lag.short", lang).format(format_count(round(self.shortfall, 1))))
        return (Table(title, [word("lag.month", lang), word("lag.leads", lang),
                              word("lag.target", lang), word("lag.expected", lang)], rows,
                      notes=notes),)

    def __repr__(self) -> str:
        return (f"<LaggedPlan {self.months[0]} .. {self.months[-1]}: "
                f"{self.total_leads:,.1f} leads for {float(self.target.sum()):,.1f} wins "
                f"in {len(self.target)} months>")


def lagged(
    target: Sequence[float],
    *,
    start: Any,
    lags: Sequence[float] | None = None,
    log: EventLog | None = None,
    as_of: Any = None,
    max_lag: int = 12,
    deal_size: float | None = None,
    naive: Naive = "raise",
) -> LaggedPlan:
    """Leads needed per entry month so that expected wins meet each month's target.

    Parameters
    ----------
    target : sequence of float
        Wins needed per month from ``start`` (revenue with ``deal_size``).
    start : str or datetime
        The first target month (``"2026-03"`` or any time in it).
    lags : sequence of float, optional
        The lag distribution ``f[d]`` (probability that a lead wins ``d`` months after
        it enters; sum at most 1). Default: measured from ``log``.
    log : EventLog, optional
        A log to measure the lags from (:func:`lag_distribution`).
    as_of : datetime or str, optional
        Cut-off of the measurement (default: the log's last event).
    max_lag : int
        Longest lag measured, in months.
    deal_size : float, optional
        Revenue per won deal: ``target`` is revenue, divided by it.
    naive : {"raise", "utc"}
        Naive times: refuse them, or read them as UTC.

    Returns
    -------
    LaggedPlan

    Raises
    ------
    PlanError
        Neither or both of ``lags`` and ``log``, lags that are not probabilities, an
        empty or negative target.

    Examples
    --------
    >>> plan = lagged([30, 30, 30], lags=[0.05, 0.1, 0.05], start="2026-01")
    >>> plan.expected[-3:].round(6).tolist()   # every target month is met
    [30.0, 30.0, 30.0]
    >>> plan.months[0], plan.leads.round(1).tolist()
    ('2025-11', [150.0, 150.0, 150.0, 150.0, 150.0])
    """
    where = "lagged"
    if (lags is None) == (log is None):
        raise PlanError("lagged takes the lag distribution as 'lags' or measures it from "
                        "'log': give exactly one", parameter="lags", value=lags)
    if log is not None:
        f = lag_distribution(log, as_of=as_of, max_lag=max_lag, naive=naive)
    else:
        try:
            f = np.asarray(lags, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            f = np.full(1, np.nan)
        if not len(f) or not np.all((f >= 0) & (f <= 1)) or f.sum() > 1 + 1e-9:
            raise PlanError(f"The 'lags' parameter of lagged must be probabilities >= 0 "
                            f"with a sum at most 1; got {lags!r}.", parameter="lags",
                            value=lags)
    if f.sum() <= 0:
        raise PlanError("the lag distribution is all zero: no lead ever wins, so no inflow "
                        "meets a target", parameter="lags", value=lags)
    try:
        t = np.asarray(target, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        t = np.full(1, np.nan)
    if not len(t) or not np.all(np.isfinite(t)) or (t < 0).any():
        raise PlanError(f"The 'target' parameter of lagged must be one number >= 0 per "
                        f"month; got {target!r}.", parameter="target", value=target)
    size = None
    if deal_size is not None:
        size = check_number("deal_size", deal_size, where=where, low=0.0, low_open=True)
        t = t / size
    try:
        first_target = int(_month(to_ns(_month_text(start), parameter="start",
                                        naive=naive)))
    except InvalidParameterError as exc:
        raise PlanError(str(exc), parameter="start", value=start) from None
    # trailing zero lags add nothing: trim them
    last = int(np.flatnonzero(f > 0)[-1])
    f = f[:last + 1]
    lead_in = len(f) - 1
    n_t = len(t)
    n_x = n_t + lead_in
    a = np.zeros((n_x, n_x))  # rows: every plan month's wins; columns: entry months
    for m in range(n_x):
        for d, fd in enumerate(f):
            if m + d < n_x:
                a[m + d, m] = fd
    rows = a[lead_in:]
    # entry months too late to win inside the target months get no leads
    live = rows.any(axis=0)
    x = np.zeros(n_x)
    x[live] = _smoothest(rows[:, live], t)
    expected = a @ x
    # months before the first lead carry nothing: start the plan at the first lead
    skip = min(int(np.argmax(x > 0)) if (x > 0).any() else lead_in, lead_in)
    return LaggedPlan(first_target - lead_in + skip, x[skip:], t, expected[skip:], f, size)


def _smoothest(rows: _F64, t: _F64) -> _F64:
    """The leanest, then smoothest, non-negative inflow meeting ``rows @ x = t``.

    First non-negative least squares with a small penalty on the total inflow (leads
    whose wins mostly fall outside the target months cost more than they bring) and on
    month-to-month changes picks the entry months; then, on those months, the smoothest
    exact solution (least squared month-to-month change, through the KKT system of the
    equality-constrained quadratic) is taken when it is non-negative, else the exact
    non-negative least-squares one.
    """
    n_t, n_x = rows.shape
    d = np.diff(np.eye(n_x), axis=0)
    scale = float(np.abs(rows).max())
    lean = 1e-3 * scale * np.ones((1, n_x))
    smooth = 1e-3 * scale * d
    x = nnls(np.vstack([rows, lean, smooth]),
             np.concatenate([t, np.zeros(1 + len(smooth))]))
    support = x > 1e-9 * max(1.0, float(x.max(initial=0.0)))
    if not support.any():
        return x
    a_s = rows[:, support]
    d_s = np.diff(np.eye(int(support.sum())), axis=0)
    q = d_s.T @ d_s + 1e-9 * np.eye(len(d_s) + 1)
    kkt = np.block([[2 * q, a_s.T], [a_s, np.zeros((n_t, n_t))]])
    sol = np.linalg.lstsq(kkt, np.concatenate([np.zeros(len(q)), t]), rcond=None)[0][:len(q)]
    out = np.zeros(n_x)
    fit = a_s @ sol
    if (sol >= -1e-9 * max(1.0, float(np.abs(sol).max()))).all() and np.allclose(
            fit, t, rtol=1e-9, atol=1e-9 * max(1.0, float(t.max(initial=0.0)))):
        out[support] = np.maximum(sol, 0.0)
    else:
        out[support] = nnls(a_s, t)
    return out


def _is_month(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 7 and value[4] == "-"


def _month_text(value: Any) -> Any:
    """``"2026-03"`` as the ISO time of the month's first instant (UTC)."""
    return f"{value}-01T00:00:00Z" if _is_month(value) else value
