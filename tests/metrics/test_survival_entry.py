"""``survival(..., entry=)``: Kaplan-Meier with late entry (left truncation) against
lifelines' ``KaplanMeierFitter.fit(durations, events, entry=)``, merges and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

import salesfunnel as sf
from salesfunnel import InvalidParameterError
from salesfunnel.metrics import _kernels as K
from salesfunnel.metrics import survival

FUNNEL = sf.Funnel("deals", [sf.Stage("lead"), sf.Stage("demo"), sf.Stage("won", kind="won"),
                             sf.Stage("lost", kind="lost")])
DAY = 86_400 * 10**9
AS_OF = "2026-09-01T00:00Z"


def case(seed: int, n: int) -> tuple[sf.EventLog, np.ndarray]:
    """A simulated log and, per entity, a real start 0-60 days before its first event
    (about half of the deals are left-truncated)."""
    log = sf.simulate(FUNNEL, n=n, rng=seed, spread_days=200, until=AS_OF)
    rng = np.random.default_rng(seed)
    first = K.progress(log).first_time
    back = np.where(rng.random(log.n_entities) < 0.5, 0,
                    rng.integers(1, 60, log.n_entities)) * DAY
    return log, (first - back).astype("datetime64[ns]")


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), lost=st.sampled_from(["never", "censor"]),
       level=st.sampled_from([0.9, 0.95]))
def test_late_entry_matches_lifelines(seed: int, lost: str, level: float) -> None:
    log, start = case(seed, 150)
    km = survival(log, as_of=AS_OF, entry=start, lost=lost, level=level)  # type: ignore[arg-type]
    plain = survival(log, as_of=AS_OF, lost=lost)  # type: ignore[arg-type]
    from salesfunnel.metrics._survival import observations

    durations, converted = observations(K.until(log, sf._util._time.to_ns(AS_OF)),
                                        sf._util._time.to_ns(AS_OF), lost)
    first = K.progress(log).first_time
    origin = start.astype(np.int64)
    entry = (first - origin) / 1e9
    total = (durations.astype(np.int64) + first - origin) / 1e9  # uint64 + int64 would be float
    fitter = KaplanMeierFitter(alpha=1 - level).fit(total, converted, entry=entry)
    times = km.time
    table = fitter.event_table
    assert np.array_equal(table.loc[times, "at_risk"].to_numpy(), km.at_risk)
    assert np.array_equal(table.loc[times, "entrance"].to_numpy(), km.entered)
    sf_ = fitter.survival_function_.iloc[:, 0]
    np.testing.assert_allclose(sf_.loc[times].to_numpy(), km.survival, rtol=1e-9, atol=1e-12)
    ci = fitter.confidence_interval_
    ok = np.isfinite(ci.iloc[:, 0].loc[times].to_numpy())
    np.testing.assert_allclose(ci.iloc[:, 0].loc[times].to_numpy()[ok], km.lower[ok],
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ci.iloc[:, 1].loc[times].to_numpy()[ok], km.upper[ok],
                               rtol=1e-7, atol=1e-9)
    assert km.observations == plain.observations and km.converted == plain.converted
    assert km.left_truncated == int((entry > 0).sum())


def test_mapping_equals_array_and_no_entry_equals_plain() -> None:
    log, start = case(5, 80)
    by_array = survival(log, as_of=AS_OF, entry=start)
    by_map = survival(log, as_of=AS_OF, entry={i: str(s) + "Z" for i, s in
                                              zip(log.ids.tolist(), start, strict=True)},
                      naive="utc")
    assert by_array == by_map
    same = survival(log, as_of=AS_OF, entry=K.progress(log).first_time.astype("datetime64[ns]"))
    plain = survival(log, as_of=AS_OF)
    np.testing.assert_allclose(same.survival_at(plain.time), plain.survival)
    np.testing.assert_array_equal(same.at_risk[same.time_ns > 0], plain.at_risk)
    assert same.left_truncated == 0


def test_merge_of_partitions_is_exact() -> None:
    log, start = case(11, 120)
    whole = survival(log, as_of=AS_OF, entry=start)
    parts = log.partition(3)
    index = {v: i for i, v in enumerate(log.ids.tolist())}
    kms = [survival(p, as_of=AS_OF, entry={i: start[index[i]] for i in p.ids.tolist()})
           for p in parts]
    merged = kms[0].merge(kms[1]).merge(kms[2])
    assert merged == whole  # the same table: no row at time 0 that the log lacks
    assert merged.to_dict() == whole.to_dict()
    assert whole.to_dict()["left_truncated"] == merged.left_truncated > 0
    # every entity late (a CRM creation date for each deal): time 0 is no duration of
    # the log, and the merge used to add a row there (at risk 0)
    late = start - 3 * DAY
    whole = survival(log, as_of=AS_OF, entry=late)
    assert whole.time_ns[0] > 0
    kms = [survival(p, as_of=AS_OF, entry={i: late[index[i]] for i in p.ids.tolist()})
           for p in parts]
    merged = kms[0].merge(kms[1]).merge(kms[2])
    assert merged == whole and merged.to_dict() == whole.to_dict()
    empty = survival(sf.EventLog.from_arrays(FUNNEL, entity=[], stage=[], ts=[], unit="s"),
                     as_of=AS_OF, entry={})
    assert empty.merge(empty) == empty and len(empty.merge(empty).time_ns) == 0


def test_merge_with_a_side_without_late_entry_starts_it_at_zero() -> None:
    """Beside a side with late entry, the entities of a side without it are at risk from
    time 0 (like entities missing from an ``entry`` mapping), not from their first
    duration: the merge equals the fit of the whole log (it used to count them at risk
    only from their own first time, one too few at risk before it)."""
    a = sf.EventLog.from_arrays(FUNNEL, entity=[1, 1, 4], stage=[0, 2, 0], ts=[0, 5, 0],
                                unit="D")
    b = sf.EventLog.from_arrays(FUNNEL, entity=[2, 2, 3, 3], stage=[0, 2, 0, 3],
                                ts=[10, 13, 10, 11], unit="D")
    both = sf.EventLog.from_arrays(FUNNEL, entity=[1, 1, 4, 2, 2, 3, 3],
                                   stage=[0, 2, 0, 0, 2, 0, 3],
                                   ts=[0, 5, 0, 10, 13, 10, 11], unit="D")
    entry = {2: "1970-01-08T00:00Z", 3: "1970-01-10T00:00Z"}
    whole = survival(both, as_of=AS_OF, entry=entry, lost="censor")
    plain = survival(a, as_of=AS_OF, lost="censor")
    late = survival(b, as_of=AS_OF, entry=entry, lost="censor")
    assert plain.merge(late) == whole and late.merge(plain) == whole
    # deals 1 and 4 at risk from time 0 (the merge had them from 5 days and as_of)
    assert whole.at_risk[:4].tolist() == [2, 3, 3, 3]  # times 0, 1, 2 and 3 days


def test_start_after_first_event_is_refused() -> None:
    log, start = case(2, 20)
    bad = start.copy()
    bad[3] = bad[3] + np.timedelta64(400, "D")
    with pytest.raises(InvalidParameterError, match="after their first event") as info:
        survival(log, as_of=AS_OF, entry=bad)
    assert info.value.parameter == "entry"
    with pytest.raises(InvalidParameterError, match="one time per entity"):
        survival(log, as_of=AS_OF, entry=start[:-1])


def test_a_partitioned_log_takes_entry_as_a_mapping() -> None:
    """One time per entity in ``log.ids`` order has no meaning for a PartitionedLog
    (every part has its own ids): it was checked against each part's entity count, with
    a message about the part's length, and is now refused by name; a mapping gives the
    whole log's result."""
    log, start = case(3, 40)
    plog = sf.PartitionedLog.from_log(log, parts=3)
    with pytest.raises(InvalidParameterError, match=r"'entry'.*mapping.*PartitionedLog"):
        survival(plog, as_of=AS_OF, entry=start)
    mapping = dict(zip(log.ids.tolist(), start, strict=True))
    assert survival(plog, as_of=AS_OF, entry=mapping, workers=2) == survival(
        log, as_of=AS_OF, entry=start)
