"""Random sequences of add / advance / edit / stale save / reload against an in-memory
model: the store and the model agree after every step."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from salesfunnel.errors import ConflictError
from salesfunnel.store import Store
from salesfunnel.testing import check_store
from store_support import FUNNEL, T0


class StoreMachine(RuleBasedStateMachine):
    ids = Bundle("ids")

    @initialize()
    def open_store(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="sf-store-")
        self.url = f"sqlite:///{self.folder}/deals.db"
        self.store = Store.open(self.url, funnels=[FUNNEL])
        # the model: id -> (stages visited, subject); and the edits per id
        self.model: dict[str, tuple[list[str], dict[str, Any]]] = {}
        self.edits: dict[str, int] = {}
        self.clock = T0

    def tick(self) -> Any:
        self.clock += timedelta(minutes=1)
        return self.clock

    @rule(target=ids, name=st.text("abcdef", min_size=1, max_size=4))
    def add(self, name: str) -> str:
        if name in self.model:
            return name
        self.store.add(FUNNEL.start({"n": 0}, id=name, at=self.tick()))
        self.model[name] = (["lead"], {"n": 0})
        self.edits[name] = 0
        return name

    def step(self, deal: Any, choice: int) -> bool:
        """Make one allowed move on ``deal`` (False when it has none)."""
        targets = list(FUNNEL.allowed(deal.stage))
        if not targets:
            return False
        target = targets[choice % len(targets)]
        kind = FUNNEL.moves(deal.stage)[target]
        if kind == "lose":
            deal.lose("gone", to=target, at=self.tick())
        elif kind == "fall_back":
            deal.regress(target, at=self.tick())
        else:
            deal.advance(target, at=self.tick())
        return True

    @rule(ident=ids, choice=st.integers(0, 10))
    def move(self, ident: str, choice: int) -> None:
        deal = self.store.get(ident)
        if self.step(deal, choice):
            self.store.save(deal)
            self.model[ident][0].append(deal.stage)

    @rule(ident=ids, value=st.integers(-5, 5), recorded=st.booleans())
    def edit(self, ident: str, value: int, recorded: bool) -> None:
        with self.store.edit(ident) as deal:
            if recorded:  # a versioned edit
                deal.update({"n": value}, at=self.tick())
            else:  # a plain change of the subject, saved but not versioned
                deal.subject["n"] = value
        self.model[ident][1]["n"] = value
        self.edits[ident] += recorded

    @rule(ident=ids, choice=st.integers(0, 10))
    def stale_save(self, ident: str, choice: int) -> None:
        stale = self.store.get(ident)
        fresh = self.store.get(ident)
        if not self.step(fresh, choice):
            return  # a lost deal: nothing to move
        fresh.subject["n"] = fresh.subject["n"] + 100
        self.store.save(fresh)
        self.model[ident][0].append(fresh.stage)
        self.model[ident][1]["n"] += 100
        stale.subject["n"] = -1
        self.step(stale, choice + 1)
        try:
            self.store.save(stale)
        except ConflictError as exc:
            assert exc.expected == stale.version - 1 and exc.actual == fresh.version
        else:
            raise AssertionError("a save based on a stale version went through")

    @rule()
    def reload(self) -> None:
        self.store.close()
        self.store = Store.open(self.url)

    @invariant()
    def agrees_with_model(self) -> None:
        if not hasattr(self, "store"):
            return
        for ident, (stages, subject) in self.model.items():
            deal = self.store.get(ident)
            assert [r.to_stage for r in deal.history] == stages
            assert deal.version == len(stages) + self.edits[ident]
            assert deal.subject == subject and len(deal.edits) == self.edits[ident]
        counts = self.store.counts("loop")
        for stage in FUNNEL.names:
            assert counts[stage] == sum(1 for s, _ in self.model.values() if s[-1] == stage)
        assert check_store(self.store) == len(self.model)

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.store.close()
            shutil.rmtree(self.folder, ignore_errors=True)


TestStoreMachine = StoreMachine.TestCase
TestStoreMachine.settings = settings(max_examples=25, stateful_step_count=12, deadline=None)
