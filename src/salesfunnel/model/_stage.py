"""Stages of a funnel."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any, cast

import attrs

from salesfunnel.errors import DefinitionError, InvalidParameterError
from salesfunnel.model._gate import Gate, GateResult, as_gates
from salesfunnel.model._labels import Labels, to_labels

__all__ = ["Stage", "StageKind", "match_key"]

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class StageKind(enum.Enum):
    """Whether a stage is still open, or a terminal won or lost state."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class _Invalid:
    """A field value that failed conversion; :meth:`Stage.problems` reports it, so one
    stage lists all its problems at once instead of stopping at the first."""

    __slots__ = ("message", "value")

    def __init__(self, value: Any, message: str) -> None:
        self.value = value
        self.message = message

    def __repr__(self) -> str:
        return repr(self.value)


def _to_kind(value: Any) -> StageKind:
    if isinstance(value, StageKind):
        return value
    try:
        return StageKind(str(value).lower())
    except ValueError:
        message = f"stage kind must be one of 'open', 'won', 'lost'; got {value!r}"
        return cast(StageKind, _Invalid(value, message))


def _to_probability(value: Any) -> float | None:
    if value is None:
        return None
    message = f"probability must be a number in [0, 1] or None; got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return cast(float, _Invalid(value, message))
    try:
        return float(value)
    except OverflowError:  # an int too large for a float (10**400)
        return cast(float, _Invalid(value, message))


def _to_text(value: Any, what: str) -> Labels:
    try:
        return to_labels(value)
    except InvalidParameterError:
        message = (
            f"{what} is a string or a mapping of language to text (e.g. "
            f"{{'en': ..., 'zh': ...}}); got {type(value).__name__} {value!r}"
        )
        return cast(Labels, _Invalid(value, message))


def _to_owner(value: Any) -> Labels | None:
    if value is None:
        return None
    owner = _to_text(value, "owner")
    return owner if isinstance(owner, _Invalid) or owner else None


def _to_actions(value: Any) -> tuple[Labels, ...]:
    if value is None:
        return ()
    if isinstance(value, str | Mapping):
        value = (value,)
    try:
        items = list(value)
    except TypeError:
        items = [value]
    return tuple(_to_text(v, "an action") for v in items)


def _to_aliases(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    try:
        out = tuple(items)
    except TypeError:
        out = (items,)
    for alias in out:
        if not isinstance(alias, str) or not alias.strip():
            message = f"aliases are non-empty strings; got {alias!r}"
            return cast(tuple[str, ...], _Invalid(value, message))
    return tuple(dict.fromkeys(a.strip() for a in out))


def match_key(text: str) -> str:
    """The form stage names, aliases and labels are matched in: case-folded, inner
    whitespace collapsed (``"Closed  Won "`` and ``"closed won"`` match)."""
    return " ".join(text.split()).casefold()


def _plain(text: Labels) -> str | dict[str, str]:
    """English-only text as a plain string (the JSON shape of a str argument), else a dict."""
    return text["en"] if set(text) == {"en"} else text.to_dict()


@attrs.frozen
class Stage:
    """One stage of a funnel.

    Parameters
    ----------
    name : str
        Unique slug: lowercase letters, digits, ``-`` and ``_`` (e.g. ``"qualified"``).
    label : str or mapping, optional
        Display text, optionally per language: ``{"en": "Qualified", "zh": "有效客户"}``.
        Defaults to the name.
    kind : StageKind or str
        ``OPEN`` (default), ``WON`` or ``LOST``.
    probability : float, optional
        Win probability in [0, 1]. WON stages are 1 and LOST stages 0 (filled in when
        omitted). ``None`` for an open stage means "not estimated".
    gates : Gate, str, callable or a sequence of them
        Entry criteria: all must pass before a deal may enter the stage.
    owner : str or mapping, optional
        The role responsible for deals in this stage, optionally per language:
        ``{"en": "account manager", "zh": "客户经理"}``. A string means English; an
        empty one means no owner.
    actions : str, mapping or a sequence of them
        Recommended sales actions in this stage, each a string (English) or a mapping of
        language to text.
    description : str or mapping, optional
        What the stage means, optionally per language.
    aliases : str or sequence of str
        Other names the stage goes by in data, such as a CRM's stage names
        (``"Closed Won"``, ``"closedwon"``). Event logs accept the name, any alias and
        any label, matched case-insensitively.

    Examples
    --------
    >>> stage = Stage("qualified", label={"en": "Qualified", "zh": "有效客户"},
    ...               probability=0.25, gates="budget_confirmed")
    >>> stage.label.text("zh"), stage.probability, stage.check({"budget_confirmed": True}).passed
    ('有效客户', 0.25, True)

    Owners and actions are bilingual like labels:

    >>> stage = Stage("target", owner={"en": "account manager", "zh": "客户经理"},
    ...               actions=[{"en": "Visit the customer", "zh": "上门拜访"}, "Call"])
    >>> stage.owner.text("zh"), [a.text("zh") for a in stage.actions]
    ('客户经理', ['上门拜访', 'Call'])

    Aliases are the names a CRM export uses:

    >>> Stage("won", kind="won", aliases=["Closed Won", "closedwon"]).aliases
    ('Closed Won', 'closedwon')
    """

    name: str
    label: Labels = attrs.field(default=None, converter=to_labels)
    kind: StageKind = attrs.field(default=StageKind.OPEN, converter=_to_kind)
    probability: float | None = attrs.field(default=None, converter=_to_probability)
    gates: tuple[Gate, ...] = attrs.field(default=(), converter=as_gates)
    owner: Labels | None = attrs.field(default=None, converter=_to_owner)
    actions: tuple[Labels, ...] = attrs.field(default=(), converter=_to_actions)
    description: Labels = attrs.field(default=None, converter=to_labels)
    aliases: tuple[str, ...] = attrs.field(default=(), converter=_to_aliases)

    def __attrs_post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise DefinitionError(problems, subject=f"stage {self.name!r}")
        if self.probability is None and self.kind is not StageKind.OPEN:
            object.__setattr__(self, "probability", 1.0 if self.kind is StageKind.WON else 0.0)
        if not self.label:
            object.__setattr__(self, "label", Labels({"en": self.name}))

    def problems(self) -> list[str]:
        """Every problem with this stage's own fields (empty when valid)."""
        out: list[str] = []
        if not isinstance(self.name, str) or not SLUG.match(self.name):
            out.append(
                f"stage name {self.name!r} is not a slug (lowercase letters, digits, '-', '_')"
            )
        for value in (self.kind, self.probability, self.owner, self.aliases, *self.actions):
            if isinstance(value, _Invalid):
                out.append(value.message)
        p = None if isinstance(self.probability, _Invalid) else self.probability
        if p is not None and not 0.0 <= p <= 1.0:
            out.append(f"probability of stage {self.name!r} is {p!r}; expected a value in [0, 1]")
        if p is not None and self.kind is StageKind.WON and p != 1.0:
            out.append(f"WON stage {self.name!r} has probability {p!r}; expected 1")
        if p is not None and self.kind is StageKind.LOST and p != 0.0:
            out.append(f"LOST stage {self.name!r} has probability {p!r}; expected 0")
        return out

    @property
    def is_open(self) -> bool:
        """True for an open (non-terminal) stage."""
        return self.kind is StageKind.OPEN

    @property
    def is_terminal(self) -> bool:
        """True for WON and LOST stages."""
        return self.kind is not StageKind.OPEN

    def check(self, subject: Any) -> GateResult:
        """Evaluate every gate of this stage on ``subject``; all must pass."""
        failed: list[str] = []
        for gate in self.gates:
            failed.extend(gate.failures(subject))
        return GateResult(self.name, not failed, tuple(failed))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; :meth:`from_dict` rebuilds an equal stage."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind.value}
        if self.label != {"en": self.name}:
            out["label"] = self.label.to_dict()
        if self.probability is not None:
            out["probability"] = self.probability
        if self.gates:
            out["gates"] = [g.to_dict() for g in self.gates]
        if self.owner is not None:
            out["owner"] = _plain(self.owner)
        if self.actions:
            out["actions"] = [_plain(a) for a in self.actions]
        if self.description:
            out["description"] = self.description.to_dict()
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, gates: Mapping[str, Any] | None = None
    ) -> Stage:
        """Rebuild a stage from :meth:`to_dict` output (``gates``: callables by name)."""
        if not isinstance(data, Mapping) or "name" not in data:
            raise DefinitionError(f"a stage is a mapping with a 'name'; got {data!r}")
        known = {"name", "label", "kind", "probability", "gates", "owner", "actions",
                 "description", "aliases"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise DefinitionError(
                f"unknown keys {unknown} in stage {data['name']!r}; expected some of "
                f"{sorted(known)}"
            )
        raw_gates = data.get("gates")
        if raw_gates is None:  # absent or null: no gates
            raw_gates = ()
        elif isinstance(raw_gates, str | Mapping):
            raw_gates = (raw_gates,)
        elif not isinstance(raw_gates, list | tuple):
            raise DefinitionError(
                f"the 'gates' of stage {data['name']!r} must be a list of gate mappings "
                f"(see Gate.to_dict) or null; got {raw_gates!r}"
            )
        return cls(
            name=data["name"],
            label=data.get("label"),
            kind=data.get("kind", "open"),
            probability=data.get("probability"),
            gates=tuple(Gate.from_dict(g, refs=gates) for g in raw_gates),
            owner=data.get("owner"),
            actions=data.get("actions", ()),
            description=data.get("description"),
            aliases=data.get("aliases", ()),
        )
