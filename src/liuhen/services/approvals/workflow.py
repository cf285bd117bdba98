"""One generic multi-step approval (承办人 → 审核人 → 批准人, 002§37) for every kind:
立案, 法制审核, 集体讨论, 负责人审批, 强制措施, 结案 …

The approval row holds what was asked (kind, fields, emergency); each step is its own
insert-only row with who decided, in which capacity, the opinion and the time. An approval
is closed by a rejection or by a final approval; only closed approvals reach the compliance
engine, so an approval still waiting shows as missing until it is decided.

An approval belongs to a case, except the disposal of AV footage no case holds (004§12):
that one names its record (``subject_record_id``) and is scoped by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from liuhen.domain import vocab
from liuhen.errors import Conflict, InvalidInput, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.approvals.kinds import kind_of
from liuhen.services.approvals.model import ApprovalState, positions_for
from liuhen.services.approvals.queries import require_approval, state_in
from liuhen.services.permissions import (
    require_case,
    require_record,
)
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id


def request_approval(
    store: Store,
    actor: Actor,
    *,
    case_id: str | None,
    kind: str,
    opinion: str,
    fields: dict[str, Any] | None = None,
    emergency: bool = False,
    officer_id: str | None = None,
    permission: str = "record.create",
    subject_record_id: str | None = None,
    position: str = "officer",
    case: Mapping[str, Any] | None = None,
) -> str:
    """The handler (承办人) asks for an approval with an opinion; the first step is theirs.

    ``permission``: the action the asker needs (a custodian asks for disposal approvals
    under ``record.dispose``). ``subject_record_id``: the record it is about; without a
    case (footage no case holds) it is required and the record decides the scope.
    ``position``: the capacity the handler asks in (a custodian for a disposal). ``case``:
    the case as the permission check loaded it (not read again)."""
    if case_id is None:
        if subject_record_id is None:
            raise InvalidInput("case: 审批须属于一个案件，或指明所涉记录")
        require_record(store, actor, permission, subject_record_id)
    else:
        require_case(store, actor, permission, case_id, case)
    problems = []
    if kind not in vocab.APPROVAL_KINDS:
        problems.append(f"kind: 审批类型无效 {kind!r}")
    elif kind_of(kind).opened_elsewhere:
        problems.append(str(kind_of(kind).opened_elsewhere))
    if not opinion.strip():
        problems.append("opinion: 承办人意见不能为空")
    if problems:
        raise InvalidInput("审批申请有误", details=problems)
    with store.transaction(actor) as tx:  # a case was loaded above: it exists
        return open_in(
            tx,
            actor,
            store.clock(),
            case_id=case_id,
            kind=kind,
            opinion=opinion,
            fields=fields,
            emergency=emergency,
            officer_id=officer_id,
            subject_record_id=subject_record_id,
            position=position,
        )


def open_in(
    tx: Tx,
    actor: Actor,
    now: datetime,
    *,
    case_id: str | None,
    kind: str,
    opinion: str,
    fields: dict[str, Any] | None = None,
    emergency: bool = False,
    officer_id: str | None = None,
    details: dict[str, Any] | None = None,
    subject_record_id: str | None = None,
    position: str = "officer",
) -> str:
    """The approval row, the handler's step and the event, inside the caller's transaction
    (a service that registers something to be approved opens the approval with it)."""
    approval_id = new_id()
    tx.insert(
        "approvals",
        {
            "id": approval_id,
            "case_id": case_id,
            "kind": kind,
            "subject_record_id": subject_record_id,
            "emergency": emergency,
            "details": {**(details or {}), "fields": fields or {}, "in_app": True},
            "created_by": actor.id or "system",
            "created_at": now,
        },
    )
    _step(
        tx,
        approval_id,
        1,
        "handler",
        actor,
        position,
        "submitted",
        opinion,
        now,
        officer_id,
        final=False,
    )
    tx.record(
        "approval.requested",
        subject_type="approval",
        subject_id=approval_id,
        case_id=case_id,
        payload={
            "kind": kind,
            "emergency": emergency,
            **({"record_id": subject_record_id} if subject_record_id else {}),
        },
    )
    return approval_id


def _decision_problems(actor: Actor, decision: str, opinion: str, position: str) -> list[str]:
    """What is wrong with a decision's fields, one line a field."""
    problems = []
    if decision not in ("approved", "rejected"):
        problems.append("decision: 应为 approved（同意）或 rejected（不同意）")
    if position not in positions_for(actor.roles):
        allowed = "、".join(vocab.POSITIONS[p] for p in positions_for(actor.roles)) or "无"
        problems.append(
            f"position: 您的角色不能以“{vocab.POSITIONS.get(position, position)}”身份审批（可选：{allowed}）"
        )
    if not opinion.strip():
        problems.append("opinion: 审批意见不能为空")
    return problems


def decide(
    store: Store,
    actor: Actor,
    approval_id: str,
    *,
    decision: str,
    opinion: str,
    position: str,
    final: bool,
) -> ApprovalState:
    """A reviewer's or approver's step. ``final`` approval or any rejection closes it."""
    require_approval(store, actor, "approval.decide", approval_id)
    problems = _decision_problems(actor, decision, opinion, position)
    if problems:
        raise InvalidInput("审批意见有误", details=problems)
    now = store.clock()
    with store.transaction(actor) as tx:
        tx.lock("approvals", approval_id)  # two deciders: the second reads the first's step
        state = state_in(tx.conn, approval_id)
        _check_open(state, actor)
        kind_of(state.kind).check_decision(
            tx,
            state,
            decision=decision,
            position=position,
            final=final,
            user_id=actor.id,
            at=now,
        )
        role = "approver" if (final or decision == "rejected") else "reviewer"
        _step(
            tx,
            approval_id,
            len(state.steps) + 1,
            role,
            actor,
            position,
            decision,
            opinion,
            now,
            None,
            final=final,
        )
        _advance_stage(tx, state, decision, final, now, actor)
        tx.record(
            "approval.decided",
            subject_type="approval",
            subject_id=approval_id,
            case_id=state.case_id,
            payload={"decision": decision, "position": position, "final": final},
        )
        decided = state_in(tx.conn, approval_id)
        if decided.closed:
            kind_of(decided.kind).with_decision(tx, actor, decided)
    if decided.closed:
        kind_of(decided.kind).after_decision(store, actor, decided)
    return decided


def _check_open(state: ApprovalState, actor: Actor) -> None:
    """Refuse a decision on a closed approval, or a second step by the same person: the
    handler may not also decide (403); a decider who already decided meets a conflict (a
    decision sent twice, or from two windows at once)."""
    if state.closed:
        raise Conflict(
            f"该{state.kind_name}已{'同意' if state.outcome == 'approved' else '不同意'}，不能再审批"
        )
    own = [s for s in state.steps if s["user_id"] == actor.id]
    if any(s["role"] == "handler" for s in own):
        raise PermissionDenied("同一人不能在同一审批中既提请又审核")
    if own:
        raise Conflict("您已在该审批中作出过决定，不能重复审批（重复提交只记一次）")


def _advance_stage(
    tx: Tx, state: ApprovalState, decision: str, final: bool, now: datetime, actor: Actor
) -> None:
    """An approved decision moves the case into 审查决定; the closing approval into 归档."""
    if decision != "approved" or not final or state.case_id is None:
        return
    stage = {"initiation": "investigation", "decision": "decision", "closing": "closed"}.get(
        state.kind
    )
    if stage:
        tx.insert(
            "case_transitions",
            {
                "id": new_id(),
                "case_id": state.case_id,
                "stage": stage,
                "note": state.kind_name,
                "at": now,
                "created_by": actor.id or "system",
            },
        )


def _step(
    tx: Tx,
    approval_id: str,
    position_no: int,
    role: str,
    actor: Actor,
    position: str,
    decision: str,
    opinion: str,
    at: datetime,
    officer_id: str | None,
    *,
    final: bool,
) -> None:
    name = actor.label.split("（")[0]
    tx.insert(
        "approval_steps",
        {
            "id": new_id(),
            "approval_id": approval_id,
            "position": position_no,
            "role": role,
            "user_id": actor.id,
            "name": name,
            "position_code": position,
            "details": {"final": final, **({"officer_id": officer_id} if officer_id else {})},
            "decision": decision,
            "opinion": opinion.strip(),
            "decided_at": at,
        },
    )
