"""Derived copies: a clip or captioned copy is a record of its own naming its original."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from liuhen.errors import InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.media import continuity
from liuhen.services.av.queries.records import record_and_files
from liuhen.services.av.rows import Row, insert_files, insert_record, register_blob
from liuhen.services.permissions import require_record
from liuhen.store.blobs.local import LocalBlobStore
from liuhen.store.scratch import scratch_dir
from liuhen.store.store import Store
from liuhen.store.unit import new_id


def make_av_clip(
    store: Store,
    actor: Actor,
    record_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    caption: str = "",
    purpose: str = "clip",
    font_path: Path | None = None,
) -> str:
    """A clip (``start``..``end`` within one segment) or captioned copy, as a new record.

    The original is only read; the copy is its own blob, and the new record names the
    original record, file and time range. A photo can only be copied with a caption.

    Long: one sequence over one segment: the span is computed once and used for the cut, the
    file name and the ``derived_from`` the record keeps; the cut or captioned copy is ingested
    from a scratch directory, then one transaction registers the blob, inserts the derived
    record and its file and records av.clip_made.
    """
    from liuhen.media.clips import caption_photo, make_clip
    from liuhen.media.probe import probe

    require_record(store, actor, "av.upload", record_id)
    found = record_and_files(store, record_id, ("av",))
    if found is None:
        raise NotFound(f"record: 音像记录 {record_id} 不存在")
    rec, files = found[0], {f["blob_sha256"]: f for f in found[1]}
    seg = _segment_for(rec["details"]["segments"], start, end)
    kind = files[seg["sha256"]]["details"].get("media_kind")
    if kind == "photo" and not caption.strip():
        raise InvalidInput("caption: 照片只能制作加注文字的复制件，请填写加注文字")
    tz = store.settings.tz
    seg_start, seg_end = datetime.fromisoformat(seg["start"]), datetime.fromisoformat(seg["end"])
    lo, hi = max(start or seg_start, seg_start), min(end or seg_end, seg_end)
    label = "复制件" if caption else "剪辑"
    stem = Path(seg["file_name"]).stem[:120]
    with scratch_dir(store.settings, "clip") as tmp:
        src = _blob_file(store, seg["sha256"], Path(tmp))
        if kind == "photo":
            dst = caption_photo(src, Path(tmp) / "copy.jpg", caption, font_path=font_path)
            name = f"{stem}_{label}.jpg"
        else:
            dst = Path(tmp) / ("clip.mp4" if kind == "video" else "clip.m4a")
            offsets = (lo - seg_start).total_seconds(), (hi - seg_start).total_seconds()
            make_clip(
                src, dst, start=offsets[0], end=offsets[1], caption=caption, font_path=font_path
            )
            name = (
                f"{stem}_{label}_{lo.astimezone(tz):%H%M%S}-{hi.astimezone(tz):%H%M%S}{dst.suffix}"
            )
        facts = probe(dst, tz=tz)
        info = store.blobs.ingest_path(dst)
    span = {"start": lo.astimezone(tz).isoformat(), "end": hi.astimezone(tz).isoformat()}
    details = {
        "derived_from": {
            "record_id": record_id,
            "sha256": seg["sha256"],
            "file_name": seg["file_name"],
            **span,
            "offset_start_ms": (lo - seg_start) // timedelta(milliseconds=1),
            "offset_end_ms": (hi - seg_start) // timedelta(milliseconds=1),
        },
        "purpose": purpose,
        "caption": caption,
        "made_at": store.clock().astimezone(tz).isoformat(),
        "maker": actor.label,
        "segments": [{**span, "sha256": info.sha256, "file_name": name}],
    }
    new = new_id()
    with store.transaction(actor) as tx:
        register_blob(tx, store, info)
        kinds, title = ("av_derived", purpose), f"{rec['title']}（{label}）"
        insert_record(tx, store, new, rec["case_id"], rec["act_id"], kinds, title, details)
        file_details = {"media_kind": facts.kind, "probe": facts.as_dict()}
        insert_files(
            tx, store, new, "clip", [(name, facts.media_type, file_details)], [info.sha256]
        )
        tx.record(
            "av.clip_made",
            subject_type="record",
            subject_id=new,
            case_id=rec["case_id"],
            payload={
                "derived_from": details["derived_from"],
                "sha256": info.sha256,
                "caption": caption,
            },
        )
    return new


def _segment_for(segments: Sequence[Row], start: datetime | None, end: datetime | None) -> Row:
    """The one segment holding [start, end] (within the tolerance)."""
    if start is not None and end is not None and end <= start:
        raise InvalidInput("end: 终点应晚于起点")
    slack = continuity.TOLERANCE
    for seg in segments:
        s, e = datetime.fromisoformat(seg["start"]), datetime.fromisoformat(seg["end"])
        if start is None and end is None and len(segments) > 1:
            break
        if (start is None or s - slack <= start < e) and (end is None or s < end <= e + slack):
            return seg
    raise InvalidInput("start/end: 所选时段不在某一个片段之内：请在单个片段内截取，并给出起止时间")


def _blob_file(store: Store, sha256: str, tmp: Path) -> Path:
    """A readable path to a stored blob: the file itself when local, else a streamed copy."""
    if isinstance(store.blobs, LocalBlobStore):
        return store.blobs.path_for(sha256)
    target = tmp / "original"
    with store.blobs.open(sha256) as src, open(target, "wb") as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
    return target
