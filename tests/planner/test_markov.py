"""MarkovModel: closed-form chains, estimates from logs, simulated frequencies."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesfunnel import (
    EventLog,
    Funnel,
    FunnelError,
    InvalidParameterError,
    NotFittedError,
    PlanError,
    Stage,
)
from salesfunnel.planner import MarkovModel
from salesfunnel.simulation import simulate


def two_stage(**kw: object) -> Funnel:
    return Funnel("two", [Stage("a", probability=0.2), Stage("b", probability=0.5),
                          Stage("won", kind="won"), Stage("lost", kind="lost")],
                  fall_back=True, **kw)  # type: ignore[arg-type]


# a -> b 1/2, a -> lost 1/2; b -> a 1/5, b -> won 3/5, b -> lost 1/5.
P = [[0, 0.5, 0, 0.5], [0.2, 0, 0.6, 0.2], [0, 0, 1, 0], [0, 0, 0, 1]]


def closed_form() -> dict[str, tuple[Fraction, Fraction]]:
    """Solve the two-stage chain by hand (substitution), exactly."""
    # win: w_a = 1/2 w_b ; w_b = 3/5 + 1/5 w_a  ->  w_b = 3/5 + 1/10 w_b.
    w_b = Fraction(3, 5) / (1 - Fraction(1, 10))
    w_a = w_b / 2
    # steps: s_a = 1 + 1/2 s_b ; s_b = 1 + 1/5 s_a.
    s_b = (1 + Fraction(1, 5)) / (1 - Fraction(1, 10))
    s_a = 1 + s_b / 2
    # days with 10 days in a, 20 in b: t_a = 10 + 1/2 t_b ; t_b = 20 + 1/5 t_a.
    t_b = (20 + Fraction(2)) / (1 - Fraction(1, 10))
    t_a = 10 + t_b / 2
    # days given a win (Doob h-transform: q'_ij = q_ij w_j / w_i):
    # a -> b with 1/2 * w_b / w_a = 1 ; b -> a with 1/5 * w_a / w_b = 1/10.
    u_b = (20 + Fraction(1, 10) * 10) / (1 - Fraction(1, 10))
    u_a = 10 + u_b
    return {"win": (w_a, w_b), "steps": (s_a, s_b), "days": (t_a, t_b),
            "days_to_win": (u_a, u_b)}


def test_from_matrix_matches_closed_form() -> None:
    m = MarkovModel.from_matrix(P, funnel=two_stage(), holding_days=[10, 20, 0, 0])
    cf = closed_form()
    np.testing.assert_allclose(m.win_probability_, [*map(float, cf["win"]), 1, 0], rtol=1e-12)
    np.testing.assert_allclose(m.expected_steps_, [*map(float, cf["steps"]), 0, 0],
                               rtol=1e-12)
    np.testing.assert_allclose(m.expected_days_[:2], [float(x) for x in cf["days"]],
                               rtol=1e-12)
    np.testing.assert_allclose(m.expected_days_to_win_[:2],
                               [float(x) for x in cf["days_to_win"]], rtol=1e-12)
    # Absorption probabilities of an open stage sum to one; N = (I - Q)^-1 exactly.
    np.testing.assert_allclose(m.absorption_.sum(axis=1), 1.0)
    q = np.array(P)[:2, :2]
    np.testing.assert_allclose(m.fundamental_ @ (np.eye(2) - q), np.eye(2), atol=1e-12)


def test_power_iteration_agrees() -> None:
    m = MarkovModel.from_matrix(P, funnel=two_stage())
    limit = np.linalg.matrix_power(np.array(P), 200)
    np.testing.assert_allclose(m.win_probability_, limit[:, 2], atol=1e-12)


def test_fit_counts_moves_exactly() -> None:
    f = two_stage()
    # e1: a b a b won ; e2: a lost ; e3: a b lost ; e4: a b (open) ; repeated b is no move.
    log = EventLog.from_arrays(
        f, unit="D",
        entity=[1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4],
        stage=["a", "b", "a", "b", "won", "a", "lost", "a", "b", "lost", "a", "b", "b"],
        ts=[0, 2, 4, 10, 30, 0, 6, 0, 1, 3, 0, 5, 9],
    )
    m = MarkovModel().fit(log)
    assert m.counts_[0].tolist() == [0, 4, 0, 1]        # a: 4 advances, 1 loss
    assert m.counts_[1].tolist() == [1, 0, 1, 1]        # b: 1 back, 1 won, 1 lost
    np.testing.assert_allclose(m.transition_matrix_[0], [0, 0.8, 0, 0.2])
    np.testing.assert_allclose(m.transition_matrix_[1], [1 / 3, 0, 1 / 3, 1 / 3])
    np.testing.assert_allclose(m.transition_matrix_[2:], np.eye(4)[2:])
    # Mean days in a before the next move: (2 + 6 + 6 + 1 + 5) / 5 ; in b: (2 + 20 + 2) / 3.
    np.testing.assert_allclose(m.holding_days_[:2], [20 / 5, 24 / 3])
    assert m.visits_.tolist() == [5, 4, 1, 2]
    assert m.n_moves_ == 8 and m.n_entities_ == 4
    assert m.entry_.tolist() == [1.0, 0.0, 0.0, 0.0]
    # Closed form with these estimates: w_a = .8 w_b ; w_b = 1/3 + 1/3 w_a.
    w_b = (1 / 3) / (1 - 0.8 / 3)
    np.testing.assert_allclose(m.win_probability_[:2], [0.8 * w_b, w_b])
    assert m.reentry_probability_ == 0.0


def test_simulated_frequencies_within_sampling_error() -> None:
    f = two_stage()
    n = 20_000
    log = simulate(f, n=n, transitions=P, rng=11, amount=None)
    m = MarkovModel().fit(log)
    pm = np.array(P)
    # Each estimated move probability: binomial, 4 sigma.
    for i in range(2):
        exits = m.exits_[i]
        sigma = np.sqrt(pm[i] * (1 - pm[i]) / exits)
        assert np.all(np.abs(m.transition_matrix_[i] - pm[i]) <= 4 * sigma + 1e-12)
    # The share of entities that win matches the closed-form chance from 'a'.
    w_a = float(closed_form()["win"][0])
    won = np.unique(log.entity[log.stage == f.won_index]).size
    assert abs(won / n - w_a) <= 4 * math.sqrt(w_a * (1 - w_a) / n)
    # And the fitted chain's own estimate agrees with the empirical frequency.
    assert abs(m.win_probability_[0] - won / n) <= 4 * math.sqrt(w_a * (1 - w_a) / n)
    # Holding times: exponential with mean 14 days (simulate's default).
    assert m.holding_days_[0] == pytest.approx(14, rel=0.05)


def test_cyclic_funnel_reentry_is_a_new_episode() -> None:
    f = Funnel("loop", [Stage("consider"), Stage("evaluate"), Stage("won", kind="won"),
                        Stage("lost", kind="lost")], reentry="evaluate")
    log = simulate(f, n=5_000, rates=[0.6, 0.5], reentry=0.4, rng=3, amount=None)
    m = MarkovModel().fit(log)
    # WON stays absorbing in the chain; re-entries are counted apart.
    np.testing.assert_allclose(m.transition_matrix_[2], [0, 0, 1, 0])
    assert m.counts_[2, 1] > 0
    sigma = math.sqrt(0.4 * 0.6 / m.visits_[2])
    assert abs(m.reentry_probability_ - 0.4) <= 4 * sigma
    # Moves after re-entry count like any other: evaluate -> won stays 0.5.
    assert m.transition_matrix_[1, 2] == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / m.exits_[1]))


def test_unknown_rows_are_nan_and_stuck_stages_never_close() -> None:
    f = Funnel("f", [Stage("a"), Stage("b"), Stage("c"), Stage("won", kind="won"),
                     Stage("lost", kind="lost")], fall_back=True)
    # a -> b only, b -> a only: a closed class that never closes; c unobserved.
    log = EventLog.from_arrays(f, entity=[1, 1, 1, 2, 2], stage=["a", "b", "a", "c", "lost"],
                               ts=[0, 1, 2, 0, 1], unit="D")
    m = MarkovModel().fit(log)
    assert m.win_probability_[0] == 0 and m.win_probability_[1] == 0
    assert np.isinf(m.expected_steps_[0])
    assert m.win_probability_[2] == 0          # c -> lost observed once
    f2 = Funnel("g", [Stage("a"), Stage("b"), Stage("won", kind="won")])
    log2 = EventLog.from_arrays(f2, entity=[1, 1], stage=["a", "b"], ts=[0, 1], unit="D")
    m2 = MarkovModel().fit(log2)
    assert np.isnan(m2.transition_matrix_[1]).all()    # b: never left
    assert np.isnan(m2.win_probability_[:2]).all()     # a reaches b: unknown too
    assert m2.win_probability_[2] == 1.0
    # Smoothing gives the unobserved stage a row over the moves the funnel allows.
    m3 = MarkovModel(smoothing=1).fit(log2)
    assert m3.transition_matrix_[1].tolist() == [0, 0, 1]
    assert m3.win_probability_[0] == 1.0


def test_empty_log_gives_nan() -> None:
    f = two_stage()
    log = EventLog.from_arrays(f, entity=[], stage=[], ts=np.array([], dtype="datetime64[ns]"))
    m = MarkovModel().fit(log)
    assert np.isnan(m.win_probability_[:2]).all()
    assert m.n_moves_ == 0
    assert np.isnan(m.reentry_probability_)


def test_compare_nominal() -> None:
    m = MarkovModel.from_matrix(P, funnel=two_stage())
    cmp = m.compare_nominal()
    assert [r.stage for r in cmp.rows] == ["a", "b"]
    assert cmp.rows[1].nominal == 0.5
    assert cmp.rows[1].observed == pytest.approx(2 / 3)
    assert cmp.rows[1].difference == pytest.approx(2 / 3 - 0.5)
    assert any("stage 'b' wins 66.7%" in s for s in cmp.findings)
    assert "observed" in str(cmp)
    data = cmp.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert "NominalComparison" in repr(cmp)
    assert "days to close" in m.summary()


def test_holding_days_may_be_unknown_per_stage() -> None:
    m = MarkovModel.from_matrix(P, funnel=two_stage(), holding_days=[10, float("nan"), 0, 0])
    assert np.isnan(m.expected_days_[:2]).all()        # both reach b, whose time is unknown
    np.testing.assert_allclose(m.holding_days_[[0, 2]], [10, 0])


def test_compare_nominal_checks_the_threshold() -> None:
    m = MarkovModel.from_matrix(P, funnel=two_stage())
    for bad in ("x", -0.1, 2, float("nan")):
        with pytest.raises(PlanError) as info:
            m.compare_nominal(threshold=bad)  # type: ignore[arg-type]
        assert info.value.parameter == "threshold"
    # A threshold of 0 words every stage with an estimate, 1 none.
    assert len(m.compare_nominal(threshold=0).findings) == 2
    assert m.compare_nominal(threshold=1).findings == ()


def test_log_without_wins_gives_zero_not_a_crash() -> None:
    f = two_stage()
    log = EventLog.from_arrays(f, entity=[1, 1, 2, 2, 2], stage=["a", "lost", "a", "b", "lost"],
                               ts=[0, 1, 0, 1, 2], unit="D")
    m = MarkovModel().fit(log)
    assert m.win_probability_[:2].tolist() == [0.0, 0.0]
    assert np.isnan(m.expected_days_to_win_[:2]).all()  # nobody wins: no time to win
    assert np.isnan(m.reentry_probability_)
    assert "0%" in m.summary()


def test_unfitted_model_raises_clearly() -> None:
    m = MarkovModel()
    assert not hasattr(m, "win_probability_")
    with pytest.raises(NotFittedError, match="not fitted"):
        _ = m.win_probability_
    with pytest.raises(NotFittedError):
        m.compare_nominal()
    # a state error (the call was right, the model is not ready), not a bad argument
    assert isinstance(NotFittedError("x"), AttributeError)
    assert isinstance(NotFittedError("x"), FunnelError)
    assert not isinstance(NotFittedError("x"), InvalidParameterError)
    assert "not fitted" in repr(m)
    with pytest.raises(AttributeError, match="nope"):
        _ = m.nope


def test_fit_returns_self_and_markov_shorthand() -> None:
    log = simulate(two_stage(), n=200, rng=1)
    m = MarkovModel()
    assert m.fit(log) is m
    np.testing.assert_array_equal(MarkovModel().fit(log).transition_matrix_, m.transition_matrix_)
    assert "fitted on funnel 'two'" in repr(m)


@pytest.mark.parametrize(("kwargs", "parameter"), [
    ({"matrix": [[1, 0], [0, 1]]}, "matrix"),
    ({"matrix": [[0, 0.5, 0, 0.4], *P[1:]]}, "matrix"),
    ({"matrix": [[0, -0.5, 0, 1.5], *P[1:]]}, "matrix"),
    ({"matrix": "nope"}, "matrix"),
    ({"matrix": P, "funnel": "two"}, "funnel"),
    ({"matrix": P, "holding_days": [10, 20]}, "holding_days"),
    ({"matrix": P, "holding_days": -1}, "holding_days"),
    ({"matrix": P, "holding_days": "long"}, "holding_days"),
    ({"matrix": P, "holding_days": [1, float("inf"), 0, 0]}, "holding_days"),
])
def test_from_matrix_rejects_bad_input(kwargs: dict[str, object], parameter: str) -> None:
    kwargs.setdefault("funnel", two_stage())
    with pytest.raises(PlanError) as info:
        MarkovModel.from_matrix(**kwargs)  # type: ignore[arg-type]
    assert info.value.parameter == parameter


def test_fit_rejects_bad_input() -> None:
    with pytest.raises(PlanError, match="EventLog") as info:
        MarkovModel().fit([1, 2, 3])  # type: ignore[arg-type]
    assert info.value.parameter == "log"
    with pytest.raises(PlanError) as info:
        MarkovModel(smoothing=-1).fit(simulate(two_stage(), n=5, rng=1))
    assert info.value.parameter == "smoothing"


@st.composite
def chains(draw: st.DrawFn) -> tuple[Funnel, np.ndarray]:
    from salesfunnel.testing import funnels

    f = draw(funnels(max_stages=7, transitions=False))
    n = len(f.stages)
    m = np.zeros((n, n))
    for i, s in enumerate(f.stages):
        if not s.is_open:
            m[i, i] = 1.0
            continue
        targets = [f.index(t) for t in f.allowed(s.name)]
        w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=len(targets),
                                   max_size=len(targets))))
        m[i, targets] = w / w.sum()
    return f, m


@settings(max_examples=30, deadline=None)
@given(chains())
def test_random_chains_satisfy_first_step_equations(chain: tuple[Funnel, np.ndarray]) -> None:
    f, p = chain
    m = MarkovModel.from_matrix(p, funnel=f, holding_days=1.0)
    w = m.win_probability_
    open_ = [i for i, s in enumerate(f.stages) if s.is_open]
    s = m.expected_steps_
    # Every allowed move has positive weight and advancing is always allowed, so every
    # open stage closes: the results are finite and obey the first-step equations. The
    # solve's rounding error grows with the conditioning of I - Q, which is of the order
    # of the expected number of steps (tens of thousands for chains that mostly fall
    # back), so the tolerance scales with it.
    tol = 1e-12 * max(1.0, float(np.max(s)))
    assert np.all(np.isfinite(w)) and np.all((w >= -tol) & (w <= 1 + tol))
    p_abs = p.copy()
    won = f.won_index
    for i in range(len(f.stages)):
        if not f.stages[i].is_open:
            p_abs[i] = 0
            p_abs[i, i] = 1
    np.testing.assert_allclose(w[open_], (p_abs @ w)[open_], atol=max(1e-9, tol))
    np.testing.assert_allclose(s[open_], 1 + (p_abs @ s)[open_], rtol=1e-9, atol=1e-8)
    np.testing.assert_allclose(m.expected_days_[open_], s[open_], rtol=1e-12)  # 1 day each
    # P^(2^50) by repeated squaring: long enough even for slowly mixing chains.
    limit = p_abs
    for _ in range(50):
        limit = limit @ limit
    np.testing.assert_allclose(w, limit[:, won], atol=1e-6)


@st.composite
def simulated(draw: st.DrawFn) -> tuple[Funnel, np.ndarray, int]:
    from salesfunnel.simulation import transition_matrix
    from salesfunnel.testing import funnels

    f = draw(funnels(max_stages=6, transitions=False, expanding=False))
    w = f.won_index
    kw: dict[str, object] = {"rates": draw(st.lists(st.floats(0.1, 0.95), min_size=w,
                                                     max_size=w))}
    if f.skip_ahead:
        kw["skip"] = draw(st.floats(0, 0.5))
    if f.fall_back:
        kw["fall_back"] = draw(st.floats(0, 0.3))
    kw["stall"] = draw(st.sampled_from([0.0, 0.1]))
    if f.reentry is not None:
        kw["reentry"] = draw(st.sampled_from([0.0, 0.3]))
    return f, transition_matrix(f, **kw), draw(st.integers(0, 2**32 - 1))  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None)
@given(simulated())
def test_fit_recovers_the_simulated_chain(case: tuple[Funnel, np.ndarray, int]) -> None:
    f, p, seed = case
    log = simulate(f, n=3000, transitions=p, rng=seed, amount=None, max_steps=50)
    m = MarkovModel().fit(log)
    for i, stage in enumerate(f.stages):
        if not stage.is_open or m.exits_[i] < 200:
            continue
        # A stall is no observed move: the fitted row is the matrix row given a move.
        want = p[i] / p[i].sum()
        sigma = np.sqrt(want * (1 - want) / m.exits_[i])
        assert np.all(np.abs(m.transition_matrix_[i] - want) <= 5 * sigma + 1e-9), stage.name
