"""The installed version of salesfunnel, for modules below the package facade."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["package_version"]


def package_version() -> str:
    """The installed distribution's version (``"0+unknown"`` in a bare source tree).

    Examples
    --------
    >>> import salesfunnel
    >>> package_version() == salesfunnel.__version__
    True
    """
    try:
        return version("salesfunnel")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"
