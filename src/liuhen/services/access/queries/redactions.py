"""Reading what redaction needs: the records a copy request names with their files and the
officers their documents print, and the marks confirmed so far (newest version per record)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from liuhen.store import tables as t


def records_with_files(
    conn: Connection, record_ids: list[str]
) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Record id -> (its row, its files in order), for the ids that exist (one query)."""
    if not record_ids:
        return {}
    found: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    file_cols = [c.label(f"file_{c.name}") for c in t.record_files.c]
    rows = conn.execute(
        select(t.records, *file_cols)
        .outerjoin(t.record_files, t.record_files.c.record_id == t.records.c.id)
        .where(t.records.c.id.in_(record_ids))
        .order_by(t.records.c.id, t.record_files.c.position)
    ).mappings()
    for r in rows:
        record = {c.name: r[c.name] for c in t.records.c}
        entry = found.setdefault(record["id"], (record, []))
        if r["file_id"] is not None:
            entry[1].append({c.name: r[f"file_{c.name}"] for c in t.record_files.c})
    return found


def officers_named(conn: Connection, officer_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Officer id -> (name, 执法证号) for the officers a document names (one query)."""
    if not officer_ids:
        return {}
    rows = conn.execute(
        select(t.officers.c.id, t.officers.c.name, t.officers.c.certificate_no).where(
            t.officers.c.id.in_(officer_ids)
        )
    )
    return {r.id: (r.name, r.certificate_no or "") for r in rows}


def latest_redactions(conn: Connection, request_id: str) -> dict[str, dict[str, Any]]:
    """Record id -> the newest confirmed version of its marks for the request (one query)."""
    rows = conn.execute(
        select(t.redactions)
        .where(t.redactions.c.request_id == request_id)
        .order_by(t.redactions.c.record_id, t.redactions.c.version)
    ).mappings()
    return {r["record_id"]: dict(r) for r in rows}
