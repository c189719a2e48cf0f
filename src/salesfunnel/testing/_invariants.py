"""Laws that every journey and every metric result must obey.

Each ``assert_*`` function checks a handful of laws and raises ``AssertionError`` with a
message that names the law that broke and the stage (or record) where it broke, so a
failing property test says what is wrong, not just that something is.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np

from salesfunnel.errors import FunnelError, InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.model import Journey, StageKind
from salesfunnel.model._records import thaw

__all__ = ["assert_funnel_invariants", "assert_journey_invariants", "assert_merge_invariant"]


def _fail(law: str, detail: str) -> AssertionError:
    return AssertionError(f"{law} law broken: {detail}")


def assert_journey_invariants(journey: Journey) -> None:
    """Check the laws of a journey's history.

    - *start*: the history begins with one start record into an open stage;
    - *chain*: each record starts where the previous one ended, and the journey is
      where the last record ended;
    - *legality*: every move is allowed by the funnel, with the recorded kind;
    - *time*: record times never decrease;
    - *version*: ``version == len(history) + len(edits)``, and edit versions increase;
    - *immutable*: ``history`` and ``edits`` are tuples;
    - *force*: every forced record carries a reason;
    - *facts*: every record's facts are strict JSON keyed by field names;
    - *replay*: ``Journey.replay`` of the history and edits gives the same stage and
      version;
    - *round trip*: ``Journey.from_dict(journey.to_dict(), funnel)`` gives the same
      history, edits, stage and version, and ``to_dict()`` is strict JSON.

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
    >>> journey.stage = "lead"  # corrupt it: the stage no longer matches the history
    >>> assert_journey_invariants(journey)
    Traceback (most recent call last):
    ...
    AssertionError: chain law broken: the journey is at 'lead' but its last record ends at 'won'
    """
    funnel = journey.funnel
    history = journey.history
    edits = journey.edits
    if not isinstance(history, tuple) or not isinstance(edits, tuple):
        raise _fail("immutable", f"history and edits should be tuples; got "
                                 f"{type(history).__name__} and {type(edits).__name__}")
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
        try:
            json.dumps(thaw(rec.facts), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise _fail("facts", f"record {i} into {rec.to_stage!r} has facts that are not "
                                 f"strict JSON: {dict(rec.facts)!r} ({exc})") from exc
    if journey.version != len(history) + len(edits):
        raise _fail("version", f"version is {journey.version} but the history has "
                               f"{len(history)} records and {len(edits)} edits (at stage "
                               f"{journey.stage!r})")
    versions = [e.version for e in edits if e.version is not None]
    if versions != sorted(set(versions)) or any(v > journey.version for v in versions):
        raise _fail("version", f"edit versions {versions} should increase and stay at most "
                               f"{journey.version}")
    try:
        again = Journey.replay(funnel, list(history), subject=journey.subject, id=journey.id,
                               edits=edits)
    except FunnelError as exc:
        raise _fail("replay", f"the history does not replay on funnel {funnel.name!r}: "
                              f"{exc}") from exc
    if (again.stage, again.version) != (journey.stage, journey.version):
        raise _fail("replay", f"replaying gives stage {again.stage!r} version "
                              f"{again.version}, but the journey is at {journey.stage!r} "
                              f"version {journey.version}")
    data: dict[str, Any] = journey.to_dict()
    try:
        json.dumps({k: v for k, v in data.items() if k != "subject"}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _fail("round trip", f"to_dict() is not strict JSON: {exc}") from exc
    try:
        back = Journey.from_dict(data, funnel, subject=journey.subject)
    except FunnelError as exc:
        raise _fail("round trip", f"from_dict(to_dict()) fails at stage {journey.stage!r}: "
                                  f"{exc}") from exc
    if back.history != history or back.edits != edits or back.stage != journey.stage or (
        back.version != journey.version
    ):
        raise _fail("round trip", f"from_dict(to_dict()) gives a different journey "
                                  f"(stage {back.stage!r}, version {back.version}) than the "
                                  f"original (stage {journey.stage!r}, version "
                                  f"{journey.version})")


# -- metric results ------------------------------------------------------------------------

_TOL = 1e-9


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=_TOL, abs_tol=_TOL)


def _in_unit(value: float) -> bool:
    return -_TOL <= value <= 1 + _TOL


def _where(result: Any, k: int, group: str) -> str:
    stage = result.stages[k]
    return f"at stage {stage!r}{group}"


def _conversion_laws(result: Any, log: EventLog | None, group: str) -> None:
    counts = np.asarray(result.counts, dtype=np.int64)
    n = len(result.stages)
    if len(counts) != n:
        raise _fail("shape", f"{len(counts)} counts for {n} stages{group}")
    for k in range(n):
        if counts[k] < 0:
            raise _fail("counts", f"count {counts[k]} is negative {_where(result, k, group)}")
        if counts[k] > result.entities:
            raise _fail("entered", f"{counts[k]} entities counted {_where(result, k, group)}, "
                                   f"but the log has only {result.entities}")
    monotone = result.semantic in ("reached", "ordered")
    if monotone:
        for k in range(1, n):
            if counts[k] > counts[k - 1]:
                raise _fail(
                    "monotone reach",
                    f"{counts[k]} entities reached {result.stages[k]!r} but only "
                    f"{counts[k - 1]} reached {result.stages[k - 1]!r} before it{group}; "
                    "reach never grows down the funnel",
                )
    step, overall = result.step_rate, result.overall_rate
    for k in range(n):
        for name, rates in (("step", step), ("overall", overall)):
            rate = float(rates[k])
            if not math.isnan(rate) and not _in_unit(rate):
                raise _fail("rates", f"{name} rate {rate!r} {_where(result, k, group)} is "
                                     "outside [0, 1]")
    # The entities counted at stage k that were also counted at k - 1: all of them for
    # the nested semantics, ``continued`` under "entered".
    continued = getattr(result, "continued", None)
    hits = counts if continued is None else np.asarray(continued, dtype=np.int64)
    for k in range(1, n if (monotone or continued is not None) else 1):
        if hits[k] > min(counts[k], counts[k - 1]):
            raise _fail("rates", f"{hits[k]} entities continued into "
                                 f"{result.stages[k]!r}{group}, more than were counted there "
                                 "or at the stage before")
        if counts[k - 1] > 0 and not _close(float(step[k]), hits[k] / counts[k - 1]):
            raise _fail("rates", f"step rate {float(step[k])!r} {_where(result, k, group)} is "
                                 f"not {hits[k]}/{counts[k - 1]}")
    defined = [float(step[k]) for k in range(1, n)]
    product = 1.0
    for k in range(1, n if monotone else 1):
        if math.isnan(defined[k - 1]):
            break
        product *= defined[k - 1]
        if not _close(product, float(overall[k])):
            raise _fail(
                "product",
                f"the step rates up to {result.stages[k]!r} multiply to {product!r}, but the "
                f"overall rate {_where(result, k, group)} is {float(overall[k])!r}",
            )
    for name, (low, high), rates in (("step", result.step_interval, step),
                                     ("overall", result.overall_interval, overall)):
        for k in range(n):
            lo, hi, rate = float(low[k]), float(high[k]), float(rates[k])
            if math.isnan(lo) or math.isnan(hi):
                continue
            if not (_in_unit(lo) and _in_unit(hi) and lo - _TOL <= rate <= hi + _TOL):
                raise _fail("intervals", f"{name} interval [{lo!r}, {hi!r}] "
                                         f"{_where(result, k, group)} does not hold the rate "
                                         f"{rate!r} inside [0, 1]")
    if log is not None and result.semantic in ("reached", "entered"):
        expected = _counts_from_log(log, result.semantic)
        if result.entities != log.n_entities:
            raise _fail("entered", f"the result counts {result.entities} entities but the log "
                                   f"has {log.n_entities}{group}")
        for k in range(n):
            if counts[k] != expected[k]:
                raise _fail("agreement", f"{counts[k]} entities {result.semantic} "
                                         f"{_where(result, k, group)}, but the log has "
                                         f"{expected[k]}")


def _counts_from_log(log: EventLog, semantic: str) -> list[int]:
    """Entities per main-path stage straight from the event columns (a reference)."""
    won = log.funnel.won_index
    stage = np.asarray(log.stage, dtype=np.int64)
    entity = np.asarray(log.entity, dtype=np.int64)
    main = stage <= won
    if semantic == "entered":
        return [int(np.unique(entity[stage == k]).size) for k in range(won + 1)]
    depth = np.full(log.n_entities, -1, dtype=np.int64)
    np.maximum.at(depth, entity[main], stage[main])
    depth[np.isin(np.arange(log.n_entities), entity[stage == won])] = won
    return [int(np.count_nonzero(depth >= k)) for k in range(won + 1)]


def _pipeline_laws(result: Any, log: EventLog | None, group: str) -> None:
    n = len(result.stages)
    for k in range(n):
        count, priced = result.counts[k], result.priced[k]
        where = _where(result, k, group)
        if count < 0 or priced < 0 or priced > count:
            raise _fail("counts", f"{count} entities with {priced} priced {where}")
        value = result.value[k]
        if not math.isnan(value) and value < -_TOL:
            raise _fail("value", f"pipeline value {value!r} {where} is negative")
    total = result.open + result.won + result.lost
    if result.entities != total:
        raise _fail("entered", f"{result.entities} entities but open {result.open} + won "
                               f"{result.won} + lost {result.lost} = {total}{group}")
    rate = result.win_rate
    if not math.isnan(rate) and not _in_unit(rate):
        raise _fail("rates", f"win rate {rate!r} is outside [0, 1]{group}")
    weighted, unweighted = result.weighted_value, result.open_value
    if not math.isnan(weighted) and not math.isnan(unweighted) and (
        weighted > unweighted * (1 + _TOL) + _TOL
    ):
        raise _fail("value", f"weighted pipeline {weighted!r} exceeds the open pipeline "
                             f"{unweighted!r}{group}")
    if log is not None and result.as_of is None and result.entities != log.n_entities:
        raise _fail("entered", f"the pipeline places {result.entities} entities but the log "
                               f"has {log.n_entities}{group}")


def _cohort_laws(result: Any, log: EventLog | None, group: str) -> None:
    for i, label in enumerate(result.labels):
        _conversion_laws(result.conversion(i), None, f"{group} in cohort {label!r}")
    if log is not None and sum(result.entities) != log.n_entities:
        raise _fail("entered", f"the cohorts hold {sum(result.entities)} entities but the log "
                               f"has {log.n_entities}{group}")


def assert_funnel_invariants(report: Any, *, log: EventLog | None = None) -> None:
    """Check the laws every funnel metric result obeys.

    For a :class:`~salesfunnel.metrics.Conversion` (and each cohort of a
    :class:`~salesfunnel.metrics.Cohorts`):

    - *monotone reach*: with the ``reached`` and ``ordered`` semantics, no stage counts
      more entities than the stage before it (``entered`` counts may grow where stages
      are skipped, or in expanding funnels);
    - *rates*: step and overall rates lie in [0, 1] (``entered``: are >= 0), and each
      step rate is ``counts[k] / counts[k - 1]``;
    - *product*: the product of the step rates up to a stage equals its overall rate;
    - *intervals*: every interval lies in [0, 1] and holds its rate;
    - *entered*: no stage counts more entities than the log has.

    For a :class:`~salesfunnel.metrics.Pipeline`: *entered* (entities = open + won +
    lost), *counts* (priced <= counted >= 0), *rates* (win rate in [0, 1]) and *value*
    (the weighted pipeline never exceeds the open pipeline). A
    :class:`~salesfunnel.metrics.Breakdown` is checked group by group.

    Parameters
    ----------
    report : Conversion, Cohorts, Pipeline or Breakdown
        A metric result.
    log : EventLog, optional
        The log it was computed from: adds the *agreement* law (``reached`` and
        ``entered`` counts recomputed from the raw columns) and checks the entity
        totals.

    Raises
    ------
    AssertionError
        Naming the law that broke and the stage (and group or cohort) where it broke.
    InvalidParameterError
        If ``report`` is not one of the result types above.

    Examples
    --------
    >>> from salesfunnel.metrics import Conversion
    >>> assert_funnel_invariants(Conversion("reached", ("lead", "demo", "won"), (10, 4, 1), 12))
    >>> assert_funnel_invariants(Conversion("reached", ("lead", "demo", "won"), (10, 4, 5), 12))
    Traceback (most recent call last):
    ...
    AssertionError: monotone reach law broken: 5 entities reached 'won' but only 4 reached ...
    """
    from salesfunnel.metrics import Breakdown, Cohorts, Conversion, Pipeline

    if log is not None and not isinstance(log, EventLog):
        raise InvalidParameterError(
            f"log must be an EventLog or None; got {type(log).__name__}", parameter="log",
            value=log,
        )
    groups: list[tuple[Any, str]]
    if isinstance(report, Breakdown):
        groups = [(r, f" in group {key!r} of {report.by!r}") for key, r in report.items()]
        log = None  # the log holds every group together
    else:
        groups = [(report, "")]
    for result, group in groups:
        if isinstance(result, Conversion):
            _conversion_laws(result, log, group)
        elif isinstance(result, Cohorts):
            _cohort_laws(result, log, group)
        elif isinstance(result, Pipeline):
            _pipeline_laws(result, log, group)
        else:
            raise InvalidParameterError(
                "assert_funnel_invariants() checks a Conversion, Cohorts, Pipeline or a "
                f"Breakdown of them; got {type(result).__name__}",
                parameter="report", value=result,
            )


def _difference(whole: Any, merged: Any, path: str = "") -> str | None:
    """Where two results differ (floats compared with a relative tolerance), or None."""
    if type(whole) is not type(merged):
        return f"{path or 'the result'} is a {type(merged).__name__}, not a " \
               f"{type(whole).__name__}"
    if not isinstance(whole, np.ndarray):
        try:
            if bool(whole == merged):  # the result's own notion of equality comes first
                return None
        except (TypeError, ValueError):  # pragma: no cover - ambiguous comparisons
            pass
    if attrs.has(type(whole)):
        stages = getattr(whole, "stages", None)
        for field in attrs.fields(type(whole)):
            if not field.eq:
                continue
            a, b = getattr(whole, field.name), getattr(merged, field.name)
            if (stages is not None and isinstance(a, tuple) and isinstance(b, tuple)
                    and len(a) == len(b) == len(stages) and field.name != "stages"):
                for k, (x, y) in enumerate(zip(a, b, strict=True)):
                    if _difference(x, y) is not None:
                        return (f"{path}{field.name} at stage {stages[k]!r}: whole {x!r}, "
                                f"merged {y!r}")
                continue
            found = _difference(a, b, f"{path}{field.name}")
            if found is not None:
                return found
        return None
    if isinstance(whole, Mapping):
        if set(whole) != set(merged):  # a mapping: the order of the keys does not matter
            return f"{path or 'groups'}: whole has {list(whole)!r}, merged {list(merged)!r}"
        for key in whole:
            found = _difference(whole[key], merged[key], f"{path}[{key!r}].")
            if found is not None:
                return found
        return None
    if isinstance(whole, tuple | list):
        if len(whole) != len(merged):
            return f"{path}: whole has {len(whole)} items, merged {len(merged)}"
        for i, (x, y) in enumerate(zip(whole, merged, strict=True)):
            found = _difference(x, y, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(whole, np.ndarray):
        if whole.shape != merged.shape or not np.allclose(
            whole, merged, rtol=_TOL, atol=_TOL, equal_nan=True
        ):
            return f"{path}: whole {whole!r}, merged {merged!r}"
        return None
    if isinstance(whole, float | np.floating) and not isinstance(whole, bool):
        return None if _close(float(whole), float(merged)) else (
            f"{path}: whole {whole!r}, merged {merged!r}")
    equal = whole == merged
    if isinstance(equal, np.ndarray):  # pragma: no cover - arrays are handled above
        equal = bool(equal.all())
    return None if equal else f"{path}: whole {whole!r}, merged {merged!r}"


def assert_merge_invariant(
    metric: Callable[[EventLog], Any], log: EventLog, parts: int = 2
) -> None:
    """Check that a metric over entity-partitioned chunks merges into the whole.

    Splits ``log`` with :meth:`EventLog.partition` into ``parts`` chunks (some may be
    empty), computes ``metric`` on each, folds them with ``merge`` and compares with
    ``metric(log)``: counts exactly, floating-point sums to a relative 1e-9 (the order
    of addition differs).

    Parameters
    ----------
    metric : callable
        ``metric(log)`` returns a mergeable result, e.g. ``salesfunnel.metrics.conversion``
        or ``functools.partial(conversion, semantic="entered", by="channel")``.
    log : EventLog
        The events.
    parts : int
        How many chunks (>= 1).

    Raises
    ------
    AssertionError
        Naming the *merge* law, the field and the stage (or group) where the merged
        result differs from the whole.
    InvalidParameterError
        If ``metric`` is not callable, ``log`` is not an EventLog, ``parts`` is not a
        positive int, or the result has no ``merge``.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import conversion, pipeline
    >>> f = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 2, 3, 3, 3], stage=[0, 1, 0, 0, 1, 2],
    ...                            ts=[0, 1, 0, 0, 2, 5], unit="D")
    >>> assert_merge_invariant(conversion, log, parts=3)
    >>> assert_merge_invariant(pipeline, log)
    """
    if not callable(metric):
        raise InvalidParameterError(
            f"metric must be a callable taking an EventLog; got {type(metric).__name__}",
            parameter="metric", value=metric,
        )
    if not isinstance(log, EventLog):
        raise InvalidParameterError(
            f"log must be an EventLog; got {type(log).__name__}", parameter="log", value=log,
        )
    if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
        raise InvalidParameterError(
            f"parts must be a positive int; got {parts!r}", parameter="parts", value=parts,
        )
    whole = metric(log)
    if not callable(getattr(whole, "merge", None)):
        raise InvalidParameterError(
            f"{type(whole).__name__} results have no merge(); expected a mergeable metric "
            "result such as Conversion or Pipeline",
            parameter="metric", value=metric,
        )
    chunks = [metric(chunk) for chunk in log.partition(parts)]
    merged = functools.reduce(lambda a, b: a.merge(b), chunks)
    found = _difference(whole, merged)
    if found is not None:
        name = getattr(metric, "__name__", None) or type(metric).__name__
        raise _fail("merge", f"{name} over {parts} chunks merges to a different result than "
                             f"over the whole log: {found}")
