"""A real third-party plugin: a distribution with an entry point, installed at run time.

``plugin_pkg/`` is a tiny project of its own (hatchling, entry point
``demo-plugin = sf_demo_plugin:make_funnel`` in the group ``salesfunnel.templates``).
The first test builds and installs it with pip into a temporary target directory put on
``sys.path`` (the real build and install path, without touching the environment the tests
run in); the second writes an installed distribution's metadata by hand. In both,
``importlib.metadata`` discovers the entry point and the registry sees the template
after its lazy-load cache is reset with the private hook ``_reset_plugins``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from salesfunnel import Funnel, GateFailed, templates
from salesfunnel.templates import _registry

PLUGIN_SOURCE = Path(__file__).parent / "plugin_pkg"


@pytest.fixture
def plugin_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reset the registry's plugin cache around a test that changes ``sys.path``."""
    _registry._reset_plugins()
    yield
    # monkeypatch restores sys.path after this fixture's teardown: undo it here first.
    monkeypatch.undo()
    for module in ("sf_demo_plugin", "sf_distinfo_demo"):
        sys.modules.pop(module, None)
    _registry._reset_plugins()


def test_pip_installed_plugin_is_seen_by_names_and_get(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plugin_path: None
) -> None:
    source = tmp_path / "src"
    shutil.copytree(PLUGIN_SOURCE, source, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--no-index", "--target", str(target), str(source)],
        capture_output=True, text=True, check=False, timeout=300, env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "sf_demo_plugin-0.1.0.dist-info" / "entry_points.txt").is_file()
    assert "demo-plugin" not in templates.names(), "not visible before it is on the path"

    monkeypatch.syspath_prepend(str(target))
    _registry._reset_plugins()
    assert "demo-plugin" in templates.names()
    assert list(templates.names()) == sorted(templates.names())
    funnel = templates.get("demo-plugin")
    assert isinstance(funnel, Funnel)
    assert funnel.names == ("signup", "trial", "customer", "lost")
    assert funnel.label.text("zh") == "演示插件漏斗"
    assert templates.get("demo-plugin") is not funnel
    module = sys.modules["sf_demo_plugin"]
    assert Path(module.__file__ or "").resolve().is_relative_to(target.resolve())
    assert "sf-demo-plugin 0.1.0" in _registry.REGISTRY.origin("demo-plugin")
    with pytest.raises(GateFailed, match="email is set"):
        funnel.start({}, at="2026-01-05T09:00:00+00:00").advance(
            at="2026-01-06T09:00:00+00:00"
        )


def test_distribution_metadata_on_the_path_is_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plugin_path: None
) -> None:
    info = tmp_path / "sf_distinfo_demo-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: sf-distinfo-demo\nVersion: 1.2\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[salesfunnel.templates]\ndistinfo-demo = sf_distinfo_demo:build\n", encoding="utf-8"
    )
    (tmp_path / "sf_distinfo_demo.py").write_text(textwrap.dedent("""
        from salesfunnel import Funnel, Stage

        def build():
            return Funnel("distinfo-demo", ["visit", Stage("order", kind="won")])
    """), encoding="utf-8")
    assert "distinfo-demo" not in templates.names()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "distinfo-demo" not in templates.names(), "cached until the hook resets it"
    _registry._reset_plugins()
    assert "distinfo-demo" in templates.names()
    assert templates.get("distinfo-demo").names == ("visit", "order")
    assert "sf-distinfo-demo 1.2" in _registry.REGISTRY.origin("distinfo-demo")
