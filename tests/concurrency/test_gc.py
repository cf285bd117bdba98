"""``liuhen gc --delete`` while other processes store the same bytes (issue 14 item 5), on
SQLite and PostgreSQL: one process reclaims 36 old objects no row refers to while three
others store and register the same contents (six of them all three, each a third of the
rest), each in its own order. Whichever comes
first, no row is left without its blob: a writer that found a blob stored before gc deleted
it is refused at its commit and stores it again; afterwards every registered blob is in the
store, every content is registered, and the store verifies."""

from __future__ import annotations

import hashlib
import io
import os
import time
from typing import Any

from sqlalchemy import select

from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from liuhen.store.blobs.local import LocalBlobStore
from tests.concurrency import gc_ops
from tests.helpers import SYSTEM

ORPHANS = 36
SHARED = 6
"""Contents all three writers store (the rest each stores alone: a later writer putting the
bytes back cannot hide a row committed without them)."""


def _orphans(store: Any) -> list[bytes]:
    """Contents put in place two days ago whose rows never came."""
    contents = [f"并发清理测试文件 {i}".encode() * 64 for i in range(ORPHANS)]
    assert isinstance(store.blobs, LocalBlobStore)
    when = time.time() - 2 * 86400
    for data in contents:
        info = store.blobs.ingest(io.BytesIO(data))
        store.blobs.settle([info.sha256])
        os.utime(store.blobs.path_for(info.sha256), (when, when))
    return contents


def test_gc_deleting_while_three_processes_store_the_same_bytes_leaves_no_row_without_its_blob(
    store: Any, racers: Any
) -> None:
    contents = _orphans(store)
    shared = contents[:SHARED]  # every writer stores these; each stores a third of the rest
    each = [("gc", [], 0)] + [("store", shared + contents[SHARED + n :: 3], n) for n in range(3)]
    results = racers.race_each(store, gc_ops.gc_or_store, each)
    assert results.codes == {"ok": 4}, results
    with store.read() as conn:
        rows = set(conn.execute(select(t.blobs.c.sha256)).scalars())
        reclaimed = list(
            conn.execute(
                select(t.ledger_events.c.payload).where(
                    t.ledger_events.c.action == "store.reclaimed"
                )
            ).scalars()
        )
    missing = [sha for sha in rows if not store.blobs.exists(sha)]
    assert missing == [], results
    stored = {store.blobs.rehash(sha)[0] for sha in rows}
    assert {_sha(data) for data in contents} <= stored
    assert len(reclaimed) <= 1
    removed = {o["sha256"] for payload in reclaimed for o in payload["objects"]}
    assert removed <= {_sha(data) for data in contents}
    assert verify(store, SYSTEM).ok


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
