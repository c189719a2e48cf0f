"""Value semantics of the rule language, one value at a time.

What counts as *not set* (:data:`MISSING`, ``None``, NaN, NaT, ``pandas.NA``), how two
values compare (exactly, numbers with numbers and strings with strings), membership and
truthiness, and how a dotted field is read from a subject.  The rules are described in
the rule-language reference (``docs/reference/rules.md``).
"""

from __future__ import annotations

import functools
import numbers
import operator
from collections.abc import Callable, Mapping
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any, Final, TypeAlias, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "COMPARE",
    "FLIPPED",
    "MISSING",
    "NEVER_UNSET",
    "NUM",
    "OTHER",
    "PYOPS",
    "SEQ",
    "STR",
    "BoolArray",
    "Op",
    "Pred",
    "get_path",
    "getter",
    "in_literals",
    "in_scalar",
    "in_values",
    "is_truthy",
    "is_unset",
    "kind_of",
    "member",
    "not_in_values",
]

BoolArray: TypeAlias = npt.NDArray[np.bool_]
Pred: TypeAlias = Callable[[object], bool]
Op: TypeAlias = Callable[[Any, Any], bool]


@final
class _Missing:
    """Type of :data:`MISSING`, the value of a field that does not exist."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""The value of a field that a subject does not have."""


NUM: Final = 0
STR: Final = 1
SEQ: Final = 2
OTHER: Final = 3

_TEMPORAL: Final = (date, time, timedelta, np.datetime64, np.timedelta64)
_NAN_CAPABLE: Final = (float, np.floating, np.datetime64, np.timedelta64)
_NA_TYPE_NAMES: Final = frozenset({"NAType", "NaTType"})  # pandas.NA, pandas.NaT
NEVER_UNSET: Final = frozenset({str, int, bool, list, tuple, dict})


def kind_of(v: object) -> int:
    t = type(v)
    if t is int or t is float or t is bool:
        return NUM
    if t is str:
        return STR
    if t is list or t is tuple:
        return SEQ
    if isinstance(v, str):
        return STR
    if isinstance(v, (np.datetime64, np.timedelta64)):
        return OTHER
    if isinstance(v, (numbers.Real, Decimal, np.bool_)):
        return NUM
    if isinstance(v, (list, tuple)):
        return SEQ
    return OTHER


def is_unset(v: object) -> bool:
    """Whether ``v`` counts as not set: MISSING, None, NaN, NaT or pandas' NA."""
    if v is None or v is MISSING:
        return True
    t = type(v)
    if t in NEVER_UNSET:
        return False
    if t is float:
        return v != v
    if isinstance(v, Decimal):
        return v.is_nan()
    if isinstance(v, _NAN_CAPABLE):
        try:
            return bool(v != v)
        except Exception:  # pragma: no cover - defensive
            return False
    return t.__name__ in _NA_TYPE_NAMES


def _as_bool(r: object) -> bool | None:
    if r is True or r is False:
        return r
    if isinstance(r, np.bool_):
        return bool(r)
    return None


def _exact(v: Any) -> Any:
    """A numpy number as the Python number of the same value (compared exactly)."""
    if isinstance(v, np.generic):
        plain = v.item()
        if isinstance(plain, (int, float)):
            return plain
    return v


def _eq(a: object, b: object) -> bool | None:
    """Equality of two set values; None when it cannot be decided."""
    ka = kind_of(a)
    if ka != kind_of(b):
        return False
    if ka == OTHER and not (isinstance(a, type(b)) or isinstance(b, type(a))):
        return False
    try:
        if ka == SEQ:
            seq_a: Any = a
            seq_b: Any = b
            return _as_bool(tuple(seq_a) == tuple(seq_b))
        if ka == NUM:  # numpy numbers compare like Python numbers: exactly
            return _as_bool(_exact(a) == _exact(b))
        return _as_bool(a == b)
    except Exception:
        return None


def _order(op: Op, a: object, b: object) -> bool:
    """An ordering comparison of two set values; False across kinds."""
    ka = kind_of(a)
    if ka != kind_of(b) or ka == SEQ:
        return False
    if ka == OTHER and not (
        isinstance(a, _TEMPORAL) and (isinstance(a, type(b)) or isinstance(b, type(a)))
    ):
        return False
    try:
        if ka == NUM:
            return _as_bool(op(_exact(a), _exact(b))) is True
        return _as_bool(op(a, b)) is True
    except Exception:
        return False


def _cmp_eq(a: object, b: object) -> bool:
    if is_unset(a) or is_unset(b):
        return False
    return _eq(a, b) is True


def _cmp_ne(a: object, b: object) -> bool:
    if is_unset(a) or is_unset(b):
        return False
    return _eq(a, b) is False


def _order_cmp(op: Op) -> Op:
    def compare(a: object, b: object) -> bool:
        if is_unset(a) or is_unset(b):
            return False
        return _order(op, a, b)

    return compare


PYOPS: Final[dict[str, Op]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
COMPARE: Final[dict[str, Op]] = {
    "==": _cmp_eq,
    "!=": _cmp_ne,
    **{op: _order_cmp(PYOPS[op]) for op in ("<", "<=", ">", ">=")},
}
FLIPPED: Final = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def is_truthy(v: object) -> bool:
    if v is True:
        return True
    if v is False or is_unset(v):
        return False
    try:
        return bool(v)
    except Exception:
        return False


def member(item: object, container: object) -> bool:
    """``item in container`` for two set values (a field's list/tuple/set/str)."""
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, (list, tuple, set, frozenset)):
        try:
            return item in container
        except Exception:
            return False
    return False


def in_literals(v: object, members: frozenset[Any]) -> bool:
    """Membership of a set value in a literal list (numbers and strings only)."""
    t = type(v)
    if t is str or t is int or t is float or t is bool:
        return v in members
    k = kind_of(v)
    if k in (NUM, STR):
        try:
            return v in members
        except Exception:  # pragma: no cover - numbers and strings are hashable
            return False
    return False


def in_values(item: object, container: object) -> bool:
    if is_unset(item) or is_unset(container):
        return False
    return member(item, container)


def not_in_values(item: object, container: object) -> bool:
    if is_unset(item) or is_unset(container):
        return False
    return not member(item, container)



def in_scalar(item: object, container: object, negated: bool) -> bool:
    """``in`` between two values, either of which may be a literal list (a tuple)."""
    if is_unset(item) or is_unset(container):
        return False
    if type(container) is tuple:
        found = in_literals(item, frozenset(container))
    else:
        found = member(item, container)
    return found is not negated

# ---------------------------------------------------------------------------------------
# Field access
# ---------------------------------------------------------------------------------------

_MAPPING_TYPES: dict[type, bool] = {dict: True}


def _is_mapping_type(t: type) -> bool:
    known = _MAPPING_TYPES.get(t)
    if known is None:
        if len(_MAPPING_TYPES) > 4096:
            _MAPPING_TYPES.clear()
        known = _MAPPING_TYPES[t] = issubclass(t, Mapping)
    return known


def _step(obj: object, name: str) -> object:
    t = type(obj)
    if t is dict:
        return obj.get(name, MISSING)  # type: ignore[attr-defined]
    if obj is None or obj is MISSING:
        return MISSING
    if _is_mapping_type(t):
        try:
            return obj[name]  # type: ignore[index]
        except KeyError:
            return MISSING
    return getattr(obj, name, MISSING)


def get_path(obj: object, path: tuple[str, ...]) -> object:
    for name in path:
        obj = _step(obj, name)
        if obj is MISSING:
            return MISSING
    return obj


def getter(path: tuple[str, ...]) -> Callable[[object], object]:
    if len(path) == 1:
        key = path[0]

        def get1(s: object) -> object:
            if type(s) is dict:
                return s.get(key, MISSING)
            return _step(s, key)

        return get1
    return functools.partial(get_path, path=path)


