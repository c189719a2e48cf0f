"""Fixtures for the template tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salesfunnel.templates import _registry

# The plugin fixture is a separate distribution, built and installed by the tests; it
# must not be imported (for doctests) from the source tree.
collect_ignore = ["plugin_pkg"]


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[_registry.Registry]:
    """The module-level registry swapped for a copy, so tests can register freely."""
    copy = _registry.REGISTRY._copy()
    monkeypatch.setattr(_registry, "REGISTRY", copy)
    yield copy
