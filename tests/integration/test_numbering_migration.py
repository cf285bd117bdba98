"""Migration 0025 on a store that already holds numbers: the counters start past the
highest serial of each agency, kind and year among its cases and documents, so the first
number allocated after the upgrade is not one already given. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from tests.factories import make_agency
from tests.helpers import SYSTEM

from liuhen.services.admin.setup import initialise
from liuhen.services.cases.cases import open_case
from liuhen.store import tables as t
from liuhen.store.database import alembic_config
from liuhen.store.store import Store


def _open(store: Store, agency: str, number: str, when: str) -> str:
    case_id = open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number=number,
        title="某店占道经营案",
        procedure="general",
        party={"kind": "person", "name": "王某"},
        opened_at=datetime.fromisoformat(when),
    )
    with store.read() as conn:
        return str(conn.execute(select(t.cases.c.number).where(t.cases.c.id == case_id)).scalar())


def test_the_upgrade_seeds_the_counters_from_the_numbers_in_the_store(settings, clock) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    initialise(settings, admin_password="Admin-pass-2026!", clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        agency = make_agency(store, name="示范镇人民政府")["agency"]
        _open(store, agency, "示镇立字〔2026〕5号", "2026-11-20T09:00:00+08:00")
        _open(store, agency, "示镇综执罚（2026）第12号", "2026-11-20T09:00:00+08:00")
        _open(store, agency, "示镇立字〔2025〕30号", "2025-12-20T09:00:00+08:00")
        command.downgrade(alembic_config(store.engine), "0024")
        command.upgrade(alembic_config(store.engine), "head")
        c = t.number_counters.c
        with store.read() as conn:
            rows = conn.execute(select(c.kind, c.year, c.last).where(c.agency_id == agency))
            seeded = sorted(tuple(r) for r in rows)
        assert seeded == [("case", 2025, 30), ("case", 2026, 12)]
        assert _open(store, agency, "", "2026-11-21T09:00:00+08:00") == "示镇立字〔2026〕13号"
    finally:
        store.close()
