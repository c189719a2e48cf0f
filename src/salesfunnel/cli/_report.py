"""The funnel report of ``salesfunnel report`` and ``salesfunnel demo``: text, JSON, HTML."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
import numpy as np

from salesfunnel._util._time import ns_to_datetime, to_ns
from salesfunnel.errors import InvalidParameterError

__all__ = ["Report", "Section", "build_report", "last_event_time"]


@attrs.frozen
class Section:
    """One part of a report: a heading, the result object and its plain-text form."""

    key: str
    heading: str
    result: Any
    text: str


@attrs.frozen
class Report:
    """Sections of results, rendered as text, JSON-safe data or a self-contained page."""

    sections: tuple[Section, ...]
    intro: str = ""

    def to_text(self) -> str:
        """All sections as plain text, each under an underlined heading."""
        parts = [self.intro] if self.intro else []
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

    def to_html(self, *, title: str, lang: str = "en") -> str:
        """A self-contained HTML page with every section."""
        from salesfunnel.viz import html_report

        return html_report([(s.heading, s.result) for s in self.sections], title=title,
                           lang=lang, intro=self.intro or None)


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
    from salesfunnel.viz import funnel_chart

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
    labels = [log.funnel.stage(n).label.text(lang) for n in conv.stages]
    sections = [
        Section("conversion", "Funnel", conv,
                f"{conv}\n\n{funnel_chart(conv, labels=labels, width=40, lang=lang)}"),
    ]
    if by is not None:
        breakdown = metrics.conversion(log, by=by, **kwargs)
        sections.append(Section("breakdown", f"Funnel by {by}", breakdown, str(breakdown)))
    when = _as_of(as_of, log, naive)
    timing = metrics.timing(log)
    sections.append(Section("timing", "Time between stages", timing, str(timing)))
    pipe = metrics.pipeline(log, as_of=when)
    sections.append(Section("pipeline", "Open pipeline", pipe, str(pipe)))
    return sections


def build_report(log: Any, *, semantic: str = "reached", window_days: float | None = None,
                 by: str | None = None, as_of: str | datetime | None = None,
                 lang: str = "en", extra: Sequence[Section] = (), naive: str = "raise"
                 ) -> Report:
    """The report of ``salesfunnel report``."""
    intro = (
        f"{len(log):,} events of {log.n_entities:,} entities in funnel {log.funnel.name!r}"
    )
    sections = funnel_sections(log, semantic=semantic, window_days=window_days, by=by,
                               as_of=as_of, lang=lang, naive=naive)
    return Report(tuple(sections) + tuple(extra), intro=intro)
