"""Which agency receives footage: an agency by its id or name, and the agencies there are
(``services.av.receiving.receiving_agency`` decides)."""

from __future__ import annotations

from sqlalchemy import select

from liuhen.store import tables as t
from liuhen.store.store import Store


def agency_named(store: Store, ref: str) -> str | None:
    """The id of the agency whose id or name is ``ref``, if any."""
    with store.read() as conn:
        found = conn.execute(
            select(t.agencies.c.id)
            .where((t.agencies.c.id == ref) | (t.agencies.c.name == ref))
            .order_by(t.agencies.c.created_at)
        ).first()
    return None if found is None else str(found[0])


def agency_names(store: Store) -> dict[str, str]:
    """Every agency, id -> name, oldest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.agencies.c.id, t.agencies.c.name).order_by(t.agencies.c.created_at)
        ).all()
    return {str(i): str(n) for i, n in rows}
