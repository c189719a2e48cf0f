"""A Hypothesis state machine that drives a journey with legal and illegal operations."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, ClassVar

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from salesfunnel._util._time import NS_PER_DAY, NS_PER_S
from salesfunnel.errors import FunnelError, GateError, GateFailed, InvalidParameterError
from salesfunnel.model import Funnel, Journey, StageKind, TransitionRecord
from salesfunnel.testing._invariants import assert_journey_invariants
from salesfunnel.testing._strategies import _LOSS_REASONS, funnels, instants, subjects
from salesfunnel.testing._validation import check_funnel

__all__ = ["JourneyMachine", "journey_machine"]

_ACCEPTS = {
    "advance": frozenset({"advance", "skip", "explicit"}),
    "regress": frozenset({"fall_back", "explicit"}),
    "lose": frozenset({"lose", "explicit"}),
    "reenter": frozenset({"reenter", "explicit"}),
}
_GAPS = st.one_of(
    st.just(timedelta(0)),
    st.integers(1, 30 * NS_PER_DAY // NS_PER_S).map(lambda s: timedelta(seconds=s)),
)
_REASONS = st.sampled_from((*_LOSS_REASONS, "", "  ", None))


class JourneyMachine(RuleBasedStateMachine):
    """Drive one journey with random legal and illegal operations, checking every step.

    Operations: ``advance`` (to the next stage or any named one), ``regress``,
    ``lose``, ``reenter``, ``update`` (subject edits), forced moves with and without a
    reason, unknown stage names and times that go backwards. An independent oracle,
    written from the funnel's policy (:meth:`Funnel.moves`, the gates, the clock), says
    whether each operation must succeed; after every step the machine checks that

    - a refused operation raised a :class:`~salesfunnel.FunnelError` and left stage,
      history, version and subject unchanged;
    - an accepted one appended exactly one record describing it (with the facts its
      gates read) and bumped the version by one;
    - ``update`` records one :class:`~salesfunnel.SubjectEdit` with every field's old
      and new value and bumps the version, or is refused (a time before the last
      change) and changes nothing;
    - the outcome matches the oracle;
    - :func:`~salesfunnel.testing.assert_journey_invariants` holds.

    To test your own funnel, subclass it and set the class attribute ``funnel``, then
    expose its ``TestCase`` to pytest or unittest (or use :func:`journey_machine`)::

        class MyFunnelMachine(JourneyMachine):
            funnel = my_funnel()

        TestMyFunnel = MyFunnelMachine.TestCase
        TestMyFunnel.settings = settings(max_examples=50, stateful_step_count=30)

    With ``funnel = None`` (the default) every run draws a funnel from
    :func:`~salesfunnel.testing.funnels`.

    Attributes
    ----------
    funnel : Funnel or None
        Class attribute: the funnel under test.
    journey : Journey or None
        The journey being driven (``None`` until the machine starts it).

    Examples
    --------
    >>> from hypothesis import settings
    >>> from salesfunnel import Funnel, Stage
    >>> from hypothesis.stateful import run_state_machine_as_test
    >>> class Deals(JourneyMachine):
    ...     funnel = Funnel("deals", [Stage("lead"), Stage("demo", gates="contact is set"),
    ...                               Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> run_state_machine_as_test(Deals, settings=settings(max_examples=5,
    ...                           stateful_step_count=10, deadline=None))
    """

    funnel: ClassVar[Funnel | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.journey: Journey | None = None

    # -- set-up -------------------------------------------------------------------------------
    @initialize(data=st.data())
    def start_journey(self, data: st.DataObject) -> None:
        """Start a journey at an open stage, forcing it in when the start is gated."""
        funnel = self.journey.funnel if self.journey is not None else type(self).funnel
        if funnel is None:
            funnel = data.draw(funnels(max_stages=6), label="funnel")
        else:
            funnel = check_funnel("JourneyMachine.funnel", funnel)
        subject = data.draw(
            st.one_of(subjects(funnel), subjects(funnel, satisfying=funnel.won.name)),
            label="subject",
        )
        open_names = [s.name for s in funnel.stages if s.is_open]
        stage = data.draw(st.sampled_from(open_names), label="start stage")
        at = data.draw(instants(), label="at")
        expect_ok, why = _gates_pass(funnel.gates_for(None, stage), subject)
        try:
            journey = funnel.start(subject, at=at, stage=stage, id="machine")
        except (GateFailed, GateError) as exc:
            assert not expect_ok, f"start at {stage!r} refused ({exc}) though its gates pass"
            journey = funnel.start(subject, at=at, stage=stage, id="machine", force=True,
                                   reason="forced in by JourneyMachine")
        else:
            assert expect_ok, f"start at {stage!r} accepted though {why}"
        self.journey = journey

    # -- helpers ------------------------------------------------------------------------------
    def _journey(self) -> Journey:
        assert self.journey is not None
        return self.journey

    def _draw_target(self, data: st.DataObject, op: str, *, optional: bool) -> str | None:
        """Mostly a target the funnel allows for ``op``, sometimes any stage or none."""
        journey = self._journey()
        funnel = journey.funnel
        legal = sorted(t for t, k in funnel.moves(journey.stage).items() if k in _ACCEPTS[op])
        choices: list[st.SearchStrategy[str | None]] = [st.sampled_from(funnel.names)]
        if legal:
            choices.insert(0, st.sampled_from(legal))
        if optional:
            choices.append(st.none())
        target: str | None = data.draw(st.one_of(choices), label="to")
        return target

    def _draw_time(self, data: st.DataObject, *, backwards: bool = False) -> datetime:
        last = self._journey().updated_at
        gap = data.draw(_GAPS, label="gap")
        if backwards:
            return last - max(gap, timedelta(seconds=1))
        return last + gap

    def _attempt(self, op: str, to: str | None, *, at: datetime, reason: str | None,
                 force: bool) -> None:
        """Run one operation and compare what happened with the oracle."""
        journey = self._journey()
        before = (journey.stage, journey.version, journey.history, repr(journey.subject),
                  journey.edits)
        expected = _oracle(journey, op, to, at=at, reason=reason, force=force)
        call = f"{op}(to={to!r}, force={force}, reason={reason!r}) at stage {journey.stage!r}"
        try:
            if op == "advance":
                journey.advance(to, at=at, reason=reason, force=force, actor="machine")
            elif op == "regress":
                assert to is not None
                journey.regress(to, at=at, reason=reason, force=force, actor="machine")
            elif op == "lose":
                journey.lose(reason, to=to, at=at, force=force, actor="machine")  # type: ignore[arg-type]
            else:
                journey.reenter(to, at=at, reason=reason, force=force, actor="machine")
        except FunnelError as exc:
            after = (journey.stage, journey.version, journey.history,
                     repr(journey.subject), journey.edits)
            event(f"{op}: refused ({type(exc).__name__})")
            assert after == before, f"refused {call} changed the journey: {exc}"
            assert expected.target is None, (
                f"{call} was refused ({type(exc).__name__}: {exc}), but the funnel allows a "
                f"move to {expected.target!r}"
            )
            return
        event(f"{op}: accepted ({expected.kind})")
        assert expected.target is not None, f"{call} was accepted, but {expected.why}"
        assert journey.version == before[1] + 1, (
            f"{call} changed the version from {before[1]} to {journey.version}; expected +1"
        )
        assert journey.history[:-1] == before[2], f"{call} rewrote earlier history records"
        record = journey.history[-1]
        want = TransitionRecord(before[0], expected.target, at, "machine",
                                reason, force, expected.kind, record.facts)
        assert record == want, f"{call} recorded {record!r}; expected {want!r}"
        facts = _expected_facts(journey.funnel.gates_for(before[0], expected.target),
                                journey.subject)
        assert record.to_dict()["facts"] == facts, (
            f"{call} recorded facts {dict(record.facts)!r}; its gates read {facts!r}")
        assert journey.stage == expected.target
        assert journey.edits == before[4], f"{call} changed the edits"

    # -- rules --------------------------------------------------------------------------------
    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """Advance to the next stage or to any named stage (skip-ahead when allowed)."""
        to = self._draw_target(data, "advance", optional=True)
        self._attempt("advance", to, at=self._draw_time(data), reason=None, force=False)

    @rule(data=st.data())
    def regress(self, data: st.DataObject) -> None:
        """Fall back to any named stage."""
        to = self._draw_target(data, "regress", optional=False)
        self._attempt("regress", to, at=self._draw_time(data), reason=None, force=False)

    @rule(data=st.data())
    def lose(self, data: st.DataObject) -> None:
        """Lose the deal, with a reason (sometimes empty) and sometimes a target."""
        to = self._draw_target(data, "lose", optional=True)
        reason = data.draw(_REASONS, label="reason")
        self._attempt("lose", to, at=self._draw_time(data), reason=reason, force=False)

    @rule(data=st.data())
    def reenter(self, data: st.DataObject) -> None:
        """Re-enter after WON, at the funnel's re-entry stage or a named one."""
        to = self._draw_target(data, "reenter", optional=True)
        self._attempt("reenter", to, at=self._draw_time(data), reason=None, force=False)

    @rule(data=st.data())
    def force(self, data: st.DataObject) -> None:
        """Any operation with ``force=True``, with or without a reason."""
        op = data.draw(st.sampled_from(sorted(_ACCEPTS)), label="op")
        to = self._draw_target(data, op, optional=op != "regress")
        reason = data.draw(_REASONS, label="reason")
        self._attempt(op, to, at=self._draw_time(data), reason=reason, force=True)

    @rule(data=st.data())
    def bad_stage(self, data: st.DataObject) -> None:
        """Any operation towards a stage the funnel does not have."""
        funnel = self._journey().funnel
        real = data.draw(st.sampled_from(funnel.names), label="near")
        to = data.draw(st.sampled_from((real + "x", real.upper(), "", " " + real)), label="to")
        op = data.draw(st.sampled_from(sorted(_ACCEPTS)), label="op")
        self._attempt(op, to, at=self._draw_time(data), reason="bad stage", force=False)

    @rule(data=st.data())
    def back_in_time(self, data: st.DataObject) -> None:
        """A legal-looking move dated before the journey's last change."""
        journey = self._journey()
        moves = journey.funnel.moves(journey.stage)
        if not moves:
            return
        to = data.draw(st.sampled_from(sorted(moves)), label="to")
        op = _op_for(journey, to, moves[to])
        at = self._draw_time(data, backwards=True)
        self._attempt(op, to, at=at, reason="late entry", force=True)

    @rule(data=st.data())
    def update(self, data: st.DataObject) -> None:
        """Change subject fields with :meth:`Journey.update` (sometimes dated too early)."""
        journey = self._journey()
        fields = sorted({f.split(".")[0] for g in _all_gates(journey.funnel) for f in g.fields}
                        | {"note"})
        changes = data.draw(st.dictionaries(st.sampled_from(fields), _VALUES, min_size=1,
                                            max_size=3), label="changes")
        backwards = data.draw(st.booleans(), label="backwards")
        at = self._draw_time(data, backwards=backwards)
        last = journey.updated_at
        before = (journey.stage, journey.version, journey.history, dict(journey.subject),
                  journey.edits)
        old = {k: journey.subject.get(k) for k in changes}
        try:
            journey.update(changes, at=at, actor="machine", reason="edit")
        except FunnelError as exc:
            event(f"update: refused ({type(exc).__name__})")
            after = (journey.stage, journey.version, journey.history, dict(journey.subject),
                     journey.edits)
            assert after == before, f"refused update({changes!r}) changed the journey"
            assert at < journey.updated_at, f"update at {at} was refused: {exc}"
            return
        event("update: accepted")
        assert at >= last, (f"update dated {at} was accepted, but the time is before the last "
                           f"change at {last}")
        assert journey.version == before[1] + 1, "update did not bump the version by one"
        assert journey.history == before[2] and journey.stage == before[0]
        assert journey.edits[:-1] == before[4], "update rewrote earlier edits"
        edit = journey.edits[-1]
        assert (edit.at, edit.actor, edit.reason, edit.version) == (
            at, "machine", "edit", journey.version)
        assert set(edit.changes) == set(changes)
        for key, value in changes.items():
            assert journey.subject[key] is value, f"update did not set {key!r}"
            recorded = edit.to_dict()["changes"][key]
            assert recorded == [_as_json(old[key]), _as_json(value)], (
                f"edit of {key!r} recorded {recorded!r}")

    @rule(data=st.data())
    def satisfy(self, data: st.DataObject) -> None:
        """Replace the subject with one that passes the gates up to some stage."""
        journey = self._journey()
        funnel = journey.funnel
        ahead = [t for t in funnel.allowed(journey.stage) if funnel.stage(t).gates]
        options = [st.just(funnel.won.name), st.sampled_from(funnel.names)]
        if ahead:
            options.insert(0, st.sampled_from(ahead))
        target = data.draw(st.one_of(options), label="satisfying")
        journey.subject = data.draw(subjects(journey.funnel, satisfying=target),
                                    label="subject")

    @precondition(lambda self: self.journey is not None and not self.journey.is_open)
    @rule(data=st.data())
    def restart(self, data: st.DataObject) -> None:
        """Start a fresh journey once the current one is closed (won or lost)."""
        self.start_journey(data)

    # -- invariants ---------------------------------------------------------------------------
    @invariant()
    def journey_laws(self) -> None:
        """The journey's history obeys every law of :func:`assert_journey_invariants`."""
        if self.journey is not None:
            assert_journey_invariants(self.journey)


class _Expected:
    __slots__ = ("kind", "target", "why")

    def __init__(self, target: str | None, kind: str = "", why: str = "") -> None:
        self.target = target
        self.kind = kind
        self.why = why


def _refuse(why: str) -> _Expected:
    return _Expected(None, why=why)


def _gates_pass(gates: Any, subject: Any) -> tuple[bool, str]:
    for gate in gates:
        try:
            if not gate(subject):
                return False, f"gate {gate.name!r} fails"
        except GateError as exc:
            return False, f"gate {gate.name!r} raised: {exc}"
    return True, "every gate passes"


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
)


def _all_gates(funnel: Funnel) -> list[Any]:
    gates = [g for s in funnel.stages for g in s.gates]
    gates.extend(g for t in funnel.transitions for g in t.gates)
    return gates


def _as_json(value: Any) -> Any:
    """A subject value as a record or edit serializes it (written apart from the
    library): strict JSON, NaN and infinities as None, sequences as lists."""
    if isinstance(value, float) and (value != value or value in (math.inf, -math.inf)):
        return None
    if isinstance(value, list | tuple):
        return [_as_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    return value


def _expected_facts(gates: Any, subject: Any) -> dict[str, Any]:
    """The fields the rule gates read, looked up by walking the subject's mappings."""
    out: dict[str, Any] = {}
    for gate in gates:
        for name in gate.fields:
            value: Any = subject
            for part in name.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            out[name] = _as_json(value)
    return out


def _op_for(journey: Journey, to: str, kind: str) -> str:
    funnel = journey.funnel
    if funnel.stage(to).kind is StageKind.LOST:
        return "lose"
    if kind == "reenter":
        return "reenter"
    forward = funnel.index(journey.stage) < funnel.index(to) <= funnel.won_index
    return "advance" if kind in ("advance", "skip") or (kind == "explicit" and forward) else (
        "regress")


def _oracle(
    journey: Journey, op: str, to: str | None, *, at: datetime, reason: str | None, force: bool
) -> _Expected:
    """What the funnel's policy says ``op`` must do, written independently of Journey."""
    funnel = journey.funnel
    source = journey.stage
    here = funnel.stage(source)
    lost = [s.name for s in funnel.lost]
    has_reason = isinstance(reason, str) and bool(reason.strip())
    if op == "lose" and not has_reason:
        return _refuse("lose() needs a reason")
    if to is None:
        if op == "advance":
            if not here.is_open:
                return _refuse(f"{source!r} is terminal, so there is no next stage")
            to = funnel.stages[funnel.index(source) + 1].name
        elif op == "lose":
            if len(lost) != 1:
                return _refuse(f"the funnel has {len(lost)} LOST stages; lose() needs to=")
            to = lost[0]
        elif op == "reenter":
            if here.kind is not StageKind.WON:
                return _refuse("only a WON journey re-enters")
            if funnel.reentry is None:
                return _refuse("the funnel is not cyclic")
            to = funnel.reentry
    if to not in funnel.names:
        return _refuse(f"{to!r} is not a stage")
    if op == "lose" and to not in lost:
        return _refuse(f"{to!r} is not a LOST stage")
    if op == "reenter" and here.kind is not StageKind.WON:
        return _refuse("only a WON journey re-enters")
    kind = funnel.moves(source).get(to)
    if kind is None or kind not in _ACCEPTS[op]:
        return _refuse(f"the funnel does not let {op}() move {source!r} -> {to!r}")
    if kind == "explicit" and op in ("advance", "regress"):
        forward = funnel.index(source) < funnel.index(to) <= funnel.won_index
        if forward != (op == "advance"):
            return _refuse(f"{source!r} -> {to!r} goes the other way")
    if force:
        if not has_reason:
            return _refuse("force=True needs a reason")
    else:
        ok, why = _gates_pass(funnel.gates_for(source, to), journey.subject)
        if not ok:
            return _refuse(why)
    if at < journey.updated_at:
        return _refuse("the time is before the last change")
    return _Expected(to, kind)


def journey_machine(funnel: Funnel) -> type[JourneyMachine]:
    """A :class:`JourneyMachine` subclass for ``funnel``.

    Parameters
    ----------
    funnel : Funnel
        The funnel to drive journeys through.

    Returns
    -------
    type[JourneyMachine]
        Use its ``TestCase`` attribute as a test class.

    Raises
    ------
    InvalidParameterError
        If ``funnel`` is not a :class:`~salesfunnel.Funnel`.

    Examples
    --------
    >>> from hypothesis import settings
    >>> from salesfunnel import templates
    >>> TestAida = journey_machine(templates.get("aida")).TestCase
    >>> TestAida.settings = settings(max_examples=5, stateful_step_count=10, deadline=None)
    >>> TestAida("runTest").runTest()
    """
    if not isinstance(funnel, Funnel):
        raise InvalidParameterError(
            f"journey_machine() needs a Funnel; got {type(funnel).__name__} {funnel!r}",
            parameter="funnel", value=funnel,
        )
    name = "".join(part.capitalize() for part in funnel.name.replace("_", "-").split("-"))
    return type(f"{name or 'Funnel'}JourneyMachine", (JourneyMachine,), {"funnel": funnel})
