"""Conventions every metric result follows, and the :class:`Breakdown` of ``by=``.

Every result is a frozen attrs class that

- holds its aggregates as plain tuples (so results compare with ``==`` and hash),
  deriving rates and intervals on access;
- has ``to_dict()`` (strict JSON, through :func:`salesfunnel._util._json.to_json_value`),
  ``to_pandas()`` (needs the ``pandas`` extra) and a ``__repr__`` that says what it holds;
- is :class:`~salesfunnel._display._result.Displayable`: it builds its tables once, in
  ``_display_parts(lang)``, and ``table(lang)``, the plain-text ``__str__`` and the
  notebook's HTML (``_repr_html_``) all come from them;
- when its aggregates are additive, has ``merge(other)``: results computed over
  entity-partitioned chunks merge into the result over the whole.

``by="column"`` on a metric returns a :class:`Breakdown`: a read-only mapping from each
segment value to that group's result, itself mergeable when the results are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from salesfunnel._display._format import format_count, format_pct
from salesfunnel._display._result import Displayable, Part
from salesfunnel._display._table import Table
from salesfunnel._util._i18n import word
from salesfunnel._util._json import to_json_value
from salesfunnel._util._optional import import_optional
from salesfunnel._util._validate import check_choice, check_instance
from salesfunnel.errors import InvalidParameterError
from salesfunnel.events import EventLog

if TYPE_CHECKING:  # pragma: no cover
    from salesfunnel.metrics._kernels import EntityGroups

__all__ = [
    "Breakdown",
    "Mergeable",
    "breakdown",
    "check_choice",
    "check_log",
    "check_merge",
    "check_same",
    "floats",
    "format_count",
    "format_pct",
    "group_key",
    "int_rows",
    "ints",
    "strs",
]



def ints(values: Iterable[Any]) -> tuple[int, ...]:
    """Converter: a tuple of Python ints."""
    return tuple(int(v) for v in values)


def strs(values: Iterable[Any]) -> tuple[str, ...]:
    """Converter: a tuple of strings."""
    return tuple(str(v) for v in values)


def floats(values: Iterable[Any]) -> tuple[float, ...]:
    """Converter: a tuple of Python floats."""
    return tuple(float(v) for v in values)


def int_rows(rows: Iterable[Iterable[Any]]) -> tuple[tuple[int, ...], ...]:
    """Converter: a tuple of tuples of Python ints."""
    return tuple(ints(r) for r in rows)


def check_log(log: Any) -> EventLog:
    """``log`` itself when it is an :class:`~salesfunnel.EventLog`, else
    :class:`InvalidParameterError`."""
    checked: EventLog = check_instance("log", log, EventLog, expected="an EventLog")
    return checked


def check_merge(mine: Any, other: Any, fields: Sequence[str]) -> None:
    """Raise :class:`InvalidParameterError` unless ``other`` is a result of the same class
    as ``mine`` that agrees on every one of ``fields`` (see :func:`check_same`)."""
    kind = type(mine).__name__
    check_instance("other", other, type(mine), where=f"{kind}.merge",
                   expected=kind if kind.endswith("s") else f"a {kind}")
    for field in fields:
        check_same(kind, field, getattr(mine, field), getattr(other, field))


def check_same(kind: str, field: str, mine: Any, theirs: Any) -> None:
    """Raise :class:`InvalidParameterError` when two results to merge disagree on ``field``.

    Examples
    --------
    >>> check_same("Conversion", "semantic", "reached", "entered")
    Traceback (most recent call last):
    ...
    salesfunnel.errors.InvalidParameterError: The 'other' parameter of Conversion.merge must be a result with the same semantic ('reached'); got one with semantic 'entered'.
    """  # noqa: E501
    if mine != theirs:
        raise InvalidParameterError(
            f"The 'other' parameter of {kind}.merge must be a result with the same {field} "
            f"({mine!r}); got one with {field} {theirs!r}.",
            parameter="other",
            value=theirs,
        )


class Mergeable(Protocol):
    """A result whose aggregates add up over entity-partitioned chunks."""

    def merge(self, other: Self) -> Self:  # pragma: no cover - protocol
        """Combine with the result over a disjoint set of entities."""
        ...


R = TypeVar("R")


def group_key(value: Any) -> Any:
    """A segment value as a :class:`Breakdown` key (numpy scalars as Python scalars)."""
    return to_json_value(value) if isinstance(value, np.generic) else value


def _category_order(a: Sequence[Any], b: Sequence[Any]) -> tuple[Any, ...]:
    """The categories of two breakdowns to merge, in one order.

    Breakdowns over chunks of one log share its categories, so that order is kept. Logs
    built separately each list their values sorted when they are comparable (see
    :meth:`~salesfunnel.EventLog.from_arrays`); the union is then sorted too, as the
    categories of the concatenated log would be. Otherwise ``a``'s order comes first,
    then ``b``'s new values in their order.
    """
    seen = dict.fromkeys(a)
    union = (*a, *(v for v in b if v not in seen))
    if len(union) == len(a) == len(b):
        return union  # the same categories (the order is ``a``'s)
    try:
        if list(a) == sorted(a) and list(b) == sorted(b):
            return tuple(sorted(union))
    except TypeError:
        pass
    return union


@attrs.frozen(eq=True)
class Breakdown(Displayable, Mapping[Any, R], Generic[R]):
    """One result per segment value, from ``by=`` on a metric.

    A read-only mapping ``value -> result`` in category order (the order of the segment
    column's categories; :meth:`merge` keeps it). Only values that some entity starts
    with have a group. An entity belongs to the group of its segment value on its first
    event (earliest time, then lowest stage).

    Attributes
    ----------
    by : str
        The segment column.
    results : mapping
        Segment value -> result, in category order.
    categories : tuple
        Every value of the segment column in category order, including values no entity
        starts with (keyword-only; empty: the order of ``results`` as given). Not part of
        ``==``.

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
    >>> a, b = log.partition(2)  # entity 3 ('ads') is in b only
    >>> list(conversion(b, by="channel").merge(conversion(a, by="channel")))
    ['ads', 'web']
    """

    by: str
    results: Mapping[Any, R] = attrs.field(converter=dict)
    categories: tuple[Any, ...] = attrs.field(default=(), converter=tuple, eq=False,
                                              kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.categories:
            rank = {c: i for i, c in enumerate(self.categories)}
            keys = sorted(self.results, key=lambda k: rank.get(k, len(rank)))  # stable
            object.__setattr__(self, "results", {k: self.results[k] for k in keys})

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
        shown = ", ".join(repr(to_json_value(k)) for k in keys[:5]) + (", ..." if len(keys) > 5
                                                                     else "")
        kinds = sorted({type(r).__name__ for r in self.results.values()}) or ["results"]
        return (f"<Breakdown by {self.by!r}: {len(keys)} group{'s' if len(keys) != 1 else ''}"
                f" ({shown}) of {'/'.join(kinds)}>")

    def __str__(self) -> str:
        parts = [f"{self.by} = {to_json_value(k)}\n{r}" for k, r in self.results.items()]
        return "\n\n".join(parts) if parts else word("bd.none", "en").format(self.by)

    def _display_parts(self, lang: str) -> tuple[Part, ...]:
        """Each group's parts under a heading ``by = value``."""
        if not self.results:
            return (Table(word("bd.none", lang).format(self.by), [], []),)
        out: list[Part] = []
        for key, res in self.results.items():
            out.append(Table(f"{self.by} = {to_json_value(key)}", [], []))
            out.extend(res._display_parts(lang))  # type: ignore[attr-defined]
        return tuple(out)

    def merge(self, other: Breakdown[R]) -> Breakdown[R]:
        """Merge group by group (groups present in only one side are kept as they are).

        The groups stay in category order (see :attr:`categories`), whichever side a
        group comes from.

        Raises
        ------
        InvalidParameterError
            If the breakdowns are by different columns, or a group's results cannot merge.
        """
        check_merge(self, other, ())
        check_same("Breakdown", "columns", self.by, other.by)
        out: dict[Any, R] = dict(self.results)
        for key, res in other.results.items():
            out[key] = out[key].merge(res) if key in out else res  # type: ignore[attr-defined]
        categories = _category_order(tuple(dict.fromkeys((*self.categories, *self.results))),
                                     tuple(dict.fromkeys((*other.categories, *other.results))))
        return Breakdown(self.by, out, categories=categories)

    def map(self, fn: Callable[[R], Any]) -> dict[Any, Any]:
        """``{value: fn(result)}`` for every group."""
        return {k: fn(r) for k, r in self.results.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: ``{"by": column, "groups": [{"value": v, "result": {...}}]}``."""
        out: dict[str, Any] = to_json_value({
            "by": self.by,
            "groups": [
                {"value": k, "result": r.to_dict()}  # type: ignore[attr-defined]
                for k, r in self.results.items()
            ],
        })
        return out

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


def breakdown(groups: EntityGroups, make: Callable[[int, npt.NDArray[np.int64]], R]
              ) -> Breakdown[R]:
    """The :class:`Breakdown` of ``by=``: ``make(g, entities)`` for every group ``g`` that
    has entities (``entities``: their codes, ascending), keyed by the segment value."""
    order, bounds = groups.order()
    results: dict[Any, R] = {}
    for g in range(groups.n_groups):
        rows = order[bounds[g]:bounds[g + 1]]
        if len(rows):
            results[group_key(groups.categories[g])] = make(g, rows)
    return Breakdown(groups.name, results,
                     categories=[group_key(c) for c in groups.categories])
