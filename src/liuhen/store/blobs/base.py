"""What every blob store offers the service layer: content-addressed, write-once bytes.

A blob's key is the lowercase hex SHA-256 of its content; its SM3 is kept beside it. A
store never overwrites a blob: ingesting bytes it already holds reports ``created=False``.
The caller commits the database row only after ``ingest`` has returned, so a crash leaves
either no blob or a complete one that no row points at yet; the store keeps a marker of
each such blob until its row commits (``pending``), and the next start removes the ones
whose row never came (``recover_pending``).
"""

from __future__ import annotations

import os
import re
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from liuhen.errors import InvalidInput

Progress = Callable[[int], None]
"""Called after each chunk with the number of bytes read since the previous call."""

_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    sm3: str
    size: int
    created: bool
    """False when the store already held these bytes and nothing new was written."""


@dataclass(frozen=True)
class StoredObject:
    """One object as the store lists it: its key, length and when it was last written."""

    sha256: str
    size: int
    modified: float
    """POSIX seconds: the file's mtime, the object's Last-Modified."""


def check_key(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex digits, else raise ``InvalidInput``."""
    if not isinstance(sha256, str) or not _KEY.fullmatch(sha256):
        raise InvalidInput(f"{sha256!r} 不是有效的 SHA-256 值：应为 64 位小写十六进制字符")
    return sha256


def is_key(name: str) -> bool:
    return _KEY.fullmatch(name) is not None


def check_range(start: int, end_inclusive: int) -> None:
    if start < 0 or end_inclusive < start:
        raise InvalidInput(f"读取范围 {start}-{end_inclusive} 无效：起点应不小于 0 且不大于终点")


class BlobStore(ABC):
    """Content-addressed storage of media and documents (local directory or S3)."""

    @abstractmethod
    def ingest(self, source: BinaryIO, *, progress: Progress | None = None) -> BlobInfo:
        """Read ``source`` to its end once, in constant memory, and store it durably."""

    def ingest_path(self, path: Path, *, progress: Progress | None = None) -> BlobInfo:
        """Ingest a regular file; ``InvalidInput`` naming the path if it cannot be read."""
        path = Path(path)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise InvalidInput(f"文件 {path} 不存在：请检查路径后重试") from None
        except OSError as exc:
            raise InvalidInput(f"无法访问文件 {path}：{exc.strerror}；请检查路径和权限") from None
        if stat.S_ISDIR(st.st_mode):
            raise InvalidInput(f"{path} 是目录，不是文件：请选择目录中的具体文件")
        if not stat.S_ISREG(st.st_mode):
            raise InvalidInput(f"{path} 不是普通文件（可能是设备或管道）：请选择普通文件")
        try:
            source = open(path, "rb")
        except OSError as exc:
            raise InvalidInput(f"无法读取文件 {path}：{exc.strerror}；请检查文件权限") from None
        with source:
            return self.ingest(source, progress=progress)

    def adopt_path(
        self, path: Path, digests: tuple[str, str], *, progress: Progress | None = None
    ) -> BlobInfo:
        """Store the finished, fsynced file ``path`` whose (sha256, sm3) were computed while
        it was written (a resumable upload's staged file), without reading it again where
        the store can take the file as it is (``LocalBlobStore``: a hard link). The file is
        left where it was. This default ingests a copy and checks the digests agree."""
        info = self.ingest_path(path, progress=progress)
        if (info.sha256, info.sm3) != digests:
            from liuhen.errors import StorageError

            raise StorageError(
                f"暂存文件 {path.name} 入库时的摘要 {info.sha256} 与接收时计算的 "
                f"{digests[0]} 不符：暂存文件在接收后被改动，请重新上传"
            )
        return info

    def shared_log(self) -> Any:
        """The checkpoint log every node writes when the store is shared by several (S3:
        an ``ObjectLog``); None: the data directory's ``checkpoints.jsonl``."""
        return None

    def staging(self) -> Any:
        """Where resumable uploads are staged when the store holds them itself (S3: an
        ``S3Staging``, shared by every node); None: in the node's data directory."""
        return None

    def adopts_from(self, folder: Path) -> bool:
        """True when ``adopt_path`` takes a file in ``folder`` without a second copy."""
        return False

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def size(self, sha256: str) -> int:
        """Size in bytes; ``NotFound`` if absent."""

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A streaming reader (close it); ``NotFound`` if absent."""

    @abstractmethod
    def read_range(self, sha256: str, start: int, end_inclusive: int) -> Iterator[bytes]:
        """Bytes ``start..end_inclusive`` in chunks, for HTTP range requests.

        An end past the last byte is clamped (as HTTP does); a start at or past the end of
        the blob raises ``InvalidInput``; ``NotFound`` if absent.
        """

    @abstractmethod
    def rehash(self, sha256: str) -> tuple[str, str, int]:
        """Re-read the stored bytes: (sha256, sm3, size), for verification and fixity."""

    def iter_keys(self) -> Iterator[str]:
        """Every stored key, in ascending order."""
        return (o.sha256 for o in self.iter_objects())

    @abstractmethod
    def iter_objects(self) -> Iterator[StoredObject]:
        """Every stored object with its length and last write, by key in ascending order."""

    @abstractmethod
    def stat(self, sha256: str) -> StoredObject | None:
        """The stored object ``sha256`` as ``iter_objects`` lists it; None if absent."""

    @abstractmethod
    def location(self, sha256: str) -> str:
        """Where the object is, for people: a file path or an object key."""

    @abstractmethod
    def delete(self, sha256: str) -> None:
        """Remove a blob. Only approved disposal may call this; ``NotFound`` if absent."""

    @abstractmethod
    def cleanup_temp(self) -> int:
        """Remove temp files left by interrupted ingests; return how many were removed.

        Temp files of ingests still running (in any process) are left alone.
        """

    @abstractmethod
    def stale_temp(self, older_than: float) -> list[tuple[Path, float]]:
        """(path, age in seconds) of temp files not written to for ``older_than`` seconds:
        what ``cleanup_temp`` would remove, seen without removing it."""

    @abstractmethod
    def settle(self, keys: Iterable[str]) -> None:
        """The rows of ``keys`` have committed: the blobs are registered (``pending``)."""

    @abstractmethod
    def recover_pending(self, registered: Callable[[str], bool]) -> list[str]:
        """After a crash: remove the blobs put in place by ingests that died before their row
        committed (not ``registered``); return their keys. Ingests still running are left."""

    @abstractmethod
    def pending_leftovers(self, older_than: float) -> list[tuple[str, float]]:
        """(key, age in seconds) of blobs of dead ingests not yet recovered, older than
        ``older_than`` seconds; reads only."""

    @abstractmethod
    def marker_held(self, sha256: str) -> bool | None:
        """The blob's ``pending`` marker: None when there is none, True when a live ingest
        holds it (its row may be about to commit), False when nobody does (a crash's)."""

    @abstractmethod
    def collecting(self, sha256: str) -> AbstractContextManager[bool]:
        """For ``liuhen gc``: hold the blob's marker exclusively (made if missing) while the
        caller decides and deletes; the value is False when a live ingest holds it (leave the
        blob alone). An ingest in this process or another one on the node waits meanwhile and
        finds the blob gone or kept; the marker goes on exit."""

    @abstractmethod
    def describe(self) -> str:
        """Where the blobs live, for people (a directory or an S3 location)."""
