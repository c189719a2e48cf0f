"""The store's small public result types and the row codecs shared by its modules."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from salesfunnel._util._json import check_json
from salesfunnel._util._validate import invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.model import Journey, TransitionRecord
from salesfunnel.model._records import thaw

__all__ = ["Change", "Delivery", "Receipt", "StaleJourney"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def ns_of(at: datetime) -> int:
    return (at - _EPOCH) // _US * 1_000


class Receipt(NamedTuple):
    """The outcome of a write: the journey's id, version and stage after it.

    ``replayed`` is True when the command's idempotency key had been seen: nothing was
    written and the outcome is the first one.
    """

    id: Any
    version: int
    stage: str
    replayed: bool = False


class StaleJourney(NamedTuple):
    """A journey longer in its stage than the stage's threshold (:meth:`Store.stale`)."""

    id: Any
    stage: str
    entered_at: datetime
    age: timedelta


class Change(NamedTuple):
    """One committed transition from the change feed (:meth:`Store.changes`).

    ``cursor`` orders the feed: pass the last one seen as ``after=``. ``n`` is the
    move's number in the journey's history (1 for the start).
    """

    cursor: int
    id: Any
    funnel: str
    n: int
    record: TransitionRecord


class Delivery(NamedTuple):
    """An outbox message handed to a dispatcher's handler (:meth:`Store.dispatch`).

    ``seq`` is unique per message: handlers that must not act twice deduplicate on it
    (delivery is at least once).
    """

    seq: int
    id: Any
    version: int
    topic: str
    payload: Any
    attempts: int


def ext_key(ident: Any) -> str:
    if isinstance(ident, bool) or not isinstance(ident, str | int):
        raise invalid("id", ident, "a str or int journey id (or None to let the store "
                      "number it)", where="Store")
    return json.dumps(ident)


def subject_json(journey: Journey) -> str | None:
    subject = journey.subject
    if subject is None:
        return None
    if not isinstance(subject, Mapping):
        raise InvalidParameterError(
            f"a stored journey's subject is a mapping of JSON values (or None); journey "
            f"{journey.id!r} has a {type(subject).__name__}", parameter="journey",
            value=subject)
    try:
        return check_json(dict(subject))
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            f"journey {journey.id!r}: its subject is not JSON ({exc})", parameter="journey",
            value=subject) from None


def indexed_field(subject: Any, name: str | None) -> str | None:
    if name is None or not isinstance(subject, Mapping):
        return None
    value = subject.get(name)
    return None if value is None else str(value)


def facts_json(rec: TransitionRecord) -> str | None:
    facts = rec.facts
    return json.dumps(thaw(facts), default=str) if facts else None
