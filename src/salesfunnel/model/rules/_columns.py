"""Compiler of a syntax tree to numpy functions that test columns of many subjects.

:func:`compile_columns` runs :func:`~salesfunnel.model.rules._normalize.normalize`
first, like the one-subject compiler, and gives the same answer as it on every row
(numbers are compared exactly, see :mod:`salesfunnel.model.rules._numeric`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt

from salesfunnel.errors import InvalidParameterError
from salesfunnel.model.rules._normalize import normalize
from salesfunnel.model.rules._numeric import compare_columns, compare_number, isin_numbers
from salesfunnel.model.rules._syntax import (
    And,
    Cmp,
    Const,
    Field,
    In,
    IsSet,
    Lit,
    Node,
    Not,
    Truthy,
)
from salesfunnel.model.rules._values import (
    COMPARE,
    MISSING,
    NUM,
    PYOPS,
    STR,
    BoolArray,
    get_path,
    in_scalar,
    in_values,
    is_truthy,
    is_unset,
    kind_of,
    not_in_values,
)

__all__ = ["Env", "VecFn", "compile_columns"]

_ABSENT: Final = object()


class _RowsOf:
    """A dotted field read row by row from a column of objects (``contact`` -> ``email``)."""

    __slots__ = ("path", "values")

    def __init__(self, values: Any, path: tuple[str, ...]) -> None:
        self.values = values
        self.path = path


class _Col:
    """One resolved column: its kind, its values and (lazily) its not-set mask."""

    __slots__ = ("_objects", "_set", "_unset_mask", "kind", "n", "values")

    def __init__(self, values: npt.NDArray[Any]) -> None:
        code = values.dtype.kind
        if code in "biuf":
            kind = "num"
        elif code == "U":
            kind = "str"
        elif code in "Mm":
            kind = code
        else:
            kind = "obj"
            if code != "O":
                values = _to_objects(values)
        self.kind = kind
        self.values = values
        self.n = len(values)
        self._unset_mask: BoolArray | None = None
        self._set: BoolArray | None = None
        self._objects: npt.NDArray[Any] | None = values if kind == "obj" else None

    def unset(self) -> BoolArray:
        """Mask of rows that are not set (cached; do not modify)."""
        if self._unset_mask is None:
            kind, values = self.kind, self.values
            if kind == "num":
                if values.dtype.kind == "f":
                    self._unset_mask = np.isnan(values)
                else:
                    self._unset_mask = np.zeros(self.n, dtype=bool)
            elif kind == "str":
                self._unset_mask = np.zeros(self.n, dtype=bool)
            elif kind in "Mm":
                self._unset_mask = np.isnat(values)
            else:
                self._unset_mask = _map_bool(is_unset, values)
        return self._unset_mask

    def set(self) -> BoolArray:
        """Mask of rows that are set (cached; do not modify)."""
        if self._set is None:
            self._set = ~self.unset()
        return self._set

    def may_be_unset(self) -> bool:
        return not (self.kind == "str" or (self.kind == "num" and self.values.dtype.kind != "f"))

    def objects(self) -> npt.NDArray[Any]:
        """The values as an object array holding what a row-by-row test would see."""
        if self._objects is None:
            self._objects = _to_objects(self.values)
        return self._objects


def _to_objects(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if values.dtype.kind in "Mm":  # keep numpy scalars: .astype(object) gives ints for ns
        return np.fromiter(values, dtype=object, count=len(values))
    return values.astype(object)


def _map_bool(fn: Callable[[Any], bool], values: npt.NDArray[Any]) -> BoolArray:
    out = np.frompyfunc(fn, 1, 1)(values)
    return np.asarray(out, dtype=bool)


def _map_bool2(
    fn: Callable[[Any, Any], bool], a: npt.NDArray[Any], b: npt.NDArray[Any]
) -> BoolArray:
    out = np.frompyfunc(fn, 2, 1)(a, b)
    return np.asarray(out, dtype=bool)


def _as_column(raw: Any) -> npt.NDArray[Any]:
    """``np.asarray(raw)``, except that a list of lists becomes a column of lists and a
    list mixing texts with other values a column of objects."""
    if isinstance(raw, np.ndarray):
        return raw
    try:
        arr = np.asarray(raw)
    except ValueError:  # ragged, e.g. [["vip"], None]
        arr = None
    # numpy turns [1, 'x'] into the texts ['1', 'x']: a list that mixes texts with
    # other values stays a column of objects, so 1 is still a number (as row by row)
    if (arr is not None and arr.dtype.kind in "US" and isinstance(raw, (list, tuple))
            and not all(isinstance(x, str if arr.dtype.kind == "U" else bytes)
                        for x in raw)):
        arr = None
    if (arr is None or arr.ndim > 1) and isinstance(raw, (list, tuple)):
        arr = np.empty(len(raw), dtype=object)
        for i, item in enumerate(raw):
            arr[i] = item
    if arr is None:
        raise InvalidParameterError(
            f"cannot read a column from {type(raw).__name__}", parameter="columns", value=raw
        )
    return arr


def _has_key(container: Any, key: str) -> bool:
    try:
        return bool(key in container)
    except Exception:
        return False


def _lookup(columns: Any, path: tuple[str, ...]) -> Any:
    """Find a field's column: the full dotted key first, then nested mappings."""
    full = ".".join(path)
    if _has_key(columns, full):
        return columns[full]
    obj = columns
    for i, name in enumerate(path):
        if i > 0 and not isinstance(obj, Mapping):
            return _RowsOf(obj, path[i:])
        if not _has_key(obj, name):
            return _ABSENT
        obj = obj[name]
    return obj


def _read_rows(rows: npt.NDArray[Any], path: tuple[str, ...]) -> npt.NDArray[Any]:
    """Read a dotted field from each object of ``rows`` (MISSING becomes None)."""

    def read(row: object) -> object:
        value = get_path(row, path)
        return None if value is MISSING else value

    return np.asarray(np.frompyfunc(read, 1, 1)(rows), dtype=object)


class Env:
    """The columns a vectorised evaluation reads, resolved once."""

    __slots__ = ("cols", "n")

    def __init__(self, n: int, cols: dict[str, _Col | None]) -> None:
        self.n = n
        self.cols = cols

    @classmethod
    def build(cls, columns: Any, fields: frozenset[str], n: int | None) -> Env:
        if isinstance(columns, (str, bytes)) or not hasattr(columns, "__getitem__"):
            raise InvalidParameterError(
                f"columns must be a mapping of field names to arrays, got {type(columns).__name__}",
                parameter="columns",
                value=columns,
            )
        arrays: dict[str, npt.NDArray[Any] | None] = {}
        lengths: dict[str, int] = {}
        for name in sorted(fields):
            raw = _lookup(columns, tuple(name.split(".")))
            if raw is _ABSENT:
                arrays[name] = None
                continue
            rows_of = raw if isinstance(raw, _RowsOf) else None
            arr = _as_column(rows_of.values if rows_of is not None else raw)
            if arr.ndim != 1:
                raise InvalidParameterError(
                    f"column {name!r} must be one-dimensional, got shape {arr.shape}",
                    parameter="columns",
                    value=name,
                )
            if rows_of is not None:
                arr = _read_rows(_to_objects(arr), rows_of.path)
            arrays[name] = arr
            lengths[name] = len(arr)
        if isinstance(columns, Mapping):
            for key, value in columns.items():
                if key in lengths or isinstance(value, (str, bytes, Mapping)):
                    continue
                try:
                    lengths[str(key)] = len(value)
                except TypeError:
                    continue
        expected = n if n is not None else (next(iter(lengths.values())) if lengths else 0)
        if any(length != expected for length in lengths.values()):
            listed = ", ".join(f"{k!r}: {v}" for k, v in lengths.items())
            head = f"columns must all have {n} rows" if n is not None else (
                "columns must all have the same length"
            )
            raise InvalidParameterError(
                f"{head}; got lengths {{{listed}}}", parameter="columns", value=dict(lengths)
            )
        cols = {k: (None if a is None else _Col(a)) for k, a in arrays.items()}
        return cls(expected, cols)

    def zeros(self) -> BoolArray:
        return np.zeros(self.n, dtype=bool)

    def full(self, value: bool) -> BoolArray:
        return np.full(self.n, value, dtype=bool)


VecFn: TypeAlias = Callable[[Env], BoolArray]


def _vec_constant(value: bool) -> VecFn:
    return lambda env: env.full(value)


def compile_columns(node: Node) -> VecFn:
    """Compile ``node`` (normalised here) to ``fn(env) -> fresh bool array``.

    Examples
    --------
    >>> from salesfunnel.model.rules._syntax import parse
    >>> fn = compile_columns(parse("10 <= budget")[0][0])
    >>> fn(Env.build({"budget": [12, 9]}, frozenset({"budget"}), None))
    array([ True, False])
    """
    return _vectorize(normalize(node))


def _vectorize(node: Node) -> VecFn:
    """Compile a normalised tree."""
    if isinstance(node, Const):
        return _vec_constant(node.value)
    if isinstance(node, Cmp):
        return _vec_cmp(node)
    if isinstance(node, In):
        return _vec_in(node)
    if isinstance(node, IsSet):
        return _vec_is_set(node)
    if isinstance(node, Truthy):
        name = node.field.name
        return lambda env: _col_truthy(env.cols[name], env)
    if isinstance(node, Not):
        inner = _vectorize(node.inner)

        def negate(env: Env) -> BoolArray:
            result = inner(env)
            return np.logical_not(result, out=result)

        return negate
    parts = tuple(_vectorize(item) for item in node.items)
    combine = np.logical_and if isinstance(node, And) else np.logical_or

    def combined(env: Env) -> BoolArray:
        result = parts[0](env)
        for part in parts[1:]:
            combine(result, part(env), out=result)
        return result

    return combined


def _vec_cmp(node: Cmp) -> VecFn:
    op, left, right = node.op, node.left, node.right
    if not isinstance(left, Field):
        raise AssertionError(f"not normalised: {node!r}")  # pragma: no cover
    name = left.name
    if isinstance(right, Field):
        other = right.name
        return lambda env: _col_cmp_col(env.cols[name], op, env.cols[other], env)
    lit = right.value
    return lambda env: _col_cmp_lit(env.cols[name], op, lit, env)


def _incompatible(col: _Col, op: str, env: Env) -> BoolArray:
    """Result of comparing a column with values of another kind: only '!=' holds."""
    if op == "!=":
        return col.set().copy()
    return env.zeros()


def _col_cmp_lit(col: _Col | None, op: str, lit: object, env: Env) -> BoolArray:
    if col is None:
        return env.zeros()
    if col.kind == "obj":
        compare = COMPARE[op]
        return _map_bool(lambda v: compare(v, lit), col.values)
    kind = kind_of(lit)
    if not ((col.kind == "num" and kind == NUM) or (col.kind == "str" and kind == STR)):
        return _incompatible(col, op, env)
    if col.kind == "num":
        result = compare_number(col.values, op, lit)
    else:
        result = np.asarray(PYOPS[op](col.values, lit), dtype=bool)
    if op == "!=" and col.may_be_unset():
        np.logical_and(result, col.set(), out=result)
    return result


def _col_cmp_col(a: _Col | None, op: str, b: _Col | None, env: Env) -> BoolArray:
    if a is None or b is None:
        return env.zeros()
    if a.kind == "obj" or b.kind == "obj":
        return _map_bool2(COMPARE[op], a.objects(), b.objects())
    if a.kind != b.kind:
        if op == "!=":
            return np.logical_and(a.set(), b.set())
        return env.zeros()
    if a.kind == "num":
        result = compare_columns(a.values, op, b.values)
    else:
        with np.errstate(invalid="ignore"):
            result = np.asarray(PYOPS[op](a.values, b.values), dtype=bool)
    if op == "!=" and (a.may_be_unset() or b.may_be_unset()):
        np.logical_and(result, a.set(), out=result)
        np.logical_and(result, b.set(), out=result)
    return result


def _vec_is_set(node: IsSet) -> VecFn:
    operand, negated = node.operand, node.negated
    if not isinstance(operand, Field):
        raise AssertionError(f"not normalised: {node!r}")  # pragma: no cover
    name = operand.name

    def is_set(env: Env) -> BoolArray:
        col = env.cols[name]
        if col is None:
            return env.full(negated)
        return (col.unset() if negated else col.set()).copy()

    return is_set


def _col_truthy(col: _Col | None, env: Env) -> BoolArray:
    if col is None:
        return env.zeros()
    values = col.values
    code = values.dtype.kind
    if col.kind == "num":
        if code == "b":
            return np.array(values, dtype=bool, copy=True)
        result = np.asarray(values != 0, dtype=bool)
        if code == "f":
            np.logical_and(result, col.set(), out=result)
        return result
    if col.kind == "str":
        return np.asarray(values != "", dtype=bool)
    if col.kind in "Mm":
        result = np.asarray(values.view(np.int64) != 0, dtype=bool)
        np.logical_and(result, col.set(), out=result)
        return result
    return _map_bool(is_truthy, values)


def _vec_in(node: In) -> VecFn:
    left, right, negated = node.left, node.right, node.negated
    if isinstance(left, Field) and isinstance(right, Field):
        a, b = left.name, right.name
        member = not_in_values if negated else in_values

        def field_in_field(env: Env) -> BoolArray:
            ca, cb = env.cols[a], env.cols[b]
            if ca is None or cb is None:
                return env.zeros()
            return _map_bool2(member, ca.objects(), cb.objects())

        return field_in_field
    if isinstance(left, Field) and isinstance(right, Lit):
        name, container = left.name, right.value
        return lambda env: _col_in_lit(env.cols[name], container, negated, env)
    if not (isinstance(left, Lit) and isinstance(right, Field)):
        raise AssertionError(f"not normalised: {node!r}")  # pragma: no cover
    item, cname = left.value, right.name
    return lambda env: _lit_in_col(item, env.cols[cname], negated, env)


def _finish_in(found: BoolArray, col: _Col, negated: bool) -> BoolArray:
    if negated:
        np.logical_not(found, out=found)
        if col.may_be_unset():
            np.logical_and(found, col.set(), out=found)
    return found


def _col_in_lit(col: _Col | None, container: object, negated: bool, env: Env) -> BoolArray:
    """``column in literal`` where the literal is a list, a string or a number."""
    if col is None:
        return env.zeros()
    if col.kind == "obj":
        return _map_bool(lambda v: in_scalar(v, container, negated), col.values)
    values = col.values
    if type(container) is tuple:
        if col.kind == "num":
            wanted = [v for v in container if not isinstance(v, str)]
        elif col.kind == "str":
            wanted = [v for v in container if isinstance(v, str)]
        else:
            wanted = []
        if not wanted:
            found = env.zeros()
        elif col.kind == "num":
            found = isin_numbers(values, wanted)
        else:
            found = np.asarray(np.isin(values, np.asarray(wanted)), dtype=bool)
    elif isinstance(container, str) and col.kind == "str":
        found = np.asarray(np.char.find(np.asarray(container), values) >= 0, dtype=bool)
    else:
        found = env.zeros()
    return _finish_in(found, col, negated)


def _lit_in_col(item: object, col: _Col | None, negated: bool, env: Env) -> BoolArray:
    """``literal in column`` where the column holds strings or containers."""
    if col is None:
        return env.zeros()
    if col.kind == "obj":
        return _map_bool(lambda c: in_scalar(item, c, negated), col.values)
    if col.kind == "str" and isinstance(item, str):
        found = np.asarray(np.char.find(col.values, item) >= 0, dtype=bool)
    else:
        found = env.zeros()
    return _finish_in(found, col, negated)


