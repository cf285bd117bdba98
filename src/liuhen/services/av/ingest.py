"""Ingest: examine, store and record footage, one AV record per recording. Idempotent."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from liuhen.ledger.events import Actor
from liuhen.media import continuity, importing
from liuhen.media.importing import FileReport, ImportOptions, ImportReport
from liuhen.media.scan import Candidate
from liuhen.services.av import join as av_join
from liuhen.services.av.queries.devices import device_by_serial
from liuhen.services.av.queries.records import segment_holders, segments_named
from liuhen.services.av.rows import insert_files, insert_record, refuse, register_blob
from liuhen.services.cases.bundle_import import check_entity
from liuhen.services.cases.queries.bundle_import import officer_id_by_certificate
from liuhen.services.permissions import require
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

UNKNOWN_DEVICE, UNKNOWN_OFFICER = "unknown-device", "unknown-officer"
Progress = Callable[[int, int], None]


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
    if options.max_pause is None:
        options = replace(options, max_pause=timedelta(minutes=store.settings.av_join_minutes))
    recordings, refused = importing.plan_import(
        paths, options, now=store.clock(), tz=store.settings.tz
    )
    report = ImportReport([FileReport.of(c, "rejected", c.reason) for c in refused])
    meter = _Meter(sum(c.size for group in recordings for c in group), progress)
    seen: dict[str, str] = {}
    for group in recordings:
        kept: list[tuple[Candidate, BlobInfo]] = []
        for cand in group:
            status, reason, info = _take(store, actor, cand, seen, meter, options)
            if info is None:
                report.files.append(FileReport.of(cand, status, reason))
            else:
                seen[info.sha256] = cand.name
                kept.append((cand, info))
        if kept:
            summary, held = _store_recording(store, actor, kept, options)
            if summary is not None:
                report.records.append(summary)
            report.files += [
                FileReport.of(
                    c,
                    "duplicate",
                    f"已存储（音像记录 {held[i.sha256]}），未重复存储",
                    i.sha256,
                    held[i.sha256],
                )  # fmt: skip
                if i.sha256 in held
                else FileReport.of(c, "new", "", i.sha256, summary["record_id"], summary["joined"])  # type: ignore[index]
                for c, i in kept
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
    store: Store,
    actor: Actor,
    cand: Candidate,
    seen: dict[str, str],
    meter: _Meter,
    options: ImportOptions,
) -> tuple[str, str, BlobInfo | None]:
    """Store one file's bytes, or say why not: (status, reason, the blob when it is new).
    Whether a record holds these bytes already is asked under the lock that stores them
    (``_store_recording``), where no other import can store them meanwhile. A file whose
    digests are known (``ImportOptions.digests``) is adopted, not read again."""
    known = (options.digests or {}).get(str(cand.path))
    named = _segments_named(store, cand.name)
    if named:
        sha = known[0] if known else _sha256(cand.path, meter)
        same = next((n for n in named if n["sha256"] == sha), None)
        if same is not None:
            return "duplicate", f"已存储（音像记录 {same['record_id']}），未重复存储", None
        clash = next((n for n in named if n["start"] == cand.start), None)
        if clash is not None:
            refuse(store, actor, "av.replace_refused", clash["record_id"], cand.name, sha)
            return (
                "rejected",
                f"与已存储的原件（音像记录 {clash['record_id']}）同名、同开始时间，但内容不同："
                "原件不可替换，本文件未存储；此次尝试已记入全过程日志",
                None,
            )
    if known and options.adopt is not None:
        info = options.adopt(cand.path)
    elif known:
        info = store.blobs.adopt_path(cand.path, known, progress=meter)
    else:
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
    return [
        {"record_id": rid, "sha256": sha, "start": datetime.fromisoformat(seg["start"])}
        for rid, sha, details in segments_named(store, name)
        for seg in details.get("segments", [])
        if seg.get("sha256") == sha
    ]


def _store_recording(
    store: Store, actor: Actor, kept: list[tuple[Candidate, BlobInfo]], options: ImportOptions
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """One transaction: the new blob rows, then the files joined to the stored recording they
    continue (``av_join``) or a new record with its segment files, and the events. Returns
    the record's summary (None when nothing was left to store) and the files another import
    stored meanwhile (sha256 -> its record): looked for again under the lock, so two imports
    of one folder at once store each file once.

    Long: one transaction holds the join lock from finding the recording to continue until its
    rows and events are written; both branches (join a stored recording, or a new record with
    its segment files) share that lock and the blob rows registered before them."""
    tz = store.settings.tz
    assert options.max_pause is not None
    with store.transaction(actor) as tx:
        av_join.lock(tx)
        held = segment_holders(tx.conn, [i.sha256 for _, i in kept])
        kept = [(c, i) for c, i in kept if i.sha256 not in held]
        if not kept:
            return None, held
        cands = [c for c, _ in kept]
        first = kept[0][0]
        device_id, officer_id, device_agency = _parties(tx, first.device, first.officer)
        target = av_join.find_recording(
            tx,
            cands,
            device_ids=[device_id, first.device or ""],
            officer_ids=[officer_id, first.officer or officer_id],
            options=options,
            max_pause=options.max_pause,
        )
        for _, info in kept:
            register_blob(tx, store, info)
        if target is not None:
            record_id, details = av_join.join(tx, store, target, kept, max_pause=options.max_pause)
            rec = continuity.recording(
                continuity.segments_from(details), tolerance=options.tolerance
            )
            name = tx.get("records", record_id)["title"]  # type: ignore[index]
            summary = {"record_id": record_id, "title": name, "joined": target["id"]}
            return {**summary, **rec.as_dict()}, held
        record_id = new_id()
        details = importing.av_details(
            [(c, i.sha256) for c, i in kept],
            device_id=device_id,
            officer_id=officer_id,
            stored_at=store.clock(),
            custodian=options.custodian or actor.label,
            tz=tz,
        )
        agency = device_agency or options.agency_id or actor.agency_id
        if agency:  # what scopes the footage until a case holds it (footage_scope)
            details["agency_id"] = agency
        check_entity("av_record", {"id": record_id, **details}, "$.av_records[]")
        name = importing.title(cands, tz)
        insert_record(tx, store, record_id, None, None, ("av", "av"), name, details)
        insert_files(
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
    return {"record_id": record_id, "title": name, "joined": None, **rec.as_dict()}, held


def _parties(tx: Tx, device: str | None, officer: str | None) -> tuple[str, str, str | None]:
    """Registered device and officer ids where the serial and number are known, else the
    raw values (linking to a case later requires registered ones); and the registered
    device's agency (None for a device nobody registered)."""
    dev = device_by_serial(tx.conn, device) if device else None
    officer_id = officer_id_by_certificate(tx.conn, officer) if officer else None
    if officer_id is None and officer is None and dev is not None:
        officer_id = dev["assigned_officer_id"]
    device_id = dev["id"] if dev else device or UNKNOWN_DEVICE
    agency = str(dev["agency_id"]) if dev and dev.get("agency_id") else None
    return device_id, officer_id or officer or UNKNOWN_OFFICER, agency


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
