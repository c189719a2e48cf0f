"""Monte Carlo forecast of the revenue the open pipeline wins by a horizon."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._result import Part
from salesfunnel._display._table import Table
from salesfunnel._simulation import generator
from salesfunnel._util._i18n import WORDS, word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._time import (
    NS_PER_DAY,
    TS_MAX,
    TS_MIN,
    Naive,
    aware_datetime,
    duration_ns,
    elapsed_ns,
    to_ns,
)
from salesfunnel.errors import InvalidParameterError, PlanError
from salesfunnel.events import EventLog
from salesfunnel.model import Labels
from salesfunnel.planner._common import (
    Report,
    Row,
    check_int,
    check_number,
    format_count,
    format_pct,
    plan_error,
    rows_frame,
)
from salesfunnel.planner._markov import MarkovModel
from salesfunnel.planner._scoring import DealScores

__all__ = ["Forecast", "ForecastStage", "forecast"]

_F64 = npt.NDArray[np.float64]
#: Simulations per chunk: chunk x deals float32 uniforms stay around 10-40 MB.
_CHUNK_CELLS = 2_500_000


@attrs.frozen
class ForecastStage(Row):
    """The open deals of one stage and what they are expected to bring by the horizon."""

    stage: str
    label: Labels
    deals: int
    amount: float
    win_probability: float
    close_probability: float
    expected: float


@attrs.frozen(eq=False, repr=False)
class Forecast(Report):
    """The distribution of revenue won from the open pipeline by ``as_of + horizon``.

    Summaries: ``mean``, ``std``, ``p10``, ``p50``, ``p90``, ``quantile(q)`` and
    ``p_target``.

    Attributes
    ----------
    as_of : datetime
    horizon_days : float
    n_sims : int
    n_open : int
        Open deals at ``as_of``.
    probabilities : {"observed", "nominal"}
    unit : {"amount", "deals"}
        ``"deals"`` when the log has no amounts (each won deal counts 1).
    samples : ndarray of float64
        Won revenue in each simulation.
    expected : float
        The exact expectation (sum of amount x win probability x close probability);
        the simulated ``mean`` converges to it.
    target : float or None
        The revenue to reach; ``p_target`` is the share of simulations reaching it.
    by_stage : tuple of ForecastStage
    entity_ids : ndarray
        Ids of the open deals; ``deal_probability`` is each one's chance of being won
        by the horizon and ``deal_amount`` its amount.
    notes : tuple of str
        Fall-backs taken (stages without an observed probability, no won deals, ...).
    """

    as_of: datetime
    horizon_days: float
    n_sims: int
    n_open: int
    probabilities: str
    unit: str
    samples: _F64
    expected: float
    target: float | None
    by_stage: tuple[ForecastStage, ...]
    entity_ids: np.ndarray[Any, Any]
    deal_probability: _F64
    deal_amount: _F64
    notes: tuple[str, ...] = ()

    @property
    def mean(self) -> float:
        """Mean won revenue over the simulations."""
        return float(self.samples.mean()) if self.samples.size else math.nan

    @property
    def std(self) -> float:
        """Standard deviation of won revenue over the simulations."""
        return float(self.samples.std()) if self.samples.size else math.nan

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (0..1) of won revenue."""
        q = check_number("q", q, where="Forecast.quantile", low=0.0, high=1.0)
        return float(np.quantile(self.samples, q))

    @property
    def p10(self) -> float:
        """10th percentile: a pessimistic outcome."""
        return self.quantile(0.1)

    @property
    def p50(self) -> float:
        """Median won revenue."""
        return self.quantile(0.5)

    @property
    def p90(self) -> float:
        """90th percentile: an optimistic outcome."""
        return self.quantile(0.9)

    @property
    def p_target(self) -> float | None:
        """Share of simulations whose won revenue reaches ``target`` (``None`` without one)."""
        if self.target is None:
            return None
        return float(np.mean(self.samples >= self.target))

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        end = (self.as_of + timedelta(days=self.horizon_days)).date().isoformat()
        what = word("fc.deals" if self.unit == "deals" else "fc.revenue", lang)
        probabilities = (word(f"fc.prob.{self.probabilities}", lang)
                         if f"fc.prob.{self.probabilities}" in WORDS else self.probabilities)
        head = word("fc.head", lang).format(
            what=what, end=end, days=format_count(self.horizon_days),
            start=self.as_of.date().isoformat(), n=format_count(self.n_open),
            sims=format_count(self.n_sims), prob=probabilities)
        line = word("fc.line", lang).format(*(format_count(round(q)) for q in (
            self.mean, self.p10, self.p50, self.p90)))
        parts = [head, line]
        if self.target is not None:
            parts.append(word("fc.p_target", lang).format(format_count(self.target),
                                                          format_pct(self.p_target)))
        headers = [word(k, lang) for k in ("stage", "deals", "fc.amount", "win prob",
                                           "closes in time", "expected")]
        body = [[s.label.text(lang) or s.stage, format_count(s.deals),
                 format_count(round(s.amount)),
                 format_pct(s.win_probability), format_pct(s.close_probability),
                 format_count(round(s.expected))] for s in self.by_stage]
        return (Table("\n".join(parts), headers, body,
                      notes=[word("fc.note", lang).format(n) for n in self.notes]),)

    def __repr__(self) -> str:
        tgt = "" if self.target is None else (
            f", P(>= {format_count(self.target)}) = {format_pct(self.p_target)}")
        return (f"<Forecast: {self.n_open:,} open deals, {format_count(self.horizon_days)} days, "
                f"{self.n_sims:,} sims: mean {self.mean:,.0f}, p10 {self.p10:,.0f}, "
                f"p50 {self.p50:,.0f}, p90 {self.p90:,.0f}{tgt}>")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (without the raw samples)."""
        out: dict[str, Any] = to_json_value({
                "as_of": self.as_of.isoformat(), "horizon_days": self.horizon_days,
                "n_sims": self.n_sims, "n_open": self.n_open,
                "probabilities": self.probabilities, "unit": self.unit,
                "expected": self.expected, "mean": self.mean, "std": self.std,
                "p10": self.p10, "p50": self.p50, "p90": self.p90, "target": self.target,
                "p_target": self.p_target, "by_stage": [s.to_dict() for s in self.by_stage],
                "notes": list(self.notes),
            })
        return out

    def to_pandas(self) -> Any:
        """The per-stage breakdown as a :class:`pandas.DataFrame` (``pandas`` extra)."""
        return rows_frame(self.by_stage, ForecastStage, index="stage",
                          purpose="Forecast.to_pandas")


def _as_of_ns(value: Any, parameter: str, naive: str) -> tuple[int, datetime]:
    """``value`` as ns (checked by the time module: range, naive policy) and as an aware
    datetime (a given datetime or offset is kept)."""
    try:
        ns = to_ns(value, parameter=parameter, naive=naive)
        when = aware_datetime(value, parameter=parameter, naive=naive)
    except InvalidParameterError as exc:
        raise PlanError(f"the {parameter!r} parameter of forecast: {exc}",
                        parameter=parameter, value=value) from None
    return ns, when


#: The most simulations of one forecast (800 MB of samples).
MAX_SIMS = 10**8
#: The longest horizon (days): the span of the representable times, ``TS_MAX - TS_MIN``
#: ns (about 584 years). Every close duration a log can show is shorter.
MAX_HORIZON_DAYS = (TS_MAX - TS_MIN) / NS_PER_DAY


def _horizon_days(value: Any) -> float:
    if isinstance(value, timedelta | np.timedelta64):
        try:
            value = duration_ns(value, parameter="horizon") / NS_PER_DAY
        except InvalidParameterError as exc:
            raise PlanError(f"the 'horizon' parameter of forecast: {exc}",
                            parameter="horizon", value=value) from None
    return check_number("horizon", value, where="forecast", low=0.0, low_open=True,
                        high=MAX_HORIZON_DAYS,
                        expected="a positive number of days up to the widest time span "
                                 f"({MAX_HORIZON_DAYS:,.0f} days, about 584 years) or a "
                                 "timedelta")


def _truncate(log: EventLog, as_of_ns: int) -> tuple[EventLog, np.ndarray[Any, Any]]:
    """The events at or before ``as_of`` (entities re-coded) and their original ids."""
    keep = log.ts <= as_of_ns
    if keep.all():
        return log, log.ids
    sub = EventLog.from_arrays(
        log.funnel, entity=log.entity[keep], stage=log.stage[keep], ts=log.ts[keep],
        unit="ns", amount=None if log.amount is None else log.amount[keep],
    )
    return sub, log.ids[sub.ids]


def _per_deal(given: Any, deal_ids: np.ndarray[Any, Any], stage_p: _F64,
              notes: list[str]) -> _F64:
    """Per-deal probabilities from ``given`` (DealScores or mapping), else ``stage_p``."""
    if isinstance(given, DealScores):
        given = given.as_mapping()
    if not isinstance(given, Mapping):
        raise plan_error("deal_probabilities", given, "DealScores or a mapping of deal id to "
                         "probability", where="forecast")
    out = stage_p.copy()
    missing = 0
    for i, key in enumerate(deal_ids.tolist()):
        value = given.get(key)
        if value is None:
            missing += 1
            continue
        out[i] = check_number("deal_probabilities", value, where="forecast", low=0.0,
                              high=1.0)
    notes.append(f"per-deal probabilities for {len(deal_ids) - missing:,} of "
                 f"{len(deal_ids):,} open deals")
    if missing:
        notes.append(f"{missing:,} open deal{'s' if missing != 1 else ''} without a per-deal "
                     "probability kept the stage's")
    return out


def forecast(
    log: EventLog,
    *,
    as_of: datetime | str | np.datetime64,
    horizon: float | timedelta,
    n_sims: int = 10_000,
    target: float | None = None,
    probabilities: Literal["observed", "nominal"] = "observed",
    model: MarkovModel | None = None,
    rng: int | np.random.Generator | None = None,
    naive: Naive = "raise",
    deal_probabilities: DealScores | Mapping[Any, float] | None = None,
) -> Forecast:
    """Simulate the open pipeline: how much will it win by ``as_of + horizon``?

    Only events up to ``as_of`` are used, so a forecast can be back-tested on history.
    A deal is open when its latest event is at an OPEN stage. In each simulation every
    open deal

    * wins with its current stage's probability: ``"observed"`` from a
      :class:`MarkovModel` fitted on the log (or the ``model`` given), ``"nominal"``
      from the funnel's stage probabilities;
    * closes after a time drawn from the durations of the log's won deals, measured
      from the moment they first reached the deal's stage (depth semantics) to their
      first WON event, among those longer than the time the deal has already spent in
      its stage (a residual-life bootstrap). A deal older than every won deal draws from
      all durations instead.

    It counts when both happen by the horizon. With the durations of a stage sorted, the
    bootstrap draw is taken from the same uniform as the win (given a win, ``u / p`` is
    uniform again), so a deal counts exactly when ``u < p x q``, ``q`` being the share of
    eligible durations that end within the horizon: one random number per deal and
    simulation, chunked over simulations.

    Parameters
    ----------
    log : EventLog
    as_of : datetime, ISO 8601 string or numpy.datetime64
        The moment of the forecast (timezone-aware).
    horizon : float or timedelta
        Days (or a timedelta) after ``as_of``.
    n_sims : int
        Simulations.
    target : float, optional
        Revenue to reach; adds :attr:`Forecast.p_target`.
    probabilities : {"observed", "nominal"}
        Where the win probabilities come from. Observed stages without an estimate fall
        back to the nominal probability, else 0 (listed in ``notes``).
    model : MarkovModel, optional
        A fitted model to take observed probabilities from (default: fit one).
    rng : None, int or numpy.random.Generator
        Randomness; the same seed gives the same forecast.
    naive : {"raise", "utc"}
        A naive ``as_of`` (no UTC offset): refuse it, or read it as UTC.
    deal_probabilities : DealScores or mapping, optional
        Per-deal win probabilities (e.g. :meth:`DealScorer.score
        <salesfunnel.planner.DealScorer.score>`, or ``{deal id: probability}``) used
        instead of the stage probability for the deals they name; the others keep their
        stage's (counted in ``notes``).

    Returns
    -------
    Forecast
        A deal whose amount is unknown (missing, NaN in the log) is valued at its latest
        known amount; with none it is left out of every amount (samples, expected,
        per-stage amounts), and a note counts those deals.

    Raises
    ------
    PlanError
        Naming the parameter and the value.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("lead", probability=0.2), Stage("deal", probability=0.6),
    ...                  Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> log = EventLog.from_arrays(
    ...     f, unit="D", amount=[10, 10, 10, 20, 20, 5, 5],
    ...     entity=[1, 1, 1, 2, 2, 3, 3], stage=[0, 1, 2, 0, 3, 0, 1],
    ...     ts=[0, 10, 40, 0, 5, 0, 50])
    >>> fc = forecast(log, as_of="1970-03-01T00:00:00+00:00", horizon=90,
    ...               probabilities="nominal", n_sims=2_000, rng=1)
    >>> fc.n_open, fc.expected   # deal 3 (5 at 60 %, always closes within 90 days)
    (1, 3.0)
    >>> sorted(set(fc.samples.tolist()))
    [0.0, 5.0]
    """
    if not isinstance(log, EventLog):
        raise PlanError(f"forecast needs an EventLog; got {type(log).__name__}",
                        parameter="log", value=log)
    as_of_ns, as_of_dt = _as_of_ns(as_of, "as_of", naive)
    horizon_d = _horizon_days(horizon)
    sims = check_int("n_sims", n_sims, where="forecast", high=MAX_SIMS,
                     expected=f"an integer in [1, {MAX_SIMS:,}]")
    tgt = None if target is None else check_number("target", target, where="forecast", low=0.0)
    if probabilities not in ("observed", "nominal"):
        raise PlanError(
            f"the 'probabilities' parameter of forecast must be 'observed' or 'nominal'; "
            f"got {probabilities!r}",
            parameter="probabilities", value=probabilities,
        )
    if model is not None and not (isinstance(model, MarkovModel) and model.is_fitted):
        raise plan_error("model", model, "a fitted MarkovModel", where="forecast")
    gen = generator(rng, where="forecast", error=PlanError)
    funnel = log.funnel
    n_stages = len(funnel.stages)
    notes: list[str] = []

    sub, ids = _truncate(log, as_of_ns)
    srt = sub.sorted_by_entity_time()
    e, s, t = srt.entity, srt.stage.astype(np.int64), srt.ts
    n_ent = sub.n_entities
    last_row = srt.ends - 1
    current = s[last_row] if n_ent else np.zeros(0, np.int64)
    is_open_stage = np.array([st.is_open for st in funnel.stages])
    open_mask = is_open_stage[current] if n_ent else np.zeros(0, np.bool_)
    # Time the deal entered its current stage: the first event of its last run of events
    # at that stage.
    run_start = np.ones(len(e), dtype=np.bool_)
    if len(e):
        run_start[1:] = (e[1:] != e[:-1]) | (s[1:] != s[:-1])
    run_rows = np.flatnonzero(run_start)
    last_run = run_rows[np.searchsorted(run_rows, last_row, side="right") - 1] if n_ent \
        else np.zeros(0, np.int64)
    entered_ns = t[last_run]
    deal_stage = current[open_mask]
    open_entered = entered_ns[open_mask]
    deal_age = elapsed_ns(np.full(open_entered.shape, as_of_ns, dtype=np.int64),
                          open_entered).astype(np.float64)
    if sub.amount is None:
        deal_amount = np.ones(int(open_mask.sum()))
        unit = "deals"
    else:
        deal_amount = sub.amount[srt.order[last_row]][open_mask].astype(np.float64)
        unit = "amount"
        unknown = np.isnan(deal_amount)
        if unknown.any():
            # A missing amount is unknown: take the deal's latest known amount, else
            # leave the deal out of the amounts (it still counts as an open deal).
            from salesfunnel.metrics._kernels import latest_amount

            known = latest_amount(sub)[np.flatnonzero(open_mask)]
            deal_amount = np.where(unknown, known, deal_amount)
            n_unknown = int(np.isnan(deal_amount).sum())
            if n_unknown:
                notes.append(f"{n_unknown:,} open deal{'s have' if n_unknown != 1 else ' has'} "
                             "no known amount; left out of the amounts")
                deal_amount = np.nan_to_num(deal_amount, nan=0.0)
    deal_ids = ids[np.flatnonzero(open_mask)]

    # Win probability per stage.
    nominal = funnel.probabilities
    if probabilities == "nominal":
        missing = [funnel.names[k] for k in np.unique(deal_stage) if np.isnan(nominal[k])]
        if missing:
            raise PlanError(
                f"probabilities='nominal' needs a probability on every stage with open "
                f"deals; stages {missing} of funnel {funnel.name!r} have none",
                parameter="probabilities", value=probabilities,
            )
        stage_p = np.nan_to_num(nominal)
    else:
        if model is None:
            model = MarkovModel().fit(sub)
        elif model.funnel_ != funnel:
            raise PlanError(
                f"the 'model' was fitted on funnel {model.funnel_.name!r}, not on the log's "
                f"funnel {funnel.name!r}",
                parameter="model", value=model,
            )
        stage_p = np.array(model.win_probability_, dtype=np.float64)
        for k in np.unique(deal_stage):
            if np.isnan(stage_p[k]):
                fallback = nominal[k]
                name = funnel.names[k]
                if np.isnan(fallback):
                    notes.append(f"stage {name!r} has no observed win probability and no "
                                 "nominal one; its deals count as lost")
                    stage_p[k] = 0.0
                else:
                    notes.append(f"stage {name!r} has no observed win probability; used the "
                                 f"nominal {format_pct(float(fallback))}")
                    stage_p[k] = fallback
    deal_p = stage_p[deal_stage] if deal_stage.size else np.zeros(0)
    if deal_probabilities is not None:
        deal_p = _per_deal(deal_probabilities, ids[np.flatnonzero(open_mask)], deal_p, notes)

    # Close-by-horizon probability from the won deals' stage-to-close durations.
    won = funnel.won_index
    horizon_ns = horizon_d * NS_PER_DAY
    deal_q = np.ones(deal_stage.size)
    if n_ent and deal_stage.size:
        from salesfunnel.metrics._kernels import first_times

        ft = first_times(sub)
        won_rows = ft[:, won] != np.iinfo(np.int64).max
        if not won_rows.any():
            notes.append("no won deal in the log before as_of: close times unknown, every "
                         "winning deal is assumed to close within the horizon")
        else:
            ftw = ft[won_rows]
            for k in np.unique(deal_stage):
                d = np.sort(elapsed_ns(ftw[:, won], ftw[:, k]).astype(np.float64))
                at = deal_stage == k
                age = deal_age[at]
                older = np.searchsorted(d, age, side="right")      # durations <= age
                inside = np.searchsorted(d, age + horizon_ns, side="right")
                eligible = d.size - older
                with np.errstate(invalid="ignore", divide="ignore"):
                    q = (inside - older) / eligible
                overdue = eligible == 0
                q[overdue] = np.searchsorted(d, horizon_ns, side="right") / d.size
                deal_q[at] = q
    thr = deal_p * deal_q
    expected = float(np.dot(thr, deal_amount))

    # The Monte Carlo: one float32 uniform per deal and simulation.
    samples = np.zeros(sims, dtype=np.float64)
    live = thr > 0
    if live.any():
        thr32 = thr[live].astype(np.float32)
        amt = deal_amount[live]
        m = int(live.sum())
        chunk = max(1, min(sims, _CHUNK_CELLS // m))
        u = np.empty((chunk, m), dtype=np.float32)
        hit = np.empty((chunk, m), dtype=np.float64)
        for start in range(0, sims, chunk):
            k = min(chunk, sims - start)
            gen.random(out=u[:k], dtype=np.float32)
            np.less(u[:k], thr32, out=hit[:k])
            samples[start:start + k] = hit[:k] @ amt

    by_stage = []
    for k in range(n_stages):
        at = deal_stage == k
        if not at.any():
            continue
        st = funnel.stages[k]
        amount_k = float(deal_amount[at].sum())
        by_stage.append(ForecastStage(
            stage=st.name, label=st.label, deals=int(at.sum()), amount=amount_k,
            win_probability=float(stage_p[k]),
            close_probability=float(np.dot(deal_q[at], deal_amount[at]) / amount_k)
            if amount_k else float(deal_q[at].mean()),
            expected=float(np.dot(thr[at], deal_amount[at])),
        ))
    if not deal_stage.size:
        notes.append("no open deal at as_of: nothing to forecast")
    deal_ids = np.array(deal_ids)
    for arr in (samples, thr, deal_amount, deal_ids):
        arr.flags.writeable = False
    return Forecast(
        as_of=as_of_dt, horizon_days=horizon_d, n_sims=sims, n_open=int(deal_stage.size),
        probabilities=probabilities, unit=unit, samples=samples, expected=expected,
        target=tgt, by_stage=tuple(by_stage), entity_ids=deal_ids,
        deal_probability=thr, deal_amount=deal_amount, notes=tuple(notes),
    )
