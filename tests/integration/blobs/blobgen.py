"""Deterministic pseudo-random streams of any length, and child-process entry points.

``blocks(total)`` yields 1 MiB blocks (a fixed random buffer whose first 8 bytes are the
block counter) without holding more than one; ``GeneratedStream`` serves the same bytes
through ``read(n)``. Run as a script, this module is the child process of the tests that
must measure memory, hit a file-size limit, or be killed mid-ingest:

    python blobgen.py stream ROOT SIZE          ingest SIZE bytes, print JSON with peak RSS
    python blobgen.py fsize-limit ROOT SIZE LIMIT   ingest under RLIMIT_FSIZE, print the error
    python blobgen.py endless ROOT              ingest a never-ending stream (to be killed)
"""

from __future__ import annotations

import json
import random
import resource
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BLOCK = 1 << 20
_BASE = random.Random(20240611).randbytes(BLOCK)


def block(index: int) -> bytes:
    return index.to_bytes(8, "little") + _BASE[8:]


def blocks(total: int) -> Iterator[bytes]:
    index, left = 0, total
    while left > 0:
        data = block(index)[:left]
        left -= len(data)
        index += 1
        yield data


class GeneratedStream:
    """A read-only file-like object over ``blocks(total)``; ``total=None`` never ends."""

    def __init__(self, total: int | None, *, delay: float = 0.0) -> None:
        self.total = total
        self.delay = delay
        self.position = 0
        self._index = 0
        self._pending = memoryview(b"")

    def read(self, n: int = -1) -> bytes:
        if self.total is not None and self.position >= self.total:
            return b""
        if not self._pending:
            if self.delay:
                time.sleep(self.delay)
            self._pending = memoryview(block(self._index))
            self._index += 1
        take = len(self._pending) if n is None or n < 0 else min(n, len(self._pending))
        if self.total is not None:
            take = min(take, self.total - self.position)
        out = bytes(self._pending[:take])
        self._pending = self._pending[take:]
        self.position += take
        return out


def _peak_rss_kib() -> int:
    """This process's own high-water mark. Linux keeps ru_maxrss across execve, so a child
    of a big pytest process would report the parent's size; VmHWM belongs to this image."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _main(argv: list[str]) -> None:
    from liuhen.errors import StorageError
    from liuhen.store.blobs.local import LocalBlobStore

    mode, store = argv[0], LocalBlobStore(Path(argv[1]))
    if mode == "stream":
        start = time.perf_counter()
        info = store.ingest(GeneratedStream(int(argv[2])))
        peak_kib = _peak_rss_kib()
        out = {"sha256": info.sha256, "sm3": info.sm3, "size": info.size, "peak_rss_kib": peak_kib}
        print(json.dumps(out | {"seconds": time.perf_counter() - start}))
    elif mode == "fsize-limit":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit gets EFBIG
        limit = int(argv[3])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        try:
            store.ingest(GeneratedStream(int(argv[2])))
        except StorageError as exc:
            print(json.dumps({"error": type(exc).__name__, "message": exc.message}))
        else:
            print(json.dumps({"error": None}))
    elif mode == "endless":
        store.ingest(GeneratedStream(None, delay=0.01))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    _main(sys.argv[1:])
