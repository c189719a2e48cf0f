"""Gates: the checklist a deal must satisfy before it may enter a stage."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs
import numpy as np

from salesfunnel.errors import DefinitionError, GateError, InvalidParameterError
from salesfunnel.model._labels import Labels, to_labels
from salesfunnel.model.rules import Rule, parse_rule

__all__ = ["MAX_DEPTH", "Gate", "GateResult", "GateResults", "as_gates"]

MAX_DEPTH: Final = 100
"""Deepest nesting of composite gates (``~``, and ``&`` inside ``|`` inside ``&`` ...).

A rule or callable gate has depth 1; ``~g``, ``g & h`` and ``g | h`` are one deeper
than their deepest part (``a & b & c`` is flat: depth 2).  Building a deeper gate, with
the operators or :meth:`Gate.from_dict`, raises :class:`~salesfunnel.DefinitionError`,
so evaluating and serialising a gate never runs out of stack.
"""

Predicate = Callable[[Any], Any]


@attrs.frozen
class GateResult:
    """The outcome of checking a subject against a gate.

    Truthy when the subject passed. ``failed`` names every failed check, so a user
    interface can list what is missing before a deal may move on.

    Examples
    --------
    >>> gate = Gate("budget >= 10000 and decision_maker is set", name="qualified")
    >>> result = gate.evaluate({"budget": 5000})
    >>> bool(result), result.failed
    (False, ('qualified: budget >= 10000', 'qualified: decision_maker is set'))
    """

    gate: str
    passed: bool
    failed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.passed


@attrs.frozen
class GateResults:
    """A gate evaluated on whole columns: one boolean array per check.

    ``passed[i]`` says whether row ``i`` passes; ``checks`` maps each check's name to
    the rows that pass it, so "why not" is answered per row.

    Examples
    --------
    >>> import numpy as np
    >>> gate = Gate("budget >= 10000 and decision_maker is set")
    >>> res = gate.evaluate_many({"budget": np.array([20000, 500]),
    ...                           "decision_maker": np.array(["ann", "bo"], dtype=object)})
    >>> res.passed.tolist(), res.count_failed()
    ([True, False], {'budget >= 10000': 1, 'decision_maker is set': 0})
    """

    gate: str
    passed: np.ndarray = attrs.field(eq=False)
    checks: Mapping[str, np.ndarray] = attrs.field(eq=False)

    def count_failed(self) -> dict[str, int]:
        """How many rows fail each check."""
        return {name: int(np.count_nonzero(~arr)) for name, arr in self.checks.items()}


def _callable_name(fn: Predicate) -> str:
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        return ""
    return name


class Gate:
    """A named predicate over a deal's subject (a mapping or any object).

    Build a gate from a rule string in the library's safe rule language, or from a
    Python callable that returns a truthy value when the subject may pass. Gates compose
    with ``&``, ``|`` and ``~``. Evaluating a gate gives a :class:`GateResult` naming
    every failed check; an exception raised inside a user predicate becomes a
    :class:`~salesfunnel.GateError` naming the gate.

    Parameters
    ----------
    check : str or callable
        A rule such as ``"budget >= 10000 and decision_maker is set"`` (each top-level
        ``and`` clause is a check of its own), or ``callable(subject) -> bool``.
    name : str, optional
        The gate's name; defaults to the rule text or the callable's ``__name__``.
    label : str or mapping, optional
        Human text, optionally per language (``{"en": ..., "zh": ...}``).

    Raises
    ------
    RuleSyntaxError
        If a rule string does not parse.
    DefinitionError
        If ``check`` is neither a string nor a callable, or a callable has no name.

    Examples
    --------
    >>> budget = Gate("budget >= 10000", name="budget")
    >>> signed = Gate(lambda deal: deal.get("signed", False), name="signed")
    >>> gate = budget & ~signed
    >>> gate({"budget": 20000})
    True
    >>> gate.evaluate({"budget": 20000, "signed": True}).failed
    ('not signed',)
    """

    __slots__ = (
        "_children", "_depth", "_kind", "_predicate", "_rule", "_test", "label", "name",
    )

    name: str
    label: Labels

    def __init__(
        self, check: str | Predicate, *, name: str | None = None, label: Any = None
    ) -> None:
        self._children: tuple[Gate, ...] = ()
        self._depth = 1
        self._predicate: Predicate | None = None
        self._rule: Rule | None = None
        if name is not None and not isinstance(name, str):
            raise DefinitionError(
                f"a gate's name is a string; got {type(name).__name__} {name!r}", subject="gate"
            )
        if isinstance(check, str):
            self._kind = "rule"
            self._rule = parse_rule(check)
            self.name = name or self._rule.text.strip()
        elif callable(check):
            self._kind = "callable"
            self._predicate = check
            self.name = name or _callable_name(check)
            if not self.name:
                raise DefinitionError(
                    "a gate built from a lambda or an unnamed callable needs name=...",
                    subject="gate",
                )
        else:
            raise DefinitionError(
                f"a gate is built from a rule string or a callable; got "
                f"{type(check).__name__} {check!r}",
                subject="gate",
            )
        self.label = to_labels(label)
        self._test = self._compile()

    @classmethod
    def _composite(cls, kind: str, children: tuple[Gate, ...], name: str) -> Gate:
        depth = 1 + max(child._depth for child in children)
        if depth > MAX_DEPTH:
            raise DefinitionError(
                f"a composite gate would be nested {depth} deep; gates nest at most "
                f"{MAX_DEPTH} deep (salesfunnel.model._gate.MAX_DEPTH)",
                subject="gate",
            )
        gate = cls.__new__(cls)
        gate._depth = depth
        gate._kind = kind
        gate._children = children
        gate._predicate = None
        gate._rule = None
        gate.name = name
        gate.label = Labels()
        gate._test = gate._compile()
        return gate

    # -- composition ------------------------------------------------------------------
    def __and__(self, other: Gate) -> Gate:
        if not isinstance(other, Gate):
            return NotImplemented
        parts = (*self._flatten("all"), *other._flatten("all"))
        return Gate._composite("all", parts, " & ".join(_paren(g) for g in parts))

    def __or__(self, other: Gate) -> Gate:
        if not isinstance(other, Gate):
            return NotImplemented
        parts = (*self._flatten("any"), *other._flatten("any"))
        return Gate._composite("any", parts, " | ".join(_paren(g) for g in parts))

    def __invert__(self) -> Gate:
        return Gate._composite("not", (self,), f"not {_paren(self)}")

    def _flatten(self, kind: str) -> tuple[Gate, ...]:
        return self._children if self._kind == kind else (self,)

    # -- evaluation ---------------------------------------------------------------------
    def _compile(self) -> Callable[[Any], bool]:
        if self._rule is not None:
            return self._rule._all  # the rule's fused predicate, one call less than .test
        if self._predicate is not None:
            predicate = self._predicate
            return lambda subject: bool(predicate(subject))
        tests = tuple(child._test for child in self._children)
        if self._kind == "all":
            return lambda subject: all(t(subject) for t in tests)
        if self._kind == "any":
            return lambda subject: any(t(subject) for t in tests)
        (inner,) = tests
        return lambda subject: not inner(subject)

    def __call__(self, subject: Any) -> bool:
        """Whether ``subject`` passes (the fast path; no explanation)."""
        try:
            return self._test(subject)
        except GateError:
            raise
        except Exception as exc:
            raise GateError(self.name, exc) from exc

    def failures(self, subject: Any) -> tuple[str, ...]:
        """Names of the failed checks (empty when the subject passes)."""
        try:
            return self._failures(subject)
        except GateError:
            raise
        except Exception as exc:
            raise GateError(self.name, exc) from exc

    def _failures(self, subject: Any) -> tuple[str, ...]:
        kind = self._kind
        if kind == "rule":
            assert self._rule is not None
            failed = self._rule.failed(subject)
            if not failed:
                return ()
            if len(self._rule.checks) == 1 and self.name != self._rule.text.strip():
                return (self.name,)
            if self.name == self._rule.text.strip():
                return failed
            return tuple(f"{self.name}: {f}" for f in failed)
        if kind == "callable":
            return () if self._test(subject) else (self.name,)
        if kind == "all":
            out: list[str] = []
            for child in self._children:
                out.extend(child._failures(subject))
            return tuple(out)
        if kind == "any":
            collected: list[str] = []
            for child in self._children:
                failed_child = child._failures(subject)
                if not failed_child:
                    return ()
                collected.extend(failed_child)
            return tuple(collected)
        (inner,) = self._children
        return (self.name,) if inner._test(subject) else ()

    def evaluate(self, subject: Any) -> GateResult:
        """Check ``subject`` and name every failed check.

        Raises
        ------
        GateError
            If a user predicate raises; the original exception is chained.
        """
        failed = self.failures(subject)
        return GateResult(self.name, not failed, failed)

    def evaluate_many(self, columns: Mapping[str, Any]) -> GateResults:
        """Evaluate a rule gate on whole columns at once.

        Parameters
        ----------
        columns : mapping of str to array-like
            Field name to column (numpy arrays, lists, or a pandas DataFrame), all of
            one length. Missing values (NaN, None, NaT) and missing columns count as
            "not set".

        Returns
        -------
        GateResults
            ``passed`` per row and one boolean array per check.

        Raises
        ------
        InvalidParameterError
            If the gate contains a Python callable (only rules run on columns), or
            the columns differ in length.
        """
        passed, checks = self._many(columns)
        return GateResults(self.name, passed, checks)

    def _many(self, columns: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        kind = self._kind
        if kind == "rule":
            assert self._rule is not None
            passed, raw = self._rule.evaluate_many(columns)
            text = self._rule.text.strip()
            if self.name == text:
                return passed, dict(raw)
            if len(raw) == 1:
                return passed, {self.name: passed}
            return passed, {f"{self.name}: {k}": v for k, v in raw.items()}
        if kind == "callable":
            raise InvalidParameterError(
                f"gate {self.name!r} is a Python callable and cannot run on columns; "
                "express it as a rule string to use evaluate_many",
                parameter="gate",
                value=self.name,
            )
        results = [child._many(columns) for child in self._children]
        checks: dict[str, np.ndarray] = {}
        for _, child_checks in results:
            checks.update(child_checks)
        if kind == "all":
            return np.logical_and.reduce([p for p, _ in results]), checks
        if kind == "any":
            return np.logical_or.reduce([p for p, _ in results]), checks
        (inner,) = results
        negated = ~inner[0]
        return negated, {self.name: negated}

    # -- introspection and serialisation ---------------------------------------------------
    @property
    def fields(self) -> frozenset[str]:
        """The dotted subject fields the gate's rules read.

        A Python callable is opaque: it contributes no field (a journey records no facts
        for it).

        Examples
        --------
        >>> gate = Gate("budget >= 10") & ~Gate("owner is set") | Gate(callable, name="f")
        >>> sorted(gate.fields)
        ['budget', 'owner']
        """
        if self._rule is not None:
            return self._rule.fields
        return frozenset().union(*(child.fields for child in self._children))

    def read(self, subject: Any) -> dict[str, Any]:
        """The values of :attr:`fields` in ``subject``, by dotted name.

        A missing field reads as :data:`salesfunnel.model.rules.MISSING`; a field whose
        lookup raises reads as a short text naming the exception.

        Examples
        --------
        >>> Gate("budget >= 10 and stage in ['a']").read({"budget": 5, "stage": "a", "x": 1})
        {'budget': 5, 'stage': 'a'}
        """
        if self._rule is not None:
            try:
                return self._rule.read(subject)
            except Exception:
                return self._read_each(subject)
        out: dict[str, Any] = {}
        for child in self._children:
            out.update(child.read(subject))
        return out

    def _readers(self) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
        """``(field, getter)`` for each field the gate's rules read (for journeys)."""
        if self._rule is not None:
            return self._rule._getters
        return tuple(r for child in self._children for r in child._readers())

    def _read_each(self, subject: Any) -> dict[str, Any]:
        """:meth:`read` field by field, keeping a lookup that raises as a text."""
        assert self._rule is not None
        out: dict[str, Any] = {}
        for name in sorted(self._rule.fields):
            try:
                out.update(parse_rule(f"{name} is set").read(subject))
            except Exception as exc:
                out[name] = f"<unreadable: {type(exc).__name__}>"
        return out

    @property
    def rule(self) -> str | None:
        """The rule text of a rule gate, else ``None``."""
        return self._rule.text if self._rule is not None else None

    @property
    def serializable(self) -> bool:
        """Whether :meth:`to_dict` works without a name registry (no callables inside)."""
        if self._kind == "callable":
            return False
        return all(child.serializable for child in self._children)

    def describe(self, lang: str = "en") -> str:
        """One line for people: the label (in ``lang``) and the rule text."""
        text = self.label.text(lang)
        detail = self.rule if self.rule is not None else self.name
        if text and text != detail:
            return f"{text} [{detail}]"
        return detail

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form. Callables serialize as a reference to their name.

        Load it back with :meth:`from_dict`, passing the callables by name.
        """
        out: dict[str, Any]
        if self._kind == "rule":
            out = {"rule": self.rule}
            if self.name != (self.rule or "").strip():
                out["name"] = self.name
        elif self._kind == "callable":
            out = {"ref": self.name}
        elif self._kind == "not":
            out = {"not": self._children[0].to_dict()}
        else:
            out = {self._kind: [c.to_dict() for c in self._children]}
        if self.label:
            out["label"] = self.label.to_dict()
        return out

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, refs: Mapping[str, Predicate | Gate] | None = None
    ) -> Gate:
        """Rebuild a gate from :meth:`to_dict` output.

        Parameters
        ----------
        data : mapping
            The serialized gate.
        refs : mapping, optional
            Callables (or gates) for the ``{"ref": name}`` entries, by name.

        Raises
        ------
        DefinitionError
            If the data is malformed, names a reference not in ``refs``, or nests
            deeper than :data:`MAX_DEPTH`.
        """
        return cls._from_dict(data, refs, 1)

    @classmethod
    def _from_dict(
        cls, data: Mapping[str, Any], refs: Mapping[str, Predicate | Gate] | None, depth: int
    ) -> Gate:
        if depth > MAX_DEPTH:
            raise DefinitionError(
                f"the gate mapping is nested {depth} deep or more; gates nest at most "
                f"{MAX_DEPTH} deep (salesfunnel.model._gate.MAX_DEPTH)",
                subject="gate",
            )
        if not isinstance(data, Mapping):
            raise DefinitionError(f"a gate is a mapping; got {data!r}", subject="gate")
        label = data.get("label")
        if "rule" in data:
            return cls(data["rule"], name=data.get("name"), label=label)
        if "ref" in data:
            name = data["ref"]
            target = (refs or {}).get(name)
            if target is None:
                known = ", ".join(sorted(refs or {})) or "none given"
                raise DefinitionError(
                    f"gate reference {name!r} is not among the gates passed by name "
                    f"(known: {known})",
                    subject="gate",
                )
            if isinstance(target, Gate):
                return target
            return cls(target, name=name, label=label)
        for kind in ("all", "any"):
            if kind in data:
                if not isinstance(data[kind], list | tuple):
                    raise DefinitionError(
                        f"{kind!r} is a list of gates; got {data[kind]!r}", subject="gate"
                    )
                children = tuple(cls._from_dict(c, refs, depth + 1) for c in data[kind])
                if not children:
                    raise DefinitionError(f"{kind!r} needs at least one gate", subject="gate")
                gate = children[0]
                for child in children[1:]:
                    gate = (gate & child) if kind == "all" else (gate | child)
                return gate
        if "not" in data:
            return ~cls._from_dict(data["not"], refs, depth + 1)
        raise DefinitionError(
            f"a gate mapping needs one of 'rule', 'ref', 'all', 'any', 'not'; got keys "
            f"{sorted(data)}",
            subject="gate",
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Gate):
            return NotImplemented
        if self._kind == "callable" or other._kind == "callable":
            return (
                self._kind == other._kind
                and self._predicate is other._predicate
                and self.name == other.name
            )
        return (
            self._kind == other._kind
            and self.name == other.name
            and self.rule == other.rule
            and self.label == other.label
            and self._children == other._children
        )

    def __hash__(self) -> int:
        return hash((self._kind, self.name, self.rule))

    def __repr__(self) -> str:
        if self._kind == "rule":
            if self.name == (self.rule or "").strip():
                return f"Gate({self.rule!r})"
            return f"Gate({self.rule!r}, name={self.name!r})"
        if self._kind == "callable":
            return f"Gate(<callable {self.name}>)"
        return f"Gate<{self.name}>"


def _paren(gate: Gate) -> str:
    return f"({gate.name})" if gate._kind in ("all", "any") else gate.name


def as_gates(value: Any) -> tuple[Gate, ...]:
    """Normalise a gate, a rule string, a callable, or a sequence of them, into a tuple."""
    if value is None:
        return ()
    if isinstance(value, Gate):
        return (value,)
    if isinstance(value, str) or callable(value):
        return (Gate(value),)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return tuple(g for item in value for g in as_gates(item))
    raise DefinitionError(
        f"gates are Gate objects, rule strings or callables; got {type(value).__name__} "
        f"{value!r}" + (" (load a serialized gate with Gate.from_dict)"
                        if isinstance(value, Mapping) else ""),
        subject="gate",
    )
