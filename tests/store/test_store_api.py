"""The store's API on both backends (``store_url`` runs each test on SQLite and on
PostgreSQL)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from salesfunnel import EventLog, Funnel, Stage
from salesfunnel.errors import (
    ConflictError,
    InvalidParameterError,
    MissingDependencyError,
    StoreError,
    TransitionNotAllowed,
)
from salesfunnel.store import Store
from salesfunnel.store._backends import open_backend
from salesfunnel.testing import check_store

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_add_get_round_trip(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        deal = pipeline.start({"budget": 500, "owner": "ann"}, id="d1", at=day(0))
        deal.advance(at=day(1), actor="ann").advance("won", at=day(3), reason="signed")
        receipt = store.add(deal)
        assert receipt == ("d1", 3, "won", False)
        again = store.get("d1")
        assert again.history == deal.history
        assert (again.stage, again.version, again.subject) == ("won", 3, deal.subject)
        assert store.history("d1") == tuple(deal.history)
        assert "d1" in store and "nope" not in store and len(store) == 1
        assert check_store(store) == 1


def test_edits_and_facts_round_trip(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        deal = pipeline.start({"budget": 50}, id="d1", at=day(0))
        deal.update({"budget": 500, "owner": "ann"}, at=day(1), actor="bo", reason="call")
        deal.advance(at=day(2))
        store.add(deal)
        again = store.get("d1")
        assert again.version == 3 and again.edits == deal.edits
        assert again.history == deal.history
        assert dict(again.history[-1].facts) == {"budget": 500}
        assert store.find("deals", owner="ann") == ["d1"]
        # an edit made on a stale copy conflicts like a stale move
        first, second = store.get("d1"), store.get("d1")
        store.save(first.update({"budget": 600}, at=day(3)))
        second.update({"budget": 700}, at=day(3))
        with pytest.raises(ConflictError) as info:
            store.save(second)
        assert (info.value.expected, info.value.actual) == (3, 4)
        final = store.get("d1")
        assert final.subject["budget"] == 600 and final.version == 4
        assert [dict(e.changes) for e in final.edits][-1] == {"budget": (500, 600)}
        # edit() re-applies a block's update after a conflict
        with Store.open(store_url) as rival, store.edit("d1") as d:
            d.update({"owner": "cy"}, at=day(4))
            rival.save(rival.get("d1").update({"budget": 800}, at=day(4)))
        final = store.get("d1")
        assert final.subject == {"budget": 800, "owner": "cy"} and final.version == 6
        check_store(store)


def test_journey_without_id_gets_the_store_key(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        a, b = pipeline.start(at=day(0)), pipeline.start(at=day(0))
        ra, rb = store.add(a), store.add(b)
        assert isinstance(ra.id, int) and ra.id != rb.id and a.id == ra.id
        assert store.get(ra.id).stage == "lead"


def test_stale_save_conflicts_and_changes_nothing(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        store.add(pipeline.start({"budget": 500}, id="d1", at=day(0)))
        first, second = store.get("d1"), store.get("d1")
        first.advance(at=day(1))
        store.save(first)
        second.lose("no budget", at=day(2))
        with pytest.raises(ConflictError) as info:
            store.save(second)
        err = info.value
        assert (err.journey, err.expected, err.actual) == ("d1", 1, 2)
        assert "'d1'" in str(err) and "version 1" in str(err) and "version 2" in str(err)
        stored = store.get("d1")
        assert stored.stage == "qualified" and stored.version == 2
        assert [r.to_stage for r in store.history("d1")] == ["lead", "qualified"]


def test_a_b_a_between_read_and_write_is_a_conflict(store_url: str, pipeline: Funnel
                                                     ) -> None:
    """The stage is the same again (A -> B -> A), but the version is not: conflict."""
    with Store.open(store_url) as store:
        store.add(pipeline.start({"budget": 500}, id="d1", at=day(0)))
        stale = store.get("d1")
        other = store.get("d1")
        other.advance(at=day(1)).regress("lead", at=day(2))
        store.save(other)
        assert store.get("d1").stage == stale.stage == "lead"
        stale.advance(at=day(3))
        with pytest.raises(ConflictError):
            store.save(stale)
        assert store.get("d1").version == 3


def test_untracked_copy_is_checked_against_stored_history(store_url: str,
                                                           pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        deal = pipeline.start({"budget": 500}, id="d1", at=day(0))
        store.add(deal)
        with Store.open(store_url) as other:  # knows nothing of `deal`
            copy = other.get("d1")
            copy.advance(at=day(1))
            other.save(copy)
        deal.lose("gone", at=day(2))
        with Store.open(store_url) as third:
            with pytest.raises(ConflictError):
                third.save(deal)  # its history is not an extension of the stored one
            rebuilt = third.get("d1")
            rebuilt.advance(at=day(3))
            fresh = Funnel.from_dict(pipeline.to_dict())
            assert fresh == pipeline
            assert third.save(rebuilt).version == 3


def test_edit_retries_on_conflict(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store, Store.open(store_url) as rival:
        store.add(pipeline.start({"budget": 500, "note": ""}, id="d1", at=day(0)))
        with store.edit("d1") as deal:
            deal.subject["note"] = "called"
            deal.advance(at=day(2), actor="ann")
            # someone else saves in between: the block's changes are applied again
            other = rival.get("d1")
            other.subject["owner"] = "bo"
            rival.save(other.advance("proposal", at=day(1)).regress("lead", at=day(1)))
        final = store.get("d1")
        assert final.version == 4 and final.stage == "qualified"
        assert final.subject["owner"] == "bo"
        assert final.subject["note"] == "called"
        assert [r.actor for r in final.history][-1] == "ann"
        check_store(store)


def test_edit_gives_up_after_retries(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store, Store.open(store_url) as rival:
        store.add(pipeline.start({"budget": 500}, id="d1", at=day(0)))
        n = 0

        def meddle() -> None:
            nonlocal n
            n += 1
            other = rival.get("d1")
            other.subject["n"] = n
            rival.save(other.advance("proposal", at=day(1)).regress(
                "lead", at=day(1)) if other.stage == "lead" else other.regress(
                "lead", at=day(1)))

        with pytest.raises(ConflictError), store.edit("d1", retries=0) as deal:
            deal.subject["x"] = 1
            meddle()
        assert "x" not in store.get("d1").subject


def test_apply_reruns_the_change(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store, Store.open(store_url) as rival:
        store.add(pipeline.start({"budget": 500}, id="d1", at=day(0)))
        calls = []

        def change(deal):  # type: ignore[no-untyped-def]
            calls.append(deal.version)
            if len(calls) == 1:
                rival.save(rival.get("d1").advance(at=day(1)))
            deal.advance(at=day(2))

        receipt = store.apply("d1", change)
        assert calls == [1, 2] and receipt.version == 3 and receipt.stage == "proposal"


def test_idempotency_keys(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        first = store.add(pipeline.start({"budget": 500}, id="d1", at=day(0)), key="create-1")
        again = store.add(pipeline.start({"budget": 500}, id="d1", at=day(0)), key="create-1")
        assert again == first._replace(replayed=True)
        hook = store.apply("d1", lambda d: d.advance(at=day(1)), key="webhook-7")
        replay = store.apply("d1", lambda d: d.advance(at=day(2)), key="webhook-7")
        assert replay == hook._replace(replayed=True)
        deal = store.get("d1")
        deal.advance(at=day(3))
        assert store.save(deal, key="webhook-7").replayed
        with store.edit("d1", key="webhook-7") as d:
            d.advance(at=day(4))
        assert store.get("d1").version == 2
        with pytest.raises(InvalidParameterError, match="'key'"):
            store.apply("d1", lambda d: None, key="")


def test_adding_twice_is_refused(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        store.add(pipeline.start(id="d1", at=day(0)))
        with pytest.raises(StoreError, match="already stored"):
            store.add(pipeline.start(id="d1", at=day(1)))
        with pytest.raises(StoreError, match="not stored"):
            store.save(pipeline.start(id="d2", at=day(1)))


def test_queries(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        plan = [("a", "ann", "smb", 0, ["qualified"]), ("b", "bo", "ent", 1, []),
                ("c", "ann", "ent", 2, ["qualified", "proposal"]), ("d", "bo", "smb", 3, [])]
        for ident, owner, segment, start, moves in plan:
            deal = pipeline.start({"budget": 500, "owner": owner, "segment": segment},
                                  id=ident, at=day(start))
            for i, stage in enumerate(moves):
                deal.advance(stage, at=day(start + i + 1))
            store.add(deal)
        assert store.find("deals", stage="lead") == ["b", "d"]
        assert store.find("deals", owner="ann") == ["a", "c"]
        assert store.find(pipeline, segment="ent", owner="ann") == ["c"]
        assert store.find("deals", stage="won") == []
        assert store.find("deals", limit=1) == ["a"]
        assert store.counts("deals") == {"lead": 2, "qualified": 1, "proposal": 1, "won": 0,
                                         "lost": 0}
        stale = store.stale("deals", {"lead": timedelta(days=5), "qualified": 3 * 86400},
                            now=day(10))
        assert [(s.id, s.stage) for s in stale] == [("a", "qualified"), ("b", "lead"),
                                                    ("d", "lead")]
        assert stale[0].age == timedelta(days=9)
        assert store.stale("deals", {"lead": timedelta(days=100)}, now=day(10)) == []
        with pytest.raises(Exception, match=r"wonn|unknown stage"):
            store.find("deals", stage="wonn")


def test_event_log_matches_the_journeys(store_url: str, pipeline: Funnel) -> None:
    rng = np.random.default_rng(5)
    journeys = []
    with Store.open(store_url) as store:
        for i in range(40):
            deal = pipeline.start({"budget": 500}, id=f"d{i:02d}", at=day(i % 7))
            t = i % 7
            for _ in range(int(rng.integers(0, 3))):
                t += 1
                deal.advance(at=day(t))
            if rng.random() < 0.3:
                deal.lose("price", at=day(t + 1))
            store.add(deal)
            journeys.append(deal)
        expected = EventLog.from_journeys(journeys)
        engines = ("stdlib", "auto") + (("adbc",) if store.kind == "postgresql" else ())
        for engine in engines:
            log = store.event_log("deals", engine=engine)
            got = sorted(zip(log.ids[log.entity].tolist(), log.stage.tolist(), log.ts.tolist(),
                             strict=True))
            want = sorted(zip(expected.ids[expected.entity].tolist(), expected.stage.tolist(),
                              expected.ts.tolist(), strict=True))
            assert got == want
        if store.kind == "sqlite":
            with pytest.raises(InvalidParameterError, match="second copy of the SQLite"):
                store.event_log("deals", engine="adbc")
        since = store.event_log("deals", since=day(3), engine="stdlib")
        assert len(since) == int((expected.ts >= np.int64(day(3).timestamp() * 1e9)).sum())


def test_reads_and_second_stores_leave_the_file_intact(sqlite_url: str,
                                                        pipeline: Funnel) -> None:
    """Nothing in the process may open the database file beside SQLite (closing it would
    drop this process's locks on it): event_log and a second store, then more writes."""
    with Store.open(sqlite_url) as store:
        for i in range(40):
            store.add(pipeline.start({"budget": 500}, id=f"d{i}", at=day(0)))
        store.event_log("deals")
        Store.open(sqlite_url).close()
        for i in range(40):
            store.apply(f"d{i}", lambda d: d.advance(at=day(1)))
        Store.open(sqlite_url).close()
        assert store._db.query("PRAGMA integrity_check") == [("ok",)]
        assert check_store(store) == 40


def test_change_feed(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        store.add(pipeline.start({"budget": 500}, id="a", at=day(0)))
        store.add(pipeline.start({"budget": 500}, id="b", at=day(0)).advance(at=day(1)))
        feed = store.changes()
        assert [(c.id, c.n, c.record.to_stage) for c in feed] == [
            ("a", 1, "lead"), ("b", 1, "lead"), ("b", 2, "qualified")]
        assert [c.cursor for c in feed] == sorted(c.cursor for c in feed)
        cursor = feed[-1].cursor
        assert store.changes(after=cursor) == []
        store.apply("a", lambda d: d.lose("price", at=day(2)))
        new = store.changes(after=cursor)
        assert [(c.id, c.record.kind) for c in new] == [("a", "lose")]
        assert len(store.changes(limit=2)) == 2


def test_transitions_are_append_only(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        store.add(pipeline.start(id="a", at=day(0)))
        db = store._db
        for sql in ("UPDATE sf_transitions SET to_stage = 3", "DELETE FROM sf_transitions"):
            with pytest.raises(Exception, match="append-only"), db.transaction():
                db.execute(sql)
        assert len(store.history("a")) == 1


def test_funnel_versions_and_migrations(store_url: str) -> None:
    v1 = Funnel("f", [Stage("lead"), Stage("demo"), Stage("won", kind="won"),
                      Stage("lost", kind="lost")])
    v2 = Funnel("f", [Stage("lead"), Stage("trial"), Stage("won", kind="won"),
                      Stage("lost", kind="lost")])
    with Store.open(store_url) as store:
        assert store.register(v1) == 1 and store.register(v1) == 1
        store.add(v1.start(id="old", at=day(0)).advance(at=day(1)))
        with pytest.raises(StoreError, match=r"\['demo'\].*migration"):
            store.register(v2)
        assert store.register(v2, migration={"demo": "trial"}) == 2
        old = store.get("old")
        assert [r.to_stage for r in old.history] == ["lead", "trial"]
        assert store.counts("f")["trial"] == 1 and store.find("f", stage="trial") == ["old"]
        log = store.event_log("f", engine="stdlib")
        assert sorted(log.stage.tolist()) == [0, 1]
        store.save(old.advance(at=day(2)))
        assert [r.to_stage for r in store.get("old").history] == ["lead", "trial", "won"]
        # the stored rows were never rewritten: the feed shows what was written
        assert [c.record.to_stage for c in store.changes()] == ["lead", "demo", "won"]
        v3 = Funnel("f", [Stage("lead"), Stage("won", kind="won"), Stage("lost", kind="lost")])
        assert store.register(v3, migration={"trial": None}) == 3
        with pytest.raises(StoreError, match=r"'demo'.*migration"):
            store.get("old")
        with pytest.raises(StoreError, match="migration"):
            store.event_log("f")
        store.add(v3.start(id="new", at=day(0)))
        assert store.get("new").stage == "lead"
        with pytest.raises(StoreError, match="not a stage"):
            store.register(Funnel("f", [Stage("a"), Stage("won", kind="won")]),
                           migration={"lead": "nowhere"})


def test_unknown_funnel_and_missing_id(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        store.add(pipeline.start(id="a", at=day(0)))
        with pytest.raises(StoreError, match="no journey with id 'zz'") as info:
            store.get("zz")
        assert info.value.journey == "zz"
        with pytest.raises(StoreError, match=r"unknown funnel 'nope'.*deals"):
            store.counts("nope")
        with pytest.raises(InvalidParameterError, match="'id'"):
            store.get(1.5)
    # another process knows only the stored definition: rule gates rebuild from it
    with Store.open(store_url) as other:
        assert other.get("a").funnel == pipeline


def test_journey_of_a_funnel_this_process_cannot_rebuild(store_url: str) -> None:
    def has_budget(subject: dict[str, int]) -> bool:
        return subject.get("budget", 0) > 0

    funnel = Funnel("custom", [Stage("lead"), Stage("won", kind="won", gates=[has_budget])])
    with Store.open(store_url) as store:
        store.add(funnel.start({"budget": 1}, id="c1", at=day(0)))
    with Store.open(store_url) as other:
        with pytest.raises(StoreError, match=r"funnel 'custom'.*store.register"):
            other.get("c1")
        other.register(funnel)
        assert other.get("c1").stage == "lead"


def test_subject_must_be_json(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        with pytest.raises(InvalidParameterError, match="not JSON"):
            store.add(pipeline.start({"budget": float("nan")}, id="a", at=day(0)))
        with pytest.raises(InvalidParameterError, match="mapping"):
            store.add(pipeline.start(["x"], id="b", at=day(0)))
        assert len(store) == 0


def test_open_arguments() -> None:
    for bad in ("mysql://x", "sqlite://relative", 5):
        with pytest.raises(InvalidParameterError, match="'url'"):
            Store.open(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'synchronous'"):
        Store.open("sqlite:///:memory:", synchronous="OFF")
    with pytest.raises(InvalidParameterError, match="'timeout'"):
        Store.open("sqlite:///:memory:", timeout=-1)


def test_sqlite_pragmas(sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store:
        conn = store._db.conn  # type: ignore[attr-defined]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.isolation_level is None
    with Store.open(sqlite_url, synchronous="NORMAL") as store:
        assert store._db.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # type: ignore[attr-defined]
    with Store.open(sqlite_url + "?synchronous=normal") as store:
        assert store._db.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # type: ignore[attr-defined]


def test_postgres_without_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(MissingDependencyError, match=r"salesfunnel\[postgres\]"):
        Store.open("postgresql://nobody@127.0.0.1:1/none")


def test_postgres_unreachable() -> None:
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL"):
        Store.open("postgresql://nobody:secret@127.0.0.1:1/none", timeout=1)


def test_store_loads_lazily_and_without_psycopg() -> None:
    code = ("import sys, salesfunnel as sf; assert 'salesfunnel.store' not in sys.modules; "
            "s = sf.store.Store.open('sqlite:///:memory:'); "
            "print('psycopg' in sys.modules, 'pyarrow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]


def test_bad_files(tmp_path, pipeline: Funnel) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "notes.db"
    text.write_text("these are my notes, not a database!\n" * 128)  # 4608 bytes
    before = text.read_bytes()
    with pytest.raises(StoreError, match=r"not a salesfunnel store.*not a database"):
        Store.open(f"sqlite:///{text}")
    assert text.read_bytes() == before  # untouched
    odd = tmp_path / "odd.db"
    odd.write_text("short")
    with pytest.raises(StoreError, match="not a whole number of database pages"):
        Store.open(f"sqlite:///{odd}")

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"not a salesfunnel store.*invoices"):
        Store.open(f"sqlite:///{other}")

    good = tmp_path / "deals.db"
    with Store.open(f"sqlite:///{good}") as store:
        for i in range(30):
            store.add(pipeline.start({"budget": 500}, id=f"d{i}", at=day(0)).advance(at=day(1)))
    data = good.read_bytes()
    (tmp_path / "cut.db").write_bytes(data[: len(data) // 2 + 100])
    with pytest.raises(StoreError, match="truncated"):
        Store.open(f"sqlite:///{tmp_path / 'cut.db'}")
    mangled = bytearray(data)
    mangled[4096:8192] = b"\xff" * 4096  # a whole page of garbage
    (tmp_path / "bad.db").write_bytes(bytes(mangled))
    with pytest.raises(StoreError), Store.open(f"sqlite:///{tmp_path / 'bad.db'}") as store:
        for i in range(30):
            store.get(f"d{i}")
        store.event_log("deals")
    with pytest.raises(StoreError, match="folder"):
        Store.open(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    # the good store is intact after all this
    with Store.open(f"sqlite:///{good}") as store:
        assert len(store) == 30 and check_store(store) == 30


def test_wrong_schema_version(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        store.add(pipeline.start(id="a", at=day(0)))
        with store._db.transaction():
            store._db.execute("UPDATE sf_schema SET version = 99")
    with pytest.raises(StoreError, match=r"schema version 99.*reads version 1"):
        Store.open(store_url)
    backend = open_backend(store_url)
    with backend.transaction():
        backend.execute("UPDATE sf_schema SET version = 1")
    backend.close()
    with Store.open(store_url) as store:  # nothing was lost
        assert store.get("a").stage == "lead"


def test_closed_store(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get("a")


def test_refused_move_does_not_reach_the_store(store_url: str, pipeline: Funnel) -> None:
    with Store.open(store_url) as store:
        store.add(pipeline.start({"budget": 5}, id="a", at=day(0)))
        with pytest.raises(Exception, match="budget"), store.edit("a") as deal:
            deal.advance(at=day(1))
        with pytest.raises(TransitionNotAllowed), store.edit("a") as deal:
            deal.regress("won", at=day(1))
        assert store.get("a").version == 1


def test_check_store_names_the_broken_law(sqlite_url: str, pipeline: Funnel) -> None:
    with Store.open(sqlite_url) as store:
        store.add(pipeline.start({"budget": 500}, id="a", at=day(0)).advance(at=day(1)))
        assert check_store(store) == 1
        db = store._db
        with db.transaction():
            db.execute("UPDATE sf_journeys SET version = 7")
        with pytest.raises(AssertionError, match=r"'a': version 7 is not moves 2"):
            check_store(store)
        with db.transaction():
            db.execute("UPDATE sf_journeys SET version = 2, stage = 'won'")
        with pytest.raises(AssertionError, match="stored stage 'won'"):
            check_store(store)
        with db.transaction():
            db.execute("UPDATE sf_journeys SET stage = 'qualified', moves = 3, version = 3")
        with pytest.raises(AssertionError, match=r"numbered 1\.\.2"):
            check_store(store)


def test_nested_facts_and_edits_round_trip(store_url: str) -> None:
    """Facts and edits holding nested objects and lists are stored as JSON and come back
    equal and frozen all the way down (not as the text of a Python repr)."""
    from salesfunnel import Journey

    funnel = Funnel("nested", [Stage("lead"), Stage("won", kind="won")])
    data = funnel.start({"n": 0}, id="n1", at=day(0)).to_dict()
    data["history"][0]["facts"] = {"contact": {"name": "Ann", "tags": ["a", {"b": {}}]}}
    deal = Journey.from_dict(data, funnel)
    deal.update({"contact": {"name": "Bob", "tags": [{"x": []}]}}, at=day(1))
    with Store.open(store_url, funnels=[funnel]) as store:
        store.add(deal)
        back = store.get("n1")
    assert back.history == deal.history
    assert back.history[0].facts["contact"]["tags"][1] == {"b": {}}
    assert hash(back.history[0].facts) == hash(deal.history[0].facts)
    assert back.edits == deal.edits
    assert back.subject == {"n": 0, "contact": {"name": "Bob", "tags": [{"x": []}]}}
