"""Reading event files for the command line: a thin layer over :mod:`salesfunnel.io`
(which reads CSV through pyarrow or the standard library, Parquet, and CRM exports) that
adds the progress bar and reports dropped rows.

Every problem is an :class:`InputFileError` whose message is one line naming the file,
the row, the column and what was expected, so the command can print it and exit 2.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from salesfunnel.errors import InputFileError
from salesfunnel.model import Funnel

__all__ = ["Progress", "load", "read_events"]


class Progress:
    """A progress bar on a stream (stderr), shown only for inputs that take a while.

    ``mode`` is ``"auto"`` (shown on a terminal once reading has taken ``delay``
    seconds), ``"always"`` or ``"never"``.
    """

    def __init__(self, label: str, total: int, *, mode: str = "auto",
                 stream: IO[str] | None = None, delay: float = 2.0) -> None:
        self.label = label
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.mode = mode
        self.delay = 0.0 if mode == "always" else delay
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        tty = getattr(self.stream, "isatty", lambda: False)()
        self.enabled = mode == "always" or (mode == "auto" and tty)

    def update(self, done: int, rows: int, *, force: bool = False) -> None:
        """Redraw when enough time has passed (at most ten times a second)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and (now - self.start < self.delay or now - self.last < 0.1):
            return
        self.last = now
        self.shown = True
        frac = min(1.0, done / self.total)
        filled = int(frac * 30)
        bar = "█" * filled + "░" * (30 - filled)
        self.stream.write(f"\r{self.label} {bar} {frac:4.0%}  {rows:,} rows")
        self.stream.flush()

    def close(self, rows: int) -> None:
        """Draw the final state (if the bar was shown at all) and end the line."""
        if self.enabled and (self.shown or self.mode == "always"):
            self.update(self.total, rows, force=True)
            self.stream.write("\n")
            self.stream.flush()


def read_events(
    path: str | os.PathLike[str],
    funnel: Funnel,
    *,
    entity: str,
    stage: str,
    ts: str,
    amount: str | None = None,
    segment: str | None = None,
    progress: str = "auto",
    stream: IO[str] | None = None,
    naive: str = "raise",
    **options: Any,
) -> Any:
    """Read an event file for ``report`` (see :func:`salesfunnel.io.load_events`),
    with the progress bar; the dropped-row lines are written to ``stream``."""
    loaded = load(path, funnel, progress=progress, stream=stream, source="csv",
                  entity=entity, stage=stage, ts=ts, amount=amount,
                  segments=() if segment is None else (segment,), naive=naive, **options)
    return loaded.log


def load(path: str | os.PathLike[str], funnel: Funnel | None, *, progress: str = "auto",
         stream: IO[str] | None = None, source: str = "csv", **options: Any) -> Any:
    """Read ``path`` with the reader of ``source`` (csv, salesforce, hubspot,
    pipedrive), drawing the progress bar and reporting dropped rows on ``stream``."""
    from salesfunnel.io import load_events
    from salesfunnel.io._crm import load_hubspot, load_pipedrive, load_salesforce

    err = stream if stream is not None else sys.stderr
    p = Path(path)
    size = p.stat().st_size if p.is_file() else 1
    bar = Progress(f"reading {p.name}", size, mode=progress, stream=err)
    if source == "csv":
        if funnel is None:
            raise InputFileError("a CSV event file needs --template NAME or --funnel FILE")
        loaded = load_events(p, funnel, **options)
    else:
        reader: Any = {"salesforce": load_salesforce, "hubspot": load_hubspot,
                       "pipedrive": load_pipedrive}[source]
        loaded = reader(p, funnel, **options)
    bar.close(loaded.rows)
    if loaded.dropped:
        total = loaded.log.dropped
        err.write(f"{p.name}: dropped {total:,} invalid row{'s' if total != 1 else ''} "
                  f"(the deals keep their other events): {'; '.join(loaded.dropped)}\n")
    return loaded
