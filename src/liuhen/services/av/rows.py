"""Row writers shared by the AV services: records, their files, blobs, refusals.

Every write here runs inside the caller's transaction and is followed there by its
ledger event; nothing in this module updates or deletes a row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from liuhen.ledger.events import Actor
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

NEVER = "原始音像记录不得剪辑、删除或替换（000§19、003§20、001§15、002§36、004§39）"
Row = Mapping[Any, Any]


def register_blob(tx: Tx, store: Store, info: BlobInfo) -> None:
    """The blob row, as ``services.files.store_file`` writes it, in the record's transaction."""
    row = {"sha256": info.sha256, "sm3": info.sm3, "size": info.size, "stored_at": store.clock()}
    if tx.insert_new("blobs", row) is None:  # already registered (by anyone, even just now)
        return
    tx.record(
        "blob.stored",
        subject_type="blob",
        subject_id=info.sha256,
        payload={"sm3": info.sm3, "size": info.size},
    )


def insert_record(
    tx: Tx,
    store: Store,
    record_id: str,
    case_id: str | None,
    act_id: str | None,
    kinds: tuple[str, str],
    title: str,
    details: Mapping[str, Any],
    *,
    supersedes: Row | None = None,
    reason: str = "",
) -> None:
    tx.insert(
        "records",
        {
            "id": record_id,
            "case_id": case_id,
            "act_id": act_id,
            "supersedes_id": supersedes["id"] if supersedes else None,
            "version": supersedes["version"] + 1 if supersedes else 1,
            "kind": kinds[0],
            "doc_kind": kinds[1],
            "title": title[:300],
            "details": dict(details),
            "correction_reason": reason,
            "created_by": tx.actor.id or "system",
            "created_at": store.clock(),
        },
    )


def insert_files(
    tx: Tx,
    store: Store,
    record_id: str,
    role: str,
    files: Sequence[tuple[str, str, Mapping[str, Any]]],
    hashes: Sequence[str],
) -> None:
    for position, ((name, media_type, details), sha) in enumerate(
        zip(files, hashes, strict=True), 1
    ):
        tx.insert(
            "record_files",
            {
                "id": new_id(),
                "record_id": record_id,
                "position": position,
                "role": role,
                "blob_sha256": sha,
                "file_name": name,
                "media_type": media_type,
                "details": dict(details),
                "created_at": store.clock(),
            },
        )


def refuse(
    store: Store, actor: Actor, action: str, record_id: str, note: str, sha256: str | None = None
) -> None:
    """Commit the refusal event on its own, so raising afterwards cannot roll it back."""
    with store.transaction(actor) as tx:
        row = tx.get("records", record_id)
        tx.record(
            action,
            subject_type="record",
            subject_id=record_id[:80],
            case_id=row["case_id"] if row else None,
            payload={"exists": row is not None, "note": note[:500], "offered_sha256": sha256},
        )
