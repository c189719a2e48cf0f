"""Reading event files for the command line: CSV (standard library) and Parquet (pyarrow).

Every problem becomes a :class:`InputFileError` whose message is one line naming the file,
the row, the column and what was expected, so the command can print it and exit 2.
"""

from __future__ import annotations

import csv
import math
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from salesfunnel._util._suggest import closest, listing
from salesfunnel._util._time import TimeProblem, check_naive, scalar_ns
from salesfunnel.errors import InputFileError
from salesfunnel.model import Funnel

__all__ = ["Columns", "Progress", "read_events"]

_TIME_EXAMPLE = "2026-03-01T09:30:00+00:00"


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


class Columns:
    """Validates rows one by one and collects the event columns."""

    def __init__(self, funnel: Funnel, *, source: str, names: dict[str, str | None],
                 naive: str = "raise") -> None:
        self.funnel = funnel
        self.naive = check_naive(naive)
        self.source = source
        self.names = names
        self.stage_index = {n: i for i, n in enumerate(funnel.names)}
        self.entity: list[str] = []
        self.stage: list[int] = []
        self.ts: list[int] = []
        self.amount: list[float] = []
        self.segment: list[str] = []

    def fail(self, where: str, role: str, value: Any, expected: str) -> InputFileError:
        column = self.names[role]
        return InputFileError(
            f"{self.source}, {where}, column {column!r}: expected {expected}; got {value!r}"
        )

    def add(self, where: str, entity: Any, stage: Any, ts: Any, amount: Any = None,
            segment: Any = None) -> None:
        """Check one row and append it; raise :class:`InputFileError` on the first problem."""
        if entity is None or (isinstance(entity, str) and not entity.strip()):
            raise self.fail(where, "entity", entity, "an entity id (not empty)")
        key = stage.strip() if isinstance(stage, str) else stage
        idx = self.stage_index.get(key) if isinstance(key, str) else None
        if idx is None:
            if isinstance(key, str) and key.isdigit() and int(key) < len(self.funnel.stages):
                idx = int(key)
            elif isinstance(key, int) and not isinstance(key, bool) \
                    and 0 <= key < len(self.funnel.stages):
                idx = key
            else:
                options = listing(key, self.funnel.names, limit=6)
                raise self.fail(where, "stage", stage,
                                f"a stage of {self.funnel.name!r} (closest: {options})")
        try:
            ns = scalar_ns(ts, naive=self.naive)
        except TimeProblem as problem:
            if problem.reason == "naive":
                raise self.fail(where, "ts", ts, f"a time with a UTC offset such as "
                                f"{_TIME_EXAMPLE}; pass --naive utc to read times without "
                                "one as UTC") from None
            if problem.reason == "range":
                raise self.fail(where, "ts", ts, "a time between 1677-09-21 and 2262-04-11 "
                                "(int64 nanoseconds)") from None
            ns = None
        if ns is None:
            raise self.fail(where, "ts", ts, f"an ISO 8601 time such as {_TIME_EXAMPLE}")
        self.entity.append(str(entity))
        self.stage.append(idx)
        self.ts.append(ns)
        if self.names.get("amount") is not None:
            # A missing amount (empty field, null) is unknown: kept as NaN, not an error.
            if amount is None or (isinstance(amount, str) and not amount.strip()):
                value = math.nan
            else:
                try:
                    value = float(amount)
                except (TypeError, ValueError):
                    value = math.inf
                if not math.isfinite(value):
                    raise self.fail(where, "amount", amount,
                                    "a finite number (or nothing when unknown)")
            self.amount.append(value)
        if self.names.get("segment") is not None:
            if segment is None:
                raise self.fail(where, "segment", segment, "a value")
            self.segment.append(str(segment))

    def arrays(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`EventLog.from_arrays`."""
        out: dict[str, Any] = {
            "entity": np.array(self.entity, dtype=object),
            "stage": np.array(self.stage, dtype=np.int64),
            "ts": np.array(self.ts, dtype=np.int64),
            "unit": "ns",
        }
        if self.names.get("amount") is not None:
            out["amount"] = np.array(self.amount, dtype=np.float64)
        if self.names.get("segment") is not None:
            out["segments"] = {str(self.names["segment"]): np.array(self.segment, dtype=object)}
        return out


def _header_index(header: Sequence[str], names: dict[str, str | None], source: str
                  ) -> dict[str, int]:
    found: dict[str, int] = {}
    for role, column in names.items():
        if column is None:
            continue
        if column not in header:
            listed = ", ".join(repr(h) for h in closest(column, list(header))[:8])
            raise InputFileError(
                f"{source}: no column {column!r} (given with --{role.replace('segment', 'by')}"
                f"); the columns are: {listed}"
            )
        found[role] = list(header).index(column)
    return found


_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")


def _physical_lines(raw: IO[bytes]) -> Iterator[bytes]:
    """The lines of ``raw`` ending in LF, CRLF or a lone CR (old Mac files)."""
    for line in raw:
        if b"\r" in line:
            yield from (part for part in _LONE_CR.split(line) if part)
        else:
            yield line


def _utf8_lines(raw: IO[bytes], source: str, counter: list[int]) -> Iterator[str]:
    for number, line in enumerate(_physical_lines(raw), 1):
        counter[0] += len(line)
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise InputFileError(
                f"{source}, line {number}: expected UTF-8 text; the file is binary or in "
                "another encoding"
            ) from None


def _csv_error(source: str, line: int, exc: csv.Error) -> InputFileError:
    """One line for what the csv module refused (a field over its size limit, ...)."""
    text = str(exc)
    if "field limit" in text:
        text = (f"a field is longer than {csv.field_size_limit():,} characters; expected "
                "shorter fields")
    return InputFileError(f"{source}, line {line}: not valid CSV ({text})")


def _read_csv(path: Path, columns: Columns, progress: Progress) -> None:
    source = columns.source
    counter = [0]
    with path.open("rb") as raw:
        sample = raw.read(65536)
        raw.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample.decode("utf-8-sig", "replace"),
                                               delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(_utf8_lines(raw, source, counter), dialect)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputFileError(f"{source}: the file is empty; expected a header row") from None
        except csv.Error as exc:
            raise _csv_error(source, max(reader.line_num, 1), exc) from None
        index = _header_index(header, columns.names, source)
        width = len(header)
        get = {role: index.get(role) for role in ("entity", "stage", "ts", "amount", "segment")}
        rows = 0
        try:
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                rows += 1
                where = f"line {reader.line_num}"
                if len(row) != width:
                    raise InputFileError(
                        f"{source}, {where}: expected {width} fields like the header; "
                        f"got {len(row)}"
                    )
                columns.add(
                    where,
                    row[get["entity"]],  # type: ignore[index]
                    row[get["stage"]],  # type: ignore[index]
                    row[get["ts"]],  # type: ignore[index]
                    None if get["amount"] is None else row[get["amount"]],
                    None if get["segment"] is None else row[get["segment"]],
                )
                if rows % 4096 == 0:
                    progress.update(counter[0], rows)
        except csv.Error as exc:
            raise _csv_error(source, reader.line_num, exc) from None
    progress.close(rows)


def _read_parquet(path: Path, columns: Columns, progress: Progress) -> None:
    from salesfunnel._util._optional import import_optional

    pq = import_optional("pyarrow.parquet", "arrow", purpose="reading Parquet files")
    pa = import_optional("pyarrow", "arrow", purpose="reading Parquet files")
    source = columns.source
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises its own error types
        raise InputFileError(f"{source}: not a readable Parquet file ({exc})") from None
    _header_index(list(schema.names), columns.names, source)
    wanted = [c for c in columns.names.values() if c is not None]
    table = pq.read_table(path, columns=list(dict.fromkeys(wanted)))
    total = table.num_rows
    progress.total = max(total, 1)
    data = {role: table.column(c).to_pylist() if c is not None else None
            for role, c in columns.names.items()}
    ts_col = table.column(columns.names["ts"])
    if pa.types.is_timestamp(ts_col.type):
        # A timestamp column is a typed time, UTC like numpy's datetime64 (as in
        # EventLog.from_arrow), read as datetime64 to keep its nanoseconds.
        data["ts"] = list(ts_col.cast(pa.timestamp(ts_col.type.unit)).to_numpy())
    none = [None] * total
    for i in range(total):
        columns.add(
            f"row {i + 1}",
            data["entity"][i],  # type: ignore[index]
            data["stage"][i],  # type: ignore[index]
            data["ts"][i],  # type: ignore[index]
            (data.get("amount") or none)[i],
            (data.get("segment") or none)[i],
        )
        if i % 4096 == 0:
            progress.update(i, i)
    progress.close(total)


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
) -> Any:
    """Read a CSV or Parquet event file into an :class:`~salesfunnel.EventLog`.

    Times need a UTC offset unless ``naive="utc"`` (``--naive utc``); Parquet timestamp
    columns are UTC. An empty amount is unknown (NaN), not an error.

    Raises
    ------
    InputFileError
        One line naming the file, the row, the column and what was expected.
    """
    from salesfunnel.events import EventLog

    p = Path(path)
    source = p.name
    if p.is_dir():
        raise InputFileError(f"{path}: is a directory; expected a .csv or .parquet file")
    if not p.is_file():
        raise InputFileError(f"{path}: no such file")
    names: dict[str, str | None] = {"entity": entity, "stage": stage, "ts": ts,
                                    "amount": amount, "segment": segment}
    columns = Columns(funnel, source=source, names=names, naive=naive)
    bar = Progress(f"reading {source}", p.stat().st_size, mode=progress, stream=stream)
    if p.suffix.lower() in (".parquet", ".pq"):
        _read_parquet(p, columns, bar)
    else:
        _read_csv(p, columns, bar)
    return EventLog.from_arrays(funnel, **columns.arrays())

