"""An invariant check for journey stores (:class:`salesfunnel.store.Store`)."""

from __future__ import annotations

import json

from salesfunnel.errors import FunnelError
from salesfunnel.store import Store

__all__ = ["check_store"]


def check_store(store: Store) -> int:
    """Check the laws every store must keep; return the number of journeys checked.

    For every stored journey: its transitions are numbered 1..n without a gap and its
    edits likewise; its version is moves + edits; it loads (its history replays on its
    funnel); the stage and version it loads with are the stored ones; and the stored
    stage is where its last transition went. An ``AssertionError`` names the journey and
    the law that broke.

    Examples
    --------
    >>> from salesfunnel import Funnel, Stage
    >>> from salesfunnel.store import Store
    >>> store = Store.open("sqlite:///:memory:")
    >>> f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    >>> _ = store.add(f.start(id="a", at="2026-01-05T09:00Z").advance(at="2026-01-06T09:00Z"))
    >>> check_store(store)
    1
    """
    db = store._db  # the check reads the tables as they are, not through the API
    with db.lock:
        rows = db.query("SELECT id, ext_id, stage, version, moves, edits FROM sf_journeys")
        counts = {int(j): (int(c), int(lo), int(hi)) for j, c, lo, hi in db.query(
            "SELECT journey, COUNT(*), MIN(n), MAX(n) FROM sf_transitions GROUP BY journey")}
        edit_counts = {int(j): (int(c), int(lo), int(hi)) for j, c, lo, hi in db.query(
            "SELECT journey, COUNT(*), MIN(n), MAX(n) FROM sf_edits GROUP BY journey")}
    for key, ext, stage, version, moves, edits in rows:
        ident = json.loads(ext)
        n, lo, hi = counts.get(int(key), (0, 0, 0))
        assert moves >= 1 and (n, lo, hi) == (moves, 1, moves), (
            f"journey {ident!r}: transitions numbered {lo}..{hi} ({n} rows) but the journey "
            f"row says {moves} moves (they must be 1..moves, no gap)")
        e, elo, ehi = edit_counts.get(int(key), (0, 1, 0))
        assert (e, ehi) == (edits, edits) and (edits == 0 or elo == 1), (
            f"journey {ident!r}: edits numbered {elo}..{ehi} ({e} rows), row says {edits}")
        assert version == moves + edits, (
            f"journey {ident!r}: version {version} is not moves {moves} + edits {edits}")
        try:
            journey = store.get(ident)
        except FunnelError as exc:  # pragma: no cover - reported as a broken law
            raise AssertionError(f"journey {ident!r} does not load: {exc}") from exc
        assert journey.version == version, (
            f"journey {ident!r}: loads at version {journey.version}, stored {version}")
        assert journey.history[-1].to_stage == journey.stage, (
            f"journey {ident!r}: stage {journey.stage!r} is not where its last transition "
            f"went ({journey.history[-1].to_stage!r})")
        assert journey.funnel.names.count(journey.stage) == 1
        if stage in journey.funnel.names:
            assert stage == journey.stage, (
                f"journey {ident!r}: stored stage {stage!r} but its history replays to "
                f"{journey.stage!r}")
    return len(rows)
