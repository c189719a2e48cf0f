"""Conventions every metric result follows, and the :class:`Breakdown` of ``by=``.

Every result is a frozen attrs class that

- holds its aggregates as plain tuples (so results compare with ``==`` and hash),
  deriving rates and intervals on access;
- has ``to_dict()`` (JSON-safe), ``to_pandas()`` (needs the ``pandas`` extra), a
  plain-text ``__str__`` table and a ``__repr__`` that says what it holds;
- when its aggregates are additive, has ``merge(other)``: results computed over
  entity-partitioned chunks merge into the result over the whole.

``by="column"`` on a metric returns a :class:`Breakdown`: a read-only mapping from each
segment value to that group's result, itself mergeable when the results are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, Protocol, Self, TypeVar

import attrs
import numpy as np

from salesfunnel._optional import import_optional
from salesfunnel.errors import InvalidParameterError

__all__ = [
    "Breakdown",
    "Mergeable",
    "check_same",
    "format_count",
    "format_pct",
    "format_table",
    "int_rows",
    "ints",
    "json_value",
    "strs",
]

DASH = "—"


def format_pct(value: float, digits: int = 1) -> str:
    """``0.4`` -> ``'40.0%'``; NaN -> ``'—'``."""
    if value is None or not math.isfinite(value):
        return DASH
    return f"{100.0 * value:.{digits}f}%"


def format_count(value: float) -> str:
    """``1234`` -> ``'1,234'``; NaN -> ``'—'``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    return f"{int(value):,}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]],
                 *, left: int = 1) -> str:
    """Aligned plain-text table: the first ``left`` columns left-aligned, others right.

    Examples
    --------
    >>> print(format_table(["stage", "count"], [["lead", "10"], ["won", "2"]]))
    stage  count
    -----  -----
    lead      10
    won        2
    """
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = [c.ljust(w) if i < left else c.rjust(w)
               for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]),
                      *(line(r) for r in rows)])


def json_value(value: Any) -> Any:
    """A JSON-safe version of a scalar: numpy scalars to Python, NaN/inf to ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def ints(values: Iterable[Any]) -> tuple[int, ...]:
    """Converter: a tuple of Python ints."""
    return tuple(int(v) for v in values)


def strs(values: Iterable[Any]) -> tuple[str, ...]:
    """Converter: a tuple of strings."""
    return tuple(str(v) for v in values)


def int_rows(rows: Iterable[Iterable[Any]]) -> tuple[tuple[int, ...], ...]:
    """Converter: a tuple of tuples of Python ints."""
    return tuple(ints(r) for r in rows)


def check_same(kind: str, field: str, mine: Any, theirs: Any) -> None:
    """Raise :class:`InvalidParameterError` when two results to merge disagree on ``field``."""
    if mine != theirs:
        raise InvalidParameterError(
            f"cannot merge {kind} results with different {field}: {mine!r} and {theirs!r}",
            parameter="other",
            value=theirs,
        )


class Mergeable(Protocol):
    """A result whose aggregates add up over entity-partitioned chunks."""

    def merge(self, other: Self) -> Self:  # pragma: no cover - protocol
        """Combine with the result over a disjoint set of entities."""
        ...


R = TypeVar("R")


@attrs.frozen(eq=True)
class Breakdown(Mapping[Any, R], Generic[R]):
    """One result per segment value, from ``by=`` on a metric.

    A read-only mapping ``value -> result`` in category order. An entity belongs to the
    group of its segment value on its first event (earliest time, then lowest stage).

    Attributes
    ----------
    by : str
        The segment column.
    results : mapping
        Segment value -> result.

    Examples
    --------
    >>> from salesfunnel import EventLog, Funnel, Stage
    >>> from salesfunnel.metrics import conversion
    >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    >>> log = EventLog.from_arrays(f, entity=[1, 1, 2, 3], stage=[0, 1, 0, 0],
    ...                            ts=[0, 1, 0, 0], unit="D",
    ...                            segments={"channel": ["ads", "ads", "web", "ads"]})
    >>> bd = conversion(log, by="channel")
    >>> bd
    <Breakdown by 'channel': 2 groups ('ads', 'web') of Conversion>
    >>> bd["ads"].counts, bd["web"].counts
    ((2, 1), (1, 0))
    """

    by: str
    results: Mapping[Any, R] = attrs.field(converter=dict)

    def __getitem__(self, key: Any) -> R:
        try:
            return self.results[key]
        except (KeyError, TypeError):
            listed = ", ".join(repr(k) for k in self.results) or "none"
            raise InvalidParameterError(
                f"no group {key!r} in the breakdown by {self.by!r}; groups: {listed}",
                parameter="key",
                value=key,
            ) from None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __contains__(self, key: object) -> bool:
        try:
            return key in self.results
        except TypeError:
            return False

    def __repr__(self) -> str:
        keys = list(self.results)
        shown = ", ".join(repr(json_value(k)) for k in keys[:5]) + (", ..." if len(keys) > 5
                                                                     else "")
        kinds = sorted({type(r).__name__ for r in self.results.values()}) or ["results"]
        return (f"<Breakdown by {self.by!r}: {len(keys)} group{'s' if len(keys) != 1 else ''}"
                f" ({shown}) of {'/'.join(kinds)}>")

    def __str__(self) -> str:
        parts = [f"{self.by} = {json_value(k)}\n{r}" for k, r in self.results.items()]
        return "\n\n".join(parts) if parts else f"(no groups by {self.by!r})"

    def merge(self, other: Breakdown[R]) -> Breakdown[R]:
        """Merge group by group (groups present in only one side are kept as they are).

        Raises
        ------
        InvalidParameterError
            If the breakdowns are by different columns, or a group's results cannot merge.
        """
        if not isinstance(other, Breakdown):
            raise InvalidParameterError(
                f"can only merge a Breakdown with a Breakdown; got {type(other).__name__}",
                parameter="other", value=other,
            )
        check_same("Breakdown", "columns", self.by, other.by)
        out: dict[Any, R] = dict(self.results)
        for key, res in other.results.items():
            out[key] = out[key].merge(res) if key in out else res  # type: ignore[attr-defined]
        return Breakdown(self.by, out)

    def map(self, fn: Callable[[R], Any]) -> dict[Any, Any]:
        """``{value: fn(result)}`` for every group."""
        return {k: fn(r) for k, r in self.results.items()}

    def _repr_html_(self) -> str:  # notebook display; rendering lives in salesfunnel.viz
        from salesfunnel.viz._html import repr_html

        return repr_html(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: ``{"by": column, "groups": [{"value": v, "result": {...}}]}``."""
        return {
            "by": self.by,
            "groups": [
                {"value": json_value(k), "result": r.to_dict()}  # type: ignore[attr-defined]
                for k, r in self.results.items()
            ],
        }

    def to_pandas(self) -> Any:
        """The groups' ``to_pandas()`` tables stacked, with the segment value as first column."""
        pd = import_optional("pandas", "pandas", purpose="Breakdown.to_pandas")
        frames = []
        for key, res in self.results.items():
            frame = res.to_pandas()  # type: ignore[attr-defined]
            frame.insert(0, self.by, key)
            frames.append(frame)
        if not frames:
            return pd.DataFrame({self.by: []})
        return pd.concat(frames, ignore_index=True)
