"""Scratch folders under ``<data dir>/tmp/``: watermarked copies, clips, the temporary
package of a 四性检测, an uploaded calendar file, while they are being made.

``scratch_dir`` makes one and holds an exclusive ``flock`` on the folder while it is in use,
and removes it afterwards. A crash leaves the folder (it may hold copies of evidence): the
next start removes every scratch folder nobody holds (``recover_scratch``), so none is taken
from under a process still working in it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from liuhen.config import Settings
from liuhen.errors import StorageError
from liuhen.store.file_locks import lock_unheld, same_file

log = logging.getLogger("liuhen.recovery")
PREFIX = "scratch-"
LEGACY = ("copy-", "clip-", "four-properties-", "calendar-")
"""Folders of versions that made them without a lock: any left is a crash's."""


def scratch_root(settings: Settings) -> Path:
    return settings.data_dir / "tmp"


@contextmanager
def scratch_dir(settings: Settings, purpose: str) -> Iterator[Path]:
    """A new, locked folder ``<data dir>/tmp/scratch-<purpose>-…``, removed after the block."""
    root = scratch_root(settings)
    for _ in range(10):
        try:
            root.mkdir(parents=True, exist_ok=True)
            path = Path(tempfile.mkdtemp(dir=root, prefix=f"{PREFIX}{purpose}-"))
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            continue  # taken by a start's clean-up before it was locked
        except OSError as exc:
            raise StorageError(f"无法创建临时目录：{exc.strerror}；请检查 {root} 的权限") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if same_file(path, fd):
                try:
                    yield path
                finally:
                    shutil.rmtree(path, ignore_errors=True)
                return
        finally:
            os.close(fd)
    raise StorageError(f"无法创建临时目录：{root} 中的临时目录反复被清理，请稍后重试")


def recover_scratch(settings: Settings) -> list[str]:
    """Remove the scratch folders nobody holds; their paths."""
    removed = []
    for path in _folders(scratch_root(settings)):
        fd = lock_unheld(path, folder=True)
        if fd is None:
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(str(path))
        log.warning("已删除中断留下的临时目录 %s", path)
    return removed


def stale_scratch(settings: Settings, older_than: float) -> list[tuple[Path, float]]:
    """(path, age in seconds) of scratch folders nobody holds, older than ``older_than``
    seconds; reads only."""
    out, now = [], time.time()
    for path in _folders(scratch_root(settings)):
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if age < older_than:
            continue
        fd = lock_unheld(path, folder=True)
        if fd is not None:
            os.close(fd)
            out.append((path, age))
    return out


def _folders(root: Path) -> list[Path]:
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    return [
        Path(e.path)
        for e in entries
        if e.is_dir(follow_symlinks=False) and e.name.startswith((PREFIX, *LEGACY))
    ]
