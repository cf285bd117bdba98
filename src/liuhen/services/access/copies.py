"""The copies a granted copy request produces: DERIVED records beside the originals.

Each copy is a record of kind ``copy`` naming its original (``derived_from``) and the
request; the original's files are only read. A document's PDF rendering (or a plain-text
file, first set as a PDF) gets a visible watermark on every page (requester, request number,
date: ``documents/watermark.py``); a photo and a video get the same words burnt in
(``media/clips.py``); a sound recording, which has no picture to mark, is copied as an MP4
whose picture is a still card with those words, for as long as the sound lasts. A format
that cannot carry a visible mark is not copied, and the copy says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from io import BytesIO
from pathlib import Path
from typing import Any

from liuhen.errors import Conflict, InvalidInput
from liuhen.ledger.events import Actor
from liuhen.services.access.footage_render import copy_files
from liuhen.services.access.model import COPY_KIND, PDF, AccessRequest, approver_rule
from liuhen.services.access.queries.files import copy_made, record_with_files
from liuhen.services.access.queries.requests import get_request
from liuhen.services.access.redacted_copy import confirmed_for, redacted_pdf
from liuhen.services.archiving.seals import Sealer
from liuhen.services.permissions import allowed, load_case, require
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.blobs.local import LocalBlobStore
from liuhen.store.scratch import scratch_dir
from liuhen.store.store import Store
from liuhen.store.unit import new_id

Report = Callable[[float, str], None]


def _no_report(share: float, step: str) -> None:
    """Copies made outside a job report nothing."""


def make_copies(
    store: Store, actor: Actor, request_id: str, *, report: Report = _no_report
) -> list[str]:
    """The watermarked copies of a granted copy request, one per record given: each is made
    once (a later call makes only those still missing). The originals are only read.
    ``report(share, step)``: which record is being copied (the job's progress)."""
    request, case = granted_copy_request(store, actor, request_id)
    done = {c["derived_from"]: c["id"] for c in request.copies}
    day = store.clock().astimezone(store.settings.tz).date().isoformat()
    from liuhen.documents.watermark import watermark_text

    mark = watermark_text(request.requester["name"], request.number, day)
    sealer = Sealer(store, str(case["agency_id"]), str(case["agency_name"]))
    redactions = confirmed_for(store, request)
    citation = approver_rule(case["profile_id"], "copy").confidential_citation
    made = []
    for n, item in enumerate(request.included):
        record_id = item["record_id"]
        report(n / len(request.included), f"《{item['title']}》（{n + 1}/{len(request.included)}）")
        marks = redactions.get(record_id)
        redaction = (case, marks, citation) if marks and marks["marks"] else None
        made.append(
            done.get(record_id)
            or _copy_record(store, actor, request, record_id, mark, sealer, redaction)
        )
    return made


def granted_copy_request(
    store: Store, actor: Actor, request_id: str
) -> tuple[AccessRequest, dict[str, Any]]:
    """The request and its case, once ``actor`` may have its copies made (its handler or an
    approver of the case) and it is a granted copy request."""
    if not (allowed(actor, "access.request") or allowed(actor, "approval.decide")):
        require(actor, "access.request")
    request = get_request(store, actor, request_id, _checked=True)
    case = load_case(store, request.case_id)
    if not (allowed(actor, "access.request", case) or allowed(actor, "approval.decide", case)):
        require(actor, "access.request", case)
    if request.kind != "copy" or request.approval is None or request.approval.outcome != "approved":
        raise Conflict("只有已批准的复制申请才能制作复制件")
    return request, dict(case)


def _copy_record(
    store: Store,
    actor: Actor,
    request: AccessRequest,
    record_id: str,
    mark: str,
    sealer: Sealer,
    redaction: tuple[Mapping[str, Any], Mapping[str, Any], str] | None = None,
) -> str:
    """A watermarked copy of one record for an approved request, as a new record; returns
    its id. A file whose format cannot be watermarked is skipped and named in the copy.

    Long: the watermarked files are made and their blobs ingested first, outside the
    transaction (a slow watermark holds no write lock), and the copy is refused if none could
    be made; then one transaction inserts the blobs not yet held, the copy record, its files
    and access.copy_made, whose payload lists the same files in the same order."""
    original, files = record_with_files(store, record_id)
    if original["kind"] == "text" and any(f["media_type"] == PDF for f in files):
        files = [f for f in files if f["media_type"] == PDF]  # the rendering, not the .docx
    made: list[tuple[BlobInfo, str, str, dict[str, Any]]] = []
    skipped: list[str] = []
    with scratch_dir(store.settings, "copy") as tmp:
        if redaction is not None and original["kind"] == "av":  # the redacted video
            made += copy_files(store, request, original["title"], redaction[1])
            files = []
        elif redaction is not None:  # drawn again without the marked words: one PDF
            made.append(_redacted_file(store, original, files, mark, Path(tmp), sealer, redaction))
            files = []
        for f in files:
            out = _copy_file(store, original, f, mark, Path(tmp), sealer)
            if out is None:
                skipped.append(f"{f['file_name']}：该格式无法加注水印，未复制")
                continue
            path, name, media_type = out
            info = store.blobs.ingest_path(path)
            source = {"position": f["position"], "sha256": f["blob_sha256"]}
            made.append((info, name, media_type, {"derived_from": source}))
    if not made:
        raise InvalidInput(f"record: 记录“{original['title']}”没有可加注水印的文件，无法制作复制件")
    copy_id = new_id()
    now = store.clock()
    with store.transaction(actor) as tx:
        tx.lock("access_requests", request.id)  # copies made at once: each record once
        sealer.record_issue(tx)
        already = copy_made(tx.conn, original["case_id"], request.id, record_id)
        if already is not None:
            return already
        for info, *_rest in made:
            tx.insert_new(
                "blobs",
                {"sha256": info.sha256, "sm3": info.sm3, "size": info.size, "stored_at": now},
            )
        tx.insert(
            "records",
            {
                "id": copy_id,
                "case_id": original["case_id"],
                "act_id": original["act_id"],
                "supersedes_id": None,
                "version": 1,
                "kind": COPY_KIND,
                "doc_kind": "access_copy",
                "title": f"{original['title']}（复制件）",
                "details": {
                    "derived_from": {"record_id": record_id, "kind": original["kind"]},
                    "access_request_id": request.id,
                    "request_number": request.number,
                    "requester": request.requester["name"],
                    "watermark": mark,
                    "seal": sealer.fingerprint,
                    "skipped": skipped,
                    **({"redaction": _lineage(redaction[1])} if redaction else {}),
                    "made_at": now.astimezone(store.settings.tz).isoformat(),
                },
                "correction_reason": "",
                "created_by": actor.id or "system",
                "created_at": now,
            },
        )
        for position, (info, name, media_type, details) in enumerate(made, start=1):
            tx.insert(
                "record_files",
                {
                    "id": new_id(),
                    "record_id": copy_id,
                    "position": position,
                    "role": "copy",
                    "blob_sha256": info.sha256,
                    "file_name": name,
                    "media_type": media_type,
                    "details": details,
                    "created_at": now,
                },
            )
        tx.record(
            "access.copy_made",
            subject_type="record",
            subject_id=copy_id,
            case_id=original["case_id"],
            payload={
                "access_request_id": request.id,
                "derived_from": record_id,
                "files": [info.sha256 for info, *_ in made],
                "watermark": mark,
                "seal": sealer.fingerprint,
                "skipped": skipped,
                **({"redaction": _lineage(redaction[1], marks=True)} if redaction else {}),
            },
        )
    return copy_id


def _lineage(redaction: Mapping[str, Any], *, marks: bool = False) -> dict[str, Any]:
    """Which confirmed marks a copy was drawn with (on the ledger: spans, grounds, digests)."""
    out: dict[str, Any] = {
        "id": redaction["id"],
        "version": redaction["version"],
        "count": len(redaction["marks"]),
    }
    if marks:
        keys = ("segment", "start", "end", "kind", "ground", "digest")
        out["marks"] = [{k: m[k] for k in keys if k in m} for m in redaction["marks"]]
    return out


def _redacted_file(
    store: Store,
    original: Any,
    files: list[Any],
    mark: str,
    tmp: Path,
    sealer: Sealer,
    redaction: tuple[Mapping[str, Any], Mapping[str, Any], str],
) -> tuple[BlobInfo, str, str, dict[str, Any]]:
    """The record drawn again without its marked words, a reasons page, watermark, seal."""
    from liuhen.documents.watermark import watermark_pdf

    case, marks, citation = redaction
    body, source = redacted_pdf(store, case, original, files, marks, citation)
    target = tmp / f"redacted-{new_id()}.pdf"
    title = f"{original['title']}（复制件）"
    sealed = sealer.seal_archival(watermark_pdf(body, mark), mark, title=title, subject=mark)
    target.write_bytes(sealed)
    info = store.blobs.ingest_path(target)
    stem = Path(source["file_name"]).stem[:100]
    lineage = {
        "derived_from": {"position": source["position"], "sha256": source["blob_sha256"]},
        "redaction": _lineage(marks),
    }
    return info, f"{stem}_复制件（遮盖）.pdf", PDF, lineage


def _copy_file(
    store: Store, original: Any, f: Any, mark: str, tmp: Path, sealer: Sealer
) -> tuple[Path, str, str] | None:
    """One watermarked file (path, name, media type), or None for a format that cannot
    carry a visible mark. A PDF copy is made PDF/A-2b and sealed with the agency's electronic
    seal after the watermark, so a reader shows who issued it and that it has not changed
    since."""
    from liuhen.documents.watermark import text_to_pdf, watermark_pdf
    from liuhen.media.clips import caption_photo, make_clip

    media_type = f["media_type"]
    stem = Path(f["file_name"]).stem[:100]
    target = tmp / f"{f['position']}-{new_id()}"
    if media_type == PDF or media_type.startswith("text/plain"):
        raw = _read_blob(store, f["blob_sha256"])
        if media_type != PDF:
            raw = text_to_pdf(original["title"], raw.decode("utf-8", errors="replace"))
        target = target.with_suffix(".pdf")
        title = f"{original['title']}（复制件）"
        copy = sealer.seal_archival(watermark_pdf(raw, mark), mark, title=title, subject=mark)
        target.write_bytes(copy)
        return target, f"{stem}_复制件.pdf", PDF
    kind = f["details"].get("media_kind") or media_type.split("/")[0]
    if kind in ("photo", "image"):
        source = _blob_path(store, f["blob_sha256"], tmp)
        caption_photo(source, target.with_suffix(".jpg"), mark)
        return target.with_suffix(".jpg"), f"{stem}_复制件.jpg", "image/jpeg"
    if kind in ("video", "audio"):  # audio: the mark on a still card (media/clips.py)
        source = _blob_path(store, f["blob_sha256"], tmp)
        duration = _duration(f, source)
        make_clip(source, target.with_suffix(".mp4"), start=0.0, end=duration, caption=mark)
        return target.with_suffix(".mp4"), f"{stem}_复制件.mp4", "video/mp4"
    return None


def _duration(f: Any, source: Path) -> float:
    probe = f["details"].get("probe") or {}
    seconds = probe.get("duration") or probe.get("duration_s")
    if seconds:
        return float(seconds) + 1.0  # the clip stops at the last frame in any case
    import av

    with av.open(str(source)) as container:
        return float((container.duration or 0) / 1_000_000) + 1.0


def _read_blob(store: Store, sha256: str) -> bytes:
    out = BytesIO()
    with store.blobs.open(sha256) as src:
        while chunk := src.read(1 << 20):
            out.write(chunk)
    return out.getvalue()


def _blob_path(store: Store, sha256: str, tmp: Path) -> Path:
    if isinstance(store.blobs, LocalBlobStore):
        return store.blobs.path_for(sha256)
    target = tmp / f"original-{sha256[:16]}"
    target.write_bytes(_read_blob(store, sha256))
    return target
