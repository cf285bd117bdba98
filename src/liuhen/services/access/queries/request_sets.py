"""Party requests read set-based: every request of a case (or the few asked for) with its
approval, copies, links and ledger facts in a fixed number of queries, built into values by
``services/access/loading.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, or_, select

from liuhen.services.access.loading import FAILED, REVOKED, VIEWED, approvals_by_request, build
from liuhen.services.access.model import COPY_KIND, AccessRequest
from liuhen.services.access.queries.links import USE
from liuhen.services.approvals.queries import states_where
from liuhen.store import tables as t
from liuhen.store.queries.ledger_facts import newest_of_each

if TYPE_CHECKING:
    from liuhen.store.store import Store


def load_requests(
    store: Store, case_id: str, case_number: str, request_ids: list[str] | None = None
) -> list[AccessRequest]:
    """The case's requests (only ``request_ids`` when given), newest first, with everything
    read set-based: requests, approvals with steps, copies, their files, links, ledger."""
    with store.read() as conn:
        query = select(t.access_requests).where(t.access_requests.c.case_id == case_id)
        if request_ids is not None:
            query = query.where(t.access_requests.c.id.in_(request_ids))
        requests = list(
            conn.execute(
                query.order_by(t.access_requests.c.created_at.desc(), t.access_requests.c.id)
            ).mappings()
        )
        if not requests:
            return []
        approvals = list(
            conn.execute(
                select(t.approvals.c.id, t.approvals.c.details).where(
                    t.approvals.c.case_id == case_id, t.approvals.c.kind == "access_request"
                )
            ).mappings()
        )
        states = states_where(conn, t.approvals.c.id.in_([a["id"] for a in approvals]))
        copies = list(
            conn.execute(
                select(t.records)
                .where(t.records.c.case_id == case_id, t.records.c.kind == COPY_KIND)
                .order_by(t.records.c.created_at)
            ).mappings()
        )
        files: dict[str, list[Any]] = {}
        if copies:
            for f in conn.execute(
                select(t.record_files)
                .where(t.record_files.c.record_id.in_([c["id"] for c in copies]))
                .order_by(t.record_files.c.record_id, t.record_files.c.position)
            ).mappings():
                files.setdefault(f["record_id"], []).append(f)
        ids = [r["id"] for r in requests]
        links = list(
            conn.execute(
                select(t.share_links)
                .where(t.share_links.c.request_id.in_(ids))
                .order_by(t.share_links.c.created_at, t.share_links.c.id)
            ).mappings()
        )
        facts = _ledger_facts(conn, ids, [link["id"] for link in links])
        return build(
            store.clock(),
            case_number,
            requests,
            approvals_by_request(states, approvals),
            copies,
            files,
            links,
            facts,
        )


def _ledger_facts(
    conn: Connection, request_ids: list[str], link_ids: list[str]
) -> dict[tuple[str, str], dict[str, Any]]:
    """(action, subject) -> the newest payload and the count of: failed copies and views
    given of the requests, downloads and revocations of their links (one query)."""
    events = t.ledger_events.c
    about_requests = (
        (events.subject_type == "access_request")
        & events.subject_id.in_(request_ids)
        & events.action.in_((FAILED, VIEWED))
    )
    about_links = (
        (events.subject_type == "share_link")
        & events.subject_id.in_(link_ids)
        & events.action.in_((USE, REVOKED))
    )
    where = or_(about_requests, about_links) if link_ids else about_requests
    rows = conn.execute(newest_of_each(where, events.payload)).all()
    return {
        (str(action), str(subject)): {"count": int(count), "payload": payload}
        for action, subject, _seq, count, payload in rows
    }
