"""Storing a file: the blob first (fsynced, renamed into place), then its row and event."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from liuhen.ledger.events import Actor
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.store import Store


def store_file(
    store: Store,
    actor: Actor,
    source: Path | BinaryIO,
    *,
    progress: Callable[[int], None] | None = None,
) -> BlobInfo:
    """Ingest ``source`` and register it; identical content is stored and registered once.

    The order makes a crash harmless: until the row commits, a stored blob is only an
    unregistered file (``verify`` notes it); a row never exists without its blob.
    """
    if isinstance(source, Path):
        info = store.blobs.ingest_path(source, progress=progress)
    else:
        info = store.blobs.ingest(source, progress=progress)
    with store.transaction(actor) as tx:
        row = {
            "sha256": info.sha256,
            "sm3": info.sm3,
            "size": info.size,
            "stored_at": store.clock(),
        }
        if tx.insert_new("blobs", row) is not None:  # stored once, whoever stores it first
            tx.record(
                "blob.stored",
                subject_type="blob",
                subject_id=info.sha256,
                payload={"sm3": info.sm3, "size": info.size},
            )
    return info
