"""Ready-made funnels from the source material, and plugins for your own.

:func:`get` returns a new :class:`~salesfunnel.Funnel` on every call, :func:`names` lists
what is available and :func:`register` adds a template. Every built-in template has
English and Chinese labels (``funnel.label.text("zh")``), a description of where the
model comes from, and owners, recommended actions, win probabilities and gates where
its source gives them; ``funnel.describe("zh")`` prints it in Chinese.

Built-in templates:

- ``aida``: awareness, interest, desire, action (E. St. Elmo Lewis, 1898).
- ``aidma``: attention, interest, desire, memory, action.
- ``aida-loyalty``: the five-layer marketing funnel, AIDA plus loyalty; repeat purchases
  re-enter at the action layer.
- ``tofu-mofu-bofu``: top, middle and bottom of the purchase funnel, mapped to AIDMA,
  then the purchase.
- ``influence``: continue, favour, share/refer, spread, after the purchase; expanding
  (counts may grow).
- ``lead-funnel``: awareness, consideration, conversion; cyclic, converted customers
  re-enter at awareness.
- ``crm-pipeline``: leads, follow-ups, opportunities, contracts.
- ``decision-journey``: the consumer decision journey (McKinsey, 2009): consider,
  evaluate, buy, enjoy/advocate/bond, with the loyalty loop back to buy.
- ``b2b-seven-stage``: the seven-stage B2B project funnel with win probabilities 10, 25,
  50, 75, 90 and 100 %, every checklist item (达标检查评估点) as a named gate, owners
  (客户经理, 项目小组) and the sales actions of each stage.
- ``sales-analysis-five-stage``: reach, lead, opportunity, quote, deal.
- ``jiandaoyun-seven-stage``: the seven CRM stages of the 简道云 article, from lead
  acquisition to after-sales service.
- ``product-operations``: acquisition, activation, retention, paying users.

The built-in templates are data: each is a JSON file in the package,
``salesfunnel/templates/data/<name>.json``, holding exactly ``Funnel.to_dict()``, so one
can be copied as the starting point of your own funnel
(``Funnel.from_dict(json.load(f))``). A file is read on the first :func:`get` of its
template, never at import.

In every template the open stages come first, then one WON stage (the last stage of the
source's sequence: the purchase, the signed contract, the paying user, or the
post-purchase stage where the source continues past the purchase), then the LOST stages.

Plugins: a package publishes templates in the entry-point group
``salesfunnel.templates``, each entry naming a callable without arguments that returns a
``Funnel``::

    [project.entry-points."salesfunnel.templates"]
    my-funnel = "my_package.funnels:make_funnel"

The group is read on the first lookup, never at import, and a plugin's module is
imported only when its template is asked for. A plugin can ship its funnel as JSON like
the built-ins: package data read with :mod:`importlib.resources` by that callable, e.g.
``Funnel.from_dict(json.loads(files("my_package").joinpath("my-funnel.json").read_text()))``.

Examples
--------
>>> from salesfunnel import templates
>>> templates.get("aida").names
('awareness', 'interest', 'desire', 'action', 'lost')
>>> b2b = templates.get("b2b-seven-stage")
>>> [s.probability for s in b2b.path]
[None, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
>>> b2b.stage("qualified").label.text("zh")
'确认客户意向:有效客户'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesfunnel.templates import _loader, _registry

if TYPE_CHECKING:  # pragma: no cover
    from salesfunnel.model._funnel import Funnel

__all__ = ["get", "names", "register"]


def names() -> tuple[str, ...]:
    """The names of every available template, sorted.

    Built-in templates, templates added with :func:`register`, and those of installed
    plugins (the entry-point group ``salesfunnel.templates``, read on the first call).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> from salesfunnel import templates
    >>> "b2b-seven-stage" in templates.names()
    True
    >>> list(templates.names()) == sorted(templates.names())
    True
    """
    return _registry.REGISTRY.names()


def get(name: str) -> Funnel:
    """A new funnel built from the template called ``name``.

    Parameters
    ----------
    name : str
        A name listed by :func:`names`, such as ``"aida"`` or ``"b2b-seven-stage"``.

    Returns
    -------
    Funnel
        A fresh funnel on every call.

    Raises
    ------
    UnknownTemplateError
        If there is no such template (also a ``KeyError``); the message lists the
        valid names, closest first.
    DefinitionError
        If a registered factory or plugin fails to load, raises, or returns something
        other than a ``Funnel``; the message names the template and where it comes
        from.
    InvalidParameterError
        If ``name`` is not a string.

    Examples
    --------
    >>> from salesfunnel import templates
    >>> journey = templates.get("decision-journey")
    >>> journey.reentry, journey.won.name
    ('buy', 'enjoy-advocate-bond')
    >>> templates.get("aidaa")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.UnknownTemplateError: unknown template 'aidaa'; available: 'aida', ...
    """
    return _registry.REGISTRY.get(name)


def register(name: str, factory: _registry.Factory, *, replace: bool = False) -> None:
    """Add a template: ``factory()`` is called on every :func:`get` of ``name``.

    Parameters
    ----------
    name : str
        A slug: lowercase letters, digits, ``-`` and ``_``.
    factory : callable
        Takes no arguments and returns a new :class:`~salesfunnel.Funnel`.
    replace : bool, default False
        Replace a template of the same name (a built-in one, or a plugin's).

    Raises
    ------
    DefinitionError
        If ``name`` is already taken and ``replace`` is false.
    InvalidParameterError
        If ``name`` is not a slug, ``factory`` is not callable or ``replace`` is not a
        bool.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage, templates
    >>> def my_pipeline():
    ...     return Funnel("my-pipeline", ["lead", "demo", Stage("won", kind="won")])
    >>> templates.register("my-pipeline", my_pipeline)
    >>> templates.get("my-pipeline").names
    ('lead', 'demo', 'won')
    >>> templates.register("my-pipeline", my_pipeline)
    Traceback (most recent call last):
    ...
    salesfunnel.errors.DefinitionError: invalid definition of template 'my-pipeline': ...
    >>> templates.register("my-pipeline", my_pipeline, replace=True)
    """
    _registry.REGISTRY.register(name, factory, replace=replace)


def _register_builtins() -> None:
    # Through the same method as register() and the plugins; skipping what is already
    # there keeps a second execution of this module (some test runners import package
    # files again under another name) from clashing with the first (the loader's
    # factories are cached, so they are the same objects).
    for name, factory in _loader.builtins().items():
        if not _registry.REGISTRY._has(name, factory):
            _registry.REGISTRY._register(name, factory, replace=False, origin=_registry.BUILTIN)


_register_builtins()
