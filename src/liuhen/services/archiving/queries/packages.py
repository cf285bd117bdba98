"""Reads for case files and archive packages: a case's current records and their stored
files, and the ledger excerpt a package proves against its checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from liuhen.errors import StorageError
from liuhen.store import tables as t
from liuhen.store.store import Store


@dataclass(frozen=True)
class LedgerExcerpt:
    """The first checkpoint covering an event and the case's events under it."""

    checkpoint: dict[str, Any]
    events: list[dict[str, Any]]


def current_records(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The case's current text and AV records (no superseded version), oldest first."""
    with store.read() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                select(t.records)
                .where(t.records.c.case_id == case_id, t.records.c.kind.in_(("text", "av")))
                .order_by(t.records.c.created_at, t.records.c.id)
            ).mappings()
        ]  # derived clips and copies for a party are not part of the case file
    superseded = {r["supersedes_id"] for r in rows if r["supersedes_id"]}
    return [r for r in rows if r["id"] not in superseded]


def gate_overrides(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The case's ``case.gate_overridden`` events, oldest first (seq, time, who, payload)."""
    events = t.ledger_events.c
    with store.read() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(events.seq, events.occurred_at, events.actor_label, events.payload)
                .where(events.case_id == case_id, events.action == "case.gate_overridden")
                .order_by(events.seq)
            ).mappings()
        ]


def stored_files(
    store: Store, record_ids: list[str]
) -> tuple[dict[str, list[dict[str, Any]]], dict[tuple[str, str], datetime]]:
    """The ``record_files`` rows of the records ``record_ids`` (with their blobs' SM3 and
    size) by record, in position order, and when each disposed file was disposed of:
    (record id, SHA-256) -> time."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.record_files, t.blobs.c.sm3, t.blobs.c.size)
            .join(t.blobs, t.blobs.c.sha256 == t.record_files.c.blob_sha256)
            .where(t.record_files.c.record_id.in_(record_ids))
            .order_by(t.record_files.c.record_id, t.record_files.c.position)
        ).mappings()
        by_record: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_record.setdefault(row["record_id"], []).append(dict(row))
        disposed = {
            (r.record_id, r.blob_sha256): r.created_at
            for r in conn.execute(
                select(
                    t.disposals.c.record_id, t.disposals.c.blob_sha256, t.disposals.c.created_at
                ).where(t.disposals.c.record_id.in_(record_ids))
            )
        }
    return by_record, disposed


def blob_facts(store: Store, shas: list[str]) -> dict[str, tuple[str, int]]:
    """SHA-256 -> (SM3, size) of the stored blobs ``shas`` (the handwritten signatures'
    images, which are no record's files)."""
    if not shas:
        return {}
    b = t.blobs.c
    with store.read() as conn:
        rows = conn.execute(select(b.sha256, b.sm3, b.size).where(b.sha256.in_(shas)))
        return {r.sha256: (r.sm3, int(r.size)) for r in rows}


def ledger_excerpt(store: Store, case_id: str, seq: int | None = None) -> LedgerExcerpt:
    """The first signed checkpoint whose tree holds event ``seq`` (without ``seq``: the
    latest) and the case's events in it; StorageError when no checkpoint covers ``seq``."""
    with store.read() as conn:
        query = select(t.checkpoints)
        if seq is None:
            query = query.order_by(t.checkpoints.c.tree_size.desc())
        else:
            query = query.where(t.checkpoints.c.tree_size > seq).order_by(t.checkpoints.c.tree_size)
        row = conn.execute(query.limit(1)).mappings().first()
        if row is None:
            raise StorageError(
                "全过程日志不完整，未能签发覆盖导出事件的检查点：请运行 liuhen verify"
            )
        size = int(row["tree_size"])
        events = [
            dict(r)
            for r in conn.execute(
                select(t.ledger_events)
                .where(t.ledger_events.c.case_id == case_id, t.ledger_events.c.seq < size)
                .order_by(t.ledger_events.c.seq)
            ).mappings()
        ]
    return LedgerExcerpt(dict(row), events)


def export_event(store: Store, case_id: str, export_id: str) -> dict[str, Any] | None:
    """The ``case.exported`` event of the export ``export_id`` (seq and payload), or None
    when it was never recorded."""
    events = t.ledger_events
    with store.read() as conn:
        rows = conn.execute(
            select(events.c.seq, events.c.payload)
            .where(events.c.case_id == case_id, events.c.action == "case.exported")
            .order_by(events.c.seq.desc())
        )
        for seq, payload in rows:
            if isinstance(payload, dict) and payload.get("export_id") == export_id:
                return {"seq": int(seq), "payload": payload}
    return None
