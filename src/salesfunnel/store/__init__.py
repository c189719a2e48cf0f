"""Journeys in a real database: SQLite (standard library) or PostgreSQL.

:class:`Store` keeps each journey as a current-state row plus append-only transition
rows, saved in one transaction with an optimistic version check; it answers queries
(by stage, owner or segment, stale deals, counts per stage, one deal's history) without
loading journeys, reads the transitions column-wise into an
:class:`~salesfunnel.EventLog`, keeps funnel definitions with versions and migration
maps, offers a change feed, and an outbox for the messages hooks emit.

PostgreSQL needs ``pip install 'salesfunnel[postgres]'``; psycopg is imported only when
a ``postgresql://`` URL is opened.

Examples
--------
>>> from salesfunnel import Funnel, Stage
>>> from salesfunnel.store import Store
>>> funnel = Funnel("deals", [Stage("lead"), Stage("won", kind="won")])
>>> with Store.open("sqlite:///:memory:") as store:
...     receipt = store.add(funnel.start(id="d1", at="2026-03-01T09:00:00+00:00"))
...     store.get("d1").stage
'lead'
"""

from salesfunnel.store._store import Change, Delivery, Receipt, StaleJourney, Store

__all__ = ["Change", "Delivery", "Receipt", "StaleJourney", "Store"]
