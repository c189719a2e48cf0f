"""Hypothesis strategies for salesfunnel's model: rules, gates, stages, funnels, subjects,
journeys and event logs.

Over 800 lines on purpose: the strategies build on one another (a funnel draws stages,
which draw gates, which draw rules with witnesses that journeys then satisfy), and
keeping the chain in one module keeps the shared witness bookkeeping private to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from salesfunnel.errors import GateError
from salesfunnel.model import Funnel, Gate, Journey, Stage, StageKind, Transition
from salesfunnel.model._stage import match_key
from salesfunnel.model.rules import parse_rule
from salesfunnel.model.rules.api import MISSING
from salesfunnel.testing import _solver
from salesfunnel.testing._solver import _BOOLS, _ints
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
_ZH_TEXT = st.text("漏斗销售客户线索商机合同成交流失意向评估购买忠诚", min_size=1, max_size=6)
_EN_TEXT = st.one_of(
    st.sampled_from(("Lead", "Qualified lead", "Proposal sent", "Negotiation", "Won", "Lost",
                     "Closed - won", "Demo booked", "Awareness & interest")),
    st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -&'/éüñ%",
            min_size=1, max_size=20),
)
_ZONES = (UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30)))
_LOSS_REASONS = ("no budget", "went with a competitor", "no decision", "timing", "未响应")
_GATE_NAMES = ("budget confirmed", "decision maker known", "qualified", "信用良好", "check-1")
_FORMS = ("cmp", "cmp", "cmp", "cmp_rev", "cmp_field", "in", "not_in", "in_str", "contains",
          "is_set", "is_not_set", "truthy")
_OPS = ("==", "!=", "<", "<=", ">", ">=")


def _choice(draw: st.DrawFn, options: Sequence[Any]) -> Any:
    """One of ``options`` (shrinking towards the first), without building a strategy."""
    return options[draw(_ints(0, len(options) - 1))]


def _chance(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws (shrinks to False)."""
    return draw(_ints(0, one_in - 1)) == one_in - 1


_SLUG_START = "abcdefghijklmnopqrstuvwxyz0123456789"
_STAGE_NAMES = st.one_of(
    st.sampled_from(_STAGE_WORDS),
    st.tuples(st.sampled_from(_SLUG_START), st.text(_SLUG_START + "_-", max_size=11)).map(
        "".join
    ),
)
_LABELS = st.one_of(
    st.none(),
    _EN_TEXT,
    st.fixed_dictionaries({"en": _EN_TEXT}, optional={"zh": _ZH_TEXT}),
)
_DESCRIPTIONS = st.one_of(st.none(), _LABELS)
_OWNERS = st.one_of(
    st.none(),
    st.sampled_from(_ROLES),
    st.fixed_dictionaries({"en": st.sampled_from(_ROLES)}, optional={"zh": _ZH_TEXT}),
)
_ACTION_LISTS = st.lists(
    st.one_of(
        st.sampled_from(_ACTIONS),
        st.fixed_dictionaries({"en": st.sampled_from(_ACTIONS)}, optional={"zh": _ZH_TEXT}),
    ),
    max_size=2,
)
_PROBABILITIES = st.floats(0, 1)
_QUOTED_WORDS = ("it's", 'say "hi"', "a\\b", "C:\\deals", "it's \"ok\"", 'the "A" team\'s')
"""Words whose rule literal needs the other quote, an escaped quote (two of them) or an
escaped backslash (two of them)."""
_WORDS = st.one_of(
    st.text(st.sampled_from("abcdefxyz"), max_size=4),
    st.sampled_from(("emea", "apac", "saas", "retail", "partner", "web", "华东")),
    # One word in three: quotes and escapes are where rule text breaks, and at one in 22
    # some runs of 400 rules drew no escaped backslash at all.
    st.sampled_from(_QUOTED_WORDS),
)
_NUMBERS = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-(10**9), 10**9),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2)),
)
_SCALARS = st.one_of(_NUMBERS, _WORDS, _BOOLS)
_VALUES = st.one_of(st.just(MISSING), st.none(), _SCALARS, st.lists(_WORDS, max_size=3))
"""Values a subject's field may hold (``MISSING`` leaves the field out)."""


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
    return _STAGE_NAMES


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


def _draw_near(draw: st.DrawFn, value: Any) -> Any:
    """A literal close to ``value``, so rules about it can go either way."""
    if isinstance(value, bool):
        return draw(_BOOLS)
    way = draw(_ints(0, 2))
    if isinstance(value, int | float):
        return (value, value + draw(_ints(-5, 5)), draw(_NUMBERS))[way]
    if isinstance(value, str):
        return (value, value + "x", draw(_WORDS))[way]
    if isinstance(value, list) and value and way < 2:
        return _choice(draw, value)
    return draw(_SCALARS)


def _draw_atom(draw: st.DrawFn, field: str, fields: Sequence[str], near: Any) -> str:
    """One comparison, ``in``, ``is set`` or truthy test reading ``field``."""
    form = _choice(draw, _FORMS)
    if form in ("cmp", "cmp_rev", "cmp_field"):
        op = _choice(draw, _OPS)
        if form == "cmp":
            return f"{field} {op} {_literal(_draw_near(draw, near))}"
        if form == "cmp_rev":
            return f"{_literal(_draw_near(draw, near))} {op} {field}"
        others = [f for f in fields if f != field] or [field]
        return f"{field} {op} {_choice(draw, others)}"
    if form in ("in", "not_in"):
        members = [_draw_near(draw, near) for _ in range(draw(_ints(0, 3)))]
        word = "in" if form == "in" else "not in"
        return f"{field} {word} {_literal(members)}"
    if form == "in_str":
        return f"{field} in {_literal(draw(_WORDS))}"
    if form == "contains":
        item = _choice(draw, near) if isinstance(near, list) and near else draw(_WORDS)
        return f"{_literal(item)} in {field}"
    if form == "is_set":
        return f"{field} is set"
    if form == "is_not_set":
        return f"{field} is not set"
    return field


def _get(witness: Mapping[str, Any] | None, field: str) -> Any:
    if witness is None:
        return MISSING
    return _solver._get(witness, field)


def _draw_leaf(
    draw: st.DrawFn, fields: Sequence[str], witness: Mapping[str, Any] | None,
    want: bool | None,
) -> str:
    field = _choice(draw, fields)
    near = _get(witness, field)
    if want is None or witness is None:
        return _draw_atom(draw, field, fields, near)
    for _ in range(4):
        text = _draw_atom(draw, field, fields, near)
        if parse_rule(text).test(witness) == want:
            return text
    # 'is set' / 'is not set' always settle it one way or the other.
    is_set = parse_rule(f"{field} is set").test(witness)
    return f"{field} is set" if is_set == want else f"{field} is not set"


def _split_wants(
    draw: st.DrawFn, conjunction: bool, want: bool | None
) -> tuple[bool | None, bool | None]:
    """Goals for the two sides of ``and`` (``conjunction``) or ``or`` to give ``want``."""
    if want is None:
        return None, None
    if conjunction == want:  # and-True, or-False: both sides take the goal
        return want, want
    return (want, None) if draw(_BOOLS) else (None, want)  # one side settles it


def _draw_expr(
    draw: st.DrawFn, leaves: int, fields: Sequence[str], witness: Mapping[str, Any] | None,
    want: bool | None,
) -> tuple[str, int]:
    """Rule text with ``leaves`` atoms, and its precedence (0 or, 1 and, 2 not/atom)."""
    flip = None if want is None else not want
    if leaves == 1:
        if _chance(draw, 5):
            return f"not {_draw_leaf(draw, fields, witness, flip)}", 2
        return _draw_leaf(draw, fields, witness, want), 2
    if _chance(draw, 6):
        inner, prec = _draw_expr(draw, leaves, fields, witness, flip)
        return (f"not ({inner})" if prec < 2 else f"not {inner}"), 2
    left_n = draw(_ints(1, leaves - 1))
    conjunction = draw(_BOOLS)
    wants = _split_wants(draw, conjunction, want)
    sides = (
        _draw_expr(draw, left_n, fields, witness, wants[0]),
        _draw_expr(draw, leaves - left_n, fields, witness, wants[1]),
    )
    need = 1 if conjunction else 0
    parts = []
    for text, prec in sides:
        if prec < need or (prec < 2 and _chance(draw, 4)):
            text = f"({text})"
        parts.append(text)
    word = "and" if conjunction else "or"
    return f"{parts[0]} {word} {parts[1]}", need


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
    max_leaves = check_int("max_leaves", max_leaves, low=1, high=32)
    witness = _check_witness(satisfied_by)
    return _rules(names, max_leaves, witness)


@st.composite
def _rules(
    draw: st.DrawFn, fields: Sequence[str], max_leaves: int,
    witness: Mapping[str, Any] | None,
) -> str:
    want = None if witness is None else True
    return _draw_expr(draw, draw(_ints(1, max_leaves)), fields, witness, want)[0]


def _draw_rule_gate(
    draw: st.DrawFn, fields: Sequence[str], max_leaves: int,
    witness: Mapping[str, Any] | None, want: bool | None,
) -> Gate:
    text, _ = _draw_expr(draw, draw(_ints(1, max_leaves)), fields, witness, want)
    if not _chance(draw, 3):
        return Gate(text)
    return Gate(text, name=_choice(draw, _GATE_NAMES), label=draw(_LABELS))


def _draw_gate(
    draw: st.DrawFn, fields: Sequence[str], max_leaves: int,
    witness: Mapping[str, Any] | None, want: bool | None, depth: int, *, top: bool = False,
) -> Gate:
    """A rule gate, or (``top``: always) ``&``, ``|`` or ``~`` of smaller gates."""
    if not top and (depth == 0 or not _chance(draw, 3)):
        return _draw_rule_gate(draw, fields, max_leaves, witness, want)
    op = _choice(draw, ("&", "|", "~"))
    if op == "~":
        flip = None if want is None else not want
        return ~_draw_gate(draw, fields, max_leaves, witness, flip, depth - 1)
    wants = _split_wants(draw, op == "&", want)
    a = _draw_gate(draw, fields, max_leaves, witness, wants[0], depth - 1)
    b = _draw_gate(draw, fields, max_leaves, witness, wants[1], depth - 1)
    return (a & b) if op == "&" else (a | b)


@st.composite
def _gates(
    draw: st.DrawFn, fields: Sequence[str], max_leaves: int, composite: bool | None,
    witness: Mapping[str, Any] | None,
) -> Gate:
    want = None if witness is None else True
    if composite is None:
        composite = _chance(draw, 3)
    if composite:
        return _draw_gate(draw, fields, max_leaves, witness, want, 2, top=True)
    return _draw_rule_gate(draw, fields, max_leaves, witness, want)


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
    max_leaves = check_int("max_leaves", max_leaves, low=1, high=32)
    composite = check_optional_bool("composite", composite)
    witness = _check_witness(satisfied_by)
    return _gates(names, max_leaves, composite, witness)


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


def _draw_stage(
    draw: st.DrawFn, name: str, kind: StageKind, gate_list: Sequence[Gate],
    probability: float | None,
) -> Stage:
    return Stage(
        name,
        label=draw(_LABELS),
        kind=kind,
        probability=probability,
        gates=tuple(gate_list),
        owner=draw(_OWNERS),
        actions=draw(_ACTION_LISTS),
        description=draw(_DESCRIPTIONS),
        aliases=_draw_aliases(draw, name),
    )


def _alias_options(name: str) -> list[str]:
    """CRM-style other names of stage ``name``, unique to it: each holds a space (so none
    is a stage name) and its match key gives back ``name`` (so no two stages share one).
    Hyphens read as spaces unless that would merge them (``"y-"`` and ``"y"``, or
    ``"a--b"`` and ``"a-b"``, would both give ``"Y Stage"``/``"A B Stage"``)."""
    spaced = name.replace("-", " ")
    if match_key(spaced) != spaced.casefold():  # the match would collapse its spaces
        spaced = name
    return [f"{spaced.title()} Stage", f"{name} (CRM)", f"{name.upper()} STEP"]


def _draw_aliases(draw: st.DrawFn, name: str) -> tuple[str, ...]:
    """Up to two of :func:`_alias_options`."""
    options = _alias_options(name)
    return tuple(draw(st.lists(st.sampled_from(options), max_size=2, unique=True)))


def _draw_probability(draw: st.DrawFn, kind: StageKind, estimate: float) -> float | None:
    if kind is StageKind.OPEN:
        return None if _chance(draw, 4) else estimate
    if draw(_BOOLS):
        return None
    return 1.0 if kind is StageKind.WON else 0.0


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
    return _stages(name, the_kind, with_gates, names)


@st.composite
def _stages(
    draw: st.DrawFn, name: str | None, kind: StageKind | None, with_gates: bool | None,
    fields: Sequence[str],
) -> Stage:
    stage_name = name if name is not None else draw(_STAGE_NAMES)
    k = kind if kind is not None else _choice(draw, tuple(StageKind))
    low, high = {True: (1, 2), False: (0, 0), None: (0, 2)}[with_gates]
    gate_list = [
        _draw_gate(draw, fields, 3, None, None, 2) for _ in range(draw(_ints(low, high)))
    ]
    probability = _draw_probability(draw, k, draw(_PROBABILITIES))
    return _draw_stage(draw, stage_name, k, gate_list, probability)


def _draw_witness(draw: st.DrawFn, fields: Sequence[str]) -> dict[str, Any]:
    subject: dict[str, Any] = {}
    for field in fields:
        _solver.put(subject, field, draw(_VALUES))
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
    Chinese; owners, actions, descriptions, CRM-style aliases; gates on stages and on
    extra transitions; skip-ahead, fall-back, re-entry after WON (cyclic), expanding
    funnels and explicit extra transitions. Every funnel drawn is *walkable*: some subject passes
    every gate (so ``subjects(funnel, satisfying=funnel.won.name)`` always finds one).

    Parameters
    ----------
    min_stages, max_stages : int
        Bounds on the number of stages, counting the WON and LOST stages
        (2 <= min_stages <= max_stages <= 40).
    cyclic, expanding, with_gates, skip_ahead, fall_back, transitions : bool, optional
        Force a feature on (``True``) or off (``False``); ``None`` (default) draws
        either. ``transitions`` is about explicit extra transitions (a funnel with
        every possible move already allowed has room for none, and is not drawn when
        ``transitions=True``).
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
    min_stages = check_int("min_stages", min_stages, low=2, high=40)
    max_stages = check_int("max_stages", max_stages, low=2, high=40)
    if min_stages > max_stages:
        raise InvalidArgument(
            f"min_stages={min_stages} must not exceed max_stages={max_stages}"
        )
    flags = tuple(
        (name, check_optional_bool(name, value))
        for name, value in (
            ("cyclic", cyclic), ("expanding", expanding), ("with_gates", with_gates),
            ("skip_ahead", skip_ahead), ("fall_back", fall_back), ("transitions", transitions),
        )
    )
    names = DEFAULT_FIELDS if fields is None else check_fields("fields", fields)
    return _funnels(min_stages, max_stages, dict(flags), names)


def _flag(draw: st.DrawFn, value: bool | None) -> bool:
    return draw(_BOOLS) if value is None else value


@st.composite
def _funnels(
    draw: st.DrawFn, min_stages: int, max_stages: int, flags: Mapping[str, bool | None],
    fields: Sequence[str],
) -> Funnel:
    n = draw(_ints(min_stages, max_stages))
    n_lost = draw(_ints(0, min(2, n - 2)))
    n_open = n - 1 - n_lost
    names = draw(st.lists(_STAGE_NAMES, min_size=n, max_size=n, unique=True))
    kinds = [StageKind.OPEN] * n_open + [StageKind.WON] + [StageKind.LOST] * n_lost
    witness = _draw_witness(draw, fields)
    with_gates = _flag(draw, flags["with_gates"])
    gated = [with_gates and _chance(draw, 2) for _ in range(n)]
    if with_gates and not any(gated):
        gated[draw(_ints(0, n - 1))] = True

    def passing() -> Gate:
        return _draw_gate(draw, fields, 3, witness, True, 1)

    # Probabilities along the main path never decrease; some are not estimated.
    estimates = sorted(draw(_PROBABILITIES) for _ in range(n_open)) + [1.0] * (n - n_open)
    stage_list = []
    for i, (stage_name, kind) in enumerate(zip(names, kinds, strict=True)):
        gate_list = [passing() for _ in range(draw(_ints(1, 2)))] if gated[i] else []
        probability = _draw_probability(draw, kind, estimates[i])
        stage_list.append(_draw_stage(draw, stage_name, kind, gate_list, probability))
    open_names = names[:n_open]
    options: dict[str, Any] = {
        "skip_ahead": _flag(draw, flags["skip_ahead"]),
        "fall_back": _flag(draw, flags["fall_back"]),
        "can_lose": True if n_lost else draw(_BOOLS),
        "reentry": _choice(draw, open_names) if _flag(draw, flags["cyclic"]) else None,
        "expanding": _flag(draw, flags["expanding"]),
        "label": draw(_LABELS),
        "description": draw(_DESCRIPTIONS),
    }
    funnel_name = draw(_STAGE_NAMES)
    funnel = Funnel(funnel_name, stage_list, **options)
    want_extra = flags["transitions"]
    if want_extra is None:  # one funnel in two: explicit transitions feed three features
        want_extra = _chance(draw, 2)
    if not want_extra:
        return funnel
    pairs = [(s, t) for s in names for t in names if s != t and t not in funnel.moves(s)]
    if not pairs:
        if flags["transitions"]:
            reject()  # every pair is already a move: no room for an extra transition
        return funnel
    # Reopening a lost deal (a LOST stage back to an open one) is an extra move users add
    # and the walkers must see; drawn like any other pair it came up in about 6 % of
    # funnels, so one pick in two is one when the funnel has a LOST stage.
    reopen = [(s, t) for s, t in pairs if s in names[n_open + 1:] and t in open_names]
    extra: list[Transition] = []
    for _ in range(draw(_ints(1, 2))):
        source, target = _choice(draw, reopen if bool(reopen) and draw(_BOOLS) else pairs)
        if any(t.source == source and t.target == target for t in extra):
            continue
        # Gated in three of four when the funnel has gates: extra transitions are rare
        # (a funnel that allows every move has room for none), and gated ones are the
        # feature the walkers and checks must see.
        gate_list = [passing()] if with_gates and not _chance(draw, 4) else []
        label = draw(_EN_TEXT) if draw(_BOOLS) else None
        extra.append(Transition(source, target, gates=tuple(gate_list), label=label))
    return Funnel(funnel_name, stage_list, transitions=extra, **options)


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


def _funnel_trees(funnel: Funnel) -> tuple[Any, ...]:
    """The boolean trees of every gate a journey in ``funnel`` may meet."""
    trees = [_solver.tree_of(funnel.gates_for(s, t))
             for s in funnel.names for t in funnel.allowed(s)]
    trees.extend(_solver.tree_of(s.gates) for s in funnel.stages)
    return tuple(trees)


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
        return _arbitrary(_funnel_trees(funnel))
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


_INSTANTS = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
    timezones=st.sampled_from(_ZONES),
)


def instants() -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes between 2020 and 2030, in UTC and two other offsets."""
    return _INSTANTS


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
    explicit transitions, at non-decreasing times in several time zones, with
    recorded subject edits (:meth:`Journey.update`) of the gates' fields in between,
    so records carry facts and journeys carry edits. Where the subject fails a gate
    the move is made with ``force=True`` and a reason, as a user overriding the
    checklist would.

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
    ...     again = Journey.replay(journey.funnel, journey.history, edits=journey.edits)
    ...     assert (again.stage, again.version) == (journey.stage, journey.version)
    >>> test()
    """
    max_steps = check_int("max_steps", max_steps, low=0, high=1000)
    if funnel is None:
        return funnels().flatmap(lambda f: _journeys(f, max_steps))
    return _journeys(check_funnel("funnel", funnel), max_steps)


_ACTORS = st.one_of(st.none(), st.sampled_from(("ann", "bo", "crm-sync", "王芳")))
_EDIT_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))


def _all_pairs(funnel: Funnel) -> list[tuple[str | None, str]]:
    """Every (source, target) move of ``funnel``, and the starts."""
    pairs: list[tuple[str | None, str]] = [(None, s.name) for s in funnel.stages if s.is_open]
    pairs.extend((s.name, t) for s in funnel.stages for t in funnel.allowed(s.name))
    return pairs
_IDS = st.one_of(st.none(), st.integers(0, 10**6), st.integers(0, 99_999).map("D-{}".format))


@st.composite
def _journeys(draw: st.DrawFn, funnel: Funnel, max_steps: int) -> Journey:
    subject = _solver.arbitrary(draw, _funnel_trees(funnel))
    open_names = [s.name for s in funnel.stages if s.is_open]
    start = open_names[0] if draw(_BOOLS) else _choice(draw, open_names)
    when = draw(_INSTANTS)
    blocked = not _passes(funnel.gates_for(None, start), subject)
    journey = funnel.start(
        subject, at=when, stage=start, id=draw(_IDS), actor=draw(_ACTORS),
        force=blocked, reason="imported from the old CRM" if blocked else None,
    )
    fields = sorted({f.split(".")[0] for pair in _all_pairs(funnel)
                     for g in funnel.gates_for(*pair) for f in g.fields}) or ["note"]
    for _ in range(draw(_ints(0, max_steps))):
        targets = funnel.allowed(journey.stage)
        if not targets:
            break
        target = _choice(draw, targets)
        when = (when + draw(_GAPS)).astimezone(_choice(draw, _ZONES))
        if _chance(draw, 4):  # a recorded subject edit, which may unblock a gate
            changes = {field: draw(_EDIT_VALUES) for field in
                       draw(st.lists(st.sampled_from(fields), min_size=1, max_size=2,
                                     unique=True))}
            journey.update(changes, at=when, actor=draw(_ACTORS), reason="new information")
        blocked = not _passes(funnel.gates_for(journey.stage, target), subject)
        reason = None
        if funnel.stage(target).kind is StageKind.LOST:
            reason = _choice(draw, _LOSS_REASONS)
        elif blocked:
            reason = "manager override"
        apply_move(journey, target, at=when, actor=draw(_ACTORS), reason=reason, force=blocked)
    return journey
