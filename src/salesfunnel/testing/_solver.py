"""Find subjects that pass (or fail) gates, from the structure of their rules.

A gate is turned into a boolean tree over *atoms* (comparisons, ``in``, ``is set``,
truthy fields; callables are opaque atoms). To make the tree come out ``True`` or
``False`` we choose, top down, which children must hold (``and`` needs all of them,
``or`` one, ``not`` flips the goal): that leaves a conjunction of atoms, each with the
truth value it must take. Every atom compares one field with constants, so the
constants split the field's values into finitely many regions on which the atom is
constant; a pool of candidates with one value per region (the constants, their
neighbours, midpoints, missing, ``None``, ...) is filtered with the rule engine's own
compiled atoms, and a survivor is drawn. The finished subject is verified against the
real gates, so the search never has to be complete, only correct.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

from salesfunnel.model._gate import Gate
from salesfunnel.model.rules.api import (
    MISSING,
    And,
    Cmp,
    Field,
    In,
    Lit,
    Not,
    Or,
    compile_scalar,
    fields_of,
    join,
    parse,
)

__all__ = ["Goal", "solve", "tree_of"]

Node = Any  # a node of the rule syntax tree (salesfunnel.model.rules.api), or _Opaque
Draw = Callable[..., Any]

#: How many times a goal is attempted with fresh choices before the example is rejected.
ATTEMPTS = 6

_BOOLS = st.booleans()
_NOISE_INTS = st.integers(-1000, 1000)
_NOISE_TEXT = st.text(alphabet="abcxyz", max_size=3)


@functools.lru_cache(maxsize=256)
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    """``st.integers(lo, hi)``, built once per bounds (building strategies is slow).

    Shared by every strategy module of ``salesfunnel.testing``.
    """
    return st.integers(lo, hi)


def _index(n: int) -> st.SearchStrategy[int]:
    """``st.integers(0, n - 1)``: an index into ``n`` options."""
    return _ints(0, n - 1)


@attrs.frozen
class _Opaque:
    """A gate built from a Python callable: no structure to reason about."""

    gate: Gate


@attrs.frozen
class _Const:
    """A constant truth value (an empty conjunction, or a literal-only atom)."""

    value: bool


@functools.lru_cache(maxsize=2048)
def _rule_tree(text: str) -> Node:
    return join(And, [node for node, _, _ in parse(text)])


def tree_of(gates: Gate | Iterable[Gate]) -> Node:
    """The boolean tree of one gate, or of the conjunction of several."""
    if isinstance(gates, Gate):
        gate = gates
        kind = gate._kind
        if kind == "rule":
            assert gate.rule is not None
            return _rule_tree(gate.rule)
        if kind == "callable":
            return _Opaque(gate)
        children = tuple(tree_of(c) for c in gate._children)
        if kind == "all":
            return And(children)
        if kind == "any":
            return Or(children)
        return Not(children[0])
    items = tuple(tree_of(g) for g in gates)
    if not items:
        return _Const(True)
    return items[0] if len(items) == 1 else And(items)


@attrs.frozen
class Goal:
    """Trees that must come out ``True`` (``holds``) and ``False`` (``fails``)."""

    holds: tuple[Node, ...] = ()
    fails: tuple[Node, ...] = ()
    check: Callable[[dict[str, Any]], bool] = attrs.field(default=lambda s: True, eq=False)


# -- choosing which atoms must hold ------------------------------------------------------


def _choose(node: Node, want: bool, draw: Draw, out: list[tuple[Node, bool]]) -> None:
    """Append the atoms that must take a truth value for ``node`` to be ``want``."""
    if isinstance(node, Not):
        _choose(node.inner, not want, draw, out)
    elif isinstance(node, And | Or):
        every = want if isinstance(node, And) else not want
        if every:
            for item in node.items:
                _choose(item, want, draw, out)
        else:
            i = draw(_index(len(node.items)))
            _choose(node.items[i], want, draw, out)
    else:
        out.append((node, want))


# -- candidate values -----------------------------------------------------------------------


def _atoms(node: Node) -> Iterable[Node]:
    if isinstance(node, Not):
        yield from _atoms(node.inner)
    elif isinstance(node, And | Or):
        for item in node.items:
            yield from _atoms(item)
    else:
        yield node


def _fields(atom: Node) -> set[str]:
    if isinstance(atom, _Opaque | _Const):
        return set()
    out: set[str] = set()
    fields_of(atom, out)
    return out


_DEFAULTS: tuple[Any, ...] = (MISSING, None, 0, 1, -1, True, False, "", "x", [])


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number_candidates(values: Sequence[float]) -> list[Any]:
    """One number in every region the constants cut the real line into."""
    finite = sorted({v for v in values if math.isfinite(v)})
    if not finite:
        return []
    out: list[Any] = [finite[0] - 1, finite[-1] + 1]
    for a, b in itertools.pairwise(finite):
        if isinstance(a, int) and isinstance(b, int) and b - a > 1:
            out.append(a + 1)
        else:
            out.append((a + b) / 2)
    for v in finite:
        out.extend((v, v - 1, v + 1))
    return out


def _string_candidates(values: Sequence[str]) -> list[Any]:
    out: list[Any] = []
    for s in sorted(set(values)):
        out.extend((s, s + "a", s[:-1], "a" + s, s + " "))
    return out


def _constants(atom: Node, field: str) -> list[Any]:
    """Literal values that ``atom`` compares ``field`` with, and containers it needs."""
    out: list[Any] = []
    if isinstance(atom, Cmp):
        for mine, other in ((atom.left, atom.right), (atom.right, atom.left)):
            if isinstance(mine, Field) and mine.name == field and isinstance(other, Lit):
                value = other.value
                out.append(list(value) if isinstance(value, tuple) else value)
    elif isinstance(atom, In):
        left, right = atom.left, atom.right
        if isinstance(left, Field) and left.name == field and isinstance(right, Lit):
            container = right.value
            if isinstance(container, tuple):
                out.extend(container)
            elif isinstance(container, str):
                out.extend((container, container[:1], container[1:], container + "!"))
        if isinstance(right, Field) and right.name == field and isinstance(left, Lit):
            item = left.value
            out.append([item])
            if isinstance(item, str):
                out.extend((item, f"<{item}>"))
    return out


def _pool(field: str, atoms: Iterable[Node], extra: Sequence[Any]) -> list[Any]:
    raw: list[Any] = []
    for atom in atoms:
        raw.extend(_constants(atom, field))
    raw.extend(extra)
    numbers = [v for v in raw if _is_number(v)]
    strings = [v for v in raw if isinstance(v, str)]
    out: list[Any] = [*_DEFAULTS, *raw, *_number_candidates(numbers), *_string_candidates(strings)]
    unique: list[Any] = []
    seen: set[tuple[type, Any]] = set()
    for v in out:
        key = (type(v), repr(v))
        if key not in seen:
            seen.add(key)
            unique.append(v)
    return unique


# -- evaluation -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _predicate(atom: Node) -> Callable[[object], bool]:
    return compile_scalar(atom)


def _holds(atom: Node, subject: dict[str, Any]) -> bool:
    if isinstance(atom, _Const):
        return atom.value
    if isinstance(atom, _Opaque):
        try:
            return atom.gate(subject)
        except Exception:
            return False
    return _predicate(atom)(subject)


def put(subject: dict[str, Any], field: str, value: Any) -> None:
    """Set a dotted ``field`` in a nested dict (``MISSING`` removes it)."""
    *parents, last = field.split(".")
    target = subject
    for name in parents:
        child = target.get(name)
        if not isinstance(child, dict):
            if value is MISSING:
                return
            child = {}
            target[name] = child
        target = child
    if value is MISSING:
        target.pop(last, None)
    else:
        target[last] = value


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


# -- the search -----------------------------------------------------------------------------


def _attempt(
    draw: Draw, goal: Goal, fields: Sequence[str], atoms_by_field: Mapping[str, list[Node]],
    noise: Sequence[Any],
) -> dict[str, Any] | None:
    literals: list[tuple[Node, bool]] = []
    for node in goal.holds:
        _choose(node, True, draw, literals)
    for node in goal.fails:
        _choose(node, False, draw, literals)
    pending = []
    for atom, want in literals:
        if not _fields(atom):
            if not isinstance(atom, _Opaque) and _holds(atom, {}) != want:
                return None
            continue
        pending.append((atom, want))
    subject: dict[str, Any] = {}
    assigned: set[str] = set()
    for field in fields:
        mine = [(a, w) for a, w in pending if field in _fields(a)]
        ready = [(a, w) for a, w in mine if _fields(a) <= assigned | {field}]
        linked = [f for a, _ in mine for f in _fields(a) if f in assigned]
        extra = list(noise)
        for other in linked:
            value = _get(subject, other)
            extra.append(value)
            if _is_number(value):
                extra.extend((value - 1, value + 1))
        candidates = _pool(field, atoms_by_field.get(field, ()), extra)
        fits = []
        for value in candidates:
            trial = _copy(subject)
            put(trial, field, _copy(value))
            if all(_holds(a, trial) == w for a, w in ready):
                fits.append(value)
        if not fits:
            return None
        put(subject, field, _copy(fits[draw(_index(len(fits)))]))
        assigned.add(field)
    if not all(_holds(a, subject) == w for a, w in pending if not isinstance(a, _Opaque)):
        return None
    return subject


def _get(subject: Mapping[str, Any], field: str) -> Any:
    value: Any = subject
    for name in field.split("."):
        if not isinstance(value, Mapping) or name not in value:
            return MISSING
        value = value[name]
    return value


def solve(draw: Draw, goal: Goal, *, attempts: int = ATTEMPTS) -> dict[str, Any] | None:
    """Draw a subject meeting ``goal``, or ``None`` when no attempt succeeded.

    ``draw`` is the draw function of a :func:`hypothesis.strategies.composite`.
    """
    nodes = (*goal.holds, *goal.fails)
    atoms_by_field: dict[str, list[Node]] = {}
    for node in nodes:
        for atom in _atoms(node):
            for field in _fields(atom):
                atoms_by_field.setdefault(field, []).append(atom)
    fields = sorted(atoms_by_field, key=lambda f: (f.count("."), f))
    noise = (draw(_NOISE_INTS), draw(_NOISE_TEXT))
    for _ in range(attempts):
        subject = _attempt(draw, goal, fields, atoms_by_field, noise)
        if subject is not None and goal.check(subject):
            return subject
    return None


def arbitrary(draw: Draw, nodes: Sequence[Node]) -> dict[str, Any]:
    """A subject with a value for every field the trees read, with no goal.

    Each distinct tree is meant to pass or fail at random (one attempt), so gates are
    met about as often as not; when that attempt fails, values are drawn freely.
    """
    atoms_by_field: dict[str, list[Node]] = {}
    distinct: list[Node] = []
    for node in nodes:
        if node in distinct:
            continue
        distinct.append(node)
        for atom in _atoms(node):
            for field in _fields(atom):
                atoms_by_field.setdefault(field, []).append(atom)
    noise = (draw(_NOISE_INTS),)
    fields = sorted(atoms_by_field, key=lambda f: (f.count("."), f))
    wants = [draw(_BOOLS) for _ in distinct]
    goal = Goal(holds=tuple(n for n, w in zip(distinct, wants, strict=True) if w),
                fails=tuple(n for n, w in zip(distinct, wants, strict=True) if not w))
    aimed = _attempt(draw, goal, fields, atoms_by_field, noise)
    if aimed is not None:
        return aimed
    subject: dict[str, Any] = {}
    for field in sorted(atoms_by_field, key=lambda f: (f.count("."), f)):
        pool = _pool(field, atoms_by_field[field], noise)
        put(subject, field, _copy(pool[draw(_index(len(pool)))]))
    return subject
