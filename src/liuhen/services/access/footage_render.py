"""The redacted video of a record's confirmed footage marks (录像遮盖, ``footage.py``): made
streaming with the copy's caption burnt in, as a derived record (kind ``redacted``) naming
its original and the version of the marks, once per version (``redacted_footage``, unique
by version: two approvers or two processes at once make one). The party's copy of the
record is that video (``copy_files``, called by ``copies.py``); the original is only read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from liuhen.domain.footage_redaction import covers_at, from_dict, mutes_of
from liuhen.errors import Conflict
from liuhen.ledger.events import Actor
from liuhen.services.access.face_scans import Progress, no_progress, part_progress, source_path
from liuhen.services.access.footage import REDACTED_KIND, duration_of, load_footage
from liuhen.services.access.model import AccessRequest
from liuhen.services.access.queries.footage import derived_files, redacted_of
from liuhen.services.access.queries.redactions import latest_redactions
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.scratch import scratch_dir
from liuhen.store.store import Store
from liuhen.store.unit import new_id


def render_footage(
    store: Store,
    actor: Actor,
    request_id: str,
    record_id: str,
    *,
    case: Mapping[str, Any] | None = None,
    progress: Progress = no_progress,
) -> str:
    """The redacted video of the newest confirmed marks of the record (made once per
    version: a second call, here or in another process, returns the first's record)."""
    from liuhen.documents.watermark import watermark_text
    from liuhen.media.footage import redact_video

    request, _item, files = load_footage(store, actor, request_id, record_id, case=case)
    with store.read() as conn:
        latest = latest_redactions(conn, request.id).get(record_id)
        made = redacted_of(conn, request.id)
    if latest is None:
        raise Conflict("尚未确认遮盖内容，不能制作遮盖后的视频")
    if latest["id"] in made:
        return str(made[latest["id"]]["derived_id"])
    marks = [from_dict(m) for m in latest["marks"]]
    day = store.clock().astimezone(store.settings.tz).date().isoformat()
    caption = watermark_text(request.requester["name"], request.number, day)
    total = sum(duration_of(f) for f in files) or float(len(files))
    outputs: list[tuple[Mapping[str, Any], BlobInfo, dict[str, Any]]] = []
    with scratch_dir(store.settings, "footage") as tmp:
        done = 0.0
        for f in files:
            pos, share = f["position"], (duration_of(f) or 1.0) / total
            made_file = redact_video(
                source_path(store, f["blob_sha256"], Path(tmp)),
                Path(tmp) / f"redacted-{pos}.mp4",
                covers_at=partial(covers_at, marks, pos),
                mutes=mutes_of(marks, pos),
                caption=caption,
                progress=part_progress(progress, done, share),
            )
            done += share
            facts = {"frames": made_file.frames, "covered_frames": made_file.covered_frames,
                     "muted_ms": round(made_file.muted_seconds * 1000)}  # fmt: skip
            outputs.append((f, store.blobs.ingest_path(made_file.path), facts))
    derived = _save_render(store, actor, request, record_id, latest, caption, outputs)
    progress(1.0)
    return derived


def _save_render(
    store: Store,
    actor: Actor,
    request: AccessRequest,
    record_id: str,
    latest: Mapping[str, Any],
    caption: str,
    outputs: Sequence[tuple[Mapping[str, Any], BlobInfo, dict[str, Any]]],
) -> str:
    """Long: one transaction locks the request, returns the video another process made of
    the version meanwhile, else inserts the blobs, the derived record, its files, the
    redacted_footage row and access.footage_redacted, whose payload lists the same files."""
    now = store.clock()
    derived_id = new_id()
    lineage = {"id": latest["id"], "version": latest["version"], "count": len(latest["marks"])}
    with store.transaction(actor) as tx:
        tx.lock("access_requests", request.id)
        already = redacted_of(tx.conn, request.id).get(latest["id"])
        if already is not None:
            return str(already["derived_id"])
        original = tx.get("records", record_id)
        assert original is not None
        for _f, info, _facts in outputs:
            tx.insert_new(
                "blobs",
                {"sha256": info.sha256, "sm3": info.sm3, "size": info.size, "stored_at": now},
            )
        tx.insert(
            "records",
            {
                "id": derived_id,
                "case_id": request.case_id,
                "act_id": original["act_id"],
                "supersedes_id": None,
                "version": 1,
                "kind": REDACTED_KIND,
                "doc_kind": "redacted_footage",
                "title": f"{original['title']}（遮盖）",
                "details": {
                    "derived_from": {"record_id": record_id, "kind": original["kind"]},
                    "access_request_id": request.id,
                    "request_number": request.number,
                    "requester": request.requester["name"],
                    "watermark": caption,
                    "redaction": lineage,
                    "made_at": now.astimezone(store.settings.tz).isoformat(),
                },
                "correction_reason": "",
                "created_by": actor.id or "system",
                "created_at": now,
            },
        )
        for n, (f, info, facts) in enumerate(outputs, start=1):
            stem = Path(f["file_name"]).stem[:100]
            tx.insert(
                "record_files",
                {
                    "id": new_id(),
                    "record_id": derived_id,
                    "position": n,
                    "role": "redacted",
                    "blob_sha256": info.sha256,
                    "file_name": f"{stem}_遮盖.mp4",
                    "media_type": "video/mp4",
                    "details": {
                        "media_kind": "video",
                        "derived_from": {"position": f["position"], "sha256": f["blob_sha256"]},
                        **facts,
                    },
                    "created_at": now,
                },
            )
        tx.insert(
            "redacted_footage",
            {
                "id": new_id(),
                "case_id": request.case_id,
                "request_id": request.id,
                "record_id": record_id,
                "redaction_id": latest["id"],
                "derived_id": derived_id,
                "details": {"files": [info.sha256 for _f, info, _x in outputs]},
                "created_by": actor.id or "system",
                "created_at": now,
            },
        )
        tx.record(
            "access.footage_redacted",
            subject_type="record",
            subject_id=derived_id,
            case_id=request.case_id,
            payload={"access_request_id": request.id, "derived_from": record_id,
                     "redaction": lineage, "watermark": caption,
                     "files": [{"sha256": info.sha256, "from": f["blob_sha256"], **facts}
                               for f, info, facts in outputs]},
        )  # fmt: skip
    return derived_id


def copy_files(
    store: Store, request: AccessRequest, title: str, redaction: Mapping[str, Any]
) -> list[tuple[BlobInfo, str, str, dict[str, Any]]]:
    """The files of a party's copy of an AV record with confirmed marks: the redacted video
    of that version (its caption is the copy's), as ``copies.py`` inserts them."""
    with store.read() as conn:
        made = redacted_of(conn, request.id).get(redaction["id"])
        files = derived_files(conn, made["derived_id"]) if made else []
    if made is None:
        raise Conflict(
            f"record: 《{title}》遮盖后的视频（第 {redaction['version']} 版）尚未制作完成，"
            "请在“审查遮盖”页面制作后再制作复制件"
        )
    lineage = {"id": redaction["id"], "version": redaction["version"],
               "count": len(redaction["marks"]), "derived_id": made["derived_id"]}  # fmt: skip
    return [
        (
            BlobInfo(f["blob_sha256"], f["sm3"], f["size"], False),
            f["file_name"].replace("_遮盖.mp4", "_复制件（遮盖）.mp4"),
            f["media_type"],
            {"derived_from": f["details"]["derived_from"], "redaction": lineage},
        )
        for f in files
    ]
