"""Reading party requests: one request with its approval, copies, links and status; a case's requests; the records a request may name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, or_, select

from liuhen.errors import NotFound
from liuhen.ledger.events import Actor
from liuhen.services.access.model import COPY_KIND, EVENT_NAMES, MARKS, AccessRequest
from liuhen.services.access.view_log import log_view
from liuhen.services.approvals.queries import state_in
from liuhen.services.permissions import require_case
from liuhen.store import tables as t
from liuhen.store.store import Store


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
    from liuhen.services.access.link_queries import links_for

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
