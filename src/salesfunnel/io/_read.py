"""``read_events``: an event file (CSV or Parquet, long or wide) to an EventLog.

Every column is converted whole (Arrow in C when it can, else value by value), the
problems of every row are collected per column, and then either the first bad row
becomes one line naming the file, the row, the column and what was expected, or the bad
rows are dropped (only those rows: the deal stays in the funnel with its other events)
and listed in :attr:`Loaded.dropped`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._util._optional import import_optional
from salesfunnel._util._time import check_naive, check_unit, to_ns_array
from salesfunnel._util._validate import check_choice
from salesfunnel.errors import InputFileError, InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.events._arrow import _times
from salesfunnel.events._convert import (
    Factorized,
    Problems,
    check_stage_map,
    convert_stage,
    unknown_stages,
)
from salesfunnel.io._convert import (
    is_arrow,
    numbers,
    text_values,
    times_with_format,
    to_factorized,
    to_objects,
)
from salesfunnel.io._files import Columns, CsvOptions, check_path, read_columns
from salesfunnel.model import Funnel

__all__ = ["WIDE_PATTERNS", "Loaded", "detect_time", "load_events", "read_events"]

#: Column names of wide exports (one column per stage, the time the deal entered it):
#: HubSpot's ``hs_date_entered_<stage>`` / ``hs_v2_date_entered_<stage>`` properties,
#: their export labels ``Date entered "<Stage> (<Pipeline>)"``, and a plain
#: ``date_entered_<stage>``. The first group is the stage.
WIDE_PATTERNS = (
    re.compile(r"^hs_v2_date_entered_(.+)$"),
    re.compile(r"^hs_date_entered_(.+)$"),
    re.compile(r"^date_entered_(.+)$"),
    re.compile(r"^Date entered [\"'“](.+?)(?: \([^()]*\))?[\"'”]$"),
)

_EXPECTED = {
    "entity": "an id (not empty)",
    "missing stage": "a stage (not empty)",
    "missing": "a time (not empty)",
    "naive": ("a time with a UTC offset such as 2026-03-01T09:30:00+00:00 (pass "
              "naive='utc' / --naive utc to read times without one as UTC)"),
    "unparsable": "an ISO 8601 time such as 2026-03-01T09:30:00+00:00",
    "range": "a time between 1677-09-21 and 2262-04-11",
    "amount": "a finite number such as 25000.00 or 25000,00 (blank when unknown)",
    "probability": "a probability in [0, 1] or a percentage such as 25% (blank when unknown)",
}


@attrs.frozen
class Loaded:
    """An event log read from a file, and what was dropped from it.

    Attributes
    ----------
    log : EventLog
        The events.
    source : str
        The file's name.
    rows : int
        Data rows read (events of a wide export: filled stage cells).
    dropped : tuple of str
        One line per reason rows were dropped with ``on_invalid="drop"``: the count,
        the column, what was expected and the first rows.

    Examples
    --------
    >>> Loaded(log=None, source="x.csv", rows=3).dropped
    ()
    """

    log: Any
    source: str
    rows: int
    dropped: tuple[str, ...] = ()


class _Rows:
    """Problems per column, with the rows they are on."""

    def __init__(self, source: Columns, n: int, origin: npt.NDArray[np.int64] | None) -> None:
        self.file = source
        self.source = source.source
        self.n = n
        self.origin = origin
        self.items: list[tuple[str, str, npt.NDArray[np.bool_], Sequence[Any], str]] = []

    def add(self, column: str, mask: npt.NDArray[np.bool_], values: Sequence[Any],
            expected: str, label: str, *, first: bool = False) -> None:
        if mask.any():
            self.items.insert(0 if first else len(self.items),
                              (column, expected, mask, values, label))

    def row(self, i: int) -> int:
        return int(self.origin[i] if self.origin is not None else i) + 1

    def fail_or_keep(self, on_invalid: str) -> tuple[npt.NDArray[np.bool_] | None, list[str]]:
        if not self.items:
            return None, []
        if on_invalid == "raise":
            first = min(self.items, key=lambda it: int(np.argmax(it[2])))
            column, expected, mask, raw, _ = first
            values = text_values(raw)
            i = int(np.argmax(mask))
            total = int(np.logical_or.reduce([it[2] for it in self.items]).sum())
            more = f" ({total:,} bad rows in all; --on-invalid drop / on_invalid='drop' " \
                   "drops them)" if total > 1 else ""
            raise InputFileError(
                f"{self.source}, {self.file.where(self.row(i))}, column {column!r}: expected "
                f"{expected}; "
                f"got {values[i]!r}{more}"
            )
        bad = np.zeros(self.n, dtype=np.bool_)
        lines: list[str] = []
        for column, _expected, mask, _, label in self.items:
            rows = np.flatnonzero(mask)
            bad |= mask
            shown = ", ".join(str(self.row(int(r))) for r in rows[:5])
            lines.append(f"{len(rows):,} row{'s' if len(rows) != 1 else ''} with {label} in "
                         f"column {column!r} (rows {shown}{', ...' if len(rows) > 5 else ''})")
        return ~bad, lines


def _wide_columns(header: Sequence[str], stage_columns: Mapping[str, str] | None
                  ) -> dict[str, str]:
    if stage_columns is not None:
        return dict(stage_columns)
    found = {}
    for h in header:
        for pattern in WIDE_PATTERNS:
            m = pattern.match(h)
            if m:
                found[h] = m.group(1)
                break
    return found


def load_events(
    path: str | os.PathLike[str],
    funnel: Funnel,
    *,
    entity: str,
    stage: str | None = None,
    ts: str | None = None,
    amount: str | None = None,
    segments: Sequence[str] = (),
    probability: str | None = None,
    forecast_category: str | None = None,
    stage_map: Mapping[str, str] | None = None,
    layout: Literal["long", "wide"] = "long",
    stage_columns: Mapping[str, str] | None = None,
    unit: str | None = None,
    time_format: str | None = None,
    decimal: Literal["auto", ".", ","] = "auto",
    probability_scale: float = 1.0,
    naive: Literal["raise", "utc"] = "raise",
    on_invalid: Literal["raise", "drop"] = "raise",
    delimiter: str | None = None,
    engine: Literal["auto", "pyarrow", "python"] = "auto",
    _keep_rows: Callable[[Mapping[str, Any]], npt.NDArray[np.bool_]] | None = None,
    _extra: Sequence[str] = (),
) -> Loaded:
    """Read an event file and say what was dropped (see :func:`read_events`).

    Returns
    -------
    Loaded
        The log, the rows read and a line per reason rows were dropped.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from salesfunnel import templates
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "e.csv").write_text(
    ...     "deal,stage,at\\nd1,Prospecting,2026-01-01T00:00Z\\nd1,Closed Won,bad\\n")
    >>> got = load_events(folder / "e.csv", templates.get("crm-pipeline"), entity="deal",
    ...                   stage="stage", ts="at", on_invalid="drop")
    >>> got.log.n_entities, got.dropped
    (1, ("1 row with an unparsable time in column 'at' (rows 2)",))
    """
    check_naive(naive)
    check_unit(None if unit == "auto" else unit)
    check_choice("on_invalid", on_invalid, ("raise", "drop"), where="read_events")
    check_choice("layout", layout, ("long", "wide"), where="read_events")
    check_choice("decimal", decimal, ("auto", ".", ","), where="read_events")
    check_choice("engine", engine, ("auto", "pyarrow", "python"), where="read_events")
    if not isinstance(funnel, Funnel):
        raise InvalidParameterError(f"funnel must be a Funnel; got {type(funnel).__name__}",
                                    parameter="funnel", value=funnel)
    mapping = check_stage_map(funnel, stage_map)
    p = check_path(path)
    if isinstance(segments, str):
        segments = (segments,)
    extra = [c for c in (amount, probability, forecast_category, *segments, *_extra)
             if c is not None]
    options = CsvOptions(delimiter=delimiter, engine=engine)
    if layout == "long":
        if stage is None or ts is None:
            raise InvalidParameterError(
                "a long file needs stage= and ts= (the stage and time columns); for one "
                "column per stage pass layout='wide'", parameter="stage", value=stage)
        # stages, segments and forecast categories repeat a few values: read them as
        # dictionaries (unless a column also holds the ids, times or numbers)
        plain = {entity, ts, amount, probability}
        categories = [c for c in (stage, forecast_category, *segments)
                      if c is not None and c not in plain]
        cols = read_columns(p, [entity, stage, ts, *extra], options, categories)
        data = dict(cols.data)
        origin = None
        stage_col, ts_col = stage, ts
    else:
        header_cols = read_columns(p, [entity, *extra], options)
        wide = _wide_columns(header_cols.header, stage_columns)
        if not wide:
            listed = ", ".join(repr(h) for h in header_cols.header)
            raise InputFileError(
                f"{p.name}: no stage date columns (such as hs_date_entered_<stage> or "
                f"date_entered_<stage>); pass stage_columns=; the file has "
                f"{len(header_cols.header)} columns: {listed}")
        cols = read_columns(p, [entity, *extra, *wide], options)
        data, origin = _melt(cols, wide, [entity, *extra])
        stage_col, ts_col = "stage", next(iter(wide))
    if _keep_rows is not None:
        chosen = np.flatnonzero(_keep_rows(data))
        data = {k: _take(v, chosen) for k, v in data.items()}
        origin = chosen if origin is None else origin[chosen]
    n = len(origin) if origin is not None else cols.rows
    source = cols.source
    problems = _Rows(cols, n, origin)

    ent_of = _start(_ids, data[entity])  # the longest job

    stg = to_factorized(data["stage" if layout == "wide" else stage_col])
    stage_problems = Problems(n)
    stage_idx = convert_stage(funnel, stg, stage_problems, mapping)
    if stage_problems.bad.any():
        values = stg
        missing_mask = _missing(stg)
        unknown = stage_problems.bad & ~missing_mask
        if unknown.any():
            listed = _unknown_listing(stg, unknown, funnel)
            where = stage_col if layout == "long" else "the stage date column names"
            problems.add(where, unknown, values,
                         f"a stage of {funnel.name!r} (a name, alias or label, or map it "
                         f"with --stage-map / stage_map=); unknown stages: {listed}",
                         "an unknown stage")
        problems.add(stage_col, stage_problems.bad & missing_mask, values,
                     _EXPECTED["missing stage"], "a missing stage")

    ts_raw = data["ts" if layout == "wide" else ts_col]
    if time_format == "auto" or unit == "auto":
        guess_unit, guess_format = detect_time(ts_raw)
        unit = guess_unit if unit == "auto" else unit
        time_format = guess_format if time_format == "auto" else time_format
    ts_ns, masks = _times_of(ts_raw, unit, time_format, naive)
    ts_values = ts_raw
    ts_name = ts_col if layout == "long" else "the stage date column"
    for reason, mask in masks.items():
        expected = _EXPECTED[reason]
        if reason == "unparsable":
            expected = (f"a time in the format {time_format!r}" if time_format else
                        f"a number (epoch {unit})" if unit else expected +
                        " (or pass a time format / unit)")
        article = "an" if reason[0] in "aeiou" else "a"
        problems.add(ts_name, mask, ts_values, expected, f"{article} {reason} time")

    amount_f = None
    if amount is not None:
        amount_f, bad = numbers(data[amount], decimal)
        problems.add(amount, bad, data[amount], _EXPECTED["amount"],
                     "an amount that is no number")
        inf = ~np.isfinite(amount_f) & ~np.isnan(amount_f)
        problems.add(amount, inf, data[amount], _EXPECTED["amount"],
                     "an infinite amount")
    prob_f = None
    if probability is not None:
        prob_f, bad = numbers(data[probability], decimal, probability_scale)
        with np.errstate(invalid="ignore"):
            bad |= ~np.isnan(prob_f) & ~((prob_f >= 0) & (prob_f <= 1))
        problems.add(probability, bad, data[probability],
                     _EXPECTED["probability"], "a probability outside [0, 1]")
        prob_f = np.where(bad, np.nan, prob_f)
    ent = ent_of()
    if isinstance(ent, Factorized):
        ent_missing = ent.missing.copy()
    else:
        ent = to_objects(ent)
        ent_missing = np.fromiter((v is None or not str(v).strip() for v in ent),
                                  dtype=np.bool_, count=len(ent))
    problems.add(entity, ent_missing, data[entity] if isinstance(ent, Factorized) else ent,
                 _EXPECTED["entity"], "a missing id", first=True)
    keep, lines = problems.fail_or_keep(on_invalid)

    def kept(values: Any) -> Any:
        if keep is None:
            return values
        if isinstance(values, Factorized):
            return values.take(keep)
        return values[keep]

    seg_cols = {s: to_factorized(data[s]) for s in segments}
    fc = None if forecast_category is None else to_factorized(data[forecast_category])
    log = EventLog.from_arrays(
        funnel,
        entity=kept(ent),
        stage=kept(stage_idx),
        ts=kept(ts_ns),
        unit="ns",
        amount=None if amount_f is None else kept(amount_f),
        probability=None if prob_f is None else kept(prob_f),
        forecast_category=None if fc is None else kept(fc),
        segments={s: kept(v) for s, v in seg_cols.items()},
    )
    if keep is not None:
        log = attrs.evolve(log, dropped=int(n - keep.sum()))
    return Loaded(log=log, source=source, rows=n, dropped=tuple(lines))


_DETECT = (
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}, \d{1,2}:\d{2} [AaPp][Mm]$"), "%m/%d/%Y, %I:%M %p"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2} [AaPp][Mm]$"), "%m/%d/%Y %I:%M %p"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}$"), "%m/%d/%Y %H:%M"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%m/%d/%Y"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), "%d.%m.%Y"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}$"), "%d.%m.%Y %H:%M"),
)


def detect_time(values: Any) -> tuple[str | None, str | None]:
    """``(unit, time_format)`` guessed from the first filled value: epoch digits (10:
    seconds, 13: milliseconds), a US report date (``1/8/2024, 9:15 AM``, ``1/8/2024``), a
    dotted European date, else ISO 8601 (``(None, None)``).

    Examples
    --------
    >>> import numpy as np
    >>> detect_time(np.array([None, "1704705300000"], dtype=object))
    ('ms', None)
    >>> detect_time(np.array(["1/8/2024, 9:15 AM"], dtype=object))
    (None, '%m/%d/%Y, %I:%M %p')
    """
    first = None
    if is_arrow(values):
        pa = import_optional("pyarrow", "arrow", purpose="reading times")
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            return None, None
        for chunk in (values.chunks if hasattr(values, "chunks") else [values]):
            valid = chunk.drop_null()
            if len(valid):
                first = valid[0].as_py()
                break
    else:
        first = next((v for v in values if v is not None and str(v).strip()), None)
    if not isinstance(first, str):
        return None, None
    text = first.strip()
    if text.isdigit():
        return ("ms" if len(text) >= 12 else "s"), None
    for pattern, fmt in _DETECT:
        if pattern.match(text):
            return None, fmt
    return None, None


def _ids(values: Any) -> Any:
    return to_factorized(values, drop_unused=True)


def _start(job: Callable[[Any], Any], column: Any) -> Callable[[], Any]:
    """``job(column)`` on a second thread when ``column`` is Arrow's and pyarrow may use
    several threads (Arrow and numpy let go of the GIL while they work), else at once;
    the returned call gives the result (or raises the job's error)."""
    if is_arrow(column):
        pa = import_optional("pyarrow", "arrow", purpose="reading event files")
        if pa.cpu_count() > 1:
            pool = ThreadPoolExecutor(1, thread_name_prefix="salesfunnel-read")
            future = pool.submit(job, column)
            pool.shutdown(wait=False)
            return future.result
    result = job(column)
    return lambda: result


def _take(values: Any, rows: npt.NDArray[np.int64]) -> Any:
    if is_arrow(values):
        return values.take(rows)
    return values[rows]


def _missing(values: Any) -> npt.NDArray[np.bool_]:
    if isinstance(values, Factorized):
        return values.missing
    objs = to_objects(values)
    return np.fromiter((v is None or (isinstance(v, str) and not v.strip()) for v in objs),
                       dtype=np.bool_, count=len(objs))


def _unknown_listing(values: Any, mask: npt.NDArray[np.bool_], funnel: Funnel) -> str:
    objs = text_values(values)
    counts: dict[Any, int] = {}
    for i in np.flatnonzero(mask):
        v = objs[int(i)]
        counts[v] = counts.get(v, 0) + 1
    return unknown_stages(list(counts), list(counts.values()), funnel.names)


def _times_of(values: Any, unit: str | None, time_format: str | None, naive: str
              ) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.bool_]]]:
    if time_format is not None:
        return times_with_format(values, time_format, naive)
    if is_arrow(values):
        pa = import_optional("pyarrow", "arrow", purpose="reading times")
        if unit is not None:
            for kind in (pa.int64(), pa.float64()):
                try:
                    arr = values.cast(kind).to_numpy(zero_copy_only=False)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    continue
                return to_ns_array(np.asarray(arr), unit=unit, naive=naive)
        elif pa.types.is_timestamp(values.type):
            if values.type.tz is not None:
                values = values.cast(pa.timestamp(values.type.unit))
            return to_ns_array(values.to_numpy(zero_copy_only=False), naive=naive)
        else:
            parsed = _times(pa, values, naive)
            if parsed is not None:
                return to_ns_array(parsed, naive=naive)
    objs = to_objects(values)
    return to_ns_array(objs, unit=unit, naive=naive)


def _melt(cols: Columns, wide: Mapping[str, str], keep: Sequence[str]
          ) -> tuple[dict[str, Any], npt.NDArray[np.int64]]:
    """One event per filled stage-date cell: the kept columns repeated, a ``stage``
    column holding the stage text, a ``ts`` column the cell."""
    kept = {c: to_objects(cols.data[c]) for c in dict.fromkeys(keep)}
    parts: dict[str, list[Any]] = {c: [] for c in kept}
    stages: list[np.ndarray[Any, Any]] = []
    times: list[np.ndarray[Any, Any]] = []
    origin: list[npt.NDArray[np.int64]] = []
    for column, stage_text in wide.items():
        cells = to_objects(cols.data[column])
        filled = np.fromiter((v is not None and str(v).strip() != "" for v in cells),
                             dtype=np.bool_, count=len(cells))
        rows = np.flatnonzero(filled)
        for c, values in kept.items():
            parts[c].append(values[rows])
        label = np.empty(len(rows), dtype=object)
        label[:] = stage_text
        stages.append(label)
        times.append(cells[rows])
        origin.append(rows.astype(np.int64))
    out: dict[str, Any] = {c: np.concatenate(v) if v else np.empty(0, object)
                           for c, v in parts.items()}
    out["stage"] = np.concatenate(stages)
    out["ts"] = np.concatenate(times)
    return out, np.concatenate(origin)


def read_events(path: str | os.PathLike[str], funnel: Funnel, **options: Any) -> Any:
    """Read an event file (CSV or Parquet; long or wide) into an :class:`EventLog`.

    CSV is read by pyarrow when it is installed (the ``arrow`` extra; several million
    rows a second), else by the standard library; Parquet needs pyarrow. Every column
    is converted whole; nothing is guessed from the data except the CSV delimiter.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (any delimiter among ``, ; TAB |``, UTF-8) or ``.parquet`` file.
        Spreadsheets (``.xlsx``, ``.xls``, ``.ods``) are refused by name.
    funnel : Funnel
        The funnel the stages belong to.
    **options
        ``entity``, ``stage``, ``ts`` (column names; ``stage`` and ``ts`` not for a
        wide file), ``amount``, ``segments``, ``probability``, ``forecast_category``;
        ``stage_map`` (text -> stage); ``layout`` (``"long"``: one row per stage
        change, ``"wide"``: one row per deal with a date column per stage, such as
        HubSpot's ``hs_date_entered_<stage>``; ``stage_columns`` names them when the
        names are not recognised); ``unit`` (epoch numbers: ``"s"``, ``"ms"``,
        ``"us"``, ``"ns"``); ``time_format`` (a :func:`~datetime.datetime.strptime`
        format such as ``"%m/%d/%Y, %I:%M %p"``); ``decimal`` (``"auto"``, ``"."`` or
        ``","``); ``probability_scale`` (100 for percentages); ``naive``
        (``"raise"`` or ``"utc"``); ``on_invalid`` (``"raise"`` or ``"drop"``: drop
        bad rows, never whole deals); ``delimiter``; ``engine`` (``"auto"``,
        ``"pyarrow"``, ``"python"``). A blank amount or probability is unknown, never an
        error.

    Returns
    -------
    EventLog

    Raises
    ------
    InputFileError
        One line naming the file, the row, the column, what was expected and the value
        (a missing column: every column of the file is listed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from salesfunnel import templates
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "e.csv").write_text(
    ...     "deal;stage;at;amount\\n"
    ...     "d1;Prospecting;1735689600000;25000,00\\n"
    ...     "d1;Closed Won;1736294400000;\\n")
    >>> log = read_events(folder / "e.csv", templates.get("crm-pipeline"), entity="deal",
    ...                   stage="stage", ts="at", amount="amount", unit="ms")
    >>> log.stage_names[log.stage[1]], log.amount.tolist()
    ('contracts', [25000.0, nan])
    """
    return load_events(path, funnel, **options).log
