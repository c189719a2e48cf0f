"""Helpers for the template tests (importable as ``template_support``: tests/ is on the path)."""

from __future__ import annotations

from typing import Any

from salesfunnel import Stage
from salesfunnel.model.rules import parse_rule

BUILTIN = (
    "aida",
    "aida-loyalty",
    "aidma",
    "b2b-seven-stage",
    "crm-pipeline",
    "decision-journey",
    "influence",
    "jiandaoyun-seven-stage",
    "lead-funnel",
    "product-operations",
    "sales-analysis-five-stage",
    "tofu-mofu-bofu",
)
"""Every built-in template the issue asks for, written out independently of the code."""


def fields_of(stage: Stage) -> set[str]:
    """Every subject field the gates of ``stage`` read (from the rule texts)."""
    out: set[str] = set()
    for gate in stage.gates:
        assert gate.rule is not None, f"gate {gate.name!r} of {stage.name!r} is not a rule"
        out |= parse_rule(gate.rule).fields
    return out


def satisfying(*stages: Stage) -> dict[str, Any]:
    """A subject that answers every field the gates of ``stages`` read with True.

    The built-in rules only use bare fields (truthy) and ``is set``, which True passes.
    """
    return {field: True for stage in stages for field in fields_of(stage)}
