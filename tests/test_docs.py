"""The code in the documentation runs, and prints what the pages say it prints.

Every ```python block of a page is executed in order in one namespace (a fresh
working directory per page). A line ``print(x)  # text`` also checks the output: the
printed text must equal ``text``, or ``text`` must start with it followed by ``:`` and
an explanation.
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.M | re.S)
CHECKED = re.compile(r"^(\s*)print\((.*)\)\s+#\s+(.+?)\s*$")


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts
                  and FENCE.search(p.read_text(encoding="utf-8")))


def _instrument(code: str) -> str:
    out = []
    for line in code.splitlines():
        m = CHECKED.match(line)
        if m:
            indent, args, expected = m.groups()
            out.append(f"{indent}__check__({expected!r}, {args})")
        else:
            out.append(line)
    return "\n".join(out)


def _check(expected: str, *values: Any) -> None:
    text = " ".join(str(v) for v in values)
    print(text)
    assert expected == text or expected.startswith(text + ":"), (
        f"the page says {expected!r} but the code printed {text!r}"
    )


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_page_code_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__", "__check__": _check}
    blocks = FENCE.findall(page.read_text(encoding="utf-8"))
    for i, block in enumerate(blocks, 1):
        sink = io.StringIO()
        try:
            with redirect_stdout(sink):
                exec(compile(_instrument(block), f"{page.name}[block {i}]", "exec"), namespace)
        except AssertionError as exc:
            pytest.fail(f"{page.name}, block {i}: {exc}")


def test_docs_pages_are_found() -> None:
    names = {p.name for p in pages()}
    assert {"b2b-seven-stage.md", "decision-journey.md", "rules.md"} <= names
