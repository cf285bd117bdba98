"""Resumable uploads staged in the object store, so a PATCH may land on any node.

When the blob store is S3 (``BlobStore.staging``), an upload is a row of ``tus_uploads`` in
the database (its info, the bytes received, its multipart upload's parts) and one S3
multipart upload at ``<prefix>/staging/<id>`` (``store.blobs.s3_staging``); nothing of it is
on a node's disk. Each PATCH (``shared_patch``) claims the row at its offset, so two nodes
never write the same upload at once. The request that brings the last byte completes the
multipart upload, takes the digests (the running ones when this process received every
byte, else one read of the staged object), probes the file through ranged reads, and the
blob store takes the staged object under its content address with a server-side copy
(``S3BlobStore.adopt_staged``): the bytes cross the application node once.

Protocol, checks, outcomes and ledger events are ``uploads.Uploads``'s; this class replaces
where the bytes and the info live.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from liuhen.errors import Conflict, NotFound, StorageError, UploadGone, UploadLocked
from liuhen.ledger.events import Actor
from liuhen.services.av.shared_patch import Lease, SharedPatch, claim, release
from liuhen.services.av.upload_ingest import settle_duplicate
from liuhen.services.av.upload_metadata import UploadInfo
from liuhen.services.av.upload_staging import HASHES
from liuhen.services.av.uploads import Uploads
from liuhen.store import upload_rows as rows
from liuhen.store.blobs.s3_staging import S3Staging, part_size
from liuhen.store.store import Store

STAGED = Path("/staged")
"""Where a staged upload appears to the import (its name is the upload's file name)."""


def uploads_for(store: Store) -> Uploads:
    """The staging of ``store``: in the object store when it offers one, else on disk."""
    return SharedUploads(store) if store.blobs.staging() is not None else Uploads(store)


class SharedUploads(Uploads):
    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.staging: S3Staging = store.blobs.staging()

    # -- info --------------------------------------------------------------------------
    def _row(self, upload_id: str) -> rows.UploadRow:
        row = rows.load(self.store.engine, self._check_id(upload_id))
        if row is None:
            raise NotFound(f"upload: 上传 {upload_id} 不存在、已过期或已终止")
        return row

    @staticmethod
    def _info(row: rows.UploadRow) -> UploadInfo:
        info = UploadInfo(**row.info)
        if row.touched_at is not None and info.state != "done":
            info.touched_at = row.touched_at.isoformat()
        return info

    def load(self, upload_id: str) -> UploadInfo:
        return self._info(self._row(upload_id))

    def get(self, actor: Actor, upload_id: str) -> tuple[UploadInfo, int]:
        row = self._row(upload_id)
        info = self._info(row)
        if info.owner_id != actor.id or (actor.id is None and info.owner_label != actor.label):
            raise NotFound(f"upload: 上传 {upload_id} 不存在、已过期或已终止")
        if info.state == "done":
            return info, info.length
        if info.expires_at(self.settings.upload_expiry_hours) < self.store.clock():
            raise UploadGone(f"上传 {upload_id} 已过期（超过 {self._hours()} 未续传），请重新上传")
        return info, row.received

    def _write_info(self, info: UploadInfo) -> None:
        """The row holds the info from its insert (``_stage_new``); what changes later is
        written by the claim's holder (``shared_patch``, ``finish``)."""

    def touch(self, info: UploadInfo) -> None:
        """Each PATCH's commit touches the row (``shared_patch``)."""

    # -- creation and receiving --------------------------------------------------------
    def _check_space(self, length: int) -> None:
        """Nothing is staged on this node's disk."""

    @contextlib.contextmanager
    def _stage_new(self, info: UploadInfo) -> Iterator[None]:
        s3_id = self.staging.start(info.id)
        state = {
            "s3": s3_id,
            "part_size": part_size(info.length),
            "parts": [],
            "tail": None,
            "completed": False,
        }
        try:
            rows.insert(
                self.store.engine,
                rows.UploadRow(info.id, asdict(info), 0, state),
                self.store.clock(),
            )
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.staging.abort(info.id, s3_id)
                rows.remove(self.store.engine, info.id)
            raise

    def open_patch(  # type: ignore[override]
        self, actor: Actor, upload_id: str, offset: int, checksum: str | None = None
    ) -> SharedPatch:
        info, _current = self.get(actor, upload_id)
        if info.state == "done":
            raise Conflict(f"上传 {upload_id} 已完成，无需继续上传", details=[])
        return SharedPatch(self.store, self.staging, info, offset, checksum)

    # -- completion --------------------------------------------------------------------
    def finish(self, actor: Actor, upload_id: str) -> dict[str, Any]:
        """Complete the multipart upload and ingest it (idempotent, under the row's claim:
        one node ingests it)."""
        info, offset = self.get(actor, upload_id)
        if info.state == "done":
            assert info.result is not None
            return info.result
        if offset != info.length:
            raise Conflict(f"上传 {upload_id} 尚未完成：已收到 {offset} / {info.length} 字节")
        token, row = claim(self.store, upload_id, offset)
        try:
            with Lease(self.store, upload_id, token).kept():  # however long the ingest takes
                state = dict(row.staging)
                if not state.get("completed"):
                    self.staging.complete(upload_id, state["s3"], state["parts"])
                    state["completed"] = True
                    engine, now = self.store.engine, self.store.clock()
                    rows.commit(engine, upload_id, token, now, staging=state, keep_claim=True)
                running = HASHES.take(upload_id, offset)
                digests = running.hexdigests() if running else self.staging.digests(upload_id)[:2]
                result = self._ingest_staged(actor, info, digests)
                self._close_shared(actor, info, result, token)
        except BaseException:
            release(self.store, upload_id, token)
            raise
        return result

    def _ingest_staged(
        self, actor: Actor, info: UploadInfo, digests: tuple[str, str]
    ) -> dict[str, Any]:
        early = self._screen(info, digests[0])
        if early is not None:
            return settle_duplicate(self.store, actor, info, early, self._case)
        key = self.staging.key(info.id)
        return self._import(
            actor,
            info,
            STAGED / info.id / info.file_name,
            digests,
            opener=lambda _path: self.staging.reader(info.id),
            adopt=lambda _path: self._adopt(key, digests, info.length),
        )

    def _adopt(self, key: str, digests: tuple[str, str], size: int) -> Any:
        blobs: Any = self.store.blobs  # an S3BlobStore: the one kind that stages uploads
        return blobs.adopt_staged(key, digests, size)

    def _close_shared(
        self, actor: Actor, info: UploadInfo, result: dict[str, Any], token: str
    ) -> None:
        info.state, info.result = "done", result
        info.touched_at = self.store.clock().isoformat()
        engine, now = self.store.engine, self.store.clock()
        rows.commit(engine, info.id, token, now, info=asdict(info))
        HASHES.drop(info.id)
        with contextlib.suppress(StorageError):
            self.staging.remove(self.staging.key(info.id))
        self._record_finished(actor, info, result)

    # -- termination and expiry --------------------------------------------------------
    def terminate(self, actor: Actor, upload_id: str) -> None:
        info, offset = self.get(actor, upload_id)
        if info.state == "done":
            raise Conflict(
                f"上传 {upload_id} 已完成：已存储的原件不能通过终止上传删除（000§19、003§20）"
            )
        _token, row = claim(self.store, upload_id, offset)
        self._discard(row)
        with self.store.transaction(actor) as tx:
            tx.record(
                "av.upload_terminated",
                subject_type="upload",
                subject_id=upload_id,
                payload={"file_name": info.file_name, "received": offset, "length": info.length},
            )

    def clean_expired(self) -> int:
        """Remove incomplete uploads untouched for the expiry time (and old outcomes)."""
        hours = self.settings.upload_expiry_hours
        removed = 0
        before = self.store.clock() - timedelta(hours=hours)
        for row in rows.untouched_since(self.store.engine, before):
            info = self._info(row)
            if info.state == "done":
                rows.remove(self.store.engine, row.id)
                continue
            try:
                _token, row = claim(self.store, row.id, row.received)
            except (Conflict, UploadLocked, UploadGone):
                continue  # a PATCH is writing it right now
            self._discard(row)
            removed += 1
            self._record_expired(info, row.received)
        return removed

    def _discard(self, row: rows.UploadRow) -> None:
        """Abort the multipart upload, remove the tail and the row (the claim is held)."""
        HASHES.drop(row.id)
        self.staging.abort(row.id, row.staging["s3"])
        if row.staging.get("tail"):
            with contextlib.suppress(StorageError):
                self.staging.remove(row.staging["tail"])
        rows.remove(self.store.engine, row.id)

    def _record_expired(self, info: UploadInfo, received: int) -> None:
        with self.store.transaction(Actor.system("上传暂存清理")) as tx:
            tx.record(
                "av.upload_expired",
                subject_type="upload",
                subject_id=info.id,
                payload={
                    "file_name": info.file_name,
                    "received": received,
                    "length": info.length,
                    "owner": info.owner_label,
                },
            )
