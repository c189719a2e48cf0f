"""``compare``: statistics against statsmodels and scipy, merging, presentation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.reference import FUNNELS, Row, columns, logs, ref_conversion
from salesfunnel import EventLog, Funnel, InvalidParameterError
from salesfunnel.metrics import Comparison, Conversion, compare, conversion
from salesfunnel.metrics._stats import betainc, prob_greater

STAGES = ("lead", "demo", "won")


def conv(*counts: int) -> Conversion:
    return Conversion("reached", STAGES, counts, counts[0])


@settings(max_examples=40)
@given(st.lists(st.integers(0, 400), min_size=3, max_size=3),
       st.lists(st.integers(0, 400), min_size=3, max_size=3),
       st.sampled_from([0.9, 0.95]))
def test_statistics_match_statsmodels(a: list[int], b: list[int], level: float) -> None:
    sm = pytest.importorskip("statsmodels.stats.proportion")
    a, b = sorted(a, reverse=True), sorted(b, reverse=True)
    cmp = compare(conv(*a), conv(*b), level=level)
    low, high = cmp.interval
    rows = [(a[1], a[0], b[1], b[0]), (a[2], a[1], b[2], b[1]), (a[2], a[0], b[2], b[0])]
    assert cmp.steps == ("lead -> demo", "demo -> won", "overall")
    for i, (ka, na, kb, nb) in enumerate(rows):
        assert cmp.a_successes[i] == ka and cmp.a_trials[i] == na
        if na == 0 or nb == 0:
            assert math.isnan(cmp.difference[i]) and math.isnan(cmp.p_value[i])
            continue
        assert cmp.difference[i] == pytest.approx(kb / nb - ka / na, abs=1e-12)
        ref_low, ref_high = sm.confint_proportions_2indep(
            kb, nb, ka, na, method="newcomb", compare="diff", alpha=1 - level)
        assert low[i] == pytest.approx(ref_low, abs=1e-9)
        assert high[i] == pytest.approx(ref_high, abs=1e-9)
        if 0 < ka + kb < na + nb:
            _, ref_p = sm.proportions_ztest([kb, ka], [nb, na])
            assert cmp.p_value[i] == pytest.approx(ref_p, abs=1e-9)
        else:  # no variance: equal proportions by construction
            assert cmp.p_value[i] == 1.0


@pytest.mark.parametrize(("ka", "na", "kb", "nb"), [
    (0, 0, 0, 0), (3, 10, 4, 10), (0, 5, 5, 5), (40, 1000, 55, 1000), (120, 130, 1, 9),
    (40_000, 100_000, 40_300, 100_000),
])
def test_prob_b_better_matches_scipy_integration(ka: int, na: int, kb: int, nb: int) -> None:
    stats = pytest.importorskip("scipy.stats")
    integrate = pytest.importorskip("scipy.integrate")
    a = stats.beta(1 + ka, 1 + na - ka)
    b = stats.beta(1 + kb, 1 + nb - kb)
    lo, hi = b.ppf(1e-13), b.isf(1e-13)
    ref, _ = integrate.quad(lambda x: b.pdf(x) * a.cdf(x), lo, hi, limit=500,
                            epsabs=1e-12, epsrel=1e-12)
    assert prob_greater(1 + ka, 1 + na - ka, 1 + kb, 1 + nb - kb) == pytest.approx(
        ref, abs=1e-8)


def test_prob_b_better_matches_monte_carlo() -> None:
    rng = np.random.default_rng(3)
    cmp = compare(conv(500, 60, 20), conv(480, 70, 19))
    draws = 400_000
    for i, (ka, na, kb, nb) in enumerate([(60, 500, 70, 480), (20, 60, 19, 70)]):
        xa = rng.beta(1 + ka, 1 + na - ka, draws)
        xb = rng.beta(1 + kb, 1 + nb - kb, draws)
        assert cmp.prob_b_better[i] == pytest.approx(float(np.mean(xb > xa)), abs=4e-3)


@settings(max_examples=30)
@given(st.floats(0.5, 200), st.floats(0.5, 200), st.floats(0.0, 1.0))
def test_betainc_matches_scipy(a: float, b: float, x: float) -> None:
    special = pytest.importorskip("scipy.special")
    assert float(betainc(a, b, x)) == pytest.approx(float(special.betainc(a, b, x)),
                                                    abs=1e-11)


@settings(max_examples=25)
@given(data=logs(), parts=st.integers(1, 3))
def test_compare_logs_agrees_with_reference_and_merges(data: tuple[Funnel, list[Row]],
                                                       parts: int) -> None:
    funnel, rows = data
    half = len(rows) // 2
    log_a = EventLog.from_arrays(funnel, unit="s", **columns(rows[:half]))
    log_b = EventLog.from_arrays(funnel, unit="s", **columns(rows[half:]))
    cmp = compare(log_a, log_b)
    ca, _ = ref_conversion(funnel, rows[:half], "reached")
    cb, _ = ref_conversion(funnel, rows[half:], "reached")
    assert list(cmp.a_successes) == ca[1:] + ca[-1:]
    assert list(cmp.b_trials) == cb[:-1] + cb[:1]
    pieces = [compare(pa, pb) for pa, pb in zip(log_a.partition(parts),
                                                log_b.partition(parts), strict=True)]
    merged = pieces[0]
    for p in pieces[1:]:
        merged = merged.merge(p)
    assert merged == cmp
    assert np.allclose(merged.prob_b_better, cmp.prob_b_better, equal_nan=True)


def test_groups_of_a_breakdown_compare() -> None:
    log = EventLog.from_arrays(
        FUNNELS[1], entity=[1, 1, 2, 3, 3, 3, 4], stage=[0, 1, 0, 0, 1, 2, 0],
        ts=[0, 1, 0, 0, 1, 2, 0], unit="D",
        segments={"channel": ["ads", "ads", "ads", "web", "web", "web", "web"]})
    bd = conversion(log, by="channel")
    cmp = compare(bd["ads"], bd["web"], names=("ads", "web"))
    assert cmp.rate_a.tolist() == [0.5, 0.0, 0.0] and cmp.rate_b.tolist() == [0.5, 1.0, 0.5]
    text = str(cmp)
    assert "web vs ads" in text and "P(web > ads)" in text
    assert repr(cmp) == "<Comparison reached: 2 steps + overall, ads 2 vs web 2 entities>"
    data = json.loads(json.dumps(cmp.to_dict()))
    assert [r["step"] for r in data["rows"]] == ["lead -> demo", "demo -> won", "overall"]
    assert data["rows"][1]["p_value"] is not None
    frame = cmp.to_pandas()
    assert frame["b_successes"].tolist() == [1, 1, 1]


def test_empty_sides_give_nan_not_warnings() -> None:
    cmp = compare(conv(0, 0, 0), conv(0, 0, 0))
    assert np.isnan(cmp.difference).all() and np.isnan(cmp.p_value).all()
    assert cmp.prob_b_better.tolist() == pytest.approx([0.5, 0.5, 0.5])
    assert "—" in str(cmp)


@pytest.mark.parametrize(("a", "b", "kwargs", "match"), [
    (conv(5, 2, 1), Conversion("entered", STAGES, (5, 2, 1), 5), {},
     "cannot compare conversions with different semantic: 'reached' \\(a\\) and 'entered'"),
    (conv(5, 2, 1), Conversion("reached", ("x", "y", "z"), (5, 2, 1), 5), {},
     "cannot compare conversions with different stages"),
    (conv(5, 2, 1), [5, 2, 1], {}, r"The 'b' parameter of compare must be an EventLog, a "
        r"PartitionedLog or a Conversion; got \[5, 2, 1\]"),
    (conv(5, 2, 1), conv(5, 2, 1), {"level": 0}, r"The 'level' parameter of compare must be a "
        r"number in \(0, 1\); got 0\."),
    (conv(5, 2, 1), conv(5, 2, 1), {"prior": (0, 1)}, r"The 'prior' parameter of compare must be "
        r"two numbers in \[1e-06, 1,000,000\] \(alpha, beta\); got \(0, 1\)"),
    (conv(5, 2, 1), conv(5, 2, 1), {"prior": "flat"}, r"The 'prior' parameter of compare must be "
        r"two numbers in .*; got 'flat'"),
    (conv(5, 2, 1), conv(5, 2, 1), {"names": ("x",)}, r"The 'names' parameter of compare must be "
        r"two strings; got \('x',\)"),
])
def test_bad_arguments(a: object, b: object, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        compare(a, b, **kwargs)  # type: ignore[arg-type]


def test_merge_refuses_other_types() -> None:
    cmp = compare(conv(5, 2, 1), conv(5, 3, 1))
    with pytest.raises(InvalidParameterError, match=r"The 'other' parameter of Comparison\.merge "
        r"must be a Comparison; got <Conversion"):
        cmp.merge(conv(5, 2, 1))  # type: ignore[arg-type]
    other = Comparison.from_conversions(conv(5, 2, 1), conv(5, 3, 1), level=0.9)
    with pytest.raises(InvalidParameterError, match="the same level"):
        cmp.merge(other)


def test_entered_compares_the_same_step_rates_as_conversion() -> None:
    """Under "entered" the counts may grow along the path: a step compares the entities
    seen at both stages (Conversion.continued), so rates stay in [0, 1] and equal the
    conversion's own step and overall rates."""
    funnel = FUNNELS[1]
    a = EventLog.from_arrays(funnel, entity=[1, 2, 3], stage=[0, 1, 1], ts=[0, 0, 0],
                             unit="s")
    b = EventLog.from_arrays(funnel, entity=[1, 1, 2], stage=[0, 1, 0], ts=[0, 1, 0],
                             unit="s")
    res = compare(a, b, semantic="entered")
    ca, cb = conversion(a, semantic="entered"), conversion(b, semantic="entered")
    assert res.rate_a[:-1].tolist() == ca.step_rate[1:].tolist()
    assert res.rate_b[:-1].tolist() == cb.step_rate[1:].tolist()
    assert res.rate_a[-1] == ca.overall_rate[-1] and res.rate_b[-1] == cb.overall_rate[-1]
    assert all(0.0 <= r <= 1.0 for r in res.rate_a.tolist() + res.rate_b.tolist()
               if not math.isnan(r))
    bare = Conversion("entered", ca.stages, ca.counts, ca.entities)
    with pytest.raises(InvalidParameterError, match="continued"):
        compare(bare, cb)
