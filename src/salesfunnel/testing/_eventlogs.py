"""A Hypothesis strategy for :class:`~salesfunnel.EventLog`: messy but valid event data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from salesfunnel._util._time import NS_PER_DAY, NS_PER_S
from salesfunnel.events import EventLog
from salesfunnel.model import Funnel
from salesfunnel.testing._solver import _BOOLS, _ints
from salesfunnel.testing._strategies import _choice, funnels
from salesfunnel.testing._validation import check_funnel, check_int, check_optional_bool

__all__ = ["event_logs"]

_T0_MIN = 1_577_836_800 * NS_PER_S  # 2020-01-01T00:00:00Z
_T0_MAX = 1_924_905_600 * NS_PER_S  # 2030-12-31T00:00:00Z
_SEGMENT_NAMES = ("channel", "region", "rep")
_CATEGORIES = ("web", "ads", "referral", "partner", "emea", "apac", "ann", "bo", "华东")
_T0 = st.integers(_T0_MIN, _T0_MAX)
_AMOUNTS = st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 2))
_GAP = st.one_of(
    st.just(0),
    st.integers(1, 3600).map(lambda s: s * NS_PER_S),
    st.integers(1, 120).map(lambda d: d * NS_PER_DAY),
    st.integers(1, 10**9),  # sub-second
)
_SEEDS = st.integers(0, 2**32 - 1)


def _check_segments(value: Any) -> Mapping[str, tuple[Any, ...]] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        out: dict[str, tuple[Any, ...]] = {}
        for name, categories in value.items():
            if not isinstance(name, str):
                raise InvalidArgument(f"segments: names must be strings; got {name!r}")
            if isinstance(categories, str) or not isinstance(categories, Sequence) or not (
                categories
            ):
                raise InvalidArgument(
                    f"segments[{name!r}]={categories!r} must be a non-empty sequence of "
                    "categories"
                )
            out[name] = tuple(categories)
        return out
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidArgument(
            f"segments={value!r} must be None, a sequence of segment names, or a mapping of "
            "names to categories"
        )
    if not all(isinstance(name, str) for name in value):
        raise InvalidArgument(f"segments={value!r}: segment names must be strings")
    if len(set(value)) != len(value):
        raise InvalidArgument(f"segments={value!r} lists a name more than once")
    return {name: _CATEGORIES for name in value}


def event_logs(
    funnel: Funnel | None = None,
    *,
    min_entities: int = 0,
    max_entities: int = 20,
    max_events: int | None = None,
    with_amount: bool | None = None,
    segments: Sequence[str] | Mapping[str, Sequence[Any]] | None = None,
) -> st.SearchStrategy[EventLog]:
    """Event logs as real systems produce them: shuffled, duplicated, incomplete.

    Each entity (a deal, a lead, a customer) walks the funnel: it enters at the first
    stage, moves on (sometimes skipping stages, so some events are missing), may fall
    back, may be lost, may win; in cyclic funnels won entities re-enter and walk again;
    in expanding funnels referred entities appear at later stages without ever
    entering the first. Some events are recorded twice, times may tie, and rows come
    in no particular order. The result is built with
    :meth:`EventLog.from_arrays`, with stages given by name or by index.

    Parameters
    ----------
    funnel : Funnel, optional
        The funnel; by default one is drawn from :func:`funnels`.
    min_entities, max_entities : int
        Bounds on the number of entities (0 <= min <= max <= 10000).
    max_events : int, optional
        Keep at most this many event rows (the first entities' events are kept).
    with_amount : bool, optional
        ``True``: an amount column (deal value per event); ``False``: none;
        ``None`` (default): either.
    segments : sequence of str or mapping, optional
        Segment columns: names (categories are drawn from a small pool), or a
        mapping of names to their categories. ``None`` (default): zero to two
        columns among ``channel``, ``region`` and ``rep``. An entity keeps one
        category for all of its events.

    Returns
    -------
    SearchStrategy[EventLog]

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If an option is out of range or of the wrong type.

    Examples
    --------
    >>> from hypothesis import given
    >>> from salesfunnel import templates
    >>> @given(event_logs(templates.get("lead-funnel"), max_entities=5, segments=["channel"]))
    ... def test(log):
    ...     assert log.n_entities <= 5 and set(log.segments) == {"channel"}
    >>> test()
    """
    if funnel is not None:
        funnel = check_funnel("funnel", funnel)
    min_entities = check_int("min_entities", min_entities, low=0, high=10_000)
    max_entities = check_int("max_entities", max_entities, low=0, high=10_000)
    if min_entities > max_entities:
        raise InvalidArgument(
            f"min_entities={min_entities} must not exceed max_entities={max_entities}"
        )
    if max_events is not None:
        max_events = check_int("max_events", max_events, low=0)
    with_amount = check_optional_bool("with_amount", with_amount)
    segment_spec = _check_segments(segments)
    if funnel is None:
        return funnels().flatmap(
            lambda f: _event_logs(f, min_entities, max_entities, max_events, with_amount,
                                  segment_spec)
        )
    return _event_logs(funnel, min_entities, max_entities, max_events, with_amount,
                       segment_spec)


def _walk(draw: st.DrawFn, funnel: Funnel, t: int) -> tuple[list[int], list[int]]:
    """Stage indices and times (ns) of one entity's events."""
    won = funnel.won_index
    lost = list(range(won + 1, len(funnel.stages)))
    reentry = None if funnel.reentry is None else funnel.index(funnel.reentry)
    here = 0
    if funnel.expanding and won > 0 and draw(_ints(0, 3)) == 0:
        here = draw(_ints(1, won))  # a referral: enters part-way down the funnel
    stages, times = [here], [t]
    loops = 0
    while len(stages) < 3 * len(funnel.stages):
        step = draw(_ints(0, 9))
        t += draw(_GAP)
        if here > won:  # lost: done
            break
        if here == won:
            if reentry is None or loops >= 2 or step < 5:
                break
            loops += 1
            here = reentry  # re-enters the funnel after winning
        elif step <= 1:
            break  # still open
        elif step == 2 and lost:
            here = _choice(draw, lost)
        elif step == 3 and here + 2 <= won:
            here = draw(_ints(here + 2, won))  # skipped stages leave no event
        elif step == 4 and here > 0:
            here = draw(_ints(0, here - 1))  # falls back
        else:
            here += 1
        stages.append(here)
        times.append(t)
    return stages, times


@st.composite
def _event_logs(
    draw: st.DrawFn,
    funnel: Funnel,
    min_entities: int,
    max_entities: int,
    max_events: int | None,
    with_amount: bool | None,
    segment_spec: Mapping[str, tuple[Any, ...]] | None,
) -> EventLog:
    n = draw(_ints(min_entities, max_entities))
    string_ids = draw(_BOOLS)
    amount_on = draw(_BOOLS) if with_amount is None else with_amount
    if segment_spec is None:
        chosen = [name for name in _SEGMENT_NAMES if draw(_ints(0, 2)) == 0]
        segment_spec = {name: _CATEGORIES[: draw(_ints(1, 4))] for name in chosen[:2]}
    entity: list[Any] = []
    stage: list[int] = []
    ts: list[int] = []
    amount: list[float] = []
    columns: dict[str, list[Any]] = {name: [] for name in segment_spec}
    for i in range(n):
        ident: Any = f"E{i:03d}" if string_ids else 1000 + 7 * i
        stages, times = _walk(draw, funnel, draw(_T0))
        value = draw(_AMOUNTS)
        cats = {name: _choice(draw, options) for name, options in segment_spec.items()}
        for k, (s, t) in enumerate(zip(stages, times, strict=True)):
            copies = 2 if draw(_ints(0, 7)) == 0 else 1  # a duplicated event
            if k and amount_on and draw(_ints(0, 4)) == 0:
                value = draw(_AMOUNTS)  # the deal value changes along the way
            for _ in range(copies):
                entity.append(ident)
                stage.append(s)
                ts.append(t)
                amount.append(value)
                for name, category in cats.items():
                    columns[name].append(category)
    if max_events is not None and len(stage) > max_events:
        del entity[max_events:], stage[max_events:], ts[max_events:], amount[max_events:]
        for col in columns.values():
            del col[max_events:]
    order = np.random.default_rng(draw(_SEEDS)).permutation(len(stage))
    names = np.asarray([s.name for s in funnel.stages], dtype=object)
    stage_arr = np.asarray(stage, dtype=np.int64)[order]
    stage_col: Any = names[stage_arr] if draw(_BOOLS) else stage_arr
    ts_arr = np.asarray(ts, dtype=np.int64)[order]
    use_datetime64 = draw(_BOOLS)
    return EventLog.from_arrays(
        funnel,
        entity=np.asarray(entity, dtype=object if string_ids else np.int64)[order],
        stage=stage_col,
        ts=ts_arr.astype("datetime64[ns]") if use_datetime64 else ts_arr,
        unit=None if use_datetime64 else "ns",
        amount=np.asarray(amount, dtype=np.float64)[order] if amount_on else None,
        segments={name: np.asarray(col, dtype=object)[order] for name, col in columns.items()},
    )
