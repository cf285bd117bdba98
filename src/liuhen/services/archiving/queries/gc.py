"""Reads for ``liuhen gc``: which stored objects a row refers to."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from liuhen.store import tables as t
from liuhen.store.store import Store

CHUNK = 500
"""Keys asked about in one statement."""

_REFERRING = (t.blobs.c.sha256, t.record_files.c.blob_sha256, t.disposals.c.blob_sha256)
"""Every column that names a blob: its row, a record's file, a disposal's tombstone (the
last two also need the first; asked all the same, so no row's blob is ever a candidate)."""


def referenced(conn: Connection, keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` that a row refers to, read on ``conn`` (inside a transaction that
    holds the ledger's head, or not)."""
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        for column in _REFERRING:
            found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
    return found


def referenced_now(store: Store, keys: Sequence[str]) -> set[str]:
    """``referenced`` on a reading connection of its own."""
    if not keys:
        return set()
    with store.read() as conn:
        return referenced(conn, keys)
