"""``salesfunnel demo``: a seeded year of a B2B pipeline, analysed end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from salesfunnel.cli._insights import insight_sections
from salesfunnel.cli._report import Report, Section, funnel_sections

__all__ = ["DEMO_START", "demo_log", "run_demo"]

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


def run_demo(*, seed: int = 2026, deals: int = 2400, target: float = 3_000_000.0,
             lang: str = "en") -> tuple[str, str]:
    """Run the demo; return the text report and the HTML page."""
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
    sections.append(Section(
        "plan", f"Reverse plan for {target:,.0f} next year", plan,
        f"{plan.text(lang)}\n\nAt this year's rates, {target:,.0f} at {size:,.0f} per deal "
        f"needs {plan.deals:,.1f} deals and {plan.inflow:,.0f} new prospects a year "
        f"({plan.rows[0].per_period:,.1f} a month).",
    ))

    if won and lost and open_deals and np.isfinite(cycle) and cycle > 0:
        effects = levers(opportunities=open_deals, win_rate=pipe.win_rate,
                         deal_size=size, cycle_days=cycle, target=target / 12)
        sections.append(Section("levers", "The four levers", effects, str(effects)))

    model = MarkovModel().fit(log)
    sections.append(Section("markov", "Win probability by stage (Markov chain)", model,
                            model.summary()))
    fc = forecast(log, as_of=DEMO_END, horizon=90, target=target / 4, model=model,
                  n_sims=5_000, rng=seed)
    sections.append(Section("forecast", "Forecast of the open pipeline (90 days)", fc,
                            str(fc)))
    # stale: twice the mean days in a stage
    sections += insight_sections(log, as_of=DEMO_END, lang=lang,
                                 stale_days={k: 2 * v for k, v in DEMO_DAYS.items()})

    intro = (
        f"salesfunnel demo: {deals:,} B2B deals entering through the "
        f"'{funnel.name}' funnel during 2026 (seed {seed}), observed on "
        f"{DEMO_END:%Y-%m-%d}: {len(log):,} events, {won:,} won, {lost:,} lost, "
        f"{open_deals:,} still open."
    )
    report = Report(tuple(sections), intro=intro)
    html = report.to_html(title="salesfunnel demo: a year of B2B deals", lang=lang)
    return report.to_text(), html
