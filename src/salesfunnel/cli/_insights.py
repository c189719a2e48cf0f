"""Insight sections of the demo report: the drivers of conversion and the stale deals.

Kept apart from the report's own sections so that either can change on its own: the
demo adds these with one call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from salesfunnel._util._i18n import word
from salesfunnel.cli._report import Section, stage_labels

__all__ = ["insight_sections"]


def insight_sections(log: Any, *, as_of: Any, stale_days: Mapping[str, float],
                     lang: str = "en") -> list[Section]:
    """A drivers table (segment values over- or under-represented among the deals that
    won) and a stale-deals table (open deals past ``stale_days`` in their stage)."""
    from salesfunnel import metrics
    from salesfunnel.viz._report import labelled_text

    labels = stage_labels(log.funnel, lang)
    sections = []
    if log.segments:
        drivers = metrics.correlation(log, as_of=as_of)
        sections.append(Section("drivers", word("rep.drivers", lang), drivers,
                                labelled_text(drivers, labels, lang),
                                explain=word("rep.drivers_explain", lang), labels=labels))
    rotting = metrics.stale(log, as_of=as_of, thresholds=dict(stale_days))
    sections.append(Section("stale", word("rep.stale", lang), rotting,
                            labelled_text(rotting, labels, lang),
                            explain=word("rep.stale_explain", lang), labels=labels))
    return sections
