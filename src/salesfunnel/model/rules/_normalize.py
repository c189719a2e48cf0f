"""The normalisation pass both compilers run over a syntax tree before compiling it.

:func:`normalize` rewrites a tree into the shape the compilers expect, so neither has to
handle the other spellings itself:

* ``literal op field`` becomes ``field op' literal`` (``5 < a`` becomes ``a > 5``);
* a condition between literals only (``1 < 2``, ``'a' in ['a']``, ``3 is set``) is
  folded into a :class:`~salesfunnel.model.rules.api.Const`.

Everything else is kept as it is (``literal in field`` is not symmetric).
"""

from __future__ import annotations

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
    Or,
)
from salesfunnel.model.rules._values import COMPARE, FLIPPED, in_scalar

__all__ = ["normalize"]


def normalize(node: Node) -> Node:
    """Return ``node`` with fields on the left of comparisons and literal-only conditions folded.

    The pass is idempotent.  Its recursion is bounded by the parser's
    :data:`~salesfunnel.model.rules.MAX_DEPTH` (``and``/``or`` chains are flat).

    Examples
    --------
    >>> from salesfunnel.model.rules._syntax import parse
    >>> normalize(parse("10 <= budget")[0][0])
    Cmp(op='>=', left=Field(path=('budget',)), right=Lit(value=10))
    >>> normalize(parse("not (1 < 2)")[0][0])
    Not(inner=Const(value=True))
    """
    if isinstance(node, Cmp):
        left, right = node.left, node.right
        if isinstance(left, Lit):
            if isinstance(right, Lit):
                return Const(COMPARE[node.op](left.value, right.value))
            return Cmp(FLIPPED[node.op], right, left)
        return node
    if isinstance(node, In):
        if isinstance(node.left, Lit) and isinstance(node.right, Lit):
            return Const(in_scalar(node.left.value, node.right.value, node.negated))
        return node
    if isinstance(node, IsSet):
        if isinstance(node.operand, Field):
            return node
        return Const(not node.negated)
    if isinstance(node, Not):
        return Not(normalize(node.inner))
    if isinstance(node, (And, Or)):
        return type(node)(tuple(normalize(item) for item in node.items))
    return node
