"""Fixtures for the template tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salesfunnel.templates import _registry

# The plugin fixture is a separate distribution, built and installed by the tests; it
# must not be imported (for doctests) from the source tree.
collect_ignore = ["plugin_pkg"]


@pytest.fixture
def isolated_registry() -> Iterator[_registry.Registry]:
    """This test's own copy of the registry (the root conftest swaps one in for every
    test), so tests can register freely."""
    yield _registry.REGISTRY
