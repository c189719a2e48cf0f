"""The funnel report of ``salesfunnel report`` and ``salesfunnel demo``: text, JSON, HTML.

A report is a summary (the handful of numbers a sales lead asks for) and a list of
:class:`Section` objects, each made by one function here (or in ``_demo``): its result,
its plain text, its charts (SVG) and a sentence explaining every threshold it shows.
Adding a section is adding one such function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

import attrs
import numpy as np

from salesfunnel._display._format import format_count, format_pct
from salesfunnel._util._i18n import WORDS, word
from salesfunnel._util._time import ns_to_datetime, to_ns
from salesfunnel.errors import InvalidParameterError

__all__ = [
    "Report",
    "Section",
    "build_report",
    "channels_section",
    "conversion_section",
    "funnel_sections",
    "last_event_time",
    "pipeline_section",
    "stage_labels",
    "summary_tiles",
    "timing_section",
]


def _strs(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen
class Section:
    """One part of a report.

    Attributes
    ----------
    key : str
        Its name in the JSON form and its anchor in the page.
    heading : str
        The heading, in the report's language.
    result : object
        The result whose tables are shown (or text, shown preformatted).
    text : str
        The plain-text form.
    charts : tuple of str
        SVG or HTML fragments shown above the tables.
    explain : str
        What the thresholds and terms of the section mean, shown under the heading.
    labels : mapping of str to str
        Stage id -> label, used in the tables instead of the ids.
    collapse : bool
        Fold the tables away under the charts (a click shows them).
    """

    key: str
    heading: str
    result: Any
    text: str
    charts: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    explain: str = ""
    labels: Mapping[str, str] = attrs.field(factory=dict)
    collapse: bool = False


@attrs.frozen
class Report:
    """Sections of results, rendered as text, JSON-safe data or a self-contained page."""

    sections: tuple[Section, ...]
    intro: str = ""
    summary: tuple[tuple[str, str, str], ...] = ()
    lang: str = "en"

    def to_text(self) -> str:
        """All sections as plain text, each under an underlined heading."""
        parts = [self.intro] if self.intro else []
        if self.summary:
            parts.append("\n".join(f"{k}: {v}" + (f" ({h})" if h else "")
                                   for k, v, h in self.summary))
        for s in self.sections:
            parts.append(f"{s.heading}\n{'=' * len(s.heading)}\n{s.text}")
        return "\n\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """``{key: result.to_dict()}`` for every section (text for plain sections)."""
        out: dict[str, Any] = {}
        for s in self.sections:
            to_dict = getattr(s.result, "to_dict", None)
            out[s.key] = to_dict() if callable(to_dict) else s.text
        return out

    def to_html(self, *, title: str, lang: str | None = None) -> str:
        """A self-contained HTML page: summary, then every section with its charts."""
        from salesfunnel.viz._report import labelled_tables, page

        lang = self.lang if lang is None else lang
        rendered = []
        for s in self.sections:
            html = []
            if s.explain:
                html.append(f'<p class="sf-explain">{escape(s.explain)}</p>')
            html.extend(s.charts)
            if hasattr(s.result, "_display_parts"):
                tables = labelled_tables(s.result, s.labels, lang)
                if s.collapse:
                    tables = ['<details class="sf-more"><summary>'
                              f'{escape(word("rep.tables", lang))}</summary>',
                              *tables, "</details>"]
                html.extend(tables)
            else:
                html.append(f"<pre>{escape(s.text)}</pre>")
            rendered.append((s.key, s.heading, '<div class="sf-block">' + "\n".join(html)
                             + "</div>"))
        return page(title=title, lang=lang, intro=self.intro, summary=self.summary,
                    sections=rendered)


def last_event_time(log: Any) -> datetime:
    """The time of the latest event (UTC, to the microsecond), or now for an empty log."""
    if not len(log):
        return datetime.now(UTC)
    return ns_to_datetime(int(np.max(log.ts)))


def _as_of(value: str | datetime | None, log: Any, naive: str = "raise") -> Any:
    """``--as-of`` (default: the latest event, exactly) for the metrics."""
    if value is None:
        ns = int(np.max(log.ts)) if len(log) else to_ns(datetime.now(UTC))
    else:
        ns = to_ns(value, parameter="--as-of", naive=naive)
    return np.datetime64(ns, "ns")


def stage_labels(funnel: Any, lang: str) -> dict[str, str]:
    """Stage id -> label in ``lang`` (the id where a stage has no label)."""
    return {s.name: s.label.text(lang) or s.name for s in funnel.stages}


def group_label(value: Any, lang: str) -> str:
    """A segment value as shown: the word table's name of a known lead source
    (``cold_visit`` -> "Cold visits"), else the value itself."""
    key = f"src.{value}"
    return word(key, lang) if key in WORDS else str(value)


def column_label(name: str, lang: str) -> str:
    """A segment column as shown (``channel`` -> "渠道" in Chinese)."""
    key = f"seg.{name}"
    return word(key, lang) if key in WORDS else name


# -- one function per section ------------------------------------------------------------------
def conversion_section(log: Any, conv: Any, lang: str) -> Section:
    """The funnel: chart and conversion table, the bottleneck and intervals explained."""
    from salesfunnel._display._chart import FunnelData
    from salesfunnel.viz import funnel_chart
    from salesfunnel.viz._report import funnel_chart_html, labelled_text

    labels = stage_labels(log.funnel, lang)
    names = [labels[n] for n in conv.stages]
    chart = funnel_chart_html(FunnelData(names, conv.counts), width=760, lang=lang)
    explain = word("rep.conv_explain", lang).format(format_pct(conv.level, 0))
    text = (f"{labelled_text(conv, labels, lang)}\n\n"
            f"{funnel_chart(conv, labels=names, width=40, lang=lang)}")
    return Section("conversion", word("rep.funnel", lang), conv, text,
                   charts=(chart,), explain=explain, labels=labels)


def channels_section(log: Any, breakdown: Any, by: str, lang: str) -> Section:
    """The funnel of each group of ``by``, side by side (small multiples)."""
    from salesfunnel._display._chart import FunnelData
    from salesfunnel.viz._report import labelled_text, small_multiples

    labels = stage_labels(log.funnel, lang)
    items = [(group_label(key, lang), FunnelData([labels[n] for n in conv.stages],
                                                 conv.counts))
             for key, conv in breakdown.items()]
    groups = {str(key): group_label(key, lang) for key in breakdown}
    both = {**labels, **groups}
    return Section("breakdown", word("rep.by", lang).format(column_label(by, lang)),
                   breakdown, labelled_text(breakdown, both, lang),
                   charts=(small_multiples(items, lang=lang),),
                   explain=word("rep.by_explain", lang), labels=both, collapse=True)


def timing_section(log: Any, timing: Any, lang: str) -> Section:
    """Days between stages: a histogram per step and the percentile table."""
    from salesfunnel.viz._report import labelled_text, timing_charts

    labels = stage_labels(log.funnel, lang)
    return Section("timing", word("rep.timing", lang), timing,
                   labelled_text(timing, labels, lang),
                   charts=(timing_charts(timing, labels, lang=lang),),
                   explain=word("rep.timing_explain", lang), labels=labels)


def pipeline_section(log: Any, pipe: Any, as_of: Any, lang: str) -> Section:
    """The open pipeline by stage and age, and the pipeline table."""
    from salesfunnel.viz._report import labelled_text, pipeline_age_chart

    labels = stage_labels(log.funnel, lang)
    as_of_ns = int(np.datetime64(as_of, "ns").astype(np.int64))
    return Section("pipeline", word("rep.pipeline", lang), pipe,
                   labelled_text(pipe, labels, lang),
                   charts=(pipeline_age_chart(log, as_of_ns, lang=lang),),
                   explain=word("rep.pipe_explain", lang), labels=labels)


def summary_tiles(log: Any, conv: Any, pipe: Any, lang: str) -> list[tuple[str, str, str]]:
    """The numbers a sales lead asks for first: deals, won, win rate, deal size, cycle,
    open and weighted pipeline, and the bottleneck."""
    labels = stage_labels(log.funnel, lang)
    tiles = [
        (word("rep.s_entered", lang), format_count(log.n_entities), ""),
        (word("rep.s_won", lang), format_count(pipe.won),
         word("rep.s_lost", lang).format(format_count(pipe.lost))),
        (word("rep.s_win_rate", lang), format_pct(pipe.win_rate), word("rep.s_closed", lang)),
        (word("rep.s_open", lang), format_count(pipe.open),
         word("rep.s_weighted", lang).format(format_count(round(pipe.weighted_value))
                                             if np.isfinite(pipe.weighted_value) else "—")),
    ]
    if np.isfinite(pipe.average_won_amount):
        tiles.append((word("rep.s_deal", lang), format_count(round(pipe.average_won_amount)),
                      ""))
    if np.isfinite(pipe.average_cycle_days):
        tiles.append((word("rep.s_cycle", lang),
                      word("days.short", lang).format(f"{pipe.average_cycle_days:,.0f}"), ""))
    neck = conv.bottleneck
    if neck is not None:
        k = conv.stages.index(neck)
        tiles.append((word("rep.s_neck", lang), labels.get(neck, neck),
                      word("rep.s_neck_rate", lang).format(format_pct(conv.step_rate[k]))))
    return tiles


def funnel_sections(
    log: Any,
    *,
    semantic: str = "reached",
    window_days: float | None = None,
    by: str | None = None,
    as_of: str | datetime | None = None,
    lang: str = "en",
    naive: str = "raise",
) -> list[Section]:
    """Conversion (with a chart), an optional breakdown, timing and the open pipeline."""
    from salesfunnel import metrics

    kwargs: dict[str, Any] = {"semantic": semantic}
    if window_days is not None:
        if window_days < 0:
            raise InvalidParameterError(
                f"--window must be a number of days >= 0; got {window_days!r}",
                parameter="window", value=window_days,
            )
        # Seconds, not a timedelta (which overflows past 999,999,999 days); a window
        # longer than the widest log (about 584 years) means no limit, so the days are
        # capped far above that to keep the product finite.
        kwargs["window"] = min(float(window_days), 1e9) * 86_400.0
    conv = metrics.conversion(log, **kwargs)
    sections = [conversion_section(log, conv, lang)]
    if by is not None:
        breakdown = metrics.conversion(log, by=by, **kwargs)
        sections.append(channels_section(log, breakdown, by, lang))
    when = _as_of(as_of, log, naive)
    sections.append(timing_section(log, metrics.timing(log), lang))
    sections.append(pipeline_section(log, metrics.pipeline(log, as_of=when), when, lang))
    return sections


def build_report(log: Any, *, semantic: str = "reached", window_days: float | None = None,
                 by: str | None = None, as_of: str | datetime | None = None,
                 lang: str = "en", extra: Sequence[Section] = (), naive: str = "raise"
                 ) -> Report:
    """The report of ``salesfunnel report``."""
    intro = word("rep.intro", lang).format(format_count(len(log)),
                                           format_count(log.n_entities), log.funnel.name)
    sections = funnel_sections(log, semantic=semantic, window_days=window_days, by=by,
                               as_of=as_of, lang=lang, naive=naive)
    conv = sections[0].result
    pipe = next(s.result for s in sections if s.key == "pipeline")
    return Report(tuple(sections) + tuple(extra), intro=intro,
                  summary=tuple(summary_tiles(log, conv, pipe, lang)), lang=lang)
