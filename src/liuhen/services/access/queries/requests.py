"""Reading party requests: one request with its approval, copies, links and status; a case's
requests; the records a request may name; what registering and deciding read in their
transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select

from liuhen.errors import NotFound
from liuhen.ledger.events import Actor
from liuhen.services.access.model import EVENT_NAMES, MARKS, AccessRequest
from liuhen.services.access.queries.request_sets import load_requests
from liuhen.services.access.view_log import log_view
from liuhen.services.approvals.queries import states_where
from liuhen.services.permissions import require_case
from liuhen.store import tables as t
from liuhen.store.store import Store


def case_with_profile(conn: Connection, case_id: str) -> dict[str, Any]:
    """The case's row with its agency's ``profile_id``; NotFound when there is none."""
    row = (
        conn.execute(
            select(t.cases, t.agencies.c.profile_id, t.agencies.c.name.label("agency_name"))
            .join(t.agencies, t.agencies.c.id == t.cases.c.agency_id)
            .where(t.cases.c.id == case_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"case: 案件 {case_id} 不存在")
    return dict(row)


def current_records(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    """The case's current (not superseded) text and AV records, oldest first."""
    later = t.records.alias("later")
    superseded = exists().where(later.c.supersedes_id == t.records.c.id)  # by index
    return [
        dict(r)
        for r in conn.execute(
            select(t.records)
            .where(
                t.records.c.case_id == case_id,
                t.records.c.kind.in_(("text", "av")),
                ~superseded,
            )
            .order_by(t.records.c.created_at, t.records.c.id)
        ).mappings()
    ]


def requestable_records(
    store: Store, actor: Actor, case_id: str, *, case: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The case's current records a party may ask for, each with its confidentiality.
    ``case``: the case as the permission check loaded it (not read again)."""
    case = require_case(store, actor, "access.request", case_id, case)
    with store.read() as conn:
        rows = current_records(conn, case_id)
    marks = case_marks(case)
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


def case_marks(case: Any) -> list[str]:
    """The names of the case's confidentiality marks."""
    return [MARKS.get(m, str(m)) for m in case["confidentiality"] or []]


# -- deciding (called by approvals.decide) ------------------------------------------------
def request_for_approval(conn: Connection, approval_id: str) -> dict[str, Any]:
    """The request an ``access_request`` approval is about; NotFound when there is none."""
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
    return dict(found)


def approval_closed(conn: Connection, approval_id: str) -> bool:
    """Whether the approval has been decided (read inside a writer's transaction)."""
    [state] = states_where(conn, t.approvals.c.id == approval_id)
    return state.closed


def requests_created_since(conn: Connection, start: datetime) -> int:
    """How many requests were registered at or after ``start`` (for the next number)."""
    count = conn.execute(
        select(func.count())
        .select_from(t.access_requests)
        .where(t.access_requests.c.created_at >= start)
    ).scalar_one()
    return int(count)


def approver_positions(store: Store, approval_ids: list[str]) -> dict[str, list[str]]:
    """For the inbox: approval id -> in which capacities the request behind it must be
    granted (one query for any number: each approval with its case's requests)."""
    if not approval_ids:
        return {}
    with store.read() as conn:
        rows = conn.execute(
            select(
                t.approvals.c.id,
                t.approvals.c.details,
                t.access_requests.c.id.label("request_id"),
                t.access_requests.c.details.label("request"),
            )
            .join(t.access_requests, t.access_requests.c.case_id == t.approvals.c.case_id)
            .where(t.approvals.c.id.in_(approval_ids))
        ).mappings()
        out: dict[str, list[str]] = {}
        for r in rows:
            if r["details"].get("access_request_id") == r["request_id"]:
                approver = r["request"]["approver"]
                out[r["id"]] = [*approver["positions"], *approver["deputies"]]
    return out


# -- reading ------------------------------------------------------------------------------
def get_request(
    store: Store,
    actor: Actor,
    request_id: str,
    *,
    _checked: bool = False,
    case: Mapping[str, Any] | None = None,
) -> AccessRequest:
    """One request with its approval, copies, links and status. ``case``: the request's
    case as the permission check loaded it (not read again); ``_checked``: the caller has
    checked and logged already."""
    with store.read() as conn:
        case_id = conn.execute(
            select(t.access_requests.c.case_id).where(t.access_requests.c.id == request_id)
        ).scalar()
    if case_id is None:
        raise NotFound(f"access_request: 查阅/复制申请 {request_id} 不存在")
    loaded = dict(case) if case is not None and case.get("id") == case_id else None
    if not _checked:
        loaded = require_case(store, actor, "case.read", case_id, loaded)
        log_view(store, actor, case_id, "access_request", access_request_id=request_id)
    number = loaded["number"] if loaded else _case_number(store, case_id)
    found = load_requests(store, case_id, number, [request_id])
    return found[0]


def _case_number(store: Store, case_id: str) -> str:
    with store.read() as conn:
        return str(
            conn.execute(select(t.cases.c.number).where(t.cases.c.id == case_id)).scalar_one()
        )


def list_requests(
    store: Store,
    actor: Actor,
    case_id: str,
    *,
    log: bool = True,
    case: Mapping[str, Any] | None = None,
) -> list[AccessRequest]:
    """A case's requests, newest first (a logged view unless shown within a logged page);
    ``case``: the case as the permission check loaded it (not read again)."""
    loaded = require_case(store, actor, "case.read", case_id, case)
    if log:
        log_view(store, actor, case_id, "access_requests")
    return load_requests(store, case_id, loaded["number"])


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
