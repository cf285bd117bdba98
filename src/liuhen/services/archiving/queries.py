"""Reading for the case-file pages: each current record's retention and disposal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from liuhen.services.archiving.retention import record_retention
from liuhen.store import tables as t
from liuhen.store.store import Store


def retention_rows(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The case's current records, each with its retention class, term, date and (once
    disposed of) the tombstone's time and approval: the case page's 保管与处置 table."""
    with store.read() as conn:
        rows = list(
            conn.execute(
                select(t.records.c.id, t.records.c.supersedes_id, t.records.c.kind)
                .where(t.records.c.case_id == case_id)
                .order_by(t.records.c.created_at, t.records.c.id)
            )
        )
        gone = {
            r.record_id: r
            for r in conn.execute(
                select(
                    t.disposals.c.record_id, t.disposals.c.created_at, t.disposals.c.details
                ).where(t.disposals.c.case_id == case_id)
            )
        }
    superseded = {r.supersedes_id for r in rows if r.supersedes_id}
    out = []
    for row in rows:
        if row.id in superseded:
            continue
        ret = record_retention(store, row.id)
        stone = gone.get(row.id)
        out.append(
            {
                "id": row.id,
                "title": ret.title,
                "kind": "音像记录" if row.kind == "av" else "文书",
                "class_name": ret.class_name,
                "term": ret.term_name,
                "citation": ret.citation,
                "until": ret.until,
                "expired": ret.expired(store.clock()),
                "disposed_at": stone.created_at if stone else None,
                "approval_id": stone.details.get("approval_id") if stone else "",
            }
        )
    return out
