"""Every example runs: the scripts, the notebook, and the template plugin package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def python(*args: str | Path, env: dict[str, str] | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", check=False, env=env, cwd=cwd, timeout=300)


def test_quickstart_runs() -> None:
    proc = python(EXAMPLES / "quickstart.py")
    assert proc.returncode == 0, proc.stderr
    assert "persisted as" in proc.stdout


def test_crm_embedding_runs_and_persists(tmp_path: Path) -> None:
    from salesfunnel.store import Store
    from salesfunnel.testing import check_store

    path = tmp_path / "deals.db"
    proc = python(EXAMPLES / "crm_embedding.py", path)
    assert proc.returncode == 0, proc.stderr
    assert "refused: 4 checks open" in proc.stdout
    assert "conflict: journey 'beta' changed" in proc.stdout
    assert "stuck: gamma (prospect, 20 days)" in proc.stdout
    assert "outbox -> deal.qualified {'deal': 'acme', 'amount': 30000}" in proc.stdout
    with Store.open(f"sqlite:///{path}") as store:
        stages = {i: store.get(i).stage for i in ("acme", "beta", "gamma")}
        assert stages == {"acme": "qualified", "beta": "lost", "gamma": "prospect"}
        assert "note" not in store.get("beta").subject  # the stale write changed nothing
        assert store.pending() == []  # delivered and marked
        acme = store.get("acme")
        assert acme.version == 5 and len(acme.edits) == 2
        assert check_store(store) == 3


def test_pipeline_analysis_notebook_executes() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(EXAMPLES / "pipeline_analysis.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) >= 8  # funnel, conversion, breakdown, comparison, ... plan, forecast
    assert sum("<svg" in h for h in html) >= 3  # the funnel, the conversion, the plan


def test_custom_template_plugin_installs_and_registers(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--no-compile", "--target", str(target),
         str(EXAMPLES / "custom_template")],
        capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    listed = python("-m", "salesfunnel", "templates", "--format", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "saas-trial" in [row["name"] for row in json.loads(listed.stdout)]
    code = (
        "from salesfunnel import templates\n"
        "f = templates.get('saas-trial')\n"
        "assert templates.get('saas-trial') is not f\n"
        "deal = f.start({'email': 'a@b.c'}, at='2026-01-01T00:00:00+00:00', stage='signup')\n"
        "print(f.names, deal.can_advance().failed)\n"
    )
    shown = python("-c", code, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "('visit', 'signup', 'activated', 'engaged', 'paid', 'churned')" in shown.stdout
    assert "projects >= 1" in shown.stdout
