"""Read-only views of AV records for the UI and the checks (latest versions only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from liuhen.errors import NotFound
from liuhen.ledger.events import Actor
from liuhen.media import continuity
from liuhen.services.access.view_log import log_view
from liuhen.services.av.rows import current_rows, record_files
from liuhen.services.av.timeline import timeline
from liuhen.services.cases.queries.case_rows import CaseRows
from liuhen.services.cases.queries.loaded import load_cases
from liuhen.services.permissions import require, require_record, visible
from liuhen.store import tables as t
from liuhen.store.store import Store


def unlinked_av(store: Store) -> list[dict[str, Any]]:
    """Footage, latest versions, that no case holds yet: kept, never deleted."""
    with store.read() as conn:
        rows = current_rows(conn, (t.records.c.kind == "av") & t.records.c.case_id.is_(None))
    return [{"id": r["id"], "title": r["title"], **r["details"]} for r in rows]


def av_record_view(
    store: Store, record_id: str, *, tolerance: timedelta = continuity.TOLERANCE
) -> dict[str, Any]:
    """A record with its files, its recording (segments, gaps, overlaps) and, when linked to
    an act, the coverage of all that act's footage."""
    with store.read() as conn:
        rec = conn.execute(select(t.records).where(t.records.c.id == record_id)).mappings().first()
        if rec is None or rec["kind"] not in ("av", "av_derived"):
            raise NotFound(f"record: 音像记录 {record_id} 不存在")
        files = record_files(conn, record_id)
    keys = ("id", "case_id", "act_id", "supersedes_id", "version", "kind", "doc_kind", "title")
    segments = continuity.segments_from(rec["details"])
    view: dict[str, Any] = {
        "record": {k: rec[k] for k in keys},
        "details": rec["details"],
        "files": [
            {k: f[k] for k in ("position", "role", "blob_sha256", "file_name", "media_type")}
            | {"details": f["details"]}
            for f in files
        ],
        "recording": continuity.recording(segments, tolerance=tolerance).as_dict(),
    }
    if rec["act_id"] and rec["kind"] == "av":
        view["coverage"] = act_av_coverage(store, rec["act_id"], tolerance=tolerance).as_dict()
    return view


def act_av_coverage(
    store: Store, act_id: str, *, tolerance: timedelta = continuity.TOLERANCE
) -> continuity.Coverage:
    """How the latest AV records of an act, from every device, cover its start and end."""
    with store.read() as conn:
        act = conn.execute(select(t.acts).where(t.acts.c.id == act_id)).mappings().first()
        if act is None:
            raise NotFound(f"act: 执法环节 {act_id} 不存在")
        rows = current_rows(conn, (t.records.c.kind == "av") & (t.records.c.act_id == act_id))
    segments = [s for r in rows for s in continuity.segments_from(r["details"])]
    return continuity.coverage(segments, act["started_at"], act["ended_at"], tolerance=tolerance)


def latest_av_id(store: Store, record_id: str) -> str:
    """The newest version of the AV record that ``record_id`` is one version of."""
    current = record_id
    with store.read() as conn:
        while True:
            newer = conn.execute(
                select(t.records.c.id).where(t.records.c.supersedes_id == current)
            ).scalar()
            if newer is None:
                return current
            current = str(newer)


def av_page(
    store: Store,
    actor: Actor,
    record_id: str,
    *,
    case: Mapping[str, Any] | None = None,
    log: bool = True,
) -> dict[str, Any]:
    """One AV record for its page: the row, its timeline, its files, names for its ids.
    ``case``: the record's case as the permission check loaded it (not read again); ``log``:
    the view goes on the ledger here (a form page's view is logged by its route)."""
    case_of = require_record(store, actor, "case.read", record_id, case)
    if log:
        log_view(store, actor, case_of.get("id"), "av_record", record_id=record_id)
    with store.read() as conn:
        rec = conn.execute(select(t.records).where(t.records.c.id == record_id)).mappings().first()
        if rec is None or rec["kind"] != "av":
            raise NotFound(f"record: 音像记录 {record_id} 不存在")
        files = record_files(conn, record_id)
        details = rec["details"]
        device = (
            conn.execute(select(t.devices).where(t.devices.c.id == details.get("device_id")))
            .mappings()
            .first()
        )
        officer = conn.execute(
            select(t.officers.c.name).where(t.officers.c.id == details.get("officer_id"))
        ).scalar()
        act = (
            conn.execute(select(t.acts).where(t.acts.c.id == rec["act_id"])).mappings().first()
            if rec["act_id"]
            else None
        )
        newer = conn.execute(
            select(t.records.c.id).where(t.records.c.supersedes_id == record_id)
        ).scalar()
        footage = (
            current_rows(conn, (t.records.c.kind == "av") & (t.records.c.act_id == act["id"]))
            if act is not None
            else []
        )
    line = timeline(record_id, details, files)
    coverage = None
    if act is not None:
        segments = [s for r in footage for s in continuity.segments_from(r["details"])]
        coverage = continuity.coverage(segments, act["started_at"], act["ended_at"]).as_dict()
    return {
        "record": dict(rec),
        "details": details,
        "timeline": line,
        "latest": record_id if newer is None else latest_av_id(store, str(newer)),
        "device": dict(device) if device else None,
        "officer_name": officer or details.get("officer_id", ""),
        "case": (dict(case_of) or None) if rec["case_id"] else None,
        "act": dict(act) if act else None,
        "coverage": coverage,
    }


def case_av(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The latest version of every AV record of a case, each with its timeline."""
    with store.read() as conn:
        rows = current_rows(conn, (t.records.c.kind == "av") & (t.records.c.case_id == case_id))
        files: dict[str, list[Any]] = {r["id"]: [] for r in rows}
        if rows:
            for f in conn.execute(
                select(t.record_files)
                .where(t.record_files.c.record_id.in_(list(files)))
                .order_by(t.record_files.c.record_id, t.record_files.c.position)
            ).mappings():
                files[f["record_id"]].append(f)
        out = []
        for r in rows:
            out.append(
                {"record": dict(r), "timeline": timeline(r["id"], r["details"], files[r["id"]])}
            )
    return out


def case_av_of(rows: CaseRows) -> list[dict[str, Any]]:
    """``case_av`` from a case's rows (no query)."""
    return [
        {"record": r, "timeline": timeline(r["id"], r["details"], rows.files.get(r["id"], []))}
        for r in rows.latest_records()
        if r["kind"] == "av"
    ]


def av_access_log(store: Store, record_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """Who played or downloaded this AV record's files (every version), newest first, from
    the ledger (实时调阅留痕, 000§18)."""
    ids = {record_id, latest_av_id(store, record_id)}
    with store.read() as conn:
        cursor: str | None = record_id
        while cursor is not None:  # older versions
            cursor = conn.execute(
                select(t.records.c.supersedes_id).where(t.records.c.id == cursor)
            ).scalar()
            if cursor is not None:
                ids.add(str(cursor))
        rows = conn.execute(
            select(
                t.ledger_events.c.seq,
                t.ledger_events.c.occurred_at,
                t.ledger_events.c.actor_label,
                t.ledger_events.c.subject_id,
                t.ledger_events.c.payload,
            )
            .where(
                t.ledger_events.c.action == "record.file_read",
                t.ledger_events.c.subject_type == "record",
                t.ledger_events.c.subject_id.in_(ids),
            )
            .order_by(t.ledger_events.c.seq.desc())
            .limit(limit)
        ).mappings()
        return [
            {
                "seq": r["seq"],
                "at": r["occurred_at"],
                "who": r["actor_label"],
                "record_id": r["subject_id"],
                "position": r["payload"].get("position"),
                "mode": r["payload"].get("mode", "read"),
            }
            for r in rows
        ]


def access_events(store: Store, actor: Actor, *, limit: int = 200) -> list[dict[str, Any]]:
    """The latest plays, downloads and reads of stored files, from the ledger, newest first,
    with the record and case they belong to (实时调阅, 000§18)."""
    require(actor, "ledger.read")
    with store.read() as conn:
        rows = list(
            conn.execute(
                select(t.ledger_events)
                .where(t.ledger_events.c.action == "record.file_read")
                .order_by(t.ledger_events.c.seq.desc())
                .limit(limit)
            ).mappings()
        )
        record_ids = {r["subject_id"] for r in rows}
        records = {
            r["id"]: r
            for r in conn.execute(
                select(
                    t.records.c.id, t.records.c.title, t.records.c.kind, t.records.c.case_id
                ).where(t.records.c.id.in_(record_ids))
            ).mappings()
        }
        case_ids = {r["case_id"] for r in records.values() if r["case_id"]}
        numbers = dict(
            conn.execute(
                select(t.cases.c.id, t.cases.c.number).where(t.cases.c.id.in_(case_ids))
            ).all()
        )
    shown = {c["id"] for c in visible(actor, "ledger.read", load_cases(store, case_ids))}
    out = []
    for r in rows:
        rec = records.get(r["subject_id"])
        if rec and rec["case_id"] and rec["case_id"] not in shown:
            continue  # a case outside the reader's scope or marks
        out.append(
            {
                "seq": r["seq"],
                "at": r["occurred_at"],
                "who": r["actor_label"],
                "mode": r["payload"].get("mode", "read"),
                "position": r["payload"].get("position"),
                "record_id": r["subject_id"],
                "title": rec["title"] if rec else r["subject_id"],
                "is_av": bool(rec and rec["kind"] == "av"),
                "case_id": rec["case_id"] if rec else None,
                "case_number": numbers.get(rec["case_id"], "") if rec else "",
            }
        )
    return out
