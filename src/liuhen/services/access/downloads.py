"""Reading a stored file of a record (a rendered document, a scan, an AV segment).

Every download and every playback is a ledger event (实时调阅留痕, 000§18): who, which
record, which file. A player reads a file as many byte ranges; the playback is ONE event,
made by its first range (from byte 0). A range from elsewhere is logged only when the same
person has no logged read of that file within ``PLAYBACK_WINDOW``, so skipping byte 0 never
hides a read, and a seek inside a playback adds nothing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from liuhen.errors import Disposed, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.access.queries.files import file_read_payloads, file_to_serve
from liuhen.services.permissions import require, require_case
from liuhen.store.store import Store

PLAYBACK_WINDOW = timedelta(minutes=30)
"""Ranges of one file read by one person within this time after a logged read are one read."""
RESTART_DEBOUNCE = timedelta(seconds=10)
"""A player that asks for byte 0 again this soon is still starting the same playback."""


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
    *,
    download: bool = False,
    case: Mapping[str, Any] | None = None,
) -> FileRead:
    """Open file ``position`` of a record, whole or a byte range, and log the read: every
    download and whole read, and each playback once (see the module docstring). ``case``:
    the record's case as the caller loaded it (the web's permission check), not read again."""
    require(actor, "case.read")
    row, gone = file_to_serve(store, record_id, position)
    if row is None:
        raise NotFound(f"file: 记录 {record_id} 没有第 {position} 个文件")
    require_case(store, actor, "case.read", row["case_id"], case)
    if gone is not None:
        _refuse_disposed(store, actor, record_id, position, row["case_id"], gone)
    size = store.blobs.size(row["blob_sha256"])
    start, end = 0, size - 1
    if byte_range is not None:
        start, requested_end = byte_range
        end = min(size - 1, requested_end if requested_end is not None else size - 1)
        if start >= size or start > end:
            raise InvalidInput(f"Range: 请求的范围超出文件大小（{size} 字节）")
    mode = "download" if download else "read" if byte_range is None else "play"
    if mode == "play":
        logged = _same_playback(actor, record_id, position, start, store)
    if mode != "play" or not logged:  # on the ledger before a byte is sent (group commit)
        store.record_view(
            actor,
            "record.file_read",
            subject_type="record",
            subject_id=record_id,
            case_id=row["case_id"],
            payload={
                "position": position,
                "sha256": row["blob_sha256"],
                "mode": mode,
                "range": [start, end],
                "size": size,
            },
        )
    chunks = store.blobs.read_range(row["blob_sha256"], start, end) if size else iter(())
    return FileRead(row["file_name"], row["media_type"], size, start, end, chunks)


def _refuse_disposed(
    store: Store,
    actor: Actor,
    record_id: str,
    position: int,
    case_id: str | None,
    gone: dict[str, Any],
) -> NoReturn:
    """A disposed file (``gone``: its tombstone) is not served: say when and under which
    approval (and log the try)."""
    with store.transaction(actor) as tx:
        tx.record(
            "record.file_read_refused",
            subject_type="record",
            subject_id=record_id,
            case_id=case_id,
            payload={"position": position, "sha256": gone["sha256"], "reason": "disposed"},
        )
    at = datetime.fromisoformat(gone["at"]).astimezone(store.settings.tz)
    raise Disposed(
        f"文件 {gone['file_name']} 保管期满，已于 {at:%Y-%m-%d %H:%M} 经审批 {gone['approval_id']} "
        f"处置（{gone['citation']}）；其 SHA-256 {gone['sha256']} 与处置记录保存在全过程日志中"
    )


def _same_playback(actor: Actor, record_id: str, position: int, start: int, store: Store) -> bool:
    """Whether this range belongs to a playback (or read) already on the ledger."""
    now: datetime = store.clock()
    window = RESTART_DEBOUNCE if start == 0 else PLAYBACK_WINDOW
    rows = file_read_payloads(
        store, record_id, now - window, actor_id=actor.id, actor_label=actor.label
    )
    modes = {"play"} if start == 0 else {"play", "read", "download"}
    return any(p.get("position") == position and p.get("mode", "read") in modes for p in rows)
