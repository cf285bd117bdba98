"""Footage that arrives file by file joins the recording it belongs to.

A body camera cuts one recording into segment files, and the browser upload and the
docking-station API hand them over one at a time (``import-av`` a folder at a time). The
rule, the same for every route and the same ``import-av`` applies inside one folder
(``media.importing.group``): a new video or audio file, or a run of files one import has
put together, continues a stored AV record (its latest version) when

- it comes from the same device (registered id or serial number; never an unknown device)
  and the same officer (id or certificate number) and is of the same kind (video, audio);
- when the uploader named a case (and act), the record belongs to that case (and act) or
  to no case yet;
- no file overlaps a stored segment by more than the tolerance, and it starts at most
  ``Settings.av_join_minutes`` after the recording's last segment ends, ends at most that
  long before its first segment starts, or fills a hole between its segments
  (``continuity.join_distance``); of several such records the nearest wins.

It then becomes a segment of a NEW VERSION of that record (append-only: the old version
and its files stay as they were), its segments in start order, so gaps, coverage, the
timeline and the findings see one recording. The ledger event is ``av.segment_joined``.
The new version's ``stored_at`` is when its last segment arrived (the upload deadline is
measured against the whole recording); positions in the video (opening-statement marks,
``video_at``) move with a segment joined before the first. Two stored records are never
merged into one: a file between them joins the nearer. Otherwise it is a new record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from liuhen.media import continuity, importing
from liuhen.media.importing import ImportOptions
from liuhen.media.scan import Candidate
from liuhen.services.av.queries.records import (
    footage_naming_devices,
    record_files,
)
from liuhen.services.av.rows import Row, insert_files, insert_record
from liuhen.services.cases.bundle_import import check_entity
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

UNJOINABLE = frozenset({"unknown-device"})


def lock(tx: Tx) -> None:
    """Take the ledger head first, so two uploads never both extend the same version."""
    tx.hold_head()


def find_recording(
    tx: Tx,
    cands: Sequence[Candidate],
    *,
    device_ids: Sequence[str],
    officer_ids: Sequence[str],
    options: ImportOptions,
    max_pause: timedelta,
) -> Row | None:
    """The latest version of the stored recording ``cands`` continue, if any (see above)."""
    devices = [d for d in dict.fromkeys(device_ids) if d and d not in UNJOINABLE]
    kind = cands[0].kind
    if not devices or kind not in ("video", "audio"):
        return None
    new = importing.as_segments(cands)
    if len(new) != len(cands):
        return None
    fits: list[tuple[timedelta, float, Row]] = []
    for row in footage_naming_devices(tx.conn, devices):
        details = row["details"]
        if details.get("device_id") not in devices or details.get("officer_id") not in officer_ids:
            continue
        if not _same_case(row, options) or _kind(tx, row["id"]) != kind:
            continue
        held = continuity.segments_from(details)
        distance = continuity.join_distance(
            held, new, tolerance=options.tolerance, max_pause=max_pause
        )
        if distance is not None:
            fits.append((distance, -row["created_at"].timestamp(), row))
    return min(fits, key=lambda f: f[:2])[2] if fits else None


def _same_case(row: Row, options: ImportOptions) -> bool:
    if options.case_id is None:
        return True
    if row["case_id"] is None:
        return True
    if row["case_id"] != options.case_id:
        return False
    return options.act_id is None or row["act_id"] in (None, options.act_id)


def _kind(tx: Tx, record_id: str) -> str | None:
    files = record_files(tx.conn, record_id)
    return files[0]["details"].get("media_kind") if files else None


def join(
    tx: Tx,
    store: Store,
    old: Row,
    kept: Sequence[tuple[Candidate, BlobInfo]],
    *,
    max_pause: timedelta,
) -> tuple[str, dict[str, Any]]:
    """Write the new version of ``old`` with ``kept`` among its segments; return its id and
    the merged details. The caller has registered the blobs and records nothing else."""
    tz = store.settings.tz
    details = dict(old["details"])
    forms = list(details["segments"]) + [
        {"start": c.start, "end": c.end, "sha256": i.sha256, "file_name": c.name} for c, i in kept
    ]
    segments = importing.segment_forms(forms, tz)
    details["segments"] = segments
    details["stored_at"] = store.clock().astimezone(tz).isoformat()
    shift = datetime.fromisoformat(old["details"]["segments"][0]["start"]) - datetime.fromisoformat(
        segments[0]["start"]
    )
    _shift_positions(details, round(shift.total_seconds()))
    new = new_id()
    check_entity("av_record", {"id": new, **details}, "$.av_records[]")
    old_files = record_files(tx.conn, old["id"])
    files: dict[str, tuple[str, str, Mapping[str, Any]]] = {
        f["blob_sha256"]: (f["file_name"], f["media_type"], f["details"]) for f in old_files
    }
    for cand, info in kept:
        files[info.sha256] = (cand.name, cand.media_type, cand.details())
    order = [s["sha256"] for s in segments]
    first = min((c for c, _ in kept), key=lambda c: c.start or datetime.max.replace(tzinfo=tz))
    start = datetime.fromisoformat(segments[0]["start"])
    title = importing.recording_title(first.kind, first.device, start, len(segments), tz)
    names = "、".join(c.name for c, _ in kept)
    reason = f"并入同一录像的后续上传片段：{names}"[:1000]
    kinds = ("av", old["doc_kind"])
    insert_record(
        tx, store, new, old["case_id"], old["act_id"], kinds, title, details, supersedes=old,
        reason=reason,
    )  # fmt: skip
    insert_files(tx, store, new, "segment", [files[sha] for sha in order], order)
    rec = continuity.recording(continuity.segments_from(details), tolerance=continuity.TOLERANCE)
    positions = [order.index(i.sha256) + 1 for _, i in kept]
    tx.record(
        "av.segment_joined",
        subject_type="record",
        subject_id=new,
        case_id=old["case_id"],
        payload={
            "supersedes": old["id"],
            "files": [i.sha256 for _, i in kept],
            "positions": positions,
            "segments": len(segments),
            "gaps": len(rec.gaps),
            "max_pause_minutes": int(max_pause.total_seconds() // 60),
            "time_sources": sorted({c.time.source for c, _ in kept if c.time and c.time.source}),
        },
    )
    return new, details


def _shift_positions(details: dict[str, Any], seconds: int) -> None:
    """Positions in the video count from its first segment: move them when one is joined
    before it (the moments they name stay the same)."""
    if seconds <= 0:
        return
    opening = details.get("opening_statement")
    if opening and opening.get("marks"):
        marks = {k: v + seconds for k, v in opening["marks"].items()}
        details["opening_statement"] = {**opening, "marks": marks}
    details["interruptions"] = [
        {**it, "video_at": it["video_at"] + seconds} if it.get("video_at") is not None else it
        for it in details.get("interruptions") or []
    ]
