"""Lazy imports of optional dependencies with an error naming the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from salesfunnel.errors import MissingDependencyError

__all__ = ["import_optional"]


def import_optional(module: str, extra: str, *, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra.

    Examples
    --------
    >>> import_optional("json", "core").__name__
    'json'
    >>> import_optional("no_such_module_xyz", "pandas")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.MissingDependencyError: no_such_module_xyz is needed ...
    install it with: pip install 'salesfunnel[pandas]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = f" for {purpose}" if purpose else ""
        raise MissingDependencyError(
            f"{module} is needed{what or ' here'};\ninstall it with: "
            f"pip install 'salesfunnel[{extra}]'"
        ) from exc
