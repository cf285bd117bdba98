"""The reads of enforcement documents (``services/cases/documents.py``): the officers a
document names, the agency and case it belongs to, and the stored files of records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from liuhen.store import tables as t

if TYPE_CHECKING:
    from liuhen.store.store import Store


def officers_by_certificate(store: Store, numbers: list[str], agency_id: str) -> dict[str, str]:
    """执法证号 -> officer id, for those of ``numbers`` on the agency's roster."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.officers.c.certificate_no, t.officers.c.id).where(
                t.officers.c.certificate_no.in_(numbers), t.officers.c.agency_id == agency_id
            )
        ).all()
    return {cert: officer_id for cert, officer_id in rows}


def agency_of_case(store: Store, case_id: str) -> tuple[str, str] | None:
    """The id and name of the case's agency, or None when there is no such case."""
    with store.read() as conn:
        row = conn.execute(
            select(t.agencies.c.id, t.agencies.c.name)
            .join(t.cases, t.cases.c.agency_id == t.agencies.c.id)
            .where(t.cases.c.id == case_id)
        ).first()
    return None if row is None else (str(row.id), str(row.name))


def case_of_record(store: Store, record_id: str) -> str | None:
    """The id of the case that holds the record, or None (no such record, or no case)."""
    with store.read() as conn:
        found = conn.execute(
            select(t.records.c.case_id).where(t.records.c.id == record_id)
        ).scalar()
    return None if found is None else str(found)


def record_files(store: Store, record_id: str) -> list[dict[str, Any]]:
    """The stored files of a record (renderings, scans, segments), for download links."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.record_files)
            .where(t.record_files.c.record_id == record_id)
            .order_by(t.record_files.c.position)
        ).mappings()
        return [dict(r) for r in rows]
