"""Reading records' stored files: for a download or playback, a copy, a share link's files
and the read-only view of a granted request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from liuhen.services.archiving.queries.disposals import tombstones_on
from liuhen.store import tables as t
from liuhen.store.store import Store


def record_files_of(store: Store, record_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The stored files of the records shown in the read-only view, by record (one query)."""
    found: dict[str, list[dict[str, Any]]] = {r: [] for r in record_ids}
    with store.read() as conn:
        rows = conn.execute(
            select(t.record_files)
            .where(t.record_files.c.record_id.in_(record_ids))
            .order_by(t.record_files.c.record_id, t.record_files.c.position)
        ).mappings()
        for r in rows:
            found[r["record_id"]].append(dict(r))
    return found


FILE_WITH_CASE = (
    select(t.record_files, t.records.c.case_id)
    .join(t.records, t.records.c.id == t.record_files.c.record_id)
    .where(
        t.record_files.c.record_id == bindparam("record_id"),
        t.record_files.c.position == bindparam("position"),
    )
)


def record_file_with_case(store: Store, record_id: str, position: int) -> dict[str, Any] | None:
    """File ``position`` of a record with the record's ``case_id``, or None."""
    with store.read() as conn:
        return file_with_case(conn, record_id, position)


def file_with_case(conn: Connection, record_id: str, position: int) -> dict[str, Any] | None:
    """``record_file_with_case`` on the caller's connection."""
    found = conn.execute(FILE_WITH_CASE, {"record_id": record_id, "position": position})
    row = found.mappings().first()
    return None if row is None else dict(row)


def file_to_serve(
    store: Store, record_id: str, position: int
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """File ``position`` of a record with its ``case_id`` (or None), and its tombstone when
    it was disposed of (or None): what a download needs, on one connection."""
    with store.read() as conn:
        row = file_with_case(conn, record_id, position)
        if row is None:
            return None, None
        gone = [s for s in tombstones_on(conn, record_id) if s["position"] == position]
    return row, gone[0] if gone else None


def file_read_payloads(
    store: Store, record_id: str, since: datetime, *, actor_id: str | None, actor_label: str
) -> list[dict[str, Any]]:
    """The payloads of the ``record.file_read`` events of a record since ``since`` by one
    person (by user id, or by label for an actor without one)."""
    who = (
        t.ledger_events.c.actor_id == actor_id
        if actor_id
        else t.ledger_events.c.actor_label == actor_label
    )
    with store.read() as conn:
        rows = conn.execute(
            select(t.ledger_events.c.payload).where(
                t.ledger_events.c.subject_type == "record",
                t.ledger_events.c.subject_id == record_id,
                t.ledger_events.c.action == "record.file_read",
                t.ledger_events.c.occurred_at >= since,
                who,
            )
        ).scalars()
        return list(rows)


def record_with_files(store: Store, record_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A record's row and its files in order (the record must exist)."""
    with store.read() as conn:
        original = (
            conn.execute(select(t.records).where(t.records.c.id == record_id)).mappings().one()
        )
        files = [
            dict(f)
            for f in conn.execute(
                select(t.record_files)
                .where(t.record_files.c.record_id == record_id)
                .order_by(t.record_files.c.position)
            ).mappings()
        ]
    return dict(original), files


def record_file(conn: Connection, record_id: str, position: int) -> dict[str, Any]:
    """File ``position`` of a record (it must exist), read on the caller's connection."""
    return dict(
        conn.execute(
            select(t.record_files).where(
                t.record_files.c.record_id == record_id,
                t.record_files.c.position == position,
            )
        )
        .mappings()
        .one()
    )


def record_file_sha(conn: Connection, record_id: str, position: int) -> str:
    """The SHA-256 of file ``position`` of a record (it must exist), on the caller's connection."""
    return str(
        conn.execute(
            select(t.record_files.c.blob_sha256).where(
                t.record_files.c.record_id == record_id,
                t.record_files.c.position == position,
            )
        ).scalar_one()
    )


def copy_made(conn: Connection, case_id: str, request_id: str, record_id: str) -> str | None:
    """The copy of ``record_id`` already made for the request, if any (inside the caller's
    transaction: copies made at once look again under the request's lock)."""
    rows = conn.execute(
        select(t.records.c.id, t.records.c.details).where(
            t.records.c.case_id == case_id, t.records.c.doc_kind == "access_copy"
        )
    )
    for copy_id, details in rows:
        made_for = (details or {}).get("derived_from", {}).get("record_id")
        if details.get("access_request_id") == request_id and made_for == record_id:
            return str(copy_id)
    return None
