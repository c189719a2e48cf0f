"""Funnel metrics over an :class:`~salesfunnel.EventLog`.

Semantics follow DESIGN.md "Metric semantics"; the numpy kernels shared by every metric
live in :mod:`salesfunnel.metrics._kernels`.
"""

__all__: list[str] = []
