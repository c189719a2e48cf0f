"""Hypothesis strategies for salesfunnel's model: rules, gates, stages, funnels, subjects,
journeys and event logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from salesfunnel.errors import GateError
from salesfunnel.model import Funnel, Gate, Journey, Stage, StageKind, Transition
from salesfunnel.model._rules import MISSING, parse_rule
from salesfunnel.testing import _solver
from salesfunnel.testing._validation import (
    check_bool,
    check_fields,
    check_funnel,
    check_int,
    check_optional_bool,
    check_stage_of,
)

__all__ = [
    "DEFAULT_FIELDS",
    "any_journeys",
    "funnels",
    "gate_subjects",
    "gates",
    "journeys",
    "rules",
    "stage_names",
    "stages",
    "subjects",
]

DEFAULT_FIELDS: tuple[str, ...] = (
    "budget",
    "score",
    "employees",
    "discount",
    "region",
    "industry",
    "owner",
    "decision_maker",
    "signed",
    "source",
    "tags",
    "contact.email",
    "company.size",
)
"""Field names rules read when no ``fields=`` is given (two of them dotted)."""

_STAGE_WORDS = (
    "lead", "prospect", "contacted", "qualified", "discovery", "demo", "proposal",
    "negotiation", "contract", "awareness", "interest", "desire", "action", "consider",
    "evaluate", "buy", "enjoy", "advocate", "bond", "won", "lost", "closed-won", "closed_lost",
    "mql", "sql", "stage-2", "tofu", "mofu", "bofu",
)
_ROLES = ("SDR", "AE", "account manager", "sales engineer", "CSM", "marketing", "销售经理")
_ACTIONS = ("call", "send proposal", "book demo", "visit", "follow up", "发送报价")
_ZH_TEXT = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1,
                   max_size=6)
_EN_TEXT = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "Zs", "Pd", "Po")), min_size=1,
    max_size=20,
)
_ZONES = (UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30)))
_LOSS_REASONS = ("no budget", "went with a competitor", "no decision", "timing", "未响应")


# -- small building blocks ----------------------------------------------------------------


def stage_names() -> st.SearchStrategy[str]:
    """Stage and funnel names: slugs such as ``"qualified"`` or ``"stage-2"``.

    Returns
    -------
    SearchStrategy[str]
        Lowercase letters, digits, ``-`` and ``_``, starting with a letter or digit.

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel.model._stage import SLUG
    >>> @given(stage_names())
    ... def test(name):
    ...     assert SLUG.match(name)
    >>> test()
    """
    return st.one_of(
        st.sampled_from(_STAGE_WORDS),
        st.from_regex(r"[a-z0-9][a-z0-9_-]{0,11}", fullmatch=True),
    )


def _labels() -> st.SearchStrategy[Any]:
    """``None``, English text, or ``{"en": ..., "zh": ...}``."""
    return st.one_of(
        st.none(),
        _EN_TEXT,
        st.fixed_dictionaries({"en": _EN_TEXT}, optional={"zh": _ZH_TEXT}),
    )


def _literal(value: Any) -> str:
    """Rule-language source text for a literal value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        quote = "'" if "'" not in value or '"' in value else '"'
        escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
        return f"{quote}{escaped}{quote}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    raise TypeError(f"no literal for {value!r}")  # pragma: no cover - internal


_WORDS = st.text(st.sampled_from("abcdefxyz"), max_size=4) | st.sampled_from(
    ("emea", "apac", "saas", "retail", "partner", "web", "华东", "it's", 'say "hi"', "a\\b")
)
_NUMBERS = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-(10**9), 10**9),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2)),
)
_SCALARS = st.one_of(_NUMBERS, _WORDS, st.booleans())


def _values() -> st.SearchStrategy[Any]:
    """Values a subject's field may hold (``MISSING`` leaves the field out)."""
    return st.one_of(
        st.just(MISSING),
        st.none(),
        _SCALARS,
        st.lists(_WORDS, max_size=3),
    )


def _near(value: Any) -> st.SearchStrategy[Any]:
    """Literals close to ``value``, so rules about it can go either way."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int | float):
        return st.one_of(
            st.just(value),
            st.integers(-5, 5).map(lambda d: value + d),
            _NUMBERS,
        )
    if isinstance(value, str):
        return st.one_of(st.just(value), _WORDS, st.just(value + "x"))
    if isinstance(value, list) and value:
        return st.one_of(st.sampled_from(value), _SCALARS)
    return _SCALARS


@st.composite
def _atom(draw: st.DrawFn, field: str, fields: Sequence[str], near: Any) -> str:
    """One comparison, ``in``, ``is set`` or truthy test reading ``field``."""
    lit = _near(near)
    form = draw(
        st.sampled_from(
            ("cmp", "cmp", "cmp", "cmp_rev", "cmp_field", "in", "not_in", "in_str", "contains",
             "is_set", "is_not_set", "truthy")
        )
    )
    op = draw(st.sampled_from(("==", "!=", "<", "<=", ">", ">=")))
    if form == "cmp":
        return f"{field} {op} {_literal(draw(lit))}"
    if form == "cmp_rev":
        return f"{_literal(draw(lit))} {op} {field}"
    if form == "cmp_field":
        others = [f for f in fields if f != field] or [field]
        return f"{field} {op} {draw(st.sampled_from(others))}"
    if form in ("in", "not_in"):
        members = draw(st.lists(lit, min_size=0, max_size=3))
        word = "in" if form == "in" else "not in"
        return f"{field} {word} {_literal(members)}"
    if form == "in_str":
        return f"{field} in {_literal(draw(_WORDS))}"
    if form == "contains":
        item = draw(st.sampled_from(near)) if isinstance(near, list) and near else draw(_WORDS)
        return f"{_literal(item)} in {field}"
    if form == "is_set":
        return f"{field} is set"
    if form == "is_not_set":
        return f"{field} is not set"
    return field


def _true_on(text: str, witness: Mapping[str, Any]) -> bool:
    return parse_rule(text).test(witness)


def _get(witness: Mapping[str, Any] | None, field: str) -> Any:
    if witness is None:
        return MISSING
    return _solver._get(witness, field)


@st.composite
def _leaf(
    draw: st.DrawFn, fields: Sequence[str], witness: Mapping[str, Any] | None,
    want: bool | None,
) -> str:
    field = draw(st.sampled_from(fields))
    near = _get(witness, field)
    if want is None or witness is None:
        return draw(_atom(field, fields, near))
    for _ in range(4):
        text = draw(_atom(field, fields, near))
        if _true_on(text, witness) == want:
            return text
    # 'is set' / 'is not set' always settle it one way or the other.
    is_set = _true_on(f"{field} is set", witness)
    return f"{field} is set" if is_set == want else f"{field} is not set"


# Precedence of the rendered expression: 0 or, 1 and, 2 not / atom.
@st.composite
def _expr(
    draw: st.DrawFn, leaves: int, fields: Sequence[str], witness: Mapping[str, Any] | None,
    want: bool | None,
) -> tuple[str, int]:
    if leaves == 1:
        if draw(st.integers(0, 4)) == 0:
            inner = draw(_leaf(fields, witness, None if want is None else not want))
            return f"not {inner}", 2
        return draw(_leaf(fields, witness, want)), 2
    if draw(st.integers(0, 5)) == 0:
        inner, prec = draw(_expr(leaves, fields, witness, None if want is None else not want))
        return (f"not ({inner})" if prec < 2 else f"not {inner}"), 2
    left_n = draw(st.integers(1, leaves - 1))
    op = draw(st.sampled_from(("and", "or")))
    wants: tuple[bool | None, bool | None]
    if want is None:
        wants = (None, None)
    elif (op == "and") == want:  # and-True / or-False: both sides take the goal
        wants = (want, want)
    else:  # and-False / or-True: one side settles it
        first = draw(st.booleans())
        wants = (want, None) if first else (None, want)
    left, lp = draw(_expr(left_n, fields, witness, wants[0]))
    right, rp = draw(_expr(leaves - left_n, fields, witness, wants[1]))
    need = 1 if op == "and" else 0
    parts = []
    for text, prec in ((left, lp), (right, rp)):
        if prec < need or (prec < 2 and draw(st.integers(0, 3)) == 0):
            text = f"({text})"
        parts.append(text)
    return f"{parts[0]} {op} {parts[1]}", (1 if op == "and" else 0)


def _check_witness(value: Any) -> Mapping[str, Any] | None:
    if value is not None and not isinstance(value, Mapping):
        raise InvalidArgument(
            f"satisfied_by={value!r} must be a mapping (a subject) or None"
        )
    return value


def rules(
    *,
    fields: Sequence[str] | None = None,
    max_leaves: int = 4,
    satisfied_by: Mapping[str, Any] | None = None,
) -> st.SearchStrategy[str]:
    """Rule strings in the gate rule language, covering all of its grammar.

    Comparisons (``== != < <= > >=``, literal on either side, field against field),
    ``in`` / ``not in`` a list or a string, ``is set`` / ``is not set``, bare (truthy)
    fields, dotted fields, ``not``, ``and``, ``or`` and parentheses; numbers, strings
    with quotes and escapes, ``true`` and ``false``.

    Parameters
    ----------
    fields : sequence of str, optional
        Field names the rules read (dotted names allowed); defaults to
        :data:`DEFAULT_FIELDS`.
    max_leaves : int
        Most atoms (comparisons and tests) in one rule, from 1 to 32.
    satisfied_by : mapping, optional
        A subject every drawn rule must be true for.

    Returns
    -------
    SearchStrategy[str]

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If an option is out of range or of the wrong type.

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel import Gate
    >>> deal = {"budget": 12000, "owner": "ann"}
    >>> @given(rules(fields=["budget", "owner"], satisfied_by=deal))
    ... def test(rule):
    ...     assert Gate(rule)(deal)
    >>> test()
    """
    names = DEFAULT_FIELDS if fields is None else check_fields("fields", fields)
    max_leaves = check_int("max_leaves", max_leaves, min_value=1, max_value=32)
    witness = _check_witness(satisfied_by)
    want = None if witness is None else True
    return st.integers(1, max_leaves).flatmap(
        lambda n: _expr(n, names, witness, want).map(lambda pair: pair[0])
    )


@st.composite
def _rule_gate(
    draw: st.DrawFn, fields: Sequence[str], max_leaves: int,
    witness: Mapping[str, Any] | None, want: bool | None,
) -> Gate:
    leaves = draw(st.integers(1, max_leaves))
    text, _ = draw(_expr(leaves, fields, witness, want))
    name = draw(st.one_of(st.none(), st.none(), st.sampled_from(
        ("budget confirmed", "decision maker known", "qualified", "信用良好", "check-1"))))
    label = draw(_labels()) if name is not None else None
    return Gate(text, name=name, label=label)


@st.composite
def _gate(
    draw: st.DrawFn, fields: Sequence[str], max_leaves: int,
    witness: Mapping[str, Any] | None, want: bool | None, depth: int,
) -> Gate:
    if depth == 0 or draw(st.integers(0, 2)) > 0:
        return draw(_rule_gate(fields, max_leaves, witness, want))
    op = draw(st.sampled_from(("&", "|", "~")))
    if op == "~":
        return ~draw(_gate(fields, max_leaves, witness, None if want is None else not want,
                           depth - 1))
    wants: tuple[bool | None, bool | None]
    if want is None:
        wants = (None, None)
    elif (op == "&") == want:
        wants = (want, want)
    else:
        wants = (want, None) if draw(st.booleans()) else (None, want)
    a = draw(_gate(fields, max_leaves, witness, wants[0], depth - 1))
    b = draw(_gate(fields, max_leaves, witness, wants[1], depth - 1))
    return (a & b) if op == "&" else (a | b)


def gates(
    *,
    fields: Sequence[str] | None = None,
    max_leaves: int = 3,
    composite: bool | None = None,
    satisfied_by: Mapping[str, Any] | None = None,
) -> st.SearchStrategy[Gate]:
    """Rule-based :class:`~salesfunnel.Gate` objects, sometimes named and labelled.

    Every gate drawn serializes (``Gate.from_dict(g.to_dict()) == g``).

    Parameters
    ----------
    fields : sequence of str, optional
        Field names the rules read; defaults to :data:`DEFAULT_FIELDS`.
    max_leaves : int
        Most atoms per rule, from 1 to 32.
    composite : bool, optional
        ``True``: only gates combined with ``&``, ``|`` or ``~``; ``False``: only
        single rules; ``None`` (default): either.
    satisfied_by : mapping, optional
        A subject every drawn gate must pass.

    Returns
    -------
    SearchStrategy[Gate]

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If an option is out of range or of the wrong type.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(gates(fields=["budget", "region"], composite=True))
    ... def test(gate):
    ...     assert Gate.from_dict(gate.to_dict()) == gate
    >>> test()
    """
    names = DEFAULT_FIELDS if fields is None else check_fields("fields", fields)
    max_leaves = check_int("max_leaves", max_leaves, min_value=1, max_value=32)
    composite = check_optional_bool("composite", composite)
    witness = _check_witness(satisfied_by)
    want = None if witness is None else True
    if composite is False:
        return _rule_gate(names, max_leaves, witness, want)
    if composite is True:
        return _composite_gate(names, max_leaves, witness, want)
    return st.one_of(
        _rule_gate(names, max_leaves, witness, want),
        _composite_gate(names, max_leaves, witness, want),
    )


@st.composite
def _composite_gate(
    draw: st.DrawFn, fields: Sequence[str], max_leaves: int,
    witness: Mapping[str, Any] | None, want: bool | None,
) -> Gate:
    op = draw(st.sampled_from(("&", "|", "~")))
    if op == "~":
        return ~draw(_gate(fields, max_leaves, witness, None if want is None else not want, 1))
    wants: tuple[bool | None, bool | None]
    if want is None:
        wants = (None, None)
    elif (op == "&") == want:
        wants = (want, want)
    else:
        wants = (want, None) if draw(st.booleans()) else (None, want)
    a = draw(_gate(fields, max_leaves, witness, wants[0], 1))
    b = draw(_gate(fields, max_leaves, witness, wants[1], 1))
    return (a & b) if op == "&" else (a | b)


# -- stages and funnels ---------------------------------------------------------------------


def _check_kind(value: Any) -> StageKind | None:
    if value is None or isinstance(value, StageKind):
        return value
    try:
        return StageKind(str(value).lower())
    except ValueError:
        raise InvalidArgument(
            f"kind={value!r} must be None, a StageKind or one of 'open', 'won', 'lost'"
        ) from None


@st.composite
def _stage(
    draw: st.DrawFn, name: str, kind: StageKind, gate_list: Sequence[Gate],
    probability: float | None,
) -> Stage:
    return Stage(
        name,
        label=draw(_labels()),
        kind=kind,
        probability=probability,
        gates=tuple(gate_list),
        owner=draw(st.one_of(st.none(), st.sampled_from(_ROLES))),
        actions=draw(st.lists(st.sampled_from(_ACTIONS), max_size=2, unique=True)),
        description=draw(st.one_of(st.none(), _labels())),
    )


def stages(
    *,
    name: str | None = None,
    kind: StageKind | str | None = None,
    with_gates: bool | None = None,
    fields: Sequence[str] | None = None,
) -> st.SearchStrategy[Stage]:
    """Single :class:`~salesfunnel.Stage` objects with labels, owners, actions and gates.

    Parameters
    ----------
    name : str, optional
        Fix the stage name (a slug); by default names are drawn.
    kind : StageKind or {"open", "won", "lost"}, optional
        Fix the kind; by default any. Probabilities follow the kind (WON 1, LOST 0).
    with_gates : bool, optional
        ``True``: at least one gate; ``False``: none; ``None`` (default): either.
    fields : sequence of str, optional
        Field names gate rules read; defaults to :data:`DEFAULT_FIELDS`.

    Returns
    -------
    SearchStrategy[Stage]

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If an option is out of range or of the wrong type.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(stages(kind="won"))
    ... def test(stage):
    ...     assert stage.probability == 1.0 and Stage.from_dict(stage.to_dict()) == stage
    >>> test()
    """
    from salesfunnel.model._stage import SLUG

    if name is not None and (not isinstance(name, str) or not SLUG.match(name)):
        raise InvalidArgument(
            f"name={name!r} must be a slug (lowercase letters, digits, '-', '_') or None"
        )
    the_kind = _check_kind(kind)
    with_gates = check_optional_bool("with_gates", with_gates)
    names = DEFAULT_FIELDS if fields is None else check_fields("fields", fields)

    @st.composite
    def build(draw: st.DrawFn) -> Stage:
        stage_name = name if name is not None else draw(stage_names())
        k = the_kind if the_kind is not None else draw(st.sampled_from(list(StageKind)))
        n_gates = {True: (1, 2), False: (0, 0), None: (0, 2)}[with_gates]
        gate_list = draw(st.lists(gates(fields=names), min_size=n_gates[0],
                                  max_size=n_gates[1]))
        if k is StageKind.OPEN:
            probability = draw(st.one_of(st.none(), st.floats(0, 1)))
        else:
            fixed = 1.0 if k is StageKind.WON else 0.0
            probability = draw(st.sampled_from((None, fixed)))
        return draw(_stage(stage_name, k, gate_list, probability))

    return build()


@st.composite
def _witness(draw: st.DrawFn, fields: Sequence[str]) -> dict[str, Any]:
    subject: dict[str, Any] = {}
    for field in fields:
        _solver.put(subject, field, draw(_values()))
    return subject


def funnels(
    *,
    min_stages: int = 2,
    max_stages: int = 8,
    cyclic: bool | None = None,
    expanding: bool | None = None,
    with_gates: bool | None = None,
    skip_ahead: bool | None = None,
    fall_back: bool | None = None,
    transitions: bool | None = None,
    fields: Sequence[str] | None = None,
) -> st.SearchStrategy[Funnel]:
    """Valid :class:`~salesfunnel.Funnel` definitions covering every feature of the model.

    Open stages, the WON stage and up to two LOST stages; probabilities that never
    decrease along the main path (some not estimated); labels in English and sometimes
    Chinese; owners, actions, descriptions; gates on stages and on extra transitions;
    skip-ahead, fall-back, re-entry after WON (cyclic), expanding funnels and
    explicit extra transitions. Every funnel drawn is *walkable*: some subject passes
    every gate (so ``subjects(funnel, satisfying=funnel.won.name)`` always finds one).

    Parameters
    ----------
    min_stages, max_stages : int
        Bounds on the number of stages, counting the WON and LOST stages
        (2 <= min_stages <= max_stages <= 40).
    cyclic, expanding, with_gates, skip_ahead, fall_back, transitions : bool, optional
        Force a feature on (``True``) or off (``False``); ``None`` (default) draws
        either. ``transitions`` is about explicit extra transitions.
    fields : sequence of str, optional
        Field names gate rules read; defaults to :data:`DEFAULT_FIELDS`.

    Returns
    -------
    SearchStrategy[Funnel]

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If an option is out of range or of the wrong type.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(funnels(cyclic=True, max_stages=5))
    ... def test(funnel):
    ...     assert funnel.cyclic and Funnel.from_dict(funnel.to_dict()) == funnel
    >>> test()
    """
    min_stages = check_int("min_stages", min_stages, min_value=2, max_value=40)
    max_stages = check_int("max_stages", max_stages, min_value=2, max_value=40)
    if min_stages > max_stages:
        raise InvalidArgument(
            f"min_stages={min_stages} must not exceed max_stages={max_stages}"
        )
    flags = {
        name: check_optional_bool(name, value)
        for name, value in (
            ("cyclic", cyclic), ("expanding", expanding), ("with_gates", with_gates),
            ("skip_ahead", skip_ahead), ("fall_back", fall_back), ("transitions", transitions),
        )
    }
    names = DEFAULT_FIELDS if fields is None else check_fields("fields", fields)
    return _funnels(min_stages, max_stages, flags, names)


def _flag(draw: st.DrawFn, value: bool | None) -> bool:
    return draw(st.booleans()) if value is None else value


@st.composite
def _funnels(
    draw: st.DrawFn, min_stages: int, max_stages: int, flags: Mapping[str, bool | None],
    fields: Sequence[str],
) -> Funnel:
    n = draw(st.integers(min_stages, max_stages))
    n_lost = draw(st.integers(0, min(2, n - 2)))
    n_open = n - 1 - n_lost
    names = draw(st.lists(stage_names(), min_size=n, max_size=n, unique=True))
    kinds = [StageKind.OPEN] * n_open + [StageKind.WON] + [StageKind.LOST] * n_lost
    witness = draw(_witness(fields))
    with_gates = _flag(draw, flags["with_gates"])
    gated = [False] * n
    if with_gates:
        gated = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        if not any(gated):
            gated[draw(st.integers(0, n - 1))] = True
    passing = gates(fields=fields, satisfied_by=witness)
    # Probabilities along the main path never decrease; some are not estimated.
    raw = sorted(draw(st.lists(st.floats(0, 1), min_size=n_open, max_size=n_open)))
    stage_list = []
    for i, (stage_name, kind) in enumerate(zip(names, kinds, strict=True)):
        gate_list = draw(st.lists(passing, min_size=1, max_size=2)) if gated[i] else []
        probability: float | None
        if kind is StageKind.OPEN:
            probability = raw[i] if draw(st.integers(0, 3)) > 0 else None
        else:
            probability = draw(st.sampled_from((None, 1.0 if kind is StageKind.WON else 0.0)))
        stage_list.append(draw(_stage(stage_name, kind, gate_list, probability)))
    open_names = names[:n_open]
    options: dict[str, Any] = {
        "skip_ahead": _flag(draw, flags["skip_ahead"]),
        "fall_back": _flag(draw, flags["fall_back"]),
        "can_lose": True if n_lost else draw(st.booleans()),
        "reentry": draw(st.sampled_from(open_names)) if _flag(draw, flags["cyclic"]) else None,
        "expanding": _flag(draw, flags["expanding"]),
        "label": draw(_labels()),
        "description": draw(st.one_of(st.none(), _labels())),
    }
    funnel_name = draw(stage_names())
    funnel = Funnel(funnel_name, stage_list, **options)
    want_extra = flags["transitions"]
    if want_extra is None:
        want_extra = draw(st.integers(0, 3)) == 0
    if want_extra:
        pairs = [
            (s, t) for s in names for t in names
            if s != t and t not in funnel.moves(s)
        ]
        if not pairs:
            if flags["transitions"]:
                reject()  # every pair is already a move; try another funnel
            return funnel
        chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=2, unique=True))
        extra = []
        for source, target in chosen:
            extra_gates = draw(st.lists(passing, max_size=1)) if with_gates else []
            extra.append(Transition(source, target, gates=tuple(extra_gates),
                                    label=draw(st.one_of(st.none(), _EN_TEXT))))
        funnel = Funnel(funnel_name, stage_list, transitions=extra, **options)
    return funnel


# -- subjects ---------------------------------------------------------------------------------


def _passes(gate_list: Sequence[Gate], subject: Any) -> bool:
    try:
        return all(g(subject) for g in gate_list)
    except GateError:
        return False


def _edges(funnel: Funnel, stage: str) -> list[tuple[Gate, ...]]:
    """Gates on the moves that bring a deal from the start to ``stage``, in order."""
    first = funnel.stages[0].name
    edges = [funnel.gates_for(None, first)]
    target = funnel.stage(stage)
    if target.kind is StageKind.LOST:
        if stage in funnel.moves(first):
            edges.append(funnel.gates_for(first, stage))
        else:
            edges.append(target.gates)
        return edges
    path = [s.name for s in funnel.path]
    for k in range(1, funnel.index(stage) + 1):
        edges.append(funnel.gates_for(path[k - 1], path[k]))
    return edges


def subjects(
    funnel: Funnel, satisfying: str | Stage | None = None, *, failing: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """Subjects (deal mappings) for a funnel's gates: arbitrary, passing, or failing.

    Values are derived from the structure of the gates' rules (the constants they
    compare with, their neighbours, missing fields, ``None``...), then checked against
    the real gates. Gates built from Python callables have no structure to read: they
    are met only by chance, and examples that miss are rejected.

    Parameters
    ----------
    funnel : Funnel
        The funnel whose gates the subjects are for.
    satisfying : str or Stage, optional
        ``None`` (default): any subject, over every field the gates read. A stage
        name: a subject that passes the gates of every move on the main path from the
        start up to and including that stage (for a LOST stage: the start and the
        stage itself), so a journey with it can walk there without ``force``.
    failing : bool
        With ``satisfying``: pass the gates *before* that stage but fail the gates of
        the stage itself (the subject is stopped exactly there).

    Returns
    -------
    SearchStrategy[dict]

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If ``funnel`` is not a Funnel, the stage is unknown, ``failing`` is given
        without a stage, or that stage has no gates to fail.

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel import Funnel, Stage
    >>> funnel = Funnel("deals", [
    ...     Stage("lead"), Stage("qualified", gates="budget >= 10000"),
    ...     Stage("won", kind="won", gates="signed")])
    >>> @given(subjects(funnel, satisfying="won"))
    ... def test(deal):
    ...     assert funnel.start(deal, at="2026-01-05T09:00:00+00:00").advance().advance().is_won
    >>> test()
    >>> @given(subjects(funnel, satisfying="won", failing=True))
    ... def test_blocked(deal):
    ...     journey = funnel.start(deal, at="2026-01-05T09:00:00+00:00").advance()
    ...     assert journey.can_advance().failed == ("signed",)
    >>> test_blocked()
    """
    funnel = check_funnel("funnel", funnel)
    failing = check_bool("failing", failing)
    if satisfying is None:
        if failing:
            raise InvalidArgument(
                "failing=True needs satisfying=<stage name>: the stage whose gates the "
                "subject must fail"
            )
        trees = [_solver.tree_of(funnel.gates_for(s, t))
                 for s in funnel.names for t in funnel.allowed(s)]
        trees.extend(_solver.tree_of(s.gates) for s in funnel.stages)
        return _arbitrary(tuple(trees))
    stage = check_stage_of(funnel, "satisfying", satisfying)
    edges = _edges(funnel, stage)
    if failing and not edges[-1]:
        gated = [s.name for s in funnel.stages if s.gates] or ["none"]
        raise InvalidArgument(
            f"failing=True, but no gate guards the way into stage {stage!r} of funnel "
            f"{funnel.name!r}, so no subject can fail it (stages with gates: "
            f"{', '.join(gated)})"
        )
    return _goal_subjects(tuple(edges), failing)


@st.composite
def _arbitrary(draw: st.DrawFn, trees: tuple[Any, ...]) -> dict[str, Any]:
    return _solver.arbitrary(draw, trees)


@st.composite
def _goal_subjects(
    draw: st.DrawFn, edges: tuple[tuple[Gate, ...], ...], failing: bool
) -> dict[str, Any]:
    if failing:
        before = [g for edge in edges[:-1] for g in edge]
        last = edges[-1]
        goal = _solver.Goal(
            holds=(_solver.tree_of(before),),
            fails=(_solver.tree_of(last),),
            check=lambda s: _passes(before, s) and not _passes(last, s),
        )
    else:
        every = [g for edge in edges for g in edge]
        goal = _solver.Goal(holds=(_solver.tree_of(every),),
                            check=lambda s: _passes(every, s))
    subject = _solver.solve(draw, goal)
    if subject is None:
        reject()
    return subject


def _as_gate_list(value: Any) -> tuple[Gate, ...]:
    if isinstance(value, Gate):
        return (value,)
    if isinstance(value, str):
        return (Gate(value),)
    if isinstance(value, Stage):
        return value.gates
    if isinstance(value, Sequence) and all(isinstance(g, Gate) for g in value):
        return tuple(value)
    raise InvalidArgument(
        f"gate={value!r} must be a Gate, a rule string, a Stage or a sequence of Gates"
    )


def gate_subjects(
    gate: Gate | str | Stage | Sequence[Gate], *, passing: bool | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Subjects for one gate (or a stage's gates): arbitrary, passing or failing.

    Parameters
    ----------
    gate : Gate, rule string, Stage or sequence of Gate
        What the subjects are checked against (all gates of a stage or sequence).
    passing : bool, optional
        ``True``: every subject passes; ``False``: every subject fails; ``None``
        (default): values for every field read, whatever the outcome.

    Returns
    -------
    SearchStrategy[dict]

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If ``gate`` is none of the above or ``passing`` is not a bool or None.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(gate_subjects("budget >= 10000 and region in ['emea', 'apac']", passing=False))
    ... def test(deal):
    ...     assert not Gate("budget >= 10000 and region in ['emea', 'apac']")(deal)
    >>> test()
    """
    gate_list = _as_gate_list(gate)
    passing = check_optional_bool("passing", passing)
    tree = _solver.tree_of(gate_list)
    if passing is None:
        return _arbitrary((tree,))
    if passing:
        return _goal_subjects((gate_list,), False)
    if not gate_list:
        raise InvalidArgument(f"gate={gate!r} has no gates, so no subject can fail it")
    return _goal_subjects(((), gate_list), True)


# -- journeys ---------------------------------------------------------------------------------


def instants() -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes between 2020 and 2030, in UTC and two other offsets."""
    return st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
        timezones=st.sampled_from(_ZONES),
    )


_GAPS = st.one_of(
    st.just(timedelta(0)),
    st.integers(1, 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(1, 90).map(lambda d: timedelta(days=d)),
)


def apply_move(
    journey: Journey, target: str, *, at: datetime, actor: str | None, reason: str | None,
    force: bool,
) -> Journey:
    """Make the legal move to ``target`` with the Journey method that fits its kind."""
    funnel = journey.funnel
    kind = funnel.moves(journey.stage)[target]
    if funnel.stage(target).kind is StageKind.LOST:
        return journey.lose(reason or "lost", to=target, at=at, actor=actor, force=force)
    if kind == "reenter":
        return journey.reenter(target, at=at, actor=actor, reason=reason, force=force)
    forward = funnel.index(journey.stage) < funnel.index(target) <= funnel.won_index
    if kind in ("advance", "skip") or (kind == "explicit" and forward):
        return journey.advance(target, at=at, actor=actor, reason=reason, force=force)
    return journey.regress(target, at=at, actor=actor, reason=reason, force=force)


def journeys(
    funnel: Funnel | None = None, *, max_steps: int = 10
) -> st.SearchStrategy[Journey]:
    """Journeys with valid histories, built through the real :class:`Journey` API.

    Each journey starts at an open stage (usually the first), then makes up to
    ``max_steps`` legal moves: advances, skips, fall-backs, losses, re-entries and
    explicit transitions, at non-decreasing times in several time zones. Where the
    subject fails a gate the move is made with ``force=True`` and a reason, as a user
    overriding the checklist would.

    Parameters
    ----------
    funnel : Funnel, optional
        The funnel; by default one is drawn from :func:`funnels`.
    max_steps : int
        Most moves after the start, from 0 to 1000.

    Returns
    -------
    SearchStrategy[Journey]

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If ``funnel`` is not a Funnel or ``max_steps`` is out of range.

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel import Journey
    >>> @given(journeys(max_steps=5))
    ... def test(journey):
    ...     again = Journey.replay(journey.funnel, journey.history)
    ...     assert (again.stage, again.version) == (journey.stage, journey.version)
    >>> test()
    """
    max_steps = check_int("max_steps", max_steps, min_value=0, max_value=1000)
    if funnel is None:
        return funnels().flatmap(lambda f: _journeys(f, max_steps))
    return _journeys(check_funnel("funnel", funnel), max_steps)


def any_journeys() -> st.SearchStrategy[Journey]:
    """Journeys in drawn funnels (what ``st.from_type(Journey)`` gives)."""
    return journeys()


_ACTORS = st.one_of(st.none(), st.sampled_from(("ann", "bo", "crm-sync", "王芳")))
_IDS = st.one_of(st.none(), st.integers(0, 10**6), st.from_regex(r"D-[0-9]{1,5}",
                                                                  fullmatch=True))


@st.composite
def _journeys(draw: st.DrawFn, funnel: Funnel, max_steps: int) -> Journey:
    subject = draw(subjects(funnel))
    open_names = [s.name for s in funnel.stages if s.is_open]
    first = funnel.stages[0].name
    start = draw(st.one_of(st.just(first), st.sampled_from(open_names)))
    when = draw(instants())
    blocked = not _passes(funnel.gates_for(None, start), subject)
    journey = funnel.start(
        subject, at=when, stage=start, id=draw(_IDS), actor=draw(_ACTORS),
        force=blocked, reason="imported from the old CRM" if blocked else None,
    )
    for _ in range(draw(st.integers(0, max_steps))):
        targets = funnel.allowed(journey.stage)
        if not targets:
            break
        target = draw(st.sampled_from(targets))
        when = when + draw(_GAPS)
        blocked = not _passes(funnel.gates_for(journey.stage, target), subject)
        reason = draw(st.sampled_from(_LOSS_REASONS)) if funnel.stage(target).kind is (
            StageKind.LOST) else None
        if blocked:
            reason = reason or "manager override"
        apply_move(journey, target, at=when, actor=draw(_ACTORS), reason=reason, force=blocked)
    return journey
