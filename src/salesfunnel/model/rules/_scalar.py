"""Compiler of a syntax tree to plain Python closures that test one subject.

:func:`compile_scalar` runs :func:`~salesfunnel.model.rules._normalize.normalize` first,
so the compilers below only see ``field op literal`` and ``field op field``
comparisons.  Semantics: see the rule-language reference (``docs/reference/rules.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeAlias

from salesfunnel.model.rules._normalize import normalize
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
    Operand,
    Truthy,
)
from salesfunnel.model.rules._values import (
    COMPARE,
    MISSING,
    NEVER_UNSET,
    NUM,
    PYOPS,
    STR,
    Op,
    Pred,
    getter,
    in_literals,
    in_values,
    is_truthy,
    is_unset,
    kind_of,
    not_in_values,
)

__all__ = ["compile_scalar", "conjunction"]


def compile_scalar(node: Node) -> Pred:
    """Compile ``node`` (normalised here) to ``pred(subject) -> bool``.

    Examples
    --------
    >>> from salesfunnel.model.rules._syntax import parse
    >>> pred = compile_scalar(parse("10 <= budget")[0][0])
    >>> pred({"budget": 12}), pred({"budget": 9}), pred({})
    (True, False, False)
    """
    return _compile(normalize(node))


def _constant(value: bool) -> Pred:
    def pred(s: object) -> bool:
        return value

    return pred


def _value_of(operand: Operand) -> Callable[[object], object]:
    if isinstance(operand, Lit):
        value = operand.value
        return lambda s: value
    return getter(operand.path)


def _compile(node: Node) -> Pred:
    """Compile a normalised tree."""
    if isinstance(node, Const):
        return _constant(node.value)
    if isinstance(node, Cmp):
        return _compile_cmp(node)
    if isinstance(node, In):
        return _compile_in(node)
    if isinstance(node, IsSet):
        return _compile_is_set(node)
    if isinstance(node, Truthy):
        return _compile_truthy(node.field)
    if isinstance(node, Not):
        inner = _compile(node.inner)
        return lambda s: not inner(s)
    preds = tuple(_compile(item) for item in node.items)
    if isinstance(node, And):
        return conjunction(preds)
    return _any_of(preds)


def conjunction(preds: tuple[Pred, ...]) -> Pred:
    """One predicate that holds when all of ``preds`` hold (fused for speed)."""
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda s: a(s) and b(s)
    if len(preds) == 3:
        a, b, c = preds
        return lambda s: a(s) and b(s) and c(s)

    def all_of(s: object) -> bool:
        for pred in preds:  # noqa: SIM110 - a plain loop is faster than all(genexpr)
            if not pred(s):
                return False
        return True

    return all_of


def _any_of(preds: tuple[Pred, ...]) -> Pred:
    if len(preds) == 2:
        a, b = preds
        return lambda s: a(s) or b(s)

    def any_of(s: object) -> bool:
        for pred in preds:  # noqa: SIM110 - a plain loop is faster than any(genexpr)
            if pred(s):
                return True
        return False

    return any_of


def _compile_cmp(node: Cmp) -> Pred:
    op, left, right = node.op, node.left, node.right
    if not isinstance(left, Field):
        raise AssertionError(f"not normalised: {node!r}")  # pragma: no cover
    compare = COMPARE[op]
    if isinstance(right, Field):
        get_a, get_b = getter(left.path), getter(right.path)
        return lambda s: compare(get_a(s), get_b(s))
    return _compile_field_vs_literal(left.path, op, right.value)


class _NeverType:
    """No value has this type: a fast-path type test against it always fails."""

    __slots__ = ()


_Factory: TypeAlias = Callable[[str, Callable[[object], object], Any, type, type, Op], Pred]


def _compile_field_vs_literal(path: tuple[str, ...], op: str, lit: object) -> Pred:
    """``field <op> literal``, with a fast path for plain ints, floats and strs.

    Values of the fast-path types ``t1``/``t2`` are compared inline; anything else
    (missing, None, NaN for '!=', numpy scalars, other kinds) takes the general path.
    """
    compare = COMPARE[op]
    kind = kind_of(lit)
    t1: type = _NeverType
    t2: type = _NeverType
    if kind == NUM:
        t1, t2 = (int, int) if op == "!=" else (float, int)  # '!=' on NaN must be False
    elif kind == STR:
        t1 = t2 = str
    get = getter(path)
    if len(path) == 1:
        return _FIELD_VS_LITERAL[op](path[0], get, lit, t1, t2, compare)
    pyop = PYOPS[op]

    def pred(s: object) -> bool:
        v = get(s)
        t = type(v)
        if t is t1 or t is t2:
            return pyop(v, lit)
        return compare(v, lit)

    return pred


# One factory per operator so that the comparison itself is inlined in the closure.


def _eq_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: Op
) -> Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v == lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _ne_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: Op
) -> Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v != lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _lt_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: Op
) -> Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v < lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _le_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: Op
) -> Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v <= lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _gt_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: Op
) -> Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v > lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _ge_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: Op
) -> Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v >= lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


_FIELD_VS_LITERAL: Final[dict[str, _Factory]] = {
    "==": _eq_key,
    "!=": _ne_key,
    "<": _lt_key,
    "<=": _le_key,
    ">": _gt_key,
    ">=": _ge_key,
}


def _compile_in(node: In) -> Pred:
    left, right, negated = node.left, node.right, node.negated
    if isinstance(left, Field) and isinstance(right, Lit) and type(right.value) is tuple:
        members = frozenset(right.value)
        get = getter(left.path)

        def pred(s: object) -> bool:
            v = get(s)
            if is_unset(v):
                return False
            return in_literals(v, members) is not negated

        return pred
    get_item, get_container = _value_of(left), _value_of(right)
    member = not_in_values if negated else in_values
    return lambda s: member(get_item(s), get_container(s))


def _compile_is_set(node: IsSet) -> Pred:
    operand, negated = node.operand, node.negated
    if not isinstance(operand, Field):
        raise AssertionError(f"not normalised: {node!r}")  # pragma: no cover
    get = getter(operand.path)
    if len(operand.path) > 1:
        if negated:
            return lambda s: is_unset(get(s))
        return lambda s: not is_unset(get(s))
    key = operand.path[0]
    if negated:

        def is_not_set(s: object) -> bool:
            v = s.get(key, MISSING) if type(s) is dict else get(s)
            if v is None or v is MISSING:
                return True
            if type(v) in NEVER_UNSET:
                return False
            return is_unset(v)

        return is_not_set

    def is_set(s: object) -> bool:
        v = s.get(key, MISSING) if type(s) is dict else get(s)
        if v is None or v is MISSING:
            return False
        if type(v) in NEVER_UNSET:
            return True
        return not is_unset(v)

    return is_set


def _compile_truthy(field: Field) -> Pred:
    get = getter(field.path)
    if len(field.path) > 1:
        return lambda s: is_truthy(get(s))
    key = field.path[0]

    def truthy(s: object) -> bool:
        v = s.get(key, MISSING) if type(s) is dict else get(s)
        if v is True:
            return True
        if v is False or v is None or v is MISSING:
            return False
        return is_truthy(v)

    return truthy


