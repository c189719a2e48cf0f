"""What a journey records: its moves (:class:`TransitionRecord`) and its subject edits
(:class:`SubjectEdit`), both immutable, with JSON-safe facts and changes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import attrs

from salesfunnel._util._json import to_json_value
from salesfunnel._util._time import aware_datetime
from salesfunnel.errors import InvalidParameterError
from salesfunnel.model.rules import MISSING

__all__ = ["KINDS", "FrozenMap", "SubjectEdit", "TransitionRecord", "freeze", "json_fact",
           "thaw", "to_aware"]

_NAIVE_HINT = "; give a timezone (e.g. datetime(..., tzinfo=timezone.utc))"

KINDS = frozenset({"start", "advance", "skip", "fall_back", "lose", "reenter", "explicit"})
"""The kinds of move a :class:`TransitionRecord` may name."""


def to_aware(value: Any, parameter: str = "at") -> datetime:
    """An ``at=`` value as an aware datetime: the time module's conversion with the
    default naive policy ("raise"); a given datetime or ISO offset is kept."""
    return aware_datetime(value, parameter=parameter, hint=_NAIVE_HINT)


class FrozenMap(Mapping[str, Any]):
    """A read-only, hashable mapping (the facts of a record, the changes of an edit).

    It compares equal to a ``dict`` with the same items, pickles, and nests only
    frozen values (tuples and other frozen maps).

    Examples
    --------
    >>> m = FrozenMap({"budget": 5})
    >>> m == {"budget": 5}, m["budget"], hash(m) == hash(FrozenMap({"budget": 5}))
    (True, 5, True)
    """

    __slots__ = ("_hash", "_items", "_keys", "_values")

    _keys: tuple[str, ...]
    _values: tuple[Any, ...]

    def __init__(self, data: Mapping[str, Any] = ()) -> None:  # type: ignore[assignment]
        self._items: dict[str, Any] | None = dict(data)
        self._hash: int | None = None

    @classmethod
    def wrap(cls, data: dict[str, Any]) -> FrozenMap:
        """A frozen map that takes ownership of ``data`` (no copy; values already
        frozen)."""
        self = cls.__new__(cls)
        self._items = data
        self._hash = None
        return self

    @classmethod
    def pairs(cls, keys: tuple[str, ...], values: tuple[Any, ...]) -> FrozenMap:
        """A frozen map of ``zip(keys, values)`` (immutable values), built lazily: a
        journey makes one per move and most are never read."""
        self = cls.__new__(cls)
        self._items = None
        self._keys = keys
        self._values = values
        self._hash = None
        return self

    @property
    def _data(self) -> dict[str, Any]:
        items = self._items
        if items is None:
            items = self._items = dict(zip(self._keys, self._values, strict=True))
        return items

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __bool__(self) -> bool:
        # without building the dict of a lazy map (most facts are never read)
        return bool(self._keys) if self._items is None else bool(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


EMPTY = FrozenMap()


def freeze(value: Any) -> Any:
    """JSON data made immutable: dicts become :class:`FrozenMap`, lists tuples."""
    if isinstance(value, Mapping):
        return FrozenMap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists for ``to_dict``."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def json_fact(value: Any) -> Any:
    """A subject value as recorded in facts and edits: strict JSON, frozen.

    A missing field is ``None``; NaN and infinities are ``None``; dates are ISO text;
    numpy scalars Python numbers; any other object its ``str()``.
    """
    if value is MISSING:
        return None
    if value is None or type(value) in (str, int, bool):
        return value
    try:
        return freeze(to_json_value(value))
    except Exception as exc:  # a str() or to_dict() that raises, or nesting too deep
        return f"<unreadable: {type(exc).__name__}>"


def _strict_json(value: Any, parameter: str) -> Any:
    """``value`` (facts or changes read from data) checked as strict JSON, frozen."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidParameterError(
            f"{parameter} must hold strict JSON values (str, int, float, bool, None, lists "
            f"and str-keyed mappings of them); got {type(value).__name__} {value!r:.200} "
            f"({exc})",
            parameter=parameter,
            value=value,
        ) from None
    return freeze(value)


def _field(data: Mapping[str, Any], key: str, where: str, expected: tuple[type, ...],
           what: str, default: Any = None, required: bool = False) -> Any:
    """``data[key]`` checked against ``expected`` (exact types: ``True`` is no int)."""
    if key not in data:
        if required:
            raise InvalidParameterError(
                f"{where} needs {key!r} ({what}); got keys {sorted(map(str, data))}",
                parameter=f"{where}.{key}", value=None,
            )
        return default
    value = data[key]
    if type(value) not in expected:
        raise InvalidParameterError(
            f"{where}.{key} must be {what}; got {type(value).__name__} {value!r:.200}",
            parameter=f"{where}.{key}",
            value=value,
        )
    return value


def _time(data: Mapping[str, Any], where: str) -> datetime:
    raw = _field(data, "at", where, (str, datetime), "an ISO 8601 time with an offset",
                 required=True)
    return to_aware(raw, f"{where}.at")


class TransitionRecord(NamedTuple):
    """One move in a journey's history (immutable).

    ``from_stage`` is ``None`` for the record that starts the journey. ``kind`` says
    which policy allowed the move (``"start"``, ``"advance"``, ``"skip"``,
    ``"fall_back"``, ``"lose"``, ``"reenter"``, ``"explicit"``). ``facts`` maps each
    subject field the move's gates read (rule gates only: a Python callable is opaque
    and contributes nothing) to its value at the time of the move, as strict JSON: an
    audit shows why a move was allowed, not only that it was. A forced move records
    the values the overridden gates would have read.

    A named tuple rather than an attrs class: a journey appends one per change, and
    building a tuple costs a fifth of a frozen attrs instance (measured in
    ``benchmarks/bench_model.py``). It is immutable all the same, and ``facts`` is a
    read-only mapping.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> rec = TransitionRecord("lead", "demo", datetime(2026, 1, 5, tzinfo=timezone.utc))
    >>> rec.to_stage, rec.kind, rec.forced, dict(rec.facts)
    ('demo', 'advance', False, {})
    """

    from_stage: str | None
    to_stage: str
    at: datetime
    actor: str | None = None
    reason: str | None = None
    forced: bool = False
    kind: str = "advance"
    facts: Mapping[str, Any] = EMPTY

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
            "facts": thaw(self.facts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "record") -> TransitionRecord:
        """Rebuild a record from :meth:`to_dict` output, checking every field's type.

        Raises
        ------
        InvalidParameterError
            If a field is missing or of the wrong type (``forced`` must be a real bool,
            ``actor`` and ``reason`` text or None, ``facts`` a mapping of strict JSON);
            the message names the field, the value and the expected type.

        Examples
        --------
        >>> TransitionRecord.from_dict({"from_stage": None, "to_stage": "lead",
        ...                             "at": "2026-01-05T09:00:00+00:00", "forced": "no"})
        Traceback (most recent call last):
        ...
        salesfunnel.errors.InvalidParameterError: record.forced must be a bool ...; got str 'no'
        """
        if not isinstance(data, Mapping):
            raise InvalidParameterError(
                f"{where} must be a mapping (from TransitionRecord.to_dict); got "
                f"{type(data).__name__} {data!r:.200}",
                parameter=where,
                value=data,
            )
        text_or_none = (str, type(None))
        from_stage = _field(data, "from_stage", where, text_or_none, "a stage name or None",
                            required=True)
        to_stage = _field(data, "to_stage", where, (str,), "a stage name", required=True)
        at = _time(data, where)
        actor = _field(data, "actor", where, text_or_none, "text or None")
        reason = _field(data, "reason", where, text_or_none, "text or None")
        forced = _field(data, "forced", where, (bool,), "a bool (True or False)", False)
        kind = _field(data, "kind", where, (str,), f"one of {sorted(KINDS)}", "advance")
        if kind not in KINDS:
            raise InvalidParameterError(
                f"{where}.kind must be one of {sorted(KINDS)}; got {kind!r}",
                parameter=f"{where}.kind",
                value=kind,
            )
        facts = _field(data, "facts", where, (dict, FrozenMap),
                       "a mapping of field names to JSON values", EMPTY)
        facts = _checked_map(facts, f"{where}.facts")
        return cls(from_stage, to_stage, at, actor, reason, forced, kind, facts)


def _checked_map(value: Mapping[str, Any], parameter: str) -> FrozenMap:
    for key in value:
        if type(key) is not str:
            raise InvalidParameterError(
                f"{parameter} keys must be field names (str); got {type(key).__name__} "
                f"{key!r}",
                parameter=parameter,
                value=value,
            )
    frozen = value if isinstance(value, FrozenMap) else _strict_json(thaw(value), parameter)
    assert isinstance(frozen, FrozenMap)
    return frozen


def _changes(value: Any) -> FrozenMap:
    """Changes as recorded: ``{field: (old, new)}``, frozen."""
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            f"SubjectEdit.changes must be a mapping of field names to (old, new) pairs; got "
            f"{type(value).__name__} {value!r:.200}",
            parameter="changes", value=value,
        )
    out = {}
    for key, pair in value.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InvalidParameterError(
                f"SubjectEdit.changes[{key!r}] must be an (old, new) pair; got {pair!r:.200}",
                parameter="changes", value=value,
            )
        out[key] = (freeze(pair[0]), freeze(pair[1]))
    return FrozenMap.wrap(out)


@attrs.frozen
class SubjectEdit:
    """One recorded change of a journey's subject (see :meth:`Journey.update
    <salesfunnel.Journey.update>`).

    ``changes`` maps each field set to ``(old, new)``, both as strict JSON (a field
    that did not exist reads ``None``; dates become ISO text, other objects their
    ``str()``); ``version`` is the journey's version after the edit.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> edit = SubjectEdit(datetime(2026, 1, 5, tzinfo=timezone.utc), "ann", "call",
    ...                    {"budget": (None, 20000)}, version=2)
    >>> edit.changes["budget"], edit.to_dict()["changes"]
    ((None, 20000), {'budget': [None, 20000]})
    """

    at: datetime
    actor: str | None = None
    reason: str | None = None
    changes: Mapping[str, tuple[Any, Any]] = attrs.field(default=EMPTY, converter=_changes)
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (``at`` as ISO 8601, each change as ``[old, new]``)."""
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "reason": self.reason,
            "changes": thaw(self.changes),
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "edit") -> SubjectEdit:
        """Rebuild an edit from :meth:`to_dict` output, checking every field's type.

        Raises
        ------
        InvalidParameterError
            If a field is missing or of the wrong type; the message names the field,
            the value and the expected type.
        """
        if not isinstance(data, Mapping):
            raise InvalidParameterError(
                f"{where} must be a mapping (from SubjectEdit.to_dict); got "
                f"{type(data).__name__} {data!r:.200}",
                parameter=where,
                value=data,
            )
        at = _time(data, where)
        actor = _field(data, "actor", where, (str, type(None)), "text or None")
        reason = _field(data, "reason", where, (str, type(None)), "text or None")
        version = _field(data, "version", where, (int, type(None)), "an int or None")
        raw = _field(data, "changes", where, (dict, FrozenMap),
                     "a mapping of field names to [old, new] pairs", required=True)
        changes = _checked_map(raw, f"{where}.changes")
        for key, pair in changes.items():
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise InvalidParameterError(
                    f"{where}.changes[{key!r}] must be an [old, new] pair; got "
                    f"{thaw(pair)!r:.200}",
                    parameter=f"{where}.changes",
                    value=thaw(pair),
                )
        if not changes:
            raise InvalidParameterError(
                f"{where}.changes must name at least one field; got an empty mapping",
                parameter=f"{where}.changes", value={},
            )
        return cls(at, actor, reason, changes, version)
