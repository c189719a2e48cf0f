"""``correlation``: odds ratios, intervals and adjusted p-values against statsmodels on the
same 2x2 tables, the cells against a per-entity count, ranking and bad arguments."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests

import salesfunnel as sf
from salesfunnel import InvalidParameterError
from salesfunnel.metrics import Correlation, correlation
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics._correlation import adjust_pvalues, odds_ratios

FUNNEL = sf.Funnel("deals", [sf.Stage("lead"), sf.Stage("demo"), sf.Stage("won", kind="won"),
                             sf.Stage("lost", kind="lost")])


def sim(seed: int, n: int = 600) -> sf.EventLog:
    log = sf.simulate(FUNNEL, n=n, rng=seed, segments={"channel": ["ads", "web", "ref"],
                                                      "region": ["n", "s"]})
    # an events column: a per-event activity drawn independently of the entity
    rng = np.random.default_rng(seed)
    acts = np.array(["call", "mail", "demo", "visit"])
    codes = rng.integers(0, 4, len(log))
    return sf.EventLog.from_arrays(
        FUNNEL, entity=log.entity, stage=log.stage, ts=log.ts, unit="ns",
        segments={"channel": log.segments["channel"].values(),
                  "region": log.segments["region"].values(), "activity": acts[codes]})


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), level=st.sampled_from([0.9, 0.95, 0.99]),
       step=st.sampled_from([None, "demo", "won"]))
def test_odds_ratios_match_statsmodels(seed: int, level: float, step: str | None) -> None:
    c = correlation(sim(seed, 300), step=step, events="activity", level=level)
    assert len(c) > 0
    for i in range(len(c)):
        table = Table2x2(np.array([[c.a[i], c.b[i]], [c.c[i], c.d[i]]], dtype=float))
        lo, hi = table.oddsratio_confint(alpha=1 - level)
        assert c.odds_ratio[i] == pytest.approx(table.oddsratio, rel=1e-10)
        assert c.lower[i] == pytest.approx(lo, rel=1e-10)
        assert c.upper[i] == pytest.approx(hi, rel=1e-10)
        assert c.p_value[i] == pytest.approx(table.oddsratio_pvalue(), rel=1e-9, abs=1e-300)
    q = multipletests(c.p_value, method="fdr_bh")[1]
    np.testing.assert_allclose(c.q_value, q, rtol=1e-12)


@given(p=st.lists(st.floats(0, 1), min_size=1, max_size=40),
       method=st.sampled_from(["bh", "bonferroni"]))
def test_adjusted_pvalues_match_multipletests(p: list[float], method: str) -> None:
    theirs = multipletests(p, method={"bh": "fdr_bh", "bonferroni": "bonferroni"}[method])[1]
    np.testing.assert_allclose(adjust_pvalues(p, method), theirs, rtol=1e-12, atol=1e-15)


def test_zero_cells_are_shifted_like_statsmodels() -> None:
    o, lo, hi, _ = odds_ratios([0], [5], [7], [3])
    table = Table2x2(np.array([[0, 5], [7, 3]], dtype=float))
    assert o[0] == pytest.approx(table.oddsratio)
    assert (lo[0], hi[0]) == pytest.approx(table.oddsratio_confint())


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_cells_count_entities(seed: int) -> None:
    log = sim(seed, 200)
    c = correlation(log, step="demo", events="activity")
    dep = K.depth(log)
    pop, conv = dep >= 0, dep >= 1
    demo_time = K.first_times(log)[:, 1]
    channel = log.segments["channel"]
    first_value = channel.categories[channel.codes[K.first_event_row(log)]]
    acts = log.segments["activity"].values()
    for row in c.rows():
        if row["kind"] == "segment" and row["column"] == "channel":
            has = first_value == row["value"]
        elif row["kind"] == "event":
            has = np.zeros(log.n_entities, bool)
            for e in range(log.n_entities):
                rows = (log.entity == e) & (acts == row["value"])
                mine = log.entity == e
                last = log.ts[mine].max()
                lost_now = bool((log.stage[mine & (log.ts == last)] == 3).any())
                if conv[e]:
                    rows &= log.ts < demo_time[e]
                elif lost_now:
                    rows &= log.ts < last
                has[e] = rows.any()
        else:
            continue
        assert row["converters_with"] == int((has & conv & pop).sum())
        assert row["dropoffs_with"] == int((has & ~conv & pop).sum())
        assert row["converters_with"] + row["converters_without"] == c.converters
        assert row["dropoffs_with"] + row["dropoffs_without"] == c.dropoffs


def test_a_planted_driver_ranks_first() -> None:
    # channel "ref" converts at 60 % at lead -> demo, the others at 20 %
    rng = np.random.default_rng(3)
    n = 4000
    ch = rng.choice(np.array(["ads", "web", "ref"]), n)
    won = rng.random(n) < np.where(ch == "ref", 0.6, 0.2)
    ent = np.concatenate([np.arange(n), np.flatnonzero(won)])
    stage = np.concatenate([np.zeros(n, int), np.full(int(won.sum()), 1)])
    ts = np.concatenate([np.zeros(n), np.ones(int(won.sum()))])
    log = sf.EventLog.from_arrays(FUNNEL, entity=ent, stage=stage, ts=ts, unit="D",
                                  segments={"channel": ch[ent]})
    c = correlation(log, step="demo")
    assert (c.column[0], c.value[0]) == ("channel", "ref")
    assert c.odds_ratio[0] > 4 and c.q_value[0] < 1e-6
    assert c.significant == 3  # ref over, ads and web under
    assert list(c.q_value) == sorted(c.q_value)
    d = c.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_empty_log_gives_no_rows() -> None:
    log = sf.EventLog.from_arrays(FUNNEL, entity=[], stage=[], ts=[], unit="D",
                                  segments={"channel": []})
    c = correlation(log)
    assert isinstance(c, Correlation) and len(c) == 0 and c.converters == 0
    assert str(c)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"step": "lead"}, "step"), ({"step": 7}, "step"), ({"step": "dem"}, "step"),
    ({"segments": ["chanel"]}, "segments"), ({"events": "acts"}, "events"),
    ({"level": 1.0}, "level"), ({"correction": "holm"}, "correction"),
    ({"alpha": 0}, "alpha"),
])
def test_bad_arguments(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        correlation(sim(1, 50), **kwargs)  # type: ignore[arg-type]
    assert info.value.parameter == name
