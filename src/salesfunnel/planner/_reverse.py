"""The reverse funnel ("销售漏斗的平衡计算"): from a target back to the inflow it needs.

The arithmetic is the balance calculation of a sales funnel: a target divided by the
average deal size gives the deals needed; divided by the chance that a stage-0 entity
wins, the entities needed at the top; spread over the periods of the plan, the
monthly (or weekly) requirement. With stage-to-stage rates the same is done at every
stage of the main path, and the top-of-funnel requirement is split over lead sources
and turned into the number of sales reps needed.

Over 800 lines on purpose: ``reverse`` and ``forward`` are one calculation run in two
directions and share their result classes (``Plan``, ``PlanRow``, ``Source``,
``Capacity``); splitting them would scatter one piece of arithmetic over files.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np

from salesfunnel._display._chart import FunnelData
from salesfunnel._display._result import Part
from salesfunnel._display._table import Table
from salesfunnel._util._json import to_json_value
from salesfunnel._util._suggest import listing
from salesfunnel._util._validate import check_instance
from salesfunnel.errors import PlanError
from salesfunnel.model import Funnel, Labels
from salesfunnel.model._labels import to_labels
from salesfunnel.planner._common import (
    Report,
    Row,
    ceil_count,
    check_int,
    check_number,
    check_rate,
    format_count,
    format_pct,
    rows_frame,
    whole,
    word,
    word_labels,
)

__all__ = [
    "LEAD_SOURCES",
    "Capacity",
    "CapacityPlan",
    "Plan",
    "PlanRow",
    "Source",
    "SourceRow",
    "forward",
    "reverse",
]

#: The lead sources of the seed article ("销售机会的来源"), with their labels.
LEAD_SOURCES: Mapping[str, Labels] = {
    k: word_labels(f"src.{k}")
    for k in ("cold_visit", "follow_up", "penetration", "cultivation", "inbound")
}

_TOP = word_labels("plan.top")
_WON = word_labels("plan.won")


# -- inputs ------------------------------------------------------------------------------------
def _source_label(self: Source) -> Labels:
    return LEAD_SOURCES.get(self.name, Labels({"en": self.name}))


@attrs.frozen
class Source:
    """A lead source: its share of the required inflow and its own conversion rate.

    Parameters
    ----------
    name : str
        The source, e.g. one of the seed's :data:`LEAD_SOURCES`: ``"cold_visit"``
        (陌生拜访, new prospects, new contacts), ``"follow_up"`` (跟踪, new prospects,
        known contacts), ``"penetration"`` (渗透, existing customers, new buyers),
        ``"cultivation"`` (耕耘, existing customers, repeat buyers), ``"inbound"``
        (主动咨询, direct or assigned enquiries). Any other name works too.
    share : float
        Fraction in [0, 1] of the funnel's first-stage entities that come from this
        source. The shares of a plan sum to 1.
    rate : float
        Fraction in (0, 1] of this source's contacts (visits, calls, enquiries) that
        become a first-stage entity; 1 when every contact counts.
    label : str or mapping, optional
        Display text; the seed's sources have English and Chinese labels built in.

    Examples
    --------
    >>> Source("cold_visit", share=0.4, rate=0.25).label.text("zh")
    '陌生拜访'
    """

    name: str
    share: float
    rate: float = 1.0
    label: Labels = attrs.field(
        default=attrs.Factory(_source_label, takes_self=True), converter=to_labels
    )

    def __attrs_post_init__(self) -> None:
        where = f"Source({self.name!r})"
        check_number("share", self.share, where=where, low=0.0, high=1.0)
        check_rate("rate", self.rate, where=where)
        if not self.label:
            object.__setattr__(self, "label", _source_label(self))


@attrs.frozen
class Capacity:
    """What one sales rep can do per period and what each stage costs.

    Parameters
    ----------
    per_rep : float
        Touches (visits, calls, meetings) one rep makes per period.
    touches : float, mapping or sequence
        Touches needed per entity reaching a stage: one number for every stage before
        WON, a mapping of stage name to touches (missing stages cost nothing), or one
        number per row of the plan.
    contact_touches : float
        Touches per lead-source contact (e.g. 1 for a cold visit); 0 leaves source
        contacts out of the workload.

    Examples
    --------
    >>> Capacity(per_rep=40, touches=2).per_rep
    40.0
    """

    per_rep: float
    touches: float | Mapping[str, float] | tuple[float, ...] = 1.0
    contact_touches: float = 0.0

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "per_rep", check_number(
            "per_rep", self.per_rep, where="Capacity", low=0.0, low_open=True,
            expected="a positive number of touches per rep and period"))
        object.__setattr__(self, "contact_touches", check_number(
            "contact_touches", self.contact_touches, where="Capacity", low=0.0))
        t = self.touches
        if isinstance(t, Mapping):
            for k, v in t.items():
                check_number(f"touches[{k!r}]", v, where="Capacity", low=0.0)
            object.__setattr__(self, "touches", {str(k): float(v) for k, v in t.items()})
        elif isinstance(t, Sequence) and not isinstance(t, str):
            for i, v in enumerate(t):
                check_number(f"touches[{i}]", v, where="Capacity", low=0.0)
            object.__setattr__(self, "touches", tuple(float(v) for v in t))
        else:
            object.__setattr__(self, "touches",
                               check_number("touches", t, where="Capacity", low=0.0))


# -- results -----------------------------------------------------------------------------------
@attrs.frozen
class PlanRow(Row):
    """One stage of a plan.

    ``rate`` is the conversion from the previous row into this one (``None`` for the
    first row), ``probability`` the chance that an entity here ends up won, ``total``
    the entities that must reach this stage over the whole plan and ``per_period``
    the same per period.
    """

    stage: str
    label: Labels
    rate: float | None
    probability: float
    total: float
    per_period: float


@attrs.frozen
class SourceRow(Row):
    """The part of the first-stage inflow one lead source must deliver.

    ``total``/``per_period`` are first-stage entities, ``contacts``/
    ``contacts_per_period`` the contacts of this source that yield them.
    """

    source: str
    label: Labels
    share: float
    rate: float
    total: float
    per_period: float
    contacts: float
    contacts_per_period: float


@attrs.frozen
class CapacityPlan(Row):
    """The sales capacity a plan needs.

    ``workload`` holds the touches per period for each plan row, ``contact_workload``
    the touches per period for lead-source contacts; ``reps_needed`` is the exact
    quotient and ``reps`` the whole number of reps to hire (rounded up).
    """

    per_rep: float
    touches: tuple[float, ...]
    workload: tuple[float, ...]
    contact_workload: float
    total_workload: float
    reps_needed: float
    reps: int


@attrs.frozen(repr=False)
class Plan(Report):
    """A funnel plan: deals, stage requirements, sources and capacity.

    Made by :func:`reverse` (from a target) or :func:`forward` (from an inflow).
    ``str(plan)`` is a plain-text table; :meth:`table` picks the language.

    Attributes
    ----------
    direction : {"reverse", "forward"}
    target : float
        Revenue (or units, when ``unit`` is set) over the whole plan.
    deal_size : float
        Average revenue (or units) per deal.
    unit : str or None
        ``None`` for money, otherwise what ``target`` counts (e.g. ``"devices"``).
    deals : float
        Deals needed (reverse) or expected (forward).
    periods : int
        Periods the plan is spread over (12 months by default).
    rounding : {"none", "ceil"}
    rows : tuple of PlanRow
        One per stage of the main path, first stage first, WON last.
    sources : tuple of SourceRow
    capacity : CapacityPlan or None
    """

    direction: Literal["reverse", "forward"]
    target: float
    deal_size: float
    unit: str | None
    deals: float
    periods: int
    rounding: Literal["none", "ceil"]
    rows: tuple[PlanRow, ...]
    sources: tuple[SourceRow, ...] = ()
    capacity: CapacityPlan | None = None

    @property
    def inflow(self) -> float:
        """Entities needed (or entering) at the first stage over the whole plan."""
        return self.rows[0].total

    @property
    def win_rate(self) -> float:
        """The chance that a first-stage entity wins (product of the step rates)."""
        return self.rows[0].probability

    @property
    def rates(self) -> tuple[float, ...]:
        """Stage-to-stage rates, one per step of the main path."""
        return tuple(r.rate for r in self.rows[1:] if r.rate is not None)

    @property
    def stages(self) -> tuple[str, ...]:
        """Stage names of the rows."""
        return tuple(r.stage for r in self.rows)

    def row(self, stage: str) -> PlanRow:
        """The row of ``stage``.

        Raises
        ------
        PlanError
            If the plan has no such stage (the message lists the closest names).
        """
        for r in self.rows:
            if r.stage == stage:
                return r
        options = listing(stage, self.stages)
        raise PlanError(f"the plan has no stage {stage!r}; expected one of: {options}",
                        parameter="stage", value=stage)

    # -- presentation ------------------------------------------------------------------------
    def _amount(self, x: float) -> str:
        text = format_count(x)
        return f"{text} {self.unit}" if self.unit else text

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        # people and deals are shown as whole numbers, rounded up; the note says so
        if self.direction == "reverse":
            head = word("plan.reverse", lang).format(
                self._amount(self.target), self._amount(self.deal_size), whole(self.deals))
        else:
            head = word("plan.forward", lang).format(
                whole(self.inflow), whole(self.deals), self._amount(self.deal_size),
                self._amount(self.target))
        head += word("plan.periods", lang).format(self.periods)
        if self.rounding == "ceil":
            head += word("plan.rounded", lang)
        headers = [word(k, lang) for k in ("stage", "rate", "win prob", "total", "per period")]
        body = [
            [r.label.text(lang) or r.stage, format_pct(r.rate), format_pct(r.probability),
             whole(r.total), whole(r.per_period)]
            for r in self.rows
        ]
        notes: list[str] = []
        counts = [r.total for r in self.rows] + [r.per_period for r in self.rows]
        if any(math.isfinite(x) and x != math.floor(x) for x in counts):
            notes.append(word("plan.whole", lang))
        tables = [Table(head, headers, body, notes=notes)]
        if self.sources:
            sh = [word(k, lang) for k in ("source", "share", "rate", "inflow", "per period",
                                          "contacts", "per period")]
            sb = [
                [s.label.text(lang) or s.source, format_pct(s.share), format_pct(s.rate),
                 whole(s.total), whole(s.per_period), whole(s.contacts),
                 whole(s.contacts_per_period)]
                for s in self.sources
            ]
            tables.append(Table("", sh, sb))
        if self.capacity is not None:
            c = self.capacity
            note = word("plan.capacity", lang).format(
                format_count(c.total_workload), format_count(c.per_rep),
                f"{c.reps_needed:.1f}", format_count(c.reps))
            tables[-1] = attrs.evolve(tables[-1], notes=(*tables[-1].notes, note))
        totals = [r.total for r in self.rows]
        if not totals or not all(math.isfinite(t) and t >= 0 for t in totals):
            return tuple(tables)
        chart = FunnelData([r.label.text(lang) or r.stage for r in self.rows],
                           [float(math.ceil(t - 1e-9)) for t in totals])
        return (chart, *tables)

    def __repr__(self) -> str:
        what = f"{self.unit} " if self.unit else ""
        extra = ""
        if self.sources:
            extra += f", {len(self.sources)} sources"
        if self.capacity is not None:
            extra += f", {self.capacity.reps} reps"
        return (
            f"<Plan {self.direction}: target {format_count(self.target)} {what}= "
            f"{format_count(self.deals)} deals x {format_count(self.deal_size)}; inflow "
            f"{format_count(self.inflow)} over {len(self.rows)} stages, {self.periods} "
            f"periods{extra}>"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form of the whole plan."""
        out: dict[str, Any] = to_json_value({
                "direction": self.direction, "target": self.target,
                "deal_size": self.deal_size, "unit": self.unit, "deals": self.deals,
                "periods": self.periods, "rounding": self.rounding,
                "inflow": self.inflow, "win_rate": self.win_rate,
                "rows": [r.to_dict() for r in self.rows],
                "sources": [s.to_dict() for s in self.sources],
                "capacity": None if self.capacity is None else self.capacity.to_dict(),
            })
        return out

    def to_pandas(self, what: Literal["stages", "sources"] = "stages") -> Any:
        """The stage rows (or the source rows) as a :class:`pandas.DataFrame`.

        Needs the ``pandas`` extra.
        """
        if what == "stages":
            return rows_frame(self.rows, PlanRow, index="stage", purpose="Plan.to_pandas")
        if what == "sources":
            return rows_frame(self.sources, SourceRow, index="source",
                              purpose="Plan.to_pandas")
        raise PlanError(
            f"the 'what' parameter of Plan.to_pandas must be 'stages' or 'sources'; "
            f"got {what!r}",
            parameter="what", value=what,
        )


# -- resolving the rates -----------------------------------------------------------------------
@attrs.frozen
class _Path:
    names: tuple[str, ...]
    labels: tuple[Labels, ...]
    rates: tuple[float, ...]          # len(names) - 1 step rates
    probability: tuple[float, ...]    # chance to win from each stage


def _measured_rates(obj: Any) -> tuple[tuple[str, ...], list[float]] | None:
    """Stage names and step rates of a :class:`salesfunnel.metrics.Conversion` (duck-typed)."""
    stages = getattr(obj, "stages", None)
    step = getattr(obj, "step_rate", None)
    if not isinstance(stages, tuple) or step is None:
        return None
    return stages, [float(x) for x in np.asarray(step, dtype=np.float64)[1:]]


def _resolve_path(
    where: str, win_rate: Any, rates: Any, funnel: Any
) -> _Path:
    if funnel is not None and not isinstance(funnel, Funnel):
        raise PlanError(
            f"the 'funnel' parameter of {where} must be a Funnel; got {type(funnel).__name__} "
            f"{funnel!r}",
            parameter="funnel", value=funnel,
        )
    measured_names: tuple[str, ...] | None = None
    if rates is not None:
        measured = _measured_rates(rates)
        if measured is not None:
            measured_names, values = measured
            if funnel is not None and measured_names != tuple(s.name for s in funnel.path):
                raise PlanError(
                    f"the 'rates' of {where} were measured over stages {list(measured_names)}, "
                    f"not over the main path of funnel {funnel.name!r} "
                    f"({[s.name for s in funnel.path]})",
                    parameter="rates", value=rates,
                )
            bad = [v for v in values if not (0.0 < v <= 1.0)]
            if bad:
                raise PlanError(
                    f"the 'rates' parameter of {where}: the measured step rates {values} "
                    "include rates outside (0, 1] (a stage nobody reached?); pass rates "
                    "explicitly",
                    parameter="rates", value=rates,
                )
            if win_rate is None and funnel is None:
                names = measured_names
                prob = [1.0] * len(names)
                for k in range(len(values) - 1, -1, -1):
                    prob[k] = prob[k + 1] * values[k]
                labels = tuple(Labels({"en": n}) for n in names)
                return _Path(names, labels, tuple(values), tuple(prob))
            rates = values
    if win_rate is not None and rates is not None:
        raise PlanError(
            f"{where} takes either 'win_rate' (one target-to-win rate) or 'rates' "
            f"(stage-to-stage rates), not both; got win_rate={win_rate!r}, rates={rates!r}",
            parameter="rates", value=rates,
        )
    if rates is not None:
        if isinstance(rates, str | bytes) or not isinstance(rates, Sequence | np.ndarray):
            raise PlanError(
                f"the 'rates' parameter of {where} must be a sequence of rates in (0, 1]; "
                f"got {rates!r}",
                parameter="rates", value=rates,
            )
        values = [check_rate("rates", r, where=where) for r in rates]
        if funnel is not None:
            expected = len(funnel.path) - 1
            if len(values) != expected:
                steps = ", ".join(
                    f"{a.name}->{b.name}" for a, b in zip(funnel.path, funnel.path[1:],
                                                         strict=False)
                )
                raise PlanError(
                    f"the 'rates' parameter of {where} must have one rate per step of funnel "
                    f"{funnel.name!r} ({expected}: {steps}); got {len(values)}: {list(rates)!r}",
                    parameter="rates", value=rates,
                )
            names = tuple(s.name for s in funnel.path)
            labels = tuple(s.label for s in funnel.path)
        else:
            if not values:
                raise PlanError(
                    f"the 'rates' parameter of {where} needs at least one rate; got []",
                    parameter="rates", value=rates,
                )
            names = (*(f"stage_{i}" for i in range(1, len(values) + 1)), "won")
            labels = (*(Labels({"en": n}) for n in names[:-1]), _WON)
        prob = [1.0] * len(names)
        for k in range(len(values) - 1, -1, -1):
            prob[k] = prob[k + 1] * values[k]
        return _Path(names, labels, tuple(values), tuple(prob))
    if win_rate is not None:
        w = check_rate("win_rate", win_rate, where=where)
        if funnel is not None:
            first, won = funnel.path[0], funnel.won
            return _Path((first.name, won.name), (first.label, won.label), (w,), (w, 1.0))
        return _Path(("target", "won"), (_TOP, _WON), (w,), (w, 1.0))
    if funnel is None:
        raise PlanError(
            f"{where} needs 'win_rate' (e.g. 0.1), 'rates' (one per stage step) or a "
            "'funnel' whose stages carry probabilities; got none of them",
            parameter="win_rate", value=None,
        )
    planned = [s for s in funnel.path if s.probability is not None and s.probability > 0]
    if len(planned) < 2:
        raise PlanError(
            f"{where} without 'win_rate' or 'rates' uses the stage probabilities of funnel "
            f"{funnel.name!r}, but no open stage has one; pass 'win_rate' or 'rates'",
            parameter="funnel", value=funnel.name,
        )
    nominal = tuple(float(s.probability or 0.0) for s in planned)
    step = tuple(nominal[k] / nominal[k + 1] for k in range(len(nominal) - 1))
    return _Path(tuple(s.name for s in planned), tuple(s.label for s in planned), step,
                 nominal)


def _resolve_sources(sources: Any, where: str) -> tuple[Source, ...]:
    if sources is None:
        return ()
    items: list[Source] = []
    try:
        if isinstance(sources, Mapping):
            for name, spec in sources.items():
                if isinstance(spec, Source):
                    items.append(spec)
                elif isinstance(spec, Mapping):
                    items.append(Source(str(name), **spec))
                elif isinstance(spec, Sequence) and not isinstance(spec, str):
                    items.append(Source(str(name), *spec))
                else:
                    items.append(Source(str(name), spec))
        elif isinstance(sources, Sequence) and not isinstance(sources, str):
            for spec in sources:
                if not isinstance(spec, Source):
                    raise PlanError(
                        f"the 'sources' parameter of {where} lists Source objects; got "
                        f"{spec!r}",
                        parameter="sources", value=sources,
                    )
                items.append(spec)
        else:
            raise PlanError(
                f"the 'sources' parameter of {where} must be a mapping of source name to "
                f"share (or (share, rate)) or a sequence of Source; got {sources!r}",
                parameter="sources", value=sources,
            )
    except PlanError as exc:
        if exc.parameter == "sources":
            raise
        raise PlanError(f"the 'sources' parameter of {where}: {exc}", parameter="sources",
                        value=sources) from exc
    except TypeError as exc:
        raise PlanError(
            f"the 'sources' parameter of {where} has an entry that is not a share, "
            f"(share, rate) or Source: {exc}",
            parameter="sources", value=sources,
        ) from exc
    if not items:
        raise PlanError(f"the 'sources' parameter of {where} is empty; got {sources!r}",
                        parameter="sources", value=sources)
    names = [s.name for s in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PlanError(f"the 'sources' parameter of {where} lists {dupes} more than once",
                        parameter="sources", value=sources)
    total = math.fsum(s.share for s in items)
    if abs(total - 1.0) > 1e-9:
        raise PlanError(
            f"the shares of the 'sources' parameter of {where} must sum to 1; they sum to "
            f"{total:g} ({', '.join(f'{s.name}={s.share:g}' for s in items)})",
            parameter="sources", value=sources,
        )
    return tuple(items)


def _resolve_capacity(capacity: Any, where: str) -> Capacity | None:
    if capacity is None or isinstance(capacity, Capacity):
        return capacity
    if isinstance(capacity, Mapping):
        try:
            return Capacity(**capacity)
        except TypeError as exc:
            raise PlanError(
                f"the 'capacity' parameter of {where} takes per_rep, touches and "
                f"contact_touches; got {dict(capacity)!r}",
                parameter="capacity", value=capacity,
            ) from exc
    raise PlanError(
        f"the 'capacity' parameter of {where} must be a Capacity or a mapping; got "
        f"{capacity!r}",
        parameter="capacity", value=capacity,
    )


def _touches(cap: Capacity, path: _Path, where: str) -> tuple[float, ...]:
    t = cap.touches
    n = len(path.names)
    if isinstance(t, Mapping):
        unknown = [k for k in t if k not in path.names]
        if unknown:
            options = listing(unknown[0], path.names)
            raise PlanError(
                f"the 'capacity' parameter of {where} gives touches for {unknown}, which "
                f"are not stages of the plan; expected some of: {options}",
                parameter="capacity", value=dict(t),
            )
        return tuple(float(t.get(name, 0.0)) for name in path.names)
    if isinstance(t, tuple):
        if len(t) != n:
            raise PlanError(
                f"the 'capacity' parameter of {where} gives {len(t)} touches; expected one "
                f"per plan row ({n}: {', '.join(path.names)})",
                parameter="capacity", value=t,
            )
        return t
    return (*([float(t)] * (n - 1)), 0.0)


def _build(
    *,
    direction: Literal["reverse", "forward"],
    target: float,
    deal_size: float,
    unit: str | None,
    deals: float,
    totals: list[float],
    path: _Path,
    periods: int,
    rounding: Literal["none", "ceil"],
    sources: tuple[Source, ...],
    capacity: Capacity | None,
    where: str,
) -> Plan:
    def per(x: float) -> float:
        return ceil_count(x / periods) if rounding == "ceil" else x / periods

    rows = tuple(
        PlanRow(stage=name, label=label, rate=None if k == 0 else path.rates[k - 1],
                probability=path.probability[k], total=totals[k], per_period=per(totals[k]))
        for k, (name, label) in enumerate(zip(path.names, path.labels, strict=True))
    )
    inflow = totals[0]
    src_rows = []
    for s in sources:
        total = inflow * s.share
        contacts = total / s.rate
        if rounding == "ceil":
            total, contacts = ceil_count(total), ceil_count(contacts)
        src_rows.append(SourceRow(
            source=s.name, label=s.label, share=s.share, rate=s.rate, total=total,
            per_period=per(total), contacts=contacts, contacts_per_period=per(contacts),
        ))
    cap_plan = None
    if capacity is not None:
        touches = _touches(capacity, path, where)
        workload = tuple(t * r.per_period for t, r in zip(touches, rows, strict=True))
        contact = capacity.contact_touches * _sum(s.contacts_per_period for s in src_rows)
        total_work = _sum(workload) + contact
        needed = total_work / capacity.per_rep
        cap_plan = CapacityPlan(
            per_rep=capacity.per_rep, touches=touches, workload=workload,
            contact_workload=contact, total_workload=total_work, reps_needed=needed,
            reps=int(ceil_count(needed)) if math.isfinite(needed) else 0,
        )
    _check_finite(where, target=target, deal_size=deal_size, deals=deals, rows=rows,
                  sources=src_rows, capacity=cap_plan)
    return Plan(direction=direction, target=target, deal_size=deal_size, unit=unit,
                deals=deals, periods=periods, rounding=rounding, rows=rows,
                sources=tuple(src_rows), capacity=cap_plan)


def _sum(values: Iterable[float]) -> float:
    """``math.fsum``, with ``inf`` where the sum leaves the float range."""
    try:
        return math.fsum(values)
    except OverflowError:  # "intermediate overflow in fsum"
        return math.inf


def _check_finite(where: str, *, target: float, deal_size: float, deals: float,
                  rows: Sequence[PlanRow], sources: Sequence[SourceRow],
                  capacity: CapacityPlan | None) -> None:
    """Refuse a plan whose numbers leave the float range (``1e308 / 1e-10`` deals)."""
    values: list[tuple[str, float]] = [("target", target), ("deals", deals)]
    values += [(f"{r.stage!r} total", r.total) for r in rows]
    values += [(f"{r.stage!r} per period", r.per_period) for r in rows]
    values += [(f"source {s.source!r} contacts", s.contacts) for s in sources]
    if capacity is not None:
        values += [("total workload", capacity.total_workload),
                   ("reps needed", capacity.reps_needed)]
    for label, value in values:
        if not math.isfinite(value):
            raise PlanError(
                f"{where}: the plan's {label} is {value} for target={target:g} and "
                f"deal_size={deal_size:g}, beyond the largest number a float holds "
                f"(about 1.8e308); expected inputs whose plan stays finite",
                parameter="target", value=target,
            )


def _check_common(where: str, deal_size: Any, periods: Any, unit: Any) -> tuple[float, int]:
    size = check_number("deal_size", deal_size, where=where, low=0.0, low_open=True,
                        expected="a positive average deal size (revenue or units per deal)")
    n = check_int("periods", periods, where=where)
    check_instance("unit", unit, (str, type(None)), where=where,
                   expected="a string such as 'devices' or None (money)", error=PlanError)
    return size, n


# -- the public functions ----------------------------------------------------------------------
def reverse(
    *,
    target: float,
    deal_size: float,
    win_rate: float | None = None,
    rates: Sequence[float] | Any | None = None,
    funnel: Funnel | None = None,
    periods: int = 12,
    rounding: Literal["none", "ceil"] = "none",
    unit: str | None = None,
    sources: Mapping[str, Any] | Sequence[Source] | None = None,
    capacity: Capacity | Mapping[str, Any] | None = None,
) -> Plan:
    """Work back from a target to the deals and the funnel inflow it needs.

    Deals needed = ``target / deal_size``; the entities needed at each stage are the
    deals divided by the chance of winning from that stage; each is spread evenly
    over ``periods``.

    Parameters
    ----------
    target : float
        What the plan must deliver over its whole span (a year by default): revenue,
        or units (devices, seats, ...) when ``unit`` is given. ``>= 0``.
    deal_size : float
        The average deal: revenue per contract, or units per contract when ``unit``
        is given. ``> 0``.
    win_rate : float, optional
        The chance in (0, 1] that an entity at the top of the funnel wins (the seed's
        "目标客户成为赢单客户的机率"). Gives a two-row plan: top stage and WON.
    rates : sequence of float or a conversion result, optional
        Stage-to-stage rates along the main path, one per step (with ``funnel``:
        ``len(funnel.path) - 1`` of them), or a result of
        :func:`salesfunnel.metrics.conversion` whose measured step rates are used.
    funnel : Funnel, optional
        Names the stages. Without ``win_rate`` and ``rates`` the stages' own
        probabilities are used: a stage with probability p needs ``deals / p``
        entities (stages without a probability, such as a pool of prospects before
        the 10 % stage, are left out).
    periods : int
        Periods the target is spread over (12 months for a yearly target).
    rounding : {"none", "ceil"}
        ``"none"`` keeps exact values (83.333... a month); ``"ceil"`` rounds deals up
        to whole deals, then every stage up from the stage after it (a cascade:
        ``ceil(next / rate)``), every per-period value up, and source counts up.
    unit : str, optional
        What ``target`` and ``deal_size`` count when not money, e.g. ``"devices"``.
    sources : mapping or sequence of Source, optional
        Lead sources splitting the first-stage requirement: ``{"cold_visit": 0.4,
        ...}`` (shares), ``{"cold_visit": (0.4, 0.25), ...}`` (share and the rate at
        which the source's contacts become first-stage entities) or
        :class:`Source` objects. Shares must sum to 1.
    capacity : Capacity or mapping, optional
        Touches per rep and period and touches per stage: adds the reps needed.

    Returns
    -------
    Plan

    Raises
    ------
    PlanError
        Naming the parameter and the value: a negative target, a deal size <= 0, a
        rate <= 0 or > 1, rates of the wrong length, both ``win_rate`` and ``rates``,
        shares not summing to 1, ...

    See Also
    --------
    forward : the same arithmetic from an inflow to revenue.

    Examples
    --------
    The seed's balance calculation: a yearly target of 3,000,000 at 30,000 per
    contract is 100 contracts; at a 10 % target-to-win rate that is 1,000 target
    customers a year, 83.3 a month.

    >>> plan = reverse(target=3_000_000, deal_size=30_000, win_rate=0.10)
    >>> plan.deals, plan.inflow, plan.rows[0].per_period
    (100.0, 1000.0, 83.333...)
    >>> print(plan)
    Reverse plan: target 3,000,000 / 30,000 per deal = 100 deals; 12 periods
    stage              rate  win prob  total  per period
    ----------------  -----  --------  -----  ----------
    Target customers      —     10.0%  1,000          84
    Won               10.0%    100.0%    100           9
    people and deals are shown rounded up to whole numbers (exact values in to_dict())

    The same with units: 200 devices at 2 devices per contract.

    >>> reverse(target=200, deal_size=2, unit="devices", win_rate=0.10).inflow
    1000.0

    Stage-to-stage rates, a source mix and the reps needed:

    >>> plan = reverse(target=3_000_000, deal_size=30_000, rates=[0.4, 0.5, 0.5],
    ...                rounding="ceil", sources={"cold_visit": (0.6, 0.25), "inbound": 0.4},
    ...                capacity=Capacity(per_rep=60, touches=2))
    >>> [r.total for r in plan.rows]
    [1000.0, 400.0, 200.0, 100.0]
    >>> [(s.source, s.total, s.contacts) for s in plan.sources]
    [('cold_visit', 600.0, 2400.0), ('inbound', 400.0, 400.0)]
    >>> plan.capacity.reps
    5
    """
    where = "reverse"
    size, n = _check_common(where, deal_size, periods, unit)
    tgt = check_number("target", target, where=where, low=0.0,
                       expected="a target >= 0 (revenue, or units with 'unit')")
    if rounding not in ("none", "ceil"):
        raise PlanError(
            f"the 'rounding' parameter of reverse must be 'none' or 'ceil'; got {rounding!r}",
            parameter="rounding", value=rounding,
        )
    path = _resolve_path(where, win_rate, rates, funnel)
    srcs = _resolve_sources(sources, where)
    cap = _resolve_capacity(capacity, where)
    deals = tgt / size
    if rounding == "ceil" and math.isfinite(deals):
        deals = ceil_count(deals)
        totals = [deals]
        for rate in reversed(path.rates):
            totals.insert(0, ceil_count(totals[0] / rate))
    else:  # a probability that underflowed to 0 (rates of 1e-320) needs infinitely many
        totals = [deals / p if p > 0 else math.inf for p in path.probability]
    return _build(direction="reverse", target=tgt, deal_size=size, unit=unit, deals=deals,
                  totals=totals, path=path, periods=n, rounding=rounding, sources=srcs,
                  capacity=cap, where=where)


def forward(
    *,
    inflow: float,
    deal_size: float,
    win_rate: float | None = None,
    rates: Sequence[float] | Any | None = None,
    funnel: Funnel | None = None,
    periods: int = 12,
    unit: str | None = None,
    sources: Mapping[str, Any] | Sequence[Source] | None = None,
    capacity: Capacity | Mapping[str, Any] | None = None,
) -> Plan:
    """Expected deals and revenue from an inflow of first-stage entities.

    The inverse of :func:`reverse` (with ``rounding="none"``):
    ``forward(inflow=p.inflow, rates=p.rates, deal_size=p.deal_size).target``
    equals ``p.target``.

    Parameters
    ----------
    inflow : float
        Entities entering the first stage over the whole plan, ``>= 0``.
    deal_size : float
        Average revenue (or units, with ``unit``) per deal, ``> 0``.
    win_rate, rates, funnel, periods, unit, sources, capacity
        As for :func:`reverse`.

    Returns
    -------
    Plan
        With ``direction="forward"``: expected entities at every stage, ``deals``
        and ``target`` (the expected revenue or units).

    Raises
    ------
    PlanError
        Naming the parameter and the value, as for :func:`reverse`.

    Examples
    --------
    >>> plan = forward(inflow=1000, win_rate=0.1, deal_size=30_000)
    >>> plan.deals, plan.target
    (100.0, 3000000.0)
    >>> p = reverse(target=1_234_567, deal_size=4_321, rates=[0.3, 0.55, 0.8])
    >>> round(forward(inflow=p.inflow, rates=p.rates, deal_size=p.deal_size).target, 6)
    1234567.0
    """
    where = "forward"
    size, n = _check_common(where, deal_size, periods, unit)
    flow = check_number("inflow", inflow, where=where, low=0.0,
                        expected="an inflow >= 0 of first-stage entities")
    path = _resolve_path(where, win_rate, rates, funnel)
    srcs = _resolve_sources(sources, where)
    cap = _resolve_capacity(capacity, where)
    totals = [flow]
    for rate in path.rates:
        totals.append(totals[-1] * rate)
    deals = totals[-1]
    return _build(direction="forward", target=deals * size, deal_size=size, unit=unit,
                  deals=deals, totals=totals, path=path, periods=n, rounding="none",
                  sources=srcs, capacity=cap, where=where)
