"""The Hypothesis profile is chosen by the HYPOTHESIS_PROFILE environment variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _examples_under(profile: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_PROFILE"}
    if profile is not None:
        env["HYPOTHESIS_PROFILE"] = profile
    tests = Path(__file__).resolve().parent
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import conftest\n"
        "from hypothesis import settings; print(settings().max_examples)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tests)], capture_output=True,
                         text=True, env=env, check=True, timeout=60)
    return int(out.stdout.strip())


def test_profiles_are_reachable_by_environment_variable() -> None:
    assert _examples_under(None) == 100
    assert _examples_under("dev") == 20
    assert _examples_under("fuzz") > 1000
