"""``stale`` and ``forecast_categories`` against a per-deal Python reference on random
logs, thresholds and category maps from ``salesfunnel.testing``."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import salesfunnel as sf
from salesfunnel import InvalidParameterError
from salesfunnel.metrics import forecast_categories, stale
from salesfunnel.metrics._categories import CATEGORIES, default_categories
from salesfunnel.testing import event_logs, forecast_category_maps, stage_thresholds

DAY = 86_400 * 10**9
FUNNEL = sf.Funnel("deals", [sf.Stage("lead", probability=0.1),
                             sf.Stage("demo", probability=0.5),
                             sf.Stage("contract", probability=0.8),
                             sf.Stage("won", kind="won"), sf.Stage("lost", kind="lost")],
                   fall_back=True)


def per_deal(log: sf.EventLog, cut: int) -> dict[int, list[tuple[int, int, int]]]:
    """entity -> its events (ts, stage, row) at or before ``cut``, in (ts, stage) order."""
    out: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for i, (e, s, t) in enumerate(zip(log.entity.tolist(), log.stage.tolist(),
                                      log.ts.tolist(), strict=True)):
        if t <= cut:
            out[e].append((t, s, i))
    for v in out.values():
        v.sort(key=lambda x: (x[0], x[1], x[2]))
    return out


def ref_stale(log: sf.EventLog, cut: int, th: np.ndarray, clock: str) -> dict[int, float]:
    found = {}
    for e, evs in per_deal(log, cut).items():
        stage = evs[-1][1]
        if not log.funnel.stages[stage].is_open:
            continue
        i = len(evs) - 1
        while i > 0 and evs[i - 1][1] == stage:
            i -= 1
        since = evs[i][0] if clock == "stage" else evs[-1][0]
        days = (cut - since) / DAY
        if not math.isnan(th[stage]) and days > th[stage]:
            found[e] = days
    return found


@settings(max_examples=40, deadline=None)
@given(log=event_logs(FUNNEL), data=st.data(),
       clock=st.sampled_from(["stage", "activity"]))
def test_stale_matches_reference(log: sf.EventLog, data: st.DataObject, clock: str) -> None:
    thresholds = data.draw(stage_thresholds(FUNNEL))
    cut = int(np.median(log.ts)) if len(log) else 0
    s = stale(log, as_of=np.datetime64(cut, "ns"), thresholds=thresholds, clock=clock)
    th = np.array([(thresholds.get(st_.name, math.nan) if isinstance(thresholds, dict)
                    else thresholds) if st_.is_open else math.nan for st_ in FUNNEL.stages])
    ref = ref_stale(log, cut, th, clock)
    codes = {v: i for i, v in enumerate(log.ids.tolist())}
    assert {codes[i] for i in s.ids.tolist()} == set(ref)
    assert s.count == len(ref) == sum(s.stale_by_stage)
    np.testing.assert_allclose(s.days, [ref[codes[i]] for i in s.ids.tolist()])
    assert np.all(np.diff(s.overdue) <= 0)  # most overdue first
    assert np.all(s.overdue > 0)
    d = s.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_stale_threshold_zero_and_unknown_stage() -> None:
    log = sf.simulate(FUNNEL, n=200, rng=4, until="2026-06-01T00:00Z")
    s = stale(log, as_of="2026-06-01T00:00Z", thresholds=0)
    assert s.count == s.open  # every open deal has been in its stage for some time
    with pytest.raises(InvalidParameterError) as info:
        stale(log, as_of="2026-06-01T00:00Z", thresholds={"won": 3})
    assert info.value.parameter == "thresholds"
    with pytest.raises(InvalidParameterError):
        stale(log, as_of="2026-06-01T00:00Z", thresholds=-1)
    with pytest.raises(InvalidParameterError):
        stale(log, as_of="2026-06-01T00:00Z", thresholds=3, clock="idle")


@settings(max_examples=40, deadline=None)
@given(log=event_logs(FUNNEL, with_amount=True), data=st.data(),
       period=st.sampled_from(["month", "quarter", "year"]))
def test_categories_partition_the_deals(log: sf.EventLog, data: st.DataObject,
                                        period: str) -> None:
    mapping = data.draw(forecast_category_maps(FUNNEL))
    cut = int(log.ts.max()) if len(log) else 0
    fc = forecast_categories(log, as_of=np.datetime64(cut, "ns"), categories=mapping,
                             period=period)
    deals = per_deal(log, cut)
    merged = {**default_categories(FUNNEL), **mapping}
    expected = defaultdict(int)
    for evs in deals.values():
        expected[merged[FUNNEL.names[evs[-1][1]]]] += 1
    for c in CATEGORIES:
        assert fc.total(c, deals=True) == expected[c]
    assert sum(map(sum, fc.deals)) == len(deals) == len(fc.ids)
    assert list(fc.periods) == sorted(fc.periods)
    d = fc.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_per_row_categories_win_over_the_stage_map() -> None:
    log = sf.simulate(FUNNEL, n=300, rng=9, until="2026-07-01T00:00Z")
    rng = np.random.default_rng(9)
    rows = np.where(rng.random(len(log)) < 0.3, "Best Case", None)
    cut = sf._util._time.to_ns("2026-07-01T00:00Z")
    fc = forecast_categories(log, as_of="2026-07-01T00:00Z", rows=rows)
    stage_map = default_categories(FUNNEL)
    expected: dict[str, int] = defaultdict(int)
    for evs in per_deal(log, cut).values():
        name = FUNNEL.names[evs[-1][1]]
        flagged = any(rows[r] is not None for _, _, r in evs)
        open_ = FUNNEL.stages[evs[-1][1]].is_open
        expected["best_case" if open_ and flagged else stage_map[name]] += 1
    for c in CATEGORIES:
        assert fc.total(c, deals=True) == expected[c], c
    assert fc.source == "stage+row"
    # the same values as the log's forecast_category segment column (as CRM imports keep it)
    seg_log = sf.EventLog.from_arrays(FUNNEL, entity=log.entity, stage=log.stage, ts=log.ts,
                                      unit="ns", segments={"forecast_category": rows})
    assert forecast_categories(seg_log, as_of="2026-07-01T00:00Z").deals == fc.deals
    with pytest.raises(InvalidParameterError):
        forecast_categories(log, as_of="2026-07-01T00:00Z", rows=rows[:-1])
    with pytest.raises(InvalidParameterError):
        forecast_categories(log, as_of="2026-07-01T00:00Z",
                            rows=np.where(rows == None, None, "maybe"))  # noqa: E711


def test_open_deals_close_no_earlier_than_as_of() -> None:
    log = sf.simulate(FUNNEL, n=500, rng=2, until="2026-05-01T00:00Z")
    fc = forecast_categories(log, as_of="2026-05-01T00:00Z")
    open_idx = [CATEGORIES.index(c) for c in ("pipeline", "best_case", "commit")]
    for i in open_idx:
        for j, p in enumerate(fc.periods):
            if fc.deals[i][j]:
                assert p >= "2026-05"
