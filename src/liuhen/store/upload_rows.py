"""Resumable uploads staged in the object store: their state, shared by every node.

One row per tus upload whose bytes go to an S3 multipart upload (``services.av.
shared_uploads``): the upload's info (length, name, owner, metadata, outcome), the bytes
received, and where they are (the multipart upload's id and its parts' ETags, the tail
object holding bytes short of a part). A PATCH may land on any node: it first *claims* the
row at the offset it was sent for, in one conditional UPDATE that the database decides (two
nodes sending the same offset at once: one gets the row, the other is told the offset
moved or a request is writing), and commits what it wrote with a second UPDATE that only
the claim's holder can make. A claim is a lease: its holder renews it (``refresh``) while
bytes arrive and while it ingests, and a claim not renewed for ``LEASE`` (its node died, or
its client stopped sending) is taken over by the next request, in the same conditional
UPDATE: of several nodes asking at once one takes it, and the old holder's next renewal or
commit finds the claim gone and writes nothing. Nodes' clocks are assumed synchronised
(NTP), as the ledger's times already are. Staging state is bookkeeping, not a record: the
ledger has the upload's start, end, termination or expiry as events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, String, Table, delete, select, update
from sqlalchemy.engine import Engine

from liuhen.store.metadata import metadata
from liuhen.store.types import JSONText, UTCDateTime

__all__ = ["tus_uploads"]

LEASE = timedelta(seconds=20)
"""A claim not renewed for this long belongs to a request that is gone: another may take it."""
RENEW = LEASE / 4
"""How often a live holder renews its claim (while bytes arrive, and while it ingests)."""

tus_uploads = Table(
    "tus_uploads",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("info", JSONText(), nullable=False),  # services.av.upload_metadata.UploadInfo
    Column("received", BigInteger(), nullable=False),  # the tus offset
    Column("staging", JSONText(), nullable=False),  # multipart id, parts, tail
    Column("writer", String(40), nullable=True),  # the request holding the claim
    Column("writer_at", UTCDateTime(), nullable=True),
    Column("touched_at", UTCDateTime(), nullable=False),
)
"""Uploads staged in the object store (bookkeeping: neither insert-only nor tracked)."""


@dataclass(frozen=True)
class UploadRow:
    id: str
    info: dict[str, Any]
    received: int
    staging: dict[str, Any]
    writer: str | None = None
    touched_at: datetime | None = None


@dataclass(frozen=True)
class Claimed:
    """The outcome of a claim: the row when taken, else why not (``row`` as it is)."""

    row: UploadRow | None
    taken: bool
    reason: str = ""  # "missing", "offset" or "locked"


def _row(data: Any) -> UploadRow:
    return UploadRow(
        data.id, data.info, int(data.received), data.staging, data.writer, data.touched_at
    )


def insert(engine: Engine, row: UploadRow, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            tus_uploads.insert().values(
                id=row.id,
                info=row.info,
                received=row.received,
                staging=row.staging,
                touched_at=now,
            )
        )


def load(engine: Engine | Connection, upload_id: str) -> UploadRow | None:
    query = select(tus_uploads).where(tus_uploads.c.id == upload_id)
    if isinstance(engine, Connection):
        found = engine.execute(query).first()
    else:
        with engine.connect() as conn:
            found = conn.execute(query).first()
    return _row(found) if found is not None else None


def claim(engine: Engine, upload_id: str, offset: int, token: str, now: datetime) -> Claimed:
    """Take the row for one request writing at ``offset``: one UPDATE, decided by the
    database, so of two requests at the same offset only one takes it; a claim whose lease
    ran out (``LEASE``) is taken over the same way."""
    free = (tus_uploads.c.writer.is_(None)) | (tus_uploads.c.writer_at < now - LEASE)
    with engine.begin() as conn:
        taken = conn.execute(
            update(tus_uploads)
            .where(tus_uploads.c.id == upload_id, tus_uploads.c.received == offset, free)
            .values(writer=token, writer_at=now)
        ).rowcount
        row = load(conn, upload_id)
    if row is None:
        return Claimed(None, False, "missing")
    if taken == 1:
        return Claimed(row, True)
    return Claimed(row, False, "offset" if row.received != offset else "locked")


def refresh(engine: Engine, upload_id: str, token: str, now: datetime) -> bool:
    """Renew the claim's lease; False when it was taken over (the lease had run out)."""
    with engine.begin() as conn:
        return (
            conn.execute(
                update(tus_uploads)
                .where(tus_uploads.c.id == upload_id, tus_uploads.c.writer == token)
                .values(writer_at=now)
            ).rowcount
            == 1
        )


def commit(
    engine: Engine,
    upload_id: str,
    token: str,
    now: datetime,
    *,
    received: int | None = None,
    staging: dict[str, Any] | None = None,
    info: dict[str, Any] | None = None,
    keep_claim: bool = False,
) -> bool:
    """Write what the claim's holder did and (unless ``keep_claim``) let the claim go;
    False when the claim was no longer held (nothing written)."""
    values: dict[str, Any] = {"touched_at": now}
    if received is not None:
        values["received"] = received
    if staging is not None:
        values["staging"] = staging
    if info is not None:
        values["info"] = info
    if not keep_claim:
        values |= {"writer": None, "writer_at": None}
    with engine.begin() as conn:
        done = conn.execute(
            update(tus_uploads)
            .where(tus_uploads.c.id == upload_id, tus_uploads.c.writer == token)
            .values(**values)
        ).rowcount
    return done == 1


def remove(engine: Engine, upload_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(tus_uploads).where(tus_uploads.c.id == upload_id))


def untouched_since(engine: Engine, moment: datetime) -> list[UploadRow]:
    """Rows not written since ``moment`` (candidates for expiry), oldest first."""
    query = (
        select(tus_uploads)
        .where(tus_uploads.c.touched_at < moment)
        .order_by(tus_uploads.c.touched_at)
    )
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]
