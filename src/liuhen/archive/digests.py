"""SHA-256 and SM3 of a file in one read, on any machine that may verify a package.

The server side always has SM3 in ``hashlib`` (OpenSSL 3); a court clerk's Python may not,
so reading falls back to the SM3 of ``cryptography`` (its own OpenSSL build) when
``hashlib.new("sm3")`` is refused. Either way the file is read once, in 1 MiB chunks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from liuhen.store.blobs.hashing import CHUNK_SIZE, DualHasher

Progress = Callable[[int], None]


def hashlib_has_sm3() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


class _CryptographySm3:
    def __init__(self) -> None:
        from cryptography.hazmat.primitives import hashes

        self._hash: Any = hashes.Hash(hashes.SM3())

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return bytes(self._hash.finalize()).hex()


def file_digests(path: Path, progress: Progress | None = None) -> tuple[str, str, int]:
    """(sha256, sm3, size) of the file at ``path``."""
    with open(path, "rb") as f:
        if hashlib_has_sm3():
            with DualHasher() as hasher:
                while chunk := f.read(CHUNK_SIZE):
                    hasher.update(chunk)
                    if progress:
                        progress(len(chunk))
                sha256, sm3 = hasher.hexdigests()
                return sha256, sm3, hasher.size
        sha = hashlib.sha256()
        sm = _CryptographySm3()
        size = 0
        while chunk := f.read(CHUNK_SIZE):
            sha.update(chunk)
            sm.update(chunk)
            size += len(chunk)
            if progress:
                progress(len(chunk))
        return sha.hexdigest(), sm.hexdigest(), size


def bytes_digests(data: bytes) -> tuple[str, str]:
    """(sha256, sm3) of ``data``."""
    try:
        sm3 = hashlib.new("sm3", data).hexdigest()
    except ValueError:
        fallback = _CryptographySm3()
        fallback.update(data)
        sm3 = fallback.hexdigest()
    return hashlib.sha256(data).hexdigest(), sm3
