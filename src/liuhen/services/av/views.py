"""Read-only views of AV records for the UI and the checks (latest versions only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from liuhen.errors import NotFound
from liuhen.ledger.events import Actor
from liuhen.media import continuity
from liuhen.services.access.view_log import log_view
from liuhen.services.av.queries.records import latest_version_id, record_and_files
from liuhen.services.av.queries.views import (
    act_and_footage,
    av_page_rows,
    case_footage,
    file_reads_of_versions,
    recent_file_reads,
    unlinked_av_rows,
)
from liuhen.services.av.timeline import timeline
from liuhen.services.cases.queries.case_rows import CaseRows
from liuhen.services.cases.queries.loaded import load_cases
from liuhen.services.permissions import require, require_record, visible
from liuhen.store.store import Store


def unlinked_av(store: Store) -> list[dict[str, Any]]:
    """Footage, latest versions, that no case holds yet: kept, never deleted."""
    return [{"id": r["id"], "title": r["title"], **r["details"]} for r in unlinked_av_rows(store)]


def av_record_view(
    store: Store, record_id: str, *, tolerance: timedelta = continuity.TOLERANCE
) -> dict[str, Any]:
    """A record with its files, its recording (segments, gaps, overlaps) and, when linked to
    an act, the coverage of all that act's footage."""
    found = record_and_files(store, record_id, ("av", "av_derived"))
    if found is None:
        raise NotFound(f"record: 音像记录 {record_id} 不存在")
    rec, files = found
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
    found = act_and_footage(store, act_id)
    if found is None:
        raise NotFound(f"act: 执法环节 {act_id} 不存在")
    act, rows = found
    segments = [s for r in rows for s in continuity.segments_from(r["details"])]
    return continuity.coverage(segments, act["started_at"], act["ended_at"], tolerance=tolerance)


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
    rows = av_page_rows(store, record_id)
    if rows is None:
        raise NotFound(f"record: 音像记录 {record_id} 不存在")
    rec, details, act = rows.record, rows.record["details"], rows.act
    line = timeline(record_id, details, rows.files)
    coverage = None
    if act is not None:
        segments = [s for r in rows.footage for s in continuity.segments_from(r["details"])]
        coverage = continuity.coverage(segments, act["started_at"], act["ended_at"]).as_dict()
    return {
        "record": rec,
        "details": details,
        "timeline": line,
        "latest": record_id if rows.newer_id is None else latest_version_id(store, rows.newer_id),
        "device": rows.device,
        "officer_name": rows.officer_name or details.get("officer_id", ""),
        "case": (dict(case_of) or None) if rec["case_id"] else None,
        "act": act,
        "coverage": coverage,
    }


def case_av(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The latest version of every AV record of a case, each with its timeline."""
    rows, files = case_footage(store, case_id)
    return [
        {"record": dict(r), "timeline": timeline(r["id"], r["details"], files[r["id"]])}
        for r in rows
    ]


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
    rows = file_reads_of_versions(store, record_id, {latest_version_id(store, record_id)}, limit)
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
    reads = recent_file_reads(store, limit)
    rows, records, numbers = reads.events, reads.records, reads.numbers
    case_ids = {r["case_id"] for r in records.values() if r["case_id"]}
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
