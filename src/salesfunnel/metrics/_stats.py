"""Small statistics helpers in plain numpy (no scipy at run time).

Binomial intervals (Wilson score, Jeffreys), the Newcombe hybrid score interval for a
difference of proportions, the pooled two-proportion z-test, the regularized incomplete
beta function with its inverse, and ``P(B > A)`` for two Beta posteriors by numerical
integration.

Examples
--------
>>> low, high = wilson([40], [100], 0.95)
>>> round(float(low[0]), 4), round(float(high[0]), 4)
(0.3094, 0.4980)
"""

from __future__ import annotations

import math
from functools import partial
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from salesfunnel._util._validate import check_number

__all__ = [
    "beta_ppf",
    "betainc",
    "check_level",
    "jeffreys",
    "newcombe_diff",
    "prob_greater",
    "two_proportion_ztest",
    "wilson",
    "z_value",
]

_F = npt.NDArray[np.float64]
_STD_NORMAL = NormalDist()


#: ``check_level(level, where=...)``: a confidence level as a float in (0, 1), else
#: :class:`~salesfunnel.errors.InvalidParameterError` (the shape of
#: :mod:`salesfunnel._util._validate`).
check_level = partial(check_number, "level", low=0.0, high=1.0, low_open=True,
                      high_open=True)


def z_value(level: float) -> float:
    """Two-sided standard normal quantile for confidence ``level``.

    ``inv_cdf(0.5 + level / 2)``; for a level within 1e-16 of 1, where that rounds to
    1 (whose quantile is infinite), from the lower tail: ``-inv_cdf((1 - level) / 2)``.

    Examples
    --------
    >>> round(z_value(0.95), 6), z_value(0.9999999999999999) < 9
    (1.959964, True)
    """
    upper = 0.5 + level / 2.0
    if upper < 1.0:
        return _STD_NORMAL.inv_cdf(upper)
    return -_STD_NORMAL.inv_cdf((1.0 - level) / 2.0)


def wilson(successes: npt.ArrayLike, trials: npt.ArrayLike, level: float) -> tuple[_F, _F]:
    """Wilson score interval; NaN where ``trials`` is 0 or ``successes`` not in [0, trials]."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = z_value(level)
    ok = (n > 0) & (k >= 0) & (k <= n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(ok, k / n, np.nan)
        denom = 1.0 + z * z / n
        center = (p + z * z / (2.0 * n)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    low = np.where(ok, np.clip(center - half, 0.0, 1.0), np.nan)
    high = np.where(ok, np.clip(center + half, 0.0, 1.0), np.nan)
    return low, high


def _lgamma(x: npt.ArrayLike) -> _F:
    arr = np.asarray(x, dtype=np.float64)
    flat = [math.lgamma(v) for v in arr.ravel().tolist()]
    return np.asarray(flat, dtype=np.float64).reshape(arr.shape)


def _betacf(a: _F, b: _F, x: _F) -> _F:
    """Continued fraction of the incomplete beta (modified Lentz), vectorized."""
    tiny = 1e-300
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = np.where(np.abs(d) < tiny, tiny, d)
    d = 1.0 / d
    h = d.copy()
    active = np.ones(x.shape, dtype=np.bool_)
    for m in range(1, 200_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        h = np.where(active, h * d * c, h)
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = d * c
        h = np.where(active, h * delta, h)
        active &= np.abs(delta - 1.0) > 1e-15
        if not active.any():
            break
    return h


def betainc(a: npt.ArrayLike, b: npt.ArrayLike, x: npt.ArrayLike) -> _F:
    """Regularized incomplete beta function ``I_x(a, b)`` (a, b > 0), vectorized.

    Examples
    --------
    >>> float(betainc(2.0, 3.0, 0.5))
    0.6875
    """
    a_, b_, x_ = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                     np.asarray(x, np.float64))
    out = np.zeros(x_.shape, dtype=np.float64)
    out[x_ >= 1.0] = 1.0
    inner = (x_ > 0.0) & (x_ < 1.0)
    if not inner.any():
        return out
    a1, b1, x1 = a_[inner], b_[inner], x_[inner]
    log_front = (_lgamma(a1 + b1) - _lgamma(a1) - _lgamma(b1)
                 + a1 * np.log(x1) + b1 * np.log1p(-x1))
    front = np.exp(log_front)
    swap = x1 >= (a1 + 1.0) / (a1 + b1 + 2.0)
    res = np.empty_like(x1)
    if (~swap).any():
        s = ~swap
        res[s] = front[s] * _betacf(a1[s], b1[s], x1[s]) / a1[s]
    if swap.any():
        res[swap] = 1.0 - front[swap] * _betacf(b1[swap], a1[swap], 1.0 - x1[swap]) / b1[swap]
    out[inner] = np.clip(res, 0.0, 1.0)
    return out


def beta_ppf(q: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike) -> _F:
    """Quantile of the Beta(a, b) distribution (safeguarded Newton on :func:`betainc`).

    Examples
    --------
    >>> round(float(beta_ppf(0.5, 2.0, 2.0)), 12)
    0.5
    """
    q_, a_, b_ = np.broadcast_arrays(np.asarray(q, np.float64), np.asarray(a, np.float64),
                                     np.asarray(b, np.float64))
    lo = np.zeros(q_.shape)
    hi = np.ones(q_.shape)
    log_norm = _lgamma(a_ + b_) - _lgamma(a_) - _lgamma(b_)
    x: _F = np.clip(a_ / (a_ + b_), 1e-12, 1.0 - 1e-12)
    for _ in range(200):
        f = betainc(a_, b_, x) - q_
        lo = np.where(f < 0, x, lo)
        hi = np.where(f < 0, hi, x)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            pdf = np.exp(log_norm + (a_ - 1.0) * np.log(x) + (b_ - 1.0) * np.log1p(-x))
            newton = x - f / pdf
        bisect = 0.5 * (lo + hi)
        ok = np.isfinite(newton) & (newton > lo) & (newton < hi)
        new = np.where(ok, newton, bisect)
        done = (np.abs(new - x) <= 1e-15 * np.maximum(x, 1e-300)) | (hi - lo <= 1e-16)
        x = new
        if done.all():
            break
    return x


def jeffreys(successes: npt.ArrayLike, trials: npt.ArrayLike, level: float) -> tuple[_F, _F]:
    """Central Jeffreys interval: quantiles of Beta(k + 1/2, n - k + 1/2).

    Like statsmodels' ``method="jeffreys"``: no adjustment at ``k = 0`` or ``k = n``.
    NaN where ``trials`` is 0 or ``successes`` is not in [0, trials].
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    ok = (n > 0) & (k >= 0) & (k <= n)
    low = np.full(k.shape, np.nan)
    high = np.full(k.shape, np.nan)
    if ok.any():
        alpha = 1.0 - level
        a = k[ok] + 0.5
        b = n[ok] - k[ok] + 0.5
        low[ok] = beta_ppf(np.full(a.shape, alpha / 2.0), a, b)
        high[ok] = beta_ppf(np.full(a.shape, 1.0 - alpha / 2.0), a, b)
    return low, high


def newcombe_diff(k1: npt.ArrayLike, n1: npt.ArrayLike, k2: npt.ArrayLike, n2: npt.ArrayLike,
                  level: float) -> tuple[_F, _F]:
    """Newcombe hybrid score interval for ``p2 - p1`` (built from Wilson intervals)."""
    ka, na = np.asarray(k1, np.float64), np.asarray(n1, np.float64)
    kb, nb = np.asarray(k2, np.float64), np.asarray(n2, np.float64)
    l1, u1 = wilson(ka, na, level)
    l2, u2 = wilson(kb, nb, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = ka / na
        p2 = kb / nb
        diff = p2 - p1
        low = diff - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
        high = diff + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return low, high


def two_proportion_ztest(k1: npt.ArrayLike, n1: npt.ArrayLike, k2: npt.ArrayLike,
                         n2: npt.ArrayLike) -> _F:
    """Two-sided p-value of the pooled two-proportion z-test (NaN when undefined)."""
    ka, na = np.asarray(k1, np.float64), np.asarray(n1, np.float64)
    kb, nb = np.asarray(k2, np.float64), np.asarray(n2, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (ka + kb) / (na + nb)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb))
        z = (kb / nb - ka / na) / se
    out = np.full(z.shape, np.nan)
    ok = np.isfinite(z)
    out[ok] = [2.0 * _STD_NORMAL.cdf(-abs(v)) for v in z[ok].tolist()]
    # Identical proportions with zero variance (all or none converted on both sides).
    same = (se == 0) & (na > 0) & (nb > 0) & (ka * nb == kb * na)
    out[same] = 1.0
    return out


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(24)


def prob_greater(a_alpha: float, a_beta: float, b_alpha: float, b_beta: float) -> float:
    """``P(X_b > X_a)`` for independent Beta variables.

    ``X_a ~ Beta(a_alpha, a_beta)`` and ``X_b ~ Beta(b_alpha, b_beta)``.

    Computed as the integral of ``pdf_b(x) * cdf_a(x)`` by composite Gauss-Legendre
    quadrature (128 panels of 24 nodes) over ``mean_b +- 40 sd_b`` clipped to (0, 1);
    deterministic, accurate to about 1e-9 for shape parameters >= 1.

    Examples
    --------
    >>> round(prob_greater(1.0, 1.0, 1.0, 1.0), 9)
    0.5
    >>> round(prob_greater(3.0, 1.0, 1.0, 1.0), 9)  # P(U > max of 3 uniforms) = 1/4
    0.25
    """
    mean = b_alpha / (b_alpha + b_beta)
    sd = math.sqrt(b_alpha * b_beta / ((b_alpha + b_beta) ** 2 * (b_alpha + b_beta + 1.0)))
    lo = max(0.0, mean - 40.0 * sd)
    hi = min(1.0, mean + 40.0 * sd)
    edges = np.linspace(lo, hi, 129)
    half = (edges[1:] - edges[:-1])[:, None] / 2.0
    mid = (edges[1:] + edges[:-1])[:, None] / 2.0
    x = (mid + half * _GL_NODES[None, :]).ravel()
    w = (half * _GL_WEIGHTS[None, :]).ravel()
    log_norm = math.lgamma(b_alpha + b_beta) - math.lgamma(b_alpha) - math.lgamma(b_beta)
    pdf_b = np.exp(log_norm + (b_alpha - 1.0) * np.log(x) + (b_beta - 1.0) * np.log1p(-x))
    cdf_a = betainc(a_alpha, a_beta, x)
    return float(np.clip(np.sum(w * pdf_b * cdf_a), 0.0, 1.0))
