"""Reads for fixity audits and ``liuhen verify``: the registered blobs, the fixity runs on
the ledger, and the cases and records that use a blob."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from liuhen.store import tables as t
from liuhen.store.store import Store


def blobs_and_runs(
    store: Store, action: str
) -> tuple[list[dict[str, Any]], list[tuple[datetime, dict[str, Any]]]]:
    """Every registered blob, oldest stored first, and the time and payload of every
    ledger event ``action`` (the fixity runs), in order."""
    return blobs_by_age(store), fixity_runs(store, action)


def fixity_runs(store: Store, action: str) -> list[tuple[datetime, Any]]:
    """The time and payload of every ledger event ``action`` (the fixity runs), in order."""
    with store.read() as conn:
        runs = conn.execute(
            select(t.ledger_events.c.occurred_at, t.ledger_events.c.payload)
            .where(t.ledger_events.c.action == action)
            .order_by(t.ledger_events.c.seq)
        ).all()
    return [(occurred_at, payload) for occurred_at, payload in runs]


def blobs_by_age(store: Store) -> list[dict[str, Any]]:
    """Every registered blob, oldest stored first."""
    with store.read() as conn:
        rows = conn.execute(select(t.blobs).order_by(t.blobs.c.stored_at)).mappings().all()
    return [dict(r) for r in rows]


def blob_uses(store: Store, shas: list[str]) -> list[dict[str, Any]]:
    """Each file of a record that holds one of the blobs ``shas``, with its record and case
    (``case_id`` and ``number`` None when no case holds it), by case number."""
    with store.read() as conn:
        rows = conn.execute(
            select(
                t.record_files.c.blob_sha256,
                t.record_files.c.file_name,
                t.records.c.id,
                t.records.c.title,
                t.cases.c.id.label("case_id"),
                t.cases.c.number,
            )
            .join(t.records, t.records.c.id == t.record_files.c.record_id)
            .join(t.cases, t.cases.c.id == t.records.c.case_id, isouter=True)
            .where(t.record_files.c.blob_sha256.in_(shas))
            .order_by(t.cases.c.number, t.records.c.created_at)
        ).all()
    return [
        {
            "sha256": sha256,
            "file_name": file_name,
            "record_id": record_id,
            "record_title": title,
            "case_id": case_id,
            "case_number": number,
        }
        for sha256, file_name, record_id, title, case_id, number in rows
    ]
