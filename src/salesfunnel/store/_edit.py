"""What the block of ``Store.edit`` did, to apply again after a conflict."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import attrs

from salesfunnel.model import Journey, TransitionRecord

__all__ = ["Block"]

_KIND_VERB = {"advance": "advance", "skip": "advance", "fall_back": "regress",
              "lose": "lose", "reenter": "reenter"}


@attrs.frozen
class Block:
    """What the block of ``Store.edit`` did to a journey: its moves, its edits and the
    subject fields it set or removed, to apply again to a fresh load."""

    moves: tuple[TransitionRecord, ...]
    edits: tuple[Any, ...]
    set_fields: dict[str, Any]
    removed: frozenset[str]

    @classmethod
    def of(cls, journey: Journey, moves0: int, edits0: int, before: Any) -> Block:
        before = before if isinstance(before, Mapping) else {}
        after = journey.subject if isinstance(journey.subject, Mapping) else {}
        changed = {k: copy.deepcopy(v) for k, v in after.items()
                   if k not in before or before[k] != v}
        return cls(tuple(journey.history[moves0:]), tuple(journey.edits[edits0:]),
                   changed, frozenset(set(before) - set(after)))

    def apply(self, fresh: Journey) -> None:
        """Apply the block's changes to ``fresh`` (raising if a move is refused now)."""
        if isinstance(fresh.subject, dict):
            for field in self.removed:
                fresh.subject.pop(field, None)
            fresh.subject.update(copy.deepcopy(self.set_fields))
        for edit in self.edits:
            fresh.update({k: v[1] for k, v in dict(edit.changes).items()},
                         at=max(edit.at, fresh.updated_at), actor=edit.actor,
                         reason=edit.reason)
        for rec in self.moves:
            at = max(rec.at, fresh.updated_at)
            kwargs: dict[str, Any] = {"at": at, "actor": rec.actor, "force": rec.forced}
            if rec.kind == "lose":
                fresh.lose(rec.reason or "", to=rec.to_stage, **kwargs)
                continue
            kwargs["reason"] = rec.reason
            if rec.kind == "explicit":
                forward = fresh.funnel.index(rec.to_stage) > fresh.funnel.index(fresh.stage)
                verb = "advance" if forward else "regress"
            else:
                verb = _KIND_VERB.get(rec.kind, "advance")
            getattr(fresh, verb)(rec.to_stage, **kwargs)
