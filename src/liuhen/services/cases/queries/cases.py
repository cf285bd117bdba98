"""The reads of opening and finding a case (``services/cases/cases.py``): whether a case
number is taken, and which case an id or a number names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from liuhen.store import tables as t

if TYPE_CHECKING:
    from liuhen.store.store import Store


def case_number_taken(conn: Connection, number: str) -> bool:
    """Whether a case already has ``number`` (in the caller's transaction)."""
    return conn.execute(select(t.cases.c.id).where(t.cases.c.number == number)).first() is not None


def case_id_of(store: Store, ref: str) -> str | None:
    """The id of the case whose id or number is ``ref``, or None."""
    with store.read() as conn:
        found = conn.execute(
            select(t.cases.c.id).where((t.cases.c.id == ref) | (t.cases.c.number == ref))
        ).scalar()
    return None if found is None else str(found)
