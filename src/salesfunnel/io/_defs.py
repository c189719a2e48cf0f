"""Funnel and stage-map definitions in files: JSON, TOML (and CSV for stage maps)."""

from __future__ import annotations

import csv
import json
import os
import tomllib
from pathlib import Path
from typing import Any

from salesfunnel.errors import DefinitionError, FunnelError, InputFileError
from salesfunnel.model import Funnel

__all__ = ["load_funnel", "load_stage_map"]


def _data(path: str | os.PathLike[str], what: str) -> tuple[Path, Any]:
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{path}: no such file; expected a JSON or TOML {what}")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{p.name}: expected UTF-8 text") from None
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return p, None
    try:
        if suffix == ".toml":
            return p, tomllib.loads(text)
        return p, json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{p.name}, line {exc.lineno}, column {exc.colno}: not valid "
                             f"JSON ({exc.msg}); expected a {what}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{p.name}: not valid TOML ({exc}); expected a {what}") from None


def load_funnel(path: str | os.PathLike[str]) -> Funnel:
    """A funnel from a JSON or TOML file holding :meth:`Funnel.to_dict` data.

    In TOML, the stages are an array of tables (``[[stages]]``), each with a ``name``
    and optionally ``kind``, ``label``, ``probability`` and ``aliases``.

    Parameters
    ----------
    path : str or path-like
        A ``.json`` or ``.toml`` file (other names are read as JSON).

    Returns
    -------
    Funnel

    Raises
    ------
    InputFileError
        A missing file, invalid JSON/TOML, or a definition with problems (all listed on
        one line, after the file's name).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "deals.toml"
    >>> _ = p.write_text('name = "deals"\\n'
    ...                  '[[stages]]\\nname = "lead"\\naliases = ["Prospecting"]\\n'
    ...                  '[[stages]]\\nname = "won"\\nkind = "won"\\naliases = ["Closed Won"]\\n')
    >>> load_funnel(p).resolve("closed won")
    'won'
    """
    p, data = _data(path, "funnel definition")
    try:
        return Funnel.from_dict(data)
    except DefinitionError as exc:
        problems = "; ".join(exc.problems) if exc.problems else str(exc)
        raise InputFileError(f"{p.name}: not a valid funnel definition: {problems}") from None
    except FunnelError as exc:
        raise InputFileError(f"{p.name}: not a valid funnel definition: {exc}") from None


def load_stage_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """A stage map (text in the data -> stage) from a JSON or TOML table, or a CSV file
    of two columns (``from,to`` with a header).

    Returns
    -------
    dict of str to str

    Raises
    ------
    InputFileError
        A missing or malformed file, or a value that is not text.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "map.json"
    >>> _ = p.write_text('{"Demo Booked": "follow-ups", "Verbal Yes": "opportunities"}')
    >>> load_stage_map(p)
    {'Demo Booked': 'follow-ups', 'Verbal Yes': 'opportunities'}
    """
    p, data = _data(path, "stage map")
    if data is None:  # CSV
        with p.open(encoding="utf-8-sig", newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
        out: dict[str, str] = {}
        for number, row in enumerate(rows[1:], 2):
            if len(row) != 2:
                raise InputFileError(f"{p.name}, line {number}: expected 2 fields (text in "
                                     f"the data, stage); got {len(row)}")
            out[row[0].strip()] = row[1].strip()
        return out
    if isinstance(data, dict) and set(data) == {"stages"} and isinstance(data["stages"], dict):
        data = data["stages"]
    if not isinstance(data, dict):
        raise InputFileError(f"{p.name}: expected a mapping of text in the data to stage "
                             f"names; got {type(data).__name__}")
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise InputFileError(f"{p.name}: the stage for {bad[0]!r} must be text (a stage "
                             f"name, alias or label); got {data[bad[0]]!r}")
    return {str(k): v for k, v in data.items()}
