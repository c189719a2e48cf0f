"""The hook Hypothesis runs through its ``hypothesis`` entry point.

Declared in ``pyproject.toml``::

    [project.entry-points.hypothesis]
    salesfunnel = "salesfunnel.testing._hypothesis_plugin:_register"

Hypothesis calls :func:`_register` while ``import hypothesis`` runs, so it must be cheap
and must never raise: it registers small resolver functions with
:func:`hypothesis.strategies.register_type_strategy` and builds no strategy until
:func:`hypothesis.strategies.from_type` asks for one.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []

#: The exception that stopped the last registration, if any (for debugging a broken
#: install; the hook itself never raises because that would break ``import hypothesis``).
_last_error: BaseException | None = None


def _funnel(_: type) -> Any:
    from salesfunnel.testing._strategies import funnels

    return funnels()


def _stage(_: type) -> Any:
    from salesfunnel.testing._strategies import stages

    return stages()


def _gate(_: type) -> Any:
    from salesfunnel.testing._strategies import gates

    return gates()


def _journey(_: type) -> Any:
    from salesfunnel.testing._strategies import journeys

    return journeys()


def _event_log(_: type) -> Any:
    from salesfunnel.testing._eventlogs import event_logs

    return event_logs()


def _register() -> None:
    """Register salesfunnel's types with ``st.from_type`` (called by Hypothesis)."""
    global _last_error
    try:
        from hypothesis import strategies as st

        from salesfunnel.events import EventLog
        from salesfunnel.model import Funnel, Gate, Journey, Stage

        st.register_type_strategy(Funnel, _funnel)
        st.register_type_strategy(Stage, _stage)
        st.register_type_strategy(Gate, _gate)
        st.register_type_strategy(Journey, _journey)
        st.register_type_strategy(EventLog, _event_log)
        _last_error = None
    except Exception as exc:  # pragma: no cover - never break ``import hypothesis``
        _last_error = exc
