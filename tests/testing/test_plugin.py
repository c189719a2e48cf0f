"""The Hypothesis entry point registers salesfunnel's types; the testing extra is optional."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesfunnel import EventLog, Funnel, Gate, Journey, Stage
from salesfunnel.testing import assert_journey_invariants

TYPES = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with warnings as errors."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("HYPOTHESIS")},
             "PYTHONWARNINGS": "error", **env},
    )


def test_the_entry_point_is_declared() -> None:
    found = {
        e.name: e.value for e in importlib.metadata.entry_points(group="hypothesis")
    }
    assert found.get("salesfunnel") == "salesfunnel.testing._hypothesis_plugin:_register"


@TYPES
@given(st.from_type(Funnel), st.from_type(Stage), st.from_type(Gate))
def test_from_type_draws_model_objects(funnel: Funnel, stage: Stage, gate: Gate) -> None:
    assert Funnel.from_dict(funnel.to_dict()) == funnel
    assert isinstance(stage, Stage)
    assert Gate.from_dict(gate.to_dict()) == gate


@TYPES
@given(st.from_type(Journey))
def test_from_type_draws_journeys(journey: Journey) -> None:
    assert_journey_invariants(journey)


@TYPES
@given(st.from_type(EventLog))
def test_from_type_draws_event_logs(log: EventLog) -> None:
    assert isinstance(log, EventLog) and len(log) >= 0


@TYPES
@given(st.builds(lambda f, j: (f, j), st.from_type(Funnel), st.from_type(Journey)))
def test_from_type_works_inside_builds(pair: tuple[Funnel, Journey]) -> None:
    assert isinstance(pair[0], Funnel)


def test_a_fresh_interpreter_registers_the_types_when_hypothesis_is_imported() -> None:
    result = run_python(
        """
        from hypothesis import given, settings, strategies as st
        from salesfunnel import Funnel
        from salesfunnel.testing import _hypothesis_plugin

        assert _hypothesis_plugin._last_error is None, _hypothesis_plugin._last_error

        @settings(max_examples=5, database=None)
        @given(st.from_type(Funnel))
        def test(funnel):
            assert isinstance(funnel, Funnel)

        test()
        print("registered")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "registered"


def test_plugins_can_be_switched_off() -> None:
    result = run_python(
        """
        import sys
        import hypothesis
        assert "salesfunnel" not in sys.modules
        print("off")
        """,
        HYPOTHESIS_NO_PLUGINS="1",
    )
    assert result.returncode == 0, result.stderr


def test_without_the_entry_point_from_type_cannot_draw_a_funnel() -> None:
    # The contrast that shows the entry point is what makes st.from_type(Funnel) work:
    # Hypothesis's own inference from the attrs fields cannot build a Funnel.
    result = run_python(
        """
        from hypothesis import given, settings, strategies as st
        from hypothesis.errors import InvalidArgument
        from salesfunnel import Funnel

        @settings(max_examples=5, database=None)
        @given(st.from_type(Funnel))
        def test(funnel):
            raise SystemExit(f"drew {funnel!r} without the entry point")

        try:
            test()
        except InvalidArgument:
            print("unresolved")
        """,
        HYPOTHESIS_NO_PLUGINS="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "unresolved"


def test_importing_salesfunnel_does_not_import_hypothesis() -> None:
    result = run_python(
        """
        import sys
        import salesfunnel, salesfunnel.metrics, salesfunnel.templates
        assert "hypothesis" not in sys.modules, "hypothesis imported by salesfunnel"
        """
    )
    assert result.returncode == 0, result.stderr


def test_without_hypothesis_the_testing_module_names_the_extra() -> None:
    result = run_python(
        """
        import sys
        sys.modules["hypothesis"] = None  # as if it were not installed
        import salesfunnel
        try:
            import salesfunnel.testing
        except salesfunnel.MissingDependencyError as exc:
            assert isinstance(exc, ImportError)
            print(exc)
        else:
            raise SystemExit("imported without hypothesis")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'salesfunnel[testing]'" in result.stdout
    assert "hypothesis is needed for salesfunnel.testing" in result.stdout


def test_the_hook_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from hypothesis import strategies as hst

    from salesfunnel.testing import _hypothesis_plugin

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("registry unavailable")

    monkeypatch.setattr(hst, "register_type_strategy", broken)
    _hypothesis_plugin._register()  # does not raise
    assert isinstance(_hypothesis_plugin._last_error, RuntimeError)
    monkeypatch.undo()
    _hypothesis_plugin._register()
    assert _hypothesis_plugin._last_error is None


def test_the_hook_is_cheap() -> None:
    result = run_python(
        """
        import sys
        import hypothesis
        loaded = sorted(m for m in sys.modules if m.startswith("salesfunnel.testing."))
        assert loaded == ["salesfunnel.testing._hypothesis_plugin"], loaded
        """
    )
    assert result.returncode == 0, result.stderr


def test_public_names_load_lazily_and_all_of_them_exist() -> None:
    import salesfunnel.testing as testing

    assert sorted(testing._WHERE) == testing.__all__
    for name in testing.__all__:
        assert getattr(testing, name) is not None
        assert name in dir(testing)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        testing.nope  # noqa: B018
