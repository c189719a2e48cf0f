"""Syntax tree of the rule language and its recursive-descent parser.

The grammar is given in the rule-language reference (``docs/reference/rules.md``).
Every node is a frozen attrs class; :func:`parse` returns the top-level ``and``
conjuncts of a rule with their source spans.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

import attrs

from salesfunnel.errors import RuleSyntaxError
from salesfunnel.model.rules._lexer import Token, lex

__all__ = [
    "MAX_DEPTH", "And", "Cmp", "Const", "Field", "In", "IsSet", "Lit", "Node", "Not",
    "Operand", "Or", "Parser", "Truthy", "fields_of", "join", "parse",
]

MAX_DEPTH: Final = 64
"""Deepest nesting of parentheses and ``not`` accepted."""


@attrs.frozen
class Field:
    """A (possibly dotted) field name, such as ``contact.email``: its parts."""

    path: tuple[str, ...]

    @property
    def name(self) -> str:
        return ".".join(self.path)


@attrs.frozen
class Lit:
    """A literal: a number, a string, a boolean or a list (a tuple) of those."""

    value: Any  # int | float | bool | str | tuple of those (a list literal)


Operand: TypeAlias = "Field | Lit"


@attrs.frozen
class Cmp:
    """``left op right`` where ``op`` is one of ``== != < <= > >=``."""

    op: str
    left: Operand
    right: Operand


@attrs.frozen
class In:
    """``left in right`` (or ``not in`` when ``negated``)."""

    left: Operand
    right: Operand
    negated: bool


@attrs.frozen
class IsSet:
    """``operand is set`` (or ``is not set`` when ``negated``)."""

    operand: Operand
    negated: bool


@attrs.frozen
class Truthy:
    """A bare field: true when the field is set and truthy."""

    field: Field


@attrs.frozen
class Not:
    """``not inner``."""

    inner: Node


@attrs.frozen
class And:
    """All of ``items`` (at least two)."""

    items: tuple[Node, ...]


@attrs.frozen
class Or:
    """Any of ``items`` (at least two)."""

    items: tuple[Node, ...]


@attrs.frozen
class Const:
    """A constant truth value: what :func:`~salesfunnel.model.rules.api.normalize` folds
    a condition between literals into.  The parser never produces it."""

    value: bool


Node: TypeAlias = "Cmp | In | IsSet | Truthy | Not | And | Or | Const"


def fields_of(node: Node, out: set[str]) -> None:
    """Add the dotted names of the fields ``node`` reads to ``out``."""
    if isinstance(node, Const):
        return
    if isinstance(node, (And, Or)):
        for item in node.items:
            fields_of(item, out)
    elif isinstance(node, Not):
        fields_of(node.inner, out)
    elif isinstance(node, Truthy):
        out.add(node.field.name)
    elif isinstance(node, IsSet):
        if isinstance(node.operand, Field):
            out.add(node.operand.name)
    else:
        out.update(o.name for o in (node.left, node.right) if isinstance(o, Field))


class Parser:
    """Recursive-descent parser; one token of lookahead, tokens read on demand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.depth = 0
        self.prev_end = 0
        self.tok = lex(text, 0)

    # -- helpers ------------------------------------------------------------------------

    def advance(self) -> Token:
        tok = self.tok
        self.prev_end = tok.end
        self.tok = lex(self.text, tok.end)
        return tok

    def error(self, message: str, pos: int | None = None) -> RuleSyntaxError:
        return RuleSyntaxError(message, self.text, self.tok.start if pos is None else pos)

    def is_kw(self, word: str) -> bool:
        return self.tok.kind == "kw" and self.tok.value == word

    def describe(self, tok: Token) -> str:
        source = self.text[tok.start : tok.end]
        if len(source) > 30:
            source = source[:27] + "..."
        if tok.kind == "eof":
            return "end of rule"
        if tok.kind == "num":
            return f"number {source}"
        if tok.kind == "str":
            return f"string {source}"
        if tok.kind == "name":
            return f"name {source!r}"
        if tok.kind == "kw":
            return f"keyword {source!r}"
        return repr(source)

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"rule is nested deeper than {MAX_DEPTH} levels", tok.start)

    # -- grammar ------------------------------------------------------------------------

    def parse(self) -> list[tuple[Node, int, int]]:
        """Parse the whole rule; return its top-level conjuncts with their source spans."""
        if self.tok.kind == "eof":
            raise self.error("empty rule; expected a condition such as 'budget >= 10000'")
        conjuncts = self.and_items("a condition")
        if self.is_kw("or"):
            start = conjuncts[0][1]
            alternatives = [join(And, [c[0] for c in conjuncts])]
            while self.is_kw("or"):
                self.advance()
                alternatives.append(self.and_expr("a condition after 'or'"))
            conjuncts = [(Or(tuple(alternatives)), start, self.prev_end)]
        if self.tok.kind == ")":
            raise self.error("unexpected ')' without a matching '('")
        if self.tok.kind != "eof":
            found = self.describe(self.tok)
            raise self.error(f"expected 'and', 'or' or end of rule, found {found}")
        return conjuncts

    def and_items(self, context: str) -> list[tuple[Node, int, int]]:
        items: list[tuple[Node, int, int]] = []
        while True:
            start = self.tok.start
            node = self.not_expr(context)
            items.append((node, start, self.prev_end))
            if not self.is_kw("and"):
                return items
            self.advance()
            context = "a condition after 'and'"

    def and_expr(self, context: str) -> Node:
        return join(And, [item[0] for item in self.and_items(context)])

    def or_expr(self, context: str) -> Node:
        alternatives = [self.and_expr(context)]
        while self.is_kw("or"):
            self.advance()
            alternatives.append(self.and_expr("a condition after 'or'"))
        return join(Or, alternatives)

    def not_expr(self, context: str) -> Node:
        if self.is_kw("not"):
            self.enter(self.tok)
            self.advance()
            inner = self.not_expr("a condition after 'not'")
            self.depth -= 1
            return Not(inner)
        return self.atom(context)

    def atom(self, context: str) -> Node:
        tok = self.tok
        if tok.kind != "(":
            return self.comparison(context)
        self.enter(tok)
        self.advance()
        node = self.or_expr("a condition after '('")
        if self.tok.kind != ")":
            raise self.error(
                f"expected 'and', 'or' or ')' to close the '(' at position {tok.start}, "
                f"found {self.describe(self.tok)}"
            )
        self.advance()
        self.depth -= 1
        return node

    def comparison(self, context: str) -> Node:
        first = self.tok
        left = self.operand(context)
        tok = self.tok
        node: Node
        if tok.kind == "op":
            self.advance()
            node = Cmp(tok.value, left, self.operand(f"a value after {tok.value!r}"))
        elif self.is_kw("in"):
            self.advance()
            node = In(left, self.operand("a value after 'in'"), negated=False)
        elif self.is_kw("not"):
            self.advance()
            if not self.is_kw("in"):
                raise self.error(
                    f"expected 'in' after 'not' (as in 'x not in [1, 2]'), "
                    f"found {self.describe(self.tok)}"
                )
            self.advance()
            node = In(left, self.operand("a value after 'not in'"), negated=True)
        elif self.is_kw("is"):
            self.advance()
            negated = False
            if self.is_kw("not"):
                self.advance()
                negated = True
            if not self.is_kw("set"):
                expected = "'set'" if negated else "'set' or 'not set'"
                raise self.error(
                    f"expected {expected} after 'is', found {self.describe(self.tok)}"
                )
            self.advance()
            node = IsSet(left, negated=negated)
        elif isinstance(left, Field):
            return Truthy(left)
        else:
            source = self.text[first.start : self.prev_end]
            if len(source) > 30:
                source = source[:27] + "..."
            raise self.error(
                f"the value {source} alone is not a condition; "
                "expected a comparison such as 'field == value'",
                first.start,
            )
        tok = self.tok
        if tok.kind == "op" or (tok.kind == "kw" and tok.value in ("in", "is")):
            raise self.error("comparisons cannot be chained; join them with 'and'")
        return node

    def operand(self, context: str) -> Operand:
        tok = self.tok
        operand: Operand
        if tok.kind in ("num", "str"):
            operand = Lit(tok.value)
        elif tok.kind == "kw" and tok.value in ("true", "false"):
            operand = Lit(tok.value == "true")
        elif tok.kind == "name":
            operand = Field(tok.value)
        elif tok.kind == "[":
            return self.list_literal()
        else:
            hint = ""
            if tok.kind == "kw" and tok.value not in ("not",):
                hint = " (keywords cannot be field names)"
            raise self.error(f"expected {context}, found {self.describe(tok)}{hint}")
        self.advance()
        nxt = self.tok
        if nxt.kind == "(":
            raise self.error("function calls are not allowed in rules")
        if nxt.kind == "[":
            raise self.error("indexing is not allowed in rules")
        return operand

    def list_literal(self) -> Lit:
        opening = self.advance()
        values: list[Any] = []
        while self.tok.kind != "]":
            tok = self.tok
            if tok.kind in ("num", "str"):
                values.append(tok.value)
            elif tok.kind == "kw" and tok.value in ("true", "false"):
                values.append(tok.value == "true")
            else:
                raise self.error(
                    "expected a number, a string, true, false or ']' in the list "
                    f"opened at position {opening.start}, found {self.describe(tok)}"
                )
            self.advance()
            if self.tok.kind == ",":
                self.advance()
            elif self.tok.kind != "]":
                raise self.error(
                    f"expected ',' or ']' in the list opened at position {opening.start}, "
                    f"found {self.describe(self.tok)}"
                )
        self.advance()
        if self.tok.kind == "[":
            raise self.error("indexing is not allowed in rules")
        return Lit(tuple(values))


def join(kind: type[And] | type[Or], items: list[Node]) -> Node:
    """``kind(items)``, or the only item when there is one."""
    return items[0] if len(items) == 1 else kind(tuple(items))


def parse(text: str) -> list[tuple[Node, int, int]]:
    """Parse ``text``; return its top-level ``and`` conjuncts with their source spans.

    Raises
    ------
    RuleSyntaxError
        If ``text`` does not follow the grammar.

    Examples
    --------
    >>> [(text[start:end]) for text in ["a > 1 and b"] for _, start, end in parse(text)]
    ['a > 1', 'b']
    >>> parse("2 < a")[0][0]
    Cmp(op='<', left=Lit(value=2), right=Field(path=('a',)))
    """
    return Parser(text).parse()


