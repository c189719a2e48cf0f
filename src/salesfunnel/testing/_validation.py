"""Up-front checks of strategy options; each failure is an ``InvalidArgument``.

Like :mod:`hypothesis.extra.numpy`, a strategy factory checks its options when it is
called, so a typo fails at the line that made it, not deep inside a test run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hypothesis.errors import InvalidArgument

from salesfunnel._util._suggest import closest
from salesfunnel.model import Funnel, Stage
from salesfunnel.model.rules.api import KEYWORDS

__all__ = [
    "check_bool",
    "check_fields",
    "check_funnel",
    "check_int",
    "check_optional_bool",
    "check_stage_of",
]

_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


def check_int(
    name: str, value: Any, *, min_value: int | None = None, max_value: int | None = None
) -> int:
    """``value`` as an int within the bounds, else ``InvalidArgument`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an int; got {type(value).__name__}")
    if min_value is not None and value < min_value:
        raise InvalidArgument(f"{name}={value!r} must be at least {min_value}")
    if max_value is not None and value > max_value:
        raise InvalidArgument(f"{name}={value!r} must be at most {max_value}")
    return value


def check_optional_bool(name: str, value: Any) -> bool | None:
    """``True``, ``False`` or ``None`` (meaning "either"); anything else is an error."""
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(
            f"{name}={value!r} must be True, False or None (either); got {type(value).__name__}"
        )
    return value


def check_bool(name: str, value: Any) -> bool:
    """``True`` or ``False``; anything else is an error."""
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be True or False")
    return value


def check_funnel(name: str, value: Any) -> Funnel:
    """A :class:`~salesfunnel.Funnel`, else an error naming what was received."""
    if not isinstance(value, Funnel):
        raise InvalidArgument(
            f"{name} must be a salesfunnel.Funnel; got {type(value).__name__} {value!r}"
        )
    return value


def check_stage_of(funnel: Funnel, name: str, value: Any) -> str:
    """The name of a stage of ``funnel`` (a name or a :class:`Stage`)."""
    stage = value.name if isinstance(value, Stage) else value
    if not isinstance(stage, str) or stage not in funnel.names:
        options = ", ".join(repr(n) for n in closest(str(stage), funnel.names))
        raise InvalidArgument(
            f"{name}={value!r} is not a stage of funnel {funnel.name!r}; expected one of: "
            f"{options}"
        )
    return stage


def check_fields(name: str, value: Any) -> tuple[str, ...]:
    """Field names a rule may read: dotted identifiers, not keywords, at least one."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidArgument(
            f"{name}={value!r} must be a sequence of field names such as ['budget', "
            "'contact.email']"
        )
    fields = tuple(value)
    if not fields:
        raise InvalidArgument(f"{name}={value!r} must name at least one field")
    for field in fields:
        if not isinstance(field, str) or not _FIELD.match(field):
            raise InvalidArgument(
                f"{name} contains {field!r}, which is not a field name (letters, digits and "
                "'_', starting with a letter; dots between parts)"
            )
        bad = [part for part in field.split(".") if part in KEYWORDS]
        if bad:
            raise InvalidArgument(
                f"{name} contains {field!r}, but {bad[0]!r} is a keyword of the rule language"
            )
    if len(set(fields)) != len(fields):
        raise InvalidArgument(f"{name}={value!r} lists a field more than once")
    return fields
