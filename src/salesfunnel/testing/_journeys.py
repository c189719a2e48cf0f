"""Strategies and checks for what a journey records beyond its moves: subject edits
(:class:`~salesfunnel.SubjectEdit`), facts and hooks (:class:`~salesfunnel.Hooks`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from salesfunnel._util._validate import check_int
from salesfunnel.model import HookEvent, Hooks, Journey, SubjectEdit
from salesfunnel.model._hooks import TOPICS
from salesfunnel.testing._strategies import DEFAULT_FIELDS, instants

__all__ = ["HookRecorder", "json_values", "subject_edits"]

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
)


def json_values(max_leaves: int = 6) -> st.SearchStrategy[Any]:
    """Strict JSON values (what facts, edits and hook payloads hold): ``None``, bools,
    ints, finite floats, text, and lists and str-keyed mappings of them.

    Examples
    --------
    >>> import json
    >>> from hypothesis import given
    >>> @given(json_values())
    ... def test(value):
    ...     json.dumps(value, allow_nan=False)
    >>> test()
    """
    max_leaves = check_int("max_leaves", max_leaves, low=1, high=1000)
    return st.recursive(
        _SCALARS,
        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                st.dictionaries(st.text(max_size=6), inner, max_size=3)),
        max_leaves=max_leaves,
    )


@st.composite
def _edits(draw: st.DrawFn, at: datetime | None, version: int | None) -> SubjectEdit:
    fields = draw(st.lists(st.sampled_from(DEFAULT_FIELDS), min_size=1, max_size=3,
                           unique=True))
    values = json_values(4)
    changes = {f: (draw(values), draw(values)) for f in fields}
    when = draw(instants()) if at is None else at
    actor = draw(st.one_of(st.none(), st.sampled_from(("ann", "bo", "crm-sync", "王芳"))))
    reason = draw(st.one_of(st.none(), st.text(max_size=20)))
    number = draw(st.integers(2, 10**6)) if version is None else version
    return SubjectEdit(when, actor, reason, changes, number)


def subject_edits(*, at: datetime | None = None, version: int | None = None
                  ) -> st.SearchStrategy[SubjectEdit]:
    """Valid :class:`~salesfunnel.SubjectEdit` records: one to three fields of
    :data:`DEFAULT_FIELDS`, each with old and new strict JSON values.

    Parameters
    ----------
    at : datetime, optional
        A fixed (aware) time; by default drawn from :func:`instants`.
    version : int, optional
        A fixed version; by default drawn (at least 2: the start is version 1).

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel import SubjectEdit
    >>> @given(subject_edits())
    ... def test(edit):
    ...     assert SubjectEdit.from_dict(edit.to_dict()) == edit
    >>> test()
    """
    if at is not None and (not isinstance(at, datetime) or at.utcoffset() is None):
        from hypothesis.errors import InvalidArgument

        raise InvalidArgument(f"at must be an aware datetime; got {at!r}")
    if version is not None:
        version = check_int("version", version, low=2)
    return _edits(at, version)


class HookRecorder:
    """A :class:`~salesfunnel.Hooks` that records every event, emits one message per
    change, and checks the laws hooks obey.

    Attach :attr:`hooks` to journeys (``funnel.start(..., hooks=recorder.hooks)``), drive
    them, then call :meth:`check` on each journey. The laws:

    - every move made while attached fired ``before`` then ``enter`` and ``after`` (and
      ``leave`` unless it was the start), each with the move's record;
    - every :meth:`~salesfunnel.Journey.update` fired ``edited`` with its edit;
    - the events' versions rise by one per change, as the journey's version does;
    - the messages (pending plus taken) are exactly one per ``after`` and ``edited``
      event, in order, with the journey's id and the change's version (give the
      journeys of one recorder distinct ids).

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> recorder = HookRecorder()
    >>> deal = Funnel("f", [Stage("a"), Stage("won", kind="won")]).start(
    ...     {}, id=7, hooks=recorder.hooks).update({"n": 1}).advance()
    >>> [e.topic for e in recorder.events]
    ['before', 'enter', 'after', 'edited', 'before', 'leave', 'enter', 'after']
    >>> recorder.check(deal)
    """

    def __init__(self) -> None:
        self.events: list[HookEvent] = []
        self.taken: list[Any] = []
        self.hooks = Hooks()
        for topic in TOPICS:
            self.hooks.on(topic, self._record)

    def _record(self, event: HookEvent) -> None:
        self.events.append(event)
        if event.topic in ("after", "edited"):
            event.emit(f"journey.{event.topic}", {"version": event.version,
                                                  "to": event.to_stage})

    def take(self, journey: Journey) -> None:
        """Take the journey's pending messages (as a store would) and keep them."""
        self.taken.extend(journey.take_messages())

    def check(self, journey: Journey) -> None:
        """Assert the laws above for ``journey``'s events.

        Raises
        ------
        AssertionError
            Naming the law that broke.
        """
        mine = [e for e in self.events if e.journey is journey]
        changes = [e for e in mine if e.topic in ("after", "edited")]
        versions = [e.version for e in changes]
        if versions:
            assert versions == list(range(versions[0], versions[0] + len(versions))), (
                f"version law: change versions {versions} do not rise by one")
            assert versions[-1] == journey.version, (
                f"version law: the last change has version {versions[-1]}, the journey "
                f"{journey.version}")
        records = [e.record for e in mine if e.topic == "after"]
        history = journey.history
        assert records == list(history[len(history) - len(records):]), (
            "move law: the 'after' events do not match the last recorded moves")
        edits = [e.edit for e in mine if e.topic == "edited"]
        assert edits == list(journey.edits[len(journey.edits) - len(edits):]), (
            "edit law: the 'edited' events do not match the last recorded edits")
        for event in mine:
            if event.topic == "after":
                seq = [e.topic for e in mine if e.record is event.record]
                want = ["before", "enter", "after"] if event.from_stage is None else [
                    "before", "leave", "enter", "after"]
                assert seq == want, (f"order law: move {event.from_stage!r} -> "
                                     f"{event.to_stage!r} fired {seq}, expected {want}")
        messages = [m for m in (*self.taken, *journey.pending_messages)
                    if m.journey_id == journey.id]
        assert [(m.topic, m.version) for m in messages] == [
            (f"journey.{e.topic}", e.version) for e in changes], (
            "outbox law: the messages are not one per change, in order")
