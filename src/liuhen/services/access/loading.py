"""Party requests read set-based: every request of a case with its approval, copies, links
and status in a fixed number of queries, from a case's rows (``CaseRows``: the case page,
the bundle) or on their own (one request's page, the API: ``queries/request_sets.py``).

Per request the values are the ones ``AccessRequest`` documents; what comes from the ledger
(a link's uses and revocation, a failed copy, a view given) is read for all of them at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from liuhen.services.access.model import COPY_KIND, AccessRequest
from liuhen.services.access.queries.links import USE, link_state
from liuhen.services.approvals.model import ApprovalState
from liuhen.services.cases.queries.case_rows import CaseRows, ledger_facts

if TYPE_CHECKING:
    from liuhen.store.store import Store

Row = Mapping[Any, Any]
FAILED, VIEWED, REVOKED = "access.copy_failed", "access.viewed", "share.revoked"


def approvals_by_request(states: Sequence[ApprovalState], rows: Sequence[Row]) -> dict[str, Any]:
    """Request id -> the state of its approval (``details.access_request_id``)."""
    ids = {r["id"]: r["details"].get("access_request_id") for r in rows}
    return {ids[s.id]: s for s in states if s.kind == "access_request" and ids.get(s.id)}


def from_case_rows(store: Store, rows: CaseRows) -> list[AccessRequest]:
    """The case's requests, newest first, from its loaded rows and the case's ledger facts
    (``ledger_facts``: one query, shared with the rest of the case page)."""
    if not rows.access_requests:
        return []
    states = [rows.approval_state(a["id"]) for a in rows.approvals]
    by_id = sorted(rows.access_requests, key=lambda r: r["id"])  # ties: by id, as ever
    requests = sorted(by_id, key=lambda r: r["created_at"], reverse=True)
    return build(
        store.clock(),
        rows.case["number"],
        requests,
        approvals_by_request(states, rows.approvals),
        [r for r in rows.records if r["kind"] == COPY_KIND],
        rows.files,
        rows.links,
        ledger_facts(store, rows),
    )


def build(
    now: datetime,
    case_number: str,
    requests: Sequence[Row],
    approval_of: Mapping[str, ApprovalState],
    copies: Sequence[Row],
    files: Mapping[str, Sequence[Row]],
    links: Sequence[Row],
    facts: Mapping[tuple[str, str], Mapping[str, Any]],
) -> list[AccessRequest]:
    """The requests as values (no query): ``facts`` maps (action, subject id) to the count
    and newest payload of the ledger's failed copies, views given, link uses and revocations."""
    out = []
    for row in requests:
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
            approval=approval_of.get(row["id"]),
            created_at=row["created_at"],
            created_by=row["created_by"],
            redaction=dict(row["details"].get("redaction") or {}),
        )
        request.copies = [
            _copy(c, files.get(c["id"], ()))
            for c in copies
            if c["details"].get("access_request_id") == row["id"]
        ]
        request.links = [
            link_state(
                link,
                facts.get((USE, link["id"]), {}).get("count", 0),
                bool(facts.get((REVOKED, link["id"]))),
                now,
            )
            for link in links
            if link["request_id"] == row["id"]
        ]
        failed = facts.get((FAILED, row["id"]))
        request.copy_failed = (
            failed["payload"].get("error", "") if failed and request.missing_copies else ""
        )
        request.status = _status(request, viewed=(VIEWED, row["id"]) in facts)
        out.append(request)
    return out


def _copy(row: Row, files: Sequence[Row]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "derived_from": row["details"]["derived_from"]["record_id"],
        "watermark": row["details"].get("watermark", ""),
        "skipped": row["details"].get("skipped", []),
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


def _status(request: AccessRequest, *, viewed: bool) -> str:
    if request.approval is None or not request.approval.closed:
        return "pending"
    if request.approval.outcome == "rejected":
        return "refused"
    if request.kind == "view":
        return "delivered" if viewed else "approved"
    if not request.links:
        return "approved"
    return "delivered" if any(link["active"] for link in request.links) else "expired"


def bundle_entries(rows: CaseRows, tz: Any) -> list[dict[str, Any]]:
    """The case's registered requests in case-bundle form (``access_requests``), so the
    compliance checks (who granted it, 000§17 … 004§37; nothing confidential given,
    002§34, 004§38) read them like any imported request. Only the records given count."""
    states = [rows.approval_state(a["id"]) for a in rows.approvals]
    approval_of = approvals_by_request(states, rows.approvals)
    current = _current_versions(rows)
    entries = []
    for r in rows.access_requests:
        state = approval_of.get(r["id"])
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
                "record_ids": _given(r["details"]["items"], current),
                "decision": decision,
            }
        )
    return entries


def _current_versions(rows: CaseRows) -> dict[str, str]:
    """Every version of the case's text and AV records -> its current version (a request
    names the version it was made for; the bundle holds current versions only)."""
    successor = {r["supersedes_id"]: r["id"] for r in rows.records if r["supersedes_id"]}
    current: dict[str, str] = {}
    for r in rows.records:
        if r["kind"] in ("text", "av"):
            head = r["id"]
            while head in successor:
                head = successor[head]
            current[r["id"]] = head
    return current


def _given(items: list[dict[str, Any]], current: dict[str, str]) -> list[str]:
    """The records a request gives, by their current versions (a correction or a signature
    made since is the same record; a derived copy such as a redacted video is not one)."""
    given = (current.get(i["record_id"]) for i in items if i["included"])
    return list(dict.fromkeys(g for g in given if g is not None))
