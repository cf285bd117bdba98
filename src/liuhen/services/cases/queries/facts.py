"""The reads of what a case's forms offer (``services/cases/facts.py``): its agency's
officers, its enforcement acts and its current documents, one query each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from liuhen.store import tables as t

if TYPE_CHECKING:
    from liuhen.store.store import Store


def agency_officers(store: Store, agency_id: str) -> list[dict[str, Any]]:
    """The ``officers`` rows of an agency, in no set order."""
    with store.read() as conn:
        rows = conn.execute(select(t.officers).where(t.officers.c.agency_id == agency_id))
        return [dict(r) for r in rows.mappings()]


def enforcement_acts(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The ``acts`` rows of a case other than its filing, in the order they were made."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.acts)
            .where(t.acts.c.case_id == case_id, t.acts.c.kind != "filing")
            .order_by(t.acts.c.created_at, t.acts.c.id)
        )
        return [dict(r) for r in rows.mappings()]


def current_documents(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The case's text records no later version supersedes, in the order they were made:
    each its ``details`` with its ``id``."""
    superseded = select(t.records.c.supersedes_id).where(
        t.records.c.case_id == case_id, t.records.c.supersedes_id.is_not(None)
    )
    with store.read() as conn:
        rows = conn.execute(
            select(t.records.c.id, t.records.c.details)
            .where(
                t.records.c.case_id == case_id,
                t.records.c.kind == "text",
                t.records.c.id.not_in(superseded),
            )
            .order_by(t.records.c.created_at, t.records.c.id)
        ).all()
    return [{"id": r.id, **r.details} for r in rows]
