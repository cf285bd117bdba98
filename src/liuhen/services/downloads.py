"""Reading a stored file of a record (a rendered document, a scan, an AV segment).

Every read is a ledger event (查看、下载均留痕, 000§18): who, which record, which file, which
byte range."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from liuhen.errors import InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.permissions import require, require_case
from liuhen.store import tables as t
from liuhen.store.store import Store


@dataclass(frozen=True)
class FileRead:
    file_name: str
    media_type: str
    size: int
    start: int
    end: int  # inclusive
    chunks: Iterator[bytes]


def read_record_file(
    store: Store,
    actor: Actor,
    record_id: str,
    position: int,
    byte_range: tuple[int, int | None] | None = None,
) -> FileRead:
    """Open file ``position`` of a record, whole or a byte range, and log the read."""
    require(actor, "case.read")
    with store.read() as conn:
        row = (
            conn.execute(
                select(t.record_files, t.records.c.case_id)
                .join(t.records, t.records.c.id == t.record_files.c.record_id)
                .where(
                    t.record_files.c.record_id == record_id, t.record_files.c.position == position
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"file: 记录 {record_id} 没有第 {position} 个文件")
    require_case(store, actor, "case.read", row["case_id"])
    size = store.blobs.size(row["blob_sha256"])
    start, end = 0, size - 1
    if byte_range is not None:
        start, requested_end = byte_range
        end = min(size - 1, requested_end if requested_end is not None else size - 1)
        if start >= size or start > end:
            raise InvalidInput(f"Range: 请求的范围超出文件大小（{size} 字节）")
    with store.transaction(actor) as tx:
        tx.record(
            "record.file_read",
            subject_type="record",
            subject_id=record_id,
            case_id=row["case_id"],
            payload={
                "position": position,
                "sha256": row["blob_sha256"],
                "range": [start, end],
                "size": size,
            },
        )
    chunks = store.blobs.read_range(row["blob_sha256"], start, end) if size else iter(())
    return FileRead(row["file_name"], row["media_type"], size, start, end, chunks)
