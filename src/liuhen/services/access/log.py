"""调阅记录: who looked at which case or file, and when, read back from the ledger.

Every case view, case list, file read, export and refused attempt is already a ledger event
(000§18, 003§19); this module only selects them for the ledger page, within the reader's
scope (their agency's cases and people), filterable by case and by user.
"""

from __future__ import annotations

from typing import Any

from liuhen.ledger.events import Actor
from liuhen.services.access.queries.view_events import view_events
from liuhen.services.cases.queries.loaded import load_cases
from liuhen.services.permissions import ALL, require, scope_of, visible
from liuhen.store.store import Store

VIEW_ACTIONS: dict[str, str] = {
    "case.viewed": "查看案件",
    "case.list_viewed": "浏览案件列表",
    "record.file_read": "查看/下载文件",
    "case.exported": "导出案件（数据包、案卷或归档包）",
    "case.export_downloaded": "下载导出的案卷或归档包",
    "access.denied": "越权访问被拒绝",
}


def view_log(
    store: Store, actor: Actor, *, case: str = "", user: str = "", limit: int = 200
) -> list[dict[str, Any]]:
    """The latest ``limit`` view events, newest first; the reading is itself logged."""
    require(actor, "ledger.read")
    rows = view_events(
        store,
        VIEW_ACTIONS,
        case=case,
        user=user,
        limit=limit,
        within_agency=scope_of(actor, "ledger.read") != ALL and actor.id is not None,
        agency_id=actor.agency_id,
    )
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
