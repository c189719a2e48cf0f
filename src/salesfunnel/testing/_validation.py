"""Up-front checks of strategy options; each failure is an ``InvalidArgument``.

Like :mod:`hypothesis.extra.numpy`, a strategy factory checks its options when it is
called, so a typo fails at the line that made it, not deep inside a test run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from hypothesis.errors import InvalidArgument

from salesfunnel._util._suggest import listing
from salesfunnel._util._validate import check_bool as _check_bool
from salesfunnel._util._validate import check_instance as _check_instance
from salesfunnel._util._validate import check_int as _check_int
from salesfunnel._util._validate import invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.model import Funnel, Stage
from salesfunnel.model.rules.api import KEYWORDS

__all__ = [
    "StrategyArgumentError",
    "check_bool",
    "check_fields",
    "check_funnel",
    "check_int",
    "check_optional_bool",
    "check_stage_of",
]

_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


class StrategyArgumentError(InvalidArgument, InvalidParameterError):
    """A bad strategy option: both hypothesis' ``InvalidArgument`` and the library's
    :class:`~salesfunnel.errors.InvalidParameterError`, so either ``except`` catches it."""

    def __init__(self, message: str, *, parameter: str | None = None,
                 value: Any = None) -> None:
        InvalidParameterError.__init__(self, message, parameter=parameter, value=value)


#: The checks of :mod:`salesfunnel._util._validate`, raising :class:`StrategyArgumentError`.
check_int = partial(_check_int, error=StrategyArgumentError)
check_bool = partial(_check_bool, error=StrategyArgumentError)
check_optional_bool = partial(_check_bool, allow_none=True, error=StrategyArgumentError)
check_funnel = partial(_check_instance, types=Funnel, expected="a salesfunnel.Funnel",
                       error=StrategyArgumentError)
_invalid = partial(invalid, error=StrategyArgumentError)


def check_stage_of(funnel: Funnel, name: str, value: Any) -> str:
    """The name of a stage of ``funnel`` (a name or a :class:`Stage`)."""
    stage = value.name if isinstance(value, Stage) else value
    if not isinstance(stage, str) or stage not in funnel.names:
        raise _invalid(name, value, f"a stage of funnel {funnel.name!r}, one of "
                       f"{listing(str(stage), funnel.names)}")
    return stage


def check_fields(name: str, value: Any) -> tuple[str, ...]:
    """Field names a rule may read: dotted identifiers, not keywords, at least one."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _invalid(name, value, "a sequence of field names such as ['budget', "
                       "'contact.email']")
    fields = tuple(value)
    if not fields:
        raise _invalid(name, value, "a sequence that names at least one field")
    for field in fields:
        if not isinstance(field, str) or not _FIELD.match(field):
            raise _invalid(name, value, f"field names; {field!r} is not a field name (letters, "
                           "digits and '_', starting with a letter; dots between parts)")
        bad = [part for part in field.split(".") if part in KEYWORDS]
        if bad:
            raise _invalid(name, value, f"field names; {field!r} contains {bad[0]!r}, which is a "
                           "keyword of the rule language")
    if len(set(fields)) != len(fields):
        raise _invalid(name, value, "field names without repeats (one is listed more than "
                       "once)")
    return fields
