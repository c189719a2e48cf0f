"""Bilingual text: a small immutable mapping from language code to text."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from salesfunnel.errors import InvalidParameterError

__all__ = ["Labels", "to_labels"]


class Labels(Mapping[str, str]):
    """Text in one or more languages, e.g. ``{"en": "Qualified", "zh": "有效客户"}``.

    Immutable and hashable. :meth:`text` picks a language with a fallback, and
    ``str(labels)`` gives the English text (or the first language given).

    Examples
    --------
    >>> label = Labels({"en": "Qualified", "zh": "有效客户"})
    >>> label.text("zh"), label.text("fr"), str(label)
    ('有效客户', 'Qualified', 'Qualified')
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        items: dict[str, str] = {}
        for lang, text in (data or {}).items():
            if not isinstance(lang, str) or not isinstance(text, str):
                raise InvalidParameterError(
                    f"labels map language codes to text; got {lang!r}: {text!r}",
                    parameter="label",
                    value=data,
                )
            items[lang] = text
        self._data = items
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._data) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Labels({self._data!r})"

    def __str__(self) -> str:
        return self.text()

    def text(self, lang: str = "en", default: str = "") -> str:
        """The text in ``lang``, else English, else the first language, else ``default``."""
        if lang in self._data:
            return self._data[lang]
        if "en" in self._data:
            return self._data["en"]
        return next(iter(self._data.values()), default)

    def to_dict(self) -> dict[str, str]:
        """A plain ``dict`` copy, JSON-safe."""
        return dict(self._data)


def to_labels(value: Any) -> Labels:
    """Normalise ``None``, a string or a mapping into :class:`Labels` (``str`` means English)."""
    if isinstance(value, Labels):
        return value
    if value is None:
        return Labels()
    if isinstance(value, str):
        return Labels({"en": value}) if value else Labels()
    if isinstance(value, Mapping):
        return Labels(value)
    raise InvalidParameterError(
        f"a label is a string or a mapping of language to text; got {type(value).__name__} "
        f"{value!r}",
        parameter="label",
        value=value,
    )
