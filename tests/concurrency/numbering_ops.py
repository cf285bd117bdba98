"""The numbering operations the racing processes run (module level, so a spawned process
can import it)."""

from __future__ import annotations

from datetime import datetime

from liuhen.ledger.events import Actor
from liuhen.services.cases.cases import open_case
from liuhen.store.store import Store


def open_numbered(store: Store, actor: Actor, agency_id: str, title: str, typed: str = "") -> str:
    """Open a case in ``agency_id`` with its number allocated (or ``typed``); its number."""
    from liuhen.services.cases.queries.cases import case_id_of
    from liuhen.store import tables as t

    case_id = open_case(
        store,
        actor,
        agency_id=agency_id,
        number=typed,
        title=title,
        procedure="general",
        party={"kind": "person", "name": "王某"},
        opened_at=datetime.fromisoformat("2026-11-20T09:00:00+08:00"),
    )
    assert case_id_of(store, case_id) == case_id
    with store.read() as conn:
        row = conn.execute(t.cases.select().where(t.cases.c.id == case_id)).mappings().one()
    return str(row["number"])


def save_numbered(store: Store, actor: Actor, case_id: str, kind: str) -> str:
    """Save a ``kind`` document without a number; the number it was given."""
    from dataclasses import replace

    from liuhen.demo.documents import sample_document
    from liuhen.services.cases.documents import save_document
    from liuhen.store import tables as t

    blank = replace(sample_document(kind), number="")
    saved = save_document(store, actor, case_id=case_id, act_id=None, filled=blank)
    with store.read() as conn:
        row = conn.execute(t.records.select().where(t.records.c.id == saved.record_id))
        return str(row.mappings().one()["details"]["number"])


def void(store: Store, actor: Actor, kind: str, year: int, serial: int, reason: str) -> str:
    """作废登记 of one serial (``void_number``)."""
    from liuhen.services.cases.numbering import void_number

    void_number(store, actor, kind=kind, year=year, serial=serial, reason=reason)
    return "voided"
