"""Journey hooks: callbacks around moves and edits, and the messages they emit."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, overload

import attrs

from salesfunnel._util._suggest import listing
from salesfunnel.errors import FunnelError, InvalidParameterError
from salesfunnel.model._records import SubjectEdit, TransitionRecord

if TYPE_CHECKING:  # pragma: no cover
    from salesfunnel.model._journey import Journey

__all__ = ["TOPICS", "HookEvent", "Hooks", "OutboxMessage"]

TOPICS: Final = ("before", "after", "enter", "leave", "refused", "edited")
"""The topics a callback may be registered for, in the order they can fire."""

Callback = Callable[["HookEvent"], object]


@attrs.frozen
class OutboxMessage:
    """A message a hook emitted (see :meth:`HookEvent.emit`), waiting in
    :attr:`Journey.pending_messages <salesfunnel.Journey.pending_messages>`.

    ``payload`` is strict JSON (a fresh copy of what the hook gave); ``version`` is the
    journey's version after the change the message is about (its current version for a
    refused move); ``journey_id`` is the journey's ``id``.

    Examples
    --------
    >>> msg = OutboxMessage("deal.won", {"amount": 12000}, "acme", 4)
    >>> msg.to_dict()
    {'topic': 'deal.won', 'payload': {'amount': 12000}, 'journey_id': 'acme', 'version': 4}
    """

    topic: str
    payload: Mapping[str, Any] = attrs.field(hash=False)
    journey_id: Any = None
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"topic": self.topic, "payload": dict(self.payload),
                "journey_id": self.journey_id, "version": self.version}


@attrs.frozen
class HookEvent:
    """What a hook callback receives: the journey and the change.

    Attributes
    ----------
    topic : str
        The topic the callback was registered for (one of :data:`TOPICS`).
    journey : Journey
        The journey (during ``before`` and ``refused``: unchanged; afterwards: changed).
    from_stage, to_stage : str or None
        The move (``from_stage`` is ``None`` when a journey starts; for an edit, both
        are the current stage; for a refusal, ``to_stage`` may be ``None``).
    record : TransitionRecord or None
        The record of the move (already built during ``before``; ``None`` for edits
        and refusals).
    edit : SubjectEdit or None
        The edit, for ``edited``.
    error : FunnelError or None
        The refusal (:class:`~salesfunnel.TransitionNotAllowed` or
        :class:`~salesfunnel.GateFailed`), for ``refused``.
    version : int
        The journey's version once the change stands (current version when refused).
    """

    topic: str
    journey: Journey = attrs.field(repr=False)
    from_stage: str | None
    to_stage: str | None
    record: TransitionRecord | None = None
    edit: SubjectEdit | None = None
    error: FunnelError | None = None
    version: int = 0
    _outbox: list[OutboxMessage] = attrs.field(factory=list, eq=False, repr=False,
                                               alias="outbox")

    def emit(self, topic: str, payload: Mapping[str, Any] | None = None) -> OutboxMessage:
        """Queue a message about this change in the journey's outbox.

        The message joins :attr:`Journey.pending_messages
        <salesfunnel.Journey.pending_messages>` only if the change stands (a vetoed move
        emits nothing); a store writes pending messages in the same transaction as the
        journey, so a rolled-back move never sends one.

        Parameters
        ----------
        topic : str
            What happened, e.g. ``"deal.won"`` (non-empty text).
        payload : mapping, optional
            Strict JSON data (str keys; str, int, float, bool, None, lists, mappings).

        Raises
        ------
        InvalidParameterError
            If ``topic`` is not non-empty text or ``payload`` is not strict JSON.
        """
        if not isinstance(topic, str) or not topic.strip():
            raise InvalidParameterError(
                f"The 'topic' parameter of HookEvent.emit must be non-empty text; got "
                f"{type(topic).__name__} {topic!r}",
                parameter="topic", value=topic,
            )
        data: Any = {} if payload is None else payload
        if not isinstance(data, Mapping):
            raise InvalidParameterError(
                f"The 'payload' parameter of HookEvent.emit must be a mapping; got "
                f"{type(data).__name__} {data!r:.200}",
                parameter="payload", value=data,
            )
        try:
            _check_keys(data, 0)
            copied = json.loads(json.dumps(dict(data), allow_nan=False))
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidParameterError(
                f"The 'payload' parameter of HookEvent.emit must be strict JSON; got "
                f"{data!r:.200} ({exc})",
                parameter="payload", value=data,
            ) from None
        msg = OutboxMessage(topic, copied, self.journey.id, self.version)
        self._outbox.append(msg)
        return msg


class Hooks:
    """Callbacks around a journey's moves and edits (like pytransitions' callbacks).

    Register callbacks with :meth:`on`; attach the hooks with ``funnel.start(...,
    hooks=hooks)``, ``Journey.from_dict(..., hooks=hooks)`` or ``journey.hooks =
    hooks``. One :class:`Hooks` may serve many journeys. Each callback receives one
    :class:`HookEvent`.

    Topics, in the order they fire:

    * ``"before"``: the move is legal and its gates pass, not yet made. Raising vetoes
      the move: the exception propagates unchanged and the journey is untouched.
    * ``"leave"``, ``"enter"``, ``"after"``: the move is made (recorded, version
      increased). ``stage=`` filters ``leave`` on the stage left and ``enter`` on
      the stage entered.
    * ``"refused"``: a move of the journey raised
      :class:`~salesfunnel.TransitionNotAllowed` or :class:`~salesfunnel.GateFailed`
      (``event.error``); the error is raised after the callbacks ran. (A refused
      ``Funnel.start`` creates no journey and fires nothing.)
    * ``"edited"``: after :meth:`Journey.update <salesfunnel.Journey.update>`.

    ``stage=`` on ``before``, ``after`` and ``refused`` filters on the target stage, on
    ``edited`` on the journey's stage. An exception in a callback after a change
    (``leave``, ``enter``, ``after``, ``edited``) does not undo the change: the other
    callbacks still run, then :class:`~salesfunnel.HookError` is raised for the first
    failure (``.journey`` is the changed journey). An exception in a ``refused`` callback
    is raised as :class:`~salesfunnel.HookError` instead of the refusal (chained to
    it). Callbacks run while the journey's lock is held: they see a consistent journey
    and may call its methods, but should be quick.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> funnel = Funnel("f", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> hooks = Hooks()
    >>> @hooks.on("enter", stage="won")
    ... def announce(event):
    ...     event.emit("deal.won", {"id": event.journey.id})
    >>> deal = funnel.start(id="acme", hooks=hooks).advance()
    >>> deal.take_messages()
    (OutboxMessage(topic='deal.won', payload={'id': 'acme'}, journey_id='acme', version=2),)
    """

    __slots__ = ("_callbacks",)

    def __init__(self) -> None:
        self._callbacks: dict[str, list[tuple[str | None, Callback]]] = {t: [] for t in TOPICS}

    @overload
    def on(self, topic: str, fn: None = None, *, stage: str | None = None
           ) -> Callable[[Callback], Callback]: ...

    @overload
    def on(self, topic: str, fn: Callback, *, stage: str | None = None) -> Callback: ...

    def on(self, topic: str, fn: Callback | None = None, *, stage: str | None = None
           ) -> Callback | Callable[[Callback], Callback]:
        """Register ``fn`` for ``topic`` (as a call, or as a decorator without ``fn``).

        Parameters
        ----------
        topic : str
            One of :data:`TOPICS`.
        fn : callable, optional
            ``fn(event)``; its return value is ignored.
        stage : str, optional
            Only call ``fn`` for this stage (see the class docstring).

        Returns
        -------
        callable
            ``fn`` (so ``on`` works as a decorator).

        Raises
        ------
        InvalidParameterError
            If ``topic`` is unknown, ``fn`` not callable or ``stage`` not text.
        """
        if not isinstance(topic, str) or topic not in self._callbacks:
            raise InvalidParameterError(
                f"The 'topic' parameter of Hooks.on must be one of "
                f"{listing(topic if isinstance(topic, str) else '', TOPICS)}; got {topic!r}",
                parameter="topic", value=topic,
            )
        if stage is not None and not isinstance(stage, str):
            raise InvalidParameterError(
                f"The 'stage' parameter of Hooks.on must be a stage name or None; got "
                f"{type(stage).__name__} {stage!r}",
                parameter="stage", value=stage,
            )

        def register(callback: Callback) -> Callback:
            if not callable(callback):
                raise InvalidParameterError(
                    f"The 'fn' parameter of Hooks.on must be callable; got "
                    f"{type(callback).__name__} {callback!r}",
                    parameter="fn", value=callback,
                )
            self._callbacks[topic].append((stage, callback))
            return callback

        return register if fn is None else register(fn)

    def callbacks(self, topic: str, stage: str | None = None) -> tuple[Callback, ...]:
        """The callbacks of ``topic`` that apply to ``stage``, in registration order."""
        return tuple(fn for only, fn in self._callbacks.get(topic, ())
                     if only is None or only == stage)

    def __len__(self) -> int:
        return sum(len(v) for v in self._callbacks.values())

    def __repr__(self) -> str:
        counts = ", ".join(f"{t}={len(v)}" for t, v in self._callbacks.items() if v)
        return f"Hooks({counts})"


def _check_keys(value: Any, depth: int) -> None:
    """Raise TypeError for a mapping key that is not text (json would turn ``1`` into
    ``"1"`` silently), ValueError past 100 levels of nesting."""
    if depth > 100:
        raise ValueError("nested more than 100 levels deep")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"mapping keys must be str; got {type(key).__name__} {key!r}")
            _check_keys(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_keys(item, depth + 1)


def hook_name(fn: Callable[..., Any]) -> str:
    """A readable name for a callback, for error messages."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return name if isinstance(name, str) else repr(fn)
