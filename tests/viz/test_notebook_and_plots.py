"""Notebook display (``_repr_html_``) of the library's objects, and the optional plots."""

from __future__ import annotations

import builtins
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from salesfunnel import MissingDependencyError, metrics, templates
from salesfunnel.cli._demo import DEMO_END, demo_log
from salesfunnel.planner import forecast, levers, reverse
from salesfunnel.viz import plot, to_plotly


@pytest.fixture(scope="module")
def log() -> Any:
    return demo_log(seed=3, deals=400)


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg.*?</svg>", html, re.S)]


def test_funnel_and_results_display_as_html_in_notebooks(log: Any) -> None:
    conv = metrics.conversion(log)
    objects = {
        "funnel": templates.get("b2b-seven-stage"),
        "conversion": conv,
        "breakdown": metrics.conversion(log, by="channel"),
        "timing": metrics.timing(log),
        "pipeline": metrics.pipeline(log, as_of=DEMO_END),
        "plan": reverse(target=3_000_000, deal_size=30_000, rates=conv),
        "levers": levers(opportunities=100, win_rate=0.2, deal_size=30_000, cycle_days=60),
        "forecast": forecast(log, as_of=DEMO_END, horizon=30, n_sims=200, rng=1),
    }
    for name, obj in objects.items():
        html = obj._repr_html_()
        assert html.startswith('<div class="sf-block">'), name
        for svg in svgs(html):  # every SVG inside is well-formed
            assert svg.tag.endswith("svg")
    conv_html = objects["conversion"]._repr_html_()
    assert len(svgs(conv_html)) == 1
    # the SVG funnel has one trapezoid per stage, widest first
    assert len(svgs(conv_html)[0].findall(".//{http://www.w3.org/2000/svg}polygon")) == len(
        conv.counts)
    assert len(svgs(objects["plan"]._repr_html_())) == 1
    assert "channel = " in objects["breakdown"]._repr_html_()


def test_demo_charts_render_to_png(log: Any, tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conv = metrics.conversion(log)
    plan = reverse(target=3_000_000, deal_size=30_000, rates=conv)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    plot(conv, ax=axes[0], title="Funnel")
    plot(plan, ax=axes[1], title="Plan")
    out = tmp_path / "demo.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    # bar widths follow the counts
    ax = plot(conv)
    widths = [p.get_width() for p in ax.patches]
    top = max(conv.counts)
    assert widths == pytest.approx([max(c / top, 0.004) for c in conv.counts])
    plt.close("all")


@pytest.mark.parametrize(("fn", "module", "extra"),
                         [(plot, "matplotlib", "plot"), (to_plotly, "plotly", "plotly")])
def test_missing_plot_libraries_name_the_extra(monkeypatch: pytest.MonkeyPatch, fn: Any,
                                               module: str, extra: str) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    import importlib

    monkeypatch.setattr(importlib, "import_module", lambda name: fake_import(name))
    with pytest.raises(MissingDependencyError, match=rf"salesfunnel\[{extra}\]"):
        fn([10, 5, 1])


def test_to_plotly_when_installed() -> None:
    pytest.importorskip("plotly")
    fig = to_plotly({"lead": 100, "won": 10})
    assert list(fig.data[0].x) == [100.0, 10.0]
