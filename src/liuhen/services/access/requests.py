"""Party requests to view or copy records (查阅/复制申请), from registration to hand-over.

Staff register who asks (name, credential, relation to the case), which records, view or
copy, and why. The request opens an approval (kind ``access_request``) that the approver
the agency's profile names must grant: 负责人 (000§17, 001§13, 003§18), 法制科负责人
(002§33), 局主要负责人 or an authorised 分管负责人 (004§37); the rule is profile data
(``access_approval`` rules, one per kind). Records that must stay confidential (the case's
marks 国家秘密/商业秘密/个人隐私, or a record marked confidential) are excluded with the
reason recorded (000§17, 002§34, 004§38); staff may exclude others with a reason.

A granted copy request produces DERIVED records (kind ``copy``) beside the originals, which
are only read: documents as PDFs with a visible watermark (requester, request number,
date) on every page, video with the same words burnt in. They are handed over through an
expiring, single-purpose link (``services/access/share_links.py``). A granted view request opens
a read-only view for staff to show the requester. Every step is a ledger event; a refusal
carries the approver's reasons.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from liuhen.domain import vocab
from liuhen.errors import Conflict, InvalidInput, LiuhenError, NotFound
from liuhen.ledger.events import Actor
from liuhen.rules.profiles import load_profile
from liuhen.services.access.view_log import log_view
from liuhen.services.approvals.workflow import ApprovalState, open_in, state_in
from liuhen.services.permissions import require_case
from liuhen.store import tables as t
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

KINDS = {"view": "查阅", "copy": "复制"}
MARKS = {"state_secret": "国家秘密", "commercial_secret": "商业秘密", "privacy": "个人隐私"}
"""Confidentiality marks a case may carry (``cases.confidentiality``)."""
ID_TYPES = {
    "resident_id": "居民身份证",
    "passport": "护照",
    "credit_code": "统一社会信用代码",
    "other": "其他证件",
}
RELATIONS = {
    "party": "当事人本人",
    "legal_representative": "法定代表人/负责人",
    "agent": "委托代理人",
    "relative": "近亲属",
    "interested": "其他利害关系人",
}
STATUSES = {
    "pending": "待审批",
    "approved": "已批准",
    "refused": "已拒绝",
    "delivered": "已交付",
    "expired": "链接已过期",
}
EVENT_NAMES = {
    "access.requested": "登记申请",
    "approval.requested": "提请审批",
    "approval.decided": "审批意见",
    "access.granted": "同意申请",
    "access.refused": "不同意申请",
    "access.copy_made": "制作复制件（加注水印）",
    "access.copy_failed": "复制件制作失败",
    "access.viewed": "陪同查阅（只读）",
    "share.issued": "生成交付链接",
    "share.viewed": "申请人打开链接",
    "share.downloaded": "申请人下载复制件",
    "share.refused": "失效链接被访问，已拒绝",
    "share.revoked": "撤销交付链接",
}
COPY_KIND = "copy"
"""``records.kind`` of a derived copy: not a recording of an act, never read by the checks."""
PDF = "application/pdf"
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")


@dataclass(frozen=True)
class ApproverRule:
    positions: tuple[str, ...]
    deputies: tuple[str, ...]
    citation: str
    confidential_citation: str

    @property
    def names(self) -> str:
        names = [vocab.POSITIONS[p] for p in self.positions]
        names += [f"经授权的{vocab.POSITIONS[p]}" for p in self.deputies]
        return "或".join(names)


@dataclass
class AccessRequest:
    id: str
    case_id: str
    case_number: str
    number: str
    kind: str
    requester: dict[str, Any]
    purpose: str
    items: list[dict[str, Any]]
    approver: dict[str, Any]
    approval: ApprovalState | None
    created_at: datetime
    created_by: str
    status: str = "pending"
    copies: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    copy_failed: str = ""

    @property
    def kind_name(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def status_name(self) -> str:
        return STATUSES[self.status]

    @property
    def requester_label(self) -> str:
        r = self.requester
        return f"{r['name']}（{RELATIONS.get(r['relation'], r['relation'])}）"

    @property
    def included(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i["included"]]

    @property
    def excluded(self) -> list[dict[str, Any]]:
        return [i for i in self.items if not i["included"]]

    @property
    def missing_copies(self) -> list[dict[str, Any]]:
        """Items of a granted copy request that have no copy yet (after a failure)."""
        if self.kind != "copy" or self.approval is None or self.approval.outcome != "approved":
            return []
        done = {c["derived_from"] for c in self.copies}
        return [i for i in self.included if i["record_id"] not in done]

    @property
    def refusal(self) -> str:
        if self.approval is None:
            return ""
        return next((s["opinion"] for s in self.approval.steps if s["decision"] == "rejected"), "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the API (the credential number masked)."""
        return {
            "id": self.id,
            "case_id": self.case_id,
            "case_number": self.case_number,
            "number": self.number,
            "kind": self.kind,
            "kind_name": self.kind_name,
            "requester": {**self.requester, "id_number": mask_id(self.requester["id_number"])},
            "purpose": self.purpose,
            "items": self.items,
            "approver": self.approver,
            "approval_id": self.approval.id if self.approval else None,
            "status": self.status,
            "status_name": self.status_name,
            "refusal": self.refusal,
            "copies": self.copies,
            "links": [{k: v for k, v in link.items() if k != "targets"} for link in self.links],
            "created_at": self.created_at.isoformat(),
        }


def mask_id(number: str) -> str:
    """A credential number as shown on lists: the first 4 and last 4 characters."""
    return number if len(number) <= 8 else number[:4] + "*" * (len(number) - 8) + number[-4:]


def _resident_id_ok(number: str) -> bool:
    if not _RESIDENT_ID.match(number):
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


def _requester(raw: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    value = {k: str(raw.get(k, "") or "").strip() for k in ("name", "id_type", "id_number")}
    value["relation"] = str(raw.get("relation", "") or "").strip()
    value["phone"] = str(raw.get("phone", "") or "").strip()
    value["id_number"] = value["id_number"].upper()
    problems = []
    if not value["name"]:
        problems.append("requester.name: 申请人姓名（名称）不能为空")
    if value["id_type"] not in ID_TYPES:
        problems.append(f"requester.id_type: 请选择证件类型（{'、'.join(ID_TYPES.values())}）")
    if not value["id_number"]:
        problems.append("requester.id_number: 证件号码不能为空")
    elif value["id_type"] == "resident_id" and not _resident_id_ok(value["id_number"]):
        problems.append("requester.id_number: 居民身份证号码应为 18 位且校验位正确")
    if value["relation"] not in RELATIONS:
        problems.append(
            f"requester.relation: 请选择与案件的关系（{'、'.join(RELATIONS.values())}）"
        )
    return value, problems


# -- the profile's rule -----------------------------------------------------------------
def approver_rule(profile_id: str, kind: str) -> ApproverRule:
    """Who must grant a request of ``kind`` under the profile, and the citations."""
    positions: tuple[str, ...] = ()
    deputies: tuple[str, ...] = ()
    citation = confidential = ""
    try:
        rules = load_profile(profile_id).rules if profile_id else ()
    except LiuhenError:
        rules = ()
    for rule in rules:
        params = rule.spec.params
        if rule.spec.type == "access_approval" and params.get("kind") == kind:
            positions = tuple(params.get("approvers", ()))
            deputies = tuple(params.get("authorised_approvers", ()))
            citation = rule.citation
        if rule.spec.type == "access_confidential" and kind in params.get("kinds", (kind,)):
            confidential = rule.citation
    if not positions:  # no rule for this kind: the agency's head, as every regulation has it
        positions = ("head", "principal_head")
    return ApproverRule(positions, deputies, citation, confidential)


def _case(conn: Connection, case_id: str) -> Any:
    row = (
        conn.execute(
            select(t.cases, t.agencies.c.profile_id)
            .join(t.agencies, t.agencies.c.id == t.cases.c.agency_id)
            .where(t.cases.c.id == case_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"case: 案件 {case_id} 不存在")
    return row


def _current_records(conn: Connection, case_id: str) -> list[Any]:
    superseded = select(t.records.c.supersedes_id).where(t.records.c.supersedes_id.is_not(None))
    return list(
        conn.execute(
            select(t.records)
            .where(
                t.records.c.case_id == case_id,
                t.records.c.kind.in_(("text", "av")),
                t.records.c.id.not_in(superseded),
            )
            .order_by(t.records.c.created_at, t.records.c.id)
        ).mappings()
    )


def requestable_records(store: Store, actor: Actor, case_id: str) -> list[dict[str, Any]]:
    """The case's current records a party may ask for, each with its confidentiality."""
    require_case(store, actor, "access.request", case_id)
    with store.read() as conn:
        case = _case(conn, case_id)
        rows = _current_records(conn, case_id)
    marks = _case_marks(case)
    return [
        {
            "id": r["id"],
            "title": r["title"],
            "kind": r["kind"],
            "kind_name": "音像记录" if r["kind"] == "av" else "文字记录",
            "confidential": bool(marks) or bool(r["details"].get("confidential")),
        }
        for r in rows
    ]


def _case_marks(case: Any) -> list[str]:
    return [MARKS.get(m, str(m)) for m in case["confidentiality"] or []]


# -- registering ------------------------------------------------------------------------
def register_request(
    store: Store,
    actor: Actor,
    *,
    case_id: str,
    kind: str,
    requester: Mapping[str, Any],
    record_ids: Sequence[str],
    purpose: str,
    exclusions: Mapping[str, str] | None = None,
    opinion: str = "",
) -> str:
    """Register a request and open its approval; nothing is saved when any check fails."""
    require_case(store, actor, "access.request", case_id)
    who, problems = _requester(requester)
    if kind not in KINDS:
        problems.append("kind: 请选择申请种类：查阅或复制")
    if not purpose.strip():
        problems.append("purpose: 请填写申请理由（用途）")
    wanted = list(dict.fromkeys(r for r in record_ids if r))
    if not wanted:
        problems.append("record_ids: 请至少选择一项申请查阅或复制的记录")
    exclusions = {k: v.strip() for k, v in (exclusions or {}).items()}
    for record_id, reason in exclusions.items():
        if record_id not in wanted:
            problems.append(f"exclusions: 不予提供的记录 {record_id} 不在所申请的记录中")
        elif not reason:
            problems.append("exclusions: 不予提供某项记录时须写明理由")
    if problems:
        raise InvalidInput("查阅/复制申请登记有误", details=problems)
    request_id = new_id()
    now = store.clock()
    with store.transaction(actor) as tx:
        case = _case(tx.conn, case_id)
        rule = approver_rule(case["profile_id"], kind)
        current = {r["id"]: r for r in _current_records(tx.conn, case_id)}
        unknown = [r for r in wanted if r not in current]
        if unknown:
            raise InvalidInput(
                "查阅/复制申请登记有误",
                details=[f"record_ids: 记录 {r} 不是本案当前有效的记录" for r in unknown],
            )
        items = _items(case, [current[r] for r in wanted], exclusions, rule)
        number = _next_number(tx.conn, now, store)
        tx.insert(
            "access_requests",
            {
                "id": request_id,
                "case_id": case_id,
                "kind": kind,
                "requester": who,
                "record_ids": wanted,
                "purpose": purpose.strip(),
                "details": {
                    "number": number,
                    "items": items,
                    "approver": {
                        "positions": list(rule.positions),
                        "deputies": list(rule.deputies),
                        "names": rule.names,
                        "citation": rule.citation,
                    },
                },
                "created_by": actor.id or "system",
                "created_at": now,
            },
        )
        tx.record(
            "access.requested",
            subject_type="access_request",
            subject_id=request_id,
            case_id=case_id,
            payload={
                "number": number,
                "kind": kind,
                "requester": {"name": who["name"], "relation": who["relation"]},
                "records": wanted,
                "excluded": {i["record_id"]: i["reason"] for i in items if not i["included"]},
            },
        )
        included = [i["title"] for i in items if i["included"]]
        excluded = [f"{i['title']}：{i['reason']}" for i in items if not i["included"]]
        open_in(
            tx,
            actor,
            now,
            case_id=case_id,
            kind="access_request",
            opinion=opinion.strip()
            or f"{who['name']}申请{KINDS[kind]}本案执法记录，理由：{purpose.strip()}。请审批。",
            fields={
                "申请编号": number,
                "申请种类": KINDS[kind],
                "申请人": f"{who['name']}（{RELATIONS[who['relation']]}，"
                f"{ID_TYPES[who['id_type']]} {mask_id(who['id_number'])}）",
                "申请理由": purpose.strip(),
                "拟提供的记录": "；".join(included) or "无（所申请的记录均不予提供）",
                **({"不予提供": "；".join(excluded)} if excluded else {}),
                "应由谁批准": f"{rule.names}" + (f"（{rule.citation}）" if rule.citation else ""),
            },
            details={"access_request_id": request_id},
        )
    return request_id


def _items(
    case: Any, rows: list[Any], exclusions: Mapping[str, str], rule: ApproverRule
) -> list[dict[str, Any]]:
    marks = _case_marks(case)
    cite = f"，依{rule.confidential_citation}" if rule.confidential_citation else ""
    items = []
    for r in rows:
        reason = ""
        if marks:
            reason = f"案件标注涉及{'、'.join(marks)}{cite}按保密规定管理，不予提供"
        elif r["details"].get("confidential"):
            reason = f"该记录标注为依法应当保密的记录{cite}按保密规定管理，不予提供"
        elif r["id"] in exclusions:
            reason = exclusions[r["id"]]
        items.append(
            {
                "record_id": r["id"],
                "title": r["title"],
                "kind": r["kind"],
                "included": not reason,
                "reason": reason,
            }
        )
    return items


def _next_number(conn: Connection, now: datetime, store: Store) -> str:
    local = now.astimezone(store.settings.tz)
    start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    count = conn.execute(
        select(func.count())
        .select_from(t.access_requests)
        .where(t.access_requests.c.created_at >= start)
    ).scalar_one()
    return f"查复〔{local.year}〕{int(count) + 1}号"


# -- deciding (called by approvals.decide) ------------------------------------------------
def _request_for_approval(conn: Connection, approval_id: str) -> Any:
    row = conn.execute(select(t.approvals.c.details).where(t.approvals.c.id == approval_id)).one()
    request_id = row.details.get("access_request_id")
    found = (
        conn.execute(select(t.access_requests).where(t.access_requests.c.id == request_id))
        .mappings()
        .first()
        if request_id
        else None
    )
    if found is None:
        raise NotFound("approval: 该审批没有对应的查阅/复制申请")
    return found


def approver_positions(store: Store, approval_id: str) -> list[str]:
    """For the inbox: in which capacities the request behind an approval must be granted."""
    with store.read() as conn:
        approver = _request_for_approval(conn, approval_id)["details"]["approver"]
    return [*approver["positions"], *approver["deputies"]]


def check_decision(
    tx: Tx,
    state: ApprovalState,
    *,
    decision: str,
    position: str,
    final: bool,
    user_id: str | None,
    at: datetime,
) -> None:
    """Only the approver the profile names may grant the request (a refusal anyone may
    record: it closes the request with its reasons); a deputy the profile admits "经授权"
    only with a written authorisation in force at ``at`` (services/approvals/authorisations.py)."""
    from liuhen.services.approvals.authorisations import active_grant

    request = _request_for_approval(tx.conn, state.id)
    if decision != "approved" or not final:
        return
    approver = request["details"]["approver"]
    if position in approver["deputies"] and position not in approver["positions"]:
        if active_grant(tx.conn, user_id, "access_request", position, at) is None:
            name = vocab.POSITIONS.get(position, position)
            raise InvalidInput(
                "审批意见有误",
                details=[
                    f"position: 以{name}身份批准{KINDS[request['kind']]}申请须经主要负责人授权，"
                    f"您没有在此时有效的书面授权（“授权”页面登记）；请由"
                    f"{'或'.join(vocab.POSITIONS[p] for p in approver['positions'])}批准"
                ],
            )
    if position not in [*approver["positions"], *approver["deputies"]]:
        cite = f"（{approver['citation']}）" if approver["citation"] else ""
        raise InvalidInput(
            "审批意见有误",
            details=[
                f"position: 本机关制度{cite}规定，{KINDS[request['kind']]}申请须经"
                f"{approver['names']}同意；请以该身份审批，或不勾选“最终批准”作为审核意见提交"
            ],
        )


def after_decision(store: Store, actor: Actor, state: ApprovalState) -> None:
    """Record the outcome on the request; a granted copy request has its copies made."""
    with store.read() as conn:
        request = _request_for_approval(conn, state.id)
    last = state.steps[-1]
    approver = request["details"]["approver"]
    with store.transaction(actor) as tx:
        if state.outcome == "rejected":
            tx.record(
                "access.refused",
                subject_type="access_request",
                subject_id=request["id"],
                case_id=request["case_id"],
                payload={"approval_id": state.id, "by": last["name"], "reasons": last["opinion"]},
            )
        else:
            tx.record(
                "access.granted",
                subject_type="access_request",
                subject_id=request["id"],
                case_id=request["case_id"],
                payload={
                    "approval_id": state.id,
                    "by": last["name"],
                    "position": last["position_code"],
                    "authorised": last["position_code"] in approver["deputies"],
                    "citation": approver["citation"],
                },
            )
    if state.outcome == "approved" and request["kind"] == "copy":
        from liuhen.services.access.copies import make_copies

        try:
            make_copies(store, actor, request["id"])
        except Exception as exc:  # the approval stands; staff retry from the request page
            with store.transaction(actor) as tx:
                tx.record(
                    "access.copy_failed",
                    subject_type="access_request",
                    subject_id=request["id"],
                    case_id=request["case_id"],
                    payload={"error": str(exc)[:500]},
                )


# -- reading ------------------------------------------------------------------------------
def _load(conn: Connection, store: Store, row: Any) -> AccessRequest:
    case_number = conn.execute(
        select(t.cases.c.number).where(t.cases.c.id == row["case_id"])
    ).scalar_one()
    approvals = conn.execute(
        select(t.approvals.c.id, t.approvals.c.details).where(
            t.approvals.c.case_id == row["case_id"], t.approvals.c.kind == "access_request"
        )
    ).all()
    approval_id = next(
        (a.id for a in approvals if a.details.get("access_request_id") == row["id"]), None
    )
    approval = state_in(conn, approval_id) if approval_id else None
    request = AccessRequest(
        id=row["id"],
        case_id=row["case_id"],
        case_number=case_number,
        number=row["details"]["number"],
        kind=row["kind"],
        requester=dict(row["requester"]),
        purpose=row["purpose"],
        items=list(row["details"]["items"]),
        approver=dict(row["details"]["approver"]),
        approval=approval,
        created_at=row["created_at"],
        created_by=row["created_by"],
    )
    request.copies = _copies(conn, row["case_id"], row["id"])
    from liuhen.services.access.share_links import links_for

    request.links = links_for(conn, row["id"], store.clock())
    failed = conn.execute(
        select(t.ledger_events.c.payload)
        .where(
            t.ledger_events.c.action == "access.copy_failed",
            t.ledger_events.c.subject_id == row["id"],
        )
        .order_by(t.ledger_events.c.seq.desc())
    ).first()
    request.copy_failed = (
        failed.payload.get("error", "") if failed and request.missing_copies else ""
    )
    request.status = _status(conn, request)
    return request


def _copies(conn: Connection, case_id: str, request_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(t.records)
        .where(t.records.c.case_id == case_id, t.records.c.kind == COPY_KIND)
        .order_by(t.records.c.created_at)
    ).mappings()
    copies = []
    for r in rows:
        if r["details"].get("access_request_id") != request_id:
            continue
        files = conn.execute(
            select(t.record_files)
            .where(t.record_files.c.record_id == r["id"])
            .order_by(t.record_files.c.position)
        ).mappings()
        copies.append(
            {
                "id": r["id"],
                "title": r["title"],
                "derived_from": r["details"]["derived_from"]["record_id"],
                "watermark": r["details"].get("watermark", ""),
                "skipped": r["details"].get("skipped", []),
                "files": [
                    {
                        "position": f["position"],
                        "file_name": f["file_name"],
                        "media_type": f["media_type"],
                        "sha256": f["blob_sha256"],
                    }
                    for f in files
                ],
            }
        )
    return copies


def _status(conn: Connection, request: AccessRequest) -> str:
    if request.approval is None or not request.approval.closed:
        return "pending"
    if request.approval.outcome == "rejected":
        return "refused"
    if request.kind == "view":
        viewed = conn.execute(
            select(t.ledger_events.c.seq).where(
                t.ledger_events.c.action == "access.viewed",
                t.ledger_events.c.subject_id == request.id,
            )
        ).first()
        return "delivered" if viewed else "approved"
    if not request.links:
        return "approved"
    return "delivered" if any(link["active"] for link in request.links) else "expired"


def get_request(
    store: Store, actor: Actor, request_id: str, *, _checked: bool = False
) -> AccessRequest:
    with store.read() as conn:
        row = (
            conn.execute(select(t.access_requests).where(t.access_requests.c.id == request_id))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"access_request: 查阅/复制申请 {request_id} 不存在")
    if not _checked:
        require_case(store, actor, "case.read", row["case_id"])
        log_view(store, actor, row["case_id"], "access_request", access_request_id=request_id)
    with store.read() as conn:
        return _load(conn, store, row)


def list_requests(
    store: Store, actor: Actor, case_id: str, *, log: bool = True
) -> list[AccessRequest]:
    """A case's requests, newest first (a logged view unless shown within a logged page)."""
    require_case(store, actor, "case.read", case_id)
    if log:
        log_view(store, actor, case_id, "access_requests")
    with store.read() as conn:
        rows = list(
            conn.execute(
                select(t.access_requests)
                .where(t.access_requests.c.case_id == case_id)
                .order_by(t.access_requests.c.created_at.desc(), t.access_requests.c.id)
            ).mappings()
        )
        return [_load(conn, store, r) for r in rows]


def request_events(store: Store, request: AccessRequest) -> list[dict[str, Any]]:
    """Every ledger event of the request: registration, approval steps, copies, link uses."""
    subjects = [
        and_(
            t.ledger_events.c.subject_type == "access_request",
            t.ledger_events.c.subject_id == request.id,
        )
    ]
    if request.approval is not None:
        subjects.append(
            and_(
                t.ledger_events.c.subject_type == "approval",
                t.ledger_events.c.subject_id == request.approval.id,
            )
        )
    if request.copies:
        subjects.append(
            and_(
                t.ledger_events.c.action == "access.copy_made",
                t.ledger_events.c.subject_id.in_([c["id"] for c in request.copies]),
            )
        )
    if request.links:
        subjects.append(
            and_(
                t.ledger_events.c.subject_type == "share_link",
                t.ledger_events.c.subject_id.in_([link["id"] for link in request.links]),
            )
        )
    with store.read() as conn:
        rows = conn.execute(
            select(t.ledger_events).where(or_(*subjects)).order_by(t.ledger_events.c.seq)
        ).mappings()
        return [
            {
                "seq": r["seq"],
                "at": r["occurred_at"],
                "who": r["actor_label"],
                "action": r["action"],
                "name": EVENT_NAMES.get(r["action"], r["action"]),
                "payload": {k: v for k, v in r["payload"].items() if k != "rows"},
            }
            for r in rows
        ]


def open_view(store: Store, actor: Actor, request_id: str) -> AccessRequest:
    """The read-only view of a granted view request, for staff to show the requester; each
    opening is a ledger event naming the records shown."""
    request = get_request(store, actor, request_id, _checked=True)
    require_case(store, actor, "access.request", request.case_id)
    if request.kind != "view" or request.approval is None or request.approval.outcome != "approved":
        raise Conflict("只有已批准的查阅申请才能打开查阅视图")
    with store.transaction(actor) as tx:
        tx.record(
            "access.viewed",
            subject_type="access_request",
            subject_id=request.id,
            case_id=request.case_id,
            payload={"records": [i["record_id"] for i in request.included]},
        )
    return request


def record_files_of(store: Store, record_id: str) -> list[dict[str, Any]]:
    """The stored files of a record shown in the read-only view."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.record_files)
            .where(t.record_files.c.record_id == record_id)
            .order_by(t.record_files.c.position)
        ).mappings()
        return [dict(r) for r in rows]


def bundle_entries(conn: Connection, case_id: str, tz: Any) -> list[dict[str, Any]]:
    """The case's registered requests in case-bundle form (``access_requests``), so the
    compliance checks (who granted it, 000§17 … 004§37; nothing confidential given,
    002§34, 004§38) read them like any imported request. Only the records given count."""
    rows = conn.execute(
        select(t.access_requests)
        .where(t.access_requests.c.case_id == case_id)
        .order_by(t.access_requests.c.created_at, t.access_requests.c.id)
    ).mappings()
    approvals = {
        a.details.get("access_request_id"): a.id
        for a in conn.execute(
            select(t.approvals.c.id, t.approvals.c.details).where(
                t.approvals.c.case_id == case_id, t.approvals.c.kind == "access_request"
            )
        )
    }
    entries = []
    for r in rows:
        approval_id = approvals.get(r["id"])
        state = state_in(conn, approval_id) if approval_id else None
        decision: dict[str, Any] = {"outcome": "pending"}
        if state is not None and state.closed:
            last = state.steps[-1]
            deputies = r["details"]["approver"]["deputies"]
            decision = {
                "outcome": "granted" if state.outcome == "approved" else "refused",
                "by": last["name"],
                "position": last["position_code"],
                "authorised": last["position_code"] in deputies,
                "at": last["decided_at"].astimezone(tz).isoformat(),
            }
        entries.append(
            {
                "id": r["id"],
                "kind": r["kind"],
                "requested_at": r["created_at"].astimezone(tz).isoformat(),
                "requested_by": r["requester"]["name"],
                "record_ids": [i["record_id"] for i in r["details"]["items"] if i["included"]],
                "decision": decision,
            }
        )
    return entries
