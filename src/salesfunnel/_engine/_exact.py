"""Exact sums of floats, so that sums over partitions add up to the same float bit for
bit, whatever the partitioning (float addition is not associative; this is)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import numpy.typing as npt

__all__ = ["exact_group_sums", "fraction_float"]


def exact_group_sums(codes: npt.NDArray[np.int64], values: npt.NDArray[np.float64],
                     n: int) -> list[Fraction]:
    """The exact sum of the finite ``values`` of each group ``0 .. n - 1`` as a fraction.

    Every float is ``M * 2**(e - 53)`` with an integer ``M`` below ``2**53``; the ``M``
    are summed exactly per (group, exponent) with integer arithmetic, then scaled.
    ``float(s)`` of a sum is the correctly rounded total.

    Examples
    --------
    >>> s = exact_group_sums(np.array([0, 0, 0, 1]), np.array([0.1, 0.2, -0.3, 2.5]), 2)
    >>> [float(x) for x in s], 0.1 + 0.2 - 0.3
    ([2.7755575615628914e-17, 2.5], 5.551115123125783e-17)
    """
    out = [Fraction(0)] * n
    ok = np.isfinite(values) & (values != 0)
    if not ok.any():
        return out
    v = values[ok]
    c = codes[ok].astype(np.int64)
    mant, exp = np.frexp(v)
    m = np.ldexp(mant, 53).astype(np.int64)  # exact: 53 significant bits
    e = exp.astype(np.int64)
    e0 = int(e.min())
    span = int(e.max()) - e0 + 1
    key = c * span + (e - e0)
    keys, inverse = np.unique(key, return_inverse=True)
    high = np.zeros(len(keys), dtype=np.int64)
    low = np.zeros(len(keys), dtype=np.int64)
    np.add.at(high, inverse.ravel(), m >> 26)
    np.add.at(low, inverse.ravel(), m & ((1 << 26) - 1))
    for k, h, lo in zip(keys.tolist(), high.tolist(), low.tolist(), strict=True):
        group, shift = divmod(k, span)
        total = (h << 26) + lo
        power = shift + e0 - 53
        out[group] += Fraction(total * 2**power) if power >= 0 else Fraction(total, 2**-power)
    return out


def fraction_float(x: Fraction) -> float:
    """``float(x)``, correctly rounded, or an infinity of the sign of ``x`` when it is
    beyond the float range (``float`` raises ``OverflowError`` there).

    Examples
    --------
    >>> fraction_float(Fraction(1, 4)), fraction_float(Fraction(-(10**400)))
    (0.25, -inf)
    """
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf
