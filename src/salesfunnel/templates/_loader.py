"""The built-in templates are data: one JSON file per template in ``templates/data``.

Each file ``data/<name>.json`` holds exactly :meth:`Funnel.to_dict()
<salesfunnel.Funnel.to_dict>` of the template called ``<name>`` (pretty-printed, keys in
``to_dict`` order, Chinese text as is). :func:`builtins` lists the files through
:mod:`importlib.resources`, so the templates are found wherever the package is installed
(a wheel, a zip file, a source tree), and returns one :class:`JsonTemplate` factory per
file; ``salesfunnel.templates`` registers them through the same registry path as
:func:`~salesfunnel.templates.register` and the plugins.

Listing the files reads only the directory; a file is read and parsed the first time its
template is asked for, and the parsed data is kept, so each
:func:`~salesfunnel.templates.get` afterwards is one :meth:`Funnel.from_dict
<salesfunnel.Funnel.from_dict>`: a new funnel on every call.

Examples
--------
>>> factories = builtins()
>>> "b2b-seven-stage" in factories
True
>>> make = factories["aida"]
>>> make().names
('awareness', 'interest', 'desire', 'action', 'lost')
>>> make() is make()
False
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from salesfunnel.errors import DefinitionError
from salesfunnel.model._funnel import Funnel

__all__ = ["DATA", "JsonTemplate", "builtins"]

DATA = "data"
"""The folder of ``salesfunnel.templates`` that holds the built-in templates."""

SUFFIX = ".json"


class JsonTemplate:
    """A template factory reading a funnel from a JSON resource (``Funnel.to_dict()``).

    The file is read and parsed on the first call, never before; every call returns a
    new :class:`~salesfunnel.Funnel` built with :meth:`Funnel.from_dict
    <salesfunnel.Funnel.from_dict>`.

    Parameters
    ----------
    name : str
        The template's name; the funnel in the file must have this name.
    resource : importlib.resources.abc.Traversable
        The JSON file (from :func:`importlib.resources.files`).

    Raises
    ------
    DefinitionError
        When called, if the file is not valid JSON, is not a serialized funnel, or
        holds a funnel with another name.

    Examples
    --------
    >>> from importlib.resources import files
    >>> make = JsonTemplate("crm-pipeline",
    ...                     files("salesfunnel.templates") / "data" / "crm-pipeline.json")
    >>> make
    JsonTemplate('crm-pipeline', 'crm-pipeline.json')
    >>> make().won.name
    'contracts'
    """

    __slots__ = ("_data", "name", "resource")

    def __init__(self, name: str, resource: Traversable) -> None:
        self.name = name
        self.resource = resource
        self._data: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"JsonTemplate({self.name!r}, {self.resource.name!r})"

    def data(self) -> dict[str, Any]:
        """The parsed file (read once, then kept); treat it as read-only."""
        data = self._data
        if data is None:
            where = f"template file {self.resource.name!r}"
            try:
                data = json.loads(self.resource.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise DefinitionError(
                    f"cannot read {where}: {type(exc).__name__}: {exc}",
                    subject=f"template {self.name!r}",
                ) from exc
            if not isinstance(data, dict) or data.get("name") != self.name:
                got = data.get("name") if isinstance(data, dict) else type(data).__name__
                raise DefinitionError(
                    f"{where} holds {got!r}; expected the serialized funnel "
                    f"{self.name!r} (Funnel.to_dict())",
                    subject=f"template {self.name!r}",
                )
            self._data = data
        return data

    def __call__(self) -> Funnel:
        return Funnel.from_dict(self.data())


@functools.cache
def builtins() -> dict[str, JsonTemplate]:
    """One factory per ``data/*.json`` file of the package, by template name, sorted.

    Cached, so the factories are the same objects every time (registering them twice is
    recognised as the same registration).

    Returns
    -------
    dict of str to JsonTemplate
    """
    folder = files("salesfunnel.templates").joinpath(DATA)
    found = {
        entry.name[: -len(SUFFIX)]: entry
        for entry in folder.iterdir()
        if entry.name.endswith(SUFFIX) and entry.is_file()
    }
    return {name: JsonTemplate(name, found[name]) for name in sorted(found)}
