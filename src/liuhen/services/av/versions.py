"""New versions of an AV record (linking, notes) and the refusals that guard the originals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liuhen.errors import Conflict, ForbiddenChange, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.av.phones import officers_phone
from liuhen.services.av.queries.devices import registered_device_id, registered_officer_id
from liuhen.services.av.queries.records import newer_version_id, record_files
from liuhen.services.av.rows import NEVER, Row, insert_files, insert_record, refuse
from liuhen.services.cases.bundle_import import check_entity
from liuhen.services.permissions import require_case, require_record
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

REVISABLE = frozenset(
    {"precheck", "opening_statement", "interruptions", "evidence", "retention", "custodian"}
    | {"confidential", "service_id"}
)
ORIGINAL = frozenset({"segments", "stored_at"})


def link_av(
    store: Store,
    actor: Actor,
    record_id: str,
    *,
    case_id: str,
    act_id: str | None = None,
    device_id: str | None = None,
    officer_id: str | None = None,
    reason: str = "关联案件",
    case: Mapping[str, Any] | None = None,
    phone_of: str | None = None,
) -> str:
    """Link footage to a case (and act) as a new version; device and officer (ids, serial or
    certificate numbers) must be registered, so the case bundle stays whole. ``case``: the
    case as the caller loaded it (not read again). ``phone_of``: the officer who uploaded
    it from the case page: an unregistered device is that officer's phone (``phones``)."""
    loaded = require_case(store, actor, "av.upload", case_id, case)  # the case exists
    with store.transaction(actor) as tx:
        old = _latest_av(tx, record_id)
        act = tx.get("acts", act_id) if act_id else None
        if act_id and (act is None or act["case_id"] != case_id):
            raise NotFound(f"act: 案件 {case_id} 中没有执法环节 {act_id}")
        if old["case_id"] == case_id and old["act_id"] == act_id:
            raise Conflict(f"音像记录 {record_id} 已关联该案件与环节，无需重复关联")
        details = {k: v for k, v in old["details"].items() if k != "act_id"}
        device, officer = device_id or details["device_id"], officer_id or details["officer_id"]
        found_officer = registered_officer_id(tx.conn, officer) or phone_of
        found = registered_device_id(tx.conn, device)
        if found is None and phone_of is not None:
            found = officers_phone(tx, phone_of, str(loaded["agency_id"]), record_id)
        details["device_id"] = _registered(found, device, "设备")
        details["officer_id"] = _registered(found_officer, officer, "执法人员")
        if act_id:
            details["act_id"] = act_id
        if old["case_id"] is None:  # first linked to a case: when (av_unlinked measures it)
            details["linked_at"] = store.clock().astimezone(store.settings.tz).isoformat()
        new = _new_version(tx, store, old, details, case_id, act_id, reason)
        tx.record(
            "av.linked",
            subject_type="record",
            subject_id=new,
            case_id=case_id,
            payload={"supersedes": old["id"], "act_id": act_id, "reason": reason},
        )
    return new


def revise_av(
    store: Store,
    actor: Actor,
    record_id: str,
    *,
    changes: Mapping[str, Any],
    reason: str,
    case: Mapping[str, Any] | None = None,
) -> str:
    """Add what people know about the footage (interruptions, opening statement, evidence …)
    as a new version. Segments and storage time belong to the original: changing them is
    refused, and the attempt is a ledger event. ``case``: the record's case as the
    permission check loaded it (not read again)."""
    require_record(store, actor, "av.upload", record_id, case)
    if not reason.strip():
        raise InvalidInput("reason: 补充或更正须说明理由")
    touched = sorted(ORIGINAL & set(changes))
    if touched:
        refuse(store, actor, "av.replace_refused", record_id, ",".join(touched))
        raise ForbiddenChange(f"{NEVER}：不能修改 {', '.join(touched)}；此次尝试已记入全过程日志")
    unknown = sorted(set(changes) - REVISABLE)
    if unknown:
        raise InvalidInput(
            f"changes: 不能修改 {', '.join(unknown)}（可补充：{', '.join(sorted(REVISABLE))}）"
        )
    with store.transaction(actor) as tx:
        old = _latest_av(tx, record_id)
        details = {**old["details"], **changes}
        new = _new_version(tx, store, old, details, old["case_id"], old["act_id"], reason.strip())
        tx.record(
            "av.revised",
            subject_type="record",
            subject_id=new,
            case_id=old["case_id"],
            payload={"supersedes": old["id"], "fields": sorted(changes), "reason": reason.strip()},
        )
    return new


def _latest_av(tx: Tx, record_id: str) -> Row:
    """The record, locked (two new versions at once: the second sees the first), when it is
    footage and its latest version."""
    tx.lock("records", record_id)
    old = tx.get("records", record_id)
    if old is None or old["kind"] != "av":
        raise NotFound(f"record: 音像记录 {record_id} 不存在")
    newer = newer_version_id(tx.conn, record_id)
    if newer is not None:
        raise Conflict(f"音像记录 {record_id} 已有更新的版本 {newer}，请在最新版本上操作")
    return old


def _registered(value: str | None, ref: str, label: str) -> str:
    """The registered id found for ``ref``, or InvalidInput naming what to register."""
    if value is None:
        raise InvalidInput(f"{label} {ref} 尚未登记：请先登记，或在关联时指定已登记的{label}")
    return value


def _new_version(
    tx: Tx,
    store: Store,
    old: Row,
    details: Mapping[str, Any],
    case_id: str | None,
    act_id: str | None,
    reason: str,
) -> str:
    """The next version of an AV record, with the same segments and segment files."""
    new = new_id()
    if details["segments"] != old["details"]["segments"]:
        raise ForbiddenChange(NEVER)
    check_entity("av_record", {"id": new, **details}, "$.av_records[]")
    kinds = ("av", old["doc_kind"])
    insert_record(
        tx, store, new, case_id, act_id, kinds, old["title"], details, supersedes=old, reason=reason
    )
    files = record_files(tx.conn, old["id"])
    insert_files(
        tx,
        store,
        new,
        "segment",
        [(f["file_name"], f["media_type"], f["details"]) for f in files],
        [f["blob_sha256"] for f in files],
    )
    return new


def delete_av(store: Store, actor: Actor, record_id: str, *, reason: str = "") -> None:
    """Always refused, for every role: the attempt goes on the ledger, then ``ForbiddenChange``."""
    refuse(store, actor, "av.delete_refused", record_id, reason)
    raise ForbiddenChange(f"{NEVER}：删除被拒绝；此次尝试已记入全过程日志")


def replace_av_file(
    store: Store, actor: Actor, record_id: str, *, position: int, reason: str = ""
) -> None:
    """Always refused, like ``delete_av``: an original file is never swapped for another."""
    refuse(store, actor, "av.replace_refused", record_id, f"第 {position} 段：{reason}")
    raise ForbiddenChange(f"{NEVER}：替换被拒绝；此次尝试已记入全过程日志")
