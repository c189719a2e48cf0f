"""Every public entry point reports a bad argument the same way.

The message starts with "The '<parameter>' parameter", shows the offending value, and
the error is an :class:`InvalidParameterError` naming both (numbers too large for a
float included: they give the library's error, not ``OverflowError``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from salesfunnel import EventLog, Funnel, Stage, templates
from salesfunnel.errors import InvalidParameterError, PlanError
from salesfunnel.metrics import compare, conversion, pipeline, survival, timing
from salesfunnel.planner import MarkovModel, forecast, forward, levers, reverse
from salesfunnel.simulation import simulate
from salesfunnel.testing import event_logs, funnels, journeys, rules

F = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
                 Stage("lost", kind="lost")])
LOG = EventLog.from_arrays(F, entity=[1, 1, 2], stage=[0, 2, 0], ts=[0, 2, 1], unit="D")
AS_OF = "2026-01-01T00:00Z"
HUGE = 10**400
NAN = float("nan")

PLAN = {"target": 1_000.0, "deal_size": 10.0, "win_rate": 0.2}
FLOW = {"inflow": 100.0, "deal_size": 10.0, "win_rate": 0.2}
LEVERS = {"opportunities": 100.0, "win_rate": 0.2, "deal_size": 10.0, "cycle_days": 30.0}
FORECAST = {"as_of": AS_OF, "horizon": 30.0, "n_sims": 10, "rng": 1}


def _conversion(**kw: Any) -> Any:
    return conversion(LOG, **kw)


def _timing(**kw: Any) -> Any:
    return timing(LOG, **kw)


def _pipeline(**kw: Any) -> Any:
    return pipeline(LOG, as_of=AS_OF, **kw)


def _survival(**kw: Any) -> Any:
    return survival(LOG, as_of=AS_OF, **kw)


def _compare(**kw: Any) -> Any:
    return compare(LOG, LOG, **kw)


def _reverse(**kw: Any) -> Any:
    return reverse(**{**PLAN, **kw})


def _forward(**kw: Any) -> Any:
    return forward(**{**FLOW, **kw})


def _levers(**kw: Any) -> Any:
    return levers(**{**LEVERS, **kw})


def _forecast(**kw: Any) -> Any:
    return forecast(LOG, **{**FORECAST, **kw})


def _markov(**kw: Any) -> Any:
    return MarkovModel(**kw).fit(LOG)


def _simulate(**kw: Any) -> Any:
    return simulate(F, **{"n": 5, "rng": 1, **kw})


def _register(**kw: Any) -> Any:
    return templates.register(**{"name": "fine-name", "factory": lambda: F, **kw})


BAD: list[tuple[Callable[..., Any], str, Any]] = [
    (_conversion, "level", 1.5),
    (_conversion, "level", NAN),
    (_conversion, "level", True),
    (_conversion, "level", "x"),
    (_conversion, "level", HUGE),
    (_conversion, "ci", "x"),
    (_conversion, "ci", True),
    (_conversion, "semantic", "x"),
    (_conversion, "semantic", -1),
    (_timing, "percentiles", [HUGE]),
    (_timing, "percentiles", [NAN]),
    (_timing, "percentiles", [True]),
    (_timing, "percentiles", "x"),
    (_timing, "percentiles", [-1]),
    (_pipeline, "target", HUGE),
    (_pipeline, "target", NAN),
    (_pipeline, "target", True),
    (_pipeline, "target", "x"),
    (_pipeline, "target", -1),
    (_compare, "prior", (1, HUGE)),
    (_compare, "prior", (NAN, 1)),
    (_compare, "prior", (True, 1)),
    (_compare, "prior", "x"),
    (_compare, "prior", (-1, 1)),
    (_compare, "level", HUGE),
    (_survival, "lost", "x"),
    (_survival, "lost", True),
    (_survival, "level", HUGE),
    (_reverse, "target", HUGE),
    (_reverse, "target", NAN),
    (_reverse, "target", -1),
    (_reverse, "deal_size", True),
    (_reverse, "deal_size", "x"),
    (_reverse, "win_rate", HUGE),
    (_reverse, "periods", HUGE),
    (_reverse, "periods", True),
    (_reverse, "periods", 1.5),
    (_reverse, "periods", -1),
    (_reverse, "unit", -1),
    (_forward, "inflow", HUGE),
    (_forward, "inflow", NAN),
    (_forward, "inflow", -1),
    (_forward, "periods", "x"),
    (_levers, "opportunities", HUGE),
    (_levers, "cycle_days", NAN),
    (_levers, "win_rate", True),
    (_levers, "deal_size", "x"),
    (_levers, "step", -1),
    (_levers, "target", HUGE),
    (_forecast, "horizon", HUGE),
    (_forecast, "horizon", NAN),
    (_forecast, "n_sims", True),
    (_forecast, "n_sims", -1),
    (_forecast, "target", "x"),
    (_forecast, "rng", -1),
    (_forecast, "rng", "x"),
    (_markov, "smoothing", HUGE),
    (_markov, "smoothing", NAN),
    (_markov, "smoothing", True),
    (_markov, "smoothing", "x"),
    (_markov, "smoothing", -1),
    (_simulate, "n", HUGE),
    (_simulate, "n", NAN),
    (_simulate, "n", True),
    (_simulate, "n", "x"),
    (_simulate, "n", -1),
    (_simulate, "rng", -1),
    (_simulate, "rng", True),
    (_simulate, "rng", "x"),
    (_simulate, "spread_days", HUGE),
    (_simulate, "max_steps", 1.5),
    (_register, "name", "x y"),
    (_register, "name", -1),
    (_register, "replace", "x"),
    (funnels, "min_stages", HUGE),
    (funnels, "min_stages", True),
    (funnels, "max_stages", -1),
    (funnels, "cyclic", "x"),
    (rules, "max_leaves", NAN),
    (journeys, "max_steps", -1),
    (event_logs, "max_entities", "x"),
]


@pytest.mark.parametrize(
    ("call", "parameter", "value"), BAD,
    ids=[f"{c.__name__.lstrip('_')}-{p}-{str(v)[:12]}" for c, p, v in BAD],
)
def test_a_bad_argument_gets_the_one_message_shape(
    call: Callable[..., Any], parameter: str, value: Any
) -> None:
    kwargs: dict[str, Any] = {parameter: value}
    if call is journeys or call is event_logs:
        kwargs["funnel"] = F
    with pytest.raises(InvalidParameterError) as info:
        call(**kwargs)
    message = str(info.value)
    assert message.startswith(f"The {parameter!r} parameter"), message
    assert repr(value) in message
    assert info.value.parameter == parameter
    if parameter != "prior":
        assert info.value.value is value


@pytest.mark.parametrize("call", [_reverse, _forward, _levers])
def test_planner_errors_stay_plan_errors(call: Callable[..., Any]) -> None:
    with pytest.raises(PlanError, match=r"^The 'deal_size' parameter of \w+ must be "):
        call(deal_size=HUGE)
