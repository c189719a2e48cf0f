"""Strategies and checks for the insight objects: stale-deal thresholds, forecast
category maps and the calibration of win probabilities."""

from __future__ import annotations

import math

import numpy.typing as npt
from hypothesis import strategies as st

from salesfunnel.metrics._categories import CATEGORIES
from salesfunnel.model import Funnel, StageKind
from salesfunnel.planner._scoring import Calibration, calibration
from salesfunnel.testing._validation import check_funnel, check_int

__all__ = ["assert_calibrated", "forecast_category_maps", "stage_thresholds"]


def stage_thresholds(funnel: Funnel, *, max_days: int = 120
                     ) -> st.SearchStrategy[float | dict[str, float]]:
    """Thresholds for :func:`salesfunnel.metrics.stale`: one number of days, or a mapping
    of some OPEN stages of ``funnel`` to days (0 .. ``max_days``, fractions included).

    Examples
    --------
    >>> from hypothesis import given
    >>> import salesfunnel as sf
    >>> f = sf.templates.get("aida")
    >>> @given(stage_thresholds(f))
    ... def test_thresholds(th):
    ...     assert isinstance(th, float) or set(th) <= set(f.names)
    >>> test_thresholds()
    """
    funnel = check_funnel("funnel", funnel, where="stage_thresholds")
    max_days = check_int("max_days", max_days, where="stage_thresholds", low=0)
    names = [s.name for s in funnel.stages if s.is_open]
    days = st.one_of(st.integers(0, max_days).map(float),
                     st.floats(0, max_days, allow_nan=False, allow_infinity=False))
    one = days
    many = st.dictionaries(st.sampled_from(names), days, max_size=len(names)) if names \
        else st.just({})
    return st.one_of(one, many)


def forecast_category_maps(funnel: Funnel) -> st.SearchStrategy[dict[str, str]]:
    """Stage -> forecast category mappings for
    :func:`salesfunnel.metrics.forecast_categories`: any subset of the stages, OPEN
    stages to any category, WON to ``closed`` and LOST to ``omitted`` (CRMs' rule).

    Examples
    --------
    >>> from hypothesis import given
    >>> import salesfunnel as sf
    >>> f = sf.templates.get("b2b-seven-stage")
    >>> @given(forecast_category_maps(f))
    ... def test_maps(m):
    ...     assert m.get("won", "closed") == "closed"
    >>> test_maps()
    """
    funnel = check_funnel("funnel", funnel, where="forecast_category_maps")
    parts = {}
    for s in funnel.stages:
        if s.is_open:
            parts[s.name] = st.sampled_from(CATEGORIES)
        else:
            parts[s.name] = st.just("closed" if s.kind is StageKind.WON else "omitted")
    return st.fixed_dictionaries({}, optional=parts)


def assert_calibrated(probability: npt.ArrayLike, outcome: npt.ArrayLike, *,
                      bins: int = 10, level: float = 0.999, min_count: int = 30
                      ) -> Calibration:
    """Assert that predicted win probabilities are calibrated against outcomes.

    For every bin of the reliability table with at least ``min_count`` predictions, the
    mean prediction must lie within the Wilson interval of the observed rate at
    ``level`` (Bonferroni-adjusted over the bins checked). Returns the
    :class:`~salesfunnel.planner.Calibration`.

    Raises
    ------
    AssertionError
        Naming the first bin whose observed rate is off, with both rates.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> p = rng.random(20_000)
    >>> c = assert_calibrated(p, rng.random(20_000) < p)
    >>> c.count
    20000
    >>> assert_calibrated(p, rng.random(20_000) < p ** 2)
    Traceback (most recent call last):
    ...
    AssertionError: not calibrated: bin 0.0-0.1 ...
    """
    c = calibration(probability, outcome, bins=bins)
    checked = [i for i in range(len(c.n)) if c.n[i] >= min_count]
    if not checked:
        return c
    adj = 1 - (1 - level) / len(checked)
    strict = calibration(probability, outcome, bins=bins, level=adj)
    for i in checked:
        lo, hi, p = float(strict.lower[i]), float(strict.upper[i]), float(c.predicted[i])
        if not (lo <= p <= hi) and not math.isclose(p, lo) and not math.isclose(p, hi):
            raise AssertionError(
                f"not calibrated: bin {c.edges[i]:.1f}-{c.edges[i + 1]:.1f} predicts "
                f"{p:.3f} on average but {c.observed[i]:.3f} of its {int(c.n[i])} outcomes "
                f"happened (interval [{lo:.3f}, {hi:.3f}] at level {adj:.4f})")
    return c


