"""调阅记录: who looked at which case or file, and when, read back from the ledger.

Every case view, case list, file read, export and refused attempt is already a ledger event
(000§18, 003§19); this module only selects them for the ledger page, within the reader's
scope (their agency's cases and people), filterable by case and by user.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from liuhen.ledger.events import Actor
from liuhen.services.cases.queries.loaded import load_cases
from liuhen.services.permissions import ALL, require, scope_of, visible
from liuhen.store import tables as t
from liuhen.store.store import Store

VIEW_ACTIONS: dict[str, str] = {
    "case.viewed": "查看案件",
    "case.list_viewed": "浏览案件列表",
    "record.file_read": "查看/下载文件",
    "case.exported": "导出案件（数据包、案卷或归档包）",
    "access.denied": "越权访问被拒绝",
}


def view_log(
    store: Store, actor: Actor, *, case: str = "", user: str = "", limit: int = 200
) -> list[dict[str, Any]]:
    """The latest ``limit`` view events, newest first; the reading is itself logged."""
    require(actor, "ledger.read")
    ev, cases, users = t.ledger_events, t.cases, t.users
    query = (
        select(
            ev.c.seq,
            ev.c.occurred_at,
            ev.c.actor_label,
            ev.c.action,
            ev.c.subject_type,
            ev.c.subject_id,
            ev.c.case_id,
            cases.c.number.label("case_number"),
            cases.c.title.label("case_title"),
            users.c.username,
        )
        .select_from(
            ev.outerjoin(cases, cases.c.id == ev.c.case_id).outerjoin(
                users, users.c.id == ev.c.actor_id
            )
        )
        .where(ev.c.action.in_(VIEW_ACTIONS))
        .order_by(ev.c.seq.desc())
        .limit(max(1, min(limit, 1000)))
    )
    if case.strip():
        query = query.where(or_(cases.c.number == case.strip(), cases.c.id == case.strip()))
    if user.strip():
        query = query.where(
            or_(users.c.username == user.strip(), ev.c.actor_label.contains(user.strip()))
        )
    if scope_of(actor, "ledger.read") != ALL and actor.id is not None:
        query = query.where(
            or_(cases.c.agency_id == actor.agency_id, users.c.agency_id == actor.agency_id)
        )
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    case_ids = {r["case_id"] for r in rows if r["case_id"]}
    shown = {c["id"] for c in visible(actor, "ledger.read", load_cases(store, case_ids))}
    rows = [r for r in rows if not r["case_id"] or r["case_id"] in shown]  # scope and marks
    store.record_view(
        actor,
        "ledger.views_read",
        subject_type="ledger",
        subject_id="views",
        payload={"case": case, "user": user, "count": len(rows)},
    )
    for row in rows:
        row["action_name"] = VIEW_ACTIONS[row["action"]]
    return rows
