"""A progress bar on stderr for long work, shown only on a terminal and after a delay."""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import IO

__all__ = ["Progress"]

#: Work finishing sooner than this (seconds) shows no bar at all.
DELAY = 2.0


class Progress:
    """``with Progress(total, "conversion", enabled) as bar: ... bar.advance()``.

    Draws ``label [#####.....] k/total`` on ``stream`` (stderr), and only when
    ``enabled``, the stream is a terminal and the work has run :data:`DELAY` seconds;
    the line is erased when the block ends (also on an error or Ctrl-C). Thread-safe.

    Examples
    --------
    >>> import io
    >>> with Progress(3, "parts", True, stream=io.StringIO()) as bar:
    ...     bar.advance(); bar.done
    1
    """

    def __init__(self, total: int, label: str, enabled: bool, *,
                 stream: IO[str] | None = None, delay: float = DELAY) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(enabled) and callable(isatty) and bool(isatty())
        self.delay = delay
        self.done = 0
        self._start = time.monotonic()
        self._drawn = False
        self._lock = threading.Lock()

    def __enter__(self) -> Progress:
        return self

    def advance(self, k: int = 1) -> None:
        """Count ``k`` more units done and redraw (when due)."""
        with self._lock:
            self.done += k
            if self.enabled and time.monotonic() - self._start >= self.delay:
                self._draw()

    def _draw(self) -> None:
        width = 30
        frac = self.done / self.total if self.total else 1.0
        filled = round(width * min(frac, 1.0))
        secs = time.monotonic() - self._start
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                          f"{self.done}/{self.total} {secs:,.0f} s")
        self.stream.flush()
        self._drawn = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with self._lock:
            if self._drawn:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
