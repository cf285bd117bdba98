"""One PATCH of an upload staged in the object store, on whichever node it lands.

The request claims the upload's row at the offset it was sent for (``store.upload_rows``:
one conditional UPDATE, so of two requests at the same offset on two nodes one writes and
the other is told 409, the offset moved, or 423, a request is writing). The claim is a lease
(``Lease``): renewed while bytes arrive and before each part is sent, so a request whose node
died, or whose client stopped sending, holds the upload for ``upload_rows.LEASE`` at most
(then the next PATCH, on any node, takes it over and the old request writes nothing more
that counts). It picks up the
tail a previous PATCH left (bytes short of a part), sends each full part as it fills, and at
its end commits the new offset with the parts' ETags and the new tail, letting the claim go.
A request that does not end well keeps nothing: its parts are not in the committed list and
are sent again (their numbers reused) by the next PATCH; a request cut off without a
checksum keeps what arrived. Running digests are this process's (``upload_staging.HASHES``);
a PATCH that lands where they are not sends its bytes unhashed, and the digests are read
from the completed object once at the end (``shared_uploads``). An upload made at its
content address (the sender announced the SHA-256) cannot be read before it is complete, so
each commit also saves its running SHA-256 in the row (``resumable_sha256``) and a PATCH on
another node goes on from there; only the SM3 is then read from the object at the end.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from liuhen.errors import (
    ChecksumMismatch,
    Conflict,
    InvalidInput,
    StorageError,
    UploadGone,
    UploadLocked,
)
from liuhen.services.av.upload_metadata import UploadInfo
from liuhen.services.av.upload_staging import HASHES, parse_checksum
from liuhen.store import upload_rows as rows
from liuhen.store.blobs.hashing import DualHasher
from liuhen.store.blobs.resumable_sha256 import ResumableSHA256
from liuhen.store.store import Store
from liuhen.store.unit import new_id

if TYPE_CHECKING:  # boto3 is imported only where a bucket is used
    from liuhen.store.blobs.s3_staging import S3Staging

LOCKED = "另一请求正在写入该上传，请稍后查询（HEAD）后续传"
TAKEN_OVER = "本次写入超时，该上传已由另一请求接管：请先查询（HEAD）已收到的字节数再续传"


def claim(store: Store, upload_id: str, offset: int) -> tuple[str, rows.UploadRow]:
    """Hold the upload's row at ``offset``: (the claim's token, the row); 409 when the offset
    is not the upload's, 423 when a request is writing it."""
    token = new_id()
    claimed = rows.claim(store.engine, upload_id, offset, token, store.clock())
    if claimed.row is None:
        raise UploadGone(f"上传 {upload_id} 已不存在（已过期或已终止），请重新上传")
    if not claimed.taken:
        if claimed.reason == "offset":
            raise Conflict(
                f"Upload-Offset: 服务器已收到 {claimed.row.received} 字节，请求从 {offset} 处"
                "续传：请先查询（HEAD）已收到的字节数再续传"
            )
        raise UploadLocked(LOCKED)
    return token, claimed.row


def release(store: Store, upload_id: str, token: str) -> None:
    """Let the claim go, writing nothing else (never raises: the claim also goes stale)."""
    with contextlib.suppress(Exception):
        rows.commit(store.engine, upload_id, token, store.clock())


class Lease:
    """The lease of one claim: renewed by its holder while it works, lost once not renewed
    for ``upload_rows.LEASE`` (then another request may have taken the upload over)."""

    def __init__(self, store: Store, upload_id: str, token: str) -> None:
        self.store, self.upload_id, self.token = store, upload_id, token
        self.renewed = store.clock()

    def renew(self, *, when_due: bool = False) -> None:
        """Renew it (``when_due``: only once ``RENEW`` has passed); 409 when taken over."""
        now = self.store.clock()
        if when_due and now - self.renewed < rows.RENEW:
            return
        if not rows.refresh(self.store.engine, self.upload_id, self.token, now):
            raise Conflict(TAKEN_OVER)
        self.renewed = now

    @contextlib.contextmanager
    def kept(self) -> Iterator[None]:
        """Renewed by a thread of its own while the holder works without bytes arriving
        (completing and ingesting a large file); a node that dies stops renewing it."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(rows.RENEW.total_seconds()):
                try:
                    self.renew()
                except Exception:  # noqa: BLE001  (taken over or unreachable: stop renewing)
                    return

        thread = threading.Thread(target=beat, name="liuhen-upload-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def running_digests(upload_id: str, staging: dict[str, Any], offset: int) -> DualHasher | None:
    """The digests of an upload's first ``offset`` bytes: this process's; else, for an upload
    made at its content address, the SHA-256 its row saved (no SM3); new ones at offset 0;
    None when there are none."""
    held = HASHES.take(upload_id, offset)
    if held is not None:
        return held
    direct = bool(staging.get("address"))
    if offset == 0:
        return DualHasher(sha256=ResumableSHA256() if direct else None)
    saved = staging.get("sha256_state") or {}
    if direct and saved.get("at") == offset:
        sha256 = ResumableSHA256.resume(saved)
        if sha256 is not None:
            return DualHasher(sha256=sha256, sm3=False)
    return None


class SharedPatch:
    """The bytes of one PATCH, sent to the upload's multipart upload part by part."""

    def __init__(
        self,
        store: Store,
        staging: S3Staging,
        info: UploadInfo,
        offset: int,
        checksum: str | None,
    ) -> None:
        self.store, self.staging_area, self.info = store, staging, info
        self.start = self.offset = offset
        self.expected, self.chunk_hash = parse_checksum(checksum)
        self.token, row = claim(store, info.id, offset)
        self.lease = Lease(store, info.id, self.token)
        self.staging: dict[str, Any] = dict(row.staging)
        self.parts: list[list[Any]] = [list(p) for p in self.staging["parts"]]
        self.size = int(self.staging["part_size"])
        self.whole = running_digests(info.id, self.staging, offset)
        self._sender: ThreadPoolExecutor | None = None
        self._in_flight: tuple[Future[str], int, int] | None = None
        try:
            tail = self.staging.get("tail")
            self.buffer = bytearray(staging.get_tail(tail) if tail else b"")
        except BaseException:
            self._drop_whole()
            release(store, info.id, self.token)
            raise

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self.offset + len(data) > self.info.length:
            raise InvalidInput(
                f"Upload-Length: 收到的数据超过声明的文件长度 {self.info.length} 字节"
            )
        self.lease.renew(when_due=True)
        self.buffer += data
        self.offset += len(data)
        if self.chunk_hash is not None:
            self.chunk_hash.update(data)
        if self.whole is not None:
            self.whole.update(data)
        while len(self.buffer) >= self.size:
            self._send(bytes(self.buffer[: self.size]))
            del self.buffer[: self.size]

    def _send(self, data: bytes) -> None:
        """Start sending one part, once the one before it has been sent, and only while the
        claim is this request's (renewed first: a request that lost it sends nothing over
        the parts of the one that took over). The part travels in a thread of its own while
        the next one arrives and is hashed; ``_sent`` waits for it."""
        self._sent()
        self.lease.renew()
        number = len(self.parts) + 1
        key = self.staging.get("key")
        put = self.staging_area.put_part
        if self._sender is None:
            self._sender = ThreadPoolExecutor(1, thread_name_prefix="liuhen-upload-part")
        self._in_flight = (
            self._sender.submit(put, self.info.id, self.staging["s3"], number, data, key=key),
            number,
            len(data),
        )

    def _sent(self) -> None:
        """Wait for the part in flight and list it (its error is this request's)."""
        if self._in_flight is None:
            return
        future, number, size = self._in_flight
        self._in_flight = None
        self.parts.append([number, future.result(), size])

    def _stop_sending(self) -> None:
        """Wait for the part in flight, if any, keeping nothing of it (a request that failed)."""
        with contextlib.suppress(Exception):
            self._sent()
        if self._sender is not None:
            self._sender.shutdown(wait=True)
            self._sender = None

    def close(self, *, cut_off: bool = False, failed: bool = False) -> int:
        """Commit what arrived (or, for a request that failed or whose checksum did not
        hold, nothing of it) and let the claim go; return the offset."""
        mismatch = (
            self.chunk_hash is not None
            and not cut_off
            and not failed
            and self.chunk_hash.digest() != self.expected
        )
        if failed or (self.chunk_hash is not None and (cut_off or mismatch)):
            self.offset = self.start
            self._stop_sending()
            self._drop_whole()
            release(self.store, self.info.id, self.token)
        else:
            try:
                self._commit()
            except BaseException:
                self._stop_sending()
                self._drop_whole()
                release(self.store, self.info.id, self.token)
                raise
            self._stop_sending()
        if mismatch:
            raise ChecksumMismatch(
                f"Upload-Checksum: 本次数据块的校验值不符，已丢弃该块：请从 {self.start} 字节处重传"
            )
        return self.offset

    def _commit(self) -> None:
        staging = self.staging_area
        old_tail = self.staging.get("tail")
        tail = None
        if self.offset == self.start and not self.complete:
            tail = old_tail  # nothing arrived: everything stays as it was
        elif self.complete:
            if self.buffer or not (self.parts or self._in_flight):  # the last may be short
                self._send(bytes(self.buffer))
                self.buffer.clear()
        elif self.buffer:
            tail = staging.tail_key(self.info.id, self.offset)
            staging.put_tail(tail, bytes(self.buffer))
        self._sent()
        state = {**self.staging, "parts": self.parts, "tail": tail}
        if self.staging.get("address"):  # where the next PATCH, on any node, goes on from
            sha256 = self.whole.sha256 if self.whole is not None else None
            saved = sha256.saved() if isinstance(sha256, ResumableSHA256) else None
            state["sha256_state"] = saved and {**saved, "at": self.offset}
        engine, now = self.store.engine, self.store.clock()
        if not rows.commit(
            engine, self.info.id, self.token, now, received=self.offset, staging=state
        ):
            raise Conflict(TAKEN_OVER)
        if old_tail and old_tail != tail:
            with contextlib.suppress(StorageError):
                staging.remove(old_tail)
        if self.whole is not None:
            HASHES.put(self.info.id, self.offset, self.whole)
            self.whole = None

    def _drop_whole(self) -> None:
        if self.whole is not None:
            self.whole.close()
            self.whole = None

    def truncate_to_written(self) -> None:
        """Nothing to undo: what was sent counts only once committed (``close``)."""

    @property
    def complete(self) -> bool:
        return self.offset == self.info.length
