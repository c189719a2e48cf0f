"""Journeys: one tracked deal or lead moving through a funnel."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from salesfunnel._util._time import aware_datetime
from salesfunnel.errors import GateError, GateFailed, InvalidParameterError, TransitionNotAllowed
from salesfunnel.model._gate import Gate, GateResult
from salesfunnel.model._stage import Stage, StageKind

if TYPE_CHECKING:  # pragma: no cover
    from salesfunnel.model._funnel import Funnel

__all__ = ["Journey", "TransitionRecord"]

_NAIVE_HINT = "; give a timezone (e.g. datetime(..., tzinfo=timezone.utc))"


def utc_now() -> datetime:
    """The default clock: the current time in UTC."""
    return datetime.now(UTC)


def to_aware(value: Any, parameter: str = "at") -> datetime:
    """An ``at=`` value as an aware datetime: the time module's conversion with the
    default naive policy ("raise"); a given datetime or ISO offset is kept."""
    return aware_datetime(value, parameter=parameter, hint=_NAIVE_HINT)


class TransitionRecord(NamedTuple):
    """One change in a journey's history (immutable).

    ``from_stage`` is ``None`` for the record that starts the journey. ``kind`` says
    which policy allowed the move (``"start"``, ``"advance"``, ``"skip"``,
    ``"fall_back"``, ``"lose"``, ``"reenter"``, ``"explicit"``).

    A named tuple rather than an attrs class: a journey appends one per change, and
    building a tuple costs a quarter of a frozen attrs instance (measured in
    ``benchmarks/bench_model.py``).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> rec = TransitionRecord("lead", "demo", datetime(2026, 1, 5, tzinfo=timezone.utc))
    >>> rec.to_stage, rec.kind, rec.forced
    ('demo', 'advance', False)
    """

    from_stage: str | None
    to_stage: str
    at: datetime
    actor: str | None = None
    reason: str | None = None
    forced: bool = False
    kind: str = "advance"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (``at`` as ISO 8601)."""
        return {
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "reason": self.reason,
            "forced": self.forced,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TransitionRecord:
        """Rebuild a record from :meth:`to_dict` output."""
        try:
            return cls(
                from_stage=data["from_stage"],
                to_stage=data["to_stage"],
                at=to_aware(data["at"]),
                actor=data.get("actor"),
                reason=data.get("reason"),
                forced=bool(data.get("forced", False)),
                kind=data.get("kind", "advance"),
            )
        except (KeyError, TypeError) as exc:
            raise InvalidParameterError(
                f"a transition record needs from_stage, to_stage and at; got {data!r}",
                parameter="history",
                value=data,
            ) from exc


def _to_record(raw: Any, i: int) -> TransitionRecord:
    """Record ``i`` of a history to replay: a :class:`TransitionRecord` (its time must be
    aware) or a mapping as from :meth:`TransitionRecord.to_dict`."""
    if isinstance(raw, TransitionRecord):
        rec: TransitionRecord = raw
        at = rec.at
        if type(at) is not datetime or at.tzinfo is None or at.utcoffset() is None:
            rec = rec._replace(at=to_aware(at, f"history[{i}].at"))
        return rec
    if isinstance(raw, Mapping):
        return TransitionRecord.from_dict(raw)
    raise InvalidParameterError(
        f"a history holds TransitionRecord objects or mappings; got {type(raw).__name__} "
        f"{raw!r}",
        parameter="history",
        value=raw,
    )


_new_record = tuple.__new__
_FORWARD = frozenset({"advance", "skip", "explicit"})
_ADVANCE_KINDS = frozenset({"advance", "skip", "explicit"})
_REGRESS_KINDS = frozenset({"fall_back", "explicit"})
_LOSE_KINDS = frozenset({"lose", "explicit"})
_REENTER_KINDS = frozenset({"reenter", "explicit"})
_VERB_FOR = {"advance": "advance()", "skip": "advance(to=...)", "fall_back": "regress(to=...)",
             "lose": "lose(reason=...)", "reenter": "reenter()", "explicit": "regress(to=...)"}


class Journey:
    """One deal or lead moving through a :class:`~salesfunnel.Funnel`.

    Create journeys with :meth:`Funnel.start`. Every change appends a
    :class:`TransitionRecord` to :attr:`history` and increments :attr:`version`; a
    refused change raises and leaves the journey untouched.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> funnel = Funnel("deals", [Stage("lead"), Stage("demo", gates="contact is set"),
    ...                           Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> deal = funnel.start({"contact": None}, at="2026-03-01T10:00:00+00:00")
    >>> deal.can_advance().failed
    ('contact is set',)
    >>> deal.subject["contact"] = "ann@example.com"
    >>> deal.advance(at="2026-03-04T10:00:00+00:00", actor="ann").stage
    'demo'
    >>> deal.lose(reason="no budget", at="2026-03-09T10:00:00+00:00").stage, deal.version
    ('lost', 3)
    """

    __slots__ = ("_clock", "_version", "funnel", "history", "id", "stage", "subject")

    funnel: Funnel
    subject: Any
    stage: str
    history: list[TransitionRecord]
    id: Any
    _version: int
    _clock: Callable[[], datetime]

    def __init__(self) -> None:  # pragma: no cover - use Funnel.start or Journey.from_dict
        raise TypeError("create journeys with Funnel.start(...) or Journey.from_dict(...)")

    @classmethod
    def _new(cls, funnel: Funnel, subject: Any, id: Any, clock: Callable[[], datetime] | None
             ) -> Journey:
        self = cls.__new__(cls)
        self.funnel = funnel
        self.subject = subject
        self.id = id
        self.history = []
        self._version = 0
        self._clock = clock or utc_now
        return self

    @classmethod
    def _begin(
        cls,
        funnel: Funnel,
        subject: Any,
        *,
        at: datetime | str | None,
        stage: str | None,
        id: Any,
        actor: str | None,
        force: bool,
        reason: str | None,
        clock: Callable[[], datetime] | None,
    ) -> Journey:
        self = cls._new(funnel, subject, id, clock)
        target = funnel.stages[0].name if stage is None else stage
        if not funnel.stage(target).is_open:
            raise TransitionNotAllowed(
                None, target, [s.name for s in funnel.stages if s.is_open],
                detail="a journey starts at an open stage",
            )
        self._check_force(force, reason)
        if not force:
            self._check_gates(funnel.gates_for(None, target), target)
        when = self._when(at)
        self.history.append(TransitionRecord(None, target, when, actor, reason, force, "start"))
        self.stage = target
        self._version = 1
        return self

    # -- state ------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """Number of changes so far (the start counts); for optimistic concurrency."""
        return self._version

    @property
    def current(self) -> Stage:
        """The :class:`Stage` the journey is in."""
        return self.funnel.stage(self.stage)

    @property
    def is_open(self) -> bool:
        """True while the deal is in an open stage."""
        return self.current.kind is StageKind.OPEN

    @property
    def is_won(self) -> bool:
        """True when the deal is in the WON stage."""
        return self.current.kind is StageKind.WON

    @property
    def is_lost(self) -> bool:
        """True when the deal is in a LOST stage."""
        return self.current.kind is StageKind.LOST

    @property
    def started_at(self) -> datetime:
        """When the journey started."""
        return self.history[0].at

    @property
    def updated_at(self) -> datetime:
        """When the journey last changed."""
        return self.history[-1].at

    # -- changes ----------------------------------------------------------------------------
    def advance(
        self,
        to: str | None = None,
        *,
        at: datetime | str | None = None,
        actor: str | None = None,
        reason: str | None = None,
        force: bool = False,
    ) -> Journey:
        """Move forward: to the next stage, or ``to=`` a later stage (skip-ahead).

        Parameters
        ----------
        to : str, optional
            Target stage; defaults to the next stage on the main path.
        at : datetime or ISO string, optional
            When it happened (timezone-aware); defaults to the journey's clock.
        actor, reason : str, optional
            Who made the change and why; both are recorded.
        force : bool
            Override the target's gates; needs ``reason``. Recorded as forced.

        Returns
        -------
        Journey
            ``self``, for chaining.

        Raises
        ------
        TransitionNotAllowed
            If the funnel's policy does not allow the move.
        GateFailed
            If the subject fails the target's gates (``.result`` names every failed check).
        """
        if to is None:
            step = self.funnel._advance_steps.get(self.stage)
            if step is None:
                to = self._next_stage()  # raises: the stage is terminal
            else:
                to, tests = step
                if not force:
                    # Fast path for the most common change: the next stage, gates passing.
                    subject = self.subject
                    passed = False
                    try:
                        for test in tests:
                            if not test(subject):
                                break
                        else:
                            passed = True
                    except Exception:
                        pass  # _move re-evaluates and raises GateError
                    if passed:
                        return self._commit(self.stage, to, "advance", at, actor, reason, False)
        return self._move(to, _ADVANCE_KINDS, True, at, actor, reason, force, "advance")

    def regress(
        self,
        to: str,
        *,
        at: datetime | str | None = None,
        actor: str | None = None,
        reason: str | None = None,
        force: bool = False,
    ) -> Journey:
        """Fall back to an earlier open stage (or reopen a lost deal by an explicit
        transition). Parameters and errors as for :meth:`advance`."""
        return self._move(to, _REGRESS_KINDS, False, at, actor, reason, force, "regress")

    def lose(
        self,
        reason: str,
        *,
        to: str | None = None,
        at: datetime | str | None = None,
        actor: str | None = None,
        force: bool = False,
    ) -> Journey:
        """Mark the deal lost, with a reason (required).

        ``to`` picks the LOST stage when the funnel has several.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidParameterError(
                f"lose() needs a reason (why the deal was lost); got {reason!r}",
                parameter="reason",
                value=reason,
            )
        lost = [s.name for s in self.funnel.lost]
        if to is None:
            if not lost:
                raise TransitionNotAllowed(self.stage, None, self.funnel.allowed(self.stage),
                                           detail=f"funnel {self.funnel.name!r} has no LOST stage")
            if len(lost) > 1:
                raise InvalidParameterError(
                    f"funnel {self.funnel.name!r} has several LOST stages; pass to= one of "
                    f"{lost}",
                    parameter="to",
                    value=None,
                )
            to = lost[0]
        elif to not in lost:
            raise InvalidParameterError(
                f"lose(to={to!r}): expected a LOST stage, one of {lost}",
                parameter="to",
                value=to,
            )
        return self._move(to, _LOSE_KINDS, None, at, actor, reason, force, "lose")

    def reenter(
        self,
        to: str | None = None,
        *,
        at: datetime | str | None = None,
        actor: str | None = None,
        reason: str | None = None,
        force: bool = False,
    ) -> Journey:
        """Re-enter the funnel after WON (cyclic funnels); ``to`` defaults to the
        funnel's ``reentry`` stage."""
        if not self.is_won:
            raise TransitionNotAllowed(
                self.stage, to, self.funnel.allowed(self.stage),
                detail="only a WON journey re-enters",
            )
        target = to if to is not None else self.funnel.reentry
        if target is None:
            raise TransitionNotAllowed(self.stage, None, self.funnel.allowed(self.stage),
                                       detail=f"funnel {self.funnel.name!r} is not cyclic")
        return self._move(target, _REENTER_KINDS, None, at, actor, reason, force, "reenter")

    def can_advance(self, to: str | None = None) -> GateResult:
        """Whether :meth:`advance` (to ``to``) would succeed now, and why not.

        Never changes the journey. A move the policy forbids gives a failed result
        naming the move.
        """
        if to is None:
            if not self.is_open:
                return GateResult(self.stage, False, (f"{self.stage!r} is terminal",))
            to = self._next_stage()
        self.funnel.index(to)
        kind = self.funnel.moves(self.stage).get(to)
        if kind is None or kind not in _FORWARD or not self._is_forward(to):
            return GateResult(to, False, (f"move {self.stage!r} -> {to!r} is not allowed",))
        failed: list[str] = []
        for gate in self.funnel.gates_for(self.stage, to):
            failed.extend(gate.failures(self.subject))
        return GateResult(to, not failed, tuple(failed))

    # -- internals ----------------------------------------------------------------------------
    def _next_stage(self) -> str:
        i = self.funnel.index(self.stage)
        if not self.funnel.stages[i].is_open:
            raise TransitionNotAllowed(
                self.stage, None, self.funnel.allowed(self.stage),
                detail=f"{self.stage!r} is a terminal stage",
            )
        return self.funnel.stages[i + 1].name

    def _is_forward(self, to: str) -> bool:
        f = self.funnel
        return f.index(to) > f.index(self.stage) and f.index(to) <= f.won_index

    def _when(self, at: datetime | str | None) -> datetime:
        return self._checked_time(self._clock() if at is None else at, at is None)

    def _checked_time(self, value: Any, from_clock: bool) -> datetime:
        """``value`` (an ``at=`` argument or the clock's reading) validated: aware, and
        not before the journey's last change."""
        # fast path: an aware datetime (the common case) skips the full validation
        when: datetime = value
        if type(value) is not datetime or value.tzinfo is None or value.utcoffset() is None:
            when = to_aware(value, "clock()" if from_clock else "at")
        if self.history and when < self.history[-1].at:
            raise InvalidParameterError(
                f"{'clock()' if from_clock else 'at'}={when.isoformat()} is before the "
                f"journey's last change at {self.history[-1].at.isoformat()}",
                parameter="at",
                value=when,
            )
        return when

    @staticmethod
    def _check_force(force: bool, reason: str | None) -> None:
        if force and not (isinstance(reason, str) and reason.strip()):
            raise InvalidParameterError(
                "force=True needs a reason explaining why the gates are overridden",
                parameter="reason",
                value=reason,
            )

    def _check_gates(self, gates: tuple[Gate, ...], target: str) -> None:
        """Raise :class:`GateFailed` naming every failed check of ``gates``, or
        :class:`GateError` if a predicate raises; return when all pass."""
        subject = self.subject
        for gate in gates:
            try:
                ok = gate._test(subject)
            except GateError:
                raise
            except Exception as exc:
                raise GateError(gate.name, exc) from exc
            if not ok:
                failed: list[str] = []
                for g in gates:
                    failed.extend(g.failures(subject))
                raise GateFailed(target, GateResult(target, False, tuple(failed)))

    def _move(
        self,
        to: str,
        kinds: frozenset[str],
        forward: bool | None,
        at: datetime | str | None,
        actor: str | None,
        reason: str | None,
        force: bool,
        verb: str,
    ) -> Journey:
        funnel = self.funnel
        source = self.stage
        kind = funnel._moves[source].get(to) if isinstance(to, str) else None
        if kind is None or kind not in kinds:
            funnel.index(to)  # unknown stage: a clear error naming the stages
            detail = f"{verb}() cannot make this move"
            if kind is not None:
                detail += f"; it is a {kind.replace('_', ' ')} move: use {_VERB_FOR[kind]}"
            raise TransitionNotAllowed(source, to, tuple(funnel._moves[source]), detail=detail)
        if forward is not None and kind == "explicit" and self._is_forward(to) != forward:
            hint = "advance()" if not forward else "regress()"
            raise TransitionNotAllowed(source, to, tuple(funnel._moves[source]),
                                       detail=f"use {hint} for this direction")
        if force:
            self._check_force(force, reason)
        else:
            subject = self.subject
            passed = True
            try:
                for test in funnel._gate_tests[(source, to)]:
                    if not test(subject):
                        passed = False
                        break
            except Exception:
                passed = False
            if not passed:
                # The full evaluation names the failed checks (GateFailed) or the gate
                # that raised (GateError); it is the verdict.
                self._check_gates(funnel._gates[(source, to)], to)
        return self._commit(source, to, kind, at, actor, reason, force)

    def _commit(
        self,
        source: str,
        to: str,
        kind: str,
        at: datetime | str | None,
        actor: str | None,
        reason: str | None,
        force: bool,
    ) -> Journey:
        when = self._clock() if at is None else at
        history = self.history
        if (type(when) is not datetime or when.tzinfo is None or when.utcoffset() is None
                or when < history[-1].at):
            # validate and raise clearly (the clock is read once: its reading is checked)
            when = self._when(at) if at is not None else self._checked_time(when, True)
        history.append(
            _new_record(TransitionRecord, (source, to, when, actor, reason, force, kind)))
        self.stage = to
        self._version += 1
        return self

    # -- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: funnel name, id, stage, version, history, and the subject
        when it is a mapping."""
        out: dict[str, Any] = {
            "funnel": self.funnel.name,
            "id": self.id,
            "stage": self.stage,
            "version": self._version,
            "history": [r.to_dict() for r in self.history],
        }
        if isinstance(self.subject, Mapping):
            out["subject"] = dict(self.subject)
        return out

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        funnel: Funnel,
        *,
        subject: Any = None,
        clock: Callable[[], datetime] | None = None,
    ) -> Journey:
        """Rebuild a journey by replaying its history on ``funnel``.

        Gates are not re-checked (the history is what happened), but every move must be
        legal in ``funnel``, and the stored stage and version must match the replay.

        Raises
        ------
        InvalidParameterError
            If the data belongs to another funnel, or stage/version disagree with history.
        TransitionNotAllowed
            If a recorded move is not legal in ``funnel``.
        """
        from salesfunnel.model._funnel import Funnel

        if not isinstance(funnel, Funnel):
            raise InvalidParameterError(
                f"Journey.from_dict needs the Funnel the journey runs in; got "
                f"{type(funnel).__name__} {funnel!r}",
                parameter="funnel",
                value=funnel,
            )
        if not isinstance(data, Mapping):
            raise InvalidParameterError(
                f"a serialized journey is a mapping (from Journey.to_dict); got "
                f"{type(data).__name__} {data!r}",
                parameter="data",
                value=data,
            )
        if data.get("funnel") not in (None, funnel.name):
            raise InvalidParameterError(
                f"journey belongs to funnel {data.get('funnel')!r}, not {funnel.name!r}",
                parameter="funnel",
                value=funnel.name,
            )
        journey = cls.replay(
            funnel, data.get("history", ()),
            subject=data.get("subject") if subject is None else subject,
            id=data.get("id"), clock=clock,
        )
        for key, actual in (("stage", journey.stage), ("version", journey.version)):
            if key in data and data[key] != actual:
                raise InvalidParameterError(
                    f"stored {key} {data[key]!r} disagrees with the history, which gives "
                    f"{actual!r}",
                    parameter=key,
                    value=data[key],
                )
        return journey

    @classmethod
    def replay(
        cls,
        funnel: Funnel,
        history: Iterable[TransitionRecord | Mapping[str, Any]],
        *,
        subject: Any = None,
        id: Any = None,
        clock: Callable[[], datetime] | None = None,
    ) -> Journey:
        """Rebuild the state that ``history`` leads to, checking each move is legal.

        Parameters
        ----------
        funnel : Funnel
            The funnel the journey runs in.
        history : iterable of TransitionRecord or mapping
            The records, oldest first (mappings as from :meth:`TransitionRecord.to_dict`).
        subject, id, clock
            As for :meth:`Funnel.start`.

        Raises
        ------
        TransitionNotAllowed
            If the first record does not start the journey at an open stage, or a
            record is not a legal move from where the journey is.
        InvalidParameterError
            If the history is empty or malformed, names an unknown stage, or a time is
            naive or earlier than the record before it.

        Examples
        --------
        >>> from salesfunnel import Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> deal = f.start(at="2026-01-05T09:00:00+00:00").advance(at="2026-01-09T09:00:00+00:00")
        >>> again = Journey.replay(f, deal.history)
        >>> again.stage, again.version, again.history == deal.history
        ('won', 2, True)
        """
        if isinstance(history, str | bytes | Mapping) or not isinstance(history, Iterable):
            raise InvalidParameterError(
                f"a journey's history is a sequence of transition records; got "
                f"{type(history).__name__} {history!r}",
                parameter="history",
                value=history,
            )
        self = cls._new(funnel, subject, id, clock)
        for i, raw in enumerate(history):
            rec = _to_record(raw, i)
            if i == 0:
                if rec.from_stage is not None or not funnel.stage(rec.to_stage).is_open:
                    raise TransitionNotAllowed(
                        rec.from_stage, rec.to_stage, (),
                        detail="a history starts with a start record into an open stage",
                    )
            else:
                if rec.from_stage != self.stage:
                    raise TransitionNotAllowed(
                        rec.from_stage, rec.to_stage, funnel.allowed(self.stage),
                        detail=f"record {i} starts from {rec.from_stage!r} but the journey is "
                        f"at {self.stage!r}",
                    )
                if rec.to_stage not in funnel.allowed(self.stage):
                    raise TransitionNotAllowed(rec.from_stage, rec.to_stage,
                                               funnel.allowed(self.stage))
                if rec.at < self.history[-1].at:
                    raise InvalidParameterError(
                        f"record {i} at {rec.at.isoformat()} is earlier than the one before it",
                        parameter="history",
                        value=rec,
                    )
            self.history.append(rec)
            self.stage = rec.to_stage
            self._version += 1
        if not self.history:
            raise InvalidParameterError("a journey's history cannot be empty",
                                        parameter="history", value=[])
        return self

    def __repr__(self) -> str:
        ident = "" if self.id is None else f" {self.id!r}"
        return (f"<Journey{ident} in {self.funnel.name!r} at {self.stage!r}, "
                f"version {self._version}>")
