"""The safe rule language used by gates.

A rule is a small boolean expression over the fields of a deal, such as
``"budget >= 10000 and decision_maker is set"``.  Rules are read by a hand-written
tokenizer and recursive-descent parser and compiled into plain Python closures (for one
subject) and numpy functions (for columns of many subjects).  Nothing is ever passed to
``eval``, ``exec`` or ``compile``, no name starting with ``_`` can be written, and
nothing in a rule can call a function.

Grammar::

    rule       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | atom
    atom       := "(" or_expr ")" | comparison
    comparison := operand [ cmp operand | "in" operand | "not" "in" operand
                          | "is" "set" | "is" "not" "set" ]
    cmp        := "==" | "!=" | "<" | "<=" | ">" | ">="
    operand    := NUMBER | STRING | LIST | "true" | "false" | FIELD

Semantics, in short: a field that is missing, ``None``, NaN or NaT is *not set*; a
comparison or ``in`` that involves a value that is not set is false, and so is a
comparison between values of different kinds (numbers compare with numbers, strings with
strings).  A bare field means "the field is truthy".  The top-level ``and`` conjuncts of
a rule are its named :class:`Check` objects, so a failed gate can name what failed.

Examples
--------
>>> rule = parse_rule("budget >= 10000 and decision_maker is set")
>>> rule.test({"budget": 25_000, "decision_maker": "Ann"})
True
>>> rule.failed({"budget": 500})
('budget >= 10000', 'decision_maker is set')
"""

from __future__ import annotations

import functools
import numbers
import operator
import re
from collections.abc import Callable, Mapping
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any, Final, NamedTuple, TypeAlias, final

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel.errors import InvalidParameterError, RuleSyntaxError

__all__ = ["KEYWORDS", "MAX_DEPTH", "MAX_RULE_LENGTH", "MISSING", "Check", "Rule", "parse_rule"]

MAX_RULE_LENGTH: Final = 10_000
"""Longest rule text accepted, in characters."""

MAX_DEPTH: Final = 64
"""Deepest nesting of parentheses and ``not`` accepted."""

KEYWORDS: Final = frozenset({"and", "or", "not", "in", "is", "set", "true", "false"})
"""Reserved words; none of them can be a field name."""

BoolArray: TypeAlias = npt.NDArray[np.bool_]
_Pred: TypeAlias = Callable[[object], bool]
_Op: TypeAlias = Callable[[Any, Any], bool]


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


# ---------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------


class _Tok(NamedTuple):
    kind: str  # "num" "str" "name" "kw" "op" "(" ")" "[" "]" "," "eof"
    value: Any
    start: int
    end: int


_WHITESPACE: Final = frozenset(" \t\n\r\f\v")
_DIGITS: Final = frozenset("0123456789")
_IDENT_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DIGITS_RE: Final = r"[0-9](?:_?[0-9])*"
_NUMBER_RE: Final = re.compile(
    rf"-?(?:{_DIGITS_RE}(?:\.(?:{_DIGITS_RE})?)?|\.{_DIGITS_RE})(?:[eE][+-]?{_DIGITS_RE})?"
)
_NUMBER_TAIL: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def _lex(text: str, pos: int) -> _Tok:
    """Read the token that starts at or after ``pos`` (lazily, so errors come in order)."""
    n = len(text)
    while pos < n and text[pos] in _WHITESPACE:
        pos += 1
    if pos >= n:
        return _Tok("eof", None, n, n)
    ch = text[pos]
    if ch in "()[],":
        return _Tok(ch, ch, pos, pos + 1)
    if ch in "=!<>":
        two = text[pos : pos + 2]
        if two in ("==", "!=", "<=", ">="):
            return _Tok("op", two, pos, pos + 2)
        if ch in "<>":
            return _Tok("op", ch, pos, pos + 1)
        if ch == "=":
            raise RuleSyntaxError("'=' is not a comparison; use '==' to test equality", text, pos)
        raise RuleSyntaxError(
            "unexpected '!'; use 'not' to negate a condition or '!=' to compare", text, pos
        )
    if ch == "'" or ch == '"':
        return _lex_string(text, pos)
    nxt = text[pos + 1] if pos + 1 < n else ""
    if ch in _DIGITS or ch == "-" or (ch == "." and nxt in _DIGITS):
        return _lex_number(text, pos)
    if ch.isascii() and ch.isalpha():
        return _lex_name(text, pos)
    if ch == "_":
        raise RuleSyntaxError("names must not start with '_'", text, pos)
    raise RuleSyntaxError(f"unexpected character {ch!r}", text, pos)


def _lex_string(text: str, pos: int) -> _Tok:
    quote = text[pos]
    parts: list[str] = []
    i = pos + 1
    stop = text.find(quote, i)
    while stop >= 0:
        slash = text.find("\\", i, stop)
        if slash < 0:
            parts.append(text[i:stop])
            return _Tok("str", "".join(parts), pos, stop + 1)
        parts.append(text[i:slash])
        escaped = text[slash + 1]  # exists: the closing quote is still ahead
        if escaped not in ("\\", "'", '"'):
            raise RuleSyntaxError(
                "invalid escape in string; only \\\\, \\' and \\\" are allowed", text, slash
            )
        parts.append(escaped)
        i = slash + 2
        if i > stop:  # the escaped character was the quote: look further
            stop = text.find(quote, i)
    raise RuleSyntaxError(f"unterminated string; expected a closing {quote}", text, pos)


def _lex_number(text: str, pos: int) -> _Tok:
    match = _NUMBER_RE.match(text, pos)
    if match is None:
        raise RuleSyntaxError("expected a number after '-'", text, pos + 1)
    end = match.end()
    if end < len(text) and text[end] in _NUMBER_TAIL:
        raise RuleSyntaxError("invalid number", text, pos)
    raw = match.group().replace("_", "")
    value: int | float
    try:
        value = float(raw) if any(c in raw for c in ".eE") else int(raw)
    except ValueError:  # more digits than int() accepts
        raise RuleSyntaxError("number is too long", text, pos) from None
    return _Tok("num", value, pos, end)


def _lex_name(text: str, pos: int) -> _Tok:
    parts: list[str] = []
    starts: list[int] = []
    i = pos
    n = len(text)
    while True:
        match = _IDENT_RE.match(text, i)
        if match is None:
            if i < n and text[i] == "_":
                raise RuleSyntaxError("names must not start with '_'", text, i)
            raise RuleSyntaxError("expected a name after '.'", text, i)
        parts.append(match.group())
        starts.append(i)
        i = match.end()
        if i < n and text[i] == ".":
            i += 1
            continue
        break
    if len(parts) == 1 and parts[0] in KEYWORDS:
        return _Tok("kw", parts[0], pos, i)
    for part, start in zip(parts, starts, strict=True):
        if part in KEYWORDS:
            raise RuleSyntaxError(f"keyword {part!r} cannot be part of a field name", text, start)
    return _Tok("name", tuple(parts), pos, i)


# ---------------------------------------------------------------------------------------
# Syntax tree
# ---------------------------------------------------------------------------------------


@attrs.frozen
class _Field:
    path: tuple[str, ...]

    @property
    def name(self) -> str:
        return ".".join(self.path)


@attrs.frozen
class _Lit:
    value: Any  # int | float | bool | str | tuple of those (a list literal)


_Operand: TypeAlias = "_Field | _Lit"


@attrs.frozen
class _Cmp:
    op: str
    left: _Operand
    right: _Operand


@attrs.frozen
class _In:
    left: _Operand
    right: _Operand
    negated: bool


@attrs.frozen
class _IsSet:
    operand: _Operand
    negated: bool


@attrs.frozen
class _Truthy:
    field: _Field


@attrs.frozen
class _Not:
    inner: _Node


@attrs.frozen
class _And:
    items: tuple[_Node, ...]


@attrs.frozen
class _Or:
    items: tuple[_Node, ...]


_Node: TypeAlias = "_Cmp | _In | _IsSet | _Truthy | _Not | _And | _Or"


def _fields_of(node: _Node, out: set[str]) -> None:
    if isinstance(node, (_And, _Or)):
        for item in node.items:
            _fields_of(item, out)
    elif isinstance(node, _Not):
        _fields_of(node.inner, out)
    elif isinstance(node, _Truthy):
        out.add(node.field.name)
    elif isinstance(node, _IsSet):
        if isinstance(node.operand, _Field):
            out.add(node.operand.name)
    else:
        out.update(o.name for o in (node.left, node.right) if isinstance(o, _Field))


# ---------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------


class _Parser:
    """Recursive-descent parser; one token of lookahead, tokens read on demand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.depth = 0
        self.prev_end = 0
        self.tok = _lex(text, 0)

    # -- helpers ------------------------------------------------------------------------

    def advance(self) -> _Tok:
        tok = self.tok
        self.prev_end = tok.end
        self.tok = _lex(self.text, tok.end)
        return tok

    def error(self, message: str, pos: int | None = None) -> RuleSyntaxError:
        return RuleSyntaxError(message, self.text, self.tok.start if pos is None else pos)

    def is_kw(self, word: str) -> bool:
        return self.tok.kind == "kw" and self.tok.value == word

    def describe(self, tok: _Tok) -> str:
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

    def enter(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"rule is nested deeper than {MAX_DEPTH} levels", tok.start)

    # -- grammar ------------------------------------------------------------------------

    def parse(self) -> list[tuple[_Node, int, int]]:
        """Parse the whole rule; return its top-level conjuncts with their source spans."""
        if self.tok.kind == "eof":
            raise self.error("empty rule; expected a condition such as 'budget >= 10000'")
        conjuncts = self.and_items("a condition")
        if self.is_kw("or"):
            start = conjuncts[0][1]
            alternatives = [_join(_And, [c[0] for c in conjuncts])]
            while self.is_kw("or"):
                self.advance()
                alternatives.append(self.and_expr("a condition after 'or'"))
            conjuncts = [(_Or(tuple(alternatives)), start, self.prev_end)]
        if self.tok.kind == ")":
            raise self.error("unexpected ')' without a matching '('")
        if self.tok.kind != "eof":
            found = self.describe(self.tok)
            raise self.error(f"expected 'and', 'or' or end of rule, found {found}")
        return conjuncts

    def and_items(self, context: str) -> list[tuple[_Node, int, int]]:
        items: list[tuple[_Node, int, int]] = []
        while True:
            start = self.tok.start
            node = self.not_expr(context)
            items.append((node, start, self.prev_end))
            if not self.is_kw("and"):
                return items
            self.advance()
            context = "a condition after 'and'"

    def and_expr(self, context: str) -> _Node:
        return _join(_And, [item[0] for item in self.and_items(context)])

    def or_expr(self, context: str) -> _Node:
        alternatives = [self.and_expr(context)]
        while self.is_kw("or"):
            self.advance()
            alternatives.append(self.and_expr("a condition after 'or'"))
        return _join(_Or, alternatives)

    def not_expr(self, context: str) -> _Node:
        if self.is_kw("not"):
            self.enter(self.tok)
            self.advance()
            inner = self.not_expr("a condition after 'not'")
            self.depth -= 1
            return _Not(inner)
        return self.atom(context)

    def atom(self, context: str) -> _Node:
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

    def comparison(self, context: str) -> _Node:
        first = self.tok
        left = self.operand(context)
        tok = self.tok
        node: _Node
        if tok.kind == "op":
            self.advance()
            node = _Cmp(tok.value, left, self.operand(f"a value after {tok.value!r}"))
        elif self.is_kw("in"):
            self.advance()
            node = _In(left, self.operand("a value after 'in'"), negated=False)
        elif self.is_kw("not"):
            self.advance()
            if not self.is_kw("in"):
                raise self.error(
                    f"expected 'in' after 'not' (as in 'x not in [1, 2]'), "
                    f"found {self.describe(self.tok)}"
                )
            self.advance()
            node = _In(left, self.operand("a value after 'not in'"), negated=True)
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
            node = _IsSet(left, negated=negated)
        elif isinstance(left, _Field):
            return _Truthy(left)
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

    def operand(self, context: str) -> _Operand:
        tok = self.tok
        operand: _Operand
        if tok.kind in ("num", "str"):
            operand = _Lit(tok.value)
        elif tok.kind == "kw" and tok.value in ("true", "false"):
            operand = _Lit(tok.value == "true")
        elif tok.kind == "name":
            operand = _Field(tok.value)
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

    def list_literal(self) -> _Lit:
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
        return _Lit(tuple(values))


def _join(kind: type[_And] | type[_Or], items: list[_Node]) -> _Node:
    return items[0] if len(items) == 1 else kind(tuple(items))


# ---------------------------------------------------------------------------------------
# Value semantics (one value at a time)
# ---------------------------------------------------------------------------------------

_NUM: Final = 0
_STR: Final = 1
_SEQ: Final = 2
_OTHER: Final = 3

_TEMPORAL: Final = (date, time, timedelta, np.datetime64, np.timedelta64)
_NAN_CAPABLE: Final = (float, np.floating, np.datetime64, np.timedelta64)
_NA_TYPE_NAMES: Final = frozenset({"NAType", "NaTType"})  # pandas.NA, pandas.NaT
_NEVER_UNSET: Final = frozenset({str, int, bool, list, tuple, dict})


def _kind(v: object) -> int:
    t = type(v)
    if t is int or t is float or t is bool:
        return _NUM
    if t is str:
        return _STR
    if t is list or t is tuple:
        return _SEQ
    if isinstance(v, str):
        return _STR
    if isinstance(v, (np.datetime64, np.timedelta64)):
        return _OTHER
    if isinstance(v, (numbers.Real, Decimal, np.bool_)):
        return _NUM
    if isinstance(v, (list, tuple)):
        return _SEQ
    return _OTHER


def _unset(v: object) -> bool:
    """Whether ``v`` counts as not set: MISSING, None, NaN, NaT or pandas' NA."""
    if v is None or v is MISSING:
        return True
    t = type(v)
    if t in _NEVER_UNSET:
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


def _eq(a: object, b: object) -> bool | None:
    """Equality of two set values; None when it cannot be decided."""
    ka = _kind(a)
    if ka != _kind(b):
        return False
    if ka == _OTHER and not (isinstance(a, type(b)) or isinstance(b, type(a))):
        return False
    try:
        if ka == _SEQ:
            seq_a: Any = a
            seq_b: Any = b
            return _as_bool(tuple(seq_a) == tuple(seq_b))
        return _as_bool(a == b)
    except Exception:
        return None


def _order(op: _Op, a: object, b: object) -> bool:
    """An ordering comparison of two set values; False across kinds."""
    ka = _kind(a)
    if ka != _kind(b) or ka == _SEQ:
        return False
    if ka == _OTHER and not (
        isinstance(a, _TEMPORAL) and (isinstance(a, type(b)) or isinstance(b, type(a)))
    ):
        return False
    try:
        return _as_bool(op(a, b)) is True
    except Exception:
        return False


def _cmp_eq(a: object, b: object) -> bool:
    if _unset(a) or _unset(b):
        return False
    return _eq(a, b) is True


def _cmp_ne(a: object, b: object) -> bool:
    if _unset(a) or _unset(b):
        return False
    return _eq(a, b) is False


def _order_cmp(op: _Op) -> _Op:
    def compare(a: object, b: object) -> bool:
        if _unset(a) or _unset(b):
            return False
        return _order(op, a, b)

    return compare


_PYOPS: Final[dict[str, _Op]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_COMPARE: Final[dict[str, _Op]] = {
    "==": _cmp_eq,
    "!=": _cmp_ne,
    **{op: _order_cmp(_PYOPS[op]) for op in ("<", "<=", ">", ">=")},
}
_FLIPPED: Final = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _truthy(v: object) -> bool:
    if v is True:
        return True
    if v is False or _unset(v):
        return False
    try:
        return bool(v)
    except Exception:
        return False


def _member(item: object, container: object) -> bool:
    """``item in container`` for two set values (a field's list/tuple/set/str)."""
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, (list, tuple, set, frozenset)):
        try:
            return item in container
        except Exception:
            return False
    return False


def _in_literals(v: object, members: frozenset[Any]) -> bool:
    """Membership of a set value in a literal list (numbers and strings only)."""
    t = type(v)
    if t is str or t is int or t is float or t is bool:
        return v in members
    k = _kind(v)
    if k in (_NUM, _STR):
        try:
            return v in members
        except Exception:  # pragma: no cover - numbers and strings are hashable
            return False
    return False


def _in_values(item: object, container: object) -> bool:
    if _unset(item) or _unset(container):
        return False
    return _member(item, container)


def _not_in_values(item: object, container: object) -> bool:
    if _unset(item) or _unset(container):
        return False
    return not _member(item, container)


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


def _get_path(obj: object, path: tuple[str, ...]) -> object:
    for name in path:
        obj = _step(obj, name)
        if obj is MISSING:
            return MISSING
    return obj


def _getter(path: tuple[str, ...]) -> Callable[[object], object]:
    if len(path) == 1:
        key = path[0]

        def get1(s: object) -> object:
            if type(s) is dict:
                return s.get(key, MISSING)
            return _step(s, key)

        return get1
    return functools.partial(_get_path, path=path)


# ---------------------------------------------------------------------------------------
# Compilation to closures (one subject)
# ---------------------------------------------------------------------------------------


def _constant(value: bool) -> _Pred:
    def pred(s: object) -> bool:
        return value

    return pred


def _value_of(operand: _Operand) -> Callable[[object], object]:
    if isinstance(operand, _Lit):
        value = operand.value
        return lambda s: value
    return _getter(operand.path)


def _compile(node: _Node) -> _Pred:
    if isinstance(node, _Cmp):
        return _compile_cmp(node)
    if isinstance(node, _In):
        return _compile_in(node)
    if isinstance(node, _IsSet):
        return _compile_is_set(node)
    if isinstance(node, _Truthy):
        return _compile_truthy(node.field)
    if isinstance(node, _Not):
        inner = _compile(node.inner)
        return lambda s: not inner(s)
    preds = tuple(_compile(item) for item in node.items)
    if isinstance(node, _And):
        return _all_of(preds)
    return _any_of(preds)


def _all_of(preds: tuple[_Pred, ...]) -> _Pred:
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


def _any_of(preds: tuple[_Pred, ...]) -> _Pred:
    if len(preds) == 2:
        a, b = preds
        return lambda s: a(s) or b(s)

    def any_of(s: object) -> bool:
        for pred in preds:  # noqa: SIM110 - a plain loop is faster than any(genexpr)
            if pred(s):
                return True
        return False

    return any_of


def _compile_cmp(node: _Cmp) -> _Pred:
    op, left, right = node.op, node.left, node.right
    if isinstance(left, _Lit) and isinstance(right, _Lit):
        return _constant(_COMPARE[op](left.value, right.value))
    if isinstance(left, _Lit):
        op, left, right = _FLIPPED[op], right, left
    assert isinstance(left, _Field)
    compare = _COMPARE[op]
    if isinstance(right, _Field):
        get_a, get_b = _getter(left.path), _getter(right.path)
        return lambda s: compare(get_a(s), get_b(s))
    return _compile_field_vs_literal(left.path, op, right.value)


class _NeverType:
    """No value has this type: a fast-path type test against it always fails."""

    __slots__ = ()


_Factory: TypeAlias = Callable[[str, Callable[[object], object], Any, type, type, _Op], _Pred]


def _compile_field_vs_literal(path: tuple[str, ...], op: str, lit: object) -> _Pred:
    """``field <op> literal``, with a fast path for plain ints, floats and strs.

    Values of the fast-path types ``t1``/``t2`` are compared inline; anything else
    (missing, None, NaN for '!=', numpy scalars, other kinds) takes the general path.
    """
    compare = _COMPARE[op]
    kind = _kind(lit)
    t1: type = _NeverType
    t2: type = _NeverType
    if kind == _NUM:
        t1, t2 = (int, int) if op == "!=" else (float, int)  # '!=' on NaN must be False
    elif kind == _STR:
        t1 = t2 = str
    get = _getter(path)
    if len(path) == 1:
        return _FIELD_VS_LITERAL[op](path[0], get, lit, t1, t2, compare)
    pyop = _PYOPS[op]

    def pred(s: object) -> bool:
        v = get(s)
        t = type(v)
        if t is t1 or t is t2:
            return pyop(v, lit)
        return compare(v, lit)

    return pred


# One factory per operator so that the comparison itself is inlined in the closure.


def _eq_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: _Op
) -> _Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v == lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _ne_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: _Op
) -> _Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v != lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _lt_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: _Op
) -> _Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v < lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _le_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: _Op
) -> _Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v <= lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _gt_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: _Op
) -> _Pred:
    def pred(s: object) -> bool:
        v: Any = s.get(key, MISSING) if type(s) is dict else get(s)
        t = type(v)
        if t is t1 or t is t2:
            return v > lit  # type: ignore[no-any-return]
        return compare(v, lit)

    return pred


def _ge_key(
    key: str, get: Callable[[object], object], lit: Any, t1: type, t2: type, compare: _Op
) -> _Pred:
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


def _compile_in(node: _In) -> _Pred:
    left, right, negated = node.left, node.right, node.negated
    if isinstance(left, _Lit) and isinstance(right, _Lit):
        value = _in_scalar(left.value, right.value, negated)
        return _constant(value)
    if isinstance(left, _Field) and isinstance(right, _Lit) and type(right.value) is tuple:
        members = frozenset(right.value)
        get = _getter(left.path)

        def pred(s: object) -> bool:
            v = get(s)
            if _unset(v):
                return False
            return _in_literals(v, members) is not negated

        return pred
    get_item, get_container = _value_of(left), _value_of(right)
    member = _not_in_values if negated else _in_values
    return lambda s: member(get_item(s), get_container(s))


def _in_scalar(item: object, container: object, negated: bool) -> bool:
    """``in`` between two values, either of which may be a literal list (a tuple)."""
    if _unset(item) or _unset(container):
        return False
    if type(container) is tuple:
        found = _in_literals(item, frozenset(container))
    else:
        found = _member(item, container)
    return found is not negated


def _compile_is_set(node: _IsSet) -> _Pred:
    operand, negated = node.operand, node.negated
    if isinstance(operand, _Lit):
        return _constant(not negated)
    get = _getter(operand.path)
    if len(operand.path) > 1:
        if negated:
            return lambda s: _unset(get(s))
        return lambda s: not _unset(get(s))
    key = operand.path[0]
    if negated:

        def is_not_set(s: object) -> bool:
            v = s.get(key, MISSING) if type(s) is dict else get(s)
            if v is None or v is MISSING:
                return True
            if type(v) in _NEVER_UNSET:
                return False
            return _unset(v)

        return is_not_set

    def is_set(s: object) -> bool:
        v = s.get(key, MISSING) if type(s) is dict else get(s)
        if v is None or v is MISSING:
            return False
        if type(v) in _NEVER_UNSET:
            return True
        return not _unset(v)

    return is_set


def _compile_truthy(field: _Field) -> _Pred:
    get = _getter(field.path)
    if len(field.path) > 1:
        return lambda s: _truthy(get(s))
    key = field.path[0]

    def truthy(s: object) -> bool:
        v = s.get(key, MISSING) if type(s) is dict else get(s)
        if v is True:
            return True
        if v is False or v is None or v is MISSING:
            return False
        return _truthy(v)

    return truthy


# ---------------------------------------------------------------------------------------
# Compilation to numpy functions (many subjects)
# ---------------------------------------------------------------------------------------

_ABSENT: Final = object()


class _RowsOf:
    """A dotted field read row by row from a column of objects (``contact`` -> ``email``)."""

    __slots__ = ("path", "values")

    def __init__(self, values: Any, path: tuple[str, ...]) -> None:
        self.values = values
        self.path = path


class _Col:
    """One resolved column: its kind, its values and (lazily) its not-set mask."""

    __slots__ = ("_objects", "_set", "_unset", "kind", "n", "values")

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
        self._unset: BoolArray | None = None
        self._set: BoolArray | None = None
        self._objects: npt.NDArray[Any] | None = values if kind == "obj" else None

    def unset(self) -> BoolArray:
        """Mask of rows that are not set (cached; do not modify)."""
        if self._unset is None:
            kind, values = self.kind, self.values
            if kind == "num":
                if values.dtype.kind == "f":
                    self._unset = np.isnan(values)
                else:
                    self._unset = np.zeros(self.n, dtype=bool)
            elif kind == "str":
                self._unset = np.zeros(self.n, dtype=bool)
            elif kind in "Mm":
                self._unset = np.isnat(values)
            else:
                self._unset = _map_bool(_unset, values)
        return self._unset

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
    """``np.asarray(raw)``, except that a list of lists becomes a column of lists."""
    if isinstance(raw, np.ndarray):
        return raw
    try:
        arr = np.asarray(raw)
    except ValueError:  # ragged, e.g. [["vip"], None]
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
        value = _get_path(row, path)
        return None if value is MISSING else value

    return np.asarray(np.frompyfunc(read, 1, 1)(rows), dtype=object)


class _Env:
    """The columns a vectorised evaluation reads, resolved once."""

    __slots__ = ("cols", "n")

    def __init__(self, n: int, cols: dict[str, _Col | None]) -> None:
        self.n = n
        self.cols = cols

    @classmethod
    def build(cls, columns: Any, fields: frozenset[str], n: int | None) -> _Env:
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


_VecFn: TypeAlias = Callable[[_Env], BoolArray]


def _vec_constant(value: bool) -> _VecFn:
    return lambda env: env.full(value)


def _vectorize(node: _Node) -> _VecFn:
    """Compile ``node`` to a function of an :class:`_Env` returning a fresh bool array."""
    if isinstance(node, _Cmp):
        return _vec_cmp(node)
    if isinstance(node, _In):
        return _vec_in(node)
    if isinstance(node, _IsSet):
        return _vec_is_set(node)
    if isinstance(node, _Truthy):
        name = node.field.name
        return lambda env: _col_truthy(env.cols[name], env)
    if isinstance(node, _Not):
        inner = _vectorize(node.inner)

        def negate(env: _Env) -> BoolArray:
            result = inner(env)
            return np.logical_not(result, out=result)

        return negate
    parts = tuple(_vectorize(item) for item in node.items)
    combine = np.logical_and if isinstance(node, _And) else np.logical_or

    def combined(env: _Env) -> BoolArray:
        result = parts[0](env)
        for part in parts[1:]:
            combine(result, part(env), out=result)
        return result

    return combined


def _vec_cmp(node: _Cmp) -> _VecFn:
    op, left, right = node.op, node.left, node.right
    if isinstance(left, _Lit) and isinstance(right, _Lit):
        return _vec_constant(_COMPARE[op](left.value, right.value))
    if isinstance(left, _Lit):
        op, left, right = _FLIPPED[op], right, left
    assert isinstance(left, _Field)
    name = left.name
    if isinstance(right, _Field):
        other = right.name
        return lambda env: _col_cmp_col(env.cols[name], op, env.cols[other], env)
    lit = right.value
    return lambda env: _col_cmp_lit(env.cols[name], op, lit, env)


def _incompatible(col: _Col, op: str, env: _Env) -> BoolArray:
    """Result of comparing a column with values of another kind: only '!=' holds."""
    if op == "!=":
        return col.set().copy()
    return env.zeros()


def _int_out_of_range(values: npt.NDArray[Any], op: str, lit: int, env: _Env) -> BoolArray | None:
    """Exact results for an int literal outside an int column's dtype (numpy 1.x safety)."""
    info = np.iinfo(values.dtype)
    if info.min <= lit <= info.max:
        return None
    above = lit > info.max  # every value is below the literal
    holds = {"==": False, "!=": True, "<": above, "<=": above, ">": not above, ">=": not above}
    return env.full(holds[op])


def _col_cmp_lit(col: _Col | None, op: str, lit: object, env: _Env) -> BoolArray:
    if col is None:
        return env.zeros()
    if col.kind == "obj":
        compare = _COMPARE[op]
        return _map_bool(lambda v: compare(v, lit), col.values)
    kind = _kind(lit)
    if not ((col.kind == "num" and kind == _NUM) or (col.kind == "str" and kind == _STR)):
        return _incompatible(col, op, env)
    values = col.values
    if type(lit) is int and values.dtype.kind in "iu":
        exact = _int_out_of_range(values, op, lit, env)
        if exact is not None:
            return exact
    with np.errstate(invalid="ignore"):
        result = np.asarray(_PYOPS[op](values, lit), dtype=bool)
    if op == "!=" and col.may_be_unset():
        np.logical_and(result, col.set(), out=result)
    return result


def _col_cmp_col(a: _Col | None, op: str, b: _Col | None, env: _Env) -> BoolArray:
    if a is None or b is None:
        return env.zeros()
    if a.kind == "obj" or b.kind == "obj":
        return _map_bool2(_COMPARE[op], a.objects(), b.objects())
    if a.kind != b.kind:
        if op == "!=":
            return np.logical_and(a.set(), b.set())
        return env.zeros()
    with np.errstate(invalid="ignore"):
        result = np.asarray(_PYOPS[op](a.values, b.values), dtype=bool)
    if op == "!=" and (a.may_be_unset() or b.may_be_unset()):
        np.logical_and(result, a.set(), out=result)
        np.logical_and(result, b.set(), out=result)
    return result


def _vec_is_set(node: _IsSet) -> _VecFn:
    operand, negated = node.operand, node.negated
    if isinstance(operand, _Lit):
        return _vec_constant(not negated)
    name = operand.name

    def is_set(env: _Env) -> BoolArray:
        col = env.cols[name]
        if col is None:
            return env.full(negated)
        return (col.unset() if negated else col.set()).copy()

    return is_set


def _col_truthy(col: _Col | None, env: _Env) -> BoolArray:
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
    return _map_bool(_truthy, values)


def _vec_in(node: _In) -> _VecFn:
    left, right, negated = node.left, node.right, node.negated
    if isinstance(left, _Lit) and isinstance(right, _Lit):
        return _vec_constant(_in_scalar(left.value, right.value, negated))
    if isinstance(left, _Field) and isinstance(right, _Field):
        a, b = left.name, right.name
        member = _not_in_values if negated else _in_values

        def field_in_field(env: _Env) -> BoolArray:
            ca, cb = env.cols[a], env.cols[b]
            if ca is None or cb is None:
                return env.zeros()
            return _map_bool2(member, ca.objects(), cb.objects())

        return field_in_field
    if isinstance(left, _Field):
        assert isinstance(right, _Lit)
        name, container = left.name, right.value
        return lambda env: _col_in_lit(env.cols[name], container, negated, env)
    assert isinstance(right, _Field)
    item, cname = left.value, right.name
    return lambda env: _lit_in_col(item, env.cols[cname], negated, env)


def _finish_in(found: BoolArray, col: _Col, negated: bool) -> BoolArray:
    if negated:
        np.logical_not(found, out=found)
        if col.may_be_unset():
            np.logical_and(found, col.set(), out=found)
    return found


def _col_in_lit(col: _Col | None, container: object, negated: bool, env: _Env) -> BoolArray:
    """``column in literal`` where the literal is a list, a string or a number."""
    if col is None:
        return env.zeros()
    if col.kind == "obj":
        return _map_bool(lambda v: _in_scalar(v, container, negated), col.values)
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
        else:
            table = np.asarray(wanted)
            if table.dtype.kind == "O":  # ints beyond int64: compare exactly, row by row
                members = frozenset(container)
                found = _map_bool(lambda v: _in_literals(v, members), col.objects())
                found &= col.set()
            else:
                found = np.isin(values, table)
    elif isinstance(container, str) and col.kind == "str":
        found = np.asarray(np.char.find(np.asarray(container), values) >= 0, dtype=bool)
    else:
        found = env.zeros()
    return _finish_in(found, col, negated)


def _lit_in_col(item: object, col: _Col | None, negated: bool, env: _Env) -> BoolArray:
    """``literal in column`` where the column holds strings or containers."""
    if col is None:
        return env.zeros()
    if col.kind == "obj":
        return _map_bool(lambda c: _in_scalar(item, c, negated), col.values)
    if col.kind == "str" and isinstance(item, str):
        found = np.asarray(np.char.find(col.values, item) >= 0, dtype=bool)
    else:
        found = env.zeros()
    return _finish_in(found, col, negated)


# ---------------------------------------------------------------------------------------
# Public (package-level) classes
# ---------------------------------------------------------------------------------------


@attrs.frozen(repr=False)
class Check:
    """One named check of a :class:`Rule`: a top-level ``and`` conjunct.

    Parameters
    ----------
    text : str
        The conjunct's source text, stripped (parentheses of a parenthesised
        conjunct are kept).

    Examples
    --------
    >>> rule = parse_rule("budget >= 10 and (owner is set or team is set)")
    >>> [check.text for check in rule.checks]
    ['budget >= 10', '(owner is set or team is set)']
    >>> rule.checks[1].test({"team": "emea"})
    True
    """

    text: str
    _fn: _Pred = attrs.field(eq=False, alias="fn")
    _vec: _VecFn = attrs.field(eq=False, alias="vec")

    def test(self, subject: object) -> bool:
        """Whether ``subject`` (a mapping or any object) passes this check."""
        return self._fn(subject)

    def test_many(self, columns: Mapping[str, Any], n: int) -> BoolArray:
        """Evaluate the check on ``n`` subjects stored as columns.

        Parameters
        ----------
        columns : Mapping[str, array-like]
            Field name -> column of ``n`` values (see :meth:`Rule.evaluate_many`).
        n : int
            Number of rows; every column that is present must have this length.

        Returns
        -------
        numpy.ndarray
            Boolean array of length ``n``.

        Examples
        --------
        >>> check = parse_rule("budget >= 10").checks[0]
        >>> check.test_many({"budget": [5, 10, float("nan")]}, 3)
        array([False,  True, False])
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InvalidParameterError(
                f"n must be a non-negative int, got {n!r}", parameter="n", value=n
            )
        env = _Env.build(columns, _fields_of_text(self.text), int(n))
        return self._vec(env)

    def __repr__(self) -> str:
        return f"Check({self.text!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_check_from_text, (self.text,))


def _fields_of_text(text: str) -> frozenset[str]:
    return parse_rule(text).fields


def _check_from_text(text: str) -> Check:
    return parse_rule(text).checks[0]


@attrs.frozen(repr=False)
class Rule:
    """A parsed, compiled rule; build one with :func:`parse_rule`.

    Attributes
    ----------
    text : str
        The original rule text.
    checks : tuple of Check
        The top-level ``and`` conjuncts, in order (one check when there is no
        top-level ``and``).
    fields : frozenset of str
        The dotted field names the rule reads, such as ``"contact.email"``.

    Examples
    --------
    >>> rule = parse_rule("budget >= 10 and owner is set")
    >>> rule.test({"budget": 12, "owner": "ann"})
    True
    >>> rule.failed({"budget": 12})
    ('owner is set',)
    >>> sorted(rule.fields)
    ['budget', 'owner']
    """

    text: str
    checks: tuple[Check, ...]
    fields: frozenset[str]
    _fns: tuple[_Pred, ...] = attrs.field(eq=False, alias="fns")
    _all: _Pred = attrs.field(eq=False, alias="all")
    _named: tuple[tuple[str, _Pred], ...] = attrs.field(eq=False, init=False)

    def __attrs_post_init__(self) -> None:
        named = tuple((c.text, fn) for c, fn in zip(self.checks, self._fns, strict=True))
        object.__setattr__(self, "_named", named)

    def test(self, subject: object) -> bool:
        """Whether ``subject`` passes every check.

        ``subject`` is a mapping (read with ``subject[key]``) or any object (read with
        ``getattr``); dotted fields walk nested mappings and objects.
        """
        return self._all(subject)

    def failed(self, subject: object) -> tuple[str, ...]:
        """Texts of the checks ``subject`` fails, in rule order (empty when it passes).

        Examples
        --------
        >>> parse_rule("a > 1 and b > 1 and c > 1").failed({"a": 2, "b": 0})
        ('b > 1', 'c > 1')
        """
        if self._all(subject):
            return ()
        failed = []
        for text, fn in self._named:
            if not fn(subject):
                failed.append(text)
        return tuple(failed)

    def evaluate_many(self, columns: Mapping[str, Any]) -> tuple[BoolArray, dict[str, BoolArray]]:
        """Evaluate the rule on many subjects stored as columns, with numpy.

        Parameters
        ----------
        columns : Mapping[str, array-like]
            Field name -> column (numpy array, list, pandas Series, ...), all of one
            length.  A dotted field is looked up under its full name
            (``"contact.email"``) first, then through nested mappings
            (``columns["contact"]["email"]``).  A value is not set when it is NaN (float
            columns), NaT (datetime columns) or None (object columns); a column that
            is absent is not set on every row.

        Returns
        -------
        passed : numpy.ndarray
            Boolean array: the rows that pass every check.
        per_check : dict of str to numpy.ndarray
            Each check's text -> its boolean array.

        Raises
        ------
        InvalidParameterError
            If the columns have different lengths or are not one-dimensional.

        Examples
        --------
        >>> rule = parse_rule("budget >= 10 and stage in ['demo', 'won']")
        >>> passed, per_check = rule.evaluate_many(
        ...     {"budget": [5.0, 20.0, 30.0], "stage": ["won", "demo", "lost"]})
        >>> passed
        array([False,  True, False])
        >>> per_check["stage in ['demo', 'won']"]
        array([ True,  True, False])
        """
        env = _Env.build(columns, self.fields, None)
        per_check: dict[str, BoolArray] = {}
        passed: BoolArray | None = None
        for check in self.checks:
            result = check._vec(env)
            per_check[check.text] = result
            if passed is None:
                passed = result.copy()
            else:
                np.logical_and(passed, result, out=passed)
        assert passed is not None
        return passed, per_check

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (parse_rule, (self.text,))


def parse_rule(text: str) -> Rule:
    """Parse and compile a rule (results are cached by text).

    Parameters
    ----------
    text : str
        The rule, for example ``"budget >= 10000 and decision_maker is set"``.

    Returns
    -------
    Rule

    Raises
    ------
    RuleSyntaxError
        If ``text`` does not follow the rule grammar; ``position`` is the offset
        of the problem.
    InvalidParameterError
        If ``text`` is not a string.

    Examples
    --------
    >>> parse_rule("budget >= 10 and owner is set").test({"budget": 12, "owner": "ann"})
    True
    >>> parse_rule("stage in ['demo', 'won'] or not budget_confirmed").test({"stage": "lost"})
    True
    >>> parse_rule("budget >= ")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.RuleSyntaxError: expected a value after '>=', found end of rule ...
    ...
    """
    if not isinstance(text, str):
        raise InvalidParameterError(
            f"a rule must be a str, got {type(text).__name__}", parameter="text", value=text
        )
    return _parse_cached(str(text))


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Rule:
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(
            f"rule is longer than {MAX_RULE_LENGTH} characters", text, MAX_RULE_LENGTH
        )
    conjuncts = _Parser(text).parse()
    checks: list[Check] = []
    fns: list[_Pred] = []
    names: set[str] = set()
    for node, start, end in conjuncts:
        fn = _compile(node)
        checks.append(Check(text[start:end], fn=fn, vec=_vectorize(node)))
        fns.append(fn)
        _fields_of(node, names)
    all_fns = tuple(fns)
    return Rule(
        text,
        tuple(checks),
        frozenset(names),
        fns=all_fns,
        all=_all_of(all_fns),
    )
