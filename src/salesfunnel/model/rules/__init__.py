"""The safe rule language used by gates, such as ``"budget >= 10000 and owner is set"``.

The language (grammar, operators, missing values, numbers, safety) is described in the
rule-language reference, ``docs/reference/rules.md``.  The modules of this package:
``_lexer`` (tokenizer), ``_syntax`` (syntax tree and parser), ``_normalize`` (the pass
both compilers run first), ``_values`` (value semantics), ``_scalar`` (compiler for one
subject), ``_columns`` and ``_numeric`` (compiler for numpy columns) and ``_rule`` (the
public :class:`Rule`).  :mod:`salesfunnel.model.rules.api` is the internal API that
:mod:`salesfunnel.testing` relies on.

Examples
--------
>>> rule = parse_rule("budget >= 10000 and decision_maker is set")
>>> rule.test({"budget": 25_000, "decision_maker": "Ann"})
True
>>> rule.failed({"budget": 500})
('budget >= 10000', 'decision_maker is set')
"""

from salesfunnel.model.rules._lexer import KEYWORDS
from salesfunnel.model.rules._rule import MAX_RULE_LENGTH, Check, Rule, parse_rule
from salesfunnel.model.rules._syntax import MAX_DEPTH
from salesfunnel.model.rules._values import MISSING

__all__ = ["KEYWORDS", "MAX_DEPTH", "MAX_RULE_LENGTH", "MISSING", "Check", "Rule", "parse_rule"]
