"""Disposal (处置/销毁) of records whose retention period has ended.

Nothing is disposed of before its date (000§19, 001§15, 004§12): every refusal says why in
Chinese and is itself a ledger event (``record.disposal_refused``). After the date, disposal
needs a closed, approved internal approval (kind ``other``, purpose ``disposal``) whose final
approver signed in a capacity the profile's retention schedule names (e.g. the head). Then
each file of the record (all its versions) gets a tombstone row in ``disposals`` (SHA-256,
SM3, size, approval, time, reason, class, citation) with one ``record.disposed`` event, and
only after that commits are the bytes removed from the blob store, unless another record
that is still kept uses the same blob. ``liuhen verify`` and ``liuhen fixity`` read the
tombstones, so a disposed blob is reported as disposed, not as missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

from liuhen.domain import vocab
from liuhen.errors import Conflict, ForbiddenChange, InvalidInput, LiuhenError, NotFound
from liuhen.ledger.events import Actor
from liuhen.rules.checks.retention import TERM_YEARS
from liuhen.services.approvals.model import ApprovalState
from liuhen.services.approvals.queries import approval_state
from liuhen.services.approvals.workflow import request_approval
from liuhen.services.archiving.queries.disposals import (
    any_tombstone,
    other_approval_ids,
    record_file_blobs,
    shared_elsewhere,
    tombstones_of_records,
)
from liuhen.services.archiving.queries.retention import record_retention, version_chain
from liuhen.services.archiving.retention import RecordRetention
from liuhen.services.permissions import require_record
from liuhen.store.store import Store
from liuhen.store.unit import new_id

PURPOSE = "disposal"


@dataclass
class DisposalResult:
    record_id: str
    case_id: str | None
    approval_id: str
    event_seq: int
    disposed_at: str
    files: list[dict[str, Any]] = field(default_factory=list)
    retention: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _date(moment: datetime | None, store: Store) -> str:
    return moment.astimezone(store.settings.tz).strftime("%Y年%m月%d日") if moment else ""


def _refuse(store: Store, actor: Actor, ret: RecordRetention, error: LiuhenError) -> NoReturn:
    """Record the refused attempt on the ledger, then raise ``error``."""
    with store.transaction(actor) as tx:
        tx.record(
            "record.disposal_refused",
            subject_type="record",
            subject_id=ret.record_id,
            case_id=ret.case_id,
            payload={
                "reason": error.message,
                "class": ret.class_code,
                "retention_until": ret.until.isoformat() if ret.until else None,
                "citation": ret.citation,
            },
        )
    raise error


def _not_yet(store: Store, ret: RecordRetention) -> ForbiddenChange | None:
    now = store.clock()
    if ret.expired(now):
        return None
    if ret.until is None and TERM_YEARS.get(ret.term) is None:
        when = "长期或永久保存，不设处置日期"
    elif ret.until is None:
        when = "案卷尚未归档移交，保管期限尚未起算"
    else:
        when = f"保管期限至 {_date(ret.until, store)} 届满"
    return ForbiddenChange(
        f"《{ret.title}》属于“{ret.class_name}”，保管期限“{ret.term_name}”（{ret.citation}），"
        f"{when}：保管期限内不得处置（{ret.disposal_citation}）"
    )


def disposal_info(store: Store, record_id: str) -> dict[str, Any]:
    """What the record page shows: its retention, whether it may be disposed of now, and
    its tombstones if it was."""
    ret = record_retention(store, record_id)
    refused = _not_yet(store, ret)
    return {
        "retention": ret,
        "disposable": refused is None,
        "why_not": refused.message if refused else "",
        "approver_names": [vocab.POSITIONS.get(p, p) for p in ret.approver_positions],
        "tombstones": tombstones_of_records(
            [r["id"] for r in version_chain(store, record_id)], store
        ),
        "approvals": disposal_approvals(store, ret),
    }


def request_disposal(
    store: Store,
    actor: Actor,
    record_id: str,
    *,
    reason: str,
    case: Mapping[str, Any] | None = None,
) -> str:
    """Ask for the disposal approval (a refused event before the date). ``case``: the
    record's case as the permission check loaded it (not read again)."""
    require_record(store, actor, "record.dispose", record_id, case)
    ret = record_retention(store, record_id)
    if not reason.strip():
        raise InvalidInput("reason: 请填写处置理由")
    refused = _not_yet(store, ret)
    if refused is not None:
        _refuse(store, actor, ret, refused)
    return request_approval(
        store,
        actor,
        case_id=ret.case_id,  # None for footage no case holds: the record is the subject
        subject_record_id=record_id,
        kind="other",
        opinion=f"拟处置保管期满的《{ret.title}》：{reason.strip()}",
        fields={
            "purpose": PURPOSE,
            "reasons": reason.strip(),
            "record_ids": [record_id],
            "retention_until": ret.until.isoformat() if ret.until else None,
        },
        permission="record.dispose",
        position="custodian",  # the handler of a disposal is the archive's custodian
    )


def disposal_approvals(store: Store, ret: RecordRetention) -> list[ApprovalState]:
    """The disposal approvals that name this record (any state), oldest first: those of its
    case, or, for footage no case holds, those whose subject is one of its versions."""
    chain = [r["id"] for r in version_chain(store, ret.record_id)]
    ids = other_approval_ids(store, ret.case_id, chain)
    states = [approval_state(store, i) for i in ids]
    return [
        s
        for s in states
        if s.fields.get("purpose") == PURPOSE and ret.record_id in s.fields.get("record_ids", [])
    ]


def _approval_problem(state: ApprovalState, ret: RecordRetention) -> str:
    if state.fields.get("purpose") != PURPOSE or ret.record_id not in state.fields.get(
        "record_ids", []
    ):
        return f"approval: 审批 {state.id} 不是对《{ret.title}》的处置审批"
    if not state.closed:
        return f"approval: 处置审批 {state.id} 尚未办结，请待批准后再处置"
    if state.outcome != "approved":
        return f"approval: 处置审批 {state.id} 未获批准，不能处置"
    final = [s for s in state.steps if s["decision"] == "approved" and s["details"].get("final")]
    if not final or final[-1]["position_code"] not in ret.approver_positions:
        names = "、".join(vocab.POSITIONS.get(p, p) for p in ret.approver_positions)
        return f"approval: 处置须经{names}批准（{ret.disposal_citation}），该审批的批准人不符"
    return ""


def dispose(
    store: Store,
    actor: Actor,
    record_id: str,
    *,
    approval_id: str | None,
    reason: str = "",
    case: Mapping[str, Any] | None = None,
) -> DisposalResult:
    """Dispose of a record after its retention date, with an approval; refuse otherwise.
    ``case``: the record's case as the permission check loaded it (not read again).

    Long: three phases whose order is the safety argument: the refusals (each put on the ledger
    by ``_refuse`` before it raises) in a fixed order before anything is written; one
    transaction with a tombstone per file and the record.disposed event; and only after it
    commits, the deletion of bytes no other record shares."""
    require_record(store, actor, "record.dispose", record_id, case)
    ret = record_retention(store, record_id)
    chain = version_chain(store, record_id)
    ids = [r["id"] for r in chain]
    files = record_file_blobs(store, ids)
    done = tombstones_of_records(ids, store)
    if files and len(done) >= len(files):
        raise Conflict(f"record: 《{ret.title}》已于 {done[0]['at']} 处置，不能重复处置")
    refused = _not_yet(store, ret)
    if refused is not None:
        _refuse(store, actor, ret, refused)
    if not approval_id:
        names = "、".join(vocab.POSITIONS.get(p, p) for p in ret.approver_positions)
        _refuse(store, actor, ret, InvalidInput(f"approval: 处置须经{names}批准，请指明处置审批"))
    try:
        state = approval_state(store, approval_id)
    except NotFound:
        _refuse(store, actor, ret, NotFound(f"approval: 审批 {approval_id} 不存在"))
    problem = _approval_problem(state, ret)
    if not problem and state.case_id != ret.case_id:
        problem = (
            "approval: 该审批不属于本记录的案件"
            if ret.case_id
            else "approval: 该审批是在记录关联案件时提请的，现记录已不属于该案件"
        )
    if problem:
        _refuse(store, actor, ret, Conflict(problem))
    reason = reason.strip() or str(state.fields.get("reasons", ""))
    now = store.clock()
    shared = shared_elsewhere(store, [f["sha256"] for f in files], ids)
    result = DisposalResult(
        record_id=record_id,
        case_id=ret.case_id,
        approval_id=approval_id,
        event_seq=0,
        disposed_at=now.isoformat(),
        retention=ret.to_dict(),
    )
    with store.transaction(actor) as tx:
        tx.lock("records", ids[0])  # two disposals of one record: the second sees the first
        if files and any_tombstone(tx.conn, ids):
            raise Conflict(f"record: 《{ret.title}》刚由他人处置，不能重复处置")
        for f in files:
            removed = f["sha256"] not in shared
            details = {
                "sha256": f["sha256"],
                "sm3": f["sm3"],
                "size": f["size"],
                "file_name": f["file_name"],
                "position": f["position"],
                "approval_id": approval_id,
                "class": ret.class_code,
                "class_name": ret.class_name,
                "term": ret.term,
                "citation": ret.citation,
                "bytes_removed": removed,
                **({"kept_for": sorted(shared[f["sha256"]])} if not removed else {}),
            }
            tx.insert(
                "disposals",
                {
                    "id": new_id(),
                    "blob_sha256": f["sha256"],
                    "record_id": f["record_id"],
                    "case_id": ret.case_id,
                    "retention_until": ret.until,
                    "reason": reason,
                    "details": details,
                    "created_by": actor.id or "system",
                    "created_at": now,
                },
            )
            result.files.append(details)
        result.event_seq = tx.record(
            "record.disposed",
            subject_type="record",
            subject_id=record_id,
            case_id=ret.case_id,
            payload={
                "approval_id": approval_id,
                "reason": reason,
                "class": ret.class_code,
                "citation": ret.citation,
                "retention_until": ret.until.isoformat() if ret.until else None,
                "files": [
                    {k: d[k] for k in ("sha256", "sm3", "size", "bytes_removed")}
                    for d in result.files
                ],
            },
        )
    for d in result.files:  # only after the tombstones are committed
        if d["bytes_removed"]:
            try:
                store.blobs.delete(d["sha256"])
            except NotFound:
                pass  # already gone (a disposal interrupted after its commit)
    return result
