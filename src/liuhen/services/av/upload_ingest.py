"""The end of a resumable upload, wherever its bytes were staged: the checks that need no
import (``screen``), the import of the staged file with the digests taken on receipt
(``import_staged``) and the link to the case the uploader named (``link``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from liuhen.errors import LiuhenError, StorageError
from liuhen.ledger.events import Actor
from liuhen.media.importing import ImportOptions
from liuhen.services.av.ingest import import_av
from liuhen.services.av.queries.records import (
    case_and_act_of_record,
    latest_version_id,
    segment_holder,
)
from liuhen.services.av.upload_metadata import UploadInfo
from liuhen.services.av.versions import link_av
from liuhen.store.store import Store

MANIFEST_FIX = "请在采集站清单中填写开始时间后重新导入"
PAGE_FIX = "请在上传页的“录制开始时间”中填写后重新上传"


def screen(store: Store, info: UploadInfo, sha256: str) -> dict[str, Any] | None:
    """The outcome when the bytes need no import: not what the sender announced, or
    already held."""
    base = {"sha256": sha256, "file_name": info.file_name, "size": info.length}
    expected = info.metadata.get("sha256")
    if expected and expected != sha256:
        return base | {
            "status": "rejected",
            "reason": f"收到的内容的 SHA-256（{sha256}）与上传方给出的（{expected}）不符："
            "传输中可能出错，未存储，请重新上传",
        }
    owner = segment_holder(store, sha256)
    if owner is not None:
        return base | {
            "status": "duplicate",
            "reason": f"已存储（音像记录 {owner}），未重复存储",
            "record_id": owner,
        }
    return None


def settle_duplicate(
    store: Store,
    actor: Actor,
    info: UploadInfo,
    early: dict[str, Any],
    case: dict[str, Any] | None,
) -> dict[str, Any]:
    """A file sent again from a case page whose recording is already stored: when no case
    holds that recording yet, it is linked to the case it was sent for now (the upload is
    no dead end), and the outcome says so; when this case holds it already, it says that."""
    meta = info.metadata
    if early.get("status") != "duplicate" or not meta.get("case") or not early.get("record_id"):
        return early
    owner = latest_version_id(store, str(early["record_id"]))
    held = case_and_act_of_record(store, owner)
    if held is not None and held[0] == meta["case"]:
        return early | {
            "reason": f"已存储（音像记录 {owner}），并已关联本案，未重复存储",
            "linked": owner,
            "case_id": meta["case"],
        }
    if held is not None and held[0] is not None:
        return early  # another case holds it: the reason names the record
    done = link(store, actor, owner, meta, case, phone_of=uploading_officer(actor, info))
    if done.get("linked"):
        done["reason"] = f"已存储（音像记录 {owner}），此前未关联案件，现已关联本案"
    return early | done


def import_staged(
    store: Store,
    actor: Actor,
    info: UploadInfo,
    staged: Path,
    digests: tuple[str, str],
    case: dict[str, Any] | None,
    **reading: Any,
) -> dict[str, Any]:
    """``import_av`` of the staged file (``reading``: how to open and store it when it is
    not on this disk) and the outcome of the upload.

    Long: the outcome dict is built here from the import's one line (new, duplicate,
    rejected) and the case link, so the last PATCH answers with all of it."""
    sha256 = digests[0]
    base = {"sha256": sha256, "file_name": info.file_name, "size": info.length}
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
        **reading,
    )
    report = import_av(store, actor, [staged], options)
    [line] = report.files
    reason = line.reason
    if info.station_id is None:  # sent from the upload page: the field to fill is there
        reason = reason.replace(MANIFEST_FIX, PAGE_FIX)
    result = base | {
        "status": line.status,
        "reason": reason,
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
        result |= link(
            store, actor, line.record_id, meta, case, phone_of=uploading_officer(actor, info)
        )
    return result


def uploading_officer(actor: Actor, info: UploadInfo) -> str | None:
    """The officer whose phone recorded footage sent from a case page in the browser (not by
    a docking station): linked to the case whatever its device (``services/av/phones``)."""
    return actor.officer_id if info.station_id is None else None


def link(
    store: Store,
    actor: Actor,
    record_id: str,
    meta: dict[str, str],
    case: dict[str, Any] | None,
    *,
    phone_of: str | None = None,
) -> dict[str, Any]:
    row = case_and_act_of_record(store, record_id)
    if row is not None and row[0] == meta["case"] and meta.get("act") in (None, row[1]):
        # joined to a recording of this case already (services.av.join)
        return {"linked": record_id, "record_id": record_id, "case_id": meta["case"]}
    try:
        linked = link_av(
            store,
            actor,
            record_id,
            case_id=meta["case"],
            act_id=meta.get("act"),
            case=case,
            phone_of=phone_of,
        )
    except LiuhenError as exc:
        return {
            "linked": None,
            "link_problem": f"已存储为未关联的音像记录，但未能关联案件：{exc.message}",
        }
    return {"linked": linked, "record_id": linked, "case_id": meta["case"]}
