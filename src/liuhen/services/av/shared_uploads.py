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

When the sender announced the file's SHA-256 (docking stations do: ``sha256`` in the
metadata) the multipart upload is made at that content address instead, and the last
request completes it there only once the digest of what arrived is the announced one
(``S3BlobStore.place_uploaded``): the completion is the promotion, and the object store
writes the bytes once. A digest that differs aborts the multipart upload (nothing is left
at either key); bytes already stored are never replaced (the upload aborts and counts as
a duplicate of them).

Protocol, checks, outcomes and ledger events are ``uploads.Uploads``'s; this class replaces
where the bytes and the info live.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liuhen.errors import Conflict, NotFound, StorageError, UploadGone, UploadLocked
from liuhen.ledger.events import Actor
from liuhen.services.av.shared_patch import Lease, SharedPatch, claim, release, running_digests
from liuhen.services.av.upload_ingest import settle_duplicate
from liuhen.services.av.upload_metadata import UploadInfo
from liuhen.services.av.upload_staging import HASHES
from liuhen.services.av.uploads import Uploads
from liuhen.store import upload_rows as rows
from liuhen.store.blobs import resumable_sha256
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.store import Store

if TYPE_CHECKING:  # boto3 is imported only where a bucket is used
    from liuhen.store.blobs.s3_staging import S3Staging

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
        from liuhen.store.blobs.s3_staging import part_size

        address = info.metadata.get("sha256") if resumable_sha256.available() else None
        blobs: Any = self.store.blobs  # an S3BlobStore: the one kind that stages uploads
        key = blobs.key_for(address) if address else None
        s3_id = self.staging.start(info.id, key=key)
        state: dict[str, Any] = {
            "s3": s3_id,
            "part_size": part_size(info.length),
            "parts": [],
            "tail": None,
            "completed": False,
            "address": address,  # made at its content address (``finish_at_address``)
            "key": key,
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
                self.staging.abort(info.id, s3_id, key=key)
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
                if row.staging.get("address"):
                    result = self._finish_at_address(actor, info, row, token)
                    self._close_shared(actor, info, result, token)
                    return result
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

    def _finish_at_address(
        self, actor: Actor, info: UploadInfo, row: rows.UploadRow, token: str
    ) -> dict[str, Any]:
        """The end of an upload made at its content address: compare, then complete there
        (or abort: a digest that differs, bytes already recorded), probe and record."""
        state = dict(row.staging)
        blobs: Any = self.store.blobs
        if not state.get("completed"):
            running = running_digests(info.id, state, info.length)
            if running is None:  # no state saved (cannot happen but for a lost row update)
                self._abort_address(state)
                return self._unverifiable(info)
            sha256, sm3 = running.hexdigests()
            early = self._screen(info, sha256)
            if early is not None:
                self._abort_address(state)
                return settle_duplicate(self.store, actor, info, early, self._case)
            created = blobs.place_uploaded(state["s3"], state["parts"], sha256, info.length)
            if not sm3:  # the prefix was received elsewhere: read the stored object once
                sm3 = self._sm3_of(sha256, created)
            state |= {"completed": True, "created": created, "digests": [sha256, sm3]}
            engine, now = self.store.engine, self.store.clock()
            rows.commit(engine, info.id, token, now, staging=state, keep_claim=True)
        sha256, sm3 = state["digests"]
        early = self._screen(info, sha256)
        if early is not None:  # recorded meanwhile (a retry after a failed ingest)
            return settle_duplicate(self.store, actor, info, early, self._case)
        blob = BlobInfo(sha256, sm3, info.length, created=bool(state["created"]))
        return self._import(
            actor,
            info,
            STAGED / info.id / info.file_name,
            (sha256, sm3),
            opener=lambda _path: self.staging.object_reader(state["key"]),
            adopt=lambda _path: blob,
        )

    def _sm3_of(self, sha256: str, created: bool) -> str:
        blobs: Any = self.store.blobs
        read_sha256, sm3, _size = blobs.rehash(sha256)
        if read_sha256 != sha256:  # the store changed the bytes under us
            if created:
                blobs.delete(sha256)
            raise StorageError(
                f"对象存储中 {sha256[:16]}… 的内容与刚校验的不符：已删除，请重新上传"
            )
        return str(sm3)

    def _abort_address(self, state: dict[str, Any]) -> None:
        self.staging.abort("", state["s3"], key=state["key"])

    @staticmethod
    def _unverifiable(info: UploadInfo) -> dict[str, Any]:
        return {
            "status": "rejected",
            "reason": "未能校验收到内容的 SHA-256（续传状态缺失）：未存储，请重新上传",
            "sha256": "",
            "file_name": info.file_name,
            "size": info.length,
        }

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
        self.staging.abort(row.id, row.staging["s3"], key=row.staging.get("key"))
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
