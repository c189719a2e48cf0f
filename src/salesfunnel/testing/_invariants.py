"""Laws that every journey and every metric result must obey.

Each ``assert_*`` function checks a handful of laws and raises ``AssertionError`` with a
message that names the law that broke and the stage (or record) where it broke, so a
failing property test says what is wrong, not just that something is.
"""

from __future__ import annotations

import itertools
from typing import Any

from salesfunnel.errors import FunnelError
from salesfunnel.model import Journey, StageKind

__all__ = ["assert_journey_invariants"]


def _fail(law: str, detail: str) -> AssertionError:
    return AssertionError(f"{law} law broken: {detail}")


def assert_journey_invariants(journey: Journey) -> None:
    """Check the laws of a journey's history.

    - *start*: the history begins with one start record into an open stage;
    - *chain*: each record starts where the previous one ended, and the journey is
      where the last record ended;
    - *legality*: every move is allowed by the funnel, with the recorded kind;
    - *time*: record times never decrease;
    - *version*: ``version == len(history)``;
    - *force*: every forced record carries a reason;
    - *replay*: ``Journey.replay`` of the history gives the same stage and version;
    - *round trip*: ``Journey.from_dict(journey.to_dict(), funnel)`` gives the same
      history, stage and version.

    Parameters
    ----------
    journey : Journey
        The journey to check.

    Raises
    ------
    AssertionError
        Naming the law that broke, the record and the stage.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> funnel = Funnel("deals", [Stage("lead"), Stage("won", kind="won")])
    >>> journey = funnel.start({}, at="2026-01-05T09:00:00+00:00").advance(
    ...     at="2026-01-06T09:00:00+00:00")
    >>> assert_journey_invariants(journey)
    >>> journey.history.pop()  # corrupt it: the version no longer matches
    TransitionRecord(from_stage='lead', to_stage='won', ...)
    >>> assert_journey_invariants(journey)
    Traceback (most recent call last):
    ...
    AssertionError: chain law broken: the journey is at 'won' but its last record ends at 'lead'
    """
    funnel = journey.funnel
    history = journey.history
    if not history:
        raise _fail("start", f"journey {journey!r} has an empty history")
    first = history[0]
    if first.from_stage is not None or first.kind != "start":
        raise _fail(
            "start",
            f"record 0 should start the journey (from_stage None, kind 'start'); got "
            f"{first.from_stage!r} -> {first.to_stage!r} of kind {first.kind!r}",
        )
    if first.to_stage not in funnel.names or funnel.stage(first.to_stage).kind is not (
        StageKind.OPEN
    ):
        raise _fail("start", f"the journey starts at {first.to_stage!r}, not an open stage "
                             f"of funnel {funnel.name!r}")
    if journey.stage != history[-1].to_stage:
        raise _fail("chain", f"the journey is at {journey.stage!r} but its last record ends "
                             f"at {history[-1].to_stage!r}")
    for i, (prev, rec) in enumerate(itertools.pairwise(history), start=1):
        where = f"record {i} ({rec.from_stage!r} -> {rec.to_stage!r})"
        if rec.from_stage != prev.to_stage:
            raise _fail("chain", f"{where} starts at {rec.from_stage!r} but record {i - 1} "
                                 f"ended at {prev.to_stage!r}")
        if rec.from_stage is None or rec.to_stage not in funnel.names:
            raise _fail("legality", f"{where} names a stage funnel {funnel.name!r} lacks")
        moves = funnel.moves(rec.from_stage)
        if rec.to_stage not in moves:
            allowed = ", ".join(repr(m) for m in moves) or "none"
            raise _fail("legality", f"{where}: funnel {funnel.name!r} allows from "
                                    f"{rec.from_stage!r} only {allowed}")
        if moves[rec.to_stage] != rec.kind:
            raise _fail("legality", f"{where} is recorded as {rec.kind!r}, but the funnel "
                                    f"makes it a {moves[rec.to_stage]!r} move")
        if rec.at < prev.at:
            raise _fail("time", f"{where} at stage {rec.to_stage!r} happened at "
                                f"{rec.at.isoformat()}, before record {i - 1} at "
                                f"{prev.at.isoformat()}")
    for i, rec in enumerate(history):
        if rec.forced and not (isinstance(rec.reason, str) and rec.reason.strip()):
            raise _fail("force", f"record {i} into stage {rec.to_stage!r} is forced without a "
                                 "reason")
    if journey.version != len(history):
        raise _fail("version", f"version is {journey.version} but the history has "
                               f"{len(history)} records (at stage {journey.stage!r})")
    try:
        again = Journey.replay(funnel, list(history), subject=journey.subject, id=journey.id)
    except FunnelError as exc:
        raise _fail("replay", f"the history does not replay on funnel {funnel.name!r}: "
                              f"{exc}") from exc
    if (again.stage, again.version) != (journey.stage, journey.version):
        raise _fail("replay", f"replaying gives stage {again.stage!r} version "
                              f"{again.version}, but the journey is at {journey.stage!r} "
                              f"version {journey.version}")
    data: dict[str, Any] = journey.to_dict()
    try:
        back = Journey.from_dict(data, funnel, subject=journey.subject)
    except FunnelError as exc:
        raise _fail("round trip", f"from_dict(to_dict()) fails at stage {journey.stage!r}: "
                                  f"{exc}") from exc
    if back.history != history or back.stage != journey.stage or back.version != (
        journey.version
    ):
        raise _fail("round trip", f"from_dict(to_dict()) gives a different journey "
                                  f"(stage {back.stage!r}, version {back.version}) than the "
                                  f"original (stage {journey.stage!r}, version "
                                  f"{journey.version})")
