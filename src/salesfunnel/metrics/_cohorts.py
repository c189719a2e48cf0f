"""``cohorts``: conversion by entry cohort (the period of each entity's first event)."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Literal, overload

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._engine import PartitionedLog
from salesfunnel._util._i18n import word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import NS_PER_DAY
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._conversion import (
    Conversion,
    Interval,
    Semantic,
    check_ci,
    check_semantic,
    group_stage_counts,
    window_ns,
)
from salesfunnel.metrics._parallel import run_partitioned
from salesfunnel.metrics._results import (
    Breakdown,
    breakdown,
    check_choice,
    check_log,
    check_merge,
    format_count,
    format_pct,
    int_rows,
    ints,
    strs,
)
from salesfunnel.metrics._stats import check_level

__all__ = ["Cohorts", "cohorts"]

Period = Literal["day", "week", "month", "quarter"]
PERIODS = ("day", "week", "month", "quarter")


def period_starts(ts_ns: npt.NDArray[np.int64], period: str) -> npt.NDArray[np.int64]:
    """Start (ns, UTC) of the period holding each time; weeks start on Monday.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array(["2026-02-18T10:00"], dtype="datetime64[ns]").astype(np.int64)
    >>> [str(np.datetime64(int(period_starts(t, p)[0]), "ns").astype("datetime64[D]"))
    ...  for p in ("day", "week", "month", "quarter")]
    ['2026-02-18', '2026-02-16', '2026-02-01', '2026-01-01']
    """
    t = ts_ns.view("datetime64[ns]")
    if period == "day":
        out = t.astype("datetime64[D]").astype("datetime64[ns]")
    elif period == "week":
        days = t.astype("datetime64[D]").astype(np.int64)
        monday = days - (days + 3) % 7  # 1970-01-01 was a Thursday
        return monday * NS_PER_DAY
    elif period == "month":
        out = t.astype("datetime64[M]").astype("datetime64[ns]")
    else:
        months = t.astype("datetime64[M]").astype(np.int64)
        out = (months - months % 3).astype("datetime64[M]").astype("datetime64[ns]")
    return out.astype(np.int64)


def period_label(start_ns: int, period: str) -> str:
    """``'2026-02-18'``, ``'2026-W08'``, ``'2026-02'`` or ``'2026-Q1'``."""
    day = _dt.date(1970, 1, 1) + _dt.timedelta(days=start_ns // NS_PER_DAY)
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@attrs.frozen
class Cohorts(Displayable):
    """Conversion by entry cohort: one row per period, one column per main-path stage.

    An entity's cohort is the period (UTC) of its first event at any stage. Rows are in
    time order; only periods with at least one entity appear.

    Attributes
    ----------
    period : {"day", "week", "month", "quarter"}
        Cohort length (weeks start on Monday, labelled by ISO week).
    labels : tuple of str
        Cohort labels such as ``"2026-01"``, ``"2026-W03"``, ``"2026-Q1"``.
    starts : tuple of int
        Start of each cohort period, ns since the epoch (UTC).
    stages : tuple of str
        Main-path stage names.
    counts : tuple of tuple of int
        ``counts[i][k]``: entities of cohort ``i`` counted at stage ``k``.
    entities : tuple of int
        Entities per cohort.
    semantic, window, ci, level
        As in :func:`~salesfunnel.metrics.conversion`.

    Examples
    --------
    >>> from salesfunnel.metrics import Cohorts
    >>> c = Cohorts("month", ("2026-01", "2026-02"), (0, 1), ("lead", "won"),
    ...             ((10, 2), (8, 4)), (10, 8))
    >>> c
    <Cohorts by month: 2 cohorts (2026-01 .. 2026-02), 18 entities, 2 stages>
    >>> c.overall_rate[:, -1].tolist()
    [0.2, 0.5]
    >>> print(c)
    Cohorts by month (reached), overall conversion from 'lead'
    cohort   entities  lead    won
    -------  --------  ----  -----
    2026-01        10    10  20.0%
    2026-02         8     8  50.0%
    """

    period: str
    labels: tuple[str, ...] = attrs.field(converter=strs)
    starts: tuple[int, ...] = attrs.field(converter=ints)
    stages: tuple[str, ...] = attrs.field(converter=strs)
    counts: tuple[tuple[int, ...], ...] = attrs.field(converter=int_rows)
    entities: tuple[int, ...] = attrs.field(converter=ints)
    semantic: str = "reached"
    window: int | None = None
    ci: str = "wilson"
    level: float = 0.95

    def __attrs_post_init__(self) -> None:
        n = len(self.labels)
        if not (len(self.starts) == len(self.counts) == len(self.entities) == n) or any(
                len(r) != len(self.stages) for r in self.counts):
            raise InvalidParameterError(
                "labels, starts, counts and entities must have one entry per cohort and "
                "counts one column per stage",
                parameter="counts", value=self.counts,
            )

    @property
    def count_matrix(self) -> npt.NDArray[np.int64]:
        """``(n_cohorts, n_stages)`` counts as an int64 array."""
        return np.asarray(self.counts, dtype=np.int64).reshape(len(self.labels),
                                                               len(self.stages))

    @property
    def overall_rate(self) -> npt.NDArray[np.float64]:
        """``counts[i, k] / counts[i, 0]`` (NaN where a cohort has no first-stage entity);
        under ``"entered"``, ``counts[i, k] / entities[i]``."""
        c = self.count_matrix.astype(np.float64)
        base = (np.asarray(self.entities, dtype=np.float64)[:, None]
                if self.semantic == "entered" else c[:, :1])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(base > 0, c / base, np.nan)

    @property
    def step_rate(self) -> npt.NDArray[np.float64]:
        """``counts[i, k] / counts[i, k - 1]`` (NaN in column 0 and where undefined).

        Undefined (NaN) under ``"entered"``, where the entities at stage ``k`` need not
        be among those at ``k - 1``: use ``conversion(log, semantic="entered")`` for
        step rates on the entities seen at both stages.
        """
        c = self.count_matrix.astype(np.float64)
        out = np.full(c.shape, np.nan)
        if self.semantic == "entered":
            return out
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, 1:] = np.where(c[:, :-1] > 0, c[:, 1:] / c[:, :-1], np.nan)
        return out

    def conversion(self, cohort: str | int) -> Conversion:
        """The :class:`Conversion` of one cohort, by label or row number.

        Raises
        ------
        InvalidParameterError
            If there is no such cohort.
        """
        if isinstance(cohort, str) and cohort in self.labels:
            i = self.labels.index(cohort)
        elif isinstance(cohort, int | np.integer) and not isinstance(cohort, bool) and (
                -len(self.labels) <= cohort < len(self.labels)):
            i = int(cohort)
        else:
            listed = ", ".join(repr(x) for x in self.labels) or "none"
            raise InvalidParameterError(
                f"no cohort {cohort!r}; cohorts: {listed}", parameter="cohort", value=cohort,
            )
        return Conversion(self.semantic, self.stages, self.counts[i], self.entities[i],
                          self.window, self.ci, self.level)

    def merge(self, other: Cohorts) -> Cohorts:
        """Cohort tables over disjoint entities combined: counts of equal periods add.

        Raises
        ------
        InvalidParameterError
            If ``other`` differs in period, stages, semantic, window, ci or level.

        Examples
        --------
        >>> from salesfunnel.metrics import Cohorts
        >>> a = Cohorts("day", ("1970-01-01",), (0,), ("lead", "won"), ((3, 1),), (3,))
        >>> b = Cohorts("day", ("1970-01-02",), (86400 * 10**9,), ("lead", "won"),
        ...             ((2, 2),), (2,))
        >>> a.merge(b).merge(a).counts
        ((6, 2), (2, 2))
        """
        check_merge(self, other, ("period", "stages", "semantic", "window", "ci", "level"))
        rows: dict[int, tuple[str, list[int], int]] = {}
        for src in (self, other):
            for label, start, counts, n in zip(src.labels, src.starts, src.counts,
                                               src.entities, strict=True):
                if start in rows:
                    _, acc, m = rows[start]
                    rows[start] = (label, [x + y for x, y in zip(acc, counts, strict=True)],
                                   m + n)
                else:
                    rows[start] = (label, list(counts), n)
        keys = sorted(rows)
        return attrs.evolve(
            self,
            labels=[rows[k][0] for k in keys],
            starts=keys,
            counts=[rows[k][1] for k in keys],
            entities=[rows[k][2] for k in keys],
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: settings and one row per cohort (counts and overall rates)."""
        rates = self.overall_rate
        return {
            "period": self.period,
            "semantic": self.semantic,
            "window_ns": self.window,
            "ci": self.ci,
            "level": self.level,
            "stages": list(self.stages),
            "cohorts": [
                {"cohort": label, "start_ns": start, "entities": n, "counts": list(c),
                 "overall_rate": [to_json_value(float(r)) for r in rates[i]]}
                for i, (label, start, c, n) in enumerate(
                    zip(self.labels, self.starts, self.counts, self.entities, strict=True))
            ],
        }

    def to_pandas(self, values: Literal["counts", "overall", "step"] = "counts") -> Any:
        """The matrix as a DataFrame indexed by cohort label, one column per stage.

        Parameters
        ----------
        values : {"counts", "overall", "step"}
            Counts, overall rates or step rates.

        Examples
        --------
        >>> from salesfunnel.metrics import Cohorts
        >>> Cohorts("month", ("2026-01",), (0,), ("lead", "won"), ((4, 1),), (4,)).to_pandas()
                 lead  won
        cohort
        2026-01     4    1
        """
        pd = import_optional("pandas", "pandas", purpose="Cohorts.to_pandas")
        table: Any
        check_choice("values", values, ("counts", "overall", "step"), where="Cohorts.to_pandas")
        if values == "counts":
            table = self.count_matrix
        elif values == "overall":
            table = self.overall_rate
        else:
            table = self.step_rate
        return pd.DataFrame(table, index=pd.Index(list(self.labels), name="cohort"),
                            columns=list(self.stages))

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        rates = self.overall_rate
        rows = []
        for i, label in enumerate(self.labels):
            cells = [label, format_count(self.entities[i]), format_count(self.counts[i][0])]
            cells.extend(format_pct(rates[i, k]) for k in range(1, len(self.stages)))
            rows.append(cells)
        head = (word("cohort.title", lang).format(self.period, self.semantic, self.stages[0])
                if self.stages else word("cohort.title_empty", lang).format(self.period))
        if not rows:
            return (Table(head, [], [], notes=[word("cohort.none", lang)]),)
        return (Table(head, [word("cohort", lang), word("entities", lang), *self.stages],
                      rows),)


    def __repr__(self) -> str:
        n = len(self.labels)
        span = f" ({self.labels[0]} .. {self.labels[-1]})" if n else ""
        total = sum(self.entities)
        return (f"<Cohorts by {self.period}: {n} cohort{'s' if n != 1 else ''}{span}, "
                f"{total:,} entit{'ies' if total != 1 else 'y'}, {len(self.stages)} stages>")


def _cohorts_of(log: EventLog, period: str, semantic: str, win: int | None, ci: str,
                level: float) -> Cohorts:
    stages = tuple(s.name for s in log.funnel.path)
    if log.n_entities == 0:
        return Cohorts(period, (), (), stages, (), (), semantic, win, ci, level)
    starts = period_starts(K.first_event_time(log), period)
    uniq, cohort = np.unique(starts, return_inverse=True)
    groups = K.EntityGroups("cohort", cohort.astype(np.int64).ravel(), uniq)
    counts = group_stage_counts(log, groups, semantic, win)
    entities = np.bincount(groups.codes, minlength=groups.n_groups)
    labels = [period_label(int(s), period) for s in uniq.tolist()]
    return Cohorts(period, labels, uniq.tolist(), stages, counts.tolist(), entities.tolist(),
                   semantic, win, ci, level)


@overload
def cohorts(
    log: EventLog | PartitionedLog,
    *,
    period: Period = ...,
    semantic: Semantic = ...,
    window: Any = ...,
    ci: Interval = ...,
    level: float = ...,
    by: None = ...,
workers: int | None = ...,
progress: bool = ...,
) -> Cohorts: ...


@overload
def cohorts(
    log: EventLog | PartitionedLog,
    *,
    period: Period = ...,
    semantic: Semantic = ...,
    window: Any = ...,
    ci: Interval = ...,
    level: float = ...,
    by: str,
workers: int | None = ...,
progress: bool = ...,
) -> Breakdown[Cohorts]: ...


def cohorts(
    log: EventLog | PartitionedLog,
    *,
    period: Period = "month",
    semantic: Semantic = "reached",
    window: Any = None,
    ci: Interval = "wilson",
    level: float = 0.95,
    by: str | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> Cohorts | Breakdown[Cohorts]:
    """Conversion by entry cohort as a matrix (cohorts x main-path stages).

    Parameters
    ----------
    log : EventLog
        The events.
    period : {"day", "week", "month", "quarter"}
        Cohort length; an entity's cohort is the UTC period of its first event (weeks
        start on Monday and are labelled by ISO week, e.g. ``"2026-W03"``).
    semantic, window, ci, level
        As in :func:`~salesfunnel.metrics.conversion`.
    by : str, optional
        A segment column: one :class:`Cohorts` per value (a :class:`Breakdown`).

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
    Cohorts or Breakdown

    Raises
    ------
    InvalidParameterError
        An unknown ``period`` (or other option, as in ``conversion``).

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import cohorts
    >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(
    ...     f, entity=[1, 1, 2, 3, 3], stage=[0, 1, 0, 0, 1],
    ...     ts=["2026-01-30T00:00Z", "2026-02-03T00:00Z", "2026-01-02T00:00Z",
    ...         "2026-02-10T00:00Z", "2026-03-01T00:00Z"])
    >>> c = cohorts(log, period="month")
    >>> c.labels, c.counts
    (('2026-01', '2026-02'), ((2, 1), (1, 1)))
    """
    parted = run_partitioned(log, workers, progress, "cohorts", lambda part: cohorts(
        part, period=period, semantic=semantic, window=window, ci=ci, level=level, by=by,
        workers=1))
    if parted is not None:
        return parted
    log = check_log(log)
    check_choice("period", period, PERIODS, where="cohorts")
    semantic_ = check_semantic(semantic, where="cohorts")
    ci_ = check_ci(ci, where="cohorts")
    level_ = check_level(level, where="cohorts")
    win = window_ns(window, semantic_)
    if by is None:
        return _cohorts_of(log, period, semantic_, win, ci_, level_)
    return breakdown(K.entity_groups(log, by), lambda _, rows: _cohorts_of(
        log.take_entities(rows), period, semantic_, win, ci_, level_))
