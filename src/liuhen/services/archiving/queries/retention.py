"""Reading retention: a record's versions and retention (``record_retention``), and each
current record's retention and disposal for the case-file pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from liuhen.domain import vocab
from liuhen.errors import NotFound
from liuhen.services.archiving.queries.filing import current_case_file
from liuhen.services.archiving.retention import (
    RecordRetention,
    long_term_reason,
    retention_of,
    schedule_for,
)
from liuhen.services.cases.queries.case_rows import CaseRows
from liuhen.store import tables as t
from liuhen.store.store import Store


def _version_chain(conn: Connection, record_id: str) -> list[dict[str, Any]]:
    """Every version of a record (works for records no case holds), oldest first."""
    row = conn.execute(select(t.records).where(t.records.c.id == record_id)).mappings().first()
    if row is None:
        raise NotFound(f"record: 记录 {record_id} 不存在")
    same = (
        t.records.c.case_id == row["case_id"]
        if row["case_id"]
        else t.records.c.case_id.is_(None) & (t.records.c.kind == row["kind"])
    )
    rows = {r["id"]: dict(r) for r in conn.execute(select(t.records).where(same)).mappings()}
    chain = [rows[record_id]]
    while chain[0]["supersedes_id"] and chain[0]["supersedes_id"] in rows:
        chain.insert(0, rows[chain[0]["supersedes_id"]])
    by_old = {r["supersedes_id"]: r for r in rows.values() if r["supersedes_id"]}
    while chain[-1]["id"] in by_old:
        chain.append(by_old[chain[-1]["id"]])
    return chain


def version_chain(store: Store, record_id: str) -> list[dict[str, Any]]:
    """Every version of a record, oldest first."""
    with store.read() as conn:
        return _version_chain(conn, record_id)


def _profile_id(conn: Connection, record: dict[str, Any], case: Any) -> str:
    if case is not None:
        agency = case["agency_id"]
    else:
        device = record["details"].get("device_id")
        agency = None
        if device:
            agency = conn.execute(
                select(t.devices.c.agency_id).where(t.devices.c.id == device)
            ).scalar()
        if agency is None:
            agency = conn.execute(
                select(t.agencies.c.id).order_by(t.agencies.c.created_at)
            ).scalar()
    if agency is None:
        return "base"
    profile_id: str = conn.execute(
        select(t.agencies.c.profile_id).where(t.agencies.c.id == agency)
    ).scalar_one()
    return profile_id


def _long_term_act(conn: Connection, record: dict[str, Any], flags: tuple[str, ...]) -> str:
    """The 001§14 circumstance of the record's act, if any ('' when none)."""
    if not record["act_id"] or not flags:
        return ""
    details = conn.execute(select(t.acts.c.details).where(t.acts.c.id == record["act_id"])).scalar()
    act_flags = (details or {}).get("flags", [])
    return next((vocab.ACT_FLAGS[f] for f in flags if f in act_flags), "")


def record_retention(store: Store, record_id: str) -> RecordRetention:
    """The retention class, term, citation and end date of one record (any version)."""
    with store.read() as conn:
        chain = _version_chain(conn, record_id)
        record = chain[-1]
        found = (
            conn.execute(select(t.cases).where(t.cases.c.id == record["case_id"]))
            .mappings()
            .first()
            if record["case_id"]
            else None
        )
        case = dict(found) if found is not None else None
        schedule = schedule_for(_profile_id(conn, record, case))
        long_reason = ""
        if record["kind"] == "av":
            long_reason = _long_term_act(conn, record, schedule.classes["long_term"].flags)
        case_file = current_case_file(conn, case["id"]) if case is not None else None
    return retention_of(record, case, case_file, schedule, long_reason)


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
                # the term above is the schedule's; the record itself names none (av_retention
                # reports that as a finding): say so beside it, so both read the same
                "unstated": record["kind"] == "av"
                and not (record["details"].get("retention") or {}).get("term"),
                "citation": ret.citation,
                "until": ret.until,
                "expired": ret.expired(now),
                "disposed_at": stone["created_at"] if stone else None,
                "approval_id": stone["details"].get("approval_id") if stone else "",
            }
        )
    return out
