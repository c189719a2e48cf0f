"""``salesfunnel demo``: a seeded year of a B2B pipeline, analysed end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import numpy as np

from salesfunnel._display._format import format_count, format_pct
from salesfunnel._util._i18n import word
from salesfunnel.cli._report import (
    Report,
    Section,
    funnel_sections,
    stage_labels,
    summary_tiles,
)
from salesfunnel.planner._common import whole

__all__ = ["DEMO_START", "demo_log", "demo_report", "forecast_section", "levers_section",
           "markov_section", "plan_section", "run_demo"]

DEMO_START = datetime(2026, 1, 1, tzinfo=UTC)
DEMO_END = DEMO_START + timedelta(days=365)

# Stage-to-stage rates and days in stage for the seven-stage B2B funnel: roughly the
# funnel table's probabilities, with a slower middle (project set-up takes weeks).
DEMO_RATES = (0.6, 0.55, 0.55, 0.6, 0.7, 0.75)
DEMO_DAYS = {"prospect": 10, "target": 14, "qualified": 21, "shortlisted": 21,
             "intent": 18, "near-win": 14}
DEMO_CHANNELS = {"cold_visit": 0.35, "follow_up": 0.25, "inbound": 0.25, "referral": 0.15}


def demo_log(*, seed: int = 2026, deals: int = 2400) -> Any:
    """The demo's event log: ``deals`` entering over 2026, observed on 2027-01-01."""
    from salesfunnel import templates
    from salesfunnel.simulation import simulate

    funnel = templates.get("b2b-seven-stage")
    return simulate(
        funnel, n=deals, start=DEMO_START, spread_days=365.0, rates=list(DEMO_RATES),
        days_in_stage=DEMO_DAYS, amount=(30_000.0, 0.5), segments={"channel": DEMO_CHANNELS},
        until=DEMO_END, rng=seed,
    )


def plan_section(log: Any, plan: Any, target: float, size: float, lang: str) -> Section:
    """The reverse plan: the funnel of people needed, rounded up to whole people."""
    from salesfunnel._display._chart import FunnelData
    from salesfunnel.viz._report import funnel_chart_html

    labels = stage_labels(log.funnel, lang)
    chart = FunnelData([labels.get(r.stage, r.stage) for r in plan.rows],
                       [float(whole(r.total).replace(",", "")) for r in plan.rows])
    from salesfunnel.viz._report import labelled_text

    text = labelled_text(plan, labels, lang) + "\n\n" + word("rep.plan_line", lang).format(
        format_count(target), format_count(size), whole(plan.deals), whole(plan.inflow),
        whole(plan.rows[0].per_period))
    return Section("plan", word("rep.plan", lang).format(format_count(target)), plan, text,
                   charts=(funnel_chart_html(chart, width=760, lang=lang),),
                   explain=word("rep.plan_explain", lang), labels=labels)


def levers_section(effects: Any, lang: str) -> Section:
    """The four levers: the gain of each alone, as bars, and the way to the target."""
    from salesfunnel.viz._report import levers_chart

    step = format_pct(max(effects.steps.values()), 0)
    return Section("levers", word("rep.levers", lang), effects, effects.text(lang),
                   charts=(levers_chart(effects, lang=lang),),
                   explain=word("rep.levers_explain", lang).format(step))


def markov_section(log: Any, model: Any, lang: str) -> Section:
    """Nominal against observed probabilities of winning, and the Markov chain."""
    from salesfunnel.viz._report import labelled_text, nominal_chart

    cmp = model.compare_nominal()
    labels = stage_labels(log.funnel, lang)
    text = (f"{labelled_text(cmp, labels, lang)}\n\n"
            f"{labelled_text(model, labels, lang)}")
    return Section("markov", word("rep.markov", lang), _Both(cmp, model), text,
                   charts=(nominal_chart(cmp, lang=lang),),
                   explain=word("rep.markov_explain", lang).format(
                       word("pp", lang).format(f"{100 * cmp.threshold:g}")),
                   labels=labels)


def forecast_section(log: Any, fc: Any, lang: str) -> Section:
    """The distribution of won revenue in the horizon, with P(target)."""
    from salesfunnel.viz._report import forecast_chart, labelled_text

    labels = stage_labels(log.funnel, lang)
    return Section("forecast", word("rep.forecast", lang).format(format_count(
        fc.horizon_days)), fc, labelled_text(fc, labels, lang),
        charts=(forecast_chart(fc, lang=lang),), explain=word("rep.fc_explain", lang),
        labels=labels)


@attrs.frozen
class _Both:
    """Two results shown in one section (their tables one after the other)."""

    first: Any
    second: Any

    def _display_parts(self, lang: str) -> tuple[Any, ...]:
        return (*self.first._display_parts(lang), *self.second._display_parts(lang))

    def to_dict(self) -> dict[str, Any]:
        return {"nominal": self.first.to_dict(), "model": self.second.to_dict()}


def run_demo(*, seed: int = 2026, deals: int = 2400, target: float = 3_000_000.0,
             lang: str = "en") -> tuple[str, str]:
    """Run the demo; return the text report and the HTML page."""
    report = demo_report(seed=seed, deals=deals, target=target, lang=lang)
    html = report.to_html(title=word("rep.demo_title", lang), lang=lang)
    return report.to_text(), html


def demo_report(*, seed: int = 2026, deals: int = 2400, target: float = 3_000_000.0,
                lang: str = "en") -> Report:
    """The demo's report: summary and sections (charts included)."""
    from salesfunnel.planner import MarkovModel, forecast, levers, reverse

    log = demo_log(seed=seed, deals=deals)
    funnel = log.funnel
    sections = funnel_sections(log, by="channel", as_of=DEMO_END, lang=lang)
    conv = sections[0].result
    pipe = next(s.result for s in sections if s.key == "pipeline")
    won, lost, open_deals = pipe.won, pipe.lost, pipe.open
    deal_size, cycle = pipe.average_won_amount, pipe.average_cycle_days
    size = round(deal_size, -2) if np.isfinite(deal_size) else 30_000.0
    rates = conv if all(0 < r <= 1 for r in conv.step_rate[1:]) else None
    plan = reverse(target=target, deal_size=size, rates=rates,
                   funnel=None if rates is not None else funnel)
    sections.append(plan_section(log, plan, target, size, lang))

    if won and lost and open_deals and np.isfinite(cycle) and cycle > 0:
        effects = levers(opportunities=open_deals, win_rate=pipe.win_rate,
                         deal_size=size, cycle_days=cycle, target=target / 12)
        sections.append(levers_section(effects, lang))

    model = MarkovModel().fit(log)
    sections.append(markov_section(log, model, lang))
    fc = forecast(log, as_of=DEMO_END, horizon=90, target=target / 4, model=model,
                  n_sims=5_000, rng=seed)
    sections.append(forecast_section(log, fc, lang))

    intro = word("rep.demo_intro", lang).format(
        deals=format_count(deals), funnel=funnel.name, seed=seed,
        end=f"{DEMO_END:%Y-%m-%d}", events=format_count(len(log)), won=format_count(won),
        lost=format_count(lost), open=format_count(open_deals))
    summary = summary_tiles(log, conv, pipe, lang)
    if fc.p_target is not None:
        summary.append((word("rep.s_p_target", lang), format_pct(fc.p_target),
                        word("rep.s_p_target_hint", lang).format(
                            format_count(fc.target), format_count(fc.horizon_days))))
    summary.append((word("rep.s_plan", lang), whole(plan.rows[0].per_period),
                    word("rep.s_plan_hint", lang).format(format_count(target))))
    return Report(tuple(sections), intro=intro, summary=tuple(summary), lang=lang)
