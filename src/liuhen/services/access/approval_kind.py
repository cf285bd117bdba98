"""The ``access_request`` approval kind: only the approver the profile names may grant a
party's request, and a granted copy request has its copies queued to be made (registered in
``services/approvals/kinds.py``)."""

from __future__ import annotations

from datetime import datetime

from liuhen.domain import vocab
from liuhen.errors import InvalidInput
from liuhen.ledger.events import Actor
from liuhen.services.access.copy_jobs import queue_copies
from liuhen.services.access.model import KINDS
from liuhen.services.access.queries.requests import approver_positions, request_for_approval
from liuhen.services.access.redactions import footage_unmade, unreviewed
from liuhen.services.approvals.authorisations import active_grant
from liuhen.services.approvals.kinds import ApprovalKind, approval_kind
from liuhen.services.approvals.model import ApprovalState
from liuhen.store.store import Store
from liuhen.store.unit import Tx


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
    request = request_for_approval(tx.conn, state.id)
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
    waiting = unreviewed(tx.conn, request) if request["kind"] == "copy" else []
    if waiting:
        raise InvalidInput(
            "审批意见有误",
            details=[
                f"decision: 《{'》《'.join(waiting)}》中有系统识别出的他人个人信息，尚未审查"
                "遮盖内容；请先在申请页面“审查遮盖”逐项确认、删除或增加遮盖并写明理由，再批准"
            ],
        )
    unmade = footage_unmade(tx.conn, request) if request["kind"] == "copy" else []
    if unmade:
        raise InvalidInput(
            "审批意见有误",
            details=[
                f"decision: 《{'》《'.join(unmade)}》遮盖后的视频尚在制作（或制作未完成），"
                "请在“审查录像遮盖”页面看到“已制作完成”后再批准"
            ],
        )


def with_decision(tx: Tx, actor: Actor, state: ApprovalState) -> None:
    """Record the outcome on the request, in the decision's transaction; a granted copy
    request has its copies queued with it (a cluster job, ``copy_jobs``: the decision does
    no PDF or video work itself)."""
    request = request_for_approval(tx.conn, state.id)
    last = state.steps[-1]
    approver = request["details"]["approver"]
    if state.outcome == "rejected":
        tx.record(
            "access.refused",
            subject_type="access_request",
            subject_id=request["id"],
            case_id=request["case_id"],
            payload={"approval_id": state.id, "by": last["name"], "reasons": last["opinion"]},
        )
        return
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
    if request["kind"] == "copy":
        queue_copies(tx, actor, request)


@approval_kind
class AccessRequestKind(ApprovalKind):
    code = "access_request"
    opened_elsewhere = "kind: 查阅/复制申请请在案件的“查阅/复制申请”中登记，审批随之提请"

    def check_decision(
        self,
        tx: Tx,
        state: ApprovalState,
        *,
        decision: str,
        position: str,
        final: bool,
        user_id: str | None,
        at: datetime,
    ) -> None:
        check_decision(
            tx, state, decision=decision, position=position, final=final, user_id=user_id, at=at
        )

    def with_decision(self, tx: Tx, actor: Actor, state: ApprovalState) -> None:
        with_decision(tx, actor, state)

    def wanted_positions(self, store: Store, states: list[ApprovalState]) -> dict[str, list[str]]:
        return approver_positions(store, [s.id for s in states])
