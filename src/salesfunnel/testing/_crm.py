"""A Hypothesis strategy for CRM-export-like files, with the funnel they must give."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
from hypothesis import strategies as st

from salesfunnel.model import Funnel, Stage
from salesfunnel.testing._validation import StrategyArgumentError, check_funnel, check_int

__all__ = ["GeneratedExport", "crm_exports"]

_T0 = 1_704_067_200  # 2024-01-01T00:00:00Z, seconds


@attrs.frozen
class GeneratedExport:
    """A generated CRM export: its rows, how to read it, and what it must read back as.

    Attributes
    ----------
    funnel : Funnel
        The funnel the stage texts belong to (names, aliases, labels in mixed case).
    header : tuple of str
        The column names.
    rows : tuple of tuple of str
        The data rows as text (blank cells are empty strings).
    delimiter : str
        The field separator.
    options : dict
        Keyword arguments of :func:`salesfunnel.io.read_events` for this file.
    reached : tuple of int
        Per stage of ``funnel.path``: the deals that reached it (the funnel a correct
        reader gives with the ``reached`` semantic).
    deals : int
        Number of deals.

    Examples
    --------
    >>> from hypothesis import find
    >>> from salesfunnel.testing import crm_exports
    >>> export = find(crm_exports(), lambda e: e.deals == 2)
    >>> export.deals, len(export.reached) == len(export.funnel.path), export.reached[0]
    (2, True, 2)
    """

    funnel: Funnel
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    delimiter: str
    options: dict[str, Any]
    reached: tuple[int, ...]
    deals: int

    def text(self) -> str:
        """The export as CSV text."""
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=self.delimiter, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buf.getvalue()

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the export as a UTF-8 CSV file and return its path."""
        p = Path(path)
        p.write_text(self.text(), encoding="utf-8")
        return p


def _default_funnel() -> Funnel:
    return Funnel("crm", [
        Stage("lead", label={"en": "Lead", "zh": "线索"}, aliases=["Prospecting", "Lead In"]),
        Stage("qualified", label="Qualified", aliases=["qualifiedtobuy", "SQL"]),
        Stage("proposal", label="Proposal", aliases=["Proposal/Price Quote"]),
        Stage("won", kind="won", label="Won", aliases=["Closed Won", "closedwon"]),
        Stage("lost", kind="lost", label="Lost", aliases=["Closed Lost"]),
    ], skip_ahead=True)


def _spellings(stage: Stage) -> list[str]:
    texts = [stage.name, *stage.aliases, *stage.label.values()]
    out = []
    for t in texts:
        out.extend([t, t.upper(), t.lower(), f" {t} "])
    return list(dict.fromkeys(out))


def _fmt_time(seconds: int, form: str) -> str:
    if form == "ms":
        return str(seconds * 1000)
    if form == "s":
        return str(seconds)
    when = datetime.fromtimestamp(seconds, UTC)
    if form == "iso-z":
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")  # Salesforce's API form


def _fmt_amount(value: float, decimal: str) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if decimal == "," else text


@st.composite
def _exports(draw: Any, funnel: Funnel, min_deals: int, max_deals: int) -> GeneratedExport:
    path = funnel.path
    n_open = len(path) - 1
    layout = draw(st.sampled_from(["long", "wide"]))
    time_form = draw(st.sampled_from(["ms", "s", "iso-z", "iso-offset"]))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    decimal = "," if delimiter != "," and draw(st.booleans()) else "."
    n = draw(st.integers(min_deals, max_deals))
    reached = [0] * len(path)
    deal_events: list[list[tuple[int, int, str]]] = []  # (stage index, time, amount)
    for d in range(n):
        # A forward path: a non-empty increasing run of open stages (skips allowed),
        # then possibly won or lost.
        start = draw(st.integers(0, n_open - 1))
        steps = sorted(draw(st.sets(st.integers(start, n_open - 1), min_size=1,
                                    max_size=n_open - start)))
        end = draw(st.sampled_from(["open", "won", "lost"] if funnel.lost else
                                   ["open", "won"]))
        stages = list(steps)
        if end == "won":
            stages.append(funnel.won_index)
        elif end == "lost":
            stages.append(funnel.stages.index(funnel.lost[0]))
        top = max(s for s in stages if s <= funnel.won_index)
        for k in range(top + 1):
            reached[k] += 1
        t = _T0 + d * 3600
        events = []
        for s in stages:
            t += draw(st.integers(60, 30 * 86_400))
            priced = draw(st.booleans())
            amount = _fmt_amount(draw(st.integers(0, 10**7)) / 100, decimal) if priced \
                else ""
            events.append((s, t, amount))
        deal_events.append(events)
    unit = time_form if time_form in ("ms", "s") else None
    options: dict[str, Any] = {"entity": "deal_id", "amount": "amount", "unit": unit,
                               "delimiter": delimiter, "decimal": decimal}
    rows: list[tuple[str, ...]] = []
    if layout == "long":
        header: tuple[str, ...] = ("deal_id", "stage", "amount", "changed_at")
        options.update(stage="stage", ts="changed_at")
        flat = [(f"D{d:05d}", s, t, a) for d, evs in enumerate(deal_events)
                for s, t, a in evs]
        order = draw(st.permutations(range(len(flat))))
        for i in order:
            deal, s, t, a = flat[i]
            text = draw(st.sampled_from(_spellings(funnel.stages[s])))
            rows.append((deal, text, a, _fmt_time(t, time_form)))
    else:
        names = [s.name for s in funnel.stages]
        header = ("deal_id", "amount", *(f"date_entered_{n}" for n in names))
        options.update(layout="wide")
        for d, evs in enumerate(deal_events):
            cells = [""] * len(names)
            for s, t, _ in evs:
                cells[s] = _fmt_time(t, time_form)
            amount = next((a for _, _, a in reversed(evs) if a), "")
            rows.append((f"D{d:05d}", amount, *cells))
    return GeneratedExport(funnel=funnel, header=header, rows=tuple(rows), delimiter=delimiter,
                     options=options, reached=tuple(reached), deals=n)


def crm_exports(funnel: Funnel | None = None, *, min_deals: int = 0, max_deals: int = 20
                ) -> st.SearchStrategy[GeneratedExport]:
    """Generate CRM-export-like tables with the funnel counts they must read back as.

    Each export is long (one row per stage change, rows shuffled, every stage written as
    its name, an alias or a label in random case with stray spaces) or wide (one row
    per deal, a ``date_entered_<stage>`` column per stage); times are epoch seconds or
    milliseconds or ISO 8601 (``Z`` or Salesforce's ``+0000``); the delimiter is
    ``,``, ``;`` or TAB, amounts use a decimal point or comma and are often blank.
    Deals move forward through the open stages (skipping some) and may end won or lost.

    Parameters
    ----------
    funnel : Funnel, optional
        Needs stage aliases or labels to be interesting; default: a five-stage CRM
        funnel with Salesforce- and HubSpot-style aliases. Its path must allow skips
        (``skip_ahead=True``) for the generated histories to be valid journeys.
    min_deals, max_deals : int
        Number of deals (0 .. 2,000).

    Returns
    -------
    SearchStrategy of GeneratedExport
        Write one with :meth:`GeneratedExport.write` and read it with
        ``salesfunnel.io.read_events(path, export.funnel, **export.options)``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hypothesis import given, settings
    >>> from salesfunnel import io, metrics
    >>> @settings(max_examples=5)
    ... @given(crm_exports(max_deals=5))
    ... def test_read_back(export):
    ...     with tempfile.TemporaryDirectory() as folder:
    ...         path = export.write(pathlib.Path(folder) / "export.csv")
    ...         log = io.read_events(path, export.funnel, **export.options)
    ...     assert metrics.conversion(log).counts == export.reached
    >>> test_read_back()
    """
    chosen = _default_funnel() if funnel is None else check_funnel("funnel", funnel)
    lo = check_int("min_deals", min_deals, low=0, high=2_000)
    hi = check_int("max_deals", max_deals, low=0, high=2_000)
    if hi < lo:
        raise StrategyArgumentError(f"max_deals={hi} is below min_deals={lo}",
                                    parameter="max_deals", value=hi)
    return _exports(chosen, lo, hi)
