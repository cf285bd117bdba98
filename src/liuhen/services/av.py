"""Audio-video records: ingest originals, link them to a case, derive copies. Originals never change.

An AV record (``records.kind = "av"``) keeps the case-bundle ``av_record`` form in its
details and one ``record_files`` row per segment (role ``segment``) with the probe facts
and the source of every time. Footage no case holds yet has ``case_id`` NULL. Linking it,
and every later note (interruptions, opening statement …), is a NEW version with the same
segments that supersedes the old one. Deleting or replacing an original is refused on
every route, and the attempt is a ledger event. A clip or captioned copy is a record of
its own (``kind = "av_derived"``) naming its original and time range, so the compliance
engine never takes a copy for a recording of the act.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.engine import RowMapping

from liuhen.errors import Conflict, ForbiddenChange, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.media import continuity, importing
from liuhen.media.importing import FileReport, ImportOptions, ImportReport
from liuhen.media.scan import Candidate
from liuhen.services.bundles import check_entity
from liuhen.services.permissions import require, require_case, require_record
from liuhen.store import tables as t
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.blobs.local import LocalBlobStore
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

UNKNOWN_DEVICE, UNKNOWN_OFFICER = "unknown-device", "unknown-officer"
REVISABLE = frozenset(
    {"precheck", "opening_statement", "interruptions", "evidence", "retention", "custodian"}
    | {"confidential", "service_id"}
)
ORIGINAL = frozenset({"segments", "stored_at"})
NEVER = "原始音像记录不得剪辑、删除或替换（000§19、003§20、001§15、002§36、004§39）"
Progress = Callable[[int, int], None]
Row = RowMapping


# -- ingest -------------------------------------------------------------------------------
def import_av(
    store: Store,
    actor: Actor,
    paths: Sequence[Path],
    options: ImportOptions | None = None,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Examine, store and record ``paths``: one AV record per recording (device, continuity).

    Idempotent: content already held as a segment is ``duplicate`` and nothing is written
    for it. A refused file writes nothing; each record commits together with its blobs.
    """
    require(actor, "av.upload")
    options = options or ImportOptions()
    recordings, refused = importing.plan_import(
        paths, options, now=store.clock(), tz=store.settings.tz
    )
    report = ImportReport([FileReport.of(c, "rejected", c.reason) for c in refused])
    meter = _Meter(sum(c.size for group in recordings for c in group), progress)
    seen: dict[str, str] = {}
    for group in recordings:
        kept: list[tuple[Candidate, BlobInfo]] = []
        for cand in group:
            status, reason, info = _take(store, actor, cand, seen, meter)
            if info is None:
                report.files.append(FileReport.of(cand, status, reason))
            else:
                seen[info.sha256] = cand.name
                kept.append((cand, info))
        if kept:
            summary = _store_recording(store, actor, kept, options)
            report.records.append(summary)
            report.files += [
                FileReport.of(c, "new", "", i.sha256, summary["record_id"]) for c, i in kept
            ]
    report.files.sort(key=lambda f: f.path)
    _record_run(store, actor, report)
    return report


class _Meter:
    """Bytes read across the whole import, for one progress bar."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.done, self.progress = total, 0, progress

    def __call__(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(self.done, self.total)


def _take(
    store: Store, actor: Actor, cand: Candidate, seen: dict[str, str], meter: _Meter
) -> tuple[str, str, BlobInfo | None]:
    """Store one file's bytes, or say why not: (status, reason, the blob when it is new)."""
    named = _segments_named(store, cand.name)
    if named:
        sha = _sha256(cand.path, meter)
        same = next((n for n in named if n["sha256"] == sha), None)
        if same is not None:
            return "duplicate", f"已存储（音像记录 {same['record_id']}），未重复存储", None
        clash = next((n for n in named if n["start"] == cand.start), None)
        if clash is not None:
            _refuse(store, actor, "av.replace_refused", clash["record_id"], cand.name, sha)
            return (
                "rejected",
                f"与已存储的原件（音像记录 {clash['record_id']}）同名、同开始时间，但内容不同："
                "原件不可替换，本文件未存储；此次尝试已记入全过程日志",
                None,
            )
    info = store.blobs.ingest_path(cand.path, progress=meter)
    if info.size != cand.size:
        return "rejected", "文件在导入过程中发生变化（可能仍在写入）：请待拷贝完成后重新导入", None
    listed = cand.manifest
    if listed is not None and listed.sha256 and listed.sha256 != info.sha256:
        return (
            "rejected",
            f"内容与采集站清单（{listed.where}）记载的 SHA-256 不符：文件可能已损坏或被改动，未存储",
            None,
        )
    with store.read() as conn:
        owner = conn.execute(
            select(t.record_files.c.record_id)
            .where(t.record_files.c.blob_sha256 == info.sha256, t.record_files.c.role == "segment")
            .limit(1)
        ).scalar()
    if owner is not None:
        return "duplicate", f"已存储（音像记录 {owner}），未重复存储", None
    if info.sha256 in seen:
        return "duplicate", f"与本次导入的 {seen[info.sha256]} 内容相同，未重复存储", None
    return "new", "", info


def _sha256(path: Path, meter: _Meter) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            meter(len(chunk))
    return digest.hexdigest()


def _segments_named(store: Store, name: str) -> list[dict[str, Any]]:
    """Stored segments with this file name: record, hash and start time."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.record_files.c.record_id, t.record_files.c.blob_sha256, t.records.c.details)
            .join(t.records, t.records.c.id == t.record_files.c.record_id)
            .where(t.record_files.c.file_name == name, t.record_files.c.role == "segment")
        ).all()
    return [
        {"record_id": rid, "sha256": sha, "start": datetime.fromisoformat(seg["start"])}
        for rid, sha, details in rows
        for seg in details.get("segments", [])
        if seg.get("sha256") == sha
    ]


def _store_recording(
    store: Store, actor: Actor, kept: list[tuple[Candidate, BlobInfo]], options: ImportOptions
) -> dict[str, Any]:
    """One transaction: the new blob rows, the record, its segment files, the events."""
    tz, first = store.settings.tz, kept[0][0]
    record_id = new_id()
    cands = [c for c, _ in kept]
    with store.transaction(actor) as tx:
        device_id, officer_id = _parties(tx, first.device, first.officer)
        details = importing.av_details(
            [(c, i.sha256) for c, i in kept],
            device_id=device_id,
            officer_id=officer_id,
            stored_at=store.clock(),
            custodian=options.custodian or actor.label,
            tz=tz,
        )
        check_entity("av_record", {"id": record_id, **details}, "$.av_records[]")
        for _, info in kept:
            _register_blob(tx, store, info)
        name = importing.title(cands, tz)
        _insert_record(tx, store, record_id, None, None, ("av", "av"), name, details)
        _insert_files(
            tx,
            store,
            record_id,
            "segment",
            [(c.name, c.media_type, c.details()) for c in cands],
            [i.sha256 for _, i in kept],
        )
        rec = continuity.recording(importing.as_segments(cands), tolerance=options.tolerance)
        tx.record(
            "av.ingested",
            subject_type="record",
            subject_id=record_id,
            payload={
                "files": [i.sha256 for _, i in kept],
                "device": first.device,
                "officer": first.officer,
                "time_sources": sorted({c.time.source for c in cands if c.time and c.time.source}),
                "gaps": len(rec.gaps),
            },
        )
    return {"record_id": record_id, "title": name, **rec.as_dict()}


def _parties(tx: Tx, device: str | None, officer: str | None) -> tuple[str, str]:
    """Registered device and officer ids where the serial and number are known, else the
    raw values (linking to a case later requires registered ones)."""
    dev = (
        tx.conn.execute(select(t.devices).where(t.devices.c.serial_no == device)).mappings().first()
        if device
        else None
    )
    off = (
        tx.conn.execute(select(t.officers.c.id).where(t.officers.c.certificate_no == officer))
        if officer
        else None
    )
    officer_id = off.scalar() if off is not None else None
    if officer_id is None and officer is None and dev is not None:
        officer_id = dev["assigned_officer_id"]
    device_id = dev["id"] if dev else device or UNKNOWN_DEVICE
    return device_id, officer_id or officer or UNKNOWN_OFFICER


def _register_blob(tx: Tx, store: Store, info: BlobInfo) -> None:
    """The blob row, as ``services.files.store_file`` writes it, in the record's transaction."""
    if tx.get("blobs", info.sha256) is not None:
        return
    tx.insert(
        "blobs",
        {"sha256": info.sha256, "sm3": info.sm3, "size": info.size, "stored_at": store.clock()},
    )
    tx.record(
        "blob.stored",
        subject_type="blob",
        subject_id=info.sha256,
        payload={"sm3": info.sm3, "size": info.size},
    )


def _insert_record(
    tx: Tx,
    store: Store,
    record_id: str,
    case_id: str | None,
    act_id: str | None,
    kinds: tuple[str, str],
    title: str,
    details: Mapping[str, Any],
    *,
    supersedes: Row | None = None,
    reason: str = "",
) -> None:
    tx.insert(
        "records",
        {
            "id": record_id,
            "case_id": case_id,
            "act_id": act_id,
            "supersedes_id": supersedes["id"] if supersedes else None,
            "version": supersedes["version"] + 1 if supersedes else 1,
            "kind": kinds[0],
            "doc_kind": kinds[1],
            "title": title[:300],
            "details": dict(details),
            "correction_reason": reason,
            "created_by": tx.actor.id or "system",
            "created_at": store.clock(),
        },
    )


def _insert_files(
    tx: Tx,
    store: Store,
    record_id: str,
    role: str,
    files: Sequence[tuple[str, str, Mapping[str, Any]]],
    hashes: Sequence[str],
) -> None:
    for position, ((name, media_type, details), sha) in enumerate(
        zip(files, hashes, strict=True), 1
    ):
        tx.insert(
            "record_files",
            {
                "id": new_id(),
                "record_id": record_id,
                "position": position,
                "role": role,
                "blob_sha256": sha,
                "file_name": name,
                "media_type": media_type,
                "details": dict(details),
                "created_at": store.clock(),
            },
        )


def _record_run(store: Store, actor: Actor, report: ImportReport) -> None:
    """The run itself on the ledger, refusals included: what arrived and was turned away."""
    rejected = [
        {"file_name": f.file_name, "reason": f.reason}
        for f in report.files
        if f.status == "rejected"
    ]
    with store.transaction(actor) as tx:
        tx.record(
            "av.import_finished",
            subject_type="import",
            subject_id=new_id(),
            payload={
                "new": report.count("new"),
                "duplicate": report.count("duplicate"),
                "rejected": rejected[:200],
                "records": [r["record_id"] for r in report.records],
            },
        )


# -- versions: linking and notes ----------------------------------------------------------
def link_av(
    store: Store,
    actor: Actor,
    record_id: str,
    *,
    case_id: str,
    act_id: str | None = None,
    device_id: str | None = None,
    officer_id: str | None = None,
    reason: str = "关联案件",
) -> str:
    """Link footage to a case (and act) as a new version; device and officer (ids, serial or
    certificate numbers) must be registered, so the case bundle stays whole."""
    require_case(store, actor, "av.upload", case_id)
    with store.transaction(actor) as tx:
        old = _latest_av(tx, record_id)
        if tx.get("cases", case_id) is None:
            raise NotFound(f"case: 案件 {case_id} 不存在")
        act = tx.get("acts", act_id) if act_id else None
        if act_id and (act is None or act["case_id"] != case_id):
            raise NotFound(f"act: 案件 {case_id} 中没有执法环节 {act_id}")
        if old["case_id"] == case_id and old["act_id"] == act_id:
            raise Conflict(f"音像记录 {record_id} 已关联该案件与环节，无需重复关联")
        details = {k: v for k, v in old["details"].items() if k != "act_id"}
        details["device_id"] = _registered(
            tx, t.devices, t.devices.c.serial_no, device_id or details["device_id"], "设备"
        )
        details["officer_id"] = _registered(
            tx,
            t.officers,
            t.officers.c.certificate_no,
            officer_id or details["officer_id"],
            "执法人员",
        )
        if act_id:
            details["act_id"] = act_id
        new = _new_version(tx, store, old, details, case_id, act_id, reason)
        tx.record(
            "av.linked",
            subject_type="record",
            subject_id=new,
            case_id=case_id,
            payload={"supersedes": old["id"], "act_id": act_id, "reason": reason},
        )
    return new


def revise_av(
    store: Store, actor: Actor, record_id: str, *, changes: Mapping[str, Any], reason: str
) -> str:
    """Add what people know about the footage (interruptions, opening statement, evidence …)
    as a new version. Segments and storage time belong to the original: changing them is
    refused, and the attempt is a ledger event."""
    require_record(store, actor, "av.upload", record_id)
    if not reason.strip():
        raise InvalidInput("reason: 补充或更正须说明理由")
    touched = sorted(ORIGINAL & set(changes))
    if touched:
        _refuse(store, actor, "av.replace_refused", record_id, ",".join(touched))
        raise ForbiddenChange(f"{NEVER}：不能修改 {', '.join(touched)}；此次尝试已记入全过程日志")
    unknown = sorted(set(changes) - REVISABLE)
    if unknown:
        raise InvalidInput(
            f"changes: 不能修改 {', '.join(unknown)}（可补充：{', '.join(sorted(REVISABLE))}）"
        )
    with store.transaction(actor) as tx:
        old = _latest_av(tx, record_id)
        details = {**old["details"], **changes}
        new = _new_version(tx, store, old, details, old["case_id"], old["act_id"], reason.strip())
        tx.record(
            "av.revised",
            subject_type="record",
            subject_id=new,
            case_id=old["case_id"],
            payload={"supersedes": old["id"], "fields": sorted(changes), "reason": reason.strip()},
        )
    return new


def _latest_av(tx: Tx, record_id: str) -> Row:
    old = tx.get("records", record_id)
    if old is None or old["kind"] != "av":
        raise NotFound(f"record: 音像记录 {record_id} 不存在")
    newer = tx.conn.execute(
        select(t.records.c.id).where(t.records.c.supersedes_id == record_id)
    ).scalar()
    if newer is not None:
        raise Conflict(f"音像记录 {record_id} 已有更新的版本 {newer}，请在最新版本上操作")
    return old


def _registered(tx: Tx, table: Table, number: Any, ref: str, label: str) -> str:
    found = tx.conn.execute(select(table.c.id).where((table.c.id == ref) | (number == ref)))
    value = found.scalar()
    if value is None:
        raise InvalidInput(f"{label} {ref} 尚未登记：请先登记，或在关联时指定已登记的{label}")
    return str(value)


def _new_version(
    tx: Tx,
    store: Store,
    old: Row,
    details: Mapping[str, Any],
    case_id: str | None,
    act_id: str | None,
    reason: str,
) -> str:
    """The next version of an AV record, with the same segments and segment files."""
    new = new_id()
    if details["segments"] != old["details"]["segments"]:
        raise ForbiddenChange(NEVER)
    check_entity("av_record", {"id": new, **details}, "$.av_records[]")
    kinds = ("av", old["doc_kind"])
    _insert_record(
        tx, store, new, case_id, act_id, kinds, old["title"], details, supersedes=old, reason=reason
    )
    files = _files(tx.conn, old["id"])
    _insert_files(
        tx,
        store,
        new,
        "segment",
        [(f["file_name"], f["media_type"], f["details"]) for f in files],
        [f["blob_sha256"] for f in files],
    )
    return new


def _files(conn: Connection, record_id: str) -> list[Row]:
    rows = conn.execute(
        select(t.record_files)
        .where(t.record_files.c.record_id == record_id)
        .order_by(t.record_files.c.position)
    )
    return list(rows.mappings())


# -- refusals -----------------------------------------------------------------------------
def delete_av(store: Store, actor: Actor, record_id: str, *, reason: str = "") -> None:
    """Always refused, for every role: the attempt goes on the ledger, then ``ForbiddenChange``."""
    _refuse(store, actor, "av.delete_refused", record_id, reason)
    raise ForbiddenChange(f"{NEVER}：删除被拒绝；此次尝试已记入全过程日志")


def replace_av_file(
    store: Store, actor: Actor, record_id: str, *, position: int, reason: str = ""
) -> None:
    """Always refused, like ``delete_av``: an original file is never swapped for another."""
    _refuse(store, actor, "av.replace_refused", record_id, f"第 {position} 段：{reason}")
    raise ForbiddenChange(f"{NEVER}：替换被拒绝；此次尝试已记入全过程日志")


def _refuse(
    store: Store, actor: Actor, action: str, record_id: str, note: str, sha256: str | None = None
) -> None:
    """Commit the refusal event on its own, so raising afterwards cannot roll it back."""
    with store.transaction(actor) as tx:
        row = tx.get("records", record_id)
        tx.record(
            action,
            subject_type="record",
            subject_id=record_id[:80],
            case_id=row["case_id"] if row else None,
            payload={"exists": row is not None, "note": note[:500], "offered_sha256": sha256},
        )


# -- derived copies -----------------------------------------------------------------------
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
    """
    from liuhen.media.clips import caption_photo, make_clip
    from liuhen.media.probe import probe

    require_record(store, actor, "av.upload", record_id)
    with store.read() as conn:
        rec = conn.execute(select(t.records).where(t.records.c.id == record_id)).mappings().first()
        if rec is None or rec["kind"] != "av":
            raise NotFound(f"record: 音像记录 {record_id} 不存在")
        files = {f["blob_sha256"]: f for f in _files(conn, record_id)}
    seg = _segment_for(rec["details"]["segments"], start, end)
    kind = files[seg["sha256"]]["details"].get("media_kind")
    if kind == "photo" and not caption.strip():
        raise InvalidInput("caption: 照片只能制作加注文字的复制件，请填写加注文字")
    tz = store.settings.tz
    seg_start, seg_end = datetime.fromisoformat(seg["start"]), datetime.fromisoformat(seg["end"])
    lo, hi = max(start or seg_start, seg_start), min(end or seg_end, seg_end)
    label = "复制件" if caption else "剪辑"
    stem = Path(seg["file_name"]).stem[:120]
    scratch = store.settings.data_dir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix="clip-") as tmp:
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
        _register_blob(tx, store, info)
        kinds, title = ("av_derived", purpose), f"{rec['title']}（{label}）"
        _insert_record(tx, store, new, rec["case_id"], rec["act_id"], kinds, title, details)
        file_details = {"media_kind": facts.kind, "probe": facts.as_dict()}
        _insert_files(
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


# -- views for the UI and the checks ------------------------------------------------------
def _current(conn: Connection, where: Any) -> list[Row]:
    """Latest versions only (no later row supersedes them)."""
    superseded = select(t.records.c.supersedes_id).where(t.records.c.supersedes_id.is_not(None))
    query = select(t.records).where(where, t.records.c.id.not_in(superseded))
    return list(conn.execute(query.order_by(t.records.c.created_at)).mappings())


def unlinked_av(store: Store) -> list[dict[str, Any]]:
    """Footage, latest versions, that no case holds yet: kept, never deleted."""
    with store.read() as conn:
        rows = _current(conn, (t.records.c.kind == "av") & t.records.c.case_id.is_(None))
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
        files = _files(conn, record_id)
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
        rows = _current(conn, (t.records.c.kind == "av") & (t.records.c.act_id == act_id))
    segments = [s for r in rows for s in continuity.segments_from(r["details"])]
    return continuity.coverage(segments, act["started_at"], act["ended_at"], tolerance=tolerance)
