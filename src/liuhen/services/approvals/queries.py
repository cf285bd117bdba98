"""Reading approvals: one approval's state, a case's open approvals, the 待我审批 inbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from liuhen.domain import vocab
from liuhen.errors import NotFound, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.approvals.model import ApprovalState
from liuhen.services.permissions import (
    allowed,
    load_case,
    require,
    require_record,
)
from liuhen.store import tables as t
from liuhen.store.store import Store


def state_in(conn: Any, approval_id: str) -> ApprovalState:
    """An approval's state, read on a connection the caller already holds."""
    row = (
        conn.execute(select(t.approvals).where(t.approvals.c.id == approval_id)).mappings().first()
    )
    if row is None:
        raise NotFound(f"approval: 审批 {approval_id} 不存在")
    number = title = subject = ""
    if row["case_id"] is not None:
        number, title = conn.execute(
            select(t.cases.c.number, t.cases.c.title).where(t.cases.c.id == row["case_id"])
        ).one()
    if row["subject_record_id"] is not None:
        subject = conn.execute(
            select(t.records.c.title).where(t.records.c.id == row["subject_record_id"])
        ).scalar_one()
    steps = [
        dict(s)
        for s in conn.execute(
            select(t.approval_steps)
            .where(t.approval_steps.c.approval_id == approval_id)
            .order_by(t.approval_steps.c.position)
        ).mappings()
    ]
    outcome = None
    for s in steps:
        if s["decision"] == "rejected":
            outcome = "rejected"
        elif s["decision"] == "approved" and s["details"].get("final"):
            outcome = "approved"
    return ApprovalState(
        id=row["id"],
        case_id=row["case_id"],
        case_number=number,
        case_title=title,
        kind=row["kind"],
        kind_name=vocab.APPROVAL_KINDS.get(row["kind"], row["kind"]),
        emergency=row["emergency"],
        fields=row["details"].get("fields", {}),
        steps=steps,
        closed=outcome is not None,
        outcome=outcome,
        requested_at=row["created_at"],
        subject_record_id=row["subject_record_id"],
        subject_title=subject,
    )


def approval_state(store: Store, approval_id: str) -> ApprovalState:
    with store.read() as conn:
        return state_in(conn, approval_id)


def open_approvals(store: Store, case_id: str) -> list[ApprovalState]:
    """A case's approvals still waiting for a decision (shown on its timeline as such)."""
    with store.read() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                select(t.approvals.c.id)
                .where(t.approvals.c.case_id == case_id)
                .order_by(t.approvals.c.created_at)
            )
        ]
        states = [state_in(conn, i) for i in ids]
    return [s for s in states if s.steps and not s.closed]


def inbox(store: Store, actor: Actor) -> list[ApprovalState]:
    """Open approvals this user may decide and has not yet acted on, oldest first."""
    require(actor, "approval.decide")
    done = select(t.approval_steps.c.approval_id).where(  # closed, or this user acted
        # an approver's step (a final approval or a rejection, see ``decide``) closes it
        (t.approval_steps.c.role == "approver")
        | (t.approval_steps.c.decision == "rejected")
        | (t.approval_steps.c.user_id == actor.id)
    )
    made_here = select(t.approval_steps.c.approval_id)  # imported approvals have no steps:
    # they record what was decided on paper and are never decided in LiuHen
    query = select(t.approvals.c.id).where(
        t.approvals.c.id.in_(made_here), t.approvals.c.id.not_in(done)
    )
    with store.read() as conn:
        ids = [r[0] for r in conn.execute(query.order_by(t.approvals.c.created_at))]
        states = [state_in(conn, i) for i in ids]
    open_ = [
        s for s in states if not s.closed and all(step["user_id"] != actor.id for step in s.steps)
    ]
    cases = {s.case_id for s in open_ if s.case_id is not None}
    mine = {c for c in cases if allowed(actor, "approval.decide", load_case(store, c))}
    return [
        s
        for s in open_
        if s.case_id in mine
        or (s.case_id is None and s.subject_record_id and _may_decide_on(store, actor, s))
    ]


def _may_decide_on(store: Store, actor: Actor, state: ApprovalState) -> bool:
    """A case-less approval is decided by whoever may decide on its record."""
    try:
        require_record(store, actor, "approval.decide", str(state.subject_record_id))
    except PermissionDenied:
        return False
    return True


def waiting_count(store: Store, actor: Actor) -> int | None:
    """For the navigation: how many approvals wait for this user (None: not an approver)."""
    if not allowed(actor, "approval.decide"):
        return None
    return len(inbox(store, actor))
