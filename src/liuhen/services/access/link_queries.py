"""Reading share links: each link's uses and revocation (from the ledger) and its state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from liuhen.store import tables as t

USE = "share.downloaded"


def count_actions(conn: Connection, link_ids: list[str], action: str) -> dict[str, int]:
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


def links_for(conn: Connection, request_id: str, now: datetime) -> list[dict[str, Any]]:
    """The request's links, oldest first, each with its uses (from the ledger) and state."""
    rows = list(
        conn.execute(
            select(t.share_links)
            .where(t.share_links.c.request_id == request_id)
            .order_by(t.share_links.c.created_at, t.share_links.c.id)
        ).mappings()
    )
    ids = [r["id"] for r in rows]
    uses, revoked = count_actions(conn, ids, USE), count_actions(conn, ids, "share.revoked")
    return [link_state(r, uses.get(r["id"], 0), bool(revoked.get(r["id"])), now) for r in rows]
