"""Tokenizer of the rule language: text to tokens, read lazily one at a time."""

from __future__ import annotations

import re
from typing import Any, Final, NamedTuple

from salesfunnel.errors import RuleSyntaxError

__all__ = ["KEYWORDS", "Token", "lex"]

KEYWORDS: Final = frozenset({"and", "or", "not", "in", "is", "set", "true", "false"})
"""Reserved words; none of them can be a field name."""


class Token(NamedTuple):
    """One token: its kind, its value (a number, a str, a name's parts, ...) and span."""

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


def lex(text: str, pos: int) -> Token:
    """Read the token that starts at or after ``pos`` (lazily, so errors come in order)."""
    n = len(text)
    while pos < n and text[pos] in _WHITESPACE:
        pos += 1
    if pos >= n:
        return Token("eof", None, n, n)
    ch = text[pos]
    if ch in "()[],":
        return Token(ch, ch, pos, pos + 1)
    if ch in "=!<>":
        two = text[pos : pos + 2]
        if two in ("==", "!=", "<=", ">="):
            return Token("op", two, pos, pos + 2)
        if ch in "<>":
            return Token("op", ch, pos, pos + 1)
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


def _lex_string(text: str, pos: int) -> Token:
    quote = text[pos]
    parts: list[str] = []
    i = pos + 1
    stop = text.find(quote, i)
    while stop >= 0:
        slash = text.find("\\", i, stop)
        if slash < 0:
            parts.append(text[i:stop])
            return Token("str", "".join(parts), pos, stop + 1)
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


def _lex_number(text: str, pos: int) -> Token:
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
    return Token("num", value, pos, end)


def _lex_name(text: str, pos: int) -> Token:
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
        return Token("kw", parts[0], pos, i)
    for part, start in zip(parts, starts, strict=True):
        if part in KEYWORDS:
            raise RuleSyntaxError(f"keyword {part!r} cannot be part of a field name", text, start)
    return Token("name", tuple(parts), pos, i)


