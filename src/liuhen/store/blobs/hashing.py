"""One read pass, two digests: SHA-256 (the blob key) and SM3 (GB/T 32905, kept beside it).

SM3 is several times slower than SHA-256, so by default it runs in a worker thread fed
through a short bounded queue. hashlib releases the GIL on updates larger than 2 KiB, so the
reader (SHA-256, disk writes) overlaps with SM3 and a pass costs about as much as SM3 alone.
The bound keeps memory constant: at most ``MAX_PENDING`` chunks wait for SM3.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from types import TracebackType
from typing import BinaryIO, Protocol

CHUNK_SIZE = 1 << 20
"""Bytes per read: large enough that hashlib releases the GIL, small enough to stay cheap."""

MAX_PENDING = 4
"""Chunks queued for the SM3 worker before the reader waits (memory ~ MAX_PENDING chunks)."""


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class DualHasher:
    """SHA-256 and SM3 of one byte stream; ``hexdigests()`` finishes it.

    Chunks are kept (not copied) while they wait for SM3, so pass immutable ``bytes`` or
    do not change the buffer afterwards; other buffer types are copied once.
    Use it as a context manager, or call ``close()``, when a pass may be abandoned.
    """

    def __init__(
        self, *, threaded: bool = True, sha256: Digest | None = None, sm3: bool = True
    ) -> None:
        """``sha256``: a running SHA-256 to continue (``resumable_sha256``); ``sm3=False``:
        the SM3 is not computed (a prefix this process never saw), ``hexdigests`` gives ""."""
        self.sha256: Digest = sha256 if sha256 is not None else hashlib.sha256()
        self._sm3 = hashlib.new("sm3") if sm3 else None
        self._threaded = threaded
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=MAX_PENDING)
        self._worker: threading.Thread | None = None
        self._result: tuple[str, str] | None = None
        self.size = 0

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        if self._result is not None:
            raise RuntimeError("DualHasher.update() after hexdigests()")
        data = chunk if isinstance(chunk, bytes) else bytes(chunk)
        if not data:
            return
        self.size += len(data)
        if self._sm3 is None:
            self.sha256.update(data)
            return
        if not self._threaded:
            self.sha256.update(data)
            self._sm3.update(data)
            return
        if self._worker is None:
            self._worker = threading.Thread(target=self._run_sm3, name="sm3", daemon=True)
            self._worker.start()
        self._queue.put(data)
        self.sha256.update(data)

    def hexdigests(self) -> tuple[str, str]:
        """(sha256, sm3) as lowercase hex; may be called again, returns the same pair."""
        if self._result is None:
            self._stop_worker()
            sm3 = self._sm3.hexdigest() if self._sm3 is not None else ""
            self._result = (self.sha256.hexdigest(), sm3)
        return self._result

    def close(self) -> None:
        """Stop the worker thread; the hasher is unusable afterwards unless finished."""
        self._stop_worker()

    def __enter__(self) -> DualHasher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run_sm3(self) -> None:
        assert self._sm3 is not None
        while (data := self._queue.get()) is not None:
            self._sm3.update(data)

    def _stop_worker(self) -> None:
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join()
            self._worker = None


def hash_stream(fileobj: Readable | BinaryIO, chunk_size: int = CHUNK_SIZE) -> tuple[str, str, int]:
    """Read ``fileobj`` to its end once; return (sha256, sm3, size)."""
    with DualHasher() as hasher:
        while chunk := fileobj.read(chunk_size):
            hasher.update(chunk)
        sha256, sm3 = hasher.hexdigests()
        return sha256, sm3, hasher.size
