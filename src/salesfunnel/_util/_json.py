"""Strict JSON for every ``to_dict()``: the one place results turn into plain values.

``to_dict()`` of every result passes ``json.dumps(d, allow_nan=False)``: numpy scalars
and arrays become Python numbers and lists, NaN and infinities become ``None``, tuples
and sets become lists, dates their ISO text, and objects with their own ``to_dict()``
(labels, rows) their dictionary.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import math
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

from salesfunnel.errors import InvalidParameterError

__all__ = ["check_json", "to_json_value"]


@runtime_checkable
class _HasToDict(Protocol):
    def to_dict(self) -> Any:  # pragma: no cover - protocol
        """A JSON-like form of the object."""
        ...


def _key(key: Any) -> str:
    value = to_json_value(key)
    return value if isinstance(value, str) else json.dumps(value)


def to_json_value(obj: Any) -> Any:
    """``obj`` as strict JSON data (see the module docstring), recursively.

    Anything else becomes its ``str()``, so the result always serialises.

    Examples
    --------
    >>> import numpy as np
    >>> to_json_value({"rate": np.float64("nan"), "n": np.int64(3), "xs": (1.5, np.inf)})
    {'rate': None, 'n': 3, 'xs': [1.5, None]}
    >>> to_json_value({1: "a"})
    {'1': 'a'}
    """
    if obj is None:
        return None
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, str):  # also numpy's str_
        return str(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.generic):
        return to_json_value(obj.item())
    if isinstance(obj, np.ndarray):
        return [to_json_value(v) for v in obj.tolist()]
    if isinstance(obj, enum.Enum):
        return to_json_value(obj.value)
    if isinstance(obj, _dt.datetime | _dt.date | _dt.time):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {_key(k): to_json_value(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_json_value(v) for v in obj]
    if isinstance(obj, set | frozenset):
        return [to_json_value(v) for v in sorted(obj, key=repr)]
    if isinstance(obj, _HasToDict):
        return to_json_value(obj.to_dict())
    return str(obj)


def check_json(data: Any) -> str:
    """``data`` as JSON text, or :class:`~salesfunnel.errors.InvalidParameterError` when
    it is not strict JSON (NaN, infinities, numpy scalars or other objects inside).

    Examples
    --------
    >>> check_json({"a": [1, None]})
    '{"a": [1, null]}'
    >>> check_json({"a": float("nan")})
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: not strict JSON ({'a': nan}): Out of range...
    """
    try:
        return json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"not strict JSON ({data!r:.200}): {exc}", parameter="data", value=data
        ) from None
