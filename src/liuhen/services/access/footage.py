"""Redaction of footage for a party's copy (录像遮盖; 002§34, 004§38): faces found, marks
confirmed, and the redacted video made, each as its own step (the first and last run as
background jobs: they read the whole file).

``detect_faces`` runs the face detector over each video file of an AV record a copy request
gives that no earlier run scanned (``face_scans.py``: once per file, for every request). The approver keeps,
removes and adds covers (a region over a time range) and mutes (a time range of the sound),
each with its legal ground and reason: ``confirm_footage`` saves them as a new version in
``redactions``, the same table and the same ``access.redaction_confirmed`` event as a
document's marks, so one review flow decides both (saving the same marks again is not a new
version). ``render_footage`` writes the redacted video of the newest version, streaming
(``media/footage.redact_video``), with the copy's caption burnt in: a derived record (kind
``redacted``) naming its original and the version, its files on the ledger, once per version
(``redacted_footage``, unique by version). The party's copy of the record is that video
(``copies.py``); the original is only read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from liuhen.domain.footage_redaction import from_dict, ordered
from liuhen.domain.footage_redaction import problems as mark_problems
from liuhen.errors import Conflict, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.access.face_scans import (
    Progress,
    no_progress,
    scan_record,
)
from liuhen.services.access.model import AccessRequest
from liuhen.services.access.queries.footage import (
    detections,
    video_files,
)
from liuhen.services.access.queries.redactions import latest_redactions
from liuhen.services.access.queries.requests import approval_closed, get_request
from liuhen.services.permissions import require_case
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

REDACTED_KIND = "redacted"


def load_footage(
    store: Store,
    actor: Actor,
    request_id: str,
    record_id: str,
    *,
    case: Mapping[str, Any] | None = None,
) -> tuple[AccessRequest, dict[str, Any], list[dict[str, Any]]]:
    """(the request, its item for the record, the record's video files), after the one
    permission check (approval.decide on the request's case)."""
    request = get_request(store, actor, request_id, _checked=True, case=case)
    require_case(store, actor, "approval.decide", request.case_id, case)
    if request.kind != "copy":
        raise Conflict("只有复制申请的复制件需要遮盖：查阅申请不提供复制件")
    item = next((i for i in request.included if i["record_id"] == record_id), None)
    if item is None or item["kind"] != "av":
        raise NotFound(f"record: 记录 {record_id} 不是本复制申请拟提供的音像记录")
    with store.read() as conn:
        files = video_files(conn, record_id)
    if not files:
        raise InvalidInput(f"record: 《{item['title']}》没有视频文件，无需按画面遮盖")
    return request, item, files


def duration_of(f: Mapping[str, Any]) -> float:
    probe = (f.get("details") or {}).get("probe") or {}
    if probe.get("duration_ms"):
        return int(probe["duration_ms"]) / 1000
    return float(probe.get("duration") or 0.0)


def detect_faces(
    store: Store,
    actor: Actor,
    request_id: str,
    record_id: str,
    *,
    case: Mapping[str, Any] | None = None,
    progress: Progress = no_progress,
) -> int:
    """Find the faces in each video file of the record that no run has scanned yet (for
    any request: ``face_scans.scan_record``); returns the number of faces newly found."""
    request, _item, _files = load_footage(store, actor, request_id, record_id, case=case)
    if request.approval is not None and request.approval.closed:
        raise Conflict("该申请已审批办结，不再检测人脸")
    return scan_record(store, actor, record_id, case=case, progress=progress).new_faces


def proposals_of(found: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The proposed covers of a record's files, in file order."""
    return [p for _pos, row in sorted(found.items()) for p in row["proposals"]]


def _key(mark: Mapping[str, Any]) -> tuple[Any, ...]:
    return (mark.get("type"), mark.get("file"), mark.get("start"), mark.get("end"),
            tuple(mark.get("box") or ()))  # fmt: skip


def ledger_marks(stored: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The marks as the ledger carries them: a moving cover's track by its count and
    SHA-256 (the track is in the row, whose digest the ledger holds too)."""
    out = []
    for m in stored:
        entry = {k: v for k, v in m.items() if k != "track"}
        if m.get("track"):
            raw = json.dumps(m["track"], separators=(",", ":")).encode()
            entry["track"] = {"points": len(m["track"]), "sha256": hashlib.sha256(raw).hexdigest()}
        out.append(entry)
    return out


def confirm_footage(
    store: Store,
    actor: Actor,
    request_id: str,
    record_id: str,
    marks: Sequence[Mapping[str, Any]],
    *,
    case: Mapping[str, Any] | None = None,
    loaded: tuple[AccessRequest, dict[str, Any], list[dict[str, Any]]] | None = None,
) -> str:
    """Save the covers and mutes the approver confirmed for one AV record of a pending copy
    request as a new version (nothing saved when any mark is wrong; the same marks as the
    newest version save nothing). Returns the version's id.

    Long: one transaction locks the request, checks it is undecided, compares with the
    newest version, numbers the next, inserts it and records access.redaction_confirmed."""
    if loaded is not None and loaded[0].id == request_id:
        request, _item, files = loaded
        require_case(store, actor, "approval.decide", request.case_id, case)
    else:
        request, _item, files = load_footage(store, actor, request_id, record_id, case=case)
    if request.approval is not None and request.approval.closed:
        raise Conflict("该申请已审批办结，遮盖内容不能再修改")
    wanted = [from_dict(m) for m in marks]
    found = mark_problems({f["position"]: duration_of(f) for f in files}, wanted)
    if found:
        raise InvalidInput("遮盖内容有误", details=found)
    stored = [m.to_dict() for m in ordered(wanted)]
    with store.transaction(actor) as tx:
        tx.lock("access_requests", request.id)
        if request.approval is not None and approval_closed(tx.conn, request.approval.id):
            raise Conflict("该申请刚已审批办结，遮盖内容不能再修改")
        latest = latest_redactions(tx.conn, request.id).get(record_id)
        if latest is not None and latest["marks"] == stored:
            return str(latest["id"])  # confirmed already, as it is: no new version
        proposed = proposals_of(detections(tx.conn, request.id, [record_id]).get(record_id, {}))
        return _insert_version(tx, store, actor, request, record_id, latest, stored, proposed)


def _insert_version(
    tx: Tx,
    store: Store,
    actor: Actor,
    request: AccessRequest,
    record_id: str,
    latest: Mapping[str, Any] | None,
    stored: list[dict[str, Any]],
    proposed: list[dict[str, Any]],
) -> str:
    kept = {_key(m) for m in stored}
    change = {
        "proposed": len(proposed),
        "kept": sum(1 for p in proposed if _key(p) in kept),
        "removed": [_key(p)[1:4] for p in proposed if _key(p) not in kept],
        "added": sum(1 for m in stored if _key(m) not in {_key(p) for p in proposed}),
    }
    redaction_id = new_id()
    version = (latest["version"] + 1) if latest else 1
    tx.insert(
        "redactions",
        {
            "id": redaction_id,
            "case_id": request.case_id,
            "request_id": request.id,
            "record_id": record_id,
            "version": version,
            "supersedes_id": latest["id"] if latest else None,
            "marks": stored,
            "details": {"source": "footage", "confirmed_by": actor.label, **change},
            "created_by": actor.id or "system",
            "created_at": store.clock(),
        },
    )
    tx.record(
        "access.redaction_confirmed",
        subject_type="access_request",
        subject_id=request.id,
        case_id=request.case_id,
        payload={"record_id": record_id, "redaction_id": redaction_id, "version": version,
                 "supersedes": latest["id"] if latest else None, "source": "footage",
                 "marks": ledger_marks(stored), **change},
    )  # fmt: skip
    return redaction_id
