"""The public API: ``__all__`` lists exactly what is public, and every public name is
documented."""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

import salesfunnel

PUBLIC_MODULES = ["salesfunnel", "salesfunnel.model", "salesfunnel.errors"]
OPTIONAL_PUBLIC_MODULES = [
    "salesfunnel.templates",
    "salesfunnel.metrics",
    "salesfunnel.planner",
    "salesfunnel.simulation",
    "salesfunnel.store",
    "salesfunnel.testing",
    "salesfunnel.viz",
]


def public_modules() -> list[str]:
    found = list(PUBLIC_MODULES)
    for name in OPTIONAL_PUBLIC_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        found.append(name)
    return found


@pytest.mark.parametrize("module_name", public_modules())
def test_all_matches_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = set(module.__all__)
    missing = sorted(n for n in exported if not hasattr(module, n))
    assert not missing, f"{module_name}.__all__ names missing attributes: {missing}"
    public = {
        n for n, v in vars(module).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType)
        and getattr(v, "__module__", module_name).startswith("salesfunnel")
        and n not in {"annotations", "TYPE_CHECKING"}
    }
    unlisted = sorted(public - exported)
    assert not unlisted, f"public names of {module_name} not in __all__: {unlisted}"
    assert list(module.__all__) == sorted(module.__all__), f"{module_name}.__all__ unsorted"


@pytest.mark.parametrize("module_name", public_modules())
def test_every_public_name_has_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    undocumented = [
        n for n in module.__all__
        if (inspect.isclass(getattr(module, n)) or inspect.isfunction(getattr(module, n)))
        and not inspect.getdoc(getattr(module, n))
    ]
    assert not undocumented, f"{module_name}: undocumented {undocumented}"


def test_version_comes_from_metadata() -> None:
    from importlib.metadata import version

    assert salesfunnel.__version__ == version("salesfunnel")


def test_import_pulls_in_no_optional_dependency() -> None:
    import subprocess
    import sys

    code = (
        "import sys, salesfunnel, salesfunnel.templates, salesfunnel.metrics;"
        "bad = [m for m in ('pandas', 'polars', 'pyarrow', 'matplotlib', 'hypothesis',"
        " 'plotly', 'duckdb') if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"import salesfunnel imported: {out.stdout.strip()}"


def test_errors_subclass_matching_builtins() -> None:
    e = salesfunnel
    assert issubclass(e.DefinitionError, ValueError)
    assert issubclass(e.UnknownTemplateError, KeyError)
    assert issubclass(e.MissingDependencyError, ImportError)
    assert issubclass(e.GateError, RuntimeError)
    for name in ("DefinitionError", "TransitionNotAllowed", "GateFailed", "GateError",
                 "RuleSyntaxError", "EventLogError", "PlanError", "InvalidParameterError",
                 "NotFittedError", "InputFileError"):
        assert issubclass(getattr(e, name), e.FunnelError)
    err = e.UnknownTemplateError("aida2", ["aida", "aidma"])
    assert str(err) == "unknown template 'aida2'; available: 'aida', 'aidma'"


def test_readme_example_runs_and_prints_what_it_says() -> None:
    """The README's example, run as written: each ``print(x)  # text`` must print
    ``text`` (the same check as tests/test_docs.py applies to the documentation)."""
    import io
    import re
    from contextlib import redirect_stdout
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent / "README.md"
    blocks = re.findall(r"^```python\n(.*?)^```", readme.read_text(encoding="utf-8"),
                        re.M | re.S)
    assert blocks, "README.md has no python example"
    checked = 0
    for block in blocks:
        namespace: dict[str, object] = {"__name__": "__readme__"}
        lines = []
        for line in block.splitlines():
            m = re.match(r"^(\s*)print\((.*)\)\s+#\s+(.+?)\s*$", line)
            if m:
                indent, args, expected = m.groups()
                lines.append(f"{indent}__outputs__.append(({expected!r}, "
                             f"' '.join(map(str, ({args},)))))")
                checked += 1
            else:
                lines.append(line)
        outputs: list[tuple[str, str]] = []
        namespace["__outputs__"] = outputs
        with redirect_stdout(io.StringIO()):
            exec(compile("\n".join(lines), "README.md", "exec"), namespace)
        for expected, printed in outputs:
            assert printed == expected, f"README says {expected!r}, the code prints {printed!r}"
    assert checked >= 2


def test_one_except_catches_every_bad_argument() -> None:
    """A bad planning input and a bad metric option are both InvalidParameterErrors."""
    from salesfunnel import metrics, planner

    f = salesfunnel.Funnel("f", [salesfunnel.Stage("a"), salesfunnel.Stage("won", kind="won")])
    log = salesfunnel.EventLog.from_arrays(f, entity=[1], stage=[0], ts=[0], unit="D")
    with pytest.raises(salesfunnel.InvalidParameterError) as info:
        planner.reverse(target=1000, deal_size=0, win_rate=0.1)
    assert isinstance(info.value, salesfunnel.PlanError)
    assert info.value.parameter == "deal_size"
    with pytest.raises(salesfunnel.InvalidParameterError):
        metrics.conversion(log, ci="x")  # type: ignore[arg-type]
    # an unfitted model is a state error, not a bad argument
    assert not issubclass(salesfunnel.NotFittedError, salesfunnel.InvalidParameterError)
    assert issubclass(salesfunnel.NotFittedError, AttributeError)


def test_subpackages_load_lazily_without_optional_dependencies() -> None:
    import subprocess
    import sys

    code = (
        "import sys, salesfunnel as sf\n"
        "lazy = ('metrics', 'planner', 'viz', 'testing')\n"
        "early = [m for m in lazy if 'salesfunnel.' + m in sys.modules]\n"
        "assert not early, early\n"
        "assert callable(sf.metrics.conversion) and callable(sf.planner.reverse)\n"
        "assert callable(sf.viz.to_html) and callable(sf.simulation.transition_matrix)\n"
        "bad = [m for m in ('pandas', 'polars', 'pyarrow', 'matplotlib', 'hypothesis',"
        " 'plotly', 'duckdb') if m in sys.modules]\n"
        "print(','.join(bad))\n"
        "assert callable(sf.testing.funnels)  # the testing package needs hypothesis\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"the subpackages imported: {out.stdout.strip()}"


def test_simulate_function_does_not_hide_its_module() -> None:
    import salesfunnel.simulation

    assert salesfunnel.simulate is salesfunnel.simulation.simulate
    assert callable(salesfunnel.simulation.transition_matrix)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = salesfunnel.nope  # type: ignore[attr-defined]
