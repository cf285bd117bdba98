"""Exports asked for from the web: the archive package (电子归档包, BagIt, zipped for the
download) or the case-file PDF (案卷 PDF) of a case, made by the server's background worker
with its progress shown, then downloaded.

An export job is a row of ``export_jobs`` (insert-only) for the case as it stood when it was
asked for (``basis``: the case's newest change) with the request on the ledger
(``case.export_requested``). Two people asking at once get one job: its key is derived from
the case, the kind, the basis and the attempt, and the database keeps one row per key (the
second insert does nothing and finds the first). A job that failed, or was cut short (no
progress for ``STALE``), may be asked for again: the next attempt is a new row.

What the worker has done lives in the job's folder under the data directory
(``exports/<job id>/``): ``progress.json`` while it works, then ``result.json`` beside the
file to download, or ``failed.json`` with the reason. The export itself is the ledger's
``case.exported`` event (``packages``), each download a ``case.export_downloaded``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from liuhen.archive.package import safe_name
from liuhen.config import Settings
from liuhen.errors import Conflict, InvalidInput, LiuhenError, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.archiving.queries.export_jobs import basis_and_attempt, job_row, latest_jobs
from liuhen.services.permissions import load_case, require_case
from liuhen.store.store import Store

KINDS: dict[str, str] = {"package": "电子归档包", "case_file": "案卷 PDF"}
STATE_NAMES = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "未完成"}
STALE = timedelta(minutes=30)
"""A job with no progress for this long was cut short (the server stopped): it failed."""
_PROGRESS_EVERY = 0.5  # seconds between two writes of progress.json


@dataclass(frozen=True)
class ExportJob:
    id: str
    case_id: str
    kind: str
    basis: int
    attempt: int
    requested_at: datetime
    state: str  # queued | running | done | failed
    percent: int = 0
    step: str = ""
    file_name: str = ""
    size: int = 0
    error: str = ""

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
        return {
            **{k: v for k, v in self.__dict__.items() if k != "requested_at"},
            "requested_at": self.requested_at.isoformat(),
            "kind_name": self.kind_name,
            "state_name": self.state_name,
        }


def job_dir(settings: Settings, job_id: str) -> Path:
    return Path(settings.data_dir) / "exports" / job_id


def _job_id(case_id: str, kind: str, basis: int, attempt: int) -> str:
    return hashlib.sha256(f"{case_id}|{kind}|{basis}|{attempt}".encode()).hexdigest()[:32]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def job_state(settings: Settings, row: Mapping[str, Any], now: datetime) -> ExportJob:
    """A job row with what its folder says of it (as of ``now``)."""
    folder = job_dir(settings, str(row["id"]))
    base: dict[str, Any] = {k: row[k] for k in ("id", "case_id", "kind", "basis", "attempt")}
    base["requested_at"] = row["requested_at"]
    done = _read_json(folder / "result.json")
    if done is not None:
        name, size = str(done["download_name"]), int(done["size"])
        return ExportJob(**base, state="done", percent=100, file_name=name, size=size)
    failed = _read_json(folder / "failed.json")
    if failed is not None:
        return ExportJob(**base, state="failed", error=str(failed.get("error", "")))
    progress_file = folder / "progress.json"
    progress = _read_json(progress_file)
    touched = row["requested_at"]
    if progress is not None:
        touched = datetime.fromtimestamp(progress_file.stat().st_mtime, now.tzinfo)
    if now - touched > STALE:
        return ExportJob(**base, state="failed", error="导出中断（服务器可能已重启），请重新导出")
    if progress is None:
        return ExportJob(**base, state="queued")
    return ExportJob(
        **base,
        state="running",
        percent=int(progress.get("percent", 0)),
        step=str(progress.get("step", "")),
    )


def request_export(
    store: Store,
    actor: Actor,
    case_id: str,
    kind: str,
    *,
    case: Mapping[str, Any] | None = None,
) -> tuple[ExportJob, bool]:
    """The export job of ``kind`` for the case as it stands, and whether this call made it
    (only then does the caller start the work). A job of the same case state that waits,
    runs or is done is returned as it is; one that failed is asked for again."""
    if kind not in KINDS:
        raise InvalidInput(f"kind: 导出类型应为 {'、'.join(KINDS.values())} 之一")
    require_case(store, actor, "case.export", case_id, case)
    now = store.clock()
    with store.transaction(actor) as tx:
        basis, earlier = basis_and_attempt(tx.conn, case_id, kind)
        if earlier:
            last = job_row(tx.conn, earlier[-1])
            assert last is not None
            if job_state(store.settings, last, now).state != "failed":
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
        row = dict(values) if made else job_row(tx.conn, job_id)
    assert row is not None
    return job_state(store.settings, row, now), made


def case_exports(store: Store, case_id: str) -> list[ExportJob]:
    """The newest job of each kind of a case (the caller checked ``case.export``)."""
    with store.read() as conn:
        rows = latest_jobs(conn, case_id)
    now = store.clock()
    return [job_state(store.settings, r, now) for r in rows]


class _Progress:
    """Writes ``progress.json`` (percent and step), at most every ``_PROGRESS_EVERY`` s."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "progress.json"
        self.last = 0.0

    def __call__(self, percent: float, step: str, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.last < _PROGRESS_EVERY:
            return
        self.last = time.monotonic()
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps({"percent": int(percent), "step": step}), "utf-8")
        os.replace(temp, self.path)


def run_export(store: Store, actor: Actor, job_id: str) -> ExportJob:
    """Do the export of a job (on the background worker): the package zipped, or the PDF,
    then ``result.json``; a failure leaves ``failed.json`` with its reason and is raised."""
    with store.read() as conn:
        row = job_row(conn, job_id)
    if row is None:
        raise NotFound(f"job: 没有导出任务 {job_id}")
    folder = job_dir(store.settings, job_id)
    folder.mkdir(parents=True, exist_ok=True)
    progress = _Progress(folder)
    progress(0, "准备", force=True)
    try:
        result = _produce(store, actor, row, folder, progress)
    except LiuhenError as exc:
        _write(folder / "failed.json", {"error": exc.message})
        raise
    except Exception as exc:
        _write(
            folder / "failed.json", {"error": f"内部错误（{type(exc).__name__}），请查看服务器日志"}
        )
        raise
    _write(folder / "result.json", result)
    return job_state(store.settings, row, store.clock())


def _write(path: Path, value: dict[str, Any]) -> None:
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
    os.replace(temp, path)


def _produce(
    store: Store, actor: Actor, row: Mapping[str, Any], folder: Path, progress: _Progress
) -> dict[str, Any]:
    from liuhen.services.archiving.packages import case_file_pdf, export_package

    case_id = str(row["case_id"])
    if row["kind"] == "case_file":
        progress(10, "生成案卷 PDF", force=True)
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
        progress=lambda done, total: progress(70 * done / max(total, 1), "复制文件"),
    )
    progress(75, "打包下载文件", force=True)
    name = safe_name(result.number or case_id, "package")
    target = folder / "package.zip"
    _zip(out, target, name, lambda share: progress(75 + 25 * share, "打包下载文件"))
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


def export_download(
    store: Store,
    actor: Actor,
    case_id: str,
    job_id: str,
    *,
    case: Mapping[str, Any] | None = None,
) -> tuple[Path, str, str]:
    """(the file, its download name, its media type) of a finished job of the case; the
    download is on the ledger before it is sent."""
    require_case(store, actor, "case.export", case_id, case)
    with store.read() as conn:
        row = job_row(conn, job_id)
    if row is None or row["case_id"] != case_id:  # another case's job: as if none
        raise NotFound(f"job: 本案没有导出任务 {job_id}")
    job = job_state(store.settings, row, store.clock())
    if job.state != "done":
        raise Conflict(f"导出尚未完成（{job.state_name}），完成后再下载")
    done = _read_json(job_dir(store.settings, job_id) / "result.json")
    assert done is not None
    path = job_dir(store.settings, job_id) / str(done["file"])
    store.record_view(
        actor,
        "case.export_downloaded",
        subject_type="case",
        subject_id=case_id,
        case_id=case_id,
        payload={"job": job_id, "kind": job.kind, "sha256": done["sha256"], "size": job.size},
    )
    media = "application/pdf" if job.kind == "case_file" else "application/zip"
    return path, job.file_name, media
