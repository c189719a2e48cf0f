"""The exceptions salesfunnel raises.

Every error derives from :class:`FunnelError` and from the builtin it resembles, so
``except ValueError`` keeps working for callers that do not know this library.
Each exception keeps the offending objects as attributes, and its message names the
offending value and what was expected.

Examples
--------
>>> from salesfunnel.errors import DefinitionError, FunnelError
>>> err = DefinitionError(["stage 'won' is listed twice"])
>>> isinstance(err, FunnelError), isinstance(err, ValueError)
(True, True)
>>> err.problems
("stage 'won' is listed twice",)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol


class _FailedChecks(Protocol):
    """What :class:`GateFailed` reads of a :class:`~salesfunnel.GateResult` (errors sit
    below the model, so they name no model class)."""

    @property
    def failed(self) -> Sequence[str]:  # pragma: no cover - protocol
        """The names of the failed checks."""
        ...

__all__ = [
    "ConflictError",
    "DefinitionError",
    "EventLogError",
    "FunnelError",
    "GateError",
    "GateFailed",
    "HookError",
    "InputFileError",
    "InvalidParameterError",
    "MissingDependencyError",
    "NotFittedError",
    "PlanError",
    "RuleSyntaxError",
    "StoreError",
    "TransitionNotAllowed",
    "UnknownTemplateError",
]


class FunnelError(Exception):
    """Base class of every error raised by salesfunnel."""


class InvalidParameterError(FunnelError, ValueError):
    """A function or method received an argument outside what it accepts.

    ``parameter`` names the argument, ``value`` is what was received.
    """

    def __init__(self, message: str, *, parameter: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.value = value


class DefinitionError(FunnelError, ValueError):
    """A funnel, stage or gate definition is invalid.

    All problems found are reported at once in ``problems``.
    """

    def __init__(self, problems: Iterable[str] | str, *, subject: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems: tuple[str, ...] = tuple(problems)
        self.subject = subject
        head = f"invalid definition of {subject}" if subject else "invalid definition"
        if len(self.problems) == 1:
            message = f"{head}: {self.problems[0]}"
        else:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{head}: {len(self.problems)} problems\n{listed}"
        super().__init__(message)


class TransitionNotAllowed(FunnelError, ValueError):
    """The funnel's transition policy does not allow the requested change.

    Attributes ``from_stage``, ``to_stage`` and ``allowed`` (the legal targets).
    """

    def __init__(
        self,
        from_stage: str | None,
        to_stage: str | None,
        allowed: Sequence[str] = (),
        *,
        detail: str = "",
    ) -> None:
        self.from_stage = from_stage
        self.to_stage = to_stage
        self.allowed = tuple(allowed)
        options = ", ".join(repr(a) for a in self.allowed) or "none"
        message = (
            f"cannot move from {from_stage!r} to {to_stage!r}"
            + (f" ({detail})" if detail else "")
            + f"; allowed from {from_stage!r}: {options}"
        )
        super().__init__(message)


class GateFailed(FunnelError, ValueError):
    """A deal does not satisfy the gates of the stage it should enter.

    ``result`` is the :class:`~salesfunnel.GateResult` naming every failed check.
    """

    def __init__(self, stage: str, result: _FailedChecks) -> None:
        self.stage = stage
        self.result = result
        failed = "; ".join(result.failed) or "(no check named)"
        super().__init__(f"cannot enter stage {stage!r}: failed checks: {failed}")


class GateError(FunnelError, RuntimeError):
    """A user predicate raised while a gate was evaluated.

    The original exception is chained as ``__cause__``; ``gate`` names the gate.
    """

    def __init__(self, gate: str, error: BaseException) -> None:
        self.gate = gate
        self.error = error
        super().__init__(f"gate {gate!r} raised {type(error).__name__}: {error}")


class HookError(FunnelError, RuntimeError):
    """A journey hook raised after the change it was called for had been made.

    The change stands (the journey is consistent and shows it); ``topic`` is the hook's
    topic (``"after"``, ``"enter"``, ``"leave"``, ``"edited"`` or ``"refused"``),
    ``hook`` names the callback, ``error`` is what it raised (also chained as
    ``__cause__``) and ``journey`` is the journey concerned.
    """

    def __init__(self, topic: str, hook: str, error: BaseException, journey: Any = None,
                 *, outcome: str = "the change stands") -> None:
        self.topic = topic
        self.hook = hook
        self.error = error
        self.journey = journey
        super().__init__(
            f"{topic!r} hook {hook} raised {type(error).__name__}: {error}; {outcome}"
        )


class RuleSyntaxError(FunnelError, ValueError):
    """A rule string does not follow the rule grammar.

    ``text`` is the rule, ``position`` the 0-based offset of the problem.
    """

    def __init__(self, message: str, text: str, position: int) -> None:
        self.text = text
        self.position = position
        self.reason = message
        pointer = " " * position + "^"
        super().__init__(f"{message} at position {position}\n  {text}\n  {pointer}")


class EventLogError(FunnelError, ValueError):
    """Event data is malformed: unknown stages, missing times, mismatched lengths."""

    def __init__(self, message: str, *, count: int = 0, examples: Sequence[Any] = ()) -> None:
        self.count = count
        self.examples = tuple(examples)
        super().__init__(message)


class PlanError(InvalidParameterError):
    """A planning input makes no sense (a rate outside (0, 1], a negative target, ...).

    A kind of :class:`InvalidParameterError`, so one ``except InvalidParameterError``
    catches every bad argument, planning inputs included. ``parameter`` names the input
    and ``value`` is what was received.
    """


class NotFittedError(FunnelError, AttributeError):
    """A fitted model (e.g. :class:`~salesfunnel.planner.MarkovModel`) was used before
    ``fit``.

    A state error, not a bad argument: the call was right, the model is not ready yet.
    Also an :class:`AttributeError`, so ``hasattr(model, "win_probability_")`` is
    ``False`` on an unfitted model.
    """


class InputFileError(FunnelError, ValueError):
    """A problem with an input file (CSV, JSON, Parquet), described in one line.

    The message names the file, and where it applies the row, the column, the value and
    what was expected. The command line prints it and exits with status 2.
    """


class UnknownTemplateError(FunnelError, KeyError):
    """No template is registered under the requested name.

    ``name`` is what was asked for, ``available`` the valid names, closest first.
    """

    def __init__(self, name: str, available: Sequence[str]) -> None:
        self.name = name
        self.available = tuple(available)
        self.message = (
            f"unknown template {name!r}; available: "
            + (", ".join(repr(a) for a in self.available) or "none")
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class MissingDependencyError(FunnelError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


class StoreError(FunnelError, RuntimeError):
    """A journey store cannot do what was asked: the database file is not a store (or is
    corrupt or truncated), its schema version is not this library's, a journey's funnel
    is unknown or changed without a migration, or a journey id is not stored.

    ``journey`` names the journey concerned, when there is one.
    """

    def __init__(self, message: str, *, journey: Any = None) -> None:
        super().__init__(message)
        self.journey = journey


class ConflictError(StoreError):
    """A save was based on a stale version: someone else saved the journey first.

    Nothing was written. ``journey`` is the journey id, ``expected`` the version the
    save was based on and ``actual`` the version now stored. Reload and retry (what
    ``Store.edit`` does a bounded number of times).
    """

    def __init__(self, journey: Any, expected: int, actual: int | None) -> None:
        self.expected = expected
        self.actual = actual
        now = "deleted" if actual is None else f"at version {actual}"
        super().__init__(
            f"journey {journey!r} changed since it was read: the save was based on version "
            f"{expected} but the store is {now}; reload it and apply the change again",
            journey=journey,
        )
