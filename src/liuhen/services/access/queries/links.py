"""Reading share links: a link by its token, its case, each link's uses and revocation
(from the ledger) and its state; the lock that serialises counting a link's uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from liuhen.store import tables as t
from liuhen.store.store import Store

USE = "share.downloaded"


def link_by_token_hash(conn: Connection, hashed: str) -> dict[str, Any] | None:
    """The link whose token has this SHA-256, or None, on the caller's connection."""
    row = (
        conn.execute(select(t.share_links).where(t.share_links.c.token_hash == hashed))
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def link_case_id(store: Store, link_id: str) -> str | None:
    """The case of the request a link serves, or None when there is no such link."""
    with store.read() as conn:
        owner = conn.execute(
            select(t.access_requests.c.case_id)
            .join(t.share_links, t.share_links.c.request_id == t.access_requests.c.id)
            .where(t.share_links.c.id == link_id)
        ).scalar()
    return None if owner is None else str(owner)


def count_actions(conn: Connection, link_ids: list[str], action: str) -> dict[str, int]:
    """Link id -> how many ``action`` events the ledger has about it (one query)."""
    if not link_ids:
        return {}
    rows = conn.execute(
        select(t.ledger_events.c.subject_id, func.count())
        .where(
            t.ledger_events.c.subject_type == "share_link",
            t.ledger_events.c.action == action,
            t.ledger_events.c.subject_id.in_(link_ids),
        )
        .group_by(t.ledger_events.c.subject_id)
    ).all()
    return {str(sid): int(n) for sid, n in rows}


def link_state(row: Any, uses: int, revoked: bool, now: datetime) -> dict[str, Any]:
    """A link's row as shown: its uses, whether it is active, and why it ended."""
    expired = now >= row["expires_at"]
    used_up = uses >= row["max_uses"]
    reason = "已撤销" if revoked else "已过期" if expired else "下载次数已用完" if used_up else ""
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "max_uses": row["max_uses"],
        "uses": uses,
        "active": not reason,
        "ended": reason,
        "targets": row["targets"],
    }
