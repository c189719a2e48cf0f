"""Column-wise reads of the transitions table into an :class:`~salesfunnel.EventLog`.

Transitions are stored as integers (journey key, funnel version, stage index, time in
ns), so a read is three integer columns: through ADBC and Arrow (no Python object per
row) for PostgreSQL when ``adbc-driver-postgresql`` is installed, else through the
standard driver's rows flattened straight into numpy buffers. SQLite stores are never
read through ADBC (see :data:`SQLITE_ADBC_REFUSED`).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._util._optional import import_optional
from salesfunnel.errors import StoreError
from salesfunnel.events import EventLog
from salesfunnel.model import Funnel
from salesfunnel.store._backends import Backend, SqliteBackend

__all__ = ["SQLITE_ADBC_REFUSED", "adbc_available", "event_log"]

_SHIFT = 1 << 16
#: journey keys, stage codes, times; then the journeys' keys (sorted) and ids (JSON)
_Columns = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64],
                 npt.NDArray[np.int64], list[str]]
_ADBC = {"postgresql": "adbc_driver_postgresql"}

#: Why SQLite stores are never read through ADBC. The ADBC SQLite driver carries its own
#: copy of the SQLite library; two copies in one process do not share their bookkeeping
#: of POSIX file locks, so when one closes the database file the other's locks vanish
#: and a later write can corrupt the file (reproduced here: "database disk image is
#: malformed" after an ADBC read beside an open store).
SQLITE_ADBC_REFUSED = (
    "an SQLite store is not read through ADBC: its driver brings a second copy of the "
    "SQLite library into the process, and two copies drop each other's file locks "
    "(a known way to corrupt an SQLite file); use engine='stdlib' or 'auto'")


def adbc_available(db: Backend) -> bool:
    """Whether ``db`` is read through ADBC by ``engine="auto"``: a PostgreSQL store with
    ``adbc-driver-postgresql`` installed."""
    if isinstance(db, SqliteBackend):
        return False
    return importlib.util.find_spec(_ADBC[db.kind]) is not None


def _fetch_stdlib(db: Backend, sql: str, params: Sequence[Any], id_sql: str,
                  id_params: Sequence[Any]) -> _Columns:
    rows = db.execute(sql, params).fetchall()
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64,
                       count=3 * len(rows))
    del rows
    matrix = flat.reshape(-1, 3).T.copy()  # three contiguous columns
    idrows = db.execute(id_sql, id_params).fetchall()
    idkeys = np.fromiter((k for k, _ in idrows), dtype=np.int64, count=len(idrows))
    return matrix[0], matrix[1], matrix[2], idkeys, [e for _, e in idrows]


def _fetch_adbc(db: Backend, sql: str, params: Sequence[Any], id_sql: str,
                id_params: Sequence[Any]) -> _Columns:
    module = import_optional(f"{_ADBC[db.kind]}.dbapi", "store-arrow",
                             purpose="reading a store through ADBC")
    sql, id_sql = _numbered(sql), _numbered(id_sql)
    with module.connect(db.url) as conn, conn.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")  # one snapshot for both reads
        cur.execute(sql, tuple(params))
        table = cur.fetch_arrow_table()
        cur.execute(id_sql, tuple(id_params))
        ids = cur.fetch_arrow_table()
    cols = [np.asarray(table.column(i).to_numpy(), dtype=np.int64) for i in range(3)]
    if table.num_rows == 0:
        cols = [np.zeros(0, dtype=np.int64) for _ in range(3)]
    idkeys = np.asarray(ids.column(0).to_numpy(), dtype=np.int64) if ids.num_rows else \
        np.zeros(0, dtype=np.int64)
    return cols[0], cols[1], cols[2], idkeys, ids.column(1).to_pylist()


def _numbered(sql: str) -> str:
    parts = sql.split("?")
    return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))


def event_log(db: Backend, funnel: Funnel, fids: Sequence[int], all_fids: bool,
              luts: Mapping[int, npt.NDArray[np.int64]], since_ns: int | None,
              engine: str) -> EventLog:
    """Read ``funnel``'s transitions (stored under versions ``fids``) as an event log."""
    where: list[str] = []
    params: list[Any] = []
    if not fids:
        raise StoreError(f"funnel {funnel.name!r} has no stored versions")
    if not all_fids:
        where.append(f"fid IN ({', '.join('?' for _ in fids)})")
        params.extend(fids)
    if since_ns is not None:
        where.append("at >= ?")
        params.append(since_ns)
    # three integer columns: the journey key, the stage (with its funnel version when there
    # are several: fid * 2**16 + index) and the time
    code = "to_stage" if len(fids) == 1 else f"fid * {_SHIFT} + to_stage"
    sql = f"SELECT journey, {code}, at FROM sf_transitions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    use_adbc = engine == "adbc" or (engine == "auto" and adbc_available(db))
    id_sql = "SELECT id, ext_id FROM sf_journeys WHERE funnel = ? ORDER BY id"
    fetch = _fetch_adbc if use_adbc else _fetch_stdlib
    with db.lock:
        keys, code_col, ts, keys_sorted, ext = fetch(db, sql, params, id_sql, (funnel.name,))
    if len(fids) == 1:
        stage = luts[fids[0]][code_col] if len(code_col) else code_col
    else:
        fid_col, stage_col = np.divmod(code_col, _SHIFT)
        width = max(len(v) for v in luts.values())
        table = np.full((max(fids) + 1, width), -1, dtype=np.int64)
        for fid, lut in luts.items():
            table[fid, : len(lut)] = lut
        stage = table[fid_col, stage_col]
    if len(stage) and stage.min() < 0:
        bad = int((stage < 0).sum())
        raise StoreError(f"{bad} stored transitions of funnel {funnel.name!r} are at stages "
                         "the funnel registered now does not have and no migration maps")
    log = EventLog.from_arrays(funnel, entity=np.ascontiguousarray(keys),
                               stage=np.ascontiguousarray(stage),
                               ts=np.ascontiguousarray(ts), unit="ns")
    # the caller's ids, stored as JSON text: decoded in one call, not one per journey
    decoded = json.loads("[" + ",".join(ext) + "]")
    if not len(log.ids):
        return log
    pos = np.searchsorted(keys_sorted, log.ids)
    if pos.max() >= len(keys_sorted) or (keys_sorted[pos] != log.ids).any():
        raise StoreError("transitions of journeys missing from the journeys table")
    if all(isinstance(n, str) for n in decoded):
        ids = np.asarray(decoded)[pos]
    elif all(isinstance(n, int) for n in decoded):
        ids = np.asarray(decoded, dtype=np.int64)[pos]
    else:
        ids = np.asarray(decoded, dtype=object)[pos]
    return attrs.evolve(log, ids=ids)
