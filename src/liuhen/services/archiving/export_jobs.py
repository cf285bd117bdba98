"""Exports asked for from the web: the archive package (电子归档包, BagIt, zipped for the
download) or the case-file PDF (案卷 PDF) of a case, made by the server's background worker
with its progress shown, then downloaded.

An export job is a row of ``export_jobs`` (insert-only) for the case as it stood when it was
asked for (``basis``: the case's newest change) with the request on the ledger
(``case.export_requested``). Two people asking at once get one job: its key is derived from
the case, the kind, the basis and the attempt, and the database keeps one row per key (the
second insert does nothing and finds the first). The work is the cluster's job
``export:<id>`` (``t.jobs``, queued in the same transaction): any node's runner makes the
file, its progress and outcome are on that row, so every node's page shows them; a node
that dies mid-export leaves it to another. A job that failed, or whose file expired, may be
asked for again: the next attempt is a new row.

The file is made in the job's folder under the data directory (``exports/<job id>/``) and,
when the store is an object store, moved there (``staging/exports/<job id>/``) so that any
node sends it. It is kept ``LIUHEN_EXPORT_RETENTION_HOURS`` after it was made; then the
scheduled ``export_cleanup`` removes it and the download says it expired. The export itself is the ledger's
``case.exported`` event (``packages``), each download a ``case.export_downloaded``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from liuhen.archive.package import safe_name
from liuhen.config import Settings
from liuhen.errors import Conflict, Gone, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.archiving.queries.export_jobs import (
    basis_and_attempt,
    case_jobs,
    job_row,
    jobs_of_folders,
)
from liuhen.services.permissions import load_case, require_case
from liuhen.store import job_rows
from liuhen.store.store import Store

KINDS: dict[str, str] = {"package": "电子归档包", "case_file": "案卷 PDF"}
STATE_NAMES = {
    "queued": "排队中",
    "running": "进行中",
    "done": "已完成",
    "failed": "未完成",
    "expired": "已过期",
}
Report = Callable[[float, str], None]


@dataclass(frozen=True)
class ExportJob:
    id: str
    case_id: str
    kind: str
    basis: int
    attempt: int
    requested_at: datetime
    state: str  # queued | running | done | failed | expired
    percent: int = 0
    step: str = ""
    file_name: str = ""
    size: int = 0
    error: str = ""
    expires_at: datetime | None = None

    @property
    def kind_name(self) -> str:
        return KINDS[self.kind]

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def size_text(self) -> str:
        for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
            if self.size >= scale:
                return f"{self.size / scale:.1f} {unit}"
        return f"{self.size} 字节"

    def to_dict(self) -> dict[str, Any]:
        times = ("requested_at", "expires_at")
        names = {"kind_name": self.kind_name, "state_name": self.state_name}
        return {
            **{k: v for k, v in self.__dict__.items() if k not in times},
            **{k: getattr(self, k) and getattr(self, k).isoformat() for k in times},
        } | names


def job_dir(settings: Settings, job_id: str) -> Path:
    return Path(settings.data_dir) / "exports" / job_id


def job_key(job_id: str) -> str:
    """The cluster job (``t.jobs``) that makes an export job's file."""
    return f"export:{job_id}"


def _job_id(case_id: str, kind: str, basis: int, attempt: int) -> str:
    return hashlib.sha256(f"{case_id}|{kind}|{basis}|{attempt}".encode()).hexdigest()[:32]


def retention(settings: Settings) -> timedelta:
    return timedelta(hours=settings.export_retention_hours)


def job_state(settings: Settings, row: Mapping[str, Any], now: datetime) -> ExportJob:
    """An export job row with its cluster job (``row["job"]``) as of ``now``."""
    base = {k: row[k] for k in ("id", "case_id", "kind", "basis", "attempt", "requested_at")}
    job = row.get("job")
    if job is None:  # its row deleted since (job_cleanup), or its start was lost
        lost = now < row["requested_at"] + retention(settings)
        return ExportJob(**base, state="failed" if lost else "expired",
                         error="导出未能开始，请重新导出" if lost else "")  # fmt: skip
    if job["state"] == "done":
        done = job["result"] or {}
        expires = job["finished_at"] + retention(settings)
        state = "expired" if now >= expires else "done"
        name, size = str(done.get("download_name", "")), int(done.get("size", 0))
        return ExportJob(
            **base, state=state, percent=100, file_name=name, size=size, expires_at=expires
        )
    if job["state"] == "failed":
        return ExportJob(**base, state="failed", error=str(job["error"]))
    percent = int(float(job["progress"]) * 100)
    return ExportJob(**base, state=str(job["state"]), percent=percent, step=str(job["step"]))


def request_export(
    store: Store,
    actor: Actor,
    case_id: str,
    kind: str,
    *,
    case: Mapping[str, Any] | None = None,
) -> tuple[ExportJob, bool]:
    """The export job of ``kind`` for the case as it stands, and whether this call made it
    (its cluster job is queued with it: the caller wakes its node's runner). A job of the
    same case state that waits, runs or is done is returned as it is; one that failed or
    expired is asked for again."""
    if kind not in KINDS:
        raise InvalidInput(f"kind: 导出类型应为 {'、'.join(KINDS.values())} 之一")
    require_case(store, actor, "case.export", case_id, case)
    now = store.clock()
    with store.transaction(actor) as tx:
        basis, earlier = basis_and_attempt(tx.conn, case_id, kind)
        if earlier:
            last = job_row(tx.conn, earlier[-1])
            assert last is not None
            if job_state(store.settings, last, now).state not in ("failed", "expired"):
                return job_state(store.settings, last, now), False
        attempt = len(earlier) + 1
        job_id = _job_id(case_id, kind, basis, attempt)
        values = {
            "id": job_id,
            "case_id": case_id,
            "kind": kind,
            "basis": basis,
            "attempt": attempt,
            "requested_by": actor.id,
            "requested_at": now,
        }
        made = tx.insert_new("export_jobs", values) is not None
        if made:
            tx.record(
                "case.export_requested",
                subject_type="case",
                subject_id=case_id,
                case_id=case_id,
                payload={"job": job_id, "kind": kind, "basis": basis, "attempt": attempt},
            )
            args: dict[str, Any] = {"export_job": job_id, "actor": _actor_args(actor)}
            args |= {"kind": kind, "basis": basis, "attempt": attempt}
            job, _ = job_rows.enqueue_in(
                tx.conn, now, kind="export", key=job_key(job_id), args=args,
                case_id=case_id, requested_by=actor.id,
            )  # fmt: skip
            row: dict[str, Any] | None = {**values, "job": job}
        else:
            row = job_row(tx.conn, job_id)
    assert row is not None
    return job_state(store.settings, row, now), made


def _actor_args(actor: Actor) -> dict[str, Any]:
    return {**actor.__dict__, "roles": list(actor.roles)}


def case_exports(store: Store, case_id: str) -> list[ExportJob]:
    """The newest job of each kind of a case (the caller checked ``case.export``)."""
    return case_jobs_of(store, case_id)[1]


def case_jobs_of(store: Store, case_id: str) -> tuple[list[dict[str, Any]], list[ExportJob]]:
    """The case's cluster jobs (exports and 四性检测, oldest first) and from them its newest
    export of each kind (one statement; the caller checked ``case.export`` to show them)."""
    with store.read() as conn:
        rows = case_jobs(conn, case_id)
    newest: dict[str, dict[str, Any]] = {}
    for job in rows:
        args = job["args"]
        if job["kind"] == "export" and "kind" in args:
            newest[str(args["kind"])] = {
                "id": args["export_job"], "case_id": case_id, "kind": args["kind"],
                "basis": args["basis"], "attempt": args["attempt"],
                "requested_at": job["created_at"], "job": job,
            }  # fmt: skip
    now = store.clock()
    exports = [job_state(store.settings, newest[k], now) for k in sorted(newest)]
    return rows, exports


def run_export(store: Store, actor: Actor, job_id: str, report: Report) -> dict[str, Any]:
    """Make the file of an export job (a cluster job's work, on any node): the package
    zipped, or the PDF, in the job's folder; returns what the download needs."""
    with store.read() as conn:
        row = job_row(conn, job_id)
    if row is None:
        raise NotFound(f"job: 没有导出任务 {job_id}")
    folder = job_dir(store.settings, job_id)
    shutil.rmtree(folder, ignore_errors=True)  # what an attempt cut short left
    folder.mkdir(parents=True, exist_ok=True)
    report(0.0, "准备")
    result = _produce(store, actor, row, folder, report)
    staging = store.blobs.staging()
    if staging is not None:  # an object store: kept there, for any node to send
        report(1.0, "保存到对象存储")
        staging.put_file(staging.export_key(job_id, result["file"]), folder / result["file"])
        shutil.rmtree(folder, ignore_errors=True)
        result["shared"] = True
    return result


def _produce(
    store: Store, actor: Actor, row: Mapping[str, Any], folder: Path, report: Report
) -> dict[str, Any]:
    from liuhen.services.archiving.packages import case_file_pdf, export_package

    case_id = str(row["case_id"])
    if row["kind"] == "case_file":
        report(0.1, "生成案卷 PDF")
        case_file = case_file_pdf(store, actor, case_id)
        target = folder / "case-file.pdf"
        target.write_bytes(case_file.pdf)
        number = str(load_case(store, case_id).get("number") or case_id)
        return _result(target, f"{safe_name(number)}-案卷.pdf")
    out = folder / "package"
    result = export_package(
        store,
        actor,
        case_id,
        out,
        progress=lambda done, total: report(0.7 * done / max(total, 1), "复制文件"),
    )
    report(0.75, "打包下载文件")
    name = safe_name(result.number or case_id, "package")
    target = folder / "package.zip"
    _zip(out, target, name, lambda share: report(0.75 + 0.25 * share, "打包下载文件"))
    shutil.rmtree(out, ignore_errors=True)  # the zip holds it
    return _result(target, f"{name}-电子归档包.zip") | {"event_seq": result.event_seq}


def _zip(source: Path, target: Path, root: str, step: Any) -> None:
    """The package folder as a zip whose one top folder is ``root`` (stored, not
    compressed: the media would not shrink and the digests are of the files themselves)."""
    files = sorted(p for p in source.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files) or 1
    done = 0
    temp = target.with_suffix(".part")
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for path in files:
            archive.write(path, f"{root}/{path.relative_to(source).as_posix()}")
            done += path.stat().st_size
            step(done / total)
    os.replace(temp, target)


def _result(path: Path, download_name: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return {
        "file": path.name,
        "download_name": download_name,
        "size": path.stat().st_size,
        "sha256": digest.hexdigest(),
    }


@dataclass(frozen=True)
class ExportFile:
    """A finished export to send: a file on this node (``path``), or the object store's
    stream of it (``chunks``, closed by ``close``)."""

    name: str
    media: str
    size: int
    path: Path | None = None
    chunks: Iterator[bytes] | None = None


def export_download(
    store: Store,
    actor: Actor,
    case_id: str,
    job_id: str,
    *,
    case: Mapping[str, Any] | None = None,
) -> ExportFile:
    """The file of a finished job of the case; the download is on the ledger before it is
    sent."""
    require_case(store, actor, "case.export", case_id, case)
    with store.read() as conn:
        row = job_row(conn, job_id)
    if row is None or row["case_id"] != case_id:  # another case's job: as if none
        raise NotFound(f"job: 本案没有导出任务 {job_id}")
    job = job_state(store.settings, row, store.clock())
    if job.state == "expired":
        hours = store.settings.export_retention_hours
        raise Gone(f"导出的文件已过期（完成后保留 {hours} 小时，已删除），请重新导出后再下载")
    if job.state != "done":
        raise Conflict(f"导出尚未完成（{job.state_name}），完成后再下载")
    done = row["job"]["result"]
    media = "application/pdf" if job.kind == "case_file" else "application/zip"
    sent = _source(store, job_id, done, str(row["job"]["node"]))
    store.record_view(
        actor,
        "case.export_downloaded",
        subject_type="case",
        subject_id=case_id,
        case_id=case_id,
        payload={"job": job_id, "kind": job.kind, "sha256": done["sha256"], "size": job.size},
    )
    if isinstance(sent, Path):
        return ExportFile(job.file_name, media, job.size, path=sent)
    return ExportFile(job.file_name, media, job.size, chunks=sent)


def _source(
    store: Store, job_id: str, done: Mapping[str, Any], node: str
) -> Path | Iterator[bytes]:
    """Where the file is: this node's folder, or the object store (a stream)."""
    staging = store.blobs.staging()
    if done.get("shared") and staging is not None:
        _size, body = staging.open_object(staging.export_key(job_id, str(done["file"])))
        return _chunks(body)
    path = job_dir(store.settings, job_id) / str(done["file"])
    if not path.is_file():
        raise NotFound(f"job: 导出的文件不在本服务器上（由 {node} 制作），请重新导出后再下载")
    return path


def _chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(1 << 20)
    finally:
        body.close()


def remove_expired(store: Store) -> int:
    """Remove this node's export folders whose file expired, whose job failed, or that no
    job knows (the scheduled ``export_cleanup``); how many were removed. A folder whose
    job waits or runs is left alone."""
    root = Path(store.settings.data_dir) / "exports"
    folders = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    removed = 0
    for name in _ended(store, folders):
        shutil.rmtree(root / name, ignore_errors=True)
        removed += 1
    staging = store.blobs.staging()
    if staging is not None:  # the files kept in the object store, for the whole cluster
        for name in _ended(store, staging.exported()):
            staging.remove_export(name)
            removed += 1
    return removed


def _ended(store: Store, ids: list[str]) -> list[str]:
    """The export jobs of ``ids`` whose files may go: expired, failed, or unknown."""
    if not ids:
        return []
    with store.read() as conn:
        rows = jobs_of_folders(conn, ids)
    now = store.clock()
    states = {i: job_state(store.settings, rows[i], now).state for i in ids if i in rows}
    return [i for i in ids if states.get(i, "unknown") in ("expired", "failed", "unknown")]
