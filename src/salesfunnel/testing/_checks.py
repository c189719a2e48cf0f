"""``check_template``: the checker a template author runs, like scikit-learn's
``check_estimator``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from hypothesis.stateful import run_state_machine_as_test

from salesfunnel.errors import FunnelError, GateFailed, InvalidParameterError
from salesfunnel.model import Funnel, Gate, Journey, StageKind
from salesfunnel.testing._invariants import assert_journey_invariants
from salesfunnel.testing._stateful import journey_machine
from salesfunnel.testing._strategies import journeys, subjects

__all__ = ["TemplateCheck", "check_template"]

_T0 = "2026-01-05T09:00:00+00:00"
_T1 = "2026-01-06T09:00:00+00:00"


@attrs.frozen(repr=False)
class TemplateCheck:
    """What :func:`check_template` found: the checks passed and notes worth reading.

    Attributes
    ----------
    template : str
        The template checked (its registered name, factory name or funnel name).
    funnel : Funnel
        The funnel the template builds.
    passed : tuple of str
        Names of the checks that passed, in the order they ran.
    notes : tuple of str
        Findings that are not failures (no Chinese label, a gate an empty subject
        passes, ...).
    languages : tuple of str
        Languages every label (funnel and stages) is given in.

    Examples
    --------
    >>> from salesfunnel import templates
    >>> report = check_template("aida", max_examples=3)
    >>> report
    <TemplateCheck 'aida': 9 checks passed, 0 notes, labels in en, zh>
    """

    template: str
    funnel: Funnel
    passed: tuple[str, ...]
    notes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def __repr__(self) -> str:
        n, m = len(self.passed), len(self.notes)
        langs = ", ".join(self.languages) or "none"
        return (f"<TemplateCheck {self.template!r}: {n} check{'s' if n != 1 else ''} passed, "
                f"{m} note{'s' if m != 1 else ''}, labels in {langs}>")

    def __str__(self) -> str:
        lines = [f"check_template({self.template!r}): every check passed"]
        lines += [f"  ok    {name}" for name in self.passed]
        lines += [f"  note  {note}" for note in self.notes]
        return "\n".join(lines)


def _resolve(template: Any) -> tuple[str, Callable[[], Funnel] | None, Funnel]:
    if isinstance(template, Funnel):
        return template.name, None, template
    if isinstance(template, str):
        from salesfunnel import templates

        return template, lambda: templates.get(template), templates.get(template)
    if callable(template):
        label = getattr(template, "__name__", None) or repr(template)
        built = template()
        if not isinstance(built, Funnel):
            raise AssertionError(
                f"check_template({label}): check 'builds' failed: the factory returned "
                f"{type(built).__name__} {built!r}, expected a Funnel"
            )
        return label, template, built
    raise InvalidParameterError(
        f"check_template() takes a Funnel, a template factory (a callable returning a Funnel) "
        f"or a registered template name; got {type(template).__name__} {template!r}",
        parameter="template", value=template,
    )


def _gates_of(funnel: Funnel) -> Iterator[Gate]:
    stack: list[Gate] = [g for s in funnel.stages for g in s.gates]
    stack += [g for t in funnel.transitions for g in t.gates]
    while stack:
        gate = stack.pop()
        yield gate
        stack.extend(gate._children)


def _refs(funnel: Funnel) -> dict[str, Gate]:
    """Gates built from callables, by name (what ``from_dict(gates=...)`` needs)."""
    return {g.name: g for g in _gates_of(funnel) if g._kind == "callable"}


def _run(strategy: st.SearchStrategy[Any], body: Callable[[Any], None], n: int) -> None:
    """Run ``body`` on ``n`` examples, without shrinking or a database."""
    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
              report_multiple_bugs=False)
    @given(strategy)
    def run(example: Any) -> None:
        body(example)

    run()


def _walk(funnel: Funnel, subject: Any, stage: str) -> Journey:
    journey = funnel.start(subject, at=_T0)
    if funnel.stage(stage).kind is StageKind.LOST:
        return journey.lose("check_template", to=stage, at=_T1)
    while journey.stage != stage:
        journey.advance(at=_T1)
    return journey


def check_template(
    template: Any, *, max_examples: int = 20, subject: Mapping[str, Any] | None = None
) -> TemplateCheck:
    """Check a funnel template the way a plugin author should before publishing it.

    Runs, in order:

    1. *builds*: a factory returns a :class:`~salesfunnel.Funnel`, the same one every
       call;
    2. *valid*: the funnel passes every definition check again when rebuilt;
    3. *json round trip*: ``Funnel.from_dict(json.loads(json.dumps(f.to_dict())))``
       equals the funnel (callable gates are passed back by name);
    4. *walkable*: a subject that satisfies every gate walks from the first stage to
       WON with ``advance()`` alone (subjects are derived from the gates' rules);
    5. *losable*: from the first stage, a suitable subject reaches every LOST stage
       the first stage can move to;
    6. *re-entry*: in a cyclic funnel, a won journey re-enters without force;
    7. *gates stop an empty subject*: at every gated step of the main path, ``{}`` is
       refused with :class:`~salesfunnel.GateFailed` naming each failed check;
    8. *labels*: the funnel and every stage have an English label (Chinese is
       optional and reported in ``languages`` and ``notes``); ``describe`` works in both;
    9. *journeys*: drawn journeys obey :func:`assert_journey_invariants`;
    10. *state machine*: :class:`JourneyMachine` finds no misbehaviour.

    Call it from a plain test (not inside ``@given``): it runs Hypothesis itself, with
    a fixed seed, so a template passes or fails the same way on every run.

    Parameters
    ----------
    template : Funnel, callable or str
        The funnel, a factory without arguments returning one (what you register in
        the ``salesfunnel.templates`` entry-point group), or a registered name.
    max_examples : int
        Examples per property check (1 to 1000); the state machine runs half as many.
    subject : mapping, optional
        A subject that passes every gate on the main path. Needed only when gates are
        Python callables (their conditions cannot be read); otherwise subjects are
        derived from the rules.

    Returns
    -------
    TemplateCheck
        The checks passed and the notes.

    Raises
    ------
    AssertionError
        Naming every check that failed and why (all checks run, then one error lists
        the failures).
    InvalidParameterError
        If ``template`` is none of the above or ``max_examples`` is out of range.
    UnknownTemplateError
        If a name is given that no template is registered under.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> def my_pipeline():
    ...     return Funnel("my-pipeline", [
    ...         Stage("lead", label={"en": "Lead", "zh": "线索"}),
    ...         Stage("demo", label="Demo", gates="contact is set and budget >= 5000"),
    ...         Stage("won", label="Won", kind="won"),
    ...         Stage("lost", label="Lost", kind="lost")], label="My pipeline")
    >>> report = check_template(my_pipeline, max_examples=5)
    >>> report.languages
    ('en',)
    >>> print(report.notes[0])
    no Chinese (zh) label on: the funnel, stage 'demo', stage 'won', stage 'lost'
    >>> check_template(lambda: Funnel("bad", ["a", Stage("won", kind="won",
    ...                                                   gates="x > 1 and x < 0")]))
    Traceback (most recent call last):
    ...
    AssertionError: check_template(<lambda>): 2 checks failed:
      - 'walkable': no subject found that passes every gate on the way to 'won'; ...
      - 'labels': no English (en) label on: the funnel
    """
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or not (
        1 <= max_examples <= 1000
    ):
        raise InvalidParameterError(
            f"max_examples must be an int from 1 to 1000; got {max_examples!r}",
            parameter="max_examples", value=max_examples,
        )
    if subject is not None and not isinstance(subject, Mapping):
        raise InvalidParameterError(
            f"subject must be a mapping (a deal) or None; got {type(subject).__name__}",
            parameter="subject", value=subject,
        )
    label, factory, funnel = _resolve(template)
    return _Checker(label, factory, funnel, max_examples, subject).run()


class _CheckFailed(Exception):
    def __init__(self, check: str, detail: str) -> None:
        super().__init__(detail)
        self.check = check
        self.detail = detail


class _Checker:
    """Runs the checks one by one, collecting failures, passes and notes."""

    def __init__(self, label: str, factory: Callable[[], Funnel] | None, funnel: Funnel,
                 max_examples: int, subject: Mapping[str, Any] | None) -> None:
        self.label = label
        self.factory = factory
        self.funnel = funnel
        self.n = max_examples
        self.subject = subject
        self.refs = _refs(funnel)
        self.notes: list[str] = []
        self.languages: tuple[str, ...] = ()
        self.hint = ("; gates built from Python callables cannot be solved: pass subject= (a "
                     "subject that passes every gate)" if self.refs and subject is None else "")

    def run(self) -> TemplateCheck:
        checks: list[tuple[str, Callable[[], None]]] = [
            ("builds", self.builds),
            ("valid", self.valid),
            ("json round trip", self.json_round_trip),
            ("walkable", self.walkable),
            ("losable", self.losable),
            ("re-entry", self.reentry),
            ("gates stop an empty subject", self.gates_stop_an_empty_subject),
            ("labels", self.labels),
            ("journeys", self.journeys),
            ("state machine", self.state_machine),
        ]
        passed: list[str] = []
        failed: list[tuple[str, str]] = []
        for name, check in checks:
            if name == "re-entry" and not self.funnel.cyclic:
                continue
            try:
                check()
            except _CheckFailed as exc:
                failed.append((exc.check, exc.detail))
            except AssertionError as exc:  # a law broken inside journeys / the machine
                failed.append((name, str(exc).strip().splitlines()[0] if str(exc) else
                               type(exc).__name__))
            else:
                passed.append(name)
        if len(failed) == 1:
            name, detail = failed[0]
            raise AssertionError(f"check_template({self.label}): check {name!r} failed: "
                                 f"{detail}")
        if failed:
            listed = "\n".join(f"  - {name!r}: {detail}" for name, detail in failed)
            raise AssertionError(f"check_template({self.label}): {len(failed)} checks failed:\n"
                                 f"{listed}")
        return TemplateCheck(self.label, self.funnel, tuple(passed), tuple(self.notes),
                             self.languages)

    # -- the checks ------------------------------------------------------------------------
    def builds(self) -> None:
        if self.factory is not None and self.factory() != self.funnel:
            raise _CheckFailed("builds", "two calls of the factory build different funnels")

    def valid(self) -> None:
        try:
            rebuilt = attrs.evolve(self.funnel)  # runs every definition check again
        except FunnelError as exc:
            raise _CheckFailed("valid", str(exc)) from exc
        if rebuilt != self.funnel:
            raise _CheckFailed("valid", "rebuilding the funnel from its fields gives a "
                                        "different funnel")

    def json_round_trip(self) -> None:
        check = "json round trip"
        try:
            text = json.dumps(self.funnel.to_dict(), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise _CheckFailed(check, f"to_dict() is not JSON-safe: {exc}") from exc
        try:
            back = Funnel.from_dict(json.loads(text), gates=self.refs)
        except FunnelError as exc:
            raise _CheckFailed(check, f"from_dict() cannot load to_dict(): {exc}") from exc
        if back != self.funnel:
            raise _CheckFailed(check, "from_dict(json.loads(json.dumps(to_dict()))) gives a "
                                      "different funnel")
        if self.refs:
            self.notes.append(
                f"gates built from Python callables ({', '.join(sorted(self.refs))}) "
                "serialize by name only: loading needs Funnel.from_dict(data, gates={name: fn})"
            )

    def _subjects_for(self, stage: str) -> st.SearchStrategy[Any]:
        if self.subject is not None:
            return st.just(self.subject)
        return subjects(self.funnel, satisfying=stage)

    def walkable(self) -> None:
        funnel, won = self.funnel, self.funnel.won.name

        def walk(deal: Any) -> None:
            try:
                _walk(funnel, deal, won)
            except FunnelError as exc:
                raise _CheckFailed("walkable", f"subject {deal!r} was refused on the way to "
                                               f"{won!r}: {exc}") from exc

        try:
            _run(self._subjects_for(won), walk, self.n)
        except (Unsatisfiable, FailedHealthCheck) as exc:
            raise _CheckFailed(
                "walkable", f"no subject found that passes every gate on the way to {won!r}; "
                            f"are some gates contradictory? ({type(exc).__name__}){self.hint}"
            ) from None

    def losable(self) -> None:
        funnel = self.funnel
        first = funnel.stages[0].name
        for lost in [s.name for s in funnel.lost if s.name in funnel.moves(first)]:
            def lose(deal: Any, lost: str = lost) -> None:
                try:
                    _walk(funnel, deal, lost)
                except FunnelError as exc:
                    raise _CheckFailed("losable", f"cannot lose a deal from {first!r} to "
                                                  f"{lost!r}: {exc}") from exc

            try:
                _run(subjects(funnel, satisfying=lost), lose, max(1, self.n // 4))
            except (Unsatisfiable, FailedHealthCheck) as exc:
                raise _CheckFailed("losable", f"no subject passes the gates of LOST stage "
                                              f"{lost!r} ({type(exc).__name__}){self.hint}"
                                   ) from None

    def reentry(self) -> None:
        funnel, won = self.funnel, self.funnel.won.name

        def reenter(deal: Any) -> None:
            try:
                journey = _walk(funnel, deal, won)
            except FunnelError:
                return  # reported by 'walkable'
            try:
                journey.reenter(at=_T1)
            except FunnelError as exc:
                raise _CheckFailed("re-entry", f"a won journey cannot re-enter at "
                                               f"{funnel.reentry!r}: {exc}") from exc

        try:
            _run(self._subjects_for(won), reenter, max(1, self.n // 4))
        except (Unsatisfiable, FailedHealthCheck):
            return  # reported by 'walkable'

    def gates_stop_an_empty_subject(self) -> None:
        check = "gates stop an empty subject"
        funnel = self.funnel
        path = [s.name for s in funnel.path]
        lenient = []
        for k, stage in enumerate(path):
            gates = funnel.gates_for(path[k - 1] if k else None, stage)
            if not gates:
                continue
            expected: list[str] = []
            for gate in gates:
                expected.extend(gate.failures({}))
            if not expected:
                lenient.append(stage)
                continue
            if k == 0:
                try:
                    funnel.start({}, at=_T0)
                except GateFailed as exc:
                    named = exc.result.failed
                else:
                    raise _CheckFailed(check, f"an empty subject started at gated stage "
                                              f"{stage!r}")
            else:
                journey = funnel.start({}, at=_T0, force=True, reason="check_template")
                for target in path[1:k]:
                    journey.advance(target, at=_T0, force=True, reason="check_template")
                result = journey.can_advance(stage)
                try:
                    journey.advance(stage, at=_T1)
                except GateFailed as exc:
                    named = exc.result.failed
                else:
                    raise _CheckFailed(check, f"an empty subject entered gated stage "
                                              f"{stage!r}")
                if tuple(result.failed) != tuple(named):
                    raise _CheckFailed(check, f"at {stage!r}, can_advance() names "
                                              f"{result.failed} but advance() names {named}")
            if not named or tuple(named) != tuple(expected):
                raise _CheckFailed(check, f"at {stage!r} the refusal names {named}, expected "
                                          f"every failed check {tuple(expected)}")
        if lenient:
            self.notes.append("an empty subject passes the gates of "
                              + ", ".join(repr(s) for s in lenient))

    def labels(self) -> None:
        funnel = self.funnel
        labelled = [("the funnel", funnel.label)] + [(f"stage {s.name!r}", s.label)
                                                     for s in funnel.stages]
        present = [{k for k, v in lab.items() if v.strip()} for _, lab in labelled]
        self.languages = tuple(sorted(set.intersection(*present)))
        missing_zh = [who for (who, _), langs in zip(labelled, present, strict=True)
                      if "zh" not in langs]
        if missing_zh:
            self.notes.append("no Chinese (zh) label on: " + ", ".join(missing_zh))
        missing_en = [who for (who, _), langs in zip(labelled, present, strict=True)
                      if "en" not in langs]
        if missing_en:
            raise _CheckFailed("labels", "no English (en) label on: " + ", ".join(missing_en))
        for lang in ("en", "zh"):
            text = funnel.describe(lang)
            absent = [s.name for s in funnel.stages if s.label.text(lang) not in text]
            if absent:
                raise _CheckFailed("labels", f"describe({lang!r}) leaves out stages {absent}")

    def journeys(self) -> None:
        _run(journeys(self.funnel, max_steps=8), assert_journey_invariants, self.n)

    def state_machine(self) -> None:
        run_state_machine_as_test(
            journey_machine(self.funnel),
            settings=settings(max_examples=max(1, self.n // 2), stateful_step_count=15,
                              deadline=None, database=None, derandomize=True,
                              suppress_health_check=[HealthCheck.too_slow]),
        )
