"""Upload staging a crash left, settled at the next start (``services.av.uploads``).

An upload is its ``<id>.json`` (the record its staging files belong to). A process killed
while it worked on one can leave:

- ``<id>.part`` with no ``<id>.json`` (killed while creating it): removed;
- an upload whose ``av.upload_started`` event never committed (killed while creating it:
  nobody was told its id): removed;
- ``<id>.json.tmp`` (killed while rewriting the info): removed;
- ``<id>.d/`` holding the whole file (killed while ingesting it): the bytes go back to
  ``<id>.part``, so the uploader's next PATCH finishes it (``duplicate`` when the ingest had
  already committed); for a finished upload, removed with its part;
- a receiving upload with neither part nor ``.d`` (killed while removing it): its info goes.

A paused upload (its part present, its start recorded) is left alone until it expires; the
start removes expired ones as ``liuhen clean-uploads`` does (``Uploads.clean_expired``). Each
upload is settled holding its staged file's lock without waiting: a request writing,
creating or ingesting it holds that lock, so a live upload is never touched.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from liuhen.services.av.queries.uploads import started_uploads
from liuhen.services.av.upload_metadata import UploadInfo
from liuhen.services.av.upload_staging import held
from liuhen.services.av.uploads import Uploads
from liuhen.store.store import Store

log = logging.getLogger("liuhen.recovery")
_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Staged:
    """The staging files of one upload id."""

    id: str
    dir: Path

    @property
    def part(self) -> Path:
        return self.dir / f"{self.id}.part"

    @property
    def info(self) -> Path:
        return self.dir / f"{self.id}.json"

    @property
    def temp(self) -> Path:
        return self.dir / f"{self.id}.json.tmp"

    @property
    def ingesting(self) -> Path:
        return self.dir / f"{self.id}.d"

    def staged_file(self) -> Path | None:
        """The file being ingested, moved into ``<id>.d/`` (``Uploads._ingest``)."""
        try:
            return next((p for p in sorted(self.ingesting.iterdir()) if p.is_file()), None)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def lockable(self) -> Path | None:
        return self.part if self.part.exists() else self.staged_file()

    def load(self) -> UploadInfo | None:
        try:
            return UploadInfo(**json.loads(self.info.read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            return None


def recover_uploads(store: Store) -> list[str]:
    """Settle what crashed processes left in the staging area; one message per upload.
    (Expired uploads are ``Uploads.clean_expired``'s.)"""
    uploads = Uploads(store)
    ids = staged_ids(uploads.dir)
    if not ids:
        return []
    staged = [Staged(i, uploads.dir) for i in ids]
    infos = {s.id: s.load() for s in staged}
    receiving = [i for i, info in infos.items() if info is not None and info.state != "done"]
    started = started_uploads(store, receiving)
    return [m for s in staged if (m := _settle(s, s.id in started))]


def staged_ids(folder: Path) -> list[str]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    ids = {name.split(".", 1)[0] for name in names}
    return sorted(i for i in ids if 8 <= len(i) <= 40 and set(i) <= _ID_CHARS)


def _settle(staged: Staged, started: bool) -> str | None:
    """Settle one upload under its staged file's lock; what was done, or None."""
    with held(staged.lockable()) as mine:
        if not mine:
            return None  # a request is working on it
        touched = _unlink(staged.temp)
        info = staged.load()  # again, under the lock
        if info is not None and info.state != "done" and started:
            if staged.part.exists():  # paused: the uploader may resume it
                if staged.ingesting.exists():  # killed before the move into it, or after
                    shutil.rmtree(staged.ingesting, ignore_errors=True)  # the move back
                return None
            file = staged.staged_file()
            if file is not None:
                os.replace(file, staged.part)
                shutil.rmtree(staged.ingesting, ignore_errors=True)
                return _logged(f"上传 {staged.id} 入库时中断：已放回暂存区，上传方续传即可完成")
            what = "缺少暂存文件的上传"
        elif info is None:
            what = "没有上传记录的暂存文件"
        elif info.state == "done":
            what = "已完成上传的暂存文件"
        else:
            what = "未记入开始事件的上传（上传方未获知其编号）"
        if info is not None and info.state != "done":
            touched = _unlink(staged.info) or touched
        touched = _remove_files(staged) or touched
        return _logged(f"已删除中断留下的{what} {staged.id}") if touched else None


def _logged(message: str) -> str:
    log.warning(message)
    return message


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _remove_files(staged: Staged) -> bool:
    """Remove the part and the ingest folder; True when there was something."""
    found = _unlink(staged.part)
    if staged.ingesting.exists():
        shutil.rmtree(staged.ingesting, ignore_errors=True)
        found = True
    return found


def stale_staging(folder: Path, older_than: float) -> list[tuple[Path, float]]:
    """(path, age in seconds) of staging files no upload refers to, or of an unfinished
    ingest, untouched for ``older_than`` seconds; reads only."""
    out, now = [], time.time()
    for upload_id in staged_ids(folder):
        staged = Staged(upload_id, folder)
        info = staged.load()
        candidates = [staged.temp]
        if info is None or info.state == "done":
            candidates += [staged.part, staged.ingesting]
        elif not staged.part.exists():
            candidates.append(staged.ingesting)
        for path in candidates:
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age >= older_than:
                out.append((path, age))
    return out
