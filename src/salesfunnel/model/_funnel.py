"""The funnel definition: stages and the transition policy between them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from salesfunnel._display._chart import FunnelData
from salesfunnel._display._format import MISSING, format_pct
from salesfunnel._display._result import Part, Viewable
from salesfunnel._display._table import Table
from salesfunnel._util._i18n import check_lang, word
from salesfunnel._util._suggest import closest, listing
from salesfunnel.errors import (
    DefinitionError,
    FunnelError,
    InvalidParameterError,
    RuleSyntaxError,
)
from salesfunnel.model._diagram import to_dot, to_mermaid
from salesfunnel.model._gate import Gate, as_gates
from salesfunnel.model._labels import Labels, to_labels
from salesfunnel.model._stage import SLUG, Stage, StageKind

if TYPE_CHECKING:  # pragma: no cover
    from salesfunnel.model._hooks import Hooks
    from salesfunnel.model._journey import Journey

__all__ = ["Funnel", "Transition"]

# Kinds of move, as recorded on a transition and listed by Funnel.moves().
ADVANCE, SKIP, FALL_BACK, LOSE, REENTER, EXPLICIT = (
    "advance", "skip", "fall_back", "lose", "reenter", "explicit",
)

@attrs.frozen
class Transition:
    """An extra transition beyond the funnel's policy, with gates of its own.

    Examples
    --------
    >>> Transition("lost", "qualified", gates="budget_confirmed").target
    'qualified'
    """

    source: str
    target: str
    gates: tuple[Gate, ...] = attrs.field(default=(), converter=as_gates)
    label: Labels = attrs.field(default=None, converter=to_labels)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        out: dict[str, Any] = {"source": self.source, "target": self.target}
        if self.gates:
            out["gates"] = [g.to_dict() for g in self.gates]
        if self.label:
            out["label"] = self.label.to_dict()
        return out


def _iterable(value: Any, what: str, expected: str) -> Any:
    """``value`` when it is a list-like of items, else a :class:`DefinitionError`."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise DefinitionError(f"{what} must be a sequence of {expected}; got "
                              f"{type(value).__name__} {value!r}")
    return value


def _to_stages(value: Any) -> tuple[Stage, ...]:
    out = []
    for item in _iterable(value, "stages", "Stage objects or names"):
        if isinstance(item, Stage):
            out.append(item)
        elif isinstance(item, str):
            out.append(Stage(item))
        else:
            raise DefinitionError(f"stages are Stage objects or names; got {item!r}")
    return tuple(out)


def _to_transitions(value: Any) -> tuple[Transition, ...]:
    out = []
    for item in _iterable(value or (), "transitions", "Transition objects or pairs"):
        if isinstance(item, Transition):
            out.append(item)
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            out.append(Transition(item[0], item[1]))
        else:
            raise DefinitionError(
                f"transitions are Transition objects or (source, target) pairs; got {item!r}"
            )
    return tuple(out)


@attrs.frozen(eq=True)
class Funnel(Viewable):
    """An immutable funnel: ordered stages and the policy for moving between them.

    Stages come in order: the open stages of the main path, then exactly one WON
    stage, then any LOST stages. A deal may always advance to the next stage; the
    flags allow more.

    Parameters
    ----------
    name : str
        Slug naming the funnel.
    stages : sequence of Stage or str
        Open stages in main-path order, the WON stage, then LOST stages.
    skip_ahead : bool
        Allow jumping forward past stages (the target's gates still apply).
    fall_back : bool
        Allow moving back to an earlier open stage.
    can_lose : bool
        Allow losing a deal from any open stage (default ``True``).
    reentry : str, optional
        For cyclic funnels: the stage a WON deal re-enters at (e.g. the loyalty loop
        that skips consideration). ``None`` means a WON deal stays won.
    expanding : bool
        Counts may grow down the funnel (influence funnels: referrals add people).
    transitions : sequence of Transition or ``(source, target)`` pairs
        Extra transitions, each with optional gates of its own.
    label, description : str or mapping, optional
        Display text and an explanation (where the model comes from), per language.

    Raises
    ------
    DefinitionError
        Listing every problem found: duplicate or unknown stage names, no or several
        WON stages, stages out of order, probabilities outside [0, 1] or decreasing
        along the main path, unreachable stages, open stages with no way out.

    Examples
    --------
    >>> funnel = Funnel("deals", [
    ...     Stage("lead", probability=0.1),
    ...     Stage("qualified", probability=0.3, gates="budget >= 10000"),
    ...     Stage("won", kind="won"),
    ...     Stage("lost", kind="lost"),
    ... ])
    >>> funnel.allowed("lead")
    ('qualified', 'lost')
    >>> deal = funnel.start({"budget": 50000}, at="2026-01-05T09:00:00+00:00")
    >>> deal.advance(at="2026-01-20T09:00:00+00:00").stage
    'qualified'
    """

    name: str
    stages: tuple[Stage, ...] = attrs.field(converter=_to_stages)
    skip_ahead: bool = False
    fall_back: bool = False
    can_lose: bool = True
    reentry: str | None = None
    expanding: bool = False
    transitions: tuple[Transition, ...] = attrs.field(default=(), converter=_to_transitions)
    label: Labels = attrs.field(default=None, converter=to_labels)
    description: Labels = attrs.field(default=None, converter=to_labels)
    _index: dict[str, int] = attrs.field(init=False, eq=False, repr=False)
    _moves: dict[str, dict[str, str]] = attrs.field(init=False, eq=False, repr=False)
    _gates: dict[tuple[str, str], tuple[Gate, ...]] = attrs.field(
        init=False, eq=False, repr=False
    )
    _advance_steps: dict[str, tuple[str, tuple[Callable[[Any], bool], ...]]] = attrs.field(
        init=False, eq=False, repr=False
    )
    _gate_tests: dict[tuple[str, str], tuple[Callable[[Any], bool], ...]] = attrs.field(
        init=False, eq=False, repr=False
    )
    # (source, target) -> (the fields' names when none is dotted, else None; (name,
    # getter) per field): what a journey records as the facts of that move.
    _fact_plan: dict[tuple[str | None, str], tuple[tuple[str, ...] | None,
                                                   tuple[tuple[str, Callable[[Any], Any]], ...]]
                     ] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise DefinitionError(problems, subject=f"funnel {self.name!r}")
        index = {s.name: i for i, s in enumerate(self.stages)}
        moves = self._build_moves(index)
        gates: dict[tuple[str, str], tuple[Gate, ...]] = {}
        for source, targets in moves.items():
            for target in targets:
                extra = tuple(
                    g for t in self.transitions
                    if t.source == source and t.target == target for g in t.gates
                )
                gates[(source, target)] = self.stages[index[target]].gates + extra
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_moves", moves)
        object.__setattr__(self, "_gates", gates)
        nxt = {s.name: self.stages[i + 1].name for i, s in enumerate(self.stages) if s.is_open}
        tests = {pair: tuple(g._test for g in gs) for pair, gs in gates.items()}
        object.__setattr__(self, "_gate_tests", tests)
        steps = {source: (target, tests[(source, target)]) for source, target in nxt.items()}
        object.__setattr__(self, "_advance_steps", steps)
        # What a journey records as the facts of a move: the fields its gates read.
        readers: dict[tuple[str | None, str], tuple[tuple[str, Callable[[Any], Any]], ...]] = {}
        pairs = [*gates.items(), *(((None, s.name), s.gates) for s in self.stages)]
        for pair, gs in pairs:
            unique = {name: get for g in gs for name, get in g._readers()}
            readers[pair] = tuple(sorted(unique.items()))
        canonical: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per field list
        plan = {pair: (canonical.setdefault(tuple(name for name, _ in rs),
                                            tuple(name for name, _ in rs))
                       if all("." not in name for name, _ in rs) else None, rs)
                for pair, rs in readers.items()}
        object.__setattr__(self, "_fact_plan", plan)

    # -- validation -----------------------------------------------------------------------
    def _problems(self) -> list[str]:
        problems: list[str] = []
        if not isinstance(self.name, str) or not SLUG.match(self.name):
            problems.append(
                f"funnel name {self.name!r} is not a slug (lowercase letters, digits, '-', '_')"
            )
        for flag in ("skip_ahead", "fall_back", "can_lose", "expanding"):
            value = getattr(self, flag)
            if not isinstance(value, bool):
                problems.append(f"{flag} must be True or False; got {value!r}")
        names = [s.name for s in self.stages]
        seen: set[str] = set()
        for n in names:
            if n in seen:
                problems.append(f"stage {n!r} is listed more than once")
            seen.add(n)
        kinds = [s.kind for s in self.stages]
        n_open = kinds.count(StageKind.OPEN)
        n_won = kinds.count(StageKind.WON)
        if n_open == 0:
            problems.append("a funnel needs at least one OPEN stage")
        if n_won != 1:
            won = [s.name for s in self.stages if s.kind is StageKind.WON]
            problems.append(f"a funnel needs exactly one WON stage; got {len(won)}: {won}")
        order = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
        for prev, cur in zip(self.stages, self.stages[1:], strict=False):
            if order[cur.kind] < order[prev.kind]:
                problems.append(
                    f"stage {cur.name!r} ({cur.kind.value}) comes after {prev.name!r} "
                    f"({prev.kind.value}); expected open stages, then the WON stage, then "
                    "LOST stages"
                )
        last: tuple[str, float] | None = None
        for s in self.stages:
            if s.kind is StageKind.LOST or s.probability is None:
                continue
            if last is not None and s.probability < last[1]:
                problems.append(
                    f"probability decreases along the main path: {last[0]!r} has {last[1]:g} "
                    f"but later stage {s.name!r} has {s.probability:g}"
                )
            last = (s.name, s.probability)
        lost = [s.name for s in self.stages if s.kind is StageKind.LOST]
        if self.reentry is not None:
            if not isinstance(self.reentry, str) or self.reentry not in seen:
                problems.append(f"reentry stage {self.reentry!r} is not a stage of the funnel")
            elif self.reentry in lost or any(
                s.kind is StageKind.WON for s in self.stages if s.name == self.reentry
            ):
                problems.append(f"reentry stage {self.reentry!r} must be an OPEN stage")
        for t in self.transitions:
            for end, label in ((t.source, "source"), (t.target, "target")):
                if not isinstance(end, str) or end not in seen:
                    problems.append(
                        f"transition {t.source!r} -> {t.target!r}: {label} {end!r} is not a "
                        f"stage (stages: {', '.join(closest(str(end), names))})"
                    )
            if t.source == t.target:
                problems.append(f"transition {t.source!r} -> {t.target!r} goes nowhere")
        if problems:
            return problems
        index = {n: i for i, n in enumerate(names)}
        moves = self._build_moves(index)
        reached = {names[0]}
        frontier = [names[0]]
        while frontier:
            for target in moves[frontier.pop()]:
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        for n in names:
            if n not in reached:
                problems.append(f"stage {n!r} cannot be reached from {names[0]!r}")
        for s in self.stages:
            if s.kind is StageKind.OPEN and not moves[s.name]:
                problems.append(f"open stage {s.name!r} has no way out")
        return problems

    def _build_moves(self, index: Mapping[str, int]) -> dict[str, dict[str, str]]:
        stages = self.stages
        won = next(i for i, s in enumerate(stages) if s.kind is StageKind.WON)
        lost = [s.name for s in stages if s.kind is StageKind.LOST]
        moves: dict[str, dict[str, str]] = {s.name: {} for s in stages}
        for i, s in enumerate(stages):
            out = moves[s.name]
            if s.kind is StageKind.OPEN:
                out[stages[i + 1].name] = ADVANCE
                if self.skip_ahead:
                    for j in range(i + 2, won + 1):
                        out[stages[j].name] = SKIP
                if self.fall_back:
                    for j in range(i):
                        out[stages[j].name] = FALL_BACK
                if self.can_lose:
                    for name in lost:
                        out[name] = LOSE
            elif s.kind is StageKind.WON and self.reentry is not None:
                out[self.reentry] = REENTER
        for t in self.transitions:
            moves[t.source].setdefault(t.target, EXPLICIT)
        for name, out in moves.items():
            moves[name] = dict(sorted(out.items(), key=lambda kv: index[kv[0]]))
        return moves

    # -- lookups --------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """Stage names in order."""
        return tuple(s.name for s in self.stages)

    @property
    def path(self) -> tuple[Stage, ...]:
        """The open stages followed by the WON stage (the main path)."""
        return self.stages[: self.won_index + 1]

    @property
    def won_index(self) -> int:
        """Index of the WON stage (also the last index of the main path)."""
        return next(i for i, s in enumerate(self.stages) if s.kind is StageKind.WON)

    @property
    def won(self) -> Stage:
        """The WON stage."""
        return self.stages[self.won_index]

    @property
    def lost(self) -> tuple[Stage, ...]:
        """The LOST stages (possibly none)."""
        return self.stages[self.won_index + 1 :]

    @property
    def cyclic(self) -> bool:
        """True when won deals re-enter the funnel."""
        return self.reentry is not None

    @property
    def probabilities(self) -> np.ndarray:
        """Win probability per stage as float64 (NaN where not estimated)."""
        return np.array(
            [np.nan if s.probability is None else s.probability for s in self.stages],
            dtype=np.float64,
        )

    def index(self, stage: str | Stage) -> int:
        """Position of ``stage`` in :attr:`stages`.

        Raises
        ------
        InvalidParameterError
            If there is no such stage; the message lists the stages, closest first.
        """
        name = stage.name if isinstance(stage, Stage) else stage
        try:
            return self._index[name]
        except (KeyError, TypeError):
            options = listing(name, self.names)
            raise InvalidParameterError(
                f"funnel {self.name!r} has no stage {name!r}; expected one of: {options}",
                parameter="stage",
                value=name,
            ) from None

    def stage(self, name: str) -> Stage:
        """The stage called ``name`` (see :meth:`index` for errors)."""
        return self.stages[self.index(name)]

    def allowed(self, from_stage: str) -> tuple[str, ...]:
        """Stage names a deal at ``from_stage`` may move to, in funnel order."""
        self.index(from_stage)
        return tuple(self._moves[from_stage])

    def moves(self, from_stage: str) -> dict[str, str]:
        """Legal targets of ``from_stage`` with the kind of each move.

        Kinds: ``"advance"``, ``"skip"``, ``"fall_back"``, ``"lose"``, ``"reenter"``,
        ``"explicit"``.
        """
        self.index(from_stage)
        return dict(self._moves[from_stage])

    def gates_for(self, from_stage: str | None, to_stage: str) -> tuple[Gate, ...]:
        """Gates checked when moving from ``from_stage`` (``None``: starting) to ``to_stage``."""
        if from_stage is None:
            return self.stage(to_stage).gates
        return self._gates.get((from_stage, to_stage), self.stage(to_stage).gates)

    # -- journeys ---------------------------------------------------------------------------
    def start(
        self,
        subject: Any = None,
        *,
        at: datetime | str | None = None,
        stage: str | None = None,
        id: Any = None,
        actor: str | None = None,
        force: bool = False,
        reason: str | None = None,
        clock: Callable[[], datetime] | None = None,
        hooks: Hooks | None = None,
    ) -> Journey:
        """Start tracking a deal or lead in this funnel.

        See :class:`~salesfunnel.Journey` for the parameters; ``stage`` defaults to
        the first stage and must be open. Its gates apply unless ``force=True``.
        ``hooks`` (:class:`~salesfunnel.Hooks`) run around this start and every later
        change: ``before``, ``enter`` and ``after`` fire for the start itself.
        """
        from salesfunnel.model._journey import Journey

        return Journey._begin(
            self, subject, at=at, stage=stage, id=id, actor=actor, force=force,
            reason=reason, clock=clock, hooks=hooks,
        )

    # -- presentation and serialisation -------------------------------------------------------
    def describe(self, lang: str = "en") -> str:
        """A readable multi-line description: stages, probabilities, owners, gates and
        recommended actions, in English or Chinese (``lang="zh"``).

        Examples
        --------
        >>> f = Funnel("mini", [Stage("lead", probability=0.2, owner="SDR", actions="call"),
        ...                     Stage("demo", gates="contact is set"),
        ...                     Stage("won", kind="won")])
        >>> print(f.describe())
        mini
          1. lead  20.0%  owner: SDR
               action: call
          2. demo  —
               gate: contact is set
          3. won  100.0%  [won]
        transitions: advance, lose from any open stage
        """
        def w(key: str) -> str:
            return word(f"funnel.{key}", lang)

        lines = [self.label.text(lang) or self.name]
        desc = self.description.text(lang)
        if desc:
            lines.append(desc)
        for i, s in enumerate(self.stages, 1):
            prob = f"  {MISSING}" if s.probability is None else f"  {format_pct(s.probability)}"
            kind = "" if s.is_open else f"  [{w(s.kind.value)}]"
            owner = f"  {w('owner')}: {s.owner.text(lang)}" if s.owner else ""
            lines.append(f"  {i}. {s.label.text(lang)}{prob}{owner}{kind}")
            stage_desc = s.description.text(lang)
            if stage_desc:
                lines.append(f"       {stage_desc}")
            lines.extend(f"       {w('gate')}: {g.describe(lang)}" for g in s.gates)
            lines.extend(f"       {w('action')}: {a.text(lang)}" for a in s.actions)
        lines.append(f"{w('transitions')}: {self._policy(lang)}")
        return "\n".join(lines)

    def _policy(self, lang: str) -> str:
        """The moves allowed, in one line (the last line of :meth:`describe`)."""
        policy = [word("funnel.advance", lang)]
        for flag in ("skip_ahead", "fall_back", "can_lose", "expanding"):
            if getattr(self, flag):
                policy.append(word(f"funnel.{flag}", lang))
        if self.reentry is not None:
            policy.append(word("funnel.reentry", lang).format(
                self.stage(self.reentry).label.text(lang)))
        if self.transitions:
            policy.append(word("funnel.extra", lang)
                          + ", ".join(f"{t.source}->{t.target}" for t in self.transitions))
        return word("funnel.sep", lang).join(policy)

    def to_mermaid(self, lang: str = "en") -> str:
        """The funnel as a Mermaid flowchart (paste it into Markdown that renders Mermaid).

        Open stages sit in one group; the main path is drawn with solid arrows labelled
        with the gates checked on each move; losing (from any open stage), re-entry after
        WON and extra transitions are dashed; WON and LOST stages are styled; the
        skip-ahead and fall-back policy is a note.

        Examples
        --------
        >>> f = Funnel("mini", [Stage("lead", gates="budget > 0"),
        ...                     Stage("demo", gates="budget > 0"),
        ...                     Stage("won", kind="won"), Stage("lost", kind="lost")])
        >>> print(f.to_mermaid())
        flowchart TD
            %% mini
            subgraph open_stages ["open stages"]
                s0["lead"]
                s1["demo"]
            end
            s2(["won"]):::won
            s3[/"lost"/]:::lost
            s0 -->|"budget > 0"| s1
            s1 --> s2
            open_stages -.->|"lose"| s3
            policy>"advance"]:::policy
            classDef won fill:#d8f3dc,stroke:#2f855a,stroke-width:2px
            classDef lost fill:#fde2e1,stroke:#9b2c2c
            classDef policy fill:#fffbea,stroke:#f0b429
        <BLANKLINE>
        """
        return to_mermaid(self, check_lang(lang))

    def to_dot(self, lang: str = "en") -> str:
        """The funnel as a Graphviz DOT digraph (``dot -Tsvg``), drawn like :meth:`to_mermaid`.

        Examples
        --------
        >>> f = Funnel("mini", [Stage("lead"), Stage("won", kind="won"),
        ...                     Stage("lost", kind="lost")], skip_ahead=True)
        >>> dot = f.to_dot()
        >>> dot.startswith('digraph "mini" {') and "s0 -> s1;" in dot
        True
        >>> 's0 -> s2 [label="lose", style=dashed, ltail=cluster_open];' in dot
        True
        """
        return to_dot(self, check_lang(lang))

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        """The funnel's shape (with win probabilities) and a table of its stages.

        Examples
        --------
        >>> f = Funnel("mini", [Stage("lead", probability=0.2, owner="SDR",
        ...                           gates="budget > 0"), Stage("won", kind="won")])
        >>> chart, stages = f._display_parts("en")
        >>> chart.note, stages.headers[1:3], stages.rows[0][-1]
        (('20.0%', '100.0%'), ('stage', 'name'), 'budget > 0')
        """
        path = self.path
        n = len(path)
        # A schematic shape: equal steps down (or up for an expanding funnel).
        shape = np.linspace(1.0, 0.35, n) if n > 1 else np.ones(1)
        if self.expanding:
            shape = shape[::-1].copy()
        title = self.label.text(lang) or self.name
        chart = FunnelData(
            [s.label.text(lang) for s in path], shape, title=title,
            note=["" if s.probability is None else format_pct(s.probability) for s in path],
        )
        rows = [
            [str(i), s.label.text(lang), s.name, word(f"kind.{s.kind.value}", lang),
             "" if s.probability is None else format_pct(s.probability),
             s.owner.text(lang) if s.owner else "",
             "; ".join(g.describe(lang) for g in s.gates)]
            for i, s in enumerate(self.stages, 1)
        ]
        desc = self.description.text(lang)
        headers = ["#", *(word(k, lang) for k in ("stage", "name", "kind", "win prob", "owner",
                                                   "gates"))]
        table = Table(title + (f"\n{desc}" if desc else ""), headers, rows,
                      notes=[f"{word('funnel.transitions', lang)}: {self._policy(lang)}"],
                      align="><<<><<")
        return chart, table

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; ``Funnel.from_dict(f.to_dict()) == f``.

        Gates built from callables serialize as ``{"ref": name}``; pass the callables to
        :meth:`from_dict` by name.
        """
        out: dict[str, Any] = {
            "name": self.name,
            "stages": [s.to_dict() for s in self.stages],
        }
        for flag in ("skip_ahead", "fall_back", "expanding"):
            if getattr(self, flag):
                out[flag] = True
        if not self.can_lose:
            out["can_lose"] = False
        if self.reentry is not None:
            out["reentry"] = self.reentry
        if self.transitions:
            out["transitions"] = [t.to_dict() for t in self.transitions]
        if self.label:
            out["label"] = self.label.to_dict()
        if self.description:
            out["description"] = self.description.to_dict()
        return out

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, gates: Mapping[str, Any] | None = None
    ) -> Funnel:
        """Rebuild a funnel from :meth:`to_dict` output.

        Parameters
        ----------
        data : mapping
            The serialized funnel (e.g. loaded from JSON).
        gates : mapping of str to callable, optional
            Callables for gates serialized by reference.

        Raises
        ------
        DefinitionError
            Listing every problem with the data: its shape, unknown keys, and each
            malformed stage, gate (rule syntax errors included), label or transition.
            Once all of that is well formed, the funnel's own checks (order,
            reachability, probabilities, ...) run and report every problem they find.
        """
        if not isinstance(data, Mapping):
            raise DefinitionError(f"a funnel is a mapping; got {type(data).__name__}")
        known = {"name", "stages", "skip_ahead", "fall_back", "can_lose", "reentry",
                 "expanding", "transitions", "label", "description"}
        problems: list[str] = []
        unknown = sorted(set(data) - known)
        if unknown:
            problems.append(f"unknown keys {unknown}; expected some of {sorted(known)}")
        if "name" not in data or "stages" not in data:
            problems.append("a funnel needs 'name' and 'stages'")
        stages: list[Stage] = []
        stand_ins = True  # can every broken stage be stood in for by its name and kind?
        for i, raw in enumerate(_listed(data, "stages", problems)):
            try:
                stages.append(Stage.from_dict(raw, gates=gates))
                continue
            except DefinitionError as exc:
                problems.extend(exc.problems)
            except (InvalidParameterError, RuleSyntaxError) as exc:
                problems.append(f"stage {i} ({_name_of(raw)}): {exc}")
            stand_in = _stand_in(raw)
            stand_ins = stand_ins and stand_in is not None
            if stand_in is not None:
                stages.append(stand_in)
        transitions: list[Transition] = []
        for raw in _listed(data, "transitions", problems):
            try:
                if not isinstance(raw, Mapping) or not {"source", "target"} <= set(raw):
                    raise DefinitionError("expected a mapping with 'source' and 'target'")
                transitions.append(
                    Transition(
                        raw["source"], raw["target"],
                        gates=tuple(Gate.from_dict(g, refs=gates)
                                    for g in _listed(raw, "gates", problems)),
                        label=raw.get("label"),
                    )
                )
            except (DefinitionError, InvalidParameterError, RuleSyntaxError) as exc:
                detail = "; ".join(exc.problems) if isinstance(exc, DefinitionError) else exc
                problems.append(f"bad transition {raw!r}: {detail}")
                stand_ins = False  # without it, reachability would report false problems
        if problems and stand_ins and isinstance(data.get("name"), str):
            # Broken stages stand in by name and kind, so the funnel-wide checks (order,
            # duplicates, reachability, ...) report their problems in the same error.
            try:
                cls(name=data["name"], stages=stages, skip_ahead=data.get("skip_ahead", False),
                    fall_back=data.get("fall_back", False), can_lose=data.get("can_lose", True),
                    reentry=data.get("reentry"), expanding=data.get("expanding", False),
                    transitions=transitions)
            except DefinitionError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
            except FunnelError:
                pass  # shape problems of the funnel itself are already listed
        if problems:
            raise DefinitionError(problems, subject=f"funnel {data.get('name')!r}")
        try:
            return cls(
                name=data["name"],
                stages=stages,
                skip_ahead=data.get("skip_ahead", False),
                fall_back=data.get("fall_back", False),
                can_lose=data.get("can_lose", True),
                reentry=data.get("reentry"),
                expanding=data.get("expanding", False),
                transitions=transitions,
                label=data.get("label"),
                description=data.get("description"),
            )
        except InvalidParameterError as exc:  # a malformed funnel label or description
            raise DefinitionError(str(exc), subject=f"funnel {data.get('name')!r}") from None


def _stand_in(raw: Any) -> Stage | None:
    """A bare stage with the name and kind of a malformed stage mapping, if those are valid."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        return None
    try:
        stand_in = Stage(raw["name"], kind=raw.get("kind", "open"))
    except FunnelError:
        return None
    return stand_in


def _listed(data: Mapping[str, Any], key: str, problems: list[str]) -> Sequence[Any]:
    """``data[key]`` when it is a list (missing: empty); else a problem is noted."""
    value = data.get(key, ())
    if isinstance(value, list | tuple):
        return value
    problems.append(f"{key!r} must be a list; got {type(value).__name__} {value!r}")
    return ()


def _name_of(raw: Any) -> str:
    return repr(raw.get("name")) if isinstance(raw, Mapping) else repr(raw)
