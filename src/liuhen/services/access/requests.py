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

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from liuhen.errors import Conflict, InvalidInput
from liuhen.ledger.events import Actor
from liuhen.services.access.model import (
    ID_TYPES,
    KINDS,
    RELATIONS,
    AccessRequest,
    ApproverRule,
    _requester,
    approver_rule,
    mask_id,
)
from liuhen.services.access.queries.requests import (
    case_marks,
    case_with_profile,
    current_records,
    get_request,
    requests_created_since,
)
from liuhen.services.access.redactions import propose
from liuhen.services.approvals.workflow import open_in
from liuhen.services.permissions import require_case
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id


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
    case: Mapping[str, Any] | None = None,
) -> str:
    """Register a request and open its approval; nothing is saved when any check fails.
    ``case``: the case as the permission check loaded it (not read again).

    Long: the field checks, then one transaction that re-reads the case's current records,
    numbers the request, inserts it, records access.requested and opens its approval with the
    form the approver sees; the number, the request and its approval must commit together, and
    the approval's fields are built from the items computed inside that transaction; a copy
    request's proposed redactions are computed there too, from the records it reads."""
    loaded = require_case(store, actor, "access.request", case_id, case)
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
        case = (
            loaded if loaded.get("profile_id") is not None else case_with_profile(tx.conn, case_id)
        )
        rule = approver_rule(case["profile_id"], kind)
        current = {r["id"]: r for r in current_records(tx.conn, case_id)}
        unknown = [r for r in wanted if r not in current]
        if unknown:
            raise InvalidInput(
                "查阅/复制申请登记有误",
                details=[f"record_ids: 记录 {r} 不是本案当前有效的记录" for r in unknown],
            )
        items = _items(case, [current[r] for r in wanted], exclusions, rule)
        redaction = (
            propose(store, tx.conn, case, who, items, list(current.values()))
            if kind == "copy"
            else None
        )
        number = _next_number(tx, now, store)
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
                    **({"redaction": redaction} if redaction else {}),
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
            or f"{who['name']}申请{KINDS[kind]}本案执法记录，理由：{_sentence(purpose)}请审批。",
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
    marks = case_marks(case)
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


def _next_number(tx: Tx, now: datetime, store: Store) -> str:
    local = now.astimezone(store.settings.tz)
    start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return f"查复〔{local.year}〕{requests_created_since(tx.conn, start) + 1}号"


def open_view(
    store: Store, actor: Actor, request_id: str, *, case: Mapping[str, Any] | None = None
) -> AccessRequest:
    """The read-only view of a granted view request, for staff to show the requester; each
    opening is a ledger event naming the records shown. ``case``: the request's case as
    the permission check loaded it (not read again)."""
    request = get_request(store, actor, request_id, _checked=True, case=case)
    require_case(store, actor, "access.request", request.case_id, case)
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


def _sentence(text: str) -> str:
    """``text`` as one sentence ending in a single 。 (a reason typed with its own full stop
    must not read "。。请审批")."""
    return text.strip().rstrip("。.．!！;；,，") + "。"
