"""simulate: legal moves in any funnel, rates, re-entry, referrals, amounts, segments."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesfunnel import EventLog, Funnel, InvalidParameterError, Stage
from salesfunnel.simulation import simulate, transition_matrix
from salesfunnel.testing import funnels


def b2b(**kw: Any) -> Funnel:
    return Funnel("b2b", [
        Stage("target", probability=0.1), Stage("qualified", probability=0.25),
        Stage("shortlisted", probability=0.5), Stage("intent", probability=0.75),
        Stage("near_win", probability=0.9), Stage("won", kind="won"),
        Stage("lost", kind="lost"),
    ], **kw)


def moves(log: EventLog) -> list[tuple[int, int]]:
    """Consecutive (from, to) stage pairs of each entity, repeated stages dropped."""
    srt = log.sorted_by_entity_time()
    e, s = srt.entity, srt.stage.astype(int)
    out = []
    for i in range(1, len(e)):
        if e[i] == e[i - 1] and s[i] != s[i - 1]:
            out.append((int(s[i - 1]), int(s[i])))
    return out


def won_share(log: EventLog) -> float:
    return np.unique(log.entity[log.stage == log.funnel.won_index]).size / log.n_entities


def test_nominal_probabilities_drive_the_default_rates() -> None:
    n = 40_000
    log = simulate(b2b(), n=n, rng=1, amount=None)
    assert log.n_entities == n
    # Step rates p_k / p_{k+1} multiply to the first stage's 10 %.
    share = won_share(log)
    assert abs(share - 0.1) <= 4 * math.sqrt(0.1 * 0.9 / n)
    first = log.sorted_by_entity_time()
    assert (first.stage[first.starts] == 0).all()


def test_default_rates_fill_gaps_between_probabilities() -> None:
    from salesfunnel._simulation import _nominal_rates

    f = Funnel("f", [Stage("pool"), Stage("t", probability=0.1), Stage("m"),
                     Stage("l", probability=0.4), Stage("won", kind="won")])
    rates = _nominal_rates(f)
    assert rates[0] == 0.5
    assert rates[1] * rates[2] == pytest.approx(0.25) and rates[1] == pytest.approx(0.5)
    assert rates[3] == pytest.approx(0.4)
    assert math.prod(rates[1:]) == pytest.approx(0.1)


def test_given_rates_and_step_conversion() -> None:
    f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won"),
                     Stage("lost", kind="lost")])
    n = 20_000
    log = simulate(f, n=n, rates=[0.3, 0.6], rng=2)
    reached_b = np.unique(log.entity[log.stage >= 1][log.stage[log.stage >= 1] <= 2]).size
    assert abs(reached_b / n - 0.3) <= 4 * math.sqrt(0.3 * 0.7 / n)
    assert abs(won_share(log) - 0.18) <= 4 * math.sqrt(0.18 * 0.82 / n)
    # Every entity ends WON or LOST: no stall by default.
    srt = log.sorted_by_entity_time()
    assert set(np.unique(srt.stage[srt.ends - 1]).tolist()) == {2, 3}


def test_transition_matrix_rows() -> None:
    f = b2b(skip_ahead=True, fall_back=True)
    m = transition_matrix(f, rates=[0.5] * 5, skip=0.2, fall_back=0.1, stall=0.05)
    assert m.shape == (7, 7)
    open_rows = m[:5]
    # Each open row: stall 5 % missing; fall back 10 % (not from the first stage).
    np.testing.assert_allclose(open_rows.sum(axis=1), [0.95] * 5)
    np.testing.assert_allclose(m[1:5, :4][np.arange(4), np.arange(4)], 0.1)
    # Forward mass = moving x rate, split geometrically by skip.
    moving = 1 - 0.05 - 0.1
    assert m[1, 2] == pytest.approx(moving * 0.5 * 0.8)
    assert m[1, 3] == pytest.approx(moving * 0.5 * 0.2 * 0.8)
    assert m[1, 2:6].sum() == pytest.approx(moving * 0.5)
    assert m[1, 6] == pytest.approx(moving * 0.5)
    assert (m[5:] == 0).all()
    # Every positive entry is a move the funnel allows.
    for i, s in enumerate(f.names):
        for j in np.flatnonzero(m[i] > 0):
            assert f.names[j] in f.allowed(s)


def test_skip_and_fall_back_happen_only_where_allowed() -> None:
    plain = simulate(b2b(), n=3000, rng=3)
    kinds = {b2b().moves(b2b().names[a])[b2b().names[b]] for a, b in moves(plain)}
    assert kinds <= {"advance", "lose"}
    f = b2b(skip_ahead=True, fall_back=True)
    log = simulate(f, n=3000, rng=3)
    kinds = {f.moves(f.names[a])[f.names[b]] for a, b in moves(log)}
    assert {"advance", "lose", "skip", "fall_back"} <= kinds
    with pytest.raises(InvalidParameterError) as info:
        simulate(b2b(), n=10, skip=0.2)
    assert info.value.parameter == "skip"


def test_reentry_in_a_cyclic_funnel() -> None:
    f = Funnel("loop", [Stage("consider"), Stage("evaluate"), Stage("buy", kind="won"),
                        Stage("lost", kind="lost")], reentry="evaluate")
    log = simulate(f, n=5000, rates=[1.0, 1.0], reentry=0.5, rng=4, amount=None)
    # Every cycle wins, each win re-enters with 1/2: wins per entity ~ geometric, mean 2.
    wins = np.bincount(log.entity[log.stage == 2], minlength=log.n_entities)
    assert wins.min() >= 1
    assert abs(wins.mean() - 2.0) <= 4 * math.sqrt(2.0 / 5000)
    assert (2, 1) in set(moves(log))


def test_referrals_grow_an_expanding_funnel() -> None:
    f = Funnel("influence", [Stage("continue"), Stage("favour"), Stage("share"),
                             Stage("spread", kind="won")], expanding=True, can_lose=False)
    n = 4000
    log = simulate(f, n=n, rates=[1.0, 1.0, 1.0], referrals=0.5, rng=5, amount=None)
    # Everyone reaches WON and refers Poisson(0.5): total ~ n / (1 - 0.5).
    assert log.n_entities > n
    assert abs(log.n_entities - 2 * n) <= 6 * math.sqrt(2 * n)
    origin = log.segments["origin"]
    assert set(origin.categories.tolist()) == {"direct", "referred"}
    referred = np.unique(log.entity[origin.categories[origin.codes] == "referred"])
    assert referred.size == log.n_entities - n
    # Referred entities may enter at a later stage: counts then grow down the funnel.
    log2 = simulate(f, n=n, rates=[0.5, 1.0, 1.0], referrals=0.8, referral_stage="share",
                    referral_entry="share", rng=6, amount=None,
                    max_entities=3 * n)
    share = np.unique(log2.entity[log2.stage == 2]).size
    favour = np.unique(log2.entity[log2.stage == 1]).size
    assert share > favour
    assert log2.n_entities <= 3 * n
    with pytest.raises(InvalidParameterError) as info:
        simulate(b2b(), n=10, referrals=1.0)
    assert info.value.parameter == "referrals"


def test_amounts_and_segments() -> None:
    log = simulate(b2b(), n=20_000, rng=7, amount=(30_000.0, 0.5),
                   segments={"region": ["north", "south"],
                             "channel": {"ads": 0.75, "events": 0.25}})
    assert log.amount is not None
    srt = log.sorted_by_entity_time()
    first = srt.order[srt.starts]
    per_entity = log.amount[first]
    assert abs(per_entity.mean() - 30_000) <= 4 * 30_000 * math.sqrt(math.exp(0.25) - 1) / \
        math.sqrt(20_000)
    # Amounts and segments are constant along each entity's events.
    np.testing.assert_array_equal(log.amount, per_entity[log.entity])
    ch = log.segments["channel"]
    np.testing.assert_array_equal(ch.codes, ch.codes[first][log.entity])
    ads = np.mean(ch.categories[ch.codes[first]] == "ads")
    assert abs(ads - 0.75) <= 4 * math.sqrt(0.75 * 0.25 / 20_000)
    constant = simulate(b2b(), n=5, rng=1, amount=1234.0)
    assert constant.amount is not None and (constant.amount == 1234.0).all()
    assert simulate(b2b(), n=5, rng=1, amount=None).amount is None
    custom = simulate(b2b(), n=5, rng=1, amount=lambda rng, k: rng.integers(1, 3, k) * 10.0)
    assert custom.amount is not None and set(custom.amount.tolist()) <= {10.0, 20.0}


def test_times_start_and_until() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    log = simulate(b2b(), n=2000, start=start, spread_days=30, days_in_stage=5, rng=8)
    t0 = int(start.timestamp()) * 10**9
    srt = log.sorted_by_entity_time()
    entry = srt.ts[srt.starts]
    assert entry.min() >= t0 and entry.max() < t0 + 30 * 86_400 * 10**9
    # Mean gap between consecutive events of an entity is the mean stage time.
    same = srt.entity[1:] == srt.entity[:-1]
    gaps = np.diff(srt.ts)[same] / (86_400 * 10**9)
    assert gaps.mean() == pytest.approx(5, rel=0.05)
    until = datetime(2026, 3, 20, tzinfo=UTC)
    cut = simulate(b2b(), n=2000, start=start, spread_days=30, days_in_stage=5, rng=8,
                   until=until)
    assert cut.ts.max() <= int(until.timestamp()) * 10**9
    assert len(cut) < len(log)
    # Entities in progress at 'until' stay open.
    s2 = cut.sorted_by_entity_time()
    assert (s2.stage[s2.ends - 1] < cut.funnel.won_index).any()


def test_days_in_stage_per_stage() -> None:
    f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won")], can_lose=False)
    log = simulate(f, n=5000, rates=[1.0, 1.0], days_in_stage={"a": 2, "b": 20}, rng=9)
    srt = log.sorted_by_entity_time()
    same = srt.entity[1:] == srt.entity[:-1]
    gaps = np.diff(srt.ts)[same] / (86_400 * 10**9)
    from_stage = srt.stage[:-1][same]
    assert gaps[from_stage == 0].mean() == pytest.approx(2, rel=0.06)
    assert gaps[from_stage == 1].mean() == pytest.approx(20, rel=0.06)


def test_stall_leaves_entities_open() -> None:
    f = Funnel("f", [Stage("a"), Stage("b"), Stage("won", kind="won"),
                     Stage("lost", kind="lost")])
    log = simulate(f, n=10_000, rates=[0.5, 0.5], stall=0.2, rng=10)
    srt = log.sorted_by_entity_time()
    last = srt.stage[srt.ends - 1]
    open_share = np.isin(last, [0, 1]).mean()
    # P(stop open) = 0.2 + 0.8 * 0.5 * 0.2 = 0.28.
    assert abs(open_share - 0.28) <= 4 * math.sqrt(0.28 * 0.72 / 10_000)


def test_same_seed_same_log() -> None:
    a = simulate(b2b(skip_ahead=True), n=500, rng=11)
    b = simulate(b2b(skip_ahead=True), n=500, rng=11)
    c = simulate(b2b(skip_ahead=True), n=500, rng=np.random.default_rng(11))
    for x in (b, c):
        np.testing.assert_array_equal(a.entity, x.entity)
        np.testing.assert_array_equal(a.ts, x.ts)
        np.testing.assert_array_equal(a.amount, x.amount)
    d = simulate(b2b(skip_ahead=True), n=500, rng=12)
    assert not np.array_equal(a.ts[:10], d.ts[:10])


def test_rng_forms_and_the_global_rng() -> None:
    a = simulate(b2b(), n=200, rng=np.int64(5))
    b = simulate(b2b(), n=200, rng=5)
    np.testing.assert_array_equal(a.ts, b.ts)
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    simulate(b2b(), n=200, rng=None)
    simulate(b2b(), n=200, rng=7)
    assert np.random.random() == expected  # the global RNG is never touched


def test_numpy_scalars_are_accepted() -> None:
    log = simulate(b2b(), n=np.int64(50), spread_days=np.int64(10), max_steps=np.int64(20),
                   max_entities=np.int64(60), rng=1)
    assert log.n_entities == 50


def test_times_past_the_int64_range_are_cut_by_until_or_refused() -> None:
    f = b2b(fall_back=True)
    # A mean of 30,000 days per stage runs past 2262 within a few moves.
    with pytest.raises(InvalidParameterError, match="2261"):
        simulate(f, n=200, days_in_stage=30_000, rng=1)
    until = datetime(2200, 1, 1, tzinfo=UTC)
    log = simulate(f, n=200, days_in_stage=30_000, rng=1, until=until)
    assert log.n_entities == 200
    assert log.ts.max() <= int(until.timestamp()) * 10**9
    infl = Funnel("influence", [Stage("a"), Stage("spread", kind="won")], expanding=True)
    grown = simulate(infl, n=200, days_in_stage=30_000, referrals=2.0, rng=1, until=until)
    assert grown.ts.max() <= int(until.timestamp()) * 10**9


def test_journeys_replay_the_log() -> None:
    f = b2b(skip_ahead=True, fall_back=True)
    log, journeys = simulate(f, n=50, rng=12, journeys=True, segments={"rep": ["ann", "bo"]})
    assert len(journeys) == log.n_entities
    from_journeys = EventLog.from_journeys(journeys)
    assert len(from_journeys) == len(log)
    srt = log.sorted_by_entity_time()
    for j in journeys:
        assert j.stage == f.names[srt.stage[srt.ends[j.id] - 1]]
        assert j.subject["rep"] in ("ann", "bo")
        assert j.subject["amount"] > 0
    with pytest.raises(InvalidParameterError) as info:
        simulate(f, n=20_000, rng=1, journeys=True)
    assert info.value.parameter == "journeys"


def test_zero_entities() -> None:
    log = simulate(b2b(), n=0, rng=1)
    assert len(log) == 0 and log.n_entities == 0


@st.composite
def setups(draw: st.DrawFn) -> tuple[Funnel, dict[str, Any]]:
    f = draw(funnels(max_stages=7, transitions=False))
    w = f.won_index
    kw: dict[str, Any] = {"rates": draw(st.lists(st.floats(0.05, 1.0), min_size=w,
                                                  max_size=w))}
    if f.skip_ahead:
        kw["skip"] = draw(st.floats(0, 0.9))
    if f.fall_back:
        kw["fall_back"] = draw(st.floats(0, 0.5))
    if f.reentry is not None:
        kw["reentry"] = draw(st.floats(0, 0.9))
    kw["stall"] = draw(st.floats(0, 0.3))
    return f, kw


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups(), st.integers(0, 2**32 - 1))
def test_random_funnels_produce_legal_histories(
    setup: tuple[Funnel, dict[str, Any]], seed: int
) -> None:
    f, kw = setup
    log, journeys = simulate(f, n=40, rng=seed, journeys=True, max_steps=30,
                             max_entities=200, **kw)
    # Journey.replay inside simulate checks every move is legal; the counts agree.
    assert sum(len(j.history) for j in journeys) == len(log)
    for j in journeys:
        assert f.stage(j.history[0].to_stage).is_open
    # The empirical move frequencies follow the matrix: no move outside it.
    m = transition_matrix(f, **kw)
    for a, b in moves(log):
        assert m[a, b] > 0


BAD = [
    ({"n": -1}, "n"),
    ({"n": 2.5}, "n"),
    ({"rates": [0.5]}, "rates"),
    ({"rates": [0.5] * 4 + [1.5]}, "rates"),
    ({"stall": 1.0}, "stall"),
    ({"fall_back": 0.1}, "fall_back"),
    ({"reentry": 0.1}, "reentry"),
    ({"days_in_stage": 0}, "days_in_stage"),
    ({"days_in_stage": {"nope": 3}}, "days_in_stage"),
    ({"days_in_stage": [1, 2]}, "days_in_stage"),
    ({"amount": -5}, "amount"),
    ({"amount": (100, -1)}, "amount"),
    ({"segments": {"region": []}}, "segments"),
    ({"segments": ["north"]}, "segments"),
    ({"start": "2026-01-01"}, "start"),
    ({"spread_days": -1}, "spread_days"),
    ({"until": "soon"}, "until"),
    ({"rng": "seed"}, "rng"),
    ({"rng": -1}, "rng"),
    ({"rng": True}, "rng"),
    ({"segments": {"channel": {"ads": "many"}}}, "segments"),
    ({"amount": (100, "wide")}, "amount"),
    ({"amount": lambda rng, k: "lots"}, "amount"),
    ({"amount": lambda rng, k: np.ones((k, 2))}, "amount"),
    ({"max_entities": "x"}, "max_entities"),
    ({"max_entities": -1}, "max_entities"),
    ({"start": "9000-01-01T00:00:00+00:00"}, "start"),
    ({"spread_days": 1e20}, "spread_days"),
    ({"days_in_stage": 1e20}, "days_in_stage"),
    ({"max_steps": 0}, "max_steps"),
    ({"transitions": np.eye(3)}, "transitions"),
    ({"transitions": np.eye(7), "rates": [0.5] * 5}, "rates"),
    ({"referral_stage": "nope"}, "referral_stage"),
]


@pytest.mark.parametrize(("change", "parameter"), BAD, ids=[p for _, p in BAD])
def test_bad_arguments(change: dict[str, Any], parameter: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        simulate(b2b(), **change)
    assert info.value.parameter == parameter


def test_transitions_must_respect_the_funnel() -> None:
    f = b2b()
    m = np.zeros((7, 7))
    m[0, 2] = 1.0   # a skip, but the funnel does not allow skipping
    with pytest.raises(InvalidParameterError, match="target->shortlisted"):
        simulate(f, n=5, transitions=m)
    m[0, 2] = 0.7
    m[0, 1] = 0.7
    with pytest.raises(InvalidParameterError, match=r"sums to 1\.4"):
        simulate(f, n=5, transitions=m)
