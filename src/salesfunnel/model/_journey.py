"""Journeys: one tracked deal or lead moving through a funnel.

Over 800 lines on purpose: :class:`Journey` is one class whose changes (moves, subject
updates, hooks) and whose loading and saving share private state under one lock;
splitting it over files would scatter that one locking discipline. What it records
(:class:`TransitionRecord`, :class:`SubjectEdit`) lives in ``_records`` and its hooks in
``_hooks``.
"""

from __future__ import annotations

import json
import math
import operator
import threading
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from salesfunnel._util._validate import invalid
from salesfunnel.errors import (
    GateError,
    GateFailed,
    HookError,
    InvalidParameterError,
    TransitionNotAllowed,
)
from salesfunnel.model._gate import Gate, GateResult
from salesfunnel.model._hooks import HookEvent, Hooks, OutboxMessage, hook_name
from salesfunnel.model._records import (
    EMPTY,
    FrozenMap,
    SubjectEdit,
    TransitionRecord,
    json_fact,
    to_aware,
)
from salesfunnel.model._stage import Stage, StageKind
from salesfunnel.model.rules import MISSING

if TYPE_CHECKING:  # pragma: no cover
    from salesfunnel.model._funnel import Funnel

__all__ = ["Journey", "SubjectEdit", "TransitionRecord", "to_aware"]


def utc_now() -> datetime:
    """The default clock: the current time in UTC."""
    return datetime.now(UTC)


def _to_record(raw: Any, i: int) -> TransitionRecord:
    """Record ``i`` of a history to replay, its field types checked: a
    :class:`TransitionRecord` or a mapping as from :meth:`TransitionRecord.to_dict`."""
    where = f"history[{i}]"
    if isinstance(raw, TransitionRecord):
        return TransitionRecord.from_dict(raw._asdict(), where=where)
    if isinstance(raw, Mapping):
        return TransitionRecord.from_dict(raw, where=where)
    raise InvalidParameterError(
        f"a history holds TransitionRecord objects or mappings; got {type(raw).__name__} "
        f"{raw!r:.200} at {where}",
        parameter="history",
        value=raw,
    )


def _text_or_none(name: str, value: Any, where: str) -> None:
    if value is not None and type(value) is not str:
        raise invalid(name, value, "text (str) or None", where=where)


_new_record = tuple.__new__
_FORWARD = frozenset({"advance", "skip", "explicit"})
_ADVANCE_KINDS = frozenset({"advance", "skip", "explicit"})
_REGRESS_KINDS = frozenset({"fall_back", "explicit"})
_LOSE_KINDS = frozenset({"lose", "explicit"})
_REENTER_KINDS = frozenset({"reenter", "explicit"})
_VERB_FOR = {"advance": "advance()", "skip": "advance(to=...)", "fall_back": "regress(to=...)",
             "lose": "lose(reason=...)", "reenter": "reenter()", "explicit": "regress(to=...)"}
_REFUSALS = (TransitionNotAllowed, GateFailed)
_ID_TYPES = (str, int, float, type(None))
_PLAIN = frozenset({str, int, bool, type(None)})
_PLAIN_OR_FLOAT = _PLAIN | {float}


class Journey:
    """One deal or lead moving through a :class:`~salesfunnel.Funnel`.

    Create journeys with :meth:`Funnel.start`. Every move appends an immutable
    :class:`TransitionRecord` to :attr:`history` (a tuple: the only way to add to it is
    a move), recording the facts its gates read; every :meth:`update` of the subject
    appends a :class:`SubjectEdit` to :attr:`edits`. Both increment :attr:`version`.
    A refused change raises and leaves the journey untouched.

    :class:`Hooks` attached with ``hooks=`` run around each change and may queue
    messages (:attr:`pending_messages`, :meth:`take_messages`).

    A journey is safe to share between threads: each change (a move, an update,
    :meth:`take_messages`) holds the journey's lock (a re-entrant lock, so hooks may
    call the journey's methods), and reading :attr:`history` or :attr:`edits` gives a
    consistent snapshot. Copying and pickling a journey give it a fresh lock.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> funnel = Funnel("deals", [Stage("lead"), Stage("demo", gates="contact is set"),
    ...                           Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> deal = funnel.start({"contact": None}, at="2026-03-01T10:00:00+00:00")
    >>> deal.can_advance().failed
    ('contact is set',)
    >>> deal.update({"contact": "ann@example.com"}, at="2026-03-02T10:00:00+00:00",
    ...             actor="ann").version
    2
    >>> deal.advance(at="2026-03-04T10:00:00+00:00", actor="ann").history[-1].facts
    {'contact': 'ann@example.com'}
    >>> deal.lose(reason="no budget", at="2026-03-09T10:00:00+00:00").stage, deal.version
    ('lost', 4)
    """

    __slots__ = ("_clock", "_edits", "_history", "_history_t", "_hooks", "_last_at",
                 "_last_facts", "_lock", "_pending", "_version", "funnel", "id", "stage",
                 "subject")

    funnel: Funnel
    subject: Any
    stage: str
    id: Any
    _history: list[TransitionRecord]
    _history_t: tuple[TransitionRecord, ...] | None
    _edits: list[SubjectEdit]
    _pending: list[OutboxMessage]
    _hooks: Hooks | None
    _last_at: datetime | None
    _last_facts: FrozenMap | None
    _lock: threading.RLock
    _version: int
    _clock: Callable[[], datetime]

    def __init__(self) -> None:  # pragma: no cover - use Funnel.start or Journey.from_dict
        raise TypeError("create journeys with Funnel.start(...) or Journey.from_dict(...)")

    @classmethod
    def _new(cls, funnel: Funnel, subject: Any, id: Any, clock: Callable[[], datetime] | None,
             hooks: Hooks | None = None) -> Journey:
        self = cls.__new__(cls)
        self.funnel = funnel
        self.subject = subject
        self.id = id
        self._history = []
        self._history_t = None
        self._edits = []
        self._pending = []
        self._last_at = None
        self._last_facts = None
        self._lock = threading.RLock()
        self._version = 0
        self._clock = clock or utc_now
        self._hooks = None
        self.hooks = hooks
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
        hooks: Hooks | None = None,
    ) -> Journey:
        self = cls._new(funnel, subject, id, clock, hooks)
        target = funnel.stages[0].name if stage is None else stage
        if not funnel.stage(target).is_open:
            raise TransitionNotAllowed(
                None, target, [s.name for s in funnel.stages if s.is_open],
                detail="a journey starts at an open stage",
            )
        self._check_force(force, reason)
        gates = funnel.gates_for(None, target)
        if not force:
            self._check_gates(gates, target)
        _text_or_none("actor", actor, "Funnel.start")
        _text_or_none("reason", reason, "Funnel.start")
        when = self._when(at)
        rec = TransitionRecord(None, target, when, actor, reason, force, "start",
                               self._facts(None, target))
        if self._hooks is None:
            self._apply(rec)
        else:
            self._hooked_move(self._hooks, rec)
        return self

    # -- state ------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """Number of changes so far: the start, every move and every :meth:`update`.

        A store compares it to detect concurrent changes (optimistic concurrency), so
        two people editing the same deal's facts conflict just as two moves do.
        """
        return self._version

    @property
    def history(self) -> tuple[TransitionRecord, ...]:
        """The moves so far, oldest first: a tuple of immutable records (the start
        counts). Only a move adds to it."""
        cached = self._history_t
        if cached is None:
            with self._lock:
                cached = self._history_t = tuple(self._history)
        return cached

    def history_since(self, n: int) -> tuple[TransitionRecord, ...]:
        """The records of :attr:`history` after its first ``n``: what a store appends
        when it saved the journey with ``n`` records, without copying the whole history.

        Examples
        --------
        >>> from salesfunnel import Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won")])
        >>> deal = f.start(at="2026-01-01T00:00:00+00:00")
        >>> _ = deal.advance(at="2026-01-02T00:00:00+00:00")
        >>> [r.to_stage for r in deal.history_since(1)], deal.history_since(5)
        (['demo'], ())
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidParameterError(
                f"The 'n' parameter of Journey.history_since must be an int >= 0; got {n!r}",
                parameter="n", value=n)
        with self._lock:
            cached = self._history_t
            return cached[n:] if cached is not None else tuple(self._history[n:])

    @property
    def edits(self) -> tuple[SubjectEdit, ...]:
        """The subject's recorded changes (:meth:`update`), oldest first."""
        with self._lock:
            return tuple(self._edits)

    @property
    def pending_messages(self) -> tuple[OutboxMessage, ...]:
        """Messages hooks emitted and nobody has taken yet (see :meth:`take_messages`)."""
        with self._lock:
            return tuple(self._pending)

    def take_messages(self) -> tuple[OutboxMessage, ...]:
        """Return the pending messages and clear them (atomically).

        A store calls it when it saves the journey and writes the messages to its
        outbox in the same transaction. Messages are not part of :meth:`to_dict`.

        Examples
        --------
        >>> from salesfunnel import Funnel, Hooks, Stage
        >>> hooks = Hooks()
        >>> _ = hooks.on("after", lambda e: e.emit("moved", {"to": e.to_stage}))
        >>> deal = Funnel("f", [Stage("a"), Stage("won", kind="won")]).start(hooks=hooks)
        >>> [m.payload for m in deal.take_messages()], deal.take_messages()
        ([{'to': 'a'}], ())
        """
        with self._lock:
            out = tuple(self._pending)
            self._pending.clear()
            return out

    @property
    def hooks(self) -> Hooks | None:
        """The :class:`Hooks` run around this journey's changes (``None``: none)."""
        return self._hooks

    @hooks.setter
    def hooks(self, value: Hooks | None) -> None:
        if value is not None and not isinstance(value, Hooks):
            raise invalid("hooks", value, "a Hooks object or None", where="Journey")
        self._hooks = value

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
        return self._history[0].at

    @property
    def updated_at(self) -> datetime:
        """When the journey last changed (a move or an edit)."""
        assert self._last_at is not None
        return self._last_at

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
        HookError
            If a hook raised after the move was made (the move stands).
        """
        return self._attempt(to, lambda: self._advance(to, at, actor, reason, force))

    def _advance(self, to: str | None, at: datetime | str | None, actor: str | None,
                 reason: str | None, force: bool) -> Journey:
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
        return self._attempt(to, lambda: self._move(to, _REGRESS_KINDS, False, at, actor,
                                                    reason, force, "regress"))

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
        return self._attempt(to, lambda: self._lose(reason, to, at, actor, force))

    def _lose(self, reason: str, to: str | None, at: datetime | str | None,
              actor: str | None, force: bool) -> Journey:
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
        return self._attempt(to, lambda: self._reenter(to, at, actor, reason, force))

    def _reenter(self, to: str | None, at: datetime | str | None, actor: str | None,
                 reason: str | None, force: bool) -> Journey:
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

    def update(
        self,
        changes: Mapping[str, Any],
        *,
        at: datetime | str | None = None,
        actor: str | None = None,
        reason: str | None = None,
    ) -> Journey:
        """Change fields of the subject, recorded and versioned.

        Sets each field (``subject[field] = value`` for a mutable mapping, an attribute
        for any other object), appends a :class:`SubjectEdit` with every field's old and
        new value to :attr:`edits`, and increments :attr:`version`, so two people
        editing the same deal conflict in a store just as two moves do. Gates are not
        checked (they apply to moves). Changing the subject directly still works but
        leaves no record and no new version.

        Parameters
        ----------
        changes : mapping of str to value
            The fields to set (at least one). Every listed field is recorded, even if
            its value does not change.
        at : datetime or ISO string, optional
            When it happened; defaults to the journey's clock; not before the last change.
        actor, reason : str, optional
            Who made the change and why.

        Returns
        -------
        Journey
            ``self``, for chaining.

        Raises
        ------
        InvalidParameterError
            If ``changes`` is empty or not a mapping of field names, the subject cannot
            be changed (``None``, a read-only mapping, a number or text, or an object
            refusing the attribute: nothing is changed then), or ``at`` is invalid.
        HookError
            If an ``edited`` hook raised (the edit stands).

        Examples
        --------
        >>> from salesfunnel import Funnel, Stage
        >>> deal = Funnel("f", [Stage("lead"), Stage("won", kind="won")]).start(
        ...     {"budget": 10}, at="2026-01-05T09:00:00+00:00")
        >>> deal.update({"budget": 25, "owner": "ann"}, at="2026-01-06T09:00:00+00:00",
        ...             actor="bo", reason="call").version
        2
        >>> deal.subject, dict(deal.edits[0].changes)
        ({'budget': 25, 'owner': 'ann'}, {'budget': (10, 25), 'owner': (None, 'ann')})
        """
        where = "Journey.update"
        if not isinstance(changes, Mapping) or not changes:
            raise invalid("changes", changes, "a non-empty mapping of field names to values",
                          where=where)
        for key in changes:
            if type(key) is not str or not key:
                raise invalid("changes", changes, f"a mapping with field names (non-empty "
                              f"str) as keys, not {key!r}", where=where)
        _text_or_none("actor", actor, where)
        _text_or_none("reason", reason, where)
        with self._lock:
            when = self._when(at)
            old = self._set_fields(dict(changes), where)
            edit = SubjectEdit(
                when, actor, reason,
                {k: (json_fact(old[k]), json_fact(v)) for k, v in changes.items()},
                self._version + 1,
            )
            self._edits.append(edit)
            self._version += 1
            self._last_at = when
            hooks = self._hooks
            if hooks is not None:
                outbox: list[OutboxMessage] = []
                stage = self.stage
                self._fire(hooks, (("edited", stage),), lambda topic: HookEvent(
                    topic, self, stage, stage, None, edit, None, self._version, outbox=outbox),
                    outbox, "the edit stands")
            return self

    def _set_fields(self, changes: dict[str, Any], where: str) -> dict[str, Any]:
        """Set ``changes`` on the subject; return the old values (MISSING for new
        fields). All or nothing: a field that cannot be set restores the others."""
        subject = self.subject
        old: dict[str, Any] = {}
        if isinstance(subject, MutableMapping):
            for key, value in changes.items():
                try:
                    old[key] = subject.get(key, MISSING)
                    subject[key] = value
                except Exception as exc:
                    self._restore(old)
                    raise invalid("changes", changes, f"fields the subject accepts "
                                  f"(setting {key!r} raised {type(exc).__name__}: {exc})",
                                  where=where) from exc
            return old
        if (subject is None or isinstance(subject, Mapping | str | bytes | int | float | tuple)):
            raise InvalidParameterError(
                f"Journey.update changes a mutable mapping or an object with attributes; "
                f"this journey's subject is {type(subject).__name__} {subject!r:.200}",
                parameter="subject", value=subject,
            )
        for key, value in changes.items():
            try:
                old[key] = getattr(subject, key, MISSING)
                setattr(subject, key, value)
            except Exception as exc:
                old.pop(key, None)
                self._restore(old)
                raise invalid("changes", changes, f"attributes the subject accepts (setting "
                              f"{key!r} on {type(subject).__name__} raised "
                              f"{type(exc).__name__}: {exc})", where=where) from exc
        return old

    def _restore(self, old: Mapping[str, Any]) -> None:
        subject = self.subject
        is_map = isinstance(subject, MutableMapping)
        for key, value in reversed(list(old.items())):
            try:
                if value is MISSING:
                    if is_map:
                        subject.pop(key, None)
                    else:
                        delattr(subject, key)
                elif is_map:
                    subject[key] = value
                else:
                    setattr(subject, key, value)
            except Exception:  # pragma: no cover - best effort on a hostile subject
                pass

    def can_advance(self, to: str | None = None) -> GateResult:
        """Whether :meth:`advance` (to ``to``) would succeed now, and why not.

        Never changes the journey. A move the policy forbids gives a failed result
        naming the move.
        """
        with self._lock:
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
        last = self._last_at
        if last is not None and when < last:
            raise InvalidParameterError(
                f"{'clock()' if from_clock else 'at'}={when.isoformat()} is before the "
                f"journey's last change at {last.isoformat()}",
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

    def _facts(self, source: str | None, to: str) -> FrozenMap:
        """The values of the fields the gates of ``source -> to`` read, as strict JSON
        (a callable gate reads nothing we can name)."""
        names, readers = self.funnel._fact_plan[(source, to)]
        if not readers:
            return EMPTY
        subject = self.subject
        if names is not None and type(subject) is dict:
            # fast path: a plain dict, undotted fields, plain values (C-level loops)
            values = tuple(map(subject.get, names))
            last = self._last_facts
            if (last is not None and last._keys is names
                    and all(map(operator.is_, last._values, values))):
                return last  # the same fields with the very same values: share the map
            if _PLAIN.issuperset(map(type, values)) or (
                    _PLAIN_OR_FLOAT.issuperset(map(type, values))
                    and all(math.isfinite(v) for v in values if type(v) is float)):
                facts = self._last_facts = FrozenMap.pairs(names, values)
                return facts
        data: dict[str, Any] = {}
        try:
            for name, getter in readers:
                value = getter(subject)
                data[name] = value if type(value) in _PLAIN else json_fact(value)
        except Exception:  # a property that raises: read field by field
            data = {}
            for name, getter in readers:
                try:
                    data[name] = json_fact(getter(subject))
                except Exception as exc:
                    data[name] = f"<unreadable: {type(exc).__name__}>"
        return FrozenMap.wrap(data)

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
        last = self._last_at
        if (type(when) is not datetime or when.tzinfo is None or when.utcoffset() is None
                or (last is not None and when < last)):
            # validate and raise clearly (the clock is read once: its reading is checked)
            when = self._when(at) if at is not None else self._checked_time(when, True)
        if (actor is not None and type(actor) is not str) or (
                reason is not None and type(reason) is not str):
            _text_or_none("actor", actor, "Journey")
            _text_or_none("reason", reason, "Journey")
        rec = _new_record(TransitionRecord, (source, to, when, actor, reason, force, kind,
                                             self._facts(source, to)))
        hooks = self._hooks
        if hooks is None:
            self._history.append(rec)
            self._history_t = None
            self.stage = to
            self._last_at = when
            self._version += 1
            return self
        return self._hooked_move(hooks, rec)

    def _apply(self, rec: TransitionRecord) -> None:
        self._history.append(rec)
        self._history_t = None
        self.stage = rec.to_stage
        self._last_at = rec.at
        self._version += 1

    def _hooked_move(self, hooks: Hooks, rec: TransitionRecord) -> Journey:
        """Make the move ``rec`` with hooks: ``before`` (may veto), then the move, then
        ``leave``, ``enter`` and ``after``; their messages join the outbox."""
        outbox: list[OutboxMessage] = []
        source, to = rec.from_stage, rec.to_stage
        version = self._version + 1

        def event(topic: str) -> HookEvent:
            return HookEvent(topic, self, source, to, rec, None, None, version, outbox=outbox)

        for fn in hooks.callbacks("before", to):
            fn(event("before"))  # raising vetoes the move: nothing has changed
            if self._version != version - 1:
                raise HookError(
                    "before", hook_name(fn), RuntimeError("it changed the journey"), self,
                    outcome="the move was abandoned (a before hook may veto a move, not "
                    "make changes)",
                )
        self._apply(rec)
        plan: tuple[tuple[str, str | None], ...] = (("enter", to), ("after", to))
        if source is not None:
            plan = (("leave", source), *plan)
        self._fire(hooks, plan, event, outbox, "the move stands")
        return self

    def _fire(self, hooks: Hooks, plan: Iterable[tuple[str, str | None]],
              event: Callable[[str], HookEvent], outbox: list[OutboxMessage],
              outcome: str) -> None:
        """Run the callbacks of ``plan`` after a change; keep their messages; raise
        :class:`HookError` for the first that raised, once every callback ran."""
        failure: tuple[str, Callable[..., Any], Exception] | None = None
        for topic, stage in plan:
            for fn in hooks.callbacks(topic, stage):
                try:
                    fn(event(topic))
                except Exception as exc:
                    if failure is None:
                        failure = (topic, fn, exc)
        self._pending.extend(outbox)
        if failure is not None:
            where, culprit, error = failure
            raise HookError(where, hook_name(culprit), error, self, outcome=outcome) from error

    def _attempt(self, to: str | None, move: Callable[[], Journey]) -> Journey:
        """Run ``move`` under the journey's lock; a refusal fires the ``refused`` hooks
        (aimed at ``to``) before it propagates."""
        with self._lock:
            try:
                return move()
            except _REFUSALS as exc:
                if self._hooks is not None:
                    self._refused(self._hooks, exc, to)
                raise

    def _refused(self, hooks: Hooks, error: Exception, to: str | None) -> None:
        """Run the ``refused`` callbacks for ``error`` (the caller re-raises it)."""
        assert isinstance(error, TransitionNotAllowed | GateFailed)
        target = to
        if target is None:
            target = error.stage if isinstance(error, GateFailed) else error.to_stage
        outbox: list[OutboxMessage] = []
        self._fire(hooks, (("refused", target),), lambda topic: HookEvent(
            topic, self, self.stage, target, None, None, error, self._version, outbox=outbox),
            outbox, f"the refusal ({type(error).__name__}) stands")

    # -- copying and pickling ---------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            state = {name: getattr(self, name) for name in self.__slots__
                     if name not in ("_lock", "_history_t", "_last_facts")}
            state["_history"] = list(self._history)
            state["_edits"] = list(self._edits)
            state["_pending"] = list(self._pending)
            return state

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self._history_t = None
        self._last_facts = None
        self._lock = threading.RLock()

    # -- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: funnel name, id, stage, version, history, edits, and the
        subject when it is a mapping. Pending messages are not included."""
        with self._lock:
            out: dict[str, Any] = {
                "funnel": self.funnel.name,
                "id": self.id,
                "stage": self.stage,
                "version": self._version,
                "history": [r.to_dict() for r in self._history],
                "edits": [e.to_dict() for e in self._edits],
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
        hooks: Hooks | None = None,
    ) -> Journey:
        """Rebuild a journey by replaying its history on ``funnel``.

        Gates are not re-checked (the history is what happened), but every move must be
        legal in ``funnel``, every field must have its type (a record's ``forced`` a real
        bool, actors and reasons text, times ISO text with an offset, ...), and the
        stored stage and version must match the replay (the version counts the history
        and the edits). After a successful call, ``json.dumps(journey.to_dict())`` works
        whenever the subject came from ``data``.

        Parameters
        ----------
        data : mapping
            As from :meth:`to_dict`.
        funnel : Funnel
            The funnel the journey runs in.
        subject : optional
            The subject to use instead of ``data["subject"]``.
        clock : callable, optional
            As for :meth:`Funnel.start`.
        hooks : Hooks, optional
            Hooks for the journey's future changes (none run while loading).

        Raises
        ------
        InvalidParameterError
            If the data belongs to another funnel, a field has the wrong type (the
            message names the field, the value and the expected type), or
            stage/version disagree with the history and edits.
        TransitionNotAllowed
            If a recorded move is not legal in ``funnel``.

        Examples
        --------
        >>> from salesfunnel import Funnel, Stage
        >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
        >>> data = f.start({"n": 1}, at="2026-01-05T09:00:00+00:00").to_dict()
        >>> Journey.from_dict(data, f).version
        1
        >>> data["history"][0]["forced"] = "false"
        >>> Journey.from_dict(data, f)
        Traceback (most recent call last):
        ...
        salesfunnel.errors.InvalidParameterError: history[0].forced must be a bool ...; got str ...
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
        cls._check_types(data)
        journey = cls.replay(
            funnel, data.get("history", ()),
            subject=data.get("subject") if subject is None else subject,
            id=data.get("id"), clock=clock, hooks=hooks, edits=data.get("edits", ()),
        )
        for key, actual in (("stage", journey.stage), ("version", journey.version)):
            if key in data and data[key] != actual:
                detail = " and edits" if key == "version" else ""
                raise InvalidParameterError(
                    f"stored {key} {data[key]!r} disagrees with the history{detail}, which "
                    f"give {actual!r}",
                    parameter=key,
                    value=data[key],
                )
        return journey

    @staticmethod
    def _check_types(data: Mapping[str, Any]) -> None:
        """The top-level fields of serialized journey ``data`` have their JSON types."""
        checks: tuple[tuple[str, tuple[type, ...], str], ...] = (
            ("funnel", (str, type(None)), "a funnel name (str)"),
            ("id", _ID_TYPES, "a str, int, float or None"),
            ("stage", (str,), "a stage name (str)"),
            ("version", (int,), "an int"),
            ("history", (list, tuple), "a sequence of transition records (a list)"),
            ("edits", (list, tuple), "a sequence of subject edits (a list)"),
        )
        for key, types, expected in checks:
            if key in data and type(data[key]) not in types:
                value = data[key]
                raise InvalidParameterError(
                    f"journey.{key} must be {expected}; got {type(value).__name__} "
                    f"{value!r:.200}",
                    parameter=key, value=value,
                )
        ident = data.get("id")
        if (isinstance(ident, float) and ident != ident) or ident in (float("inf"),
                                                                    float("-inf")):
            raise InvalidParameterError(f"journey.id must be finite; got {ident!r}",
                                        parameter="id", value=ident)
        if "subject" in data:
            try:
                json.dumps(data["subject"])
            except (TypeError, ValueError, RecursionError) as exc:
                raise InvalidParameterError(
                    f"journey.subject must be JSON data (str-keyed mappings, lists, str, "
                    f"numbers, bool, None); got {data['subject']!r:.200} ({exc})",
                    parameter="subject", value=data["subject"],
                ) from None

    def _load_edits(self, raw_edits: Iterable[Any]) -> None:
        """Attach serialized edits (checked) after the history was replayed."""
        edits = [SubjectEdit.from_dict(e.to_dict() if isinstance(e, SubjectEdit) else e,
                                       where=f"edits[{i}]")
                 for i, e in enumerate(raw_edits)]
        total = len(self._history) + len(edits)
        previous_at: datetime | None = None
        previous_version = 1
        for i, edit in enumerate(edits):
            if previous_at is not None and edit.at < previous_at:
                raise InvalidParameterError(
                    f"edits[{i}] at {edit.at.isoformat()} is earlier than the edit before it",
                    parameter="edits", value=edit.to_dict(),
                )
            if edit.version is not None:
                if not previous_version < edit.version <= total:
                    raise InvalidParameterError(
                        f"edits[{i}].version must be above {previous_version} and at most "
                        f"{total} (the history and edits); got {edit.version}",
                        parameter="edits", value=edit.to_dict(),
                    )
                previous_version = edit.version
            previous_at = edit.at
        self._edits = edits
        self._version += len(edits)
        if edits and (self._last_at is None or edits[-1].at > self._last_at):
            self._last_at = edits[-1].at

    @classmethod
    def replay(
        cls,
        funnel: Funnel,
        history: Iterable[TransitionRecord | Mapping[str, Any]],
        *,
        subject: Any = None,
        id: Any = None,
        clock: Callable[[], datetime] | None = None,
        hooks: Hooks | None = None,
        edits: Iterable[SubjectEdit | Mapping[str, Any]] = (),
    ) -> Journey:
        """Rebuild the state that ``history`` leads to, checking each move is legal.

        Parameters
        ----------
        funnel : Funnel
            The funnel the journey runs in.
        history : iterable of TransitionRecord or mapping
            The records, oldest first (mappings as from :meth:`TransitionRecord.to_dict`).
        subject, id, clock, hooks
            As for :meth:`Funnel.start` (no hook runs during the replay).
        edits : iterable of SubjectEdit or mapping, optional
            The subject's recorded edits (they count in the version; the subject is
            taken as given, not rebuilt from them).

        Raises
        ------
        TransitionNotAllowed
            If the first record does not start the journey at an open stage, or a
            record is not a legal move from where the journey is.
        InvalidParameterError
            If the history is empty or malformed (a field of the wrong type), names an
            unknown stage, or a time is naive or earlier than the record before it.

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
        self = cls._new(funnel, subject, id, clock, hooks)
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
                if rec.at < self._history[-1].at:
                    raise InvalidParameterError(
                        f"record {i} at {rec.at.isoformat()} is earlier than the one before it",
                        parameter="history",
                        value=rec,
                    )
            self._apply(rec)
        if not self._history:
            raise InvalidParameterError("a journey's history cannot be empty",
                                        parameter="history", value=[])
        if isinstance(edits, str | bytes | Mapping) or not isinstance(edits, Iterable):
            raise InvalidParameterError(
                f"a journey's edits are a sequence of subject edits; got "
                f"{type(edits).__name__} {edits!r:.200}",
                parameter="edits", value=edits,
            )
        self._load_edits(edits)
        return self

    def __repr__(self) -> str:
        ident = "" if self.id is None else f" {self.id!r}"
        return (f"<Journey{ident} in {self.funnel.name!r} at {self.stage!r}, "
                f"version {self._version}>")
