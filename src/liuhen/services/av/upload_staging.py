"""The pieces of a resumable upload below the protocol: metadata, safe names, free disk,
and one PATCH writing straight to the staged file under its lock (``Patch``).

See ``services.av.uploads`` for the whole picture.

Import cycle (type hints only): with ``liuhen.services.av.uploads``: staging is the upload's own storage.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liuhen.config import Settings
from liuhen.errors import (
    ChecksumMismatch,
    Conflict,
    InvalidInput,
    StorageError,
    UploadGone,
    UploadLocked,
)
from liuhen.media.naming import safe_name
from liuhen.store.blobs.hashing import DualHasher
from liuhen.store.blobs.spool import storage_error

if TYPE_CHECKING:
    from liuhen.services.av.upload_metadata import UploadInfo
    from liuhen.services.av.uploads import Uploads

CHECKSUMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}
MAX_NAME_BYTES = 240
CHUNK = 1 << 20


def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata: key base64,key2 base64`` as a dict of UTF-8 strings."""
    out: dict[str, str] = {}
    for part in (header or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, _, value = part.partition(" ")
        try:
            text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput(
                f"Upload-Metadata: {key} 的值不是 Base64 编码的 UTF-8 文本"
            ) from None
        out[key] = text
    return out


def encode_metadata(values: dict[str, str]) -> str:
    return ",".join(
        f"{k} {base64.b64encode(v.encode('utf-8')).decode('ascii')}" for k, v in values.items()
    )


def staged_name(raw: str) -> tuple[str, list[str]]:
    """A name safe to create in the staging directory, and what was changed about it.

    Path separators become ``_`` (the name never picks a directory), control characters are
    escaped (``safe_name``), and a name longer than the file system allows is shortened,
    keeping its extension.
    """
    warnings: list[str] = []
    name = raw.strip()
    if "/" in name or "\\" in name:
        name = name.replace("/", "_").replace("\\", "_")
        warnings.append("文件名中的路径分隔符（/ 或 \\）已替换为 _")
    escaped = safe_name(name)
    if escaped != name:
        warnings.append(f"文件名含控制字符，已转义保存为 {escaped}")
    name = escaped
    if not name.strip(". "):
        raise InvalidInput("filename: 文件名为空或只有点号，请提供原始文件名")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext.encode("utf-8")) <= 16 else ""
        stem = stem if ext else name
        while len((stem + "…" + (f".{ext}" if ext else "")).encode("utf-8")) > MAX_NAME_BYTES:
            stem = stem[:-1]
        short = stem + "…" + (f".{ext}" if ext else "")
        warnings.append(f"文件名过长（超过 {MAX_NAME_BYTES} 字节），已截短为 {short}")
        name = short
    return name, warnings


class _HashCache:
    """Running digests (SHA-256 + SM3, ``DualHasher``) by upload, valid only at the offset
    they were taken at. hashlib states cannot be saved, so they live in this process: a
    PATCH served by another process (or after a restart) hashes the staged prefix again."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[str, tuple[int, DualHasher]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def take(self, upload_id: str, offset: int) -> DualHasher | None:
        with self._lock:
            item = self._items.pop(upload_id, None)
        if item is not None and item[0] != offset:
            item[1].close()
            return None
        return item[1] if item is not None else None

    def put(self, upload_id: str, offset: int, state: DualHasher) -> None:
        with self._lock:
            old = self._items.pop(upload_id, None)
            self._items[upload_id] = (offset, state)
            evicted = [
                self._items.popitem(last=False)[1] for _ in range(len(self._items) - self._size)
            ]
        for _, hasher in ([old] if old is not None and old[1] is not state else []) + evicted:
            hasher.close()

    def drop(self, upload_id: str) -> None:
        with self._lock:
            item = self._items.pop(upload_id, None)
        if item is not None:
            item[1].close()


HASHES = _HashCache()


def parse_checksum(header: str | None) -> tuple[bytes | None, Any]:
    """``Upload-Checksum: <algorithm> <base64>``: the digest expected of the request's body
    and a hasher to compare it with; (None, None) without the header."""
    if not header:
        return None, None
    algo, _, value = header.strip().partition(" ")
    if algo.lower() not in CHECKSUMS:
        raise InvalidInput(f"Upload-Checksum: 不支持的算法 {algo}，可用：{', '.join(CHECKSUMS)}")
    try:
        expected = base64.b64decode(value.strip(), validate=True)
    except binascii.Error:
        raise InvalidInput("Upload-Checksum: 校验值应为 Base64 编码") from None
    return expected, CHECKSUMS[algo.lower()]()


class Patch:
    """One PATCH request: bytes at ``offset`` appended to the staged file, under its lock."""

    def __init__(
        self, uploads: Uploads, info: UploadInfo, offset: int, current: int, checksum: str | None
    ) -> None:
        self.uploads, self.info = uploads, info
        self.start = self.offset = offset
        self.expected, self.chunk_hash = parse_checksum(checksum)
        path = uploads.part_path(info.id)
        # all received (the answer to the last PATCH was lost): nothing to write, and the
        # file may already be a read-only link of the stored blob (``adopt_path``)
        mode = os.O_RDONLY if offset == info.length else os.O_WRONLY
        self.whole: DualHasher | None = None
        try:
            self.fd = os.open(path, mode)
        except FileNotFoundError:
            raise UploadGone(f"上传 {info.id} 的暂存文件已不存在，请重新上传") from None
        try:
            _lock(self.fd)
            current = os.fstat(self.fd).st_size  # the offset, now that nobody else writes
            if offset != current:
                raise Conflict(
                    f"Upload-Offset: 服务器已收到 {current} 字节，请求从 {offset} 处续传："
                    "请先查询（HEAD）已收到的字节数再续传"
                )
            self.whole = HASHES.take(info.id, offset) or hash_prefix(path, offset)
        except BaseException:
            if self.whole is not None:
                self.whole.close()
            os.close(self.fd)
            raise

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self.offset + len(data) > self.info.length:
            raise InvalidInput(
                f"Upload-Length: 收到的数据超过声明的文件长度 {self.info.length} 字节"
            )
        view = memoryview(data)
        try:
            while view:
                n = os.pwrite(self.fd, view, self.offset)
                self.offset += n
                if self.chunk_hash is not None:
                    self.chunk_hash.update(view[:n])
                view = view[n:]
        except OSError as exc:
            self._drop_whole()  # it no longer matches the file: hashed again next time
            raise storage_error(exc, f"上传暂存文件（已收到 {self.offset} 字节）") from exc
        if self.whole is not None:
            self.whole.update(data)

    def close(self, *, cut_off: bool = False, failed: bool = False) -> int:
        """Keep what arrived (fsynced) or, for a checksummed request that did not end well,
        nothing of it; release the lock; return the offset."""
        try:
            mismatch = (
                self.chunk_hash is not None
                and not cut_off
                and not failed
                and self.chunk_hash.digest() != self.expected
            )
            discard = self.chunk_hash is not None and (cut_off or failed or mismatch)
            if discard:
                if self.offset != self.start:
                    os.ftruncate(self.fd, self.start)
                self.offset = self.start
                self._drop_whole()
            try:
                os.fsync(self.fd)
            except OSError as exc:
                self._drop_whole()
                raise storage_error(exc, "上传暂存文件") from exc
            if self.whole is not None:
                HASHES.put(self.info.id, self.offset, self.whole)
                self.whole = None
            if self.offset != self.start:
                self.uploads.touch(self.info)
            if mismatch:
                raise ChecksumMismatch(
                    "Upload-Checksum: 本次数据块的校验值不符，已丢弃该块：请从 "
                    f"{self.start} 字节处重传"
                )
            return self.offset
        finally:
            os.close(self.fd)

    def _drop_whole(self) -> None:
        if self.whole is not None:
            self.whole.close()
            self.whole = None

    def truncate_to_written(self) -> None:
        """After a failed write, make the file end where the last whole write ended."""
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, self.offset)

    @property
    def complete(self) -> bool:
        return self.offset == self.info.length


def _lock(fd: int, *, wait: bool = False) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise UploadLocked("另一请求正在写入该上传，请稍后查询（HEAD）后续传") from None
        raise


@contextlib.contextmanager
def new_part(path: Path) -> Iterator[None]:
    """Create the empty part file of a new upload and hold its lock for the block (the info
    and the start event are written there), so a start running beside it leaves it alone
    (``upload_recovery``)."""
    for _ in range(10):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError as exc:
            raise storage_error(exc, path.parent) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _still_there(path, fd):
                yield
                return
        finally:
            os.close(fd)
        # taken by a start's clean-up between the two calls: make it again
    raise StorageError(f"无法创建上传暂存文件 {path.name}：反复被清理，请稍后重试")


def _still_there(path: Path, fd: int) -> bool:
    try:
        return os.path.samestat(os.stat(path), os.fstat(fd))
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def held(path: Path | None) -> Iterator[bool]:
    """Hold ``path``'s lock without waiting: True when held (or there is no file to hold),
    False when a request is writing or ingesting it, or it has just gone."""
    if path is None:
        yield True
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            yield False
            return
        yield True
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = False):  # type: ignore[no-untyped-def]
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield -1
        return
    try:
        _lock(fd, wait=wait)
        yield fd
    finally:
        os.close(fd)


def hash_prefix(path: Path, length: int) -> DualHasher:
    """The running digests of the first ``length`` bytes of the staged file (after a
    restart, or a PATCH served by another process)."""
    digest = DualHasher()
    try:
        with open(path, "rb", buffering=0) as f:
            done = 0
            while done < length:
                chunk = f.read(min(CHUNK, length - done))
                if not chunk:
                    raise StorageError("上传暂存文件比记录的短：请重新上传")
                digest.update(chunk)
                done += len(chunk)
    except BaseException:
        digest.close()
        raise
    return digest


def require_space(settings: Settings, length: int, *, copies: int, field: str) -> None:
    """Refuse (507) before a byte is written when the disk cannot hold ``copies`` of
    ``length`` bytes plus the configured reserve (``LIUHEN_UPLOAD_RESERVE_MB``)."""
    target = settings.data_dir
    while not target.exists():
        target = target.parent
    free = shutil.disk_usage(target).free
    reserve = settings.upload_reserve_mb * 1024 * 1024
    need = copies * length + reserve
    if free < need:
        how = "暂存与入库各一份，" if copies == 2 else ""
        raise StorageError(
            f"{field}: 服务器磁盘剩余空间不足，未接收：{human(length)} 的文件需要约 "
            f"{human(need)}（{how}另保留 {human(reserve)}），当前可用 "
            f"{human(free)}。请联系管理员清理或扩容后再试"
        )


def human(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} 字节"
