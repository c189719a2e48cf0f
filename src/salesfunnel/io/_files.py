"""Opening event files: what a path is, its header, and its columns as arrays.

CSV goes through pyarrow's multithreaded reader when pyarrow is installed (every column
read as text, so nothing is guessed), else through the standard library's :mod:`csv`;
Parquet needs pyarrow. Spreadsheets are recognised by their name and their first bytes
and refused with a message saying how to save them as CSV.
"""

from __future__ import annotations

import csv
import io
import mmap
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from salesfunnel._util._optional import import_optional
from salesfunnel.errors import InputFileError

__all__ = ["Columns", "CsvOptions", "check_path", "header_of", "read_columns"]

_SPREADSHEETS = {".xlsx": "an Excel workbook", ".xlsm": "an Excel workbook",
                 ".xls": "an Excel 97-2003 workbook", ".ods": "an OpenDocument spreadsheet",
                 ".numbers": "an Apple Numbers document"}
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class CsvOptions:
    """How to read a CSV file: ``delimiter`` (``None``: sniffed among ``, ; TAB |``) and
    ``engine`` (``"auto"``: pyarrow when installed, ``"pyarrow"`` or ``"python"``)."""

    __slots__ = ("delimiter", "engine")

    def __init__(self, delimiter: str | None = None, engine: str = "auto") -> None:
        self.delimiter = delimiter
        self.engine = engine


#: Column name -> values: a pyarrow array (``ChunkedArray``) or a numpy array of str /
#: None. ``header`` lists every column of the file in order.
class Columns:
    """The columns read from a file, with the file's whole header."""

    __slots__ = ("data", "dialect", "header", "path", "rows", "source")

    def __init__(self, source: str, header: list[str], data: dict[str, Any], rows: int,
                 path: Path | None = None, dialect: Any = None) -> None:
        self.source = source
        self.header = header
        self.data = data
        self.rows = rows
        self.path = path
        self.dialect = dialect

    def where(self, row: int) -> str:
        """``"row N"`` for data row ``N`` (1-based), with its line in a CSV file (found
        by reading the file again: only on the way to an error message)."""
        if self.path is None or self.dialect is None:
            return f"row {row}"
        with self.path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            reader = csv.reader(fh, self.dialect)
            next(reader, None)
            count = 0
            for record in reader:
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                count += 1
                if count == row:
                    start = reader.line_num - sum(f.count("\n") for f in record)
                    return f"row {row} (line {start})"
        return f"row {row}"

    def missing(self, wanted: Sequence[str], *, hint: str = "") -> InputFileError:
        """The error for columns not in the file, listing every column it has."""
        absent = [c for c in wanted if c not in self.header]
        listed = ", ".join(repr(h) for h in self.header)
        what = "column" if len(absent) == 1 else "columns"
        return InputFileError(
            f"{self.source}: no {what} {', '.join(repr(c) for c in absent)}{hint}; the "
            f"file has {len(self.header)} columns: {listed}"
        )


def check_path(path: Any) -> Path:
    """The path of an existing event file; spreadsheets and folders are refused."""
    p = Path(path)
    if p.is_dir():
        raise InputFileError(f"{path}: is a directory; expected a .csv or .parquet file")
    if not p.is_file():
        raise InputFileError(f"{path}: no such file")
    kind = _SPREADSHEETS.get(p.suffix.lower())
    if kind is None:
        with p.open("rb") as fh:
            start = fh.read(8)
        if start.startswith(_OLE):
            kind = "an Excel 97-2003 workbook"
        elif start.startswith(_ZIP) and p.suffix.lower() not in (".parquet", ".pq"):
            kind = "a spreadsheet (a zip file such as .xlsx or .ods)"
    if kind is not None:
        raise InputFileError(
            f"{p.name}: is {kind}, not a CSV file; save the sheet as CSV (UTF-8) or read "
            "it with pandas.read_excel and EventLog.from_pandas"
        )
    return p


def _sniff(sample: bytes, delimiter: str | None) -> Any:
    if delimiter is not None:
        class Given(csv.excel):
            pass
        Given.delimiter = delimiter
        return Given
    text = sample.decode("utf-8-sig", "replace")
    first = text.splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(text, delimiters=",;\t|")
    except csv.Error:
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])

        class Guess(csv.excel):
            pass
        Guess.delimiter = best if counts[best] else ","
        return Guess


def read_columns(path: Path, wanted: Sequence[str] | None, options: CsvOptions,
                 categories: Collection[str] = ()) -> Columns:
    """The ``wanted`` columns of a CSV or Parquet file (all when ``None``). pyarrow reads
    the ``categories`` (text with few distinct values, such as stages) as dictionary
    columns: it then hashes the raw bytes instead of making a string per row.

    Raises
    ------
    InputFileError
        Not UTF-8, not CSV, an empty file, a wanted column missing (all columns listed).
    """
    if path.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(path, wanted)
    engine = options.engine
    if engine == "auto":
        try:
            import_optional("pyarrow.csv", "arrow", purpose="reading CSV fast")
            engine = "pyarrow"
        except ImportError:
            engine = "python"
    with path.open("rb") as fh:
        sample = fh.read(65536)
    if not sample.strip():
        raise InputFileError(f"{path.name}: the file is empty; expected a header row")
    dialect = _sniff(sample, options.delimiter)
    if engine == "pyarrow":
        return _read_csv_arrow(path, wanted, dialect, categories)
    return _read_csv_python(path, wanted, dialect)


def _first_record(path: Path, dialect: Any) -> list[str]:
    """The header record of a CSV file, whatever its line endings (LF, CRLF or a lone CR
    as in old Mac files: the csv module splits on each when it reads the raw text)."""
    try:
        # surrogateescape: bytes that are not UTF-8 after the header are the data
        # reader's to report, with their own line
        with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
            record = next(csv.reader(fh, dialect), [])
    except csv.Error as exc:
        raise csv_error(path.name, 1, exc) from None
    try:
        for field in record:
            field.encode("utf-8")
    except UnicodeEncodeError:
        raise InputFileError(f"{path.name}, line 1: expected UTF-8 text; the file is binary "
                             "or in another encoding") from None
    return record


def csv_error(source: str, line: int, exc: csv.Error) -> InputFileError:
    """One line for what the csv module refused (a field over its size limit, ...)."""
    text = str(exc)
    if "field limit" in text:
        text = (f"a field is longer than {csv.field_size_limit():,} characters; expected "
                "shorter fields")
    return InputFileError(f"{source}, line {line}: not valid CSV ({text})")


def _header(path: Path, dialect: Any) -> list[str]:
    return [h.strip() for h in _first_record(path, dialect)]


def _read_csv_arrow(path: Path, wanted: Sequence[str] | None, dialect: Any,
                    categories: Collection[str] = ()) -> Columns:
    pa = import_optional("pyarrow", "arrow", purpose="reading CSV fast")
    pacsv = import_optional("pyarrow.csv", "arrow", purpose="reading CSV fast")
    record = _first_record(path, dialect)
    header = [h.strip() for h in record]
    if wanted is not None and any(c not in header for c in wanted):
        raise Columns(path.name, header, {}, 0).missing(wanted)
    names = list(dict.fromkeys(wanted)) if wanted is not None else header
    raw_names = _raw_names(record)
    types = {raw: pa.string() for raw in raw_names}
    for name in categories:
        if name in header:
            types[raw_names[header.index(name)]] = pa.dictionary(pa.int32(), pa.string())
    include = [raw_names[header.index(n)] for n in names]
    quote = dialect.quotechar or '"'
    block_size, newlines = _blocks(pa, path, quote)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=raw_names, skip_rows=1,
                                           block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter, quote_char=quote,
                                             newlines_in_values=newlines),
            convert_options=pacsv.ConvertOptions(
                column_types=types, include_columns=include, strings_can_be_null=True,
                null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        # The standard-library reader names the line of the problem (or reads what
        # pyarrow would not).
        return _read_csv_python(path, wanted, dialect)
    data = {n: table.column(raw) for n, raw in zip(names, include, strict=True)}
    return Columns(path.name, header, data, table.num_rows, path, dialect)


def _holds(path: Path, byte: bytes) -> bool:
    """Whether the file holds ``byte`` anywhere (``memchr`` over a memory map)."""
    with path.open("rb") as fh:
        if fh.seek(0, io.SEEK_END) == 0:
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return view.find(byte) >= 0


def _blocks(pa: Any, path: Path, quote: str) -> tuple[int, bool]:
    """``(block_size, newlines_in_values)`` for pyarrow's CSV reader.

    Where values may hold newlines, the reader finds each block's end by parsing the
    block, an extra pass. On one thread a file of up to 256 MiB is one block (no block
    ends to find); otherwise blocks are 16 MiB, so several threads share the file, and
    a file without a quote character, where no value can hold a newline, is cut at any
    newline.
    """
    size = path.stat().st_size
    if pa.cpu_count() == 1 and size < ONE_BLOCK:
        return max(size + 1, 1 << 20), True
    return BLOCK, _holds(path, quote.encode())


#: Bytes per block of pyarrow's CSV reader on several threads.
BLOCK = 1 << 24
#: The largest file pyarrow's CSV reader reads as one block on one thread.
ONE_BLOCK = 1 << 28


def _raw_names(row: list[str]) -> list[str]:
    """The header's names as pyarrow is given them (duplicates numbered apart)."""
    seen: dict[str, int] = {}
    out = []
    for h in row:  # duplicate header names: keep them apart for pyarrow
        n = seen.get(h, 0)
        seen[h] = n + 1
        out.append(h if n == 0 else f"{h}.{n}")
    return out


def _read_csv_python(path: Path, wanted: Sequence[str] | None, dialect: Any) -> Columns:
    with path.open("rb") as raw:
        data = raw.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(f"{path.name}, line {line}: expected UTF-8 text; the file is "
                             "binary or in another encoding") from None
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputFileError(f"{path.name}: the file is empty; expected a header row") from None
    except csv.Error as exc:
        raise csv_error(path.name, 1, exc) from None
    if wanted is not None and any(c not in header for c in wanted):
        raise Columns(path.name, header, {}, 0).missing(wanted)
    names = list(dict.fromkeys(wanted)) if wanted is not None else header
    index = [header.index(n) for n in names]
    width = len(header)
    cols: list[list[str | None]] = [[] for _ in names]
    rows = 0
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            rows += 1
            if len(row) != width:
                raise InputFileError(
                    f"{path.name}, row {rows} (line {reader.line_num}): expected {width} "
                    f"fields like the header; got {len(row)}"
                )
            for out, i in zip(cols, index, strict=True):
                value = row[i]
                out.append(value if value != "" else None)
    except csv.Error as exc:
        raise csv_error(path.name, reader.line_num, exc) from None
    arrays = {}
    for n, values in zip(names, cols, strict=True):
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        arrays[n] = arr
    return Columns(path.name, header, arrays, rows, path, dialect)


def _read_parquet(path: Path, wanted: Sequence[str] | None) -> Columns:
    pq = import_optional("pyarrow.parquet", "arrow", purpose="reading Parquet files")
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises its own error types
        raise InputFileError(f"{path.name}: not a readable Parquet file ({exc})") from None
    header = list(schema.names)
    if wanted is not None and any(c not in header for c in wanted):
        raise Columns(path.name, header, {}, 0).missing(wanted)
    names = list(dict.fromkeys(wanted)) if wanted is not None else header
    table = pq.read_table(path, columns=names)
    return Columns(path.name, header, {n: table.column(n) for n in names}, table.num_rows)


def header_of(path: Path, options: CsvOptions) -> list[str]:
    """Every column name of a CSV or Parquet file, in order."""
    if path.suffix.lower() in (".parquet", ".pq"):
        pq = import_optional("pyarrow.parquet", "arrow", purpose="reading Parquet files")
        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:  # pyarrow raises its own error types
            raise InputFileError(f"{path.name}: not a readable Parquet file ({exc})") from None
    with path.open("rb") as fh:
        sample = fh.read(65536)
    if not sample.strip():
        raise InputFileError(f"{path.name}: the file is empty; expected a header row")
    return _header(path, _sniff(sample, options.delimiter))
