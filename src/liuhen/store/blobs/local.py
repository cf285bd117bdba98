"""Blobs in a local directory: ``root/sha256/ab/cd/<64-hex>``, temp files in ``root/tmp/``,
markers of blobs not yet registered in ``root/pending/`` (``pending``).

An ingest writes and fsyncs a temp file, makes it read-only, renames it into place and
fsyncs the directory, so a crash at any point leaves either no blob or a complete one; a
complete one whose row never committed is removed at the next start (``recover_pending``).
Stored files are never rewritten; only approved disposal and that recovery delete them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from liuhen.errors import InvalidInput, NotFound, StorageError
from liuhen.store.blobs.base import (
    BlobInfo,
    BlobStore,
    Progress,
    StoredObject,
    check_key,
    check_range,
    is_key,
)
from liuhen.store.blobs.hashing import CHUNK_SIZE, hash_stream
from liuhen.store.blobs.pending import PendingBlobs
from liuhen.store.blobs.spool import TempBlob, cleanup, fsync_dir, stale, storage_error

READ_ONLY = 0o444


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.blob_dir = self.root / "sha256"
        self.temp_dir = self.root / "tmp"
        self.pending = PendingBlobs(self.root / "pending")

    def path_for(self, sha256: str) -> Path:
        check_key(sha256)
        return self.blob_dir / sha256[:2] / sha256[2:4] / sha256

    def ingest(self, source: BinaryIO, *, progress: Progress | None = None) -> BlobInfo:
        with TempBlob(self.temp_dir, durable=True) as temp:
            sha256, sm3, size = temp.fill(source, progress)
            dest = self.path_for(sha256)

            def put() -> None:
                self._make_dirs(dest.parent)
                temp.move_to(dest, mode=READ_ONLY)
                fsync_dir(dest.parent)

            try:
                created = self.pending.place(sha256, lambda: self._stored(dest), put)
                if not created:
                    self._check_same_size(dest, size)
            except OSError as exc:
                raise storage_error(exc, dest) from exc
        return BlobInfo(sha256, sm3, size, created=created)

    def adopt_path(
        self, path: Path, digests: tuple[str, str], *, progress: Progress | None = None
    ) -> BlobInfo:
        """A hard link of the staged file into place: no byte is copied or read again. The
        file is made read-only (the link shares it); on another filesystem, a copy."""
        sha256, sm3 = digests
        dest = self.path_for(sha256)
        if not self.adopts_from(path.parent):
            return super().adopt_path(path, digests, progress=progress)
        try:
            size = os.stat(path).st_size

            def put() -> None:
                self._make_dirs(dest.parent)
                os.chmod(path, READ_ONLY)
                _link_durably(path, dest)

            created = self.pending.place(sha256, lambda: self._stored(dest), put)
            if not created:
                self._check_same_size(dest, size)
        except OSError as exc:
            raise storage_error(exc, dest) from exc
        if progress is not None:
            progress(size)
        return BlobInfo(sha256, sm3, size, created=created)

    def adopts_from(self, folder: Path) -> bool:
        """Same filesystem as the blob directory: a hard link takes the file."""
        try:
            return (
                os.stat(self._existing(folder)).st_dev == os.stat(self._existing(self.root)).st_dev
            )
        except OSError:
            return False

    def exists(self, sha256: str) -> bool:
        return self._stored_size(self.path_for(sha256)) is not None

    def size(self, sha256: str) -> int:
        size = self._stored_size(self.path_for(sha256))
        if size is None:
            raise self._not_found(sha256)
        return size

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path_for(sha256), "rb")
        except FileNotFoundError:
            raise self._not_found(sha256) from None
        except OSError as exc:
            raise self._read_error(sha256, exc) from exc

    def read_range(self, sha256: str, start: int, end_inclusive: int) -> Iterator[bytes]:
        check_range(start, end_inclusive)
        size = self.size(sha256)
        if start >= size:
            raise InvalidInput(f"读取范围起点 {start} 超出文件长度 {size}")
        return self._iter_range(sha256, start, min(end_inclusive, size - 1))

    def rehash(self, sha256: str) -> tuple[str, str, int]:
        with self.open(sha256) as f:
            try:
                return hash_stream(f)
            except OSError as exc:
                raise self._read_error(sha256, exc) from exc

    def iter_keys(self) -> Iterator[str]:
        return (entry.name for entry in self._entries())

    def iter_objects(self) -> Iterator[StoredObject]:
        for entry in self._entries():
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue  # removed while listed
            yield StoredObject(entry.name, st.st_size, st.st_mtime)

    def stat(self, sha256: str) -> StoredObject | None:
        path = self.path_for(sha256)
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"无法访问 {path}：{exc.strerror}；请检查存储目录权限") from exc
        return StoredObject(sha256, st.st_size, st.st_mtime)

    def location(self, sha256: str) -> str:
        return str(self.path_for(sha256))

    def delete(self, sha256: str) -> None:
        path = self.path_for(sha256)
        try:
            os.chmod(path, 0o600)
            os.unlink(path)
            fsync_dir(path.parent)
        except FileNotFoundError:
            raise self._not_found(sha256) from None
        except OSError as exc:
            raise StorageError(f"无法删除 {path}：{exc.strerror}；请检查目录权限") from exc

    def cleanup_temp(self) -> int:
        return cleanup(self.temp_dir)

    def stale_temp(self, older_than: float) -> list[tuple[Path, float]]:
        return stale(self.temp_dir, older_than)

    def settle(self, keys: Iterable[str]) -> None:
        self.pending.settle(keys)

    def recover_pending(self, registered: Callable[[str], bool]) -> list[str]:
        return self.pending.recover(registered, self._remove_orphan)

    def pending_leftovers(self, older_than: float) -> list[tuple[str, float]]:
        return self.pending.unheld(older_than)

    def marker_held(self, sha256: str) -> bool | None:
        return self.pending.held(check_key(sha256))

    def collecting(self, sha256: str) -> AbstractContextManager[bool]:
        return self.pending.taken(check_key(sha256))

    def describe(self) -> str:
        return str(self.root)

    # -- helpers ---------------------------------------------------------------------
    def _entries(self) -> Iterator[os.DirEntry[str]]:
        """The blob files, by key in ascending order."""
        for first in _sorted_dirs(self.blob_dir):
            for second in _sorted_dirs(first):
                prefix = first.name + second.name
                for entry in sorted(os.scandir(second), key=lambda e: e.name):
                    if is_key(entry.name) and entry.name.startswith(prefix):
                        yield entry

    def _remove_orphan(self, sha256: str) -> bool:
        try:
            self.delete(sha256)
        except NotFound:
            return False
        return True

    def _stored(self, path: Path) -> bool:
        return self._stored_size(path) is not None

    def _iter_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        with self.open(sha256) as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = f.read(min(CHUNK_SIZE, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk

    def _stored_size(self, path: Path) -> int | None:
        try:
            return path.stat().st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"无法访问 {path}：{exc.strerror}；请检查存储目录权限") from exc

    def _check_same_size(self, path: Path, size: int) -> None:
        stored = path.stat().st_size
        if stored != size:
            raise StorageError(
                f"已存储的 {path} 长度为 {stored} 字节，与相同摘要的新内容（{size} 字节）不符，"
                "可能已被篡改：未覆盖原文件，请运行 liuhen fixity 核查"
            )

    def _existing(self, directory: Path) -> Path:
        """``directory`` or its nearest existing parent (for the filesystem it is on)."""
        while not directory.exists() and directory != directory.parent:
            directory = directory.parent
        return directory

    def _make_dirs(self, directory: Path) -> None:
        """Create missing directories, fsyncing each parent so the entries survive a crash."""
        missing: list[Path] = []
        while not directory.is_dir():
            missing.append(directory)
            directory = directory.parent
        for path in reversed(missing):
            try:
                path.mkdir()
            except FileExistsError:
                continue
            fsync_dir(path.parent)

    def _not_found(self, sha256: str) -> NotFound:
        return NotFound(
            f"存储 {self.describe()} 中没有摘要为 {sha256} 的文件：它可能已按审批销毁，"
            "或存储位置（LIUHEN_STORE_URL）设置有误"
        )

    def _read_error(self, sha256: str, exc: OSError) -> StorageError:
        return StorageError(
            f"读取 {self.path_for(sha256)} 失败：{exc.strerror or exc}；请检查磁盘后重试"
        )


def _sorted_dirs(path: Path) -> list[Path]:
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    return [Path(e.path) for e in entries if e.is_dir() and len(e.name) == 2]


def _link_durably(path: Path, dest: Path) -> None:
    """Hard-link ``path`` at ``dest`` and fsync the directory, so the entry survives a crash."""
    os.link(path, dest)
    fd = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
