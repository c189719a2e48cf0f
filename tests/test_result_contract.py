"""Every public metric and planner result keeps one contract.

``to_dict()`` is strict JSON, ``str()`` is text, ``_repr_html_()`` parses as HTML with a
``<table>``, ``table("zh")`` has Chinese headers that differ from the English ones, and
``to_pandas()`` has the rows of the table. The result types are taken from ``__all__``:
a new public class must be added to RESULTS (or to NOT_RESULTS, with a reason).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest

from salesfunnel import metrics, planner
from salesfunnel.cli._demo import DEMO_END, demo_log
from salesfunnel.events import EventLog

CJK = re.compile(r"[\u4e00-\u9fff]")


def log() -> EventLog:
    return demo_log(seed=7, deals=120)


def empty() -> EventLog:
    return EventLog.from_arrays(log().funnel, entity=[], stage=[], ts=[], unit="D")


def _timing() -> Any:
    return metrics.timing(log())


#: type name -> builders of instances (a small log, and an empty one where supported)
RESULTS: dict[str, list[Callable[[], Any]]] = {
    "Conversion": [lambda: metrics.conversion(log()), lambda: metrics.conversion(empty())],
    "Timing": [_timing, lambda: metrics.timing(empty())],
    "Durations": [lambda: _timing().steps[0]],
    "Survival": [lambda: metrics.survival(log(), as_of=DEMO_END)],
    "Pipeline": [lambda: metrics.pipeline(log(), as_of=DEMO_END, target=1e5),
                 lambda: metrics.pipeline(empty())],
    "Cohorts": [lambda: metrics.cohorts(log(), period="quarter")],
    "Comparison": [lambda: metrics.compare(*log().partition(2))],
    "Breakdown": [lambda: metrics.conversion(log(), by="channel")],
    "StepFunnel": [lambda: metrics.funnel(log(), [0, 2, 3]),
                   lambda: metrics.window_funnel(log(), [0, 1], mode="strict_order"),
                   lambda: metrics.funnel(empty(), [0, 1])],
    "Plan": [lambda: planner.reverse(target=1e6, deal_size=1e4, rates=[0.4, 0.25]),
             lambda: planner.forward(inflow=100, deal_size=10, rates=[0.5, 0.2])],
    "LeverReport": [lambda: planner.levers(opportunities=100, win_rate=0.2, deal_size=3e4,
                                           cycle_days=60, target=2e5)],
    "Forecast": [lambda: planner.forecast(log(), as_of=DEMO_END, horizon=30, n_sims=50,
                                          rng=1)],
    "MarkovModel": [lambda: planner.MarkovModel().fit(log())],
    "NominalComparison": [lambda: planner.MarkovModel().fit(log()).compare_nominal()],
    "Correlation": [lambda: metrics.correlation(log(), step=1),
                    lambda: metrics.correlation(empty())],
    "Stale": [lambda: metrics.stale(log(), as_of=DEMO_END, thresholds=10),
              lambda: metrics.stale(empty(), as_of=DEMO_END, thresholds=10)],
    "ForecastCategories": [lambda: metrics.forecast_categories(log(), as_of=DEMO_END),
                           lambda: metrics.forecast_categories(empty(), as_of=DEMO_END)],
    "DealScorer": [lambda: planner.DealScorer().fit(log()), lambda: planner.DealScorer()],
    "DealScores": [lambda: planner.DealScorer().fit(log()).score(log(), as_of=DEMO_END)],
    "Calibration": [lambda: planner.DealScorer().fit(log()).score(log(), as_of=DEMO_END)
                    .calibration(log())],
    "LaggedPlan": [lambda: planner.lagged([5, 5, 8], log=log(), start="2027-01", max_lag=4),
                   lambda: planner.lagged([10, 10], lags=[0.05, 0.1], start="2027-01")],
}

#: public classes that are not results, and why
NOT_RESULTS = {
    "Capacity": "an input of reverse()",
    "Step": "an input of funnel() and window_funnel()",
    "Exclusion": "an input of funnel()",
    "WindowFunnelMode": "an input of window_funnel()",
    "Source": "an input of reverse()",
    "LeverTarget": "a row of LeverReport.to_target",
    "LeverEffect": "a row of LeverReport.effects",
    "PlanRow": "a row of Plan.rows",
    "SourceRow": "a row of Plan.sources",
    "CapacityPlan": "a part of Plan (Plan.capacity), shown in the plan's notes",
    "ForecastStage": "a row of Forecast.by_stage",
    "NominalRow": "a row of NominalComparison.rows",
}


def public_classes() -> set[str]:
    return {name for mod in (metrics, planner) for name in mod.__all__
            if inspect.isclass(getattr(mod, name))}


def test_every_public_result_type_is_covered() -> None:
    missing = public_classes() - set(RESULTS) - set(NOT_RESULTS)
    assert not missing, f"add these to RESULTS or NOT_RESULTS: {sorted(missing)}"
    assert not set(RESULTS) & set(NOT_RESULTS)
    assert set(RESULTS) | set(NOT_RESULTS) <= public_classes()  # no stale names


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)


CASES = [(name, i) for name, builders in RESULTS.items() for i in range(len(builders))]


@pytest.mark.parametrize(("name", "i"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_result_contract(name: str, i: int) -> None:
    obj = RESULTS[name][i]()
    assert type(obj).__name__ == name
    data = obj.to_dict()
    assert isinstance(data, dict)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    text = str(obj)
    assert isinstance(text, str) and text.strip()
    parser = _Html()
    parser.feed(obj._repr_html_())
    parser.close()
    en, zh = obj.table("en"), obj.table("zh")
    assert len(en) == len(zh) > 0
    with_columns = [(a, b) for a, b in zip(en, zh, strict=True) if a.headers]
    if with_columns:
        assert "table" in parser.tags
    for a, b in with_columns:
        assert a.headers != b.headers
        assert any(CJK.search(h) for h in b.headers)
    chinese = "\n".join(obj.text("zh").splitlines())
    assert CJK.search(chinese)
    pytest.importorskip("pandas")
    frame = obj.to_pandas()
    rows = sum(len(t.rows) for t in en if t.headers)
    if name in ("Conversion", "Durations", "Comparison", "MarkovModel", "NominalComparison",
                "Pipeline"):
        assert len(frame) == rows, (name, len(frame), rows)
    else:  # several tables (or thinned rows): the frame holds the main one's rows
        assert (len(frame) > 0) == (rows > 0), (name, len(frame), rows)
