"""The reads of acts and records (``services/cases/records.py``): which officers are an
agency's, whether a record has a later version, and the records a version history is built
from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from liuhen.store import tables as t

if TYPE_CHECKING:
    from liuhen.store.store import Store


def officers_of_agency(store: Store, agency_id: str, officer_ids: Sequence[str]) -> set[str]:
    """The ids among ``officer_ids`` that are officers of the agency."""
    with store.read() as conn:
        return set(
            conn.execute(
                select(t.officers.c.id).where(
                    t.officers.c.agency_id == agency_id, t.officers.c.id.in_(officer_ids)
                )
            ).scalars()
        )


def has_newer_version(conn: Connection, record_id: str) -> bool:
    """Whether a later version supersedes the record (in the caller's transaction)."""
    newer = conn.execute(select(t.records.c.id).where(t.records.c.supersedes_id == record_id))
    return newer.first() is not None


def records_beside(store: Store, record_id: str) -> dict[str, dict[str, Any]]:
    """Record id -> the ``records`` row, every version of every record of the case that
    holds ``record_id`` (none when no case holds it)."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.records).where(
                t.records.c.case_id
                == select(t.records.c.case_id).where(t.records.c.id == record_id).scalar_subquery()
            )
        )
        return {r["id"]: dict(r) for r in rows.mappings()}
