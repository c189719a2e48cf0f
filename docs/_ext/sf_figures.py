"""Sphinx extension: draw the documentation's figures from the library itself at build time.

Writes into ``docs/_generated/`` (not under version control):

- ``templates/NAME.svg`` and ``templates/NAME.zh.svg``: every built-in template as a
  state diagram (:func:`salesfunnel.viz.diagram_svg`), and ``templates.md``, the page
  fragment that shows them with their Mermaid source;
- ``charts/KEY-N.svg``: every chart of the demo report, and ``gallery.md``, the page
  fragment that shows them under their section headings;
- ``extra/report-en.html`` and ``extra/report-zh.html``: the whole demo report, copied
  to the root of the built site (``html_extra_path``) so the gallery links to it.

Nothing is fetched from the network; a change to the library changes the pictures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "_generated"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def templates_fragment() -> str:
    from salesfunnel import templates
    from salesfunnel.viz import diagram_svg

    parts = []
    for name in templates.names():
        funnel = templates.get(name)
        for lang, suffix in (("en", ""), ("zh", ".zh")):
            _write(OUT / "templates" / f"{name}{suffix}.svg", diagram_svg(funnel, lang=lang))
        label = funnel.label.text("en") or name
        parts.append(
            f"## {label} (`{name}`)\n\n"
            f"![The {name} funnel as a state diagram](templates/{name}.svg)\n\n"
            + (f"In Chinese (`diagram_svg(funnel, lang=\"zh\")`):\n\n"
               f"![The {name} funnel in Chinese](templates/{name}.zh.svg)\n\n"
               if name == "b2b-seven-stage" else "")
            + f"As Mermaid (`salesfunnel templates {name} --format mermaid`):\n\n"
            f"```text\n{funnel.to_mermaid()}```\n"
        )
    return "\n".join(parts)


def gallery_fragment() -> str:
    from salesfunnel.cli._demo import demo_report

    reports = {lang: demo_report(lang=lang) for lang in ("en", "zh")}
    report = reports["en"]
    parts = []
    for s in report.sections:
        if not s.charts:
            continue
        parts.append(f"## {s.heading}\n\n{s.explain}\n")
        for k, chart in enumerate(s.charts, 1):
            if chart.lstrip().startswith("<svg"):
                _write(OUT / "charts" / f"{s.key}-{k}.svg", chart)
                parts.append(f"![{s.heading}](charts/{s.key}-{k}.svg)\n")
            else:   # a grid of small charts: shown as they are in the report
                parts.append(f"```{{raw}} html\n{chart}\n```\n")
    for lang in ("en", "zh"):
        html = reports[lang].to_html(
            title="salesfunnel demo: a year of B2B deals" if lang == "en"
            else "salesfunnel 演示: 一年的 B2B 商机", lang=lang)
        _write(OUT / "extra" / f"report-{lang}.html", html)
    return "\n".join(parts)


def generate(app: Any = None) -> None:
    """Write every generated figure and fragment (run when the builder starts)."""
    _write(OUT / "templates.md", templates_fragment())
    _write(OUT / "gallery.md", gallery_fragment())


def setup(app: Any) -> dict[str, Any]:
    # At load time: html_extra_path must exist when the configuration is checked.
    generate(app)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
