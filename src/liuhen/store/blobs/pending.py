"""Markers of blobs put in place but perhaps not yet registered: ``<dir>/<sha256>``.

A blob is put in place before its row commits (``base``), so a crash in between leaves a
stored object that no row refers to. To find those after a crash without listing the whole
store, an ingest that is about to put a new blob in place first creates the blob's marker
(durably) and holds a shared ``flock`` on it until the transaction that inserts the blob's
row has committed (``settle``, called by ``Store.transaction``); an ingest that finds the
blob already stored holds its marker too when there is one, so the blob cannot be taken
from under it. A lock dies with its process: at the next start ``recover`` takes the
markers nobody holds, removes the blob when no row refers to it (the crash's orphan) and
the marker either way. A marker of an ingest whose row never came (a refused file) is held
until its process ends and goes at the next start the same way.

``liuhen gc`` takes a blob's marker exclusively (``taken``, making one if there is none)
while it checks and deletes the blob: an ingest on this node that reaches the blob
meanwhile waits for it, then finds the blob gone (and puts it again) or kept. Markers are
local to the node; what holds gc and ingests on other nodes apart is the database
(``Store.transaction`` checks, under the ledger's head, that each blob it registers is
still stored).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from liuhen.errors import StorageError
from liuhen.store.blobs.base import is_key
from liuhen.store.blobs.spool import fsync_dir
from liuhen.store.file_locks import lock_unheld, same_file

log = logging.getLogger("liuhen.recovery")
_TRIES = 100


class PendingBlobs:
    """The marker directory of one blob store and the markers this process holds."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self._held: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def place(self, sha256: str, stored: Callable[[], bool], put: Callable[[], None]) -> bool:
        """Put blob ``sha256`` in place with ``put`` unless ``stored()`` says it is there;
        True when this call put it. Either way the blob cannot be recovered away until
        ``settle`` (see the module docstring)."""
        for _ in range(_TRIES):
            held = self._hold(sha256, create=False)
            if stored():
                if held or (not self._present(sha256) and stored()):
                    return False
                continue  # a marker appeared meanwhile: go round and hold it
            if not held:
                self._hold(sha256, create=True)
            put()
            return True
        raise StorageError(f"文件 {sha256[:16]}… 反复被并发写入或清理，未能存入：请稍后重试")

    def settle(self, keys: Iterable[str]) -> None:
        """The rows of ``keys`` have committed: let their markers go."""
        for sha256 in keys:
            with self._lock:
                fds = self._held.pop(sha256, [])
            for fd in fds:
                _drop(self.dir / sha256, fd)

    def recover(
        self, registered: Callable[[str], bool], remove: Callable[[str], bool]
    ) -> list[str]:
        """Take every marker nobody holds: ``remove`` its blob when not ``registered`` (True
        when there was one to remove), then the marker. Return the keys of removed blobs."""
        removed: list[str] = []
        for sha256 in self.keys():
            fd = lock_unheld(self.dir / sha256)
            if fd is None:
                continue
            try:
                if not registered(sha256) and remove(sha256):
                    removed.append(sha256)
                    log.warning("已删除中断写入留下的未登记文件 %s（没有记录引用它）", sha256)
                (self.dir / sha256).unlink(missing_ok=True)
            finally:
                os.close(fd)
        return removed

    def unheld(self, older_than: float) -> list[tuple[str, float]]:
        """(key, age in seconds) of the markers nobody holds, older than ``older_than``
        seconds: blobs an interrupted ingest left that no start has looked at yet."""
        out: list[tuple[str, float]] = []
        now = time.time()
        for sha256 in self.keys():
            path = self.dir / sha256
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age < older_than:
                continue
            fd = lock_unheld(path)
            if fd is not None:
                os.close(fd)
                out.append((sha256, age))
        return out

    def held(self, sha256: str) -> bool | None:
        """None when ``sha256`` has no marker; else whether a live process holds it."""
        path = self.dir / sha256
        if not path.exists():
            return None
        fd = lock_unheld(path)
        if fd is None:
            return path.exists()  # held, unless it went meanwhile
        os.close(fd)
        return False

    @contextmanager
    def taken(self, sha256: str) -> Iterator[bool]:
        """Hold the marker of ``sha256`` exclusively, making it if there is none: True when
        nobody else held it (no ingest can rely on the blob until the marker goes), False
        when a live ingest does. The marker is removed on exit when it was taken."""
        path = self.dir / sha256
        for _ in range(_TRIES):
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
            except OSError as exc:
                raise StorageError(f"无法写入 {path}：{exc.strerror}；请检查存储目录权限") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                yield False
                return
            if same_file(path, fd):
                break
            os.close(fd)  # settled or recovered between the open and the lock: again
        else:
            raise StorageError(f"无法锁定 {path}：反复被并发清理，请稍后重试")
        try:
            yield True
        finally:
            try:
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)

    def keys(self) -> Iterator[str]:
        try:
            names = sorted(os.listdir(self.dir))
        except FileNotFoundError:
            return
        yield from (name for name in names if is_key(name))

    # -- helpers ---------------------------------------------------------------------
    def _present(self, sha256: str) -> bool:
        return (self.dir / sha256).exists()

    def _hold(self, sha256: str, *, create: bool) -> bool:
        """Hold a shared lock on the marker (creating it, durably, when ``create``); False
        when there is none to hold."""
        path = self.dir / sha256
        for _ in range(_TRIES):
            try:
                if create:
                    self.dir.mkdir(parents=True, exist_ok=True)
                    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
                else:
                    fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise StorageError(f"无法写入 {path}：{exc.strerror}；请检查存储目录权限") from exc
            fcntl.flock(fd, fcntl.LOCK_SH)  # waits while a recovery decides about it
            if same_file(path, fd):
                if create:
                    fsync_dir(self.dir)
                with self._lock:
                    self._held.setdefault(sha256, []).append(fd)
                return True
            os.close(fd)  # recovered and removed meanwhile
            if not create:
                return False
        raise StorageError(f"无法锁定 {path}：反复被并发清理，请稍后重试")


def _drop(path: Path, fd: int) -> None:
    """Release one hold; the last holder removes the marker."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)  # another ingest holds it still and removes it when it settles
        return
    try:
        if same_file(path, fd):
            path.unlink(missing_ok=True)
    except OSError:
        pass  # the next start removes it (its blob has a row now)
    finally:
        os.close(fd)
