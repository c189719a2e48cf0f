"""An absorbing Markov chain over a funnel's stages, estimated from observed moves.

Open stages are transient; the WON stage and the LOST stages are absorbing. The
fundamental matrix ``N = (I - Q)^-1`` of the transient part gives the probability of
winning from every stage, the expected number of moves until a deal closes and, with
the mean time spent in each stage, the expected time to close.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._format import MISSING
from salesfunnel._display._result import Part
from salesfunnel._display._table import Table, render_text
from salesfunnel._engine import PartitionedLog, resolve_workers
from salesfunnel._util._i18n import word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._time import NS_PER_DAY, TS_MAX, TS_MIN, elapsed_ns
from salesfunnel._util._validate import check_bool
from salesfunnel.dask import DaskLog
from salesfunnel.errors import NotFittedError, PlanError
from salesfunnel.events import EventLog
from salesfunnel.metrics._parallel import run_partitioned
from salesfunnel.model import Funnel, Labels, StageKind
from salesfunnel.planner._common import (
    Report,
    Row,
    check_number,
    format_count,
    format_pct,
    rows_frame,
)

__all__ = ["MarkovModel", "NominalComparison", "NominalRow"]

_F64 = npt.NDArray[np.float64]


@attrs.frozen
class NominalRow(Row):
    """One stage: its nominal probability next to the observed chance of winning."""

    stage: str
    label: Labels
    nominal: float
    observed: float
    difference: float
    visits: int


@attrs.frozen(repr=False)
class NominalComparison(Report):
    """Nominal stage probabilities against the observed probabilities of winning.

    ``rows`` holds one :class:`NominalRow` per open stage; :attr:`findings` words the
    large gaps ("your 50 % stage 'shortlist' wins 31 % of the time").
    """

    funnel: str
    rows: tuple[NominalRow, ...]
    threshold: float = 0.05

    @property
    def findings(self) -> tuple[str, ...]:
        """One sentence per stage whose observed probability differs by ``threshold`` or more."""
        return self._findings("en")

    def _findings(self, lang: str) -> tuple[str, ...]:
        out = []
        for r in self.rows:
            if np.isnan(r.difference) or abs(r.difference) < self.threshold:
                continue
            out.append(word("nominal.finding", lang).format(
                format_pct(r.nominal), r.label.text(lang) or r.stage, format_pct(r.observed)))
        return tuple(out)

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        headers = [word(k, lang) for k in ("stage", "nominal", "observed", "difference",
                                            "markov.visits")]
        body = [
            [r.label.text(lang) or r.stage, format_pct(r.nominal), format_pct(r.observed),
             _pp(r.difference), format_count(r.visits)]
            for r in self.rows
        ]
        title = word("nominal.title", lang).format(
            word("pp", lang).format(f"{100 * self.threshold:g}"))
        return (Table(title, headers, body, notes=self._findings(lang)),)

    def __repr__(self) -> str:
        return (f"<NominalComparison {self.funnel!r}: {len(self.rows)} stages, "
                f"{len(self.findings)} off by {self.threshold:.0%} or more>")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        out: dict[str, Any] = to_json_value({
            "funnel": self.funnel, "rows": [r.to_dict() for r in self.rows],
            "findings": list(self.findings)})
        return out

    def to_pandas(self) -> Any:
        """The rows as a :class:`pandas.DataFrame` (needs the ``pandas`` extra)."""
        return rows_frame(self.rows, NominalRow, index="stage",
                          purpose="NominalComparison.to_pandas")


#: The largest ``smoothing`` pseudo-count (larger ones only drown the data, and their
#: row sums leave the float range).
MAX_SMOOTHING = 1e12

#: The longest mean holding time of :meth:`MarkovModel.from_matrix`, in days: the span
#: of the representable times (about 584 years).
MAX_HOLDING_DAYS = (TS_MAX - TS_MIN) / NS_PER_DAY

_LEARNED = (
    "funnel_", "counts_", "transition_matrix_", "visits_", "exits_", "entry_",
    "holding_days_", "fundamental_", "transient_", "absorbing_", "absorption_",
    "win_probability_", "expected_steps_", "expected_days_", "expected_days_to_win_",
    "reentry_probability_", "n_entities_", "n_moves_",
)


class MarkovModel(Report):
    """An absorbing Markov chain over a funnel's stages (estimator style).

    :meth:`fit` counts the moves between consecutive events of each entity
    (advances, skips, fall-backs and losses alike) and returns ``self``; the learned
    attributes end in ``_``. Repeated events at the same stage are not moves.

    Absorbing states: the WON stage and every LOST stage. Moves out of them (re-entry
    of a cyclic funnel after WON, a lost deal revived by an explicit transition) start
    a new episode: they are counted in :attr:`counts_` and, for WON, in
    :attr:`reentry_probability_`, but not in :attr:`transition_matrix_`; the moves of
    every later episode count like any other. An open stage with no observed way out
    has an unknown row (NaN), and so has every result of a stage that can reach it.
    Open stages that cannot reach an absorbing stage never close: they win with
    probability 0 and take infinitely long.

    Parameters
    ----------
    smoothing : float
        Pseudo-count added to every move the funnel allows from an open stage
        (additive smoothing; 0 uses the observed frequencies as they are), at most
        ``1e12``.

    Attributes
    ----------
    funnel_ : Funnel
    counts_ : ndarray of int64, (n_stages, n_stages)
        Observed moves from row stage to column stage.
    transition_matrix_ : ndarray of float64, (n_stages, n_stages)
        Estimated move probabilities; absorbing rows are the identity.
    visits_ : ndarray of int64
        Entries into each stage.
    exits_ : ndarray of int64
        Observed moves out of each stage.
    entry_ : ndarray of float64
        Share of entities whose first event is at each stage.
    holding_days_ : ndarray of float64
        Mean days in a stage before the next observed move (NaN without moves).
    transient_, absorbing_ : ndarray of int64
        Stage indices of the transient (open) and absorbing (WON, LOST) stages.
    fundamental_ : ndarray of float64, (n_transient, n_transient)
        ``N = (I - Q)^-1``: expected visits to column stage starting from row stage.
    absorption_ : ndarray of float64, (n_stages, n_absorbing)
        Probability of ending in each absorbing stage, from every stage.
    win_probability_ : ndarray of float64
        Probability of winning from each stage (1 for WON, 0 for LOST).
    expected_steps_ : ndarray of float64
        Expected moves until closing (won or lost).
    expected_days_ : ndarray of float64
        Expected days until closing, from the mean holding times.
    expected_days_to_win_ : ndarray of float64
        Expected days until winning, among deals that win.
    reentry_probability_ : float
        Share of WON entries followed by a move out of WON (NaN when none was won).
    n_entities_, n_moves_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> f = Funnel("f", [Stage("lead", probability=0.3), Stage("deal", probability=0.6),
    ...                  Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> log = EventLog.from_arrays(
    ...     f, entity=[1, 1, 1, 2, 2, 3, 3, 3, 4, 4], unit="D",
    ...     stage=["lead", "deal", "won", "lead", "lost", "lead", "deal", "lost",
    ...            "lead", "deal"],
    ...     ts=[0, 10, 30, 0, 5, 0, 20, 40, 0, 8])
    >>> model = MarkovModel().fit(log)
    >>> model.transition_matrix_[0].tolist()   # lead: 3 of 4 advanced, 1 lost
    [0.0, 0.75, 0.0, 0.25]
    >>> model.win_probability_.round(3).tolist()
    [0.375, 0.5, 1.0, 0.0]
    >>> print(model.compare_nominal())
    Nominal vs observed probability of winning (5 pp or more apart is flagged)
    stage  nominal  observed  difference  visits
    -----  -------  --------  ----------  ------
    lead     30.0%     37.5%     +7.5 pp       4
    deal     60.0%     50.0%    -10.0 pp       3
    your 30.0% stage 'lead' wins 37.5% of the time
    your 60.0% stage 'deal' wins 50.0% of the time
    """

    def __init__(self, *, smoothing: float = 0.0) -> None:
        self.smoothing = smoothing

    # -- unfitted use ----------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in _LEARNED:
            raise NotFittedError(
                f"this MarkovModel is not fitted yet, so it has no {name!r}; call "
                "fit(log) or build it with MarkovModel.from_matrix(...)"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`from_matrix`) has run."""
        return "transition_matrix_" in self.__dict__

    def __repr__(self) -> str:
        if not self.is_fitted:
            return f"MarkovModel(smoothing={self.smoothing!r})  [not fitted]"
        return (f"MarkovModel(smoothing={self.smoothing!r})  [fitted on funnel "
                f"{self.funnel_.name!r}: {self.n_moves_:,} moves of {self.n_entities_:,} "
                f"entities]")

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, log: EventLog | PartitionedLog | DaskLog, *, workers: int | None = None,
            progress: bool = False) -> MarkovModel:
        """Estimate the chain from the moves in ``log`` and return ``self``.

        Parameters
        ----------
        log : EventLog, PartitionedLog or salesfunnel.dask.DaskLog
            The moves are counted per entity partition and the counts added, on threads
            here or on the workers of a Dask cluster (a ``DaskLog``): the fit is the same.
        workers : int, optional
            Threads: the moves are counted per entity partition and the counts added
            (the fit is the same for every number of workers). Default: the library
            option (:func:`salesfunnel.set_options`). Not used for a ``DaskLog``.
        progress : bool
            Show a progress bar on stderr (on a terminal, for work over a few seconds).
            Not used for a ``DaskLog`` (Dask has its own dashboard).

        Returns
        -------
        MarkovModel
            ``self``, fitted.

        Raises
        ------
        PlanError
            If ``log`` is not an :class:`~salesfunnel.EventLog` or ``smoothing`` is
            negative.
        """
        if not isinstance(log, EventLog | PartitionedLog | DaskLog):
            raise PlanError(
                f"MarkovModel.fit needs an EventLog; got {type(log).__name__} {log!r}",
                parameter="log", value=log,
            )
        alpha = check_number("smoothing", self.smoothing, where="MarkovModel", low=0.0,
                             high=MAX_SMOOTHING,
                             expected=f"a pseudo-count in [0, {MAX_SMOOTHING:.0e}]")
        funnel = log.funnel
        n = len(funnel.stages)
        if isinstance(log, DaskLog):
            check_bool("progress", progress, where="MarkovModel.fit")
            resolve_workers(workers, where="MarkovModel.fit")  # checked alike
            stats = log.compute(move_stats)[0]
        else:
            stats = run_partitioned(log, workers, progress, "MarkovModel.fit", move_stats)
        if stats is None:
            assert isinstance(log, EventLog)
            stats = move_stats(log)
        counts = stats.counts
        exits = counts.sum(axis=1)
        held = np.array([(int(h) << 32) + int(lo) for h, lo in zip(
            stats.held_high, stats.held_low, strict=True)], dtype=np.float64) / NS_PER_DAY
        with np.errstate(invalid="ignore", divide="ignore"):
            holding = held / exits
        visits = stats.visits
        entry_counts = stats.entries.astype(np.float64)
        entry = entry_counts / entry_counts.sum() if entry_counts.sum() else np.full(n, np.nan)
        est = counts.astype(np.float64)
        if alpha > 0:
            for i, stage in enumerate(funnel.stages):
                if stage.is_open:
                    for target in funnel.allowed(stage.name):
                        est[i, funnel.index(target)] += alpha
        won = funnel.won_index
        self.__dict__.update(
            reentry_probability_=float(exits[won] / visits[won]) if visits[won] else np.nan,
            n_entities_=stats.entities,
            n_moves_=int(counts.sum()),
        )
        self._solve(funnel, est, holding, counts, visits, exits, entry)
        return self

    @classmethod
    def from_matrix(
        cls,
        matrix: Any,
        *,
        funnel: Funnel,
        holding_days: float | Sequence[float] | None = None,
    ) -> MarkovModel:
        """A fitted model from a given transition matrix (for what-if analysis and tests).

        Parameters
        ----------
        matrix : array-like, (n_stages, n_stages)
            Move probabilities between ``funnel.stages``; each open stage's row sums to
            1. Rows of WON and LOST stages are ignored (they are absorbing).
        funnel : Funnel
        holding_days : float or sequence, optional
            Mean days per stage (one number >= 0 or one per stage) for the expected
            times; without it those are NaN.

        Returns
        -------
        MarkovModel

        Raises
        ------
        PlanError
            If the matrix has the wrong shape, negative entries or open rows not
            summing to 1, or ``holding_days`` is negative or of the wrong length.

        Examples
        --------
        >>> from salesfunnel import Funnel, Stage
        >>> f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won"),
        ...                  Stage("lost", kind="lost")], fall_back=True)
        >>> m = MarkovModel.from_matrix([[0, .5, 0, .5], [.2, 0, .6, .2], [0, 0, 1, 0],
        ...                              [0, 0, 0, 1]], funnel=f, holding_days=10)
        >>> m.win_probability_.round(4).tolist()   # a: 0.5 b; b: 0.6 + 0.2 a
        [0.3333, 0.6667, 1.0, 0.0]
        >>> m.expected_steps_.round(4).tolist()
        [1.6667, 1.3333, 0.0, 0.0]
        """
        if not isinstance(funnel, Funnel):
            raise PlanError(f"from_matrix needs a Funnel; got {funnel!r}", parameter="funnel",
                            value=funnel)
        n = len(funnel.stages)
        try:
            m = np.array(matrix, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):  # OverflowError: 10**400
            raise PlanError(f"the 'matrix' parameter of from_matrix must be an ({n}, {n}) "
                            f"array of probabilities; got {matrix!r}",
                            parameter="matrix", value=matrix) from None
        if m.shape != (n, n) or not np.all(np.isfinite(m)) or (m < 0).any():
            raise PlanError(
                f"the 'matrix' parameter of from_matrix must be an ({n}, {n}) array of "
                f"finite probabilities >= 0 over the stages {list(funnel.names)}; got shape "
                f"{m.shape}",
                parameter="matrix", value=matrix,
            )
        is_open = np.array([s.is_open for s in funnel.stages])
        sums = m.sum(axis=1)
        bad = [funnel.names[i] for i in np.flatnonzero(is_open & (np.abs(sums - 1.0) > 1e-9))]
        if bad:
            raise PlanError(
                f"the rows of open stages {bad} of the 'matrix' parameter of from_matrix sum "
                f"to {[round(float(sums[funnel.index(b)]), 6) for b in bad]}; expected 1",
                parameter="matrix", value=matrix,
            )
        hold = _holding_days(holding_days, funnel)
        self = cls()
        visits = np.zeros(n, dtype=np.int64)
        self.__dict__.update(reentry_probability_=np.nan, n_entities_=0, n_moves_=0)
        self._solve(funnel, m, hold, np.zeros((n, n), dtype=np.int64), visits, visits.copy(),
                    np.full(n, np.nan))
        return self

    def _solve(self, funnel: Funnel, est: _F64, holding: _F64, counts: npt.NDArray[np.int64],
               visits: npt.NDArray[np.int64], exits: npt.NDArray[np.int64],
               entry: _F64) -> None:
        n = len(funnel.stages)
        is_open = np.array([s.kind is StageKind.OPEN for s in funnel.stages])
        transient = np.flatnonzero(is_open)
        absorbing = np.flatnonzero(~is_open)
        won = funnel.won_index
        won_col = int(np.flatnonzero(absorbing == won)[0])
        p = np.zeros((n, n), dtype=np.float64)
        rows = est.sum(axis=1)
        unknown = is_open & (rows <= 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            p[is_open] = est[is_open] / rows[is_open, None]
        p[unknown] = np.nan
        p[absorbing] = 0.0
        p[absorbing, absorbing] = 1.0
        # Reachability over positive-probability moves (transitive closure).
        step = np.nan_to_num(p) > 0
        reach = step | np.eye(n, dtype=np.bool_)
        for _ in range(n):
            nxt = reach | ((reach.astype(np.int64) @ reach.astype(np.int64)) > 0)
            if (nxt == reach).all():
                break
            reach = nxt
        undefined = is_open & reach[:, unknown].any(axis=1)
        closes = reach[:, absorbing].any(axis=1)
        stuck = is_open & ~undefined & ~closes          # never reach WON or LOST
        live = np.flatnonzero(is_open & ~undefined & closes)
        absorption = np.full((n, len(absorbing)), np.nan)
        absorption[absorbing] = np.eye(len(absorbing))
        absorption[stuck] = 0.0
        steps = np.full(n, np.nan)
        steps[absorbing] = 0.0
        steps[stuck] = np.inf
        days = steps.copy()
        days_win = np.full(n, np.nan)
        days_win[won] = 0.0
        fundamental = np.full((len(transient), len(transient)), np.nan)
        if live.size:
            q = p[np.ix_(live, live)]
            r = p[np.ix_(live, absorbing)]
            nmat = np.linalg.inv(np.eye(live.size) - q)
            b = nmat @ r
            absorption[live] = b
            leak = 1.0 - b.sum(axis=1)                 # chance of ending in a stuck stage
            inf = leak > 1e-12
            h = holding[live]
            st = nmat.sum(axis=1)
            dy = nmat @ h
            st[inf] = np.inf
            dy[inf] = np.inf
            steps[live] = st
            days[live] = dy
            bw = b[:, won_col]
            with np.errstate(invalid="ignore", divide="ignore"):
                dw = (nmat @ (h * bw)) / bw
            dw[bw <= 0] = np.nan
            days_win[live] = dw
            pos = {int(x): i for i, x in enumerate(transient)}
            idx = [pos[int(x)] for x in live]
            fundamental[np.ix_(idx, idx)] = nmat
        win = absorption[:, won_col].copy()
        self.__dict__.update(
            funnel_=funnel, counts_=counts, transition_matrix_=p, visits_=visits,
            exits_=exits, entry_=entry, holding_days_=holding, transient_=transient,
            absorbing_=absorbing, fundamental_=fundamental, absorption_=absorption,
            win_probability_=win, expected_steps_=steps, expected_days_=days,
            expected_days_to_win_=days_win,
        )

    # -- results -----------------------------------------------------------------------------
    def compare_nominal(self, *, threshold: float = 0.05) -> NominalComparison:
        """The funnel's nominal stage probabilities next to the observed ones.

        Parameters
        ----------
        threshold : float
            Gaps of at least this much (0.05 = 5 percentage points) are worded in
            :attr:`NominalComparison.findings`.

        Returns
        -------
        NominalComparison
            One row per open stage (nominal NaN where the stage has no probability).

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        PlanError
            If ``threshold`` is not a number in [0, 1].
        """
        funnel = self.funnel_
        threshold = check_number("threshold", threshold, where="compare_nominal", low=0.0, high=1.0,
                                 expected="a gap in [0, 1] (0.05 = 5 percentage points)")
        rows = []
        for i, st in enumerate(funnel.stages):
            if not st.is_open:
                continue
            nominal = np.nan if st.probability is None else float(st.probability)
            observed = float(self.win_probability_[i])
            rows.append(NominalRow(stage=st.name, label=st.label, nominal=nominal,
                                   observed=observed, difference=observed - nominal,
                                   visits=int(self.visits_[i])))
        return NominalComparison(funnel=funnel.name, rows=tuple(rows), threshold=threshold)

    def summary(self) -> str:
        """Plain-text table: per stage the win probability, expected moves and days.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        """
        return render_text(self._table("en"))

    def _table(self, lang: str) -> Table:
        headers = [word(k, lang) for k in ("stage", "markov.visits", "win prob",
                                           "markov.moves", "markov.days", "markov.days_win")]
        body = [[row["label"], format_count(row["visits"]), format_pct(row["win_probability"]),
                 _num(row["expected_steps"], lang), _num(row["expected_days"], lang),
                 _num(row["expected_days_to_win"], lang)] for row in self._rows(lang)]
        return Table("", headers, body)

    def _rows(self, lang: str = "en") -> list[dict[str, Any]]:
        return [
            {"stage": st.name, "label": st.label.text(lang) or st.name,
             "visits": int(self.visits_[i]),
             "win_probability": float(self.win_probability_[i]),
             "expected_steps": float(self.expected_steps_[i]),
             "expected_days": float(self.expected_days_[i]),
             "expected_days_to_win": float(self.expected_days_to_win_[i])}
            for i, st in enumerate(self.funnel_.stages)
        ]

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        """The per-stage table once fitted; a one-line title before."""
        if not self.is_fitted:
            return (Table(word("markov.unfitted", lang).format(self.smoothing), [], []),)
        title = word("markov.title", lang).format(self.funnel_.name, self.n_moves_,
                                                  self.n_entities_)
        return (attrs.evolve(self._table(lang), title=title),)

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON form: the smoothing, and once fitted the funnel name, the counts of
        moves and entities, the transition matrix and the per-stage rows of :meth:`summary`.

        Examples
        --------
        >>> MarkovModel().to_dict()
        {'smoothing': 0.0, 'fitted': False}
        """
        out: dict[str, Any] = {"smoothing": self.smoothing, "fitted": self.is_fitted}
        if self.is_fitted:
            out.update({"funnel": self.funnel_.name, "n_moves": self.n_moves_,
                        "n_entities": self.n_entities_,
                        "transition_matrix": self.transition_matrix_,
                        "rows": self._rows()})
        converted: dict[str, Any] = to_json_value(out)
        return converted

    def to_pandas(self) -> Any:
        """The per-stage rows of :meth:`summary` as a :class:`pandas.DataFrame` indexed by
        stage (needs the ``pandas`` extra; no rows before :meth:`fit`)."""
        from salesfunnel._util._optional import import_optional

        pd = import_optional("pandas", "pandas", purpose="MarkovModel.to_pandas")
        columns = ["stage", "label", "visits", "win_probability", "expected_steps",
                   "expected_days", "expected_days_to_win"]
        rows = self._rows() if self.is_fitted else []
        return pd.DataFrame.from_records(rows, columns=columns).set_index("stage")


@attrs.frozen(eq=False)
class MoveStats:
    """The counts a Markov fit rests on; they add up over entity partitions."""

    counts: npt.NDArray[np.int64]
    held_high: npt.NDArray[np.int64]
    held_low: npt.NDArray[np.int64]
    visits: npt.NDArray[np.int64]
    entries: npt.NDArray[np.int64]
    entities: int

    def merge(self, other: MoveStats) -> MoveStats:
        """The statistics over both sets of entities."""
        return MoveStats(self.counts + other.counts, self.held_high + other.held_high,
                         self.held_low + other.held_low, self.visits + other.visits,
                         self.entries + other.entries, self.entities + other.entities)


def move_stats(log: EventLog) -> MoveStats:
    """Moves between stages (repeats of a stage collapsed), the time held before each
    move (exact integer nanoseconds, as high and low 32-bit sums), visits and entries."""
    n = len(log.funnel.stages)
    srt = log.sorted_by_entity_time()
    e = srt.entity
    s = srt.stage.astype(np.int64)
    t = srt.ts
    if len(e):
        keep = np.empty(len(e), dtype=np.bool_)
        keep[0] = True
        keep[1:] = (e[1:] != e[:-1]) | (s[1:] != s[:-1])
        e, s, t = e[keep], s[keep], t[keep]
    same = e[1:] == e[:-1]
    frm = s[:-1][same]
    to = s[1:][same]
    # uint64: moves of one entity may be more than 2**63 ns (292 years) apart
    dt = elapsed_ns(t[1:][same], t[:-1][same])
    counts = np.bincount(frm * n + to, minlength=n * n).reshape(n, n).astype(np.int64)
    high = np.zeros(n, dtype=np.int64)
    low = np.zeros(n, dtype=np.int64)
    np.add.at(high, frm, (dt >> np.uint64(32)).astype(np.int64))
    np.add.at(low, frm, (dt & np.uint64(0xFFFFFFFF)).astype(np.int64))
    visits = np.bincount(s, minlength=n).astype(np.int64)
    first = np.ones(len(e), dtype=np.bool_)
    first[1:] = ~same
    entries = np.bincount(s[first], minlength=n).astype(np.int64)
    return MoveStats(counts, high, low, visits, entries, int(log.n_entities))


def _holding_days(value: Any, funnel: Funnel) -> _F64:
    """Mean days per stage for :meth:`MarkovModel.from_matrix`: NaN, one number or one each."""
    n = len(funnel.stages)
    if value is None:
        return np.full(n, np.nan)
    expected = (f"a number of days in [0, {MAX_HOLDING_DAYS:,.0f}] (NaN: unknown) or one "
                f"per stage ({n}: {', '.join(funnel.names)})")
    try:
        days = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        days = np.full(n + 1, np.nan)                     # refused below
    if days.ndim == 0:
        days = np.full(n, float(days))
    if (days.shape != (n,) or np.isinf(days).any() or (days < 0).any()
            or (days > MAX_HOLDING_DAYS).any()):
        raise PlanError(
            f"the 'holding_days' parameter of from_matrix must be {expected}; got {value!r}",
            parameter="holding_days", value=value,
        )
    return days


def _pp(x: float) -> str:
    """A difference of rates in percentage points, without a negative zero."""
    if np.isnan(x):
        return MISSING
    v = round(100 * x, 1)
    return "0.0 pp" if v == 0 else f"{v:+.1f} pp"


def _num(x: float, lang: str = "en") -> str:
    if np.isnan(x):
        return MISSING
    if np.isinf(x):
        return word("markov.never", lang)
    return f"{x:,.1f}"
