"""Fixtures for every test, the doctests under src/ included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salesfunnel.templates import _registry


@pytest.fixture(autouse=True)
def _own_template_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test (and doctest) registers templates in its own copy of the registry, so
    a template registered by one never shows in another (the CLI runs in process)."""
    monkeypatch.setattr(_registry, "REGISTRY", _registry.REGISTRY._copy())
    yield
