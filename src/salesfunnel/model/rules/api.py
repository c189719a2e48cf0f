"""Internal API of the rule language for :mod:`salesfunnel.testing`.

This module is *not* part of the public API of salesfunnel, but it is the one declared
interface the testing package (the gate solver, the rule strategies and the option
checks) relies on.  Everything it needs from the rule engine is listed in ``__all__``
below; nothing else of :mod:`salesfunnel.model.rules` may be imported from outside the
package.  Changing a name here means changing ``salesfunnel.testing`` too.

What it offers:

* the syntax tree: :class:`Field`, :class:`Lit`, :class:`Cmp`, :class:`In`,
  :class:`IsSet`, :class:`Truthy`, :class:`Not`, :class:`And`, :class:`Or`,
  :class:`Const` (made only by :func:`normalize`), the :data:`Node` alias;
* reading rules: :func:`parse` (top-level conjuncts with spans), :class:`Parser`,
  :func:`join`, :func:`fields_of`, :func:`normalize`;
* evaluating a node on one subject: :func:`compile_scalar`;
* the vocabulary: :data:`MISSING` and :data:`KEYWORDS`.

Examples
--------
>>> (node, _, _), = parse("5 < budget")
>>> node
Cmp(op='<', left=Lit(value=5), right=Field(path=('budget',)))
>>> normalize(node)
Cmp(op='>', left=Field(path=('budget',)), right=Lit(value=5))
>>> compile_scalar(node)({"budget": 6})
True
"""

from salesfunnel.model.rules._lexer import KEYWORDS
from salesfunnel.model.rules._normalize import normalize
from salesfunnel.model.rules._scalar import compile_scalar
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
    Or,
    Parser,
    Truthy,
    fields_of,
    join,
    parse,
)
from salesfunnel.model.rules._values import MISSING

__all__ = [
    "KEYWORDS",
    "MISSING",
    "And",
    "Cmp",
    "Const",
    "Field",
    "In",
    "IsSet",
    "Lit",
    "Node",
    "Not",
    "Operand",
    "Or",
    "Parser",
    "Truthy",
    "compile_scalar",
    "fields_of",
    "join",
    "normalize",
    "parse",
]
