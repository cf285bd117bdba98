"""Reading approvals: one approval's state, a case's open approvals, the 待我审批 inbox, the
permission check on an approval, and the written authorisations (授权) with their users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, select

from liuhen.errors import NotFound, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.approvals.model import ApprovalState, state_of
from liuhen.services.permissions import (
    allowed,
    owner_case,
    require,
    require_case,
    require_record,
)
from liuhen.store import tables as t
from liuhen.store.store import Store

_STEP = "step_"


def _states_query() -> Select[Any]:
    """The approvals with their steps, case and subject record's title, oldest first: built
    once (an alias's columns and forty labels cost more to build than to run the query);
    ``states_where`` adds its ``WHERE``."""
    subject = t.records.alias("subject")
    return (
        select(
            t.approvals,
            *[c.label(_STEP + c.name) for c in t.approval_steps.c],
            t.cases.c.number.label("case_number"),
            t.cases.c.title.label("case_title"),
            t.cases.c.procedure.label("case_procedure"),
            t.agencies.c.profile_id.label("case_profile"),
            subject.c.title.label("subject_title"),
        )
        .outerjoin(t.approval_steps, t.approval_steps.c.approval_id == t.approvals.c.id)
        .outerjoin(t.cases, t.cases.c.id == t.approvals.c.case_id)
        .outerjoin(t.agencies, t.agencies.c.id == t.cases.c.agency_id)
        .outerjoin(subject, subject.c.id == t.approvals.c.subject_record_id)
        .order_by(t.approvals.c.created_at, t.approvals.c.id, t.approval_steps.c.position)
    )


_STATES = _states_query()


def states_where(conn: Any, where: Any) -> list[ApprovalState]:
    """The states of the approvals ``where`` selects, oldest first, in one query (each with
    its steps, its case's number and title, and the title of the record it is about)."""
    return _states(conn.execute(_STATES.where(where)))


def _states(result: Any) -> list[ApprovalState]:
    """``_STATES``' rows (one per step) as the approvals' states."""
    rows: dict[str, Any] = {}
    steps: dict[str, list[dict[str, Any]]] = {}
    for r in result.mappings():
        rows.setdefault(r["id"], r)
        if r[_STEP + "id"] is not None:
            steps.setdefault(r["id"], []).append(
                {k.removeprefix(_STEP): v for k, v in r.items() if k.startswith(_STEP)}
            )
    return [
        state_of(
            r,
            steps.get(i, []),
            case_number=r["case_number"] or "",
            case_title=r["case_title"] or "",
            subject_title=r["subject_title"] or "",
            case_procedure=r["case_procedure"] or "",
            case_profile=r["case_profile"] or "",
        )
        for i, r in rows.items()
    ]


def state_in(conn: Any, approval_id: str) -> ApprovalState:
    """An approval's state, read on a connection the caller already holds (one query)."""
    found = states_where(conn, t.approvals.c.id == approval_id)
    if not found:
        raise NotFound(f"approval: 审批 {approval_id} 不存在")
    return found[0]


def approval_state(store: Store, approval_id: str) -> ApprovalState:
    with store.read() as conn:
        return state_in(conn, approval_id)


_DONE = select(t.approval_steps.c.approval_id).where(  # closed, or this user acted
    # an approver's step (a final approval or a rejection, see ``decide``) closes it
    (t.approval_steps.c.role == "approver")
    | (t.approval_steps.c.decision == "rejected")
    | (t.approval_steps.c.user_id == bindparam("actor_id"))
)
_MADE_HERE = select(t.approval_steps.c.approval_id)  # imported approvals have no steps:
# they record what was decided on paper and are never decided in LiuHen
_INBOX = _STATES.where(t.approvals.c.id.in_(_MADE_HERE) & t.approvals.c.id.not_in(_DONE))
"""The approvals a user (``actor_id``) may still act on, before the permission check (the
navigation's count asks on every page: built once)."""
_CASE_FACTS = (
    select(
        t.cases.c.id,
        t.cases.c.number,
        t.cases.c.agency_id,
        t.cases.c.section,
        t.cases.c.created_by,
        t.cases.c.confidentiality,
        t.acts.c.officer_ids,
    )
    .outerjoin(t.acts, t.acts.c.case_id == t.cases.c.id)
    .where(t.cases.c.id.in_(bindparam("ids", expanding=True)))
)
"""What ``allowed`` reads of each case (``ids``), one row per act."""


def inbox(store: Store, actor: Actor) -> list[ApprovalState]:
    """Open approvals this user may decide and has not yet acted on, oldest first: two
    queries (the approvals with their steps; their cases with their officers) whatever
    their number, plus one check per approval of footage no case holds."""
    require(actor, "approval.decide")
    with store.read() as conn:
        states = _states(conn.execute(_INBOX, {"actor_id": actor.id}))
        open_ = [
            s
            for s in states
            if not s.closed and all(step["user_id"] != actor.id for step in s.steps)
        ]
        case_ids = sorted({s.case_id for s in open_ if s.case_id is not None})
        facts: dict[str, dict[str, Any]] = {}
        rows: Any = [] if not case_ids else conn.execute(_CASE_FACTS, {"ids": case_ids}).mappings()
        for r in rows:  # one row per act: the officers of every act are on the case
            case = facts.setdefault(r["id"], {**r, "officer_ids": set()})
            case["officer_ids"].update(r["officer_ids"] or ())
    mine = {c for c, case in facts.items() if allowed(actor, "approval.decide", case)}
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


def require_approval(store: Store, actor: Actor, action: str, approval_id: str) -> dict[str, Any]:
    """``require`` on the case an approval belongs to, or, for one without a case (disposal
    of footage no case holds), on the record it names; NotFound if no such approval."""
    case_id = owner_case(store, "approvals", approval_id, "审批")
    if case_id is not None:
        return require_case(store, actor, action, case_id)
    with store.read() as conn:
        record_id = conn.execute(
            select(t.approvals.c.subject_record_id).where(t.approvals.c.id == approval_id)
        ).scalar()
    if record_id is None:
        require(actor, action)
        return {}
    return require_record(store, actor, action, str(record_id))


# -- written authorisations (services/approvals/authorisations.py) ------------------------
def grant_rows(
    conn: Connection,
    *,
    grant_id: str | None = None,
    user_id: str | None = None,
    agency_id: str | None = None,
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """The grants that match (each with its user's ``display_name``), each paired with the
    revocation row that ends it or None (two queries)."""
    a = t.authorisations
    query = select(a, t.users.c.display_name).join(t.users, t.users.c.id == a.c.user_id)
    query = query.where(a.c.ends_id.is_(None))
    if grant_id is not None:
        query = query.where(a.c.id == grant_id)
    if user_id is not None:
        query = query.where(a.c.user_id == user_id)
    if agency_id is not None:
        query = query.where(a.c.agency_id == agency_id)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    ends: dict[str, dict[str, Any]] = {
        r["ends_id"]: dict(r)
        for r in conn.execute(select(a).where(a.c.ends_id.in_([r["id"] for r in rows]))).mappings()
    }
    return [(r, ends.get(r["id"])) for r in rows]


def agency_users(store: Store, agency_id: str | None) -> list[dict[str, Any]]:
    """The agency's users (id, display name, roles, disabled), by display name."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.users.c.id, t.users.c.display_name, t.users.c.roles, t.users.c.disabled)
            .where(t.users.c.agency_id == agency_id)
            .order_by(t.users.c.display_name)
        ).mappings()
        return [dict(r) for r in rows]
