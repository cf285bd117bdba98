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
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from liuhen.errors import (
    Conflict,
    InvalidInput,
    LiuhenError,
    NotFound,
    StorageError,
    UploadGone,
    UploadLocked,
)
from liuhen.ledger.events import Actor
from liuhen.services.av.queries.records import case_and_act_of_record, case_of_act, segment_holder
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
        copies = 1 if self.store.blobs.adopts_from(self.dir) else 2
        require_space(self.settings, length, copies=copies, field="Upload-Length")
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
        with new_part(self.part_path(info.id)), self.store.transaction(actor) as tx:
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
        link on the local store: ``BlobStore.adopt_path``), the digests taken on receipt.

        Long: the outcome dict is built here from the import's one line (new, duplicate,
        rejected) and the case link, so the last PATCH answers with all of it."""
        from liuhen.media.importing import ImportOptions
        from liuhen.services.av.ingest import import_av

        sha256 = digests[0]
        base = {"sha256": sha256, "file_name": info.file_name, "size": info.length}
        expected = info.metadata.get("sha256")
        if expected and expected != sha256:
            return base | {
                "status": "rejected",
                "reason": f"收到的内容的 SHA-256（{sha256}）与上传方给出的（{expected}）不符："
                "传输中可能出错，未存储，请重新上传",
            }
        owner = segment_holder(self.store, sha256)
        if owner is not None:
            return base | {
                "status": "duplicate",
                "reason": f"已存储（音像记录 {owner}），未重复存储",
                "record_id": owner,
            }
        folder = self.dir / f"{info.id}.d"
        folder.mkdir(exist_ok=True)
        staged = folder / info.file_name
        os.replace(part, staged)
        meta = info.metadata
        options = ImportOptions(
            device=meta.get("device"),
            officer=meta.get("officer"),
            custodian=actor.label,
            officer_start=(
                datetime.fromisoformat(meta["recorded_start"]) if "recorded_start" in meta else None
            ),
            case_id=meta.get("case"),
            act_id=meta.get("act"),
            digests={str(staged): digests},
        )
        try:
            report = import_av(self.store, actor, [staged], options)
        except BaseException:
            os.replace(staged, part)  # keep the bytes: the client may retry the last PATCH
            raise
        [line] = report.files
        result = base | {
            "status": line.status,
            "reason": line.reason,
            "record_id": line.record_id,
            "kind": line.kind,
            "start": line.start,
            "time_source": line.time_source,
            "warnings": list(info.warnings) + list(line.warnings),
            "joined": line.joined,
        }
        if line.sha256 and line.sha256 != sha256:  # cannot happen unless the disk lies
            raise StorageError(f"入库后的 SHA-256 {line.sha256} 与上传的 {sha256} 不符")
        if line.status == "new" and meta.get("case") and line.record_id:
            result |= self._link(actor, line.record_id, meta)
        return result

    def _link(self, actor: Actor, record_id: str, meta: dict[str, str]) -> dict[str, Any]:
        from liuhen.services.av.versions import link_av

        row = case_and_act_of_record(self.store, record_id)
        if row is not None and row[0] == meta["case"] and meta.get("act") in (None, row[1]):
            # joined to a recording of this case already (services.av.join)
            return {"linked": record_id, "record_id": record_id, "case_id": meta["case"]}
        try:
            linked = link_av(
                self.store,
                actor,
                record_id,
                case_id=meta["case"],
                act_id=meta.get("act"),
                case=self._case,
            )
        except LiuhenError as exc:
            return {
                "linked": None,
                "link_problem": f"已存储为未关联的音像记录，但未能关联案件：{exc.message}",
            }
        return {"linked": linked, "record_id": linked, "case_id": meta["case"]}

    def _close(self, actor: Actor, info: UploadInfo, result: dict[str, Any]) -> None:
        info.state, info.result = "done", result
        info.touched_at = self.store.clock().isoformat()
        self._write_info(info)
        HASHES.drop(info.id)
        self.part_path(info.id).unlink(missing_ok=True)
        shutil.rmtree(self.dir / f"{info.id}.d", ignore_errors=True)
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
