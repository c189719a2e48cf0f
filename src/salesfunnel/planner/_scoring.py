"""Deal scoring: a data-driven win probability per open deal, and its calibration.

:class:`DealScorer` learns, for every step ``k -> k + 1`` of the main path, the
probability that a deal at stage ``k`` moves on rather than being lost, from the deal's
attributes (segment values on its first event) and its path so far (the event types it
has had, from an events column). A deal at stage ``k`` wins with the product of the step
probabilities from ``k`` to WON. Only deals whose step is resolved (moved on, or lost at
that stage) train a step, so deals still open do not bias the estimate.

Two methods: ``"logistic"`` (L2-regularized logistic regression fitted by Newton's
method in numpy) and ``"naive_bayes"`` (counts with Laplace smoothing, like Odoo's
predictive lead scoring). :func:`calibration` gives the reliability table and the Brier
score of any probabilities against outcomes, with the stage probabilities as the
reference; :func:`~salesfunnel.planner.forecast` takes the scores as per-deal
probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
from salesfunnel._util._time import Naive, to_iso, to_ns
from salesfunnel.errors import InvalidParameterError, NotFittedError, PlanError
from salesfunnel.events import EventLog
from salesfunnel.events._segment import plain
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._stats import wilson
from salesfunnel.planner._common import check_int, check_number, format_count, format_pct

__all__ = ["METHODS", "Calibration", "DealScorer", "DealScores", "calibration"]

_F64 = npt.NDArray[np.float64]
_I64 = npt.NDArray[np.int64]
METHODS = ("logistic", "naive_bayes")
_LEARNED = ("funnel_", "columns_", "categories_", "event_types_", "coef_", "intercept_",
            "n_train_", "base_rate_")


def _error(name: str, value: Any, expected: str, where: str) -> PlanError:
    return PlanError(f"The {name!r} parameter of {where} must be {expected}; got {value!r}.",
                     parameter=name, value=value)


@attrs.frozen
class _Features:
    """Per entity: segment codes (one column per segment, -1 missing) and event flags."""

    codes: _I64          # (n, n_columns)
    events: npt.NDArray[np.bool_]  # (n, n_event_types)


def _sigmoid(x: _F64) -> _F64:
    out: _F64 = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


class DealScorer(Displayable):
    """Win probability per open deal from its attributes and path (estimator style).

    Parameters
    ----------
    method : {"logistic", "naive_bayes"}
        L2-regularized logistic regression per step, or naive Bayes per step.
    segments : sequence of str, optional
        Segment columns used as attributes (value on the deal's first event). Default:
        every segment column except ``events``.
    events : str, optional
        A segment column whose per-event values are event types: "the deal had an event
        of this type" is a feature.
    l2 : float
        Ridge penalty of the logistic regression (on the log-likelihood sum; the
        intercept is not penalized).
    smoothing : float
        Laplace smoothing of the naive-Bayes counts.

    Attributes
    ----------
    coef_ : numpy.ndarray of float64, shape (n_steps, n_features)
        Logistic coefficients (naive Bayes: log-likelihood ratios) per step.
    intercept_ : numpy.ndarray of float64, shape (n_steps,)
    n_train_ : numpy.ndarray of int64
        Resolved deals that trained each step.
    base_rate_ : numpy.ndarray of float64
        The plain step rate (moved on / resolved) per step.

    Examples
    --------
    >>> import salesfunnel as sf
    >>> from salesfunnel.planner import DealScorer
    >>> f = sf.Funnel("f", [sf.Stage("lead", probability=0.3), sf.Stage("won", kind="won"),
    ...                     sf.Stage("lost", kind="lost")])
    >>> log = sf.simulate(f, n=4000, rates=[0.3], segments={"ch": ["ads", "ref"]},
    ...                   effects={"ch": {"ref": 4.0}}, rng=1)
    >>> scorer = DealScorer().fit(log)
    >>> p = scorer.step_probability(0, {"ch": "ref"}), scorer.step_probability(0, {"ch": "ads"})
    >>> 0.56 < p[0] < 0.68, 0.26 < p[1] < 0.34   # true: 0.632 and 0.3
    (True, True)
    """

    def __init__(self, *, method: str = "logistic", segments: Sequence[str] | None = None,
                 events: str | None = None, l2: float = 1.0, smoothing: float = 1.0) -> None:
        if method not in METHODS:
            raise _error("method", method, f"one of {listing(str(method), METHODS)}",
                         "DealScorer")
        self.method = method
        if isinstance(segments, str):
            segments = [segments]
        self.segments = None if segments is None else list(segments)
        self.events = events
        self.l2 = check_number("l2", l2, where="DealScorer", low=0.0)
        self.smoothing = check_number("smoothing", smoothing, where="DealScorer", low=0.0,
                                      low_open=True)

    def __getattr__(self, name: str) -> Any:
        if name in _LEARNED:
            raise NotFittedError(f"this DealScorer is not fitted yet, so it has no {name!r}; "
                                 "call fit(log)")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has run."""
        return "coef_" in self.__dict__

    def __repr__(self) -> str:
        head = (f"DealScorer(method={self.method!r}, segments={self.segments!r}, "
                f"events={self.events!r}, l2={self.l2!r})")
        if not self.is_fitted:
            return head + "  [not fitted]"
        return (head + f"  [fitted on funnel {self.funnel_.name!r}: "
                f"{len(self.intercept_)} steps, {self.coef_.shape[1]} features, "
                f"{int(self.n_train_.sum()):,} resolved steps]")

    # -- presentation ----------------------------------------------------------------------
    def _rows(self) -> list[dict[str, Any]]:
        path = [st.name for st in self.funnel_.path]
        out = []
        for k in range(len(self.intercept_)):
            w = self.coef_[k]
            top = int(np.argmax(np.abs(w))) if len(w) else -1
            out.append({"step": f"{path[k]} -> {path[k + 1]}", "resolved": int(self.n_train_[k]),
                        "base_rate": to_json_value(float(self.base_rate_[k])),
                        "strongest": self._feature_names()[top] if top >= 0 else None,
                        "weight": to_json_value(float(w[top])) if top >= 0 else None})
        return out

    def _feature_names(self) -> list[str]:
        names = [f"{c}={v}" for c, cats in zip(self.columns_, self.categories_, strict=True)
                 for v in cats]
        return names + [f"{self.events}: {v}" for v in self.event_types_]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: the settings and, once fitted, one row per step."""
        out: dict[str, Any] = {"method": self.method, "segments": self.segments,
                               "events": self.events, "l2": self.l2,
                               "fitted": self.is_fitted}
        if self.is_fitted:
            out["funnel"] = self.funnel_.name
            out["features"] = self._feature_names()
            out["rows"] = self._rows()
        converted: dict[str, Any] = to_json_value(out)
        return converted

    def to_pandas(self) -> Any:
        """One row per step (``pandas`` extra; none before :meth:`fit`)."""
        pd = import_optional("pandas", "pandas", purpose="DealScorer.to_pandas")
        return pd.DataFrame(self._rows() if self.is_fitted else [],
                            columns=["step", "resolved", "base_rate", "strongest", "weight"])

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        if not self.is_fitted:
            return (Table(word("scorer.unfitted", lang).format(self.method), [], []),)
        rows = [[r["step"], format_count(r["resolved"]), format_pct(r["base_rate"]),
                 r["strongest"] or "—", "—" if r["weight"] is None else f"{r['weight']:+.2f}"]
                for r in self._rows()]
        title = word("scorer.title", lang).format(self.method, self.funnel_.name)
        return (Table(title, [word("step.name", lang), word("scorer.resolved", lang),
                              word("scorer.base", lang), word("scorer.strongest", lang),
                              word("scorer.weight", lang)], rows),)

    # -- features ------------------------------------------------------------------------
    def _columns(self, log: EventLog) -> list[str]:
        if self.events is not None and self.events not in log.segments:
            raise _error("events", self.events, "a segment column of the log (options: "
                         f"{listing(str(self.events), list(log.segments))})", "DealScorer")
        if self.segments is None:
            return [c for c in log.segments if c != self.events]
        for c in self.segments:
            if c not in log.segments:
                raise _error("segments", self.segments, "segment columns of the log (options: "
                             f"{listing(str(c), list(log.segments))})", "DealScorer")
        return list(self.segments)

    def _features(self, log: EventLog, before: _I64 | None) -> _Features:
        """Features per entity of ``log``; event types only from events before ``before``
        (per entity, ns) when given."""
        n = log.n_entities
        rows = K.first_event_row(log) if n else np.zeros(0, np.int64)
        codes = np.full((n, len(self.columns_)), -1, dtype=np.int64)
        for j, col in enumerate(self.columns_):
            seg = log.segments[col]
            mine = self.categories_[j]
            index = {v: i for i, v in enumerate(mine)}
            remap = np.array([index.get(plain(v), -1) for v in seg.categories], dtype=np.int64)
            c = seg.codes[rows].astype(np.int64) if n else np.zeros(0, np.int64)
            codes[:, j] = np.where(c >= 0, remap[np.maximum(c, 0)] if len(remap) else -1, -1)
        flags = np.zeros((n, len(self.event_types_)), dtype=np.bool_)
        if self.events is not None and len(self.event_types_) and n:
            seg = log.segments[self.events]
            index = {v: i for i, v in enumerate(self.event_types_)}
            remap = np.array([index.get(plain(v), -1) for v in seg.categories], dtype=np.int64)
            c = seg.codes.astype(np.int64)
            typ = np.where(c >= 0, remap[np.maximum(c, 0)] if len(remap) else -1, -1)
            ok = typ >= 0
            if before is not None:
                ok &= log.ts < before[log.entity]
            flags[log.entity[ok], typ[ok]] = True
        return _Features(codes, flags)

    def _offsets(self) -> _I64:
        sizes = [len(c) for c in self.categories_]
        return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def _design(self, feats: _Features, idx: _I64) -> _F64:
        """Dense one-hot design matrix of the entities ``idx`` (training only)."""
        off = self._offsets()
        n_seg = int(off[-1])
        x = np.zeros((len(idx), n_seg + feats.events.shape[1]), dtype=np.float64)
        r = np.arange(len(idx))
        for j in range(len(self.columns_)):
            c = feats.codes[idx, j]
            ok = c >= 0
            x[r[ok], off[j] + c[ok]] = 1.0
        x[:, n_seg:] = feats.events[idx]
        return x

    def _linear(self, feats: _Features, step: int) -> _F64:
        """Linear predictor of every entity at ``step`` (gathers; no dense matrix)."""
        off = self._offsets()
        w = self.coef_[step]
        eta = np.full(feats.codes.shape[0], float(self.intercept_[step]))
        for j in range(len(self.columns_)):
            c = feats.codes[:, j]
            wj = np.append(w[off[j]:off[j + 1]], 0.0)  # code -1 -> 0
            eta += wj[np.where(c >= 0, c, len(wj) - 1)]
        if feats.events.shape[1]:
            eta += feats.events @ w[int(off[-1]):]
        return eta

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, log: EventLog, *, as_of: Any = None, naive: Naive = "raise") -> DealScorer:
        """Learn the step models from the resolved steps of ``log`` (events at or before
        ``as_of``) and return ``self``.

        Raises
        ------
        PlanError
            A bad log or column.
        """
        if not isinstance(log, EventLog):
            raise _error("log", log, "an EventLog", "DealScorer.fit")
        if as_of is not None:
            log = K.until(log, _ns(as_of, naive))
        columns = self._columns(log)
        self.funnel_ = log.funnel
        self.columns_ = columns
        self.categories_ = [[plain(v) for v in log.segments[c].categories] for c in columns]
        self.event_types_ = ([plain(v) for v in log.segments[self.events].categories]
                             if self.events is not None else [])
        w = K.path_length(log) - 1  # number of steps
        n_feat = int(self._offsets()[-1]) + len(self.event_types_)
        coef = np.zeros((w, n_feat))
        intercept = np.zeros(w)
        n_train = np.zeros(w, dtype=np.int64)
        base = np.full(w, np.nan)
        if log.n_entities:
            dep = K.depth(log).astype(np.int64)
            _, _, is_lost = K.stage_kinds(log.funnel)
            lost = is_lost[K.progress(log).latest_stage]
            ft = K.first_times(log)
        for k in range(w):
            if not log.n_entities:
                break
            moved = dep >= k + 1
            resolved = (dep >= k) & (moved | (lost & (dep == k)))
            idx = np.flatnonzero(resolved)
            n_train[k] = len(idx)
            if not len(idx):
                continue
            y = moved[idx].astype(np.float64)
            base[k] = float(y.mean())
            before = np.where(moved, ft[:, k + 1], K.NEVER)
            feats = self._features(log, before)
            x = self._design(feats, idx)
            if self.method == "logistic":
                intercept[k], coef[k] = _logistic(x, y, self.l2)
            else:
                intercept[k], coef[k] = _naive_bayes(x, y, self._offsets(), self.smoothing)
        self.coef_ = coef
        self.intercept_ = intercept
        self.n_train_ = n_train
        self.base_rate_ = base
        return self

    def step_probability(self, step: int, attributes: Mapping[str, Any],
                         events: Sequence[Any] = ()) -> float:
        """The probability of moving on at ``step`` for one deal described by its segment
        values and its event types (for reading a fitted model)."""
        self._check_fitted()
        step = check_int("step", step, where="DealScorer.step_probability", low=0,
                         high=len(self.intercept_) - 1)
        codes = np.full((1, len(self.columns_)), -1, dtype=np.int64)
        for j, col in enumerate(self.columns_):
            if col in attributes and attributes[col] in self.categories_[j]:
                codes[0, j] = self.categories_[j].index(attributes[col])
        flags = np.zeros((1, len(self.event_types_)), dtype=np.bool_)
        for e in events:
            if e in self.event_types_:
                flags[0, self.event_types_.index(e)] = True
        return float(_sigmoid(self._linear(_Features(codes, flags), step))[0])

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError("this DealScorer is not fitted yet; call fit(log)")

    # -- scoring ------------------------------------------------------------------------------
    def score(self, log: EventLog, *, as_of: Any = None, naive: Naive = "raise") -> DealScores:
        """Win probability of every deal open at ``as_of`` (default: after the last event).

        A deal is open when its latest event is at an OPEN stage; its probability is the
        product of its step probabilities from its depth (highest main-path stage
        reached) to WON.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        PlanError
            A log of another funnel.
        """
        self._check_fitted()
        if not isinstance(log, EventLog):
            raise _error("log", log, "an EventLog", "DealScorer.score")
        if log.funnel != self.funnel_:
            raise _error("log", log, f"a log of funnel {self.funnel_.name!r}", "DealScorer.score")
        cut = _ns(as_of, naive) if as_of is not None else (int(log.ts.max()) if len(log) else 0)
        view = K.until(log, cut)
        n = view.n_entities
        w = len(self.intercept_)
        if n:
            pr = K.progress(view)
            is_open, _, _ = K.stage_kinds(view.funnel)
            open_ = is_open[pr.latest_stage]
            dep = K.depth(view).astype(np.int64)
        else:
            open_ = np.zeros(0, np.bool_)
            dep = np.zeros(0, np.int64)
        idx = np.flatnonzero(open_)
        sub = _Features(np.zeros((0, 0), np.int64), np.zeros((0, 0), np.bool_))
        if len(idx):
            feats = self._features(view, None)
            sub = _Features(feats.codes[idx], feats.events[idx])
        depth = np.clip(dep[idx], 0, w)
        logp = np.zeros(len(idx))
        for k in range(w):
            at = depth <= k
            if not at.any():
                continue
            eta = self._linear(_Features(sub.codes[at], sub.events[at]), k)
            logp[at] += -np.logaddexp(0.0, -eta)  # log sigmoid
        prob = np.exp(logp)
        nominal = np.asarray(view.funnel.probabilities, dtype=np.float64)
        base = np.nan_to_num(self.base_rate_, nan=0.0)
        tail = np.ones(w + 1)
        for k in range(w - 1, -1, -1):
            tail[k] = tail[k + 1] * base[k]
        amount = K.latest_amount(view)[idx]
        stage = (pr.latest_stage[idx].astype(np.int64) if n else np.zeros(0, np.int64))
        return DealScores(
            as_of=cut, method=self.method, stages=view.funnel.names,
            ids=view.ids[idx], stage=stage, depth=depth, probability=prob,
            nominal=nominal[np.minimum(depth, len(nominal) - 1)] if len(idx) else np.zeros(0),
            baseline=tail[depth], amount=amount)


def _ns(value: Any, naive: Naive) -> int:
    try:
        return to_ns(value, parameter="as_of", naive=naive)
    except InvalidParameterError as exc:
        raise PlanError(str(exc), parameter="as_of", value=value) from None


def _logistic(x: _F64, y: _F64, l2: float, max_iter: int = 50) -> tuple[float, _F64]:
    """Ridge logistic regression by Newton's method; returns (intercept, coefficients)."""
    n, p = x.shape
    xa = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(p + 1)
    rate = min(max(float(y.mean()), 1e-6), 1 - 1e-6)
    beta[0] = math.log(rate / (1 - rate))
    pen = np.full(p + 1, l2)
    pen[0] = 0.0
    for _ in range(max_iter):
        mu = _sigmoid(xa @ beta)
        grad = xa.T @ (y - mu) - pen * beta
        wgt = mu * (1 - mu)
        hess = (xa.T * wgt) @ xa + np.diag(pen) + 1e-9 * np.eye(p + 1)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-9:
            break
    return float(beta[0]), beta[1:]


def _naive_bayes(x: _F64, y: _F64, offsets: _I64, alpha: float) -> tuple[float, _F64]:
    """Naive Bayes as a linear model in log-odds: categorical segment columns and
    Bernoulli event flags, Laplace smoothing ``alpha``."""
    pos, neg = y == 1, y == 0
    n1, n0 = float(pos.sum()), float(neg.sum())
    intercept = math.log((n1 + alpha) / (n0 + alpha))
    c1 = x[pos].sum(axis=0)
    c0 = x[neg].sum(axis=0)
    coef = np.zeros(x.shape[1])
    n_seg = int(offsets[-1])
    for j in range(len(offsets) - 1):
        lo, hi = int(offsets[j]), int(offsets[j + 1])
        m = hi - lo
        coef[lo:hi] = (np.log((c1[lo:hi] + alpha) / (n1 + alpha * m))
                       - np.log((c0[lo:hi] + alpha) / (n0 + alpha * m)))
    if x.shape[1] > n_seg:
        p1 = (c1[n_seg:] + alpha) / (n1 + 2 * alpha)
        p0 = (c0[n_seg:] + alpha) / (n0 + 2 * alpha)
        absent = np.log1p(-p1) - np.log1p(-p0)
        coef[n_seg:] = np.log(p1) - np.log(p0) - absent
        intercept += float(absent.sum())
    return intercept, coef


@attrs.frozen(eq=False, repr=False)
class DealScores(Displayable):
    """Scored win probability of every open deal as of a date.

    Attributes
    ----------
    as_of : int
    method : str
    stages : tuple of str
    ids : numpy.ndarray
        The open deals.
    stage, depth : numpy.ndarray of int64
        Current stage and depth (highest main-path stage reached).
    probability : numpy.ndarray of float64
        The scored win probability.
    nominal : numpy.ndarray of float64
        The stage probability of the deal's depth (NaN where the funnel gives none).
    baseline : numpy.ndarray of float64
        The data's plain per-stage win probability (product of step rates, no attributes).
    amount : numpy.ndarray of float64
        Latest known amount (NaN: unknown).
    """

    as_of: int
    method: str
    stages: tuple[str, ...]
    ids: np.ndarray[Any, Any]
    stage: _I64
    depth: _I64
    probability: _F64
    nominal: _F64
    baseline: _F64
    amount: _F64

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.ids)

    def as_mapping(self) -> dict[Any, float]:
        """``{deal id: probability}`` (for :func:`~salesfunnel.planner.forecast`)."""
        return {plain(i): float(p) for i, p in zip(self.ids, self.probability, strict=True)}

    def outcomes(self, log: EventLog) -> npt.NDArray[np.bool_]:
        """Whether each scored deal has a WON event in ``log`` (a later log of the same
        deals); deals not in ``log`` count as not won."""
        if not isinstance(log, EventLog):
            raise _error("log", log, "an EventLog", "DealScores.outcomes")
        won = K.progress(log).won_time != K.NEVER if log.n_entities else np.zeros(0, bool)
        index = {plain(v): i for i, v in enumerate(log.ids.tolist())}
        pos = np.array([index.get(plain(v), -1) for v in self.ids.tolist()], dtype=np.int64)
        out: npt.NDArray[np.bool_] = np.where(pos >= 0, won[np.maximum(pos, 0)]
                                              if len(won) else False, False)
        return out

    def calibration(self, log: EventLog, *, bins: int = 10, level: float = 0.95
                    ) -> Calibration:
        """Reliability table and Brier score of the scores against the outcomes in a later
        ``log``, with the stage probabilities (nominal where defined, else the data's
        plain per-stage rate) as the reference."""
        ref = np.where(np.isnan(self.nominal), self.baseline, self.nominal)
        return calibration(self.probability, self.outcomes(log), bins=bins, level=level,
                           reference={"stage": ref, "baseline": self.baseline})

    def rows(self) -> list[dict[str, Any]]:
        """One dict per open deal (JSON-safe)."""
        return [{"id": to_json_value(plain(self.ids[i])), "stage": self.stages[self.stage[i]],
                 "probability": float(self.probability[i]),
                 "nominal": to_json_value(float(self.nominal[i])),
                 "baseline": float(self.baseline[i]),
                 "amount": to_json_value(float(self.amount[i]))} for i in range(len(self))]

    def _summary(self) -> list[tuple[str, int, float, float, float]]:
        out = []
        for k, name in enumerate(self.stages):
            at = self.stage == k
            if at.any():
                out.append((name, int(at.sum()), float(self.probability[at].mean()),
                            float(np.nanmean(self.nominal[at])) if not np.isnan(
                                self.nominal[at]).all() else math.nan,
                            float(self.probability[at].sum())))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings, a per-stage summary and one row per deal."""
        return {"as_of": to_iso(self.as_of), "method": self.method, "deals": len(self),
                "by_stage": [{"stage": s, "deals": n, "mean_probability": to_json_value(p),
                              "nominal": to_json_value(q), "expected_wins": to_json_value(e)}
                             for s, n, p, q, e in self._summary()],
                "rows": self.rows()}

    def to_pandas(self) -> Any:
        """One row per open deal (``pandas`` extra)."""
        pd = import_optional("pandas", "pandas", purpose="DealScores.to_pandas")
        return pd.DataFrame(self.rows(), columns=["id", "stage", "probability", "nominal",
                                                  "baseline", "amount"])

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        rows = [[s, format_count(n), format_pct(p), format_pct(q), format_count(round(e, 1))]
                for s, n, p, q, e in self._summary()]
        title = word("score.title", lang).format(to_iso(self.as_of), len(self), self.method)
        return (Table(title, [word("stage", lang), word("score.deals", lang),
                              word("score.mean", lang), word("score.nominal", lang),
                              word("score.expected", lang)], rows),)

    def __repr__(self) -> str:
        return (f"<DealScores as of {to_iso(self.as_of)}: {len(self):,} open deals scored "
                f"({self.method}), expected wins {float(self.probability.sum()):,.1f}>")


@attrs.frozen(eq=False, repr=False)
class Calibration(Displayable):
    """Reliability table and Brier score of predicted probabilities against outcomes.

    Attributes
    ----------
    edges : numpy.ndarray of float64
        Bin edges (``bins + 1`` values from 0 to 1).
    n : numpy.ndarray of int64
        Predictions per bin.
    predicted, observed : numpy.ndarray of float64
        Mean predicted probability and observed rate per bin (NaN: empty bin).
    lower, upper : numpy.ndarray of float64
        Wilson interval of the observed rate.
    brier : float
        Mean squared difference between prediction and outcome.
    references : tuple of (str, float)
        The Brier score of each reference prediction.
    level : float

    Examples
    --------
    >>> c = calibration([0.1, 0.1, 0.9, 0.9], [False, False, True, False], bins=2)
    >>> c.n.tolist(), c.observed.tolist(), round(c.brier, 3)
    ([2, 2], [0.0, 0.5], 0.21)
    """

    edges: _F64
    n: _I64
    predicted: _F64
    observed: _F64
    lower: _F64
    upper: _F64
    brier: float
    references: tuple[tuple[str, float], ...] = ()
    level: float = 0.95

    __hash__ = None  # type: ignore[assignment]

    @property
    def count(self) -> int:
        """Number of predictions."""
        return int(self.n.sum())

    @property
    def max_gap(self) -> float:
        """Largest ``|observed - predicted|`` over non-empty bins (NaN if none)."""
        gap = np.abs(self.observed - self.predicted)[self.n > 0]
        return float(gap.max()) if len(gap) else math.nan

    def rows(self) -> list[dict[str, Any]]:
        """One dict per bin (JSON-safe)."""
        return [{"low": float(self.edges[i]), "high": float(self.edges[i + 1]),
                 "n": int(self.n[i]), "predicted": to_json_value(float(self.predicted[i])),
                 "observed": to_json_value(float(self.observed[i])),
                 "lower": to_json_value(float(self.lower[i])),
                 "upper": to_json_value(float(self.upper[i]))} for i in range(len(self.n))]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: Brier scores and the reliability rows."""
        return {"count": self.count, "brier": to_json_value(self.brier),
                "references": {k: to_json_value(v) for k, v in self.references},
                "level": self.level, "rows": self.rows()}

    def to_pandas(self) -> Any:
        """The reliability table (``pandas`` extra)."""
        pd = import_optional("pandas", "pandas", purpose="Calibration.to_pandas")
        return pd.DataFrame(self.rows(), columns=["low", "high", "n", "predicted", "observed",
                                                  "lower", "upper"])

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        rows = [[f"{r['low']:.1f}-{r['high']:.1f}", format_count(r["n"]),
                 format_pct(r["predicted"]), format_pct(r["observed"]),
                 f"[{format_pct(r['lower'])}, {format_pct(r['upper'])}]"]
                for r in self.rows() if r["n"]]
        title = word("calib.title", lang).format(self.count, _brier(self.brier))
        notes = [word("calib.reference", lang).format(k, _brier(v)) for k, v in self.references]
        return (Table(title, [word("calib.bin", lang), word("count", lang),
                              word("calib.predicted", lang), word("calib.observed", lang),
                              word("interval", lang).format(format_pct(self.level, 0))],
                      rows, notes=notes),)

    def __repr__(self) -> str:
        refs = "".join(f", {k} {_brier(v)}" for k, v in self.references)
        return f"<Calibration of {self.count:,} predictions: Brier {_brier(self.brier)}{refs}>"


def _brier(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.4f}"


def calibration(probability: npt.ArrayLike, outcome: npt.ArrayLike, *, bins: int = 10,
                level: float = 0.95, reference: Mapping[str, npt.ArrayLike] | None = None
                ) -> Calibration:
    """Reliability table (equal-width bins) and Brier score of ``probability`` against
    the boolean ``outcome``; each ``reference`` prediction gets its Brier score too.

    Raises
    ------
    PlanError
        Arrays of different lengths, probabilities outside [0, 1], a bad ``bins``.

    Examples
    --------
    >>> c = calibration([0.2, 0.8], [False, True], reference={"coin": [0.5, 0.5]})
    >>> round(c.brier, 2), c.references
    (0.04, (('coin', 0.25),))
    """
    where = "calibration"
    bins = check_int("bins", bins, where=where, low=1, high=1000)
    level = check_number("level", level, where=where, low=0.0, high=1.0, low_open=True,
                         high_open=True)
    p = _probabilities(probability, "probability")
    try:
        y = np.asarray(outcome, dtype=np.bool_)
    except (TypeError, ValueError):
        raise _error("outcome", outcome, "booleans", where) from None
    if y.shape != p.shape:
        raise _error("outcome", outcome, f"one boolean per probability ({len(p)})", where)
    edges = np.linspace(0.0, 1.0, bins + 1)
    b = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    n = np.bincount(b, minlength=bins).astype(np.int64)
    k = np.bincount(b, weights=y.astype(np.float64), minlength=bins)
    s = np.bincount(b, weights=p, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = s / n
        obs = k / n
    lo, hi = wilson(k, n, level)
    brier = float(np.mean((p - y) ** 2)) if len(p) else math.nan
    refs = []
    for name, values in (reference or {}).items():
        r = _probabilities(values, f"reference[{name!r}]")
        if r.shape != p.shape:
            raise _error("reference", name, f"one probability per prediction ({len(p)})", where)
        refs.append((str(name), float(np.mean((r - y) ** 2)) if len(r) else math.nan))
    return Calibration(edges, n, pred, obs, lo, hi, brier, tuple(refs), level)


def _probabilities(values: Any, name: str) -> _F64:
    try:
        p = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise _error(name, values, "probabilities in [0, 1]", "calibration") from None
    if not np.all((p >= 0) & (p <= 1)):
        raise _error(name, values, "probabilities in [0, 1]", "calibration")
    return p
