"""Reading for the case-file pages: each current record's retention and disposal."""

from __future__ import annotations

from typing import Any

from liuhen.services.archiving.retention import long_term_reason, retention_of, schedule_for
from liuhen.services.cases.queries.case_rows import CaseRows, load_rows
from liuhen.services.permissions import load_case
from liuhen.store.store import Store


def retention_rows(store: Store, case_id: str) -> list[dict[str, Any]]:
    """``retention_of_rows`` of a case read here."""
    return retention_of_rows(load_rows(store, load_case(store, case_id)), store.clock())


def retention_of_rows(rows: CaseRows, now: Any) -> list[dict[str, Any]]:
    """The case's current records, each with its retention class, term, date and (once
    disposed of) the tombstone's time and approval: the case page's 保管与处置 table, from
    the case's rows (no query)."""
    schedule = schedule_for(rows.case["profile_id"])
    files = rows.case_files
    superseded_files = {f["supersedes_id"] for f in files if f["supersedes_id"]}
    current_files = [f for f in files if f["id"] not in superseded_files]
    case_file = current_files[-1] if current_files else None
    acts = {a["id"]: a for a in rows.acts}
    gone = {d["record_id"]: d for d in rows.disposals}
    out = []
    for record in rows.latest_records():
        act = acts.get(record["act_id"]) if record["act_id"] else None
        reason = (
            long_term_reason(act["details"], schedule) if act and record["kind"] == "av" else ""
        )
        ret = retention_of(record, rows.case, case_file, schedule, reason)
        stone = gone.get(record["id"])
        out.append(
            {
                "id": record["id"],
                "title": ret.title,
                "kind": "音像记录" if record["kind"] == "av" else "文书",
                "class_name": ret.class_name,
                "term": ret.term_name,
                "citation": ret.citation,
                "until": ret.until,
                "expired": ret.expired(now),
                "disposed_at": stone["created_at"] if stone else None,
                "approval_id": stone["details"].get("approval_id") if stone else "",
            }
        )
    return out
