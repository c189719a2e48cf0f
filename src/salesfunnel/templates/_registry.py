"""The one template registry: built-ins and plugins register through the same path.

A template is a name and a *factory*: a callable without arguments that returns a new
:class:`~salesfunnel.Funnel`. The built-in templates are JSON files (``data/*.json``,
read by ``_loader``, one factory per file), and ``salesfunnel.templates`` passes their
factories to the same registration method a user (:meth:`Registry.register`) or a
plugin goes through.

Third-party packages publish templates in the entry-point group ``salesfunnel.templates``::

    [project.entry-points."salesfunnel.templates"]
    my-funnel = "my_package.funnels:make_funnel"

The group is read lazily, on the first lookup (:meth:`Registry.names` or
:meth:`Registry.get`), never at import; an entry point's object is imported only when
its template is asked for, so a broken plugin cannot break the other templates. A plugin
whose name is already taken (by a built-in, by :func:`register`, or by another plugin) is
not silently dropped: asking for that name raises a :class:`~salesfunnel.DefinitionError`
naming every provider, until one is chosen with ``register(name, factory, replace=True)``.

Tests that install plugins at run time reset the lazy-load cache with the private hook
:func:`_reset_plugins` (the default registry) or :meth:`Registry._reset_plugins`.

Examples
--------
>>> from salesfunnel import Funnel, Stage
>>> registry = Registry()
>>> registry.register("mini", lambda: Funnel("mini", ["lead", Stage("won", kind="won")]))
>>> registry.names()
('mini',)
>>> registry.get("mini") is registry.get("mini")
False
"""

from __future__ import annotations

import importlib.metadata
import threading
from collections.abc import Callable
from typing import Any

import attrs

from salesfunnel._util._suggest import closest
from salesfunnel._util._validate import check_bool, invalid
from salesfunnel.errors import DefinitionError, InvalidParameterError, UnknownTemplateError
from salesfunnel.model._funnel import Funnel
from salesfunnel.model._stage import SLUG

__all__ = ["GROUP", "Registry"]

GROUP = "salesfunnel.templates"
"""The entry-point group third-party packages publish templates in."""

Factory = Callable[[], Funnel]

BUILTIN = "built in"
REGISTERED = "registered with register()"


@attrs.frozen
class _Entry:
    """One registered template: where it comes from and how to get its factory."""

    name: str
    origin: str
    load: Callable[[], Any]
    plugin: bool = False
    conflicts: tuple[str, ...] = ()
    factory: Any = None


def _check_name(name: Any, *, where: str = "register") -> str:
    """``name`` when it is a template slug, else :class:`InvalidParameterError`."""
    if not isinstance(name, str) or not SLUG.match(name):
        raise invalid("name", name, "a slug of lowercase letters, digits, '-' and '_' (e.g. "
                      "'b2b-seven-stage')", where=where)
    return name


def _describe_entry_point(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    where = ""
    if dist is not None:
        try:
            where = f" from distribution {dist.name} {dist.version}"
        except Exception:  # pragma: no cover - malformed metadata
            where = ""
    return f"plugin entry point {ep.name!r} = {ep.value!r}{where}"


class Registry:
    """Template names mapped to factories, with entry points loaded on first lookup.

    Parameters
    ----------
    group : str
        The entry-point group to read plugins from (default ``"salesfunnel.templates"``).

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> registry = Registry(group="no-such-group")
    >>> registry.register("mini", lambda: Funnel("mini", ["lead", Stage("won", kind="won")]))
    >>> registry.get("mini").names
    ('lead', 'won')
    """

    def __init__(self, *, group: str = GROUP) -> None:
        self.group = group
        self._entries: dict[str, _Entry] = {}
        self._plugins_loaded = False
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        state = "plugins loaded" if self._plugins_loaded else "plugins not loaded yet"
        return f"<Registry group={self.group!r}: {len(self._entries)} templates, {state}>"

    # -- registration ----------------------------------------------------------------------
    def register(self, name: str, factory: Factory, *, replace: bool = False) -> None:
        """Register ``factory`` under ``name``.

        Parameters
        ----------
        name : str
            A slug (lowercase letters, digits, ``-``, ``_``).
        factory : callable
            Called without arguments on every :meth:`get`; returns a new ``Funnel``.
        replace : bool
            Allow replacing a template that already has this name.

        Raises
        ------
        DefinitionError
            If ``name`` is taken and ``replace`` is false.
        InvalidParameterError
            If ``name`` is not a slug, ``factory`` is not callable or ``replace`` is not
            a bool.
        """
        self._register(name, factory, replace=replace, origin=REGISTERED)

    def _register(self, name: str, factory: Factory, *, replace: bool, origin: str) -> None:
        _check_name(name)
        check_bool("replace", replace, where="register")
        if not callable(factory):
            hint = (
                "; pass a function returning it, e.g. lambda: funnel"
                if isinstance(factory, Funnel) else ""
            )
            raise InvalidParameterError(
                f"the factory of template {name!r} must be a callable returning a Funnel; "
                f"got {type(factory).__name__}{hint}",
                parameter="factory",
                value=factory,
            )
        with self._lock:
            old = self._entries.get(name)
            if old is not None and not replace:
                raise DefinitionError(
                    f"template {name!r} is already registered ({old.origin}); pass "
                    "replace=True to replace it",
                    subject=f"template {name!r}",
                )
            self._entries[name] = _Entry(name, origin, lambda: factory, factory=factory)

    def _has(self, name: str, factory: Factory) -> bool:
        """Whether ``name`` is registered with this very ``factory``."""
        entry = self._entries.get(name)
        return entry is not None and entry.factory is factory

    # -- plugins -----------------------------------------------------------------------------
    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        with self._lock:
            if self._plugins_loaded:
                return
            for ep in importlib.metadata.entry_points(group=self.group):
                origin = _describe_entry_point(ep)
                old = self._entries.get(ep.name)
                if old is not None:
                    self._entries[ep.name] = attrs.evolve(
                        old, conflicts=(*old.conflicts, origin)
                    )
                    continue
                try:
                    _check_name(ep.name)
                except InvalidParameterError as exc:
                    self._entries[ep.name] = _Entry(
                        ep.name, origin, _raiser(ep.name, origin, str(exc)), plugin=True
                    )
                    continue
                self._entries[ep.name] = _Entry(ep.name, origin, ep.load, plugin=True)
            self._plugins_loaded = True

    def _reset_plugins(self) -> None:
        """Forget what was read from entry points; the next lookup reads them again.

        A private hook for tests that install or remove plugin distributions at run
        time. Templates registered with :meth:`register` are kept.
        """
        with self._lock:
            self._entries = {
                name: attrs.evolve(entry, conflicts=())
                for name, entry in self._entries.items()
                if not entry.plugin
            }
            self._plugins_loaded = False

    def _copy(self) -> Registry:
        """An independent registry with the same entries (for tests)."""
        new = Registry(group=self.group)
        with self._lock:
            new._entries = dict(self._entries)
            new._plugins_loaded = self._plugins_loaded
        return new

    # -- lookup -------------------------------------------------------------------------------
    def names(self) -> tuple[str, ...]:
        """Every registered template name, sorted (reads entry points on first use)."""
        self._load_plugins()
        return tuple(sorted(self._entries))

    def origin(self, name: str) -> str:
        """Where template ``name`` comes from (built in, ``register()``, or a plugin)."""
        return self._entry(name).origin

    def _entry(self, name: str) -> _Entry:
        if not isinstance(name, str):
            raise InvalidParameterError(
                f"a template name is a str; got {type(name).__name__} {name!r}",
                parameter="name",
                value=name,
            )
        self._load_plugins()
        entry = self._entries.get(name)
        if entry is None:
            known = sorted(self._entries)
            raise UnknownTemplateError(name, closest(name, known) if known else ())
        return entry

    def get(self, name: str) -> Funnel:
        """A new :class:`~salesfunnel.Funnel` built by the factory registered as ``name``.

        Raises
        ------
        UnknownTemplateError
            If no template has this name (also a ``KeyError``); lists the valid
            names, closest first.
        DefinitionError
            If the factory cannot be loaded, raises, or returns something other than a
            ``Funnel``, or several plugins claim the name; the message names the
            template and where it comes from.
        """
        entry = self._entry(name)
        if entry.conflicts:
            providers = "; ".join((entry.origin, *entry.conflicts))
            raise DefinitionError(
                f"template {name!r} is provided more than once ({providers}); uninstall "
                "one, or choose with register(name, factory, replace=True)",
                subject=f"template {name!r}",
            )
        try:
            factory = entry.load()
        except DefinitionError:
            raise
        except Exception as exc:
            raise DefinitionError(
                f"cannot load template {name!r} ({entry.origin}): "
                f"{type(exc).__name__}: {exc}",
                subject=f"template {name!r}",
            ) from exc
        if not callable(factory):
            raise DefinitionError(
                f"template {name!r} ({entry.origin}) is a {type(factory).__name__}; "
                "expected a callable returning a Funnel",
                subject=f"template {name!r}",
            )
        try:
            funnel = factory()
        except DefinitionError as exc:
            raise DefinitionError(
                exc.problems, subject=f"template {name!r} ({entry.origin})"
            ) from exc
        except Exception as exc:
            raise DefinitionError(
                f"the factory of template {name!r} ({entry.origin}) raised "
                f"{type(exc).__name__}: {exc}",
                subject=f"template {name!r}",
            ) from exc
        if not isinstance(funnel, Funnel):
            raise DefinitionError(
                f"the factory of template {name!r} ({entry.origin}) returned "
                f"{type(funnel).__name__} {funnel!r}; expected a salesfunnel.Funnel",
                subject=f"template {name!r}",
            )
        return funnel


def _raiser(name: str, origin: str, message: str) -> Callable[[], Any]:
    def fail() -> Any:
        raise DefinitionError(f"{origin}: {message}", subject=f"template {name!r}")

    return fail


REGISTRY = Registry()
"""The registry behind :mod:`salesfunnel.templates`."""


def _reset_plugins() -> None:
    """Private hook for tests: forget the entry points read by the default registry.

    The next :func:`salesfunnel.templates.names` or :func:`~salesfunnel.templates.get`
    reads the ``salesfunnel.templates`` entry-point group again, so a plugin installed
    (or removed) while the process runs becomes visible (or disappears).
    """
    REGISTRY._reset_plugins()
