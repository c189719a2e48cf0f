"""Funnel metrics over an :class:`~salesfunnel.EventLog`.

Semantics are defined in the documentation page "Metric semantics". Every function
takes the log first and keyword-only options, and returns a frozen result object with
``to_dict()``,
``to_pandas()`` (``pandas`` extra), a plain-text table as ``str(result)`` and a ``repr``
saying what it holds. Additive results ``merge``: results over entity-partitioned chunks
combine into the result over the whole. ``by="segment"`` returns a :class:`Breakdown`
with one result per segment value. The numpy kernels shared by every metric live in
:mod:`salesfunnel.metrics._kernels`.

Examples
--------
>>> from salesfunnel import EventLog, Funnel, Stage
>>> from salesfunnel import metrics
>>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
>>> log = EventLog.from_arrays(f, entity=[1, 1, 2], stage=[0, 1, 0], ts=[0, 3, 1], unit="D")
>>> a, b = log.partition(2)
>>> metrics.conversion(a).merge(metrics.conversion(b)) == metrics.conversion(log)
True
"""

from salesfunnel.metrics._categories import ForecastCategories, forecast_categories
from salesfunnel.metrics._cohorts import Cohorts, cohorts
from salesfunnel.metrics._compare import Comparison, compare
from salesfunnel.metrics._conversion import Conversion, conversion
from salesfunnel.metrics._correlation import Correlation, correlation
from salesfunnel.metrics._modes import StepFunnel, WindowFunnelMode, window_funnel
from salesfunnel.metrics._orders import funnel
from salesfunnel.metrics._pipeline import Pipeline, pipeline
from salesfunnel.metrics._results import Breakdown
from salesfunnel.metrics._stale import Stale, stale
from salesfunnel.metrics._steps import Exclusion, Step
from salesfunnel.metrics._survival import Survival, survival
from salesfunnel.metrics._timing import Durations, Timing, timing

__all__ = [
    "Breakdown",
    "Cohorts",
    "Comparison",
    "Conversion",
    "Correlation",
    "Durations",
    "Exclusion",
    "ForecastCategories",
    "Pipeline",
    "Stale",
    "Step",
    "StepFunnel",
    "Survival",
    "Timing",
    "WindowFunnelMode",
    "cohorts",
    "compare",
    "conversion",
    "correlation",
    "forecast_categories",
    "funnel",
    "pipeline",
    "stale",
    "survival",
    "timing",
    "window_funnel",
]
