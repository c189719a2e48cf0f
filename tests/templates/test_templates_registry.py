"""The template registry: names, fresh funnels, duplicates, unknown names, lazy plugins."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

from salesfunnel import (
    DefinitionError,
    Funnel,
    FunnelError,
    InvalidParameterError,
    Stage,
    UnknownTemplateError,
    templates,
)
from salesfunnel.templates import _registry
from salesfunnel.templates._registry import Registry
from template_support import BUILTIN

GROUP = "salesfunnel.templates"


def mini(name: str = "mini") -> Callable[[], Funnel]:
    def factory() -> Funnel:
        return Funnel(name, ["lead", Stage("won", kind="won")])

    return factory


class EntryPoints:
    """A stand-in for ``importlib.metadata.entry_points`` that counts its calls."""

    def __init__(self, *points: tuple[str, str]) -> None:
        self.points = [importlib.metadata.EntryPoint(n, v, GROUP) for n, v in points]
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> list[importlib.metadata.EntryPoint]:
        self.calls.append(kwargs)
        return [ep for ep in self.points if ep.group == kwargs.get("group")]


@pytest.fixture
def fake_plugin(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """An importable module ``sf_fake_plugin`` with good and bad factories."""
    module = types.ModuleType("sf_fake_plugin")

    def good() -> Funnel:
        return Funnel("fake", ["signup", Stage("paid", kind="won")])

    def explodes() -> Funnel:
        raise RuntimeError("database is down")

    def invalid() -> Funnel:
        return Funnel("broken", ["a", "a", Stage("won", kind="won")])

    module.good = good  # type: ignore[attr-defined]
    module.explodes = explodes  # type: ignore[attr-defined]
    module.invalid = invalid  # type: ignore[attr-defined]
    module.number = lambda: 42  # type: ignore[attr-defined]
    module.not_callable = 3.5  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sf_fake_plugin", module)
    return module


# -- public functions ------------------------------------------------------------------------
def test_names_is_a_sorted_tuple_of_the_builtins() -> None:
    names = templates.names()
    assert isinstance(names, tuple)
    assert list(names) == sorted(names)
    assert set(BUILTIN) <= set(names)
    assert len(set(names)) == len(names)


def test_get_builds_a_fresh_funnel_each_call() -> None:
    calls: list[int] = []
    registry = Registry(group="none")

    def factory() -> Funnel:
        calls.append(1)
        return mini()()

    registry.register("counted", factory)
    assert registry.get("counted") is not registry.get("counted")
    assert len(calls) == 2


def test_register_get_and_replace_through_the_module(isolated_registry: Registry) -> None:
    templates.register("mini", mini())
    assert "mini" in templates.names()
    assert templates.get("mini").names == ("lead", "won")
    with pytest.raises(DefinitionError, match="'mini' is already registered"):
        templates.register("mini", mini("other"))
    templates.register("mini", mini("other"), replace=True)
    assert templates.get("mini").name == "other"


def test_builtin_names_cannot_be_taken_without_replace(isolated_registry: Registry) -> None:
    with pytest.raises(DefinitionError) as err:
        templates.register("aida", mini())
    assert "built in" in str(err.value) and "replace=True" in str(err.value)
    assert templates.get("aida").names[0] == "awareness"
    templates.register("aida", mini("my-aida"), replace=True)
    assert templates.get("aida").name == "my-aida"


def test_builtins_report_their_origin() -> None:
    assert _registry.REGISTRY.origin("aida") == _registry.BUILTIN


# -- unknown names -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typo", "closest"),
    [
        ("aidaa", "aida"),
        ("lead-funel", "lead-funnel"),
        ("influance", "influence"),
        ("b2b-seven-stages", "b2b-seven-stage"),
        ("decision_journey", "decision-journey"),
    ],
)
def test_unknown_name_is_a_key_error_listing_the_closest_first(typo: str, closest: str) -> None:
    with pytest.raises(UnknownTemplateError) as err:
        templates.get(typo)
    assert isinstance(err.value, KeyError)
    assert isinstance(err.value, FunnelError)
    assert err.value.name == typo
    assert err.value.available[0] == closest
    assert sorted(err.value.available) == sorted(templates.names())
    assert str(err.value).startswith(f"unknown template {typo!r}; available: {closest!r}")


def test_unknown_name_in_an_empty_registry() -> None:
    with pytest.raises(UnknownTemplateError, match="available: none"):
        Registry(group="none").get("aida")


@pytest.mark.parametrize(
    ("name", "factory", "parameter"),
    [
        ("Has Spaces", mini(), "name"),
        ("", mini(), "name"),
        ("-leading", mini(), "name"),
        (42, mini(), "name"),
        ("fine", "not callable", "factory"),
        ("fine", None, "factory"),
    ],
)
def test_bad_register_arguments(name: Any, factory: Any, parameter: str) -> None:
    with pytest.raises(InvalidParameterError) as err:
        Registry(group="none").register(name, factory)
    assert err.value.parameter == parameter
    assert repr(name if parameter == "name" else type(factory).__name__)[1:-1] in str(err.value)


@pytest.mark.parametrize("replace", ["yes", 1, None])
def test_replace_must_be_a_bool(replace: Any) -> None:
    registry = Registry(group="none")
    registry.register("mini", mini())
    with pytest.raises(InvalidParameterError) as err:
        registry.register("mini", mini("other"), replace=replace)
    assert err.value.parameter == "replace"
    assert repr(replace) in str(err.value)
    assert registry.get("mini").name == "mini", "a refused call replaces nothing"


def test_registering_a_funnel_instead_of_a_factory_explains_the_fix() -> None:
    with pytest.raises(InvalidParameterError, match="lambda: funnel"):
        Registry(group="none").register("x", mini()())  # type: ignore[arg-type]


def test_get_with_a_non_string_name() -> None:
    with pytest.raises(InvalidParameterError, match="got int 3"):
        templates.get(3)  # type: ignore[arg-type]


# -- failing factories -------------------------------------------------------------------------
def test_factory_that_raises_names_the_template() -> None:
    registry = Registry(group="none")

    def boom() -> Funnel:
        raise ZeroDivisionError("division by zero")

    registry.register("boom", boom)
    with pytest.raises(DefinitionError) as err:
        registry.get("boom")
    assert "'boom'" in str(err.value) and "ZeroDivisionError" in str(err.value)
    assert isinstance(err.value.__cause__, ZeroDivisionError)


def test_factory_returning_something_else_names_what_it_returned() -> None:
    registry = Registry(group="none")
    registry.register("dict", dict)
    with pytest.raises(DefinitionError, match=r"returned dict \{\}; expected a salesfunnel"):
        registry.get("dict")


def test_factory_building_an_invalid_funnel_keeps_the_problems() -> None:
    registry = Registry(group="none")
    registry.register("twice", lambda: Funnel("twice", ["a", "a", Stage("w", kind="won")]))
    with pytest.raises(DefinitionError) as err:
        registry.get("twice")
    assert "template 'twice'" in str(err.value)
    assert any("listed more than once" in p for p in err.value.problems)


# -- entry points --------------------------------------------------------------------------------
def test_entry_points_are_read_on_first_lookup_only(
    monkeypatch: pytest.MonkeyPatch, fake_plugin: types.ModuleType
) -> None:
    fake = EntryPoints(("fake", "sf_fake_plugin:good"))
    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    registry = Registry()
    registry.register("mini", mini())
    assert fake.calls == [], "registering must not read entry points"
    assert registry.names() == ("fake", "mini")
    assert fake.calls == [{"group": GROUP}]
    assert registry.get("fake").names == ("signup", "paid")
    registry.get("mini")
    registry.names()
    assert len(fake.calls) == 1, "entry points are read once"
    assert "sf_fake_plugin" in registry.origin("fake")


def test_reset_hook_reads_entry_points_again(
    monkeypatch: pytest.MonkeyPatch, fake_plugin: types.ModuleType
) -> None:
    fake = EntryPoints()
    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    registry = Registry()
    registry.register("mini", mini())
    assert registry.names() == ("mini",)
    fake.points.append(importlib.metadata.EntryPoint("fake", "sf_fake_plugin:good", GROUP))
    assert registry.names() == ("mini",), "cached until reset"
    registry._reset_plugins()
    assert registry.names() == ("fake", "mini")
    assert len(fake.calls) == 2
    fake.points.clear()
    registry._reset_plugins()
    assert registry.names() == ("mini",), "reset forgets plugins but keeps registrations"


def test_module_level_reset_hook(
    monkeypatch: pytest.MonkeyPatch, isolated_registry: Registry, fake_plugin: types.ModuleType
) -> None:
    fake = EntryPoints(("fake", "sf_fake_plugin:good"))
    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    _registry._reset_plugins()
    assert "fake" in templates.names()
    assert templates.get("fake").name == "fake"
    fake.points.clear()
    _registry._reset_plugins()
    assert "fake" not in templates.names()
    assert set(BUILTIN) <= set(templates.names())


def test_a_plugin_module_is_imported_only_when_its_template_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = EntryPoints(("ghost", "sf_no_such_module_xyz:make"))
    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    registry = Registry()
    registry.register("mini", mini())
    assert registry.names() == ("ghost", "mini")
    assert registry.get("mini").name == "mini", "a broken plugin does not break the others"
    with pytest.raises(DefinitionError) as err:
        registry.get("ghost")
    message = str(err.value)
    assert "'ghost'" in message and "sf_no_such_module_xyz:make" in message
    assert "ModuleNotFoundError" in message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("sf_fake_plugin:explodes", ["RuntimeError", "database is down"]),
        ("sf_fake_plugin:number", ["returned int 42", "expected a salesfunnel.Funnel"]),
        ("sf_fake_plugin:not_callable", ["is a float", "expected a callable"]),
        ("sf_fake_plugin:invalid", ["listed more than once"]),
        ("sf_fake_plugin:missing_attr", ["AttributeError"]),
    ],
)
def test_a_broken_plugin_gives_a_clear_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, fake_plugin: types.ModuleType, value: str,
    words: list[str],
) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", EntryPoints(("bad-plugin", value)))
    registry = Registry()
    with pytest.raises(DefinitionError) as err:
        registry.get("bad-plugin")
    message = str(err.value)
    assert "'bad-plugin'" in message and value in message
    for word in words:
        assert word in message


def test_a_plugin_name_that_is_not_a_slug_is_reported_on_lookup(
    monkeypatch: pytest.MonkeyPatch, fake_plugin: types.ModuleType
) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        EntryPoints(("Bad Name", "sf_fake_plugin:good")))
    registry = Registry()
    assert registry.names() == ("Bad Name",)
    with pytest.raises(DefinitionError, match=r"The 'name' parameter of register "
                                              r"must be a slug .*; got 'Bad Name'\."):
        registry.get("Bad Name")


def test_a_plugin_clashing_with_a_builtin_is_an_error_until_resolved(
    monkeypatch: pytest.MonkeyPatch, isolated_registry: Registry, fake_plugin: types.ModuleType
) -> None:
    fake = EntryPoints(("aida", "sf_fake_plugin:good"), ("fake", "sf_fake_plugin:good"))
    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    _registry._reset_plugins()
    assert templates.names().count("aida") == 1
    with pytest.raises(DefinitionError) as err:
        templates.get("aida")
    message = str(err.value)
    assert "more than once" in message and "built in" in message
    assert "sf_fake_plugin:good" in message and "replace=True" in message
    assert templates.get("fake").name == "fake", "other templates still work"
    templates.register("aida", fake_plugin.good, replace=True)
    assert templates.get("aida").name == "fake"


def test_importing_salesfunnel_never_reads_entry_points() -> None:
    code = (
        "import importlib.metadata as m\n"
        "calls = []\n"
        "real = m.entry_points\n"
        "def spy(**kw):\n"
        "    calls.append(kw.get('group'))\n"
        "    return real(**kw)\n"
        "m.entry_points = spy\n"
        "import salesfunnel, salesfunnel.templates\n"
        "before = calls.count('salesfunnel.templates')\n"
        "salesfunnel.templates.names()\n"
        "print(before, calls.count('salesfunnel.templates'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "1"]


def test_registry_repr_says_whether_plugins_were_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", EntryPoints())
    registry = Registry()
    registry.register("mini", mini())
    assert "1 templates, plugins not loaded yet" in repr(registry)
    registry.names()
    assert "plugins loaded" in repr(registry)
