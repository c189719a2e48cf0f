"""Segment columns of an event log: integer codes into a table of categories."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["Segment", "plain"]


def plain(value: Any) -> Any:
    """A numpy scalar as the matching Python scalar (for messages and dicts)."""
    return value.item() if isinstance(value, np.generic) else value


@attrs.frozen(eq=False)
class Segment:
    """A categorical column of an :class:`EventLog`: integer codes into ``categories``.

    Attributes
    ----------
    codes : numpy.ndarray of int32
        One code per event.
    categories : numpy.ndarray
        The distinct values; ``categories[codes]`` gives the value of every event.

    Examples
    --------
    >>> import numpy as np
    >>> seg = Segment(np.array([1, 0, 1], dtype=np.int32), np.array(["ads", "web"]))
    >>> seg.values().tolist()
    ['web', 'ads', 'web']
    """

    codes: npt.NDArray[np.int32]
    categories: np.ndarray[Any, Any]

    def values(self) -> np.ndarray[Any, Any]:
        """The value of every event (``categories[codes]``)."""
        return self.categories[self.codes]

    def __len__(self) -> int:
        return len(self.codes)

    def __repr__(self) -> str:
        cats = ", ".join(repr(plain(c)) for c in self.categories[:5])
        more = ", ..." if len(self.categories) > 5 else ""
        n_cat = len(self.categories)
        return f"<Segment: {len(self.codes):,} events, {n_cat} values [{cats}{more}]>"

