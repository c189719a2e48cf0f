"""The library-wide execution options: how many threads the metrics and builds use.

One documented way to set them: :func:`salesfunnel.set_options` (also usable as a
context manager). The start value of ``workers`` is the number of cores this process
may use, or the environment variable ``SALESFUNNEL_WORKERS`` when it is set (for
deployments that cannot change code).
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

import attrs

from salesfunnel._util._validate import check_int
from salesfunnel.errors import InvalidParameterError

__all__ = ["Options", "get_options", "resolve_workers", "set_options"]

ENV_WORKERS = "SALESFUNNEL_WORKERS"


def cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(os.cpu_count() or 1, 1)


def _initial_workers() -> int:
    raw = os.environ.get(ENV_WORKERS, "").strip()
    if not raw:
        return cores()
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= 2**63 - 1:
        raise InvalidParameterError(
            f"The environment variable {ENV_WORKERS} must be a positive integer (below "
            f"2**63); got {raw!r}.", parameter=ENV_WORKERS, value=raw)
    return value


@attrs.frozen
class Options:
    """The execution options in force (see :func:`set_options`).

    Attributes
    ----------
    workers : int
        Threads used by partitioned builds and metrics (1: everything in the calling
        thread).

    Examples
    --------
    >>> import salesfunnel as sf
    >>> sf.get_options().workers >= 1
    True
    """

    workers: int = attrs.field()

    @workers.validator
    def _check_workers(self, attribute: Any, value: Any) -> None:
        check_int("workers", value, where="Options", low=1)


_current: list[Options] = []


def get_options() -> Options:
    """The execution options in force.

    Returns
    -------
    Options

    Examples
    --------
    >>> import salesfunnel as sf
    >>> with sf.set_options(workers=3):
    ...     sf.get_options().workers
    3
    """
    if not _current:
        _current.append(Options(workers=_initial_workers()))
    return _current[-1]


class _Restore:
    """Returned by :func:`set_options`: restores the previous options on ``__exit__``."""

    def __init__(self, previous: Options) -> None:
        self._previous = previous

    def __enter__(self) -> Options:
        return get_options()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        _current[-1] = self._previous


def set_options(*, workers: int | None = None) -> Any:
    """Set library-wide execution options; as a context manager, only for the block.

    Parameters
    ----------
    workers : int, optional
        Threads for partitioned builds and metrics: the default of every ``workers=``
        argument (its start value is the number of cores, or the environment variable
        ``SALESFUNNEL_WORKERS``). ``None`` leaves it unchanged.

    Returns
    -------
    context manager
        Entering it returns the new :class:`Options`; leaving it restores the previous
        ones. Not entering it keeps the new options.

    Raises
    ------
    InvalidParameterError
        If ``workers`` is not a positive integer.

    Examples
    --------
    >>> import salesfunnel as sf
    >>> before = sf.get_options().workers
    >>> with sf.set_options(workers=1) as opts:
    ...     opts.workers
    1
    >>> sf.get_options().workers == before
    True
    """
    previous = get_options()
    new = previous
    if workers is not None:
        new = attrs.evolve(new, workers=check_int("workers", workers, where="set_options",
                                                  low=1))
    _current[-1] = new
    return _Restore(previous)


def resolve_workers(workers: int | None, *, where: str) -> int:
    """``workers`` checked, or the library default when ``None``."""
    if workers is None:
        return get_options().workers
    return check_int("workers", workers, where=where, low=1)
