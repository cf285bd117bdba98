"""Resumable uploads (tus 1.0): staged under the data dir, then ingested like ``import-av``.

An upload is two files in ``settings.uploads_dir``: ``<id>.json`` (length, metadata, owner,
state; rewritten atomically) and ``<id>.part`` (the bytes received so far). The offset is
the size of ``<id>.part`` on disk, so it survives a crash of the server. Each PATCH holds
an exclusive ``flock`` on the part file, writes what arrives straight to it (never the whole
file in memory) and fsyncs before answering. A PATCH with a per-request checksum keeps its
bytes only if they match; a PATCH cut off mid-way keeps what arrived unless it carried a
checksum (then nothing of it, as tus requires).

The SHA-256 of the whole file is computed while the bytes arrive; the running state lives
in this process, keyed by upload and offset, and when it does not match the file (another
worker, a restart) the staged prefix is re-hashed. On the last byte the file is moved under
its (made safe) name and handed to ``services.av.import_av`` with the uploader's metadata:
probed, stored as received in the blob store, recorded (a segment of a recording already
stored joins it as a new version of that record: ``services.av.join``), linked to the case
when one was named. The staging files are then removed; the small ``<id>.json`` keeps the outcome until
the upload expires. Incomplete uploads untouched for ``upload_expiry_hours`` are removed.

Import cycle (type hints only): with ``liuhen.services.av.upload_staging``: staging is the upload's own storage.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import AbstractContextManager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from liuhen.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    UploadGone,
    UploadLocked,
)
from liuhen.ledger.events import Actor
from liuhen.services.av.queries.records import case_of_act
from liuhen.services.av.upload_ingest import import_staged, screen, settle_duplicate
from liuhen.services.av.upload_metadata import UploadInfo, check_parties, clean_metadata
from liuhen.services.av.upload_staging import (
    HASHES,
    Patch,
    encode_metadata,
    hash_prefix,
    human,
    locked,
    new_part,
    require_space,
    staged_name,
)
from liuhen.services.permissions import load_case, require, require_case
from liuhen.store.blobs.spool import storage_error
from liuhen.store.store import Store
from liuhen.store.unit import new_id

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = ("creation", "expiration", "checksum", "termination")
_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")
__all__ = ["TUS_EXTENSIONS", "TUS_VERSION", "UploadInfo", "Uploads", "encode_metadata"]


# -- the staging area ----------------------------------------------------------------------
class Uploads:
    """The staging area of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.settings = store.settings
        self.dir = self.settings.uploads_dir
        self._case: dict[str, Any] | None = None  # loaded by ``create`` (one per request)

    # -- paths and info --------------------------------------------------------------
    def _check_id(self, upload_id: str) -> str:
        if not (8 <= len(upload_id) <= 40) or not set(upload_id) <= _ID_CHARS:
            raise NotFound(f"upload: 上传 {upload_id[:40]} 不存在")
        return upload_id

    def part_path(self, upload_id: str) -> Path:
        return self.dir / f"{self._check_id(upload_id)}.part"

    def _info_path(self, upload_id: str) -> Path:
        return self.dir / f"{self._check_id(upload_id)}.json"

    def _write_info(self, info: UploadInfo) -> None:
        path = self._info_path(info.id)
        tmp = path.with_suffix(".json.tmp")
        data = json.dumps(asdict(info), ensure_ascii=False).encode("utf-8")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise storage_error(exc, path) from exc

    def load(self, upload_id: str) -> UploadInfo:
        try:
            data = json.loads(self._info_path(upload_id).read_text("utf-8"))
        except FileNotFoundError:
            raise NotFound(f"upload: 上传 {upload_id} 不存在、已过期或已终止") from None
        return UploadInfo(**data)

    def get(self, actor: Actor, upload_id: str) -> tuple[UploadInfo, int]:
        """The upload (only its owner sees it) and its offset."""
        info = self.load(upload_id)
        if info.owner_id != actor.id or (actor.id is None and info.owner_label != actor.label):
            raise NotFound(f"upload: 上传 {upload_id} 不存在、已过期或已终止")
        if info.state == "done":
            return info, info.length
        if info.expires_at(self.settings.upload_expiry_hours) < self.store.clock():
            raise UploadGone(f"上传 {upload_id} 已过期（超过 {self._hours()} 未续传），请重新上传")
        try:
            offset = self.part_path(upload_id).stat().st_size
        except FileNotFoundError:
            raise UploadGone(f"上传 {upload_id} 的暂存文件已不存在，请重新上传") from None
        return info, offset

    def _hours(self) -> str:
        return f"{self.settings.upload_expiry_hours} 小时"

    # -- creation --------------------------------------------------------------------
    def create(
        self,
        actor: Actor,
        *,
        length: int,
        metadata: dict[str, str],
        station_id: str | None = None,
        default_device: str | None = None,
    ) -> UploadInfo:
        """Check everything that can be checked before a byte arrives, then stage.

        Long: the checks run in the order a station sees its refusals (length, name, metadata,
        the case's permission, free space) and nothing is staged before all of them pass;
        then the part file, the info file and the av.upload_started event, in that order.
        """
        require(actor, "av.upload")
        limit = self.settings.upload_max_gb * 1024**3
        if length <= 0:
            raise InvalidInput("Upload-Length: 文件为空（0 字节），不是音像文件，未接收")
        if length > limit:
            raise InvalidInput(
                f"Upload-Length: 文件长 {human(length)}，超过允许的 {human(limit)}"
                "（LIUHEN_UPLOAD_MAX_GB）"
            )
        raw = metadata.get("filename", "")
        if not raw.strip():
            raise InvalidInput("filename: 缺少文件名（Upload-Metadata 中的 filename）")
        name, warnings = staged_name(raw)
        meta = self._check_metadata(metadata)
        if meta.get("case"):  # loaded above, kept for the link at the end (a station's)
            self._case = require_case(self.store, actor, "av.upload", meta["case"], self._case)
        check_parties(self.store, actor, meta, self._case)
        if default_device and not meta.get("device"):
            meta["device"] = default_device
        self.clean_expired()
        self._check_space(length)
        now = self.store.clock().isoformat()
        info = UploadInfo(
            id=new_id(),
            length=length,
            file_name=name,
            original_name=raw[:1000],
            metadata=meta,
            owner_id=actor.id,
            owner_label=actor.label,
            station_id=station_id,
            created_at=now,
            touched_at=now,
            warnings=warnings,
        )
        with self._stage_new(info), self.store.transaction(actor) as tx:
            self._write_info(info)
            tx.record(
                "av.upload_started",
                subject_type="upload",
                subject_id=info.id,
                case_id=meta.get("case"),
                payload={
                    "file_name": name,
                    "length": length,
                    "station_id": station_id,
                    "metadata": {k: v for k, v in meta.items() if k != "filename"},
                },
            )
        return info

    def _check_space(self, length: int) -> None:
        copies = 1 if self.store.blobs.adopts_from(self.dir) else 2
        require_space(self.settings, length, copies=copies, field="Upload-Length")

    def _stage_new(self, info: UploadInfo) -> AbstractContextManager[None]:
        """Where the new upload's bytes will go, held while its start is recorded."""
        return new_part(self.part_path(info.id))

    def _check_metadata(self, metadata: dict[str, str]) -> dict[str, str]:
        meta = clean_metadata(metadata, self.settings.tz, self.store.clock())
        case_id, act_id = meta.get("case"), meta.get("act")
        if case_id:
            try:  # loaded once: the permission check and the link at the end reuse it
                self._case = load_case(self.store, case_id, by_number=True)
            except NotFound:
                raise NotFound(f"case: 案件 {case_id} 不存在") from None
            meta["case"] = str(self._case["id"])
            if act_id:
                if case_of_act(self.store, act_id) != meta["case"]:
                    raise NotFound(f"act: 案件 {case_id} 中没有执法环节 {act_id}")
        return meta

    # -- receiving -------------------------------------------------------------------
    def open_patch(
        self, actor: Actor, upload_id: str, offset: int, checksum: str | None = None
    ) -> Patch:
        info, current = self.get(actor, upload_id)
        if info.state == "done":
            raise Conflict(f"上传 {upload_id} 已完成，无需继续上传", details=[])
        return Patch(self, info, offset, current, checksum)

    def touch(self, info: UploadInfo) -> None:
        info.touched_at = self.store.clock().isoformat()
        self._write_info(info)

    # -- completion ------------------------------------------------------------------
    def finish(self, actor: Actor, upload_id: str) -> dict[str, Any]:
        """Ingest a complete upload (idempotent: a finished one returns its result)."""
        info, offset = self.get(actor, upload_id)
        if info.state == "done":
            assert info.result is not None
            return info.result
        if offset != info.length:
            raise Conflict(f"上传 {upload_id} 尚未完成：已收到 {offset} / {info.length} 字节")
        part = self.part_path(upload_id)
        with locked(part):  # until the outcome is written (``upload_recovery``)
            state = HASHES.take(upload_id, offset) or hash_prefix(part, offset)
            digests = state.hexdigests()
            result = self._ingest(actor, info, part, digests)
            self._close(actor, info, result)
        return result

    def _ingest(
        self, actor: Actor, info: UploadInfo, part: Path, digests: tuple[str, str]
    ) -> dict[str, Any]:
        """Probe and record the staged file; its bytes become the blob as they are (a
        link on the local store: ``BlobStore.adopt_path``), the digests taken on receipt."""
        early = self._screen(info, digests[0])
        if early is not None:
            return settle_duplicate(self.store, actor, info, early, self._case)
        folder = self.dir / f"{info.id}.d"
        folder.mkdir(exist_ok=True)
        staged = folder / info.file_name
        os.replace(part, staged)
        try:
            return self._import(actor, info, staged, digests)
        except BaseException:
            os.replace(staged, part)  # keep the bytes: the client may retry the last PATCH
            raise

    def _screen(self, info: UploadInfo, sha256: str) -> dict[str, Any] | None:
        return screen(self.store, info, sha256)

    def _import(
        self, actor: Actor, info: UploadInfo, staged: Path, digests: tuple[str, str], **reading: Any
    ) -> dict[str, Any]:
        return import_staged(self.store, actor, info, staged, digests, self._case, **reading)

    def _close(self, actor: Actor, info: UploadInfo, result: dict[str, Any]) -> None:
        info.state, info.result = "done", result
        info.touched_at = self.store.clock().isoformat()
        self._write_info(info)
        HASHES.drop(info.id)
        self.part_path(info.id).unlink(missing_ok=True)
        shutil.rmtree(self.dir / f"{info.id}.d", ignore_errors=True)
        self._record_finished(actor, info, result)

    def _record_finished(self, actor: Actor, info: UploadInfo, result: dict[str, Any]) -> None:
        with self.store.transaction(actor) as tx:
            tx.record(
                "av.upload_finished",
                subject_type="upload",
                subject_id=info.id,
                case_id=result.get("case_id"),
                payload={
                    k: result.get(k)
                    for k in ("status", "reason", "sha256", "record_id", "file_name", "size")
                },
            )

    # -- termination and expiry --------------------------------------------------------
    def terminate(self, actor: Actor, upload_id: str) -> None:
        info, offset = self.get(actor, upload_id)
        if info.state == "done":
            raise Conflict(
                f"上传 {upload_id} 已完成：已存储的原件不能通过终止上传删除（000§19、003§20）"
            )
        with locked(self.part_path(upload_id)):
            self._remove(info.id)
        with self.store.transaction(actor) as tx:
            tx.record(
                "av.upload_terminated",
                subject_type="upload",
                subject_id=upload_id,
                payload={"file_name": info.file_name, "received": offset, "length": info.length},
            )

    def clean_expired(self) -> int:
        """Remove incomplete uploads untouched for the expiry time (and old outcomes)."""
        if not self.dir.is_dir():
            return 0
        now, removed = self.store.clock(), 0
        hours = self.settings.upload_expiry_hours
        for path in sorted(self.dir.glob("*.json")):
            try:
                info = UploadInfo(**json.loads(path.read_text("utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if info.expires_at(hours) >= now:
                continue
            if info.state == "done":
                path.unlink(missing_ok=True)
                continue
            part = self.part_path(info.id)
            try:
                with locked(part, wait=False):
                    received = part.stat().st_size if part.exists() else 0
                    self._remove(info.id)
            except UploadLocked:
                continue  # a PATCH is writing it right now
            removed += 1
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
        return removed

    def _remove(self, upload_id: str) -> None:
        HASHES.drop(upload_id)
        self.part_path(upload_id).unlink(missing_ok=True)
        shutil.rmtree(self.dir / f"{upload_id}.d", ignore_errors=True)
        self._info_path(upload_id).unlink(missing_ok=True)
