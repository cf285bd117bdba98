"""Acts and their records (text and AV). Corrections are new versions, never edits."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liuhen.domain.acts import act_problems
from liuhen.domain.limits import ACT_LIMITS, RECORD_LIMITS, text_problems
from liuhen.errors import Conflict, ForbiddenChange, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.cases.gates import (
    Override,
    action_for,
    check_reason,
    decides,
    hold,
    with_record,
)
from liuhen.services.cases.queries.records import (
    has_newer_version,
    officers_of_agency,
    records_beside,
)
from liuhen.services.permissions import require_case, require_record
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id


@dataclass(frozen=True)
class AttachedFile:
    sha256: str
    file_name: str
    media_type: str
    role: str = "original"
    details: dict[str, Any] | None = None


def record_act(
    store: Store,
    actor: Actor,
    *,
    case_id: str,
    kind: str,
    started_at: datetime,
    ended_at: datetime | None,
    place: str,
    officer_ids: Sequence[str],
    details: dict[str, Any] | None = None,
    case: Mapping[str, Any] | None = None,
) -> str:
    """Record an act of a case. Refused, with every problem named (InvalidInput), when its
    kind is not one of the case's procedure (``domain.acts``), its times are out of order,
    or an officer is not on the roster of the case's agency. ``case``: the case as the
    permission check loaded it (not read again)."""
    loaded = require_case(store, actor, "record.create", case_id, case)
    problems = act_problems_of(store, loaded, kind, started_at, ended_at, officer_ids)
    problems += text_problems({"place": place}, ACT_LIMITS)
    if problems:
        raise InvalidInput("执法环节信息有误", details=problems)
    act_id = new_id()
    with store.transaction(actor) as tx:
        tx.insert(
            "acts",
            {
                "id": act_id,
                "case_id": case_id,
                "supersedes_id": None,
                "kind": kind,
                "started_at": started_at,
                "ended_at": ended_at,
                "place": place,
                "officer_ids": list(officer_ids),
                "details": details or {},
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            "act.recorded",
            subject_type="act",
            subject_id=act_id,
            case_id=case_id,
            payload={"kind": kind},
        )
    return act_id


def act_problems_of(
    store: Store,
    case: Mapping[str, Any],
    kind: str,
    started_at: datetime | None,
    ended_at: datetime | None,
    officer_ids: Sequence[str],
) -> list[str]:
    """What ``record_act`` refuses in an act of the loaded ``case``, as "field: 说明" lines:
    a kind its procedure has not, times out of order, officers not on its agency's roster
    (one query). A form that found problems of its own asks for these too, to show all."""
    problems = act_problems(case["procedure"], kind, started_at, ended_at)
    strangers = officers_not_of(store, case["agency_id"], officer_ids)
    if strangers:
        problems.append(
            f"officer_ids: 所选执法人员不属于本机关（{'、'.join(strangers)}），"
            "请从本机关执法人员名册中选择"
        )
    return problems


def officers_not_of(store: Store, agency_id: str, officer_ids: Sequence[str]) -> list[str]:
    """The ids among ``officer_ids`` that are no officer of the agency (one query)."""
    wanted = list(dict.fromkeys(officer_ids))
    if not wanted:
        return []
    found = officers_of_agency(store, agency_id, wanted)
    return [o for o in wanted if o not in found]


def _bundle_shaped(
    kind: str, doc_kind: str, act_id: str | None, details: dict[str, Any]
) -> dict[str, Any]:
    """Records keep their case-bundle form, so the compliance engine reads them as stored."""
    shaped = dict(details)
    if kind == "text":
        shaped.setdefault("kind", doc_kind)
    if act_id is not None:
        shaped.setdefault("act_id", act_id)
    return shaped


def _attach(tx: Tx, record_id: str, files: Sequence[AttachedFile], now: datetime) -> None:
    """One record_files row per stored file; every blob must already be registered."""
    for f in files:
        if tx.get("blobs", f.sha256) is None:
            raise InvalidInput(f"files: 文件 {f.file_name} 尚未存储（{f.sha256[:12]}…）")
    for position, f in enumerate(files, start=1):
        tx.insert(
            "record_files",
            {
                "id": new_id(),
                "record_id": record_id,
                "position": position,
                "role": f.role,
                "blob_sha256": f.sha256,
                "file_name": f.file_name,
                "media_type": f.media_type,
                "details": f.details or {},
                "created_at": now,
            },
        )


def _check_shape(kind: str, record_id: str, shaped: dict[str, Any]) -> None:
    from liuhen.services.cases.bundle_import import check_entity

    if kind == "text":
        check_entity("text_record", {"id": record_id, **shaped}, "$.text_records[]")
    else:
        check_entity("av_record", {"id": record_id, **shaped}, "$.av_records[]")


def add_record(
    store: Store,
    actor: Actor,
    *,
    case_id: str,
    act_id: str | None,
    kind: str,
    doc_kind: str,
    title: str,
    details: dict[str, Any],
    files: Sequence[AttachedFile] = (),
    case: Mapping[str, Any] | None = None,
    override: Override | None = None,
    history: bool = False,
    record_id: str | None = None,
    within: Callable[[Tx], None] | None = None,
) -> str:
    """Add a text ('text') or audio-video ('av') record with its stored files. ``case``: the
    case as the permission check loaded it (not read again). A decision document passes the
    ``decide`` gate (``services/cases/gates``; ``override``: the head's, with a reason)
    unless ``history``: a case's past being loaded (the demo), not a decision made now."""
    gated = decides(kind, doc_kind) and not history
    own = "av.upload" if kind == "av" else "record.create"
    loaded = require_case(store, actor, action_for(own, override if gated else None), case_id, case)
    check_reason(override if gated else None)
    if kind not in ("text", "av"):
        raise InvalidInput(f"kind: 记录类型应为 text 或 av，而不是 {kind!r}")
    if problems := text_problems({"title": title}, RECORD_LIMITS):
        raise InvalidInput("记录信息有误", details=problems)
    record_id = record_id or new_id()  # given: the id its number was issued to
    now = store.clock()
    shaped = _bundle_shaped(kind, doc_kind, act_id, details)
    _check_shape(kind, record_id, shaped)
    with store.transaction(actor) as tx:  # the case was loaded above: it exists
        if gated:  # first: what the gate reads stays as read until the commit
            tx.lock("cases", case_id)
        act = tx.get("acts", act_id) if act_id is not None else None
        if act_id is not None and (act is None or act["case_id"] != case_id):
            raise NotFound(f"act: 本案中没有执法环节 {act_id}")  # another case's: the same
        if within is not None:  # in the same unit of work (a typed 文号 registered)
            within(tx)
        if gated:
            _hold_decision(tx, store, loaded, {"id": record_id, **shaped}, override)
        row: dict[str, Any] = {"id": record_id, "case_id": case_id, "act_id": act_id}
        row |= {"supersedes_id": None}
        row |= {"version": 1, "kind": kind, "doc_kind": doc_kind, "title": title}
        row |= {"details": shaped, "correction_reason": "", "created_by": actor.id or "system"}
        tx.insert("records", {**row, "created_at": now})
        _attach(tx, record_id, files, now)
        tx.record(
            "record.created",
            subject_type="record",
            subject_id=record_id,
            case_id=case_id,
            payload={"kind": kind, "doc_kind": doc_kind, "files": [f.sha256 for f in files]},
        )
    return record_id


def _hold_decision(
    tx: Tx,
    store: Store,
    case: Mapping[str, Any],
    record: dict[str, Any],
    override: Override | None,
) -> None:
    """The ``decide`` gate, in the transaction adding the decision ``record``."""
    subject = ("record", str(record["id"]))
    now = store.clock()
    hold(
        tx, store, case, "decide", with_record(record), now=now, override=override, subject=subject
    )


def correct_record(
    store: Store,
    actor: Actor,
    *,
    record_id: str,
    details: dict[str, Any],
    reason: str,
    title: str | None = None,
    files: Sequence[AttachedFile] = (),
) -> str:
    """补正: a new version of a record that names who, when and why; the old one stays."""
    require_record(store, actor, "record.create", record_id)
    if not reason.strip():
        raise InvalidInput("correction_reason: 更正须说明理由")
    new_record_id = new_id()
    with store.transaction(actor) as tx:
        tx.lock("records", record_id)  # two correctors: the second sees the first's version
        old = tx.get("records", record_id)
        if old is None:
            raise NotFound(f"record: 记录 {record_id} 不存在")
        if has_newer_version(tx.conn, record_id):
            raise Conflict("该记录已有更新的版本，请在最新版本上更正")
        if old["kind"] == "av":
            raise ForbiddenChange("音像记录原件不可更正；如需说明，请另行制作文字记录")
        _check_shape(
            old["kind"],
            new_record_id,
            _bundle_shaped(old["kind"], old["doc_kind"], old["act_id"], details),
        )
        tx.insert(
            "records",
            {
                "id": new_record_id,
                "case_id": old["case_id"],
                "act_id": old["act_id"],
                "supersedes_id": record_id,
                "version": old["version"] + 1,
                "kind": old["kind"],
                "doc_kind": old["doc_kind"],
                "title": title or old["title"],
                "details": _bundle_shaped(old["kind"], old["doc_kind"], old["act_id"], details),
                "correction_reason": reason.strip(),
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        _attach(tx, new_record_id, files, store.clock())
        tx.record(
            "record.corrected",
            subject_type="record",
            subject_id=new_record_id,
            case_id=old["case_id"],
            payload={
                "supersedes": record_id,
                "version": old["version"] + 1,
                "reason": reason.strip(),
            },
        )
    return new_record_id


def _chain(rows: dict[str, dict[str, Any]], record_id: str) -> list[dict[str, Any]]:
    chain = [rows[record_id]] if record_id in rows else []
    while chain and chain[0]["supersedes_id"] in rows:  # footage may come from no case
        chain.insert(0, rows[chain[0]["supersedes_id"]])
    by_old = {r["supersedes_id"]: r for r in rows.values() if r["supersedes_id"]}
    while chain and chain[-1]["id"] in by_old:
        chain.append(by_old[chain[-1]["id"]])
    return chain


def record_history(store: Store, record_id: str) -> list[dict[str, Any]]:
    """Every version of a record, oldest first, each with who, when and why."""
    return _chain(records_beside(store, record_id), record_id)
