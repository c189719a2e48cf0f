"""Synthetic cohorts through any funnel, as an :class:`~salesfunnel.EventLog`.

Every entity (deal, lead, person) follows a Markov chain over the funnel's stages: from
each stage it moves to one of the moves the funnel allows (advance, skip ahead, fall
back, lose, re-enter after WON), or stops (stays where it is, still open). The time
spent in a stage before the next move is exponential with the stage's mean. Entities
of an expanding funnel refer new entities. The simulation is vectorized over entities:
Python loops run over steps and generations only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

from salesfunnel._util._suggest import listing
from salesfunnel._util._time import NS_PER_DAY, TS_MAX, to_ns
from salesfunnel._util._validate import check_int, check_number, invalid
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog, Segment
from salesfunnel.model import Funnel, Journey, StageKind, TransitionRecord

__all__ = ["simulate", "transition_matrix"]

#: The latest time a simulated event may have: int64 nanoseconds (April 2262) less a
#: year, clear of the int64 maximum that some kernels use as a "never" marker.
_MAX_NS = TS_MAX - 366 * NS_PER_DAY
#: The most entities one call simulates (already some 100 GB of events).
MAX_N = 10**9
#: Above this many entities ``journeys=True`` is refused (journeys are Python objects).
MAX_JOURNEYS = 10_000

# Defaults used when the funnel allows a kind of move and the caller says nothing.
_DEFAULT_SKIP = 0.1
_DEFAULT_FALL_BACK = 0.05
_DEFAULT_REENTRY = 0.3
_DEFAULT_REFERRALS = 0.5


#: ``_bad(parameter, value, expected)``: the error for a bad argument of :func:`simulate`.
_bad = partial(invalid, where="simulate")


def generator(
    rng: Any, *, where: str = "simulate",
    error: type[InvalidParameterError] = InvalidParameterError,
) -> np.random.Generator:
    """``rng`` (None, a seed >= 0 or a Generator) as a Generator; never the global RNG.

    Anything else raises ``error`` (the shape of :mod:`salesfunnel._util._validate`).
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    seed = check_int("rng", rng, where=where, low=0, error=error,
                     expected="None, an integer seed >= 0 or a numpy.random.Generator")
    return np.random.default_rng(seed)


def transition_matrix(
    funnel: Funnel,
    *,
    rates: Sequence[float] | None = None,
    skip: float | None = None,
    fall_back: float | None = None,
    stall: float | None = None,
    reentry: float | None = None,
    odds: float = 1.0,
) -> npt.NDArray[np.float64]:
    """The per-move transition probabilities :func:`simulate` uses for ``funnel``.

    Row ``i``, column ``j`` is the probability that an entity at stage ``i`` moves next
    to stage ``j``; the missing mass of a row (``1 - row.sum()``) is the probability of
    stopping there (no further event). From an open stage ``k`` an entity

    * stops with probability ``stall``;
    * falls back one stage with probability ``fall_back`` (``k > 0``, funnel allows it);
    * otherwise moves forward with probability ``rates[k]``: to ``k + 1``, and with
      probability ``skip`` each, one stage further (funnel allows skip-ahead), up to WON;
    * otherwise is lost (split evenly over the LOST stages), or stops when the funnel
      has no LOST stage or ``can_lose=False``.

    A WON entity re-enters at ``funnel.reentry`` with probability ``reentry`` (cyclic
    funnels); LOST stages are final.

    Parameters
    ----------
    funnel : Funnel
    rates : sequence of float, optional
        Forward probability per open stage (``len(funnel.path) - 1`` values). Default:
        from the stages' probabilities (``p[k] / p[k + 1]``, spread evenly over stages
        without one), 0.5 before the first stage with a probability.
    skip, fall_back, stall, reentry : float, optional
        Default: 0.1, 0.05, 0 and 0.3 where the funnel allows the move, else 0. A
        positive value for a move the funnel does not allow raises.
    odds : float
        Multiplies the odds ``r / (1 - r)`` of every forward rate (the attribute effect
        of ``simulate(effects=...)``); 1 leaves the rates as they are.

    Returns
    -------
    numpy.ndarray of float64, shape (n_stages, n_stages)

    Raises
    ------
    InvalidParameterError
        Naming the parameter and the value.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> f = Funnel("f", [Stage("lead"), Stage("deal"), Stage("won", kind="won"),
    ...                  Stage("lost", kind="lost")])
    >>> transition_matrix(f, rates=[0.5, 0.8]).round(2).tolist()
    [[0.0, 0.5, 0.0, 0.5], [0.0, 0.0, 0.8, 0.2], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """
    if not isinstance(funnel, Funnel):
        raise _bad("funnel", funnel, "a Funnel")
    stages = funnel.stages
    n = len(stages)
    w = funnel.won_index
    lost = [i for i, s in enumerate(stages) if s.kind is StageKind.LOST]
    if rates is None:
        fwd = _nominal_rates(funnel)
    else:
        if isinstance(rates, str) or not isinstance(rates, Sequence | np.ndarray) or len(
                rates) != w:
            raise _bad("rates", rates, f"one forward probability per open stage ({w})")
        fwd = [check_number("rates", r, where="simulate", low=0.0, high=1.0)
               for r in rates]
    mult = check_number("odds", odds, where="simulate", low=0.0, low_open=True)
    if mult != 1.0:
        fwd = [r if r in (0.0, 1.0) else mult * r / (1.0 - r + mult * r) for r in fwd]

    def flag(value: float | None, allowed: bool, default: float, name: str,
             allow_one: bool = False) -> float:
        if value is None:
            return default if allowed else 0.0
        v = check_number(name, value, where="simulate", low=0.0, high=1.0,
                         high_open=not allow_one)
        if v > 0 and not allowed:
            raise InvalidParameterError(
                f"the {name!r} parameter of simulate is {v:g}, but funnel {funnel.name!r} "
                f"does not allow that move (see Funnel(..., {_FLAG[name]}))",
                parameter=name, value=value,
            )
        return v

    p_skip = flag(skip, funnel.skip_ahead, _DEFAULT_SKIP, "skip")
    p_back = flag(fall_back, funnel.fall_back, _DEFAULT_FALL_BACK, "fall_back")
    p_stall = flag(stall, True, 0.0, "stall")
    p_re = flag(reentry, funnel.reentry is not None, _DEFAULT_REENTRY, "reentry",
                allow_one=True)
    if p_stall + p_back >= 1.0:
        raise InvalidParameterError(
            f"stall ({p_stall:g}) + fall_back ({p_back:g}) must be below 1",
            parameter="stall", value=stall,
        )
    can_lose = funnel.can_lose and bool(lost)
    m = np.zeros((n, n), dtype=np.float64)
    for k in range(w):
        back = p_back if k > 0 else 0.0
        moving = 1.0 - p_stall - back
        if back:
            m[k, k - 1] = back
        forward = moving * fwd[k]
        # Geometric skip: k+1 with 1-skip, k+2 with skip(1-skip), ..., the rest at WON.
        remaining = forward
        for j in range(k + 1, w):
            share = remaining * (1.0 - p_skip)
            m[k, j] = share
            remaining -= share
        m[k, w] += remaining
        if can_lose:
            for j in lost:
                m[k, j] = moving * (1.0 - fwd[k]) / len(lost)
    if funnel.reentry is not None and p_re > 0:
        m[w, funnel.index(funnel.reentry)] = p_re
    return m


def _nominal_rates(funnel: Funnel) -> list[float]:
    """Forward rates that reproduce the stages' probabilities (0.5 where unknown).

    Between two stages with probabilities ``p_i < p_j`` each of the ``j - i`` steps gets
    ``(p_i / p_j) ** (1 / (j - i))``; steps before the first stage with a probability
    get 0.5.
    """
    w = funnel.won_index
    known = [(k, float(s.probability)) for k, s in enumerate(funnel.path)
             if s.probability is not None and s.probability > 0]
    fwd = [0.5] * w
    for (i, pi), (j, pj) in itertools.pairwise(known):
        for k in range(i, j):
            fwd[k] = (pi / pj) ** (1.0 / (j - i))
    return fwd


_FLAG = {"skip": "skip_ahead=True", "fall_back": "fall_back=True",
         "reentry": "reentry=<stage>", "stall": ""}


def _check_matrix(funnel: Funnel, value: Any) -> npt.NDArray[np.float64]:
    n = len(funnel.stages)
    try:
        m = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _bad("transitions", value, f"an ({n}, {n}) matrix of probabilities") from None
    if m.shape != (n, n) or not np.all(np.isfinite(m)) or (m < 0).any():
        raise _bad("transitions", value,
                   f"an ({n}, {n}) matrix of probabilities >= 0 (one row and column per "
                   "stage)")
    sums = m.sum(axis=1)
    if (sums > 1.0 + 1e-9).any():
        i = int(np.argmax(sums))
        raise InvalidParameterError(
            f"row {funnel.names[i]!r} of 'transitions' sums to {sums[i]:g}; rows sum to at "
            "most 1 (the rest is the chance of stopping there)",
            parameter="transitions", value=value,
        )
    # Staying put (the diagonal) means stopping there: absorbing rows may be the identity.
    m[np.diag_indices(n)] = 0.0
    bad = []
    for i, s in enumerate(funnel.names):
        allowed = set(funnel.allowed(s))
        for j in np.flatnonzero(m[i] > 0):
            if funnel.names[j] not in allowed:
                bad.append(f"{s}->{funnel.names[j]}")
    if bad:
        raise InvalidParameterError(
            f"'transitions' gives probability to moves funnel {funnel.name!r} does not "
            f"allow: {', '.join(bad)}",
            parameter="transitions", value=value,
        )
    return m


def _days(funnel: Funnel, value: Any) -> npt.NDArray[np.float64]:
    n = len(funnel.stages)
    if isinstance(value, Mapping):
        out = np.full(n, 14.0)
        for name, v in value.items():
            if name not in funnel.names:
                options = listing(name, funnel.names)
                raise InvalidParameterError(
                    f"the 'days_in_stage' parameter of simulate names {name!r}, which is not "
                    f"a stage; expected one of: {options}",
                    parameter="days_in_stage", value=value,
                )
            out[funnel.index(name)] = check_number("days_in_stage", v, where="simulate",
                                                   low=0.0, low_open=True)
        return out
    if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
        if len(value) != n:
            raise _bad("days_in_stage", value, f"a number, a mapping or one number per stage "
                       f"({n})")
        return np.array([check_number("days_in_stage", v, where="simulate", low=0.0,
                                      low_open=True) for v in value], dtype=np.float64)
    return np.full(n, check_number("days_in_stage", value, where="simulate", low=0.0,
                                   low_open=True))


def _amounts(value: Any, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64] | None:
    if value is None:
        return None
    if callable(value):
        drawn = value(rng, size)
        try:
            out = np.asarray(drawn, dtype=np.float64)
        except (TypeError, ValueError):
            got = f"non-numeric {type(drawn).__name__}"
        else:
            if out.shape == (size,) and np.all(np.isfinite(out)):
                return out
            got = f"shape {out.shape}" if out.shape != (size,) else "non-finite values"
        raise _bad("amount", value, f"a callable returning {size} finite amounts (it "
                   f"returned {got})")
    if isinstance(value, tuple):
        if len(value) != 2:
            raise _bad("amount", value, "(mean, sigma) of a lognormal")
        mean = check_number("amount", value[0], where="simulate", low=0.0, low_open=True)
        try:
            sigma = check_number("amount", value[1], low=0.0)
        except InvalidParameterError:
            raise _bad("amount", value, "(mean, sigma) with sigma >= 0") from None
        mu = math.log(mean) - sigma * sigma / 2.0
        return rng.lognormal(mu, sigma, size) if sigma > 0 else np.full(size, mean)
    return np.full(size, check_number("amount", value, where="simulate", low=0.0,
                                      low_open=True))


def _segment_specs(value: Any) -> list[tuple[str, np.ndarray[Any, Any], npt.NDArray[np.float64]]]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise _bad("segments", value, "a mapping of segment name to values or to weights")
    out = []
    for name, spec in value.items():
        if not isinstance(name, str):
            raise _bad("segments", value, "a mapping with string segment names")
        if isinstance(spec, Mapping):
            cats = list(spec)
            try:
                weights = np.array([check_number("segments", w) for w in spec.values()],
                                   dtype=np.float64)
            except InvalidParameterError:
                raise _bad("segments", value, f"numbers as the weights of {name!r}") from None
        elif isinstance(spec, Sequence | np.ndarray) and not isinstance(spec, str):
            cats = list(spec)
            weights = np.ones(len(cats))
        else:
            raise _bad("segments", value, "a mapping of segment name to a sequence of values "
                       "or a mapping of value to weight")
        if not cats or not np.all(np.isfinite(weights)) or (weights < 0).any() or \
                weights.sum() <= 0:
            raise _bad("segments", value, f"non-empty values with weights >= 0 for {name!r}")
        categories = np.empty(len(cats), dtype=object)
        categories[:] = cats
        if all(isinstance(c, str) for c in cats):
            categories = np.asarray(cats)
        out.append((name, categories, weights / weights.sum()))
    return out


def _in_range(t: npt.NDArray[np.int64], delay: npt.NDArray[np.float64],
              cut: bool) -> npt.NDArray[np.int64]:
    """``delay`` as int64 nanoseconds where ``t + delay`` stays within :data:`_MAX_NS`.

    Out-of-range delays raise, or with ``cut`` are marked -1 (the caller drops them).
    """
    late = delay >= (_MAX_NS - t).astype(np.float64)
    if late.any():
        if not cut:
            raise InvalidParameterError(
                "the simulation runs past 2261 (the last time an EventLog holds in int64 "
                "nanoseconds); shorten 'days_in_stage' or 'max_steps', or pass 'until'",
                parameter="days_in_stage", value=float(delay[late][0]) / NS_PER_DAY,
            )
        delay = np.where(late, -1.0, delay)
    return delay.astype(np.int64)


def _walk(
    start_stage: npt.NDArray[np.int64],
    start_ns: npt.NDArray[np.int64],
    first_id: int,
    cum_flat: npt.NDArray[np.float64],
    stop: int,
    final: npt.NDArray[np.bool_],
    mean_ns: npt.NDArray[np.float64],
    max_steps: int,
    rng: np.random.Generator,
    cut: bool,
) -> tuple[list[npt.NDArray[np.int64]], list[npt.NDArray[np.int64]], list[npt.NDArray[np.int64]]]:
    """Run one cohort to the end; returns lists of (entity, stage, ts) chunks.

    A move that would fall past :data:`_MAX_NS` stops the entity when ``cut`` (an
    ``until`` drops such events anyway) and raises otherwise.
    """
    m = len(start_stage)
    width = stop + 1
    ids = np.arange(first_id, first_id + m, dtype=np.int64)
    ents, stgs, tss = [ids], [start_stage], [start_ns]
    cur = start_stage.copy()
    t = start_ns.copy()
    active = np.flatnonzero(~final[cur])
    for _ in range(max_steps):
        if active.size == 0:
            break
        s = cur[active]
        u = rng.random(active.size)
        nxt = np.searchsorted(cum_flat, s + u, side="right") - s * width
        hold = np.maximum(rng.standard_exponential(active.size) * mean_ns[s], 1.0)
        moved = nxt != stop
        a = active[moved]
        to = nxt[moved]
        held = _in_range(t[a], hold[moved], cut)
        if (held < 0).any():                  # past the last representable time: stop
            ok = held >= 0
            a, to, held = a[ok], to[ok], held[ok]
        when = t[a] + held
        cur[a] = to
        t[a] = when
        ents.append(a + first_id)
        stgs.append(to)
        tss.append(when)
        active = a[~final[to]]
    return ents, stgs, tss


@overload
def simulate(funnel: Funnel, *, n: int = ..., start: datetime | str = ...,
             spread_days: float = ..., rates: Sequence[float] | None = ...,
             transitions: Any = ..., skip: float | None = ..., fall_back: float | None = ...,
             stall: float | None = ..., reentry: float | None = ...,
             referrals: float | None = ..., referral_stage: str | None = ...,
             referral_entry: str | None = ...,
             days_in_stage: float | Sequence[float] | Mapping[str, float] = ...,
             amount: Any = ..., segments: Mapping[str, Any] | None = ...,
             until: datetime | str | None = ..., max_steps: int = ...,
             max_entities: int | None = ..., rng: Any = ...,
             journeys: Literal[False] = ...,
             effects: Mapping[str, Mapping[Any, float]] | None = ...) -> EventLog: ...
@overload
def simulate(funnel: Funnel, *, n: int = ..., start: datetime | str = ...,
             spread_days: float = ..., rates: Sequence[float] | None = ...,
             transitions: Any = ..., skip: float | None = ..., fall_back: float | None = ...,
             stall: float | None = ..., reentry: float | None = ...,
             referrals: float | None = ..., referral_stage: str | None = ...,
             referral_entry: str | None = ...,
             days_in_stage: float | Sequence[float] | Mapping[str, float] = ...,
             amount: Any = ..., segments: Mapping[str, Any] | None = ...,
             until: datetime | str | None = ..., max_steps: int = ...,
             max_entities: int | None = ..., rng: Any = ...,
             journeys: Literal[True],
             effects: Mapping[str, Mapping[Any, float]] | None = ...
             ) -> tuple[EventLog, list[Journey]]: ...
def simulate(
    funnel: Funnel,
    *,
    n: int = 1000,
    start: datetime | str = "2026-01-01T00:00:00+00:00",
    spread_days: float = 365.0,
    rates: Sequence[float] | None = None,
    transitions: Any = None,
    skip: float | None = None,
    fall_back: float | None = None,
    stall: float | None = None,
    reentry: float | None = None,
    referrals: float | None = None,
    referral_stage: str | None = None,
    referral_entry: str | None = None,
    days_in_stage: float | Sequence[float] | Mapping[str, float] = 14.0,
    amount: float | tuple[float, float] | Callable[..., Any] | None = (30_000.0, 0.5),
    segments: Mapping[str, Any] | None = None,
    until: datetime | str | None = None,
    max_steps: int = 200,
    max_entities: int | None = None,
    rng: int | np.random.Generator | None = None,
    journeys: bool = False,
    effects: Mapping[str, Mapping[Any, float]] | None = None,
) -> EventLog | tuple[EventLog, list[Journey]]:
    """Simulate ``n`` entities through ``funnel`` and return their events.

    Each entity enters the first stage at a time spread uniformly over ``spread_days``
    after ``start`` and then moves as a Markov chain (see :func:`transition_matrix`
    for the moves and their defaults), spending an exponential time with mean
    ``days_in_stage`` in each stage before its next move. An entity stops when it
    reaches a LOST stage, reaches WON (unless it re-enters a cyclic funnel), stalls,
    or after ``max_steps`` moves; events after ``until`` are cut, which leaves the
    entities still in progress then open.

    Parameters
    ----------
    funnel : Funnel
        Any funnel: its flags decide which moves happen.
    n : int
        Entities entering directly (referred ones come on top), at most ``10**9``.
    start : datetime or str
        Timezone-aware time (or ISO 8601 string) of the first possible entry.
    spread_days : float
        Entries are uniform over ``[start, start + spread_days)``; 0 puts every entry
        at ``start``.
    rates : sequence of float, optional
        Forward probability per open stage; default from the stages' probabilities.
    transitions : array-like, optional
        A full ``(n_stages, n_stages)`` matrix of move probabilities instead of
        ``rates``/``skip``/``fall_back``/``stall``/``reentry``; each row sums to at
        most 1 (the rest: stop) and may only use moves the funnel allows. The
        diagonal means staying put, i.e. stopping, so a matrix with identity rows for
        WON and LOST (as :meth:`salesfunnel.planner.MarkovModel.from_matrix` takes)
        works as it is.
    skip, fall_back, stall, reentry : float, optional
        See :func:`transition_matrix`; by default 0.1 / 0.05 / 0 / 0.3 where allowed.
    referrals : float, optional
        Expanding funnels only: the mean number of new entities (Poisson) each entity
        refers when it first reaches ``referral_stage``; referred entities may refer
        too. Default 0.5 for an expanding funnel, else 0.
    referral_stage : str, optional
        The stage at which entities refer others (default: the WON stage).
    referral_entry : str, optional
        The open stage referred entities enter at (default: the first stage).
    days_in_stage : float, sequence or mapping
        Mean days in a stage before the next move: one number, one per stage, or a
        mapping of stage name to days (unnamed stages: 14).
    amount : float, (mean, sigma), callable or None
        Deal value per entity (the same on all its events): a constant, a lognormal
        with that mean and log-sd (default: the seed's 30,000 per contract, sigma 0.5),
        ``f(rng, size) -> array``, or ``None`` for no amount column.
    segments : mapping, optional
        Segment columns drawn per entity: ``{"region": ["north", "south"]}`` (uniform)
        or ``{"channel": {"ads": 0.7, "referral": 0.3}}`` (weights). With referrals an
        ``"origin"`` segment (``"direct"``/``"referred"``) is added.
    until : datetime or str, optional
        Drop events after this time (entities in progress stay open).
    max_steps : int
        Moves per entity at most (guards against endless fall-back/re-entry loops).
    max_entities : int, optional
        Stop creating referred entities past this total (default ``10 * n``).
    rng : None, int or numpy.random.Generator
        Randomness; the same seed gives the same log.
    journeys : bool
        Also return the entities as :class:`~salesfunnel.Journey` objects (at most
        10,000 entities).
    effects : mapping, optional
        Attribute-dependent rates: ``{"channel": {"referral": 3.0}}`` multiplies the odds
        of every forward move of an entity whose ``channel`` is ``"referral"`` by 3
        (factors of several segments multiply). Each column must be one of
        ``segments``; not with ``transitions`` or referrals. An entity's true win
        probability is then that of ``transition_matrix(..., odds=factor)``.

    Returns
    -------
    EventLog, or (EventLog, list of Journey) with ``journeys=True``
        Entity ids are integers in order of entry (direct entities ``0 .. n-1``, then
        each generation of referrals); entities whose first event falls after
        ``until`` are left out.

    Raises
    ------
    InvalidParameterError
        Naming the parameter and the value.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> f = Funnel("deals", [Stage("lead", probability=0.2), Stage("demo", probability=0.5),
    ...                      Stage("won", kind="won"), Stage("lost", kind="lost")])
    >>> log = simulate(f, n=1000, rng=7)
    >>> log.n_entities, log.stage_names
    (1000, ('lead', 'demo', 'won', 'lost'))
    >>> won = np.unique(log.entity[log.stage == 2]).size
    >>> 150 < won < 250  # 20 % of leads win: lead -> demo 40 %, demo -> won 50 %
    True
    >>> log2, journeys = simulate(f, n=3, rng=7, journeys=True)
    >>> [len(j.history) for j in journeys] == np.bincount(log2.entity).tolist()
    True
    """
    if not isinstance(funnel, Funnel):
        raise _bad("funnel", funnel, "a Funnel")
    n = check_int("n", n, where="simulate", low=0, high=MAX_N,
                  expected=f"an integer in [0, {MAX_N:,}]")
    max_steps = check_int("max_steps", max_steps, where="simulate", low=1)
    gen = generator(rng)
    start_ns = to_ns(start, parameter="start")
    if abs(start_ns) > _MAX_NS:
        raise _bad("start", start, "a time between 1678 and 2261 (int64 nanoseconds)")
    spread_ns = check_number("spread_days", spread_days, where="simulate", low=0.0,
                             expected="a number of days >= 0") * NS_PER_DAY
    if start_ns + spread_ns > _MAX_NS:
        raise _bad("spread_days", spread_days,
                   "a number of days >= 0 that ends before 2261 (int64 nanoseconds)")
    until_ns = None if until is None else min(to_ns(until, parameter="until"), _MAX_NS)
    if transitions is not None:
        given = {k: v for k, v in (("rates", rates), ("skip", skip), ("fall_back", fall_back),
                                   ("stall", stall), ("reentry", reentry)) if v is not None}
        if given:
            raise InvalidParameterError(
                f"simulate takes either 'transitions' (a full matrix) or {sorted(given)}, "
                "not both",
                parameter=sorted(given)[0], value=next(iter(given.values())),
            )
        matrix = _check_matrix(funnel, transitions)
    else:
        matrix = transition_matrix(funnel, rates=rates, skip=skip, fall_back=fall_back,
                                   stall=stall, reentry=reentry)
    mean_ns = _days(funnel, days_in_stage) * NS_PER_DAY
    # Referrals.
    if referrals is None:
        n_ref = _DEFAULT_REFERRALS if funnel.expanding else 0.0
    else:
        n_ref = check_number("referrals", referrals, where="simulate", low=0.0,
                             expected="a mean number of referrals >= 0")
        if n_ref > 0 and not funnel.expanding:
            raise InvalidParameterError(
                f"the 'referrals' parameter of simulate is {n_ref:g}, but funnel "
                f"{funnel.name!r} is not expanding (Funnel(..., expanding=True)); only "
                "expanding funnels grow by referral",
                parameter="referrals", value=referrals,
            )
    ref_stage = funnel.won_index if referral_stage is None else _stage(funnel, referral_stage,
                                                                     "referral_stage")
    entry = 0 if referral_entry is None else _stage(funnel, referral_entry, "referral_entry")
    if not funnel.stages[entry].is_open:
        raise _bad("referral_entry", referral_entry, "an OPEN stage")
    if max_entities is None:
        cap = 10 * n
    else:
        cap = check_int("max_entities", max_entities, where="simulate", low=0,
                        expected="an integer >= 0 or None")
    seg_specs = _segment_specs(segments)
    effect_odds = _effects(effects, seg_specs)
    if effect_odds is not None and (transitions is not None or n_ref > 0):
        raise _bad("effects", effects, "effects with rates (not 'transitions') and without "
                   "referrals")

    n_stages = len(funnel.stages)
    stop = n_stages
    full = np.zeros((n_stages, n_stages + 1))
    full[:, :n_stages] = matrix
    full[:, stop] = np.clip(1.0 - matrix.sum(axis=1), 0.0, 1.0)
    cum = np.cumsum(full, axis=1)
    cum[:, -1] = 1.0
    cum_flat = (cum + np.arange(n_stages)[:, None]).ravel()
    final = full[:, stop] >= 1.0
    final = np.append(final, True)  # the stop state itself

    entry_ns = start_ns + (gen.random(n) * spread_ns).astype(np.int64)
    stage0 = np.zeros(n, dtype=np.int64)
    cut = until_ns is not None
    drawn: list[npt.NDArray[np.int32]] = []
    if effect_odds is None:
        ents, stgs, tss = _walk(stage0, entry_ns, 0, cum_flat, stop, final, mean_ns,
                                max_steps, gen, cut)
    else:
        # Attribute-dependent rates: draw the segments first, then walk each group of
        # entities sharing an odds factor with its own matrix.
        drawn = [gen.choice(len(c), size=n, p=w).astype(np.int32) for _, c, w in seg_specs]
        factor = np.ones(n)
        for (name, _, _), codes in zip(seg_specs, drawn, strict=True):
            factor *= effect_odds[name][codes]
        ents, stgs, tss = [], [], []
        for f in np.unique(factor):
            members = np.flatnonzero(factor == f)
            m_f = transition_matrix(funnel, rates=rates, skip=skip, fall_back=fall_back,
                                    stall=stall, reentry=reentry, odds=float(f))
            full_f = np.zeros((n_stages, n_stages + 1))
            full_f[:, :n_stages] = m_f
            full_f[:, stop] = np.clip(1.0 - m_f.sum(axis=1), 0.0, 1.0)
            cum_f = np.cumsum(full_f, axis=1)
            cum_f[:, -1] = 1.0
            flat_f = (cum_f + np.arange(n_stages)[:, None]).ravel()
            fin_f = np.append(full_f[:, stop] >= 1.0, True)
            e_f, s_f, t_f = _walk(stage0[members], entry_ns[members], 0, flat_f, stop, fin_f,
                                  mean_ns, max_steps, gen, cut)
            ents += [members[x] for x in e_f]
            stgs += s_f
            tss += t_f
    total = n
    if n_ref > 0:
        cohort = (ents, stgs, tss)
        while True:
            e = np.concatenate(cohort[0])
            s = np.concatenate(cohort[1])
            t = np.concatenate(cohort[2])
            hit = s == ref_stage
            if until_ns is not None:
                hit &= t <= until_ns
            who, idx = np.unique(e[hit], return_index=True)
            when = t[hit][idx]
            kids = gen.poisson(n_ref, who.size)
            room = cap - total
            if room <= 0 or kids.sum() == 0:
                break
            kid_times = np.repeat(when, kids)[:room]
            delay = _in_range(kid_times, gen.standard_exponential(kid_times.size)
                              * mean_ns[ref_stage], cut)
            kid_start = (kid_times + delay)[delay >= 0]
            m = kid_start.size
            cohort = _walk(np.full(m, entry, dtype=np.int64), kid_start, total, cum_flat, stop,
                           final, mean_ns, max_steps, gen, cut)
            ents += cohort[0]
            stgs += cohort[1]
            tss += cohort[2]
            total += m
    entity = np.concatenate(ents) if ents else np.zeros(0, np.int64)
    stage = np.concatenate(stgs) if stgs else np.zeros(0, np.int64)
    ts = np.concatenate(tss) if tss else np.zeros(0, np.int64)
    per_entity_amount = _amounts(amount, gen, total)
    seg_cols: dict[str, Segment] = {}
    for i, (name, categories, weights) in enumerate(seg_specs):
        codes = (drawn[i] if drawn else
                 gen.choice(len(categories), size=total, p=weights).astype(np.int32))
        seg_cols[name] = Segment(codes[entity], categories)
    if n_ref > 0:
        origin = np.zeros(total, dtype=np.int32)
        origin[n:] = 1
        seg_cols.setdefault("origin", Segment(origin[entity], np.asarray(["direct", "referred"])))
    if until_ns is not None:
        keep = ts <= until_ns
        entity, stage, ts = entity[keep], stage[keep], ts[keep]
        seg_cols = {k: Segment(v.codes[keep], v.categories) for k, v in seg_cols.items()}
    log = EventLog.from_arrays(
        funnel, entity=entity, stage=stage, ts=ts, unit="ns",
        amount=None if per_entity_amount is None else per_entity_amount[entity],
        segments=seg_cols,
    )
    if not journeys:
        return log
    if log.n_entities > MAX_JOURNEYS:
        raise InvalidParameterError(
            f"journeys=True builds Python objects for at most {MAX_JOURNEYS:,} entities; "
            f"this simulation has {log.n_entities:,}",
            parameter="journeys", value=journeys,
        )
    return log, _journeys(log)


def _effects(value: Any, specs: list[tuple[str, np.ndarray[Any, Any], npt.NDArray[np.float64]]]
             ) -> dict[str, npt.NDArray[np.float64]] | None:
    """Per effect column: the odds factor of each of its categories (1 where unnamed)."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise _bad("effects", value, "a mapping of segment name to {value: odds factor}")
    cats = {name: list(c.tolist()) for name, c, _ in specs}
    out = {}
    for name, factors in value.items():
        if name not in cats:
            raise _bad("effects", value, f"segment columns drawn by 'segments'; {name!r} is "
                       f"not one (options: {listing(str(name), list(cats))})")
        if not isinstance(factors, Mapping):
            raise _bad("effects", value, f"a mapping of value to odds factor for {name!r}")
        arr = np.ones(len(cats[name]))
        for v, f in factors.items():
            if v not in cats[name]:
                raise _bad("effects", value, f"values of segment {name!r}; {v!r} is not one "
                           f"(options: {listing(str(v), [str(c) for c in cats[name]])})")
            arr[cats[name].index(v)] = check_number("effects", f, where="simulate", low=0.0,
                                                    low_open=True)
        out[name] = arr
    for name in cats:
        out.setdefault(name, np.ones(len(cats[name])))
    return out


def _stage(funnel: Funnel, name: Any, parameter: str) -> int:
    try:
        return funnel.index(name)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"the {parameter!r} parameter of simulate: {exc}",
                                    parameter=parameter, value=name) from None




def _journeys(log: EventLog) -> list[Journey]:
    funnel = log.funnel
    names = funnel.names
    srt = log.sorted_by_entity_time()
    out = []
    for e in range(log.n_entities):
        lo, hi = int(srt.bounds[e]), int(srt.bounds[e + 1])
        records = []
        prev: str | None = None
        for i in range(lo, hi):
            to = names[int(srt.stage[i])]
            ns = int(srt.ts[i])
            at = datetime.fromtimestamp(ns // 10**9, tz=UTC).replace(
                microsecond=(ns % 10**9) // 1000)
            kind = "start" if prev is None else funnel.moves(prev)[to]
            records.append(TransitionRecord(prev, to, at, kind=kind))
            prev = to
        subject: dict[str, Any] = {}
        if log.amount is not None:
            subject["amount"] = float(log.amount[srt.order[lo]])
        for name, seg in log.segments.items():
            value = seg.categories[seg.codes[srt.order[lo]]]
            subject[name] = value.item() if isinstance(value, np.generic) else value
        out.append(Journey.replay(funnel, records, subject=subject, id=log.ids[e].item()))
    return out
