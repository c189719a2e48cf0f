"""The import layers of the package: no upward import and no import circle.

Every ``import`` in every module under ``src/salesfunnel`` counts: module level,
function level and ``if TYPE_CHECKING:`` blocks alike (there is no exception). A module
belongs to the layer of its top-level subpackage or module (``salesfunnel.model.rules.x``
is in ``model``), so new submodules need no change here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "salesfunnel"

#: The layers from the bottom up. A module may import its own layer and the layers below
#: it, never one above. Names in one tuple share a layer. ``io``, ``store`` and
#: ``_engine`` do not exist yet: their place is kept. The package's ``__init__`` (the
#: facade) and ``__main__`` are above everything.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "_util"),
    ("_display",),
    ("model",),
    ("templates",),
    ("events",),
    ("io", "store", "_engine"),
    ("_simulation", "simulation"),
    ("metrics",),
    ("planner",),
    ("testing",),
    ("viz",),
    ("cli",),
    ("__init__", "__main__"),
)
#: Import circles allowed, each with its reason. A Funnel starts Journeys
#: (``Funnel.start``) and a Journey runs in, and is rebuilt against, its Funnel: one
#: concept over two files of one layer, joined by a function-level import one way.
#: The EventLog class calls the modules that build (``_sources``) and sort (``_sort``) it;
#: they name ``EventLog`` in annotations only (a ``TYPE_CHECKING`` import, never at run
#: time): the class and its helpers are one concept over several files of one package.
#: A Journey runs its Hooks, whose events name the ``Journey`` in annotations only (a
#: ``TYPE_CHECKING`` import).
ALLOWED_CIRCLES = (
    frozenset({"salesfunnel.model._funnel", "salesfunnel.model._journey"}),
    frozenset({"salesfunnel.model._hooks", "salesfunnel.model._journey"}),
    frozenset({"salesfunnel.events._log", "salesfunnel.events._sort"}),
    frozenset({"salesfunnel.events._log", "salesfunnel.events._sources"}),
)
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / ROOT).rglob("*.py"))}


def is_package(name: str, known: dict[str, Path]) -> bool:
    return known[name].name == "__init__.py"


def imports_of(name: str, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """The salesfunnel modules ``name`` imports, with line numbers (every ``import``)."""
    tree = ast.parse(known[name].read_text(encoding="utf-8"))
    package = name if is_package(name, known) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == ROOT or alias.name.startswith(ROOT + "."):
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not (target == ROOT or target.startswith(ROOT + ".")):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in known else target), node.lineno


def layer(name: str) -> str:
    parts = name.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def graph() -> dict[str, set[str]]:
    known = modules()
    edges = {name: {t for t, _ in imports_of(name, known) if t != name} for name in known}
    for pair in ALLOWED_CIRCLES:
        a, b = sorted(pair)
        edges[a].discard(b)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph, as a list of nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_every_module_has_a_layer() -> None:
    unknown = sorted({layer(m) for m in modules()} - set(RANK))
    assert not unknown, f"add these to LAYERS in {__file__}: {unknown}"


def test_no_upward_import() -> None:
    known = modules()
    bad = []
    for name in known:
        for target, line in imports_of(name, known):
            if RANK[layer(target)] > RANK[layer(name)]:
                bad.append(f"{name}:{line} imports {target} ({layer(name)} -> {layer(target)})")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_no_circle_between_modules() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_no_circle_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for name, targets in graph().items():
        edges.setdefault(layer(name), set()).update(
            layer(t) for t in targets if layer(t) != layer(name))
    cycle = find_cycle(edges)
    assert cycle is None, "import circle between packages: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from salesfunnel.model import Funnel", ["salesfunnel.model"]),
        ("from salesfunnel.model import _funnel", ["salesfunnel.model._funnel"]),
        ("def f():\n    import salesfunnel.viz._html", ["salesfunnel.viz._html"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
         "    from salesfunnel.model._gate import Gate", ["salesfunnel.model._gate"]),
        ("from . import _table", ["salesfunnel._display._table"]),
        ("import numpy", []),
    ],
)
def test_the_parser_sees_every_kind_of_import(tmp_path: Path, source: str,
                                              expected: list[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    known = modules()
    fake = tmp_path / "probe.py"
    fake.write_text(source, encoding="utf-8")
    known["salesfunnel._display.probe"] = fake
    assert [t for t, _ in imports_of("salesfunnel._display.probe", known)] == expected


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer("salesfunnel.model.rules._parse") == "model"
    assert layer("salesfunnel") == "__init__"
