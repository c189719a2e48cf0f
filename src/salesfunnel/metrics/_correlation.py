"""``correlation``: which segment values and events go with converting at a step.

For one step of the main path, the entities that reached its start are split into
*converters* (they went on) and *drop-offs*. Every candidate feature (a segment value on
the entity's first event, or an event type seen among its events) gives a 2x2 table

==============  ===========  ==========
..              converters   drop-offs
==============  ===========  ==========
with feature    a            b
without         c            d
==============  ===========  ==========

with the odds ratio ``ad / bc``, a Woolf (log) confidence interval, the Wald p-value of
``log OR = 0`` and a multiple-testing correction over all features (Benjamini-Hochberg by
default). The cells are those of ``statsmodels.stats.contingency_tables.Table2x2`` with
its default ``shift_zeros=True`` (a zero cell counts as 0.5), which the tests use as the
oracle.
"""

from __future__ import annotations

import math
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
from salesfunnel._util._time import Naive, to_ns
from salesfunnel._util._validate import check_int, check_number, invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.events._segment import plain
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._results import check_choice, check_log, format_count, format_pct
from salesfunnel.metrics._stats import check_level, z_value

__all__ = ["CORRECTIONS", "Correlation", "adjust_pvalues", "correlation", "odds_ratios"]

_F64 = npt.NDArray[np.float64]
_I64 = npt.NDArray[np.int64]
#: Multiple-testing corrections of :func:`correlation`.
CORRECTIONS = ("bh", "bonferroni", "none")
#: Rows shown by ``str()``.
_MAX_ROWS = 20
_erfc = np.frompyfunc(math.erfc, 1, 1)


def odds_ratios(a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, d: npt.ArrayLike,
                level: float = 0.95) -> tuple[_F64, _F64, _F64, _F64]:
    """Odds ratio, interval and two-sided Wald p-value per 2x2 table ``[[a, b], [c, d]]``.

    A zero cell counts as 0.5, as in ``Table2x2(shift_zeros=True)`` of statsmodels.

    Examples
    --------
    >>> o, lo, hi, p = odds_ratios([20], [10], [30], [40])
    >>> round(float(o[0]), 4), round(float(lo[0]), 3), round(float(hi[0]), 3)
    (2.6667, 1.09, 6.524)
    >>> round(float(p[0]), 4)
    0.0316
    """
    cells = np.array([np.asarray(x, dtype=np.float64) for x in (a, b, c, d)])
    cells = np.atleast_2d(cells) if cells.ndim == 1 else cells
    cells = np.where(cells == 0, 0.5, cells)
    a_, b_, c_, d_ = cells
    with np.errstate(divide="ignore", invalid="ignore"):
        log_or = np.log(a_) + np.log(d_) - np.log(b_) - np.log(c_)
        se = np.sqrt(1 / a_ + 1 / b_ + 1 / c_ + 1 / d_)
        half = z_value(level) * se
        z = np.abs(log_or) / se
    p = _erfc(z / math.sqrt(2.0)).astype(np.float64) if len(z) else np.zeros(0)
    return np.exp(log_or), np.exp(log_or - half), np.exp(log_or + half), p


def adjust_pvalues(p: npt.ArrayLike, method: str = "bh") -> _F64:
    """p-values adjusted for multiple testing: ``"bh"`` (Benjamini-Hochberg, as
    ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``), ``"bonferroni"`` or
    ``"none"``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, 0.2]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    >>> adjust_pvalues([0.01, 0.3], "bonferroni").tolist()
    [0.02, 0.6]
    """
    method = check_choice("correction", method, options=CORRECTIONS, where="adjust_pvalues")
    pv = np.asarray(p, dtype=np.float64)
    m = len(pv)
    if method == "none" or m == 0:
        return pv.copy()
    if method == "bonferroni":
        return np.minimum(pv * m, 1.0)
    order = np.argsort(pv, kind="stable")
    scaled = pv[order] * m / np.arange(1, m + 1)
    scaled = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m, dtype=np.float64)
    out[order] = np.minimum(scaled, 1.0)
    return out


@attrs.frozen(eq=False, repr=False)
class Correlation(Displayable):
    """Features over- and under-represented among converters at one step, ranked.

    Rows are ranked by adjusted p-value, then by the size of the effect
    (``|log OR|``), then by name.

    Attributes
    ----------
    from_stage, to_stage : str
        The step: entities that reached ``from_stage``; converters reached ``to_stage``.
    converters, dropoffs : int
        Entities that converted and that did not.
    kind : tuple of str
        Per row: ``"segment"`` (a value on the entity's first event) or ``"event"`` (an
        event type seen among its events before it converted).
    column, value : tuple of str
        The segment column and value (or the events column and event type).
    a, b, c, d : numpy.ndarray of int64
        The 2x2 cells: converters / drop-offs with the feature, converters / drop-offs
        without it.
    odds_ratio, lower, upper, p_value, q_value : numpy.ndarray of float64
        Odds ratio of converting with vs without the feature, its interval, the Wald
        p-value and the adjusted p-value.
    level : float
    correction : str

    Examples
    --------
    >>> import numpy as np
    >>> c = Correlation("lead", "won", 60, 50, ("segment",), ("channel",), ("ads",),
    ...                 np.array([20]), np.array([10]), np.array([40]), np.array([40]))
    >>> round(float(c.odds_ratio[0]), 3), c.rows()[0]["direction"]
    (2.0, 'over')
    >>> c
    <Correlation lead -> won: 1 feature, 0 significant at 5% (bh), 60 converters, 50 drop-offs>
    """

    from_stage: str
    to_stage: str
    converters: int
    dropoffs: int
    kind: tuple[str, ...]
    column: tuple[str, ...]
    value: tuple[str, ...]
    a: _I64
    b: _I64
    c: _I64
    d: _I64
    level: float = 0.95
    correction: str = "bh"
    alpha: float = 0.05
    odds_ratio: _F64 = attrs.field(init=False)
    lower: _F64 = attrs.field(init=False)
    upper: _F64 = attrs.field(init=False)
    p_value: _F64 = attrs.field(init=False)
    q_value: _F64 = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        o, lo, hi, p = odds_ratios(self.a, self.b, self.c, self.d, self.level)
        q = adjust_pvalues(p, self.correction)
        for name, arr in (("odds_ratio", o), ("lower", lo), ("upper", hi), ("p_value", p),
                          ("q_value", q)):
            arr = np.asarray(arr, dtype=np.float64)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def significant(self) -> int:
        """Rows with an adjusted p-value below :attr:`alpha`."""
        return int((self.q_value < self.alpha).sum())

    def rows(self) -> list[dict[str, Any]]:
        """One dict per feature, ranked (JSON-safe)."""
        out = []
        for i in range(len(self)):
            o = float(self.odds_ratio[i])
            out.append({
                "rank": i + 1, "kind": self.kind[i], "column": self.column[i],
                "value": self.value[i], "converters_with": int(self.a[i]),
                "dropoffs_with": int(self.b[i]), "converters_without": int(self.c[i]),
                "dropoffs_without": int(self.d[i]), "odds_ratio": to_json_value(o),
                "lower": to_json_value(float(self.lower[i])),
                "upper": to_json_value(float(self.upper[i])),
                "p_value": to_json_value(float(self.p_value[i])),
                "q_value": to_json_value(float(self.q_value[i])),
                "direction": "over" if o > 1 else ("under" if o < 1 else "neutral"),
            })
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: the step, totals, settings and the ranked rows."""
        return {"from_stage": self.from_stage, "to_stage": self.to_stage,
                "converters": self.converters, "dropoffs": self.dropoffs,
                "level": self.level, "correction": self.correction, "alpha": self.alpha,
                "significant": self.significant, "rows": self.rows()}

    def to_pandas(self) -> Any:
        """The ranked rows as a DataFrame (``pandas`` extra)."""
        pd = import_optional("pandas", "pandas", purpose="Correlation.to_pandas")
        return pd.DataFrame(self.rows(), columns=[
            "rank", "kind", "column", "value", "converters_with", "dropoffs_with",
            "converters_without", "dropoffs_without", "odds_ratio", "lower", "upper",
            "p_value", "q_value", "direction"])

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        rows = []
        for r in self.rows()[:_MAX_ROWS]:
            feature = (f"{r['column']}={r['value']}" if r["kind"] == "segment"
                       else f"{r['column']}: {r['value']}")
            with_n = r["converters_with"] + r["dropoffs_with"]
            rate = r["converters_with"] / with_n if with_n else math.nan
            rows.append([str(r["rank"]), feature, word(f"corr.{r['kind']}", lang),
                         format_count(with_n), format_pct(rate),
                         _num(r["odds_ratio"]), f"[{_num(r['lower'])}, {_num(r['upper'])}]",
                         _p(r["q_value"]), word(f"corr.{r['direction']}", lang)])
        title = word("corr.title", lang).format(
            self.from_stage, self.to_stage, self.converters, self.dropoffs)
        notes = [word("corr.note", lang).format(len(self), self.significant,
                                                format_pct(self.alpha, 0), self.correction)]
        if len(self) > _MAX_ROWS:
            notes.append(word("surv.shown", lang).format(_MAX_ROWS, len(self)))
        headers = [word("corr.rank", lang), word("corr.feature", lang), word("kind", lang),
                   word("corr.with", lang), word("corr.rate", lang), word("corr.or", lang),
                   word("interval", lang).format(format_pct(self.level, 0)),
                   word("corr.q", lang), word("corr.direction", lang)]
        return (Table(title, headers, rows, notes=notes, align="<<<>>>>><"),)

    def __repr__(self) -> str:
        n = len(self)
        return (f"<Correlation {self.from_stage} -> {self.to_stage}: {n:,} "
                f"feature{'s' * (n != 1)}, {self.significant} significant at "
                f"{format_pct(self.alpha, 0)} ({self.correction}), {self.converters:,} "
                f"converters, {self.dropoffs:,} drop-offs>")


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:.3g}"


def _p(value: Any) -> str:
    if value is None:
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def step_index(log: EventLog, step: Any, *, where: str) -> tuple[int, int]:
    """``(start, end)`` main-path indices of a step: ``(k - 1, k)`` for the stage named or
    indexed by ``step``, ``(0, WON)`` for ``None``."""
    path = [s.name for s in log.funnel.path]
    if step is None:
        return 0, len(path) - 1
    return _step_end(path, step, where) - 1, _step_end(path, step, where)


def _step_end(path: list[str], step: Any, where: str) -> int:
    if isinstance(step, str):
        if step not in path[1:]:
            raise InvalidParameterError(
                f"The 'step' parameter of {where} must name a main-path stage after the "
                f"first; got {step!r} (options: {listing(step, path[1:])})",
                parameter="step", value=step)
        return path.index(step)
    return check_int("step", step, where=where, low=1, high=len(path) - 1,
                     expected=f"a stage name or an index 1 .. {len(path) - 1}")


def correlation(
    log: EventLog,
    *,
    step: str | int | None = None,
    segments: Any = None,
    events: str | None = None,
    as_of: Any = None,
    level: float = 0.95,
    correction: str = "bh",
    alpha: float = 0.05,
    naive: Naive = "raise",
) -> Correlation:
    """Which segment values and events are over- or under-represented among converters.

    The entities that reached the step's start (depth semantics, as
    ``conversion(semantic="reached")``) are split into converters (reached its end) and
    drop-offs. Each feature gets a 2x2 table, an odds ratio with a confidence interval
    and a p-value; the p-values are adjusted for the number of features tested.

    Parameters
    ----------
    log : EventLog
    step : str or int, optional
        The stage converted to (its name or main-path index ``k >= 1``): the step is
        ``k - 1 -> k``. Default: the whole funnel, first stage -> WON.
    segments : sequence of str, optional
        Segment columns whose values (on the entity's first event) are features.
        Default: every segment column except ``events``.
    events : str, optional
        A segment column whose per-event values are event types (activities, touches):
        a feature is "the entity had an event of this type", counted among its events
        strictly before its outcome (converting, or for a lost drop-off its loss), so
        neither group is credited with the event that decided it.
    as_of : datetime or str, optional
        Only events at or before this time count.
    level : float
        Confidence level of the odds-ratio intervals.
    correction : {"bh", "bonferroni", "none"}
        Multiple-testing correction of the p-values.
    alpha : float
        Threshold on the adjusted p-value for :attr:`Correlation.significant`.
    naive : {"raise", "utc"}
        A naive ``as_of``: refuse it, or read it as UTC.

    Returns
    -------
    Correlation

    Raises
    ------
    InvalidParameterError
        An unknown step or column, a bad level, alpha or correction.

    Examples
    --------
    >>> import salesfunnel as sf
    >>> from salesfunnel import metrics
    >>> f = sf.Funnel("f", [sf.Stage("lead"), sf.Stage("won", kind="won"),
    ...                     sf.Stage("lost", kind="lost")])
    >>> log = sf.EventLog.from_arrays(
    ...     f, entity=[1, 1, 2, 2, 3, 4, 4], stage=[0, 1, 0, 2, 0, 0, 1],
    ...     ts=[0, 1, 0, 1, 0, 0, 2], unit="D",
    ...     segments={"channel": ["ads", "ads", "web", "web", "web", "ads", "ads"]})
    >>> c = metrics.correlation(log)
    >>> [(r["value"], r["converters_with"], r["dropoffs_with"]) for r in c.rows()]
    [('ads', 2, 0), ('web', 0, 2)]
    """
    log = check_log(log)
    k0, k = step_index(log, step, where="correlation")
    level = check_level(level, where="correlation")
    correction = check_choice("correction", correction, options=CORRECTIONS,
                              where="correlation")
    alpha = check_number("alpha", alpha, where="correlation", low=0.0, high=1.0,
                         low_open=True, high_open=True)
    if events is not None and (not isinstance(events, str) or events not in log.segments):
        raise invalid("events", events, "a segment column of the log (options: "
                      f"{listing(str(events), list(log.segments))})", where="correlation")
    if segments is None:
        cols = [c for c in log.segments if c != events]
    else:
        if isinstance(segments, str):
            segments = [segments]
        cols = list(segments)
        for col in cols:
            if not isinstance(col, str) or col not in log.segments:
                raise invalid("segments", segments, "segment columns of the log (options: "
                              f"{listing(str(col), list(log.segments))})",
                              where="correlation")
    if as_of is not None:
        log = K.until(log, to_ns(as_of, parameter="as_of", naive=naive))
    path = log.funnel.path
    dep = K.depth(log).astype(np.int64)
    pop = dep >= k0
    conv = dep >= k
    conv_p, drop_p = conv & pop, pop & ~conv
    n_conv, n_drop = int(conv_p.sum()), int(drop_p.sum())
    kinds: list[str] = []
    columns: list[str] = []
    values: list[str] = []
    cells: list[_I64] = []
    for col in cols:
        groups = K.entity_groups(log, col)
        codes = groups.codes
        m = len(groups.categories)
        ok = codes >= 0
        a = np.bincount(codes[conv_p & ok], minlength=m)[:m]
        b = np.bincount(codes[drop_p & ok], minlength=m)[:m]
        keep = (a + b) > 0
        kinds += ["segment"] * int(keep.sum())
        columns += [col] * int(keep.sum())
        values += [str(plain(v)) for v in groups.categories[keep]]
        cells.append(np.stack([a[keep], b[keep], n_conv - a[keep], n_drop - b[keep]]))
    if events is not None:
        seg = log.segments[events]
        m = len(seg.categories)
        conv_time = np.full(log.n_entities, K.NEVER, dtype=np.int64)
        if log.n_entities:
            # the outcome: converting, or being lost; events from then on do not count
            pr = K.progress(log)
            _, _, is_lost = K.stage_kinds(log.funnel)
            lost = is_lost[pr.latest_stage]
            ft = K.first_times(log)[:, k]
            conv_time = np.where(conv, ft, np.where(lost, pr.last_time, K.NEVER))
        rows = seg.codes >= 0
        rows &= pop[log.entity]
        rows &= log.ts < conv_time[log.entity]
        ent = log.entity[rows]
        present = np.zeros((log.n_entities, m), dtype=np.bool_)
        present[ent, seg.codes[rows]] = True
        a = present[conv_p].sum(axis=0, dtype=np.int64)
        b = present[drop_p].sum(axis=0, dtype=np.int64)
        keep = (a + b) > 0
        kinds += ["event"] * int(keep.sum())
        columns += [events] * int(keep.sum())
        values += [str(plain(v)) for v in seg.categories[keep]]
        cells.append(np.stack([a[keep], b[keep], n_conv - a[keep], n_drop - b[keep]]))
    table = (np.concatenate(cells, axis=1).astype(np.int64) if cells
             else np.zeros((4, 0), dtype=np.int64))
    o, _, _, p = odds_ratios(table[0], table[1], table[2], table[3], level=level)
    q = adjust_pvalues(p, correction)
    effect = np.abs(np.log(o))
    effect = np.where(np.isfinite(effect), effect, 0.0)
    order = sorted(range(len(q)), key=lambda i: (float(q[i]), -float(effect[i]),
                                                 columns[i], values[i]))
    return Correlation(
        path[k0].name, path[k].name, n_conv, n_drop,
        tuple(kinds[i] for i in order), tuple(columns[i] for i in order),
        tuple(values[i] for i in order), table[0][order], table[1][order],
        table[2][order], table[3][order], level=level, correction=correction, alpha=alpha)

