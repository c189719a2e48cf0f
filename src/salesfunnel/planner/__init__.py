"""Planning: the reverse funnel, the four levers, a Markov chain and a Monte Carlo forecast.

* :func:`reverse` / :func:`forward`: the balance calculation of a sales funnel, from a
  target to the inflow it needs (and back), per stage, per period, per lead source, with
  the reps needed.
* :func:`levers`: revenue per period as sales velocity and the effect of each of the
  four levers (win rate, deal size, opportunities, cycle length).
* :class:`MarkovModel`: an absorbing chain fitted on observed moves (``MarkovModel().fit(log)``):
  the probability of winning and the expected time to close from every stage.
* :func:`forecast`: a Monte Carlo distribution of the revenue the open pipeline wins by a
  horizon.
"""

from salesfunnel.planner._forecast import Forecast, ForecastStage, forecast
from salesfunnel.planner._lagged import LaggedPlan, lag_distribution, lagged
from salesfunnel.planner._levers import LEVERS, LeverEffect, LeverReport, LeverTarget, levers
from salesfunnel.planner._markov import (
    MarkovModel,
    NominalComparison,
    NominalRow,
)
from salesfunnel.planner._reverse import (
    LEAD_SOURCES,
    Capacity,
    CapacityPlan,
    Plan,
    PlanRow,
    Source,
    SourceRow,
    forward,
    reverse,
)
from salesfunnel.planner._scoring import Calibration, DealScorer, DealScores, calibration

__all__ = [  # noqa: RUF022 - plain sorted() order, as tests/test_public_api.py checks
    "Calibration",
    "Capacity",
    "CapacityPlan",
    "DealScorer",
    "DealScores",
    "Forecast",
    "ForecastStage",
    "LEAD_SOURCES",
    "LEVERS",
    "LaggedPlan",
    "LeverEffect",
    "LeverReport",
    "LeverTarget",
    "MarkovModel",
    "NominalComparison",
    "NominalRow",
    "Plan",
    "PlanRow",
    "Source",
    "SourceRow",
    "calibration",
    "forecast",
    "forward",
    "lag_distribution",
    "lagged",
    "levers",
    "reverse",
]
