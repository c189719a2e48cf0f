"""Stored funnel definitions: versions, migration maps and stage translation.

A journey's transitions store stage *indices* into the funnel version they were saved
under (``fid``, a row of ``sf_funnels``). Reading them back under the funnel in use now
translates each index through the declared migration maps of the versions in between;
a stage that no longer exists and was not mapped is an error, never a silent change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from salesfunnel.errors import StoreError
from salesfunnel.model import Funnel

__all__ = ["FunnelVersion", "StrictNames", "check_migration", "translation"]


class FunnelVersion(NamedTuple):
    """One row of ``sf_funnels``."""

    fid: int
    name: str
    version: int
    definition: str
    stages: tuple[str, ...]
    migration: dict[str, str | None]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> FunnelVersion:
        fid, name, version, definition, migration = row
        data = json.loads(definition)
        stages = tuple(s["name"] for s in data["stages"])
        return cls(int(fid), name, int(version), definition, stages,
                   json.loads(migration) if migration else {})


def check_migration(name: str, old: FunnelVersion | None, new_stages: tuple[str, ...],
                    migration: Mapping[str, Any] | None) -> dict[str, str | None]:
    """The migration map from ``old`` to a new definition with ``new_stages``, checked:
    every stage of ``old`` that the new definition lacks must be mapped to a new stage
    (a rename or merge); mapping to ``None`` declares the stage removed, and journeys
    that visited it can then no longer be loaded (they fail with a clear error)."""
    mapping: dict[str, str | None] = {}
    if migration is not None:
        if not isinstance(migration, Mapping):
            raise StoreError(
                f"migration for funnel {name!r} must be a mapping of old stage name to new "
                f"stage name (or None for removed); got {type(migration).__name__}")
        for k, v in migration.items():
            if not isinstance(k, str) or not (v is None or isinstance(v, str)):
                raise StoreError(f"migration for funnel {name!r}: {k!r} -> {v!r} is not "
                                 "old stage name -> new stage name (or None)")
            if v is not None and v not in new_stages:
                raise StoreError(f"migration for funnel {name!r} maps {k!r} to {v!r}, which "
                                 f"is not a stage of the new definition {list(new_stages)}")
            mapping[k] = v
    if old is None:
        return mapping
    unknown = sorted(set(mapping) - set(old.stages))
    if unknown:
        raise StoreError(f"migration for funnel {name!r} names stages {unknown} that version "
                         f"{old.version} does not have; its stages are {list(old.stages)}")
    missing = [s for s in old.stages if s not in new_stages and s not in mapping]
    if missing:
        raise StoreError(
            f"funnel {name!r} changed: stages {missing} of stored version {old.version} are "
            f"not in the new definition; pass migration={{old: new}} to Store.register "
            "(map to None to declare a stage removed) so stored journeys keep their meaning")
    return mapping


def translation(versions: Mapping[int, FunnelVersion], fid: int, target: tuple[str, ...],
                target_version: int) -> npt.NDArray[np.int64]:
    """Index in ``versions[fid].stages`` -> index in ``target`` (-1 where the stage no
    longer exists), following the migration maps of the versions after ``fid``'s up to
    ``target_version``."""
    source = versions[fid]
    chain = sorted((v for v in versions.values()
                    if v.name == source.name and source.version < v.version <= target_version),
                   key=lambda v: v.version)
    position = {s: i for i, s in enumerate(target)}
    out = np.full(len(source.stages), -1, dtype=np.int64)
    for i, stage in enumerate(source.stages):
        current: str | None = stage
        for v in chain:
            if current is None:
                break
            current = v.migration.get(current, current)
        if current is not None and current in position:
            out[i] = position[current]
    return out


class StrictNames(list[str]):
    """Stage names of a funnel version some of whose stages have no meaning now: using
    one of those is a clear error."""

    def __init__(self, names: list[str], version: FunnelVersion, funnel: Funnel) -> None:
        super().__init__(names)
        self._version = version
        self._funnel = funnel

    def __getitem__(self, i: Any) -> Any:
        name = super().__getitem__(i)
        if isinstance(name, str) and name.startswith("<removed stage"):
            raise StoreError(
                f"stored history names stage {self._version.stages[i]!r} of funnel "
                f"{self._funnel.name!r} version {self._version.version}, which the funnel "
                f"registered now does not have and no migration maps; register it with "
                f"migration={{{self._version.stages[i]!r}: <new stage>}}")
        return name
