"""Temp files that become blobs: hashed while written, locked while in use, never left half.

An ingest writes ``<temp_dir>/ingest-*.part`` and holds an exclusive ``flock`` on it until
the file has been renamed into place (local store) or uploaded (S3). ``cleanup`` removes
only temp files nobody holds a lock on, so a process starting next to a running ingest on
the same directory does not pull the file from under it; a lock dies with its process, so
a crash leaves a file that the next cleanup removes.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from liuhen.errors import InvalidInput, StorageError
from liuhen.store.blobs.base import Progress
from liuhen.store.blobs.hashing import CHUNK_SIZE, DualHasher, Readable

TEMP_PREFIX = "ingest-"
TEMP_SUFFIX = ".part"
_DISK_FULL = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
log = logging.getLogger("liuhen.recovery")


def storage_error(exc: OSError, where: object) -> StorageError:
    """The Chinese message for a failed write, disk-full named as such."""
    reason = exc.strerror or str(exc)
    if exc.errno in _DISK_FULL:
        return StorageError(
            f"磁盘空间不足（或文件超过文件系统允许的大小），无法写入 {where}：{reason}。"
            "已写入的部分已删除；请清理磁盘或扩容后重试"
        )
    return StorageError(f"写入 {where} 失败：{reason}；请检查磁盘和目录权限后重试")


def fsync_dir(path: Path) -> None:
    """Make a rename or creation inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class TempBlob:
    """One locked temp file: ``fill`` it, then ``move_to`` its final path or let it go.

    Leaving the ``with`` block removes the file unless it was moved.
    """

    def __init__(self, temp_dir: Path, *, durable: bool) -> None:
        self.temp_dir = temp_dir
        self.durable = durable
        self.path = Path()
        self._fd = -1
        self._moved = False

    def __enter__(self) -> TempBlob:
        try:
            self.temp_dir.mkdir(parents=True, exist_ok=True)
            self._fd, self.path = _create_locked(self.temp_dir)
        except OSError as exc:
            raise storage_error(exc, self.temp_dir) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._moved:
            try:
                os.unlink(self.path)
            except OSError:
                pass  # the next cleanup_temp() removes it
        os.close(self._fd)

    def fill(self, source: Readable | BinaryIO, progress: Progress | None) -> tuple[str, str, int]:
        """Copy ``source`` in while hashing it; fsync when durable. (sha256, sm3, size)."""
        with DualHasher() as hasher:
            while chunk := _read(source):
                hasher.update(chunk)
                self._write_all(chunk)
                if progress is not None:
                    progress(len(chunk))
            if self.durable:
                try:
                    os.fsync(self._fd)
                except OSError as exc:
                    raise storage_error(exc, self.temp_dir) from exc
            sha256, sm3 = hasher.hexdigests()
            return sha256, sm3, hasher.size

    def move_to(self, dest: Path, *, mode: int) -> None:
        """Set ``mode`` and atomically rename the temp file to ``dest`` (same filesystem)."""
        os.fchmod(self._fd, mode)
        os.replace(self.path, dest)
        self._moved = True

    def _write_all(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            raise storage_error(exc, self.temp_dir) from exc


def cleanup(temp_dir: Path) -> int:
    """Remove unlocked temp files in ``temp_dir``; return how many were removed."""
    try:
        entries = sorted(os.scandir(temp_dir), key=lambda e: e.name)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise StorageError(f"无法读取临时目录 {temp_dir}：{exc.strerror}；请检查目录权限") from exc
    removed = 0
    for entry in entries:
        if entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX):
            removed += _remove_if_unlocked(Path(entry.path))
    return removed


def stale(temp_dir: Path, older_than: float) -> list[tuple[Path, float]]:
    """(path, age in seconds) of the temp files in ``temp_dir`` not written to for
    ``older_than`` seconds (an ingest writes its file as it reads); reads only."""
    try:
        entries = sorted(os.scandir(temp_dir), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    now, out = time.time(), []
    for entry in entries:
        if entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX):
            try:
                age = now - entry.stat().st_mtime
            except FileNotFoundError:
                continue
            if age >= older_than:
                out.append((Path(entry.path), age))
    return out


def _remove_if_unlocked(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(path)
        log.warning("已删除中断写入留下的临时文件 %s", path)
        return 1
    except (BlockingIOError, FileNotFoundError):
        return 0  # in use by a running ingest, or already gone
    except OSError as exc:
        raise StorageError(f"无法删除临时文件 {path}：{exc.strerror}；请检查目录权限") from exc
    finally:
        os.close(fd)


def _create_locked(temp_dir: Path) -> tuple[int, Path]:
    """mkstemp + flock, retried if a concurrent cleanup removed the file in between."""
    for _ in range(10):
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=temp_dir)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.path.samestat(os.stat(name), os.fstat(fd)):
                return fd, Path(name)
        except FileNotFoundError:
            pass
        os.close(fd)
    raise OSError(errno.EAGAIN, "临时文件被反复清理", str(temp_dir))


def _read(source: Readable | BinaryIO) -> bytes:
    try:
        return source.read(CHUNK_SIZE)
    except OSError as exc:
        raise InvalidInput(
            f"读取输入失败：{exc.strerror or exc}；请检查源文件或存储介质后重试"
        ) from exc
