"""Arrow columns for the event log without Python code per row.

Text columns are dictionary-encoded by Arrow (in C): the stage text is then looked up
once per distinct value, entity ids and segments become dense codes over sorted
distinct values, and ISO 8601 times are parsed by Arrow's own parser. Only columns Arrow
cannot convert whole (unparsable or naive times, amounts written as text) fall back to
the value-by-value path of :func:`~salesfunnel.events._sources.from_arrays`, which names
the bad values.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from salesfunnel._util._optional import import_optional
from salesfunnel.events._convert import Factorized, TextTimes
from salesfunnel.events._factorize import arrow_codes, is_arrow_text, is_arrow_view

__all__ = ["arrow_columns", "factorize_arrow"]


def factorize_arrow(column: Any, *, drop_unused: bool = False) -> Factorized:
    """A text (or dictionary) Arrow column as codes over its sorted distinct values
    (see :func:`~salesfunnel.events._factorize.arrow_codes`)."""
    import_optional("pyarrow", "arrow", purpose="reading Arrow columns")
    return Factorized(*arrow_codes(column, drop_unused=drop_unused))


def _times(pa: Any, col: Any, naive: str) -> Any:
    """Arrow-parsed ISO 8601 text as ``datetime64[ns]`` (UTC), or ``None`` when Arrow
    cannot parse every value (the per-value path then names the bad ones)."""
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    for target in ([pa.timestamp("ns", tz="UTC")]
                   + ([pa.timestamp("ns")] if naive == "utc" else [])):
        try:
            parsed = col.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if target.tz is not None:
            parsed = parsed.cast(pa.timestamp("ns"))
        return parsed.to_numpy(zero_copy_only=False)
    return None


def arrow_columns(table: Any, columns: Sequence[str], *, factorized: Collection[str],
                  ts: str, options: Mapping[str, Any], entity: str | None = None
                  ) -> dict[str, Any]:
    """The ``columns`` of ``table`` in the forms :func:`from_arrays` reads fastest: the
    text columns named in ``factorized`` as :class:`Factorized` (the ``entity`` column
    without the dictionary values no row uses), the ``ts`` column parsed by Arrow when it
    can."""
    pa = import_optional("pyarrow", "arrow", purpose="EventLog.from_arrow")
    naive = options.get("naive", "raise")
    cols: dict[str, Any] = {}
    ids = None
    for c in columns:
        if c in cols:
            continue
        col = table.column(c)
        if is_arrow_view(pa, col.type):  # polars' text: few Arrow kernels take views
            col = col.cast(pa.large_string())
        if c in factorized and is_arrow_text(pa, col.type):
            if c == entity and ids is None and pa.cpu_count() > 1:
                # the longest job, on a second thread while the other columns convert
                # (Arrow and numpy let go of the GIL)
                pool = ThreadPoolExecutor(1, thread_name_prefix="salesfunnel-ids")
                ids = pool.submit(factorize_arrow, col, drop_unused=True)
                pool.shutdown(wait=False)
                cols[c] = None
                continue
            cols[c] = factorize_arrow(col, drop_unused=c == entity)
            continue
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if c == ts and is_arrow_text(pa, col.type) and options.get("unit") is None:
            parsed = _times(pa, col, naive)
            if parsed is not None:
                cols[c] = parsed.view(TextTimes)
                continue
        if pa.types.is_timestamp(col.type) and col.type.tz is not None:
            col = col.cast(pa.timestamp(col.type.unit))
        cols[c] = col.to_numpy()
    if ids is not None and entity is not None:
        cols[entity] = ids.result()
    return cols
