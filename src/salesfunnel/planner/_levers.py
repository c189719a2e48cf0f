"""The four levers of sales capacity ("提高产能的改进方向") as sales velocity.

Revenue per period = opportunities x win rate x deal size / cycle length x period.
The seed names four ways to raise it: find more and better opportunities
(寻找更多、更好的机会), raise the win rate (提高赢单率), make deals bigger (做大单子) and
shorten the sales cycle (缩短销售周期).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from salesfunnel._display._result import Part
from salesfunnel._display._table import Table
from salesfunnel._util._json import to_json_value
from salesfunnel.errors import PlanError
from salesfunnel.model import Labels
from salesfunnel.planner._common import (
    Report,
    Row,
    check_number,
    check_rate,
    format_count,
    format_pct,
    rows_frame,
    whole,
    word,
    word_labels,
)

__all__ = ["LEVERS", "LeverEffect", "LeverReport", "LeverTarget", "levers"]

#: The four levers in the seed's order, with their labels.
LEVERS: Mapping[str, Labels] = {
    k: word_labels(f"lever.{k}") for k in ("win_rate", "deal_size", "opportunities", "cycle")
}


def _velocity(opportunities: float, win_rate: float, deal_size: float, cycle_days: float,
              period_days: float) -> float:
    return opportunities * win_rate * deal_size / cycle_days * period_days


@attrs.frozen
class LeverEffect(Row):
    """What improving one lever by the step does to revenue per period.

    ``current`` and ``improved`` are the lever's values (days for ``cycle``);
    ``capped`` is true when the win rate would have passed 1 and was held at 1.
    """

    lever: str
    label: Labels
    current: float
    improved: float
    revenue: float
    gain: float
    gain_pct: float
    capped: bool = False


@attrs.frozen
class LeverTarget(Row):
    """The value one lever alone must reach for revenue to hit the target.

    ``change`` is relative (0.25 = 25 % more; for ``cycle`` 0.2 = 20 % fewer days);
    ``feasible`` is false when the lever cannot get there (a win rate above 1).
    """

    lever: str
    label: Labels
    current: float
    required: float
    change: float
    feasible: bool


@attrs.frozen(repr=False)
class LeverReport(Report):
    """Sales velocity, the effect of each lever (sorted, largest first) and the way to a target.

    Attributes
    ----------
    opportunities, win_rate, deal_size, cycle_days, period_days : float
        The inputs.
    revenue : float
        Revenue per period now: the sales velocity.
    steps : mapping of str to float
        The relative improvement tried for each lever.
    effects : tuple of LeverEffect
        One per lever, the largest gain first (a tornado table).
    target : float or None
    to_target : tuple of LeverTarget
        Empty without a target; otherwise one per lever, in the order of ``effects``.
    """

    opportunities: float
    win_rate: float
    deal_size: float
    cycle_days: float
    period_days: float
    revenue: float
    steps: Mapping[str, float]
    effects: tuple[LeverEffect, ...]
    target: float | None = None
    to_target: tuple[LeverTarget, ...] = ()

    def effect(self, lever: str) -> LeverEffect:
        """The effect of ``lever`` (``"opportunities"``, ``"win_rate"``, ...)."""
        for e in self.effects:
            if e.lever == lever:
                return e
        raise PlanError(f"no lever {lever!r}; expected one of {list(LEVERS)}",
                        parameter="lever", value=lever)

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        head = word("lever.head", lang).format(
            format_count(self.revenue), format_count(self.opportunities),
            format_pct(self.win_rate), format_count(self.deal_size),
            format_count(self.cycle_days), format_count(self.period_days))
        headers = [word(k, lang) for k in ("lever", "now", "improved", "revenue", "gain")]
        rows = [
            [e.label.text(lang), _value(e.lever, e.current, lang),
             _value(e.lever, e.improved, lang) + (word("cap", lang) if e.capped else ""),
             format_count(e.revenue),
             f"+{format_count(e.gain)} ({format_pct(e.gain_pct, signed=True)})"]
            for e in self.effects
        ]
        tables = [Table(head, headers, rows)]
        if self.target is not None:
            key = "lever.reached" if self.target <= self.revenue else "lever.to_reach"
            title = word(key, lang).format(format_count(self.target))
            trows = [
                [t.label.text(lang), _value(t.lever, t.current, lang),
                 _value(t.lever, t.required, lang) if t.feasible else word("impossible", lang),
                 format_pct(t.change if t.lever != "cycle" else -t.change, signed=True)]
                for t in self.to_target
            ]
            tables.append(Table(title, [word(k, lang) for k in ("lever", "now", "required",
                                                                 "change")], trows))
        return tuple(tables)

    def __repr__(self) -> str:
        best = self.effects[0]
        tgt = "" if self.target is None else f", target {format_count(self.target)}"
        return (f"<LeverReport: revenue {format_count(self.revenue)} per "
                f"{format_count(self.period_days)} days; best lever {best.lever} "
                f"({format_pct(best.gain_pct, signed=True)}){tgt}>")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        out: dict[str, Any] = to_json_value({
                "opportunities": self.opportunities, "win_rate": self.win_rate,
                "deal_size": self.deal_size, "cycle_days": self.cycle_days,
                "period_days": self.period_days, "revenue": self.revenue,
                "steps": dict(self.steps), "effects": [e.to_dict() for e in self.effects],
                "target": self.target, "to_target": [t.to_dict() for t in self.to_target],
            })
        return out

    def to_pandas(self) -> Any:
        """The effects as a :class:`pandas.DataFrame` (needs the ``pandas`` extra)."""
        return rows_frame(self.effects, LeverEffect, index="lever",
                          purpose="LeverReport.to_pandas")


def _value(lever: str, x: float, lang: str = "en") -> str:
    if lever == "win_rate":
        return format_pct(x)
    if lever == "cycle":
        return word("days.short", lang).format(f"{x:,.1f}")
    if lever == "opportunities":       # people and deals are whole, rounded up
        return whole(x)
    return format_count(x) if abs(x) >= 100 or x == round(x) else f"{x:,.2f}"


def _steps(step: Any) -> dict[str, float]:
    where = "levers"
    if isinstance(step, Mapping):
        unknown = [k for k in step if k not in LEVERS]
        if unknown:
            raise PlanError(
                f"the 'step' parameter of levers names unknown levers {unknown}; expected "
                f"some of {list(LEVERS)}",
                parameter="step", value=dict(step),
            )
        out = {k: 0.1 for k in LEVERS}
        for k, v in step.items():
            out[k] = check_number("step", v, where=where, low=0.0, high=1.0, low_open=True,
                                  high_open=True, expected="a relative step in (0, 1)")
        return out
    s = check_number("step", step, where=where, low=0.0, high=1.0, low_open=True, high_open=True,
                     expected="a relative step in (0, 1) (0.1 = 10 %) or a mapping per lever")
    return dict.fromkeys(LEVERS, s)


def levers(
    *,
    opportunities: float,
    win_rate: float,
    deal_size: float,
    cycle_days: float,
    step: float | Mapping[str, float] = 0.1,
    target: float | None = None,
    period_days: float = 30.0,
) -> LeverReport:
    """Revenue per period as sales velocity, and what each of the four levers adds.

    Revenue per period = ``opportunities x win_rate x deal_size / cycle_days x
    period_days``. Each lever is improved by ``step`` on its own, the others held:

    * ``opportunities`` and ``deal_size``: ``x (1 + step)``;
    * ``win_rate``: ``x (1 + step)``, held at 1 when it would pass it (``capped``);
    * ``cycle``: ``x (1 - step)``, i.e. "10 % shorter" means 10 % fewer days. That
      raises revenue by ``1 / (1 - step) - 1`` (11.1 % for 10 %), which is why a
      shorter cycle tops the table when all steps are equal.

    Parameters
    ----------
    opportunities : float
        Open opportunities in the pipeline, ``> 0``.
    win_rate : float
        Fraction of opportunities won, in (0, 1].
    deal_size : float
        Average won amount, ``> 0``.
    cycle_days : float
        Average sales cycle in days, ``> 0``.
    step : float or mapping
        Relative improvement in (0, 1), for every lever or per lever
        (``{"win_rate": 0.05, "cycle": 0.2}``; levers not named use 0.1).
    target : float, optional
        Revenue per period to reach; adds, for each lever alone, the value it must reach
        (``impossible`` for a win rate above 1).
    period_days : float
        Days in a period (30: revenue per month).

    Returns
    -------
    LeverReport

    Raises
    ------
    PlanError
        Naming the parameter and the value.

    Examples
    --------
    >>> report = levers(opportunities=100, win_rate=0.2, deal_size=30_000, cycle_days=60,
    ...                 target=400_000)
    >>> report.revenue
    300000.0
    >>> [(e.lever, round(e.gain_pct, 3)) for e in report.effects]
    [('cycle', 0.111), ('win_rate', 0.1), ('deal_size', 0.1), ('opportunities', 0.1)]
    >>> [(t.lever, round(t.required, 4)) for t in report.to_target]
    [('cycle', 45.0), ('win_rate', 0.2667), ('deal_size', 40000.0), ('opportunities', 133.3333)]
    >>> print(report)
    Revenue per period: 300,000 = 100 opportunities x 20.0% won x 30,000 / 60-day cycle x 30 days
    lever                             now  improved    revenue                gain
    -----------------------------  ------  --------  ---------  ------------------
    Shorter sales cycle            60.0 d    54.0 d  333,333.3  +33,333.3 (+11.1%)
    Raise the win rate              20.0%     22.0%    330,000    +30,000 (+10.0%)
    Bigger deals                   30,000    33,000    330,000    +30,000 (+10.0%)
    More and better opportunities     100       110    330,000    +30,000 (+10.0%)
    To reach 400,000 with one lever alone:
    lever                             now  required  change
    -----------------------------  ------  --------  ------
    Shorter sales cycle            60.0 d    45.0 d  -25.0%
    Raise the win rate              20.0%     26.7%  +33.3%
    Bigger deals                   30,000    40,000  +33.3%
    More and better opportunities     100       134  +33.3%
    """
    where = "levers"
    opp = check_number("opportunities", opportunities, where=where, low=0.0, low_open=True,
                       expected="a positive number of open opportunities")
    wr = check_rate("win_rate", win_rate, where=where)
    size = check_number("deal_size", deal_size, where=where, low=0.0, low_open=True,
                        expected="a positive average deal size")
    cycle = check_number("cycle_days", cycle_days, where=where, low=0.0, low_open=True,
                         expected="a positive cycle length in days")
    period = check_number("period_days", period_days, where=where, low=0.0, low_open=True,
                          expected="a positive number of days per period")
    tgt = None if target is None else check_number(
        "target", target, where=where, low=0.0, low_open=True,
        expected="a positive revenue per period")
    steps = _steps(step)
    base = _velocity(opp, wr, size, cycle, period)
    if not (math.isfinite(base) and base > 0):
        raise PlanError(
            f"levers: revenue per period = opportunities x win_rate x deal_size / "
            f"cycle_days x period_days = {opp:g} x {wr:g} x {size:g} / {cycle:g} x "
            f"{period:g} = {base:g}, not a positive finite number; check the magnitudes",
            parameter="opportunities", value=opportunities,
        )
    current = {"opportunities": opp, "win_rate": wr, "deal_size": size, "cycle": cycle}
    effects = []
    for lever, label in LEVERS.items():
        s = steps[lever]
        capped = False
        # Revenue is a product, so each lever scales it by its own factor; computing it
        # as base x factor keeps equal steps exactly equal (no float noise in the order).
        if lever == "cycle":
            improved = cycle * (1.0 - s)
            factor = 1.0 / (1.0 - s)
        else:
            improved = current[lever] * (1.0 + s)
            factor = 1.0 + s
            if lever == "win_rate" and improved > 1.0:
                improved, capped, factor = 1.0, True, 1.0 / wr
        revenue = base * factor
        effects.append(LeverEffect(
            lever=lever, label=label, current=current[lever], improved=improved,
            revenue=revenue, gain=revenue - base, gain_pct=factor - 1.0, capped=capped,
        ))
    order = list(LEVERS)
    effects.sort(key=lambda e: (-e.gain, order.index(e.lever)))
    to_target: list[LeverTarget] = []
    if tgt is not None:
        factor = tgt / base
        for e in effects:
            if e.lever == "cycle":
                required = cycle / factor
                change = 1.0 - required / cycle
            else:
                required = current[e.lever] * factor
                change = factor - 1.0
            feasible = not (e.lever == "win_rate" and required > 1.0 + 1e-12)
            to_target.append(LeverTarget(
                lever=e.lever, label=e.label, current=e.current, required=required,
                change=change if math.isfinite(change) else math.nan, feasible=feasible,
            ))
    return LeverReport(
        opportunities=opp, win_rate=wr, deal_size=size, cycle_days=cycle,
        period_days=period, revenue=base, steps=steps, effects=tuple(effects),
        target=tgt, to_target=tuple(to_target),
    )
