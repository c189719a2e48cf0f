"""Funnel steps defined by a stage or by an event name plus property filters.

A :class:`Step` matches rows of an :class:`~salesfunnel.EventLog`: the rows at a stage,
or the rows with an event name, optionally narrowed by a ``where`` rule in the library's
safe rule language, evaluated with numpy over the log's property and segment columns.
:func:`match_steps` turns a list of steps into one boolean row mask per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._util._suggest import listing
from salesfunnel._util._validate import invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog
from salesfunnel.model.rules import Rule, parse_rule

__all__ = ["Exclusion", "Step", "match_steps", "to_steps"]

_Mask = npt.NDArray[np.bool_]


def _rule(value: str | Rule | None) -> Rule | None:
    if value is None or isinstance(value, Rule):
        return value
    if not isinstance(value, str):
        raise invalid("where", value, "a rule text such as \"url == '/pricing'\" or None",
                      where="Step")
    return parse_rule(value)


@attrs.frozen
class Step:
    """One funnel step: a stage, or an event name, narrowed by a property filter.

    Give ``stage`` or ``event`` (or only ``where``, to match any row passing the rule).
    The same event name may appear at several steps with different filters; an event
    that matches several steps still counts for at most one step of a chain.

    Attributes
    ----------
    event : str or None
        Event name (the log's ``event`` column, see
        :func:`salesfunnel.events.with_events`).
    stage : str, int or None
        Stage name or index of the log's funnel.
    where : Rule or None
        A rule over the event's properties and segments, such as
        ``"url == '/pricing' and plan in ['pro', 'team']"`` (a text is parsed).
    name : str or None
        Label shown in results (default: the event or stage, plus the filter).

    Examples
    --------
    >>> from salesfunnel.metrics import Step
    >>> Step(event="pageview", where="url == '/pricing'").label
    "pageview [url == '/pricing']"
    >>> Step(stage="demo").label, Step(event="signup", name="signed up").label
    ('demo', 'signed up')
    """

    event: str | None = None
    stage: str | int | None = None
    where: Rule | None = attrs.field(default=None, converter=_rule)
    name: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.event is not None and self.stage is not None:
            raise InvalidParameterError(
                f"a Step takes an event or a stage, not both; got event={self.event!r}, "
                f"stage={self.stage!r}", parameter="stage", value=self.stage)
        if self.event is None and self.stage is None and self.where is None:
            raise InvalidParameterError(
                "a Step needs an event, a stage or a where rule; got none of them",
                parameter="event", value=None)
        if self.event is not None and not isinstance(self.event, str):
            raise invalid("event", self.event, "an event name (str)", where="Step")
        if self.stage is not None and (isinstance(self.stage, bool) or not isinstance(
                self.stage, str | int)):
            raise invalid("stage", self.stage, "a stage name or index", where="Step")
        if self.name is not None and not isinstance(self.name, str):
            raise invalid("name", self.name, "a string or None", where="Step")

    @property
    def label(self) -> str:
        """The step's name in results."""
        if self.name is not None:
            return self.name
        base = self.event if self.event is not None else (
            None if self.stage is None else str(self.stage))
        if self.where is None:
            return base or "?"
        return f"{base} [{self.where.text}]" if base else f"[{self.where.text}]"

    def matches(self, log: EventLog) -> _Mask:
        """Boolean mask over the log's rows: the rows this step matches.

        Raises
        ------
        InvalidParameterError
            An unknown stage, or an event step on a log without event names.

        Examples
        --------
        >>> from salesfunnel import EventLog, Funnel, Stage
        >>> from salesfunnel.events import with_events
        >>> f = Funnel("f", [Stage("a"), Stage("won", kind="won")])
        >>> log = EventLog.from_arrays(f, entity=[1, 1, 1], stage=[0, 0, 1], ts=[0, 1, 2],
        ...                            unit="s")
        >>> log = with_events(log, event=["view", "view", "buy"],
        ...                   properties={"url": ["/", "/pricing", None]})
        >>> Step(event="view", where="url == '/pricing'").matches(log).tolist()
        [False, True, False]
        >>> Step(stage="won").matches(log).tolist()
        [False, False, True]
        """
        n = len(log)
        if self.stage is not None:
            idx = _stage_index(log, self.stage)
            mask = log.stage == idx
        elif self.event is not None:
            if log.event is None:
                raise InvalidParameterError(
                    f"Step(event={self.event!r}) needs a log with event names; attach them "
                    "with salesfunnel.events.with_events(log, event=...)",
                    parameter="event", value=self.event)
            cats = log.event.categories
            hit = np.flatnonzero(cats == self.event)
            mask = (log.event.codes == hit[0]) if len(hit) else np.zeros(n, dtype=np.bool_)
        else:
            mask = np.ones(n, dtype=np.bool_)
        if self.where is not None and n:
            # the rule's checks (its top-level "and" terms) one after the other, each
            # on the rows still in: on whole columns while that is most rows, then
            # on the remaining rows only
            rows = None
            for check in self.where.checks:
                if rows is None and (self.stage is not None or self.event is not None
                                     or check is not self.where.checks[0]):
                    rows = np.flatnonzero(mask)
                    if len(rows) * 2 > n:
                        rows = None
                if rows is not None and not len(rows):
                    break
                cols = _columns(log, parse_rule(check.text).fields)
                if rows is None:
                    mask = mask & check.test_many(cols, n)
                else:
                    passed = check.test_many({k: np.asarray(v)[rows]
                                              for k, v in cols.items()}, len(rows))
                    rows = rows[passed]
            if rows is not None:
                mask = np.zeros(n, dtype=np.bool_)
                mask[rows] = True
        return np.asarray(mask, dtype=np.bool_)


def _to_step(value: Any) -> Any:
    return Step(event=value) if isinstance(value, str) else value


@attrs.frozen
class Exclusion:
    """An exclusion step: entities doing ``step`` between two funnel steps drop out.

    Attributes
    ----------
    step : Step
        The excluded event (a :class:`Step`; a string is an event name).
    start, end : int
        Funnel step indices (0-based, ``start < end``): an event matching ``step``
        strictly after the step-``start`` event of an attempt's path and strictly
        before its step-``end`` event (or, when the attempt stopped before ``end``,
        within the conversion window after its first step; any time later without a
        window) drops that attempt (an attempt: the chains from one first-step
        event). An entity whose every attempt drops out is excluded from every count
        of the funnel; otherwise it counts with its best remaining attempt.

    Examples
    --------
    >>> from salesfunnel.metrics import Exclusion
    >>> Exclusion("cancel", 0, 2)
    Exclusion(step=Step(event='cancel', stage=None, where=None, name=None), start=0, end=2)
    """

    step: Step = attrs.field(converter=_to_step)
    start: int = 0
    end: int = 1

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.step, Step):
            raise invalid("step", self.step, "a Step or an event name", where="Exclusion")
        for name in ("start", "end"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise invalid(name, v, "a step index >= 0", where="Exclusion")
        if self.start >= self.end:
            raise InvalidParameterError(
                f"an Exclusion needs start < end; got start={self.start}, end={self.end}",
                parameter="end", value=self.end)


def _stage_index(log: EventLog, stage: str | int) -> int:
    names = log.funnel.names
    if isinstance(stage, str):
        if stage not in names:
            raise InvalidParameterError(
                f"unknown stage {stage!r}; expected one of {listing(stage, names)}",
                parameter="stage", value=stage)
        return names.index(stage)
    if not 0 <= stage < len(names):
        raise InvalidParameterError(
            f"stage index {stage} is outside 0..{len(names) - 1}", parameter="stage",
            value=stage)
    return int(stage)


def _columns(log: EventLog, fields: frozenset[str]) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    for field in fields:
        if field in log.properties:
            cols[field] = log.properties[field]
        elif field in log.segments:
            cols[field] = log.segments[field].values()
        elif field == "event" and log.event is not None:
            cols[field] = log.event.values()
        elif field == "stage":
            cols[field] = np.asarray(log.funnel.names, dtype=object)[log.stage]
    return cols


def to_steps(steps: Any, log: EventLog, *, where: str) -> tuple[Step, ...]:
    """``steps`` as Steps: a Step as is, a string as an event name (a stage name on a log
    without event names), an int as a stage index."""
    if isinstance(steps, str | Step) or not isinstance(steps, Sequence) or not steps:
        raise invalid("steps", steps, "a non-empty list of steps", where=where)
    if len(steps) > 32:
        raise invalid("steps", len(steps), "at most 32 steps", where=where)
    out = []
    for s in steps:
        if isinstance(s, Step):
            out.append(s)
        elif isinstance(s, str):
            out.append(Step(event=s) if log.event is not None else Step(stage=s))
        elif isinstance(s, int) and not isinstance(s, bool):
            out.append(Step(stage=s))
        else:
            raise invalid("steps", s, "Steps, event or stage names, or stage indices",
                          where=where)
    return tuple(out)


def match_steps(log: EventLog, steps: Sequence[Step]) -> _Mask:
    """``(n_steps, n_events)`` boolean: row ``r`` matches step ``k``."""
    out = np.zeros((len(steps), len(log)), dtype=np.bool_)
    for k, step in enumerate(steps):
        out[k] = step.matches(log)
    return out
