"""The how-to page shows exactly the tested example, and its other snippets run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "howto" / "property-testing.md"
MARKER = "<!-- example: tests/testing/test_howto_example.py -->"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)

pytestmark = pytest.mark.skipif(not PAGE.exists(), reason="documentation not in this checkout")


def blocks() -> tuple[str, list[str]]:
    text = PAGE.read_text(encoding="utf-8")
    head, marker, tail = text.partition(MARKER)
    assert marker, f"{PAGE.name} lost its marker {MARKER!r}"
    found = BLOCK.search(tail)
    assert found is not None and tail[: found.start()].strip() == "", "no code after the marker"
    others = BLOCK.findall(head) + BLOCK.findall(tail[found.end():])
    return found.group(1), others


def test_the_page_shows_the_tested_example_verbatim() -> None:
    example, _ = blocks()
    assert example == (Path(__file__).parent / "test_howto_example.py").read_text(
        encoding="utf-8"
    )


def test_the_other_snippets_run() -> None:
    _, others = blocks()
    assert others, "expected more snippets on the page"
    for code in others:
        namespace: dict[str, Any] = {"__name__": "howto_snippet"}
        exec(compile(code, str(PAGE), "exec"), namespace)  # our own documentation
        for name, value in namespace.items():
            if name.startswith("test_") and callable(value):
                value()
