"""Reads for the staging of resumable uploads: which uploads' starts are on the ledger."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from liuhen.store import tables as t
from liuhen.store.store import Store


def started_uploads(store: Store, upload_ids: Collection[str]) -> set[str]:
    """The uploads among ``upload_ids`` whose ``av.upload_started`` event is recorded."""
    if not upload_ids:
        return set()
    events = t.ledger_events
    with store.read() as conn:
        rows = conn.execute(
            select(events.c.subject_id).where(
                events.c.subject_type == "upload",
                events.c.subject_id.in_(sorted(upload_ids)),
                events.c.action == "av.upload_started",
            )
        )
        return {str(r[0]) for r in rows}
