"""The public :class:`Rule` and :class:`Check` classes and :func:`parse_rule`.

The language itself is described in the rule-language reference
(``docs/reference/rules.md``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

import attrs
import numpy as np

from salesfunnel.errors import InvalidParameterError, RuleSyntaxError
from salesfunnel.model.rules._columns import Env, VecFn, compile_columns
from salesfunnel.model.rules._scalar import compile_scalar, conjunction
from salesfunnel.model.rules._syntax import fields_of, parse
from salesfunnel.model.rules._values import BoolArray, Pred, getter

__all__ = ["MAX_RULE_LENGTH", "Check", "Rule", "parse_rule"]

MAX_RULE_LENGTH: Final = 10_000
"""Longest rule text accepted, in characters."""


@attrs.frozen(repr=False)
class Check:
    """One named check of a :class:`Rule`: a top-level ``and`` conjunct.

    Parameters
    ----------
    text : str
        The conjunct's source text, stripped (parentheses of a parenthesised
        conjunct are kept).

    Examples
    --------
    >>> rule = parse_rule("budget >= 10 and (owner is set or team is set)")
    >>> [check.text for check in rule.checks]
    ['budget >= 10', '(owner is set or team is set)']
    >>> rule.checks[1].test({"team": "emea"})
    True
    """

    text: str
    _fn: Pred = attrs.field(eq=False, alias="fn")
    _vec: VecFn = attrs.field(eq=False, alias="vec")

    def test(self, subject: object) -> bool:
        """Whether ``subject`` (a mapping or any object) passes this check."""
        return self._fn(subject)

    def test_many(self, columns: Mapping[str, Any], n: int) -> BoolArray:
        """Evaluate the check on ``n`` subjects stored as columns.

        Parameters
        ----------
        columns : Mapping[str, array-like]
            Field name -> column of ``n`` values (see :meth:`Rule.evaluate_many`).
        n : int
            Number of rows; every column that is present must have this length.

        Returns
        -------
        numpy.ndarray
            Boolean array of length ``n``.

        Examples
        --------
        >>> check = parse_rule("budget >= 10").checks[0]
        >>> check.test_many({"budget": [5, 10, float("nan")]}, 3)
        array([False,  True, False])
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InvalidParameterError(
                f"n must be a non-negative int, got {n!r}", parameter="n", value=n
            )
        env = Env.build(columns, _fields_of_text(self.text), int(n))
        return self._vec(env)

    def __repr__(self) -> str:
        return f"Check({self.text!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_check_from_text, (self.text,))


def _fields_of_text(text: str) -> frozenset[str]:
    return parse_rule(text).fields


def _check_from_text(text: str) -> Check:
    return parse_rule(text).checks[0]


@attrs.frozen(repr=False)
class Rule:
    """A parsed, compiled rule; build one with :func:`parse_rule`.

    Attributes
    ----------
    text : str
        The original rule text.
    checks : tuple of Check
        The top-level ``and`` conjuncts, in order (one check when there is no
        top-level ``and``).
    fields : frozenset of str
        The dotted field names the rule reads, such as ``"contact.email"``.

    Examples
    --------
    >>> rule = parse_rule("budget >= 10 and owner is set")
    >>> rule.test({"budget": 12, "owner": "ann"})
    True
    >>> rule.failed({"budget": 12})
    ('owner is set',)
    >>> sorted(rule.fields)
    ['budget', 'owner']
    """

    text: str
    checks: tuple[Check, ...]
    fields: frozenset[str]
    _fns: tuple[Pred, ...] = attrs.field(eq=False, alias="fns")
    _all: Pred = attrs.field(eq=False, alias="all")
    _named: tuple[tuple[str, Pred], ...] = attrs.field(eq=False, init=False)
    _getters: tuple[tuple[str, Any], ...] = attrs.field(eq=False, init=False)

    def __attrs_post_init__(self) -> None:
        named = tuple((c.text, fn) for c, fn in zip(self.checks, self._fns, strict=True))
        object.__setattr__(self, "_named", named)
        getters = tuple((name, getter(tuple(name.split(".")))) for name in sorted(self.fields))
        object.__setattr__(self, "_getters", getters)

    def read(self, subject: object) -> dict[str, object]:
        """The values of the fields the rule reads, by dotted name (sorted).

        A field the subject does not have reads as :data:`MISSING`.  This is what a
        journey records as the facts of a move (see :attr:`TransitionRecord.facts
        <salesfunnel.TransitionRecord.facts>`).

        Examples
        --------
        >>> parse_rule("budget >= 10 and contact.email is set").read(
        ...     {"budget": 12, "contact": {"email": "ann@example.com"}, "notes": "x"})
        {'budget': 12, 'contact.email': 'ann@example.com'}
        >>> parse_rule("owner is set").read({})
        {'owner': MISSING}
        """
        return {name: get(subject) for name, get in self._getters}

    def test(self, subject: object) -> bool:
        """Whether ``subject`` passes every check.

        ``subject`` is a mapping (read with ``subject[key]``) or any object (read with
        ``getattr``); dotted fields walk nested mappings and objects.
        """
        return self._all(subject)

    def failed(self, subject: object) -> tuple[str, ...]:
        """Texts of the checks ``subject`` fails, in rule order (empty when it passes).

        Examples
        --------
        >>> parse_rule("a > 1 and b > 1 and c > 1").failed({"a": 2, "b": 0})
        ('b > 1', 'c > 1')
        """
        if self._all(subject):
            return ()
        failed = []
        for text, fn in self._named:
            if not fn(subject):
                failed.append(text)
        return tuple(failed)

    def evaluate_many(self, columns: Mapping[str, Any]) -> tuple[BoolArray, dict[str, BoolArray]]:
        """Evaluate the rule on many subjects stored as columns, with numpy.

        Parameters
        ----------
        columns : Mapping[str, array-like]
            Field name -> column (numpy array, list, pandas Series, ...), all of one
            length.  A dotted field is looked up under its full name
            (``"contact.email"``) first, then through nested mappings
            (``columns["contact"]["email"]``).  A value is not set when it is NaN (float
            columns), NaT (datetime columns) or None (object columns); a column that
            is absent is not set on every row.

        Returns
        -------
        passed : numpy.ndarray
            Boolean array: the rows that pass every check.
        per_check : dict of str to numpy.ndarray
            Each check's text -> its boolean array.

        Raises
        ------
        InvalidParameterError
            If the columns have different lengths or are not one-dimensional.

        Examples
        --------
        >>> rule = parse_rule("budget >= 10 and stage in ['demo', 'won']")
        >>> passed, per_check = rule.evaluate_many(
        ...     {"budget": [5.0, 20.0, 30.0], "stage": ["won", "demo", "lost"]})
        >>> passed
        array([False,  True, False])
        >>> per_check["stage in ['demo', 'won']"]
        array([ True,  True, False])
        """
        env = Env.build(columns, self.fields, None)
        per_check: dict[str, BoolArray] = {}
        passed: BoolArray | None = None
        for check in self.checks:
            result = check._vec(env)
            per_check[check.text] = result
            if passed is None:
                passed = result.copy()
            else:
                np.logical_and(passed, result, out=passed)
        assert passed is not None
        return passed, per_check

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (parse_rule, (self.text,))


def parse_rule(text: str) -> Rule:
    """Parse and compile a rule (results are cached by text).

    Parameters
    ----------
    text : str
        The rule, for example ``"budget >= 10000 and decision_maker is set"``.

    Returns
    -------
    Rule

    Raises
    ------
    RuleSyntaxError
        If ``text`` does not follow the rule grammar; ``position`` is the offset
        of the problem.
    InvalidParameterError
        If ``text`` is not a string.

    Examples
    --------
    >>> parse_rule("budget >= 10 and owner is set").test({"budget": 12, "owner": "ann"})
    True
    >>> parse_rule("stage in ['demo', 'won'] or not budget_confirmed").test({"stage": "lost"})
    True
    >>> parse_rule("budget >= ")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.RuleSyntaxError: expected a value after '>=', found end of rule ...
    ...
    """
    if not isinstance(text, str):
        raise InvalidParameterError(
            f"a rule must be a str, got {type(text).__name__}", parameter="text", value=text
        )
    return _parse_cached(str(text))


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Rule:
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(
            f"rule is longer than {MAX_RULE_LENGTH} characters", text, MAX_RULE_LENGTH
        )
    conjuncts = parse(text)
    checks: list[Check] = []
    fns: list[Pred] = []
    names: set[str] = set()
    for node, start, end in conjuncts:
        fn = compile_scalar(node)
        checks.append(Check(text[start:end], fn=fn, vec=compile_columns(node)))
        fns.append(fn)
        fields_of(node, names)
    all_fns = tuple(fns)
    return Rule(
        text,
        tuple(checks),
        frozenset(names),
        fns=all_fns,
        all=conjunction(all_fns),
    )
