"""``forecast_categories``: the CRM forecast categories with totals by category and period.

Every deal seen by ``as_of`` falls in one category:

* ``closed``: won; ``omitted``: lost (or set aside);
* open deals: ``commit``, ``best_case`` or ``pipeline``, from a per-stage mapping (by
  default from the stage's win probability: >= 70 % commit, >= 40 % best case, else
  pipeline) or from a per-row value (a CRM's own forecast category on the deal's latest
  event), which wins over the stage mapping where it is given.

Each deal is dated by its close: the closing event for closed and omitted deals; for an
open deal the expected close, ``max(as_of, entered its stage + the median time won deals
took from that stage to WON)`` (``as_of`` when no deal has won from that stage). Totals
(deals and amount) are given per category and per period (month, quarter or year).
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
from salesfunnel._util._time import Naive, to_iso, to_ns
from salesfunnel._util._validate import invalid
from salesfunnel.events import EventLog
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._results import check_choice, check_log, format_count
from salesfunnel.metrics._stale import current_runs
from salesfunnel.model import StageKind

__all__ = ["CATEGORIES", "PERIODS", "ForecastCategories", "default_categories",
           "forecast_categories", "stage_categories"]

_F64 = npt.NDArray[np.float64]
_I64 = npt.NDArray[np.int64]
#: The forecast categories, in the order CRMs show them.
CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
PERIODS = ("month", "quarter", "year")
#: Default thresholds on an open stage's win probability.
COMMIT_AT, BEST_CASE_AT = 0.7, 0.4


def default_categories(funnel: Any) -> dict[str, str]:
    """The default stage -> category mapping of a funnel.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> f = Funnel("f", [Stage("lead", probability=0.1), Stage("demo", probability=0.5),
    ...                  Stage("contract", probability=0.9), Stage("won", kind="won"),
    ...                  Stage("lost", kind="lost")])
    >>> default_categories(f)  # doctest: +NORMALIZE_WHITESPACE
    {'lead': 'pipeline', 'demo': 'best_case', 'contract': 'commit', 'won': 'closed',
     'lost': 'omitted'}
    """
    out = {}
    for st in funnel.stages:
        if st.kind is StageKind.WON:
            out[st.name] = "closed"
        elif not st.is_open:
            out[st.name] = "omitted"
        else:
            p = st.probability
            out[st.name] = ("pipeline" if p is None else "commit" if p >= COMMIT_AT
                            else "best_case" if p >= BEST_CASE_AT else "pipeline")
    return out


def stage_categories(funnel: Any, mapping: Mapping[str, str] | None, *,
                     where: str = "forecast_categories") -> _I64:
    """Per stage: the category index (into :data:`CATEGORIES`), the default overridden by
    ``mapping`` (stage name -> category)."""
    merged = default_categories(funnel)
    if mapping is not None:
        if not isinstance(mapping, Mapping):
            raise invalid("categories", mapping, "a mapping of stage name to category",
                          where=where)
        for name, cat in mapping.items():
            if name not in merged:
                raise invalid("categories", mapping, "a mapping of stage names to categories; "
                              f"{name!r} is not a stage (options: "
                              f"{listing(str(name), list(merged))})", where=where)
            merged[name] = check_choice("categories", cat, options=CATEGORIES, where=where)
    return np.array([CATEGORIES.index(merged[st.name]) for st in funnel.stages],
                    dtype=np.int64)


def _period_index(ns: _I64, period: str) -> _I64:
    months = ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    if period == "month":
        return months
    if period == "quarter":
        return months // 3
    return months // 12


def _period_label(index: int, period: str) -> str:
    if period == "month":
        return str(np.datetime64(index, "M"))
    if period == "quarter":
        return f"{1970 + index // 4}-Q{index % 4 + 1}"
    return str(1970 + index)


@attrs.frozen(eq=False, repr=False)
class ForecastCategories(Displayable):
    """Deals and amounts per forecast category and close period, as of a date.

    Attributes
    ----------
    as_of : int
        The date (ns since the epoch).
    period : str
        ``"month"``, ``"quarter"`` or ``"year"``.
    periods : tuple of str
        The close periods, in time order (``"2026-03"``, ``"2026-Q1"``, ``"2026"``).
    deals : tuple of tuple of int
        ``deals[c][p]``: deals of category ``CATEGORIES[c]`` closing in period ``p``.
    amounts : tuple of tuple of float
        The same for the deals' latest known amounts (unknown amounts left out).
    ids : numpy.ndarray
        Every deal's id.
    category : numpy.ndarray of int64
        Every deal's category (index into :data:`CATEGORIES`).
    source : str
        ``"stage"`` or ``"stage+row"`` (per-row values were used where given).

    Examples
    --------
    >>> import numpy as np
    >>> fc = ForecastCategories(0, "month", ("1970-01",), ((1,), (0,), (2,), (3,), (0,)),
    ...                         ((10.0,), (0.0,), (20.0,), (30.0,), (0.0,)),
    ...                         np.arange(6), np.array([0, 2, 2, 3, 3, 3]))
    >>> fc.total("commit"), fc.commit_forecast, fc.best_case_forecast
    (20.0, 50.0, 50.0)
    """

    as_of: int
    period: str
    periods: tuple[str, ...]
    deals: tuple[tuple[int, ...], ...]
    amounts: tuple[tuple[float, ...], ...]
    ids: np.ndarray[Any, Any]
    category: _I64
    source: str = "stage"

    __hash__ = None  # type: ignore[assignment]

    def total(self, category: str, *, deals: bool = False) -> float:
        """Total amount (or number of deals) of one category over every period."""
        c = CATEGORIES.index(check_choice("category", category, options=CATEGORIES,
                                          where="ForecastCategories.total"))
        return float(sum(self.deals[c] if deals else self.amounts[c]))

    @property
    def commit_forecast(self) -> float:
        """Closed + commit amount."""
        return self.total("closed") + self.total("commit")

    @property
    def best_case_forecast(self) -> float:
        """Closed + commit + best case amount."""
        return self.commit_forecast + self.total("best_case")

    def rows(self) -> list[dict[str, Any]]:
        """One dict per (category, period) with any deal (JSON-safe)."""
        return [{"category": c, "period": p, "deals": self.deals[i][j],
                 "amount": to_json_value(self.amounts[i][j])}
                for i, c in enumerate(CATEGORIES) for j, p in enumerate(self.periods)
                if self.deals[i][j]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings, totals per category and the per-period rows."""
        return {"as_of": to_iso(self.as_of), "period": self.period, "source": self.source,
                "totals": {c: {"deals": int(self.total(c, deals=True)),
                               "amount": to_json_value(self.total(c))} for c in CATEGORIES},
                "commit_forecast": to_json_value(self.commit_forecast),
                "best_case_forecast": to_json_value(self.best_case_forecast),
                "rows": self.rows()}

    def to_pandas(self) -> Any:
        """One row per category (``pandas`` extra): total ``deals`` and ``amount``, then
        the amount of each period (columns named by period)."""
        pd = import_optional("pandas", "pandas", purpose="ForecastCategories.to_pandas")
        data: dict[str, Any] = {
            "deals": [int(self.total(c, deals=True)) for c in CATEGORIES],
            "amount": [self.total(c) for c in CATEGORIES]}
        for j, p in enumerate(self.periods):
            data[p] = [self.amounts[i][j] for i in range(len(CATEGORIES))]
        return pd.DataFrame(data, index=pd.Index(list(CATEGORIES), name="category"))

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        headers = [word("fcat.category", lang), *self.periods, word("fcat.total", lang)]
        rows = []
        for i, c in enumerate(CATEGORIES):
            cells = [f"{format_count(n)} / {_money(a)}" if n else "—"
                     for n, a in zip(self.deals[i], self.amounts[i], strict=True)]
            rows.append([word(f"fcat.{c}", lang), *cells,
                         f"{format_count(sum(self.deals[i]))} / {_money(sum(self.amounts[i]))}"])
        title = word("fcat.title", lang).format(to_iso(self.as_of), word(f"fcat.{self.period}",
                                                                          lang))
        notes = [word("fcat.forecast", lang).format(_money(self.commit_forecast),
                                                    _money(self.best_case_forecast))]
        return (Table(title, headers, rows, notes=notes),)

    def __repr__(self) -> str:
        n = len(self.ids)
        return (f"<ForecastCategories as of {to_iso(self.as_of)}: {n:,} deal"
                f"{'s' * (n != 1)} in {len(self.periods)} {self.period} period"
                f"{'s' * (len(self.periods) != 1)}, commit forecast "
                f"{_money(self.commit_forecast)}>")


def _money(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:,.0f}"


#: The segment column that holds a CRM's forecast category per event.
ROW_COLUMN = "forecast_category"


def _norm(value: Any) -> str:
    return "".join(ch for ch in str(value).lower() if ch.isalnum())


_LOOKUP = {_norm(c): i for i, c in enumerate(CATEGORIES)}


def _row_categories(log: EventLog, rows: Any, where: str) -> _I64 | None:
    """Per event: category index, -1 where not given; ``None`` without per-row values."""
    if rows is None:
        if ROW_COLUMN not in log.segments:
            return None
        seg = log.segments[ROW_COLUMN]
        cats = _row_categories_of(seg.categories, where, ROW_COLUMN)
        codes = seg.codes.astype(np.int64)
        return np.where(codes >= 0, cats[np.maximum(codes, 0)] if len(cats) else -1, -1)
    try:
        values = np.asarray(rows, dtype=object)
    except (TypeError, ValueError):
        values = np.zeros(0, dtype=object)
    if values.ndim != 1 or len(values) != len(log):
        raise invalid("rows", rows, f"one category (or None) per event ({len(log):,})",
                      where=where)
    return _row_categories_of(values, where, "rows")


def _row_categories_of(values: np.ndarray[Any, Any], where: str, name: str) -> _I64:
    out = np.full(len(values), -1, dtype=np.int64)
    for j, v in enumerate(values.tolist()):
        if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
            continue
        key = _norm(v)
        if key not in _LOOKUP:
            raise invalid(name, v, f"a forecast category ({', '.join(CATEGORIES)}; case, "
                          f"spaces and underscores ignored) or None", where=where)
        out[j] = _LOOKUP[key]
    return out


def forecast_categories(
    log: EventLog,
    *,
    as_of: Any,
    categories: Mapping[str, str] | None = None,
    rows: Any = None,
    period: str = "month",
    naive: Naive = "raise",
) -> ForecastCategories:
    """Deals and amounts per forecast category (pipeline, best case, commit, closed,
    omitted) and close period, as of a date.

    Parameters
    ----------
    log : EventLog
    as_of : datetime or str
        The date; later events are ignored.
    categories : mapping of str to str, optional
        Stage name -> category, overriding the default (WON closed, LOST omitted, open
        stages by win probability: >= 70 % commit, >= 40 % best case, else pipeline).
    rows : array-like, optional
        A category per event (``None`` where not given), e.g. a CRM's forecast category
        column (``"Commit"``, ``"BestCase"``, ``"best case"``: case, spaces and
        underscores are ignored); an open deal takes the value on its latest event
        that has one, else its stage's. Default: the log's ``forecast_category``
        segment column when it has one (as CRM imports keep it).
    period : {"month", "quarter", "year"}
        Close periods of the totals.
    naive : {"raise", "utc"}
        A naive ``as_of``: refuse it, or read it as UTC.

    Returns
    -------
    ForecastCategories

    Raises
    ------
    InvalidParameterError
        An unknown stage or category, per-row values of the wrong length, a bad period.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import forecast_categories
    >>> f = Funnel("f", [Stage("lead", probability=0.2), Stage("contract", probability=0.8),
    ...                  Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> log = EventLog.from_arrays(
    ...     f, entity=[1, 1, 2, 3, 3], stage=[0, 1, 0, 0, 2], amount=[10, 10, 5, 7, 7],
    ...     ts=["2026-01-05T00:00Z", "2026-01-20T00:00Z", "2026-02-01T00:00Z",
    ...         "2026-01-02T00:00Z", "2026-01-25T00:00Z"])
    >>> fc = forecast_categories(log, as_of="2026-02-15T00:00Z")
    >>> fc.periods, fc.total("commit"), fc.total("closed"), fc.total("pipeline")
    (('2026-01', '2026-02'), 10.0, 7.0, 5.0)
    >>> forecast_categories(log, as_of="2026-02-15T00:00Z",
    ...                     rows=[None, None, "commit", None, None]).total("commit")
    15.0
    """
    log = check_log(log)
    where = "forecast_categories"
    cut = to_ns(as_of, parameter="as_of", naive=naive)
    per_stage = stage_categories(log.funnel, categories, where=where)
    period = check_choice("period", period, options=PERIODS, where=where)
    per_row = _row_categories(log, rows, where)
    keep = log.ts <= cut
    view = K.until(log, cut)
    n = view.n_entities
    stage, entered, last = current_runs(view)
    cat = per_stage[stage] if n else np.zeros(0, np.int64)
    source = "stage"
    if per_row is not None:
        source = "stage+row"
        sub = per_row[keep] if len(view) != len(log) else per_row
        given = sub >= 0
        if given.any():
            # latest event with a value, per entity
            rows_ = np.flatnonzero(given)
            key = view.ts[rows_]
            order = np.lexsort((rows_, key))
            best = np.full(n, -1, dtype=np.int64)
            best[view.entity[rows_[order]]] = sub[rows_[order]]
            is_open = np.array([st.is_open for st in log.funnel.stages])
            # a per-row value speaks for open deals; WON stays closed, LOST omitted
            use = (best >= 0) & is_open[stage]
            cat = np.where(use, best, cat)
    # close dates
    close = last.copy()
    is_open_stage = np.array([st.is_open for st in log.funnel.stages])
    open_ = is_open_stage[stage] if n else np.zeros(0, np.bool_)
    if open_.any():
        remaining = _median_remaining(view)
        idx = np.minimum(stage, len(remaining) - 1)
        rem = remaining[idx]
        expected = np.where(rem >= 0, entered + np.maximum(rem, 0), cut)
        close = np.where(open_, np.maximum(expected, cut), close)
    pidx = _period_index(close, period) if n else np.zeros(0, np.int64)
    uniq = np.unique(pidx)
    pos = np.searchsorted(uniq, pidx)
    m = len(uniq)
    deals = np.zeros((len(CATEGORIES), m), dtype=np.int64)
    amounts = np.zeros((len(CATEGORIES), m), dtype=np.float64)
    np.add.at(deals, (cat, pos), 1)
    amount = K.latest_amount(view) if view.amount is not None else np.ones(n)
    known = ~np.isnan(amount)
    np.add.at(amounts, (cat[known], pos[known]), amount[known])
    return ForecastCategories(
        cut, period, tuple(_period_label(int(i), period) for i in uniq),
        tuple(tuple(int(x) for x in r) for r in deals),
        tuple(tuple(float(x) for x in r) for r in amounts), view.ids, cat, source)


def _median_remaining(log: EventLog) -> _I64:
    """Per main-path stage: median ns from first reaching it to WON among won deals
    (-1 where no won deal passed it)."""
    n_path = K.path_length(log)
    out = np.full(n_path, -1, dtype=np.int64)
    ft = K.first_times(log)
    won = ft[:, n_path - 1] != K.NEVER
    if not won.any():
        return out
    ftw = ft[won]
    for k in range(n_path):
        seen = ftw[:, k] != K.NEVER
        if seen.any():
            out[k] = int(np.median(ftw[seen, n_path - 1] - ftw[seen, k]))
    return out
