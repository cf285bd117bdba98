"""The Merkle tree of the events' recomputed leaves, held in flat memory whatever its size.

``verify`` recomputes every leaf and then asks the tree for the root at each signed size
and for the nodes each stored tile must hold. Kept whole in memory that is 64 bytes an
event (640 MB at ten million). Here the leaves go to an unlinked temporary file, written
in order, and only the complete subtrees of 16 leaves and above stay in memory (1/8 of
it: 40 MB at ten million): a node lower than that is folded from at most 8 leaves read
back from the file. Roots are not remembered: a copy of a checkpoint the database holds
is compared with it, not with the tree (``signed_index``), and a map of every size signed
grew with the checkpoints.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from typing import Any

from liuhen.ledger.merkle import HASH_SIZE, MerkleHashes, MerkleTree, pair_up
from liuhen.ledger.tiles import TILE_HEIGHT

LOW = 4
"""Nodes below this height are folded from the leaves when asked for, not kept."""
_BLOCK = (1 << LOW) * HASH_SIZE
_FLUSH = 1 << 20


class RecomputedTree(MerkleHashes):
    """Append leaves in order (``append``); then ask for roots, proofs and ``nodes``."""

    def __init__(self, directory: str | None = None) -> None:
        self._directory = directory
        self._file: Any = None  # made at the first flush: a tree never filled makes none
        self._written = 0  # bytes of leaves in the file
        self._pending = bytearray()  # leaves not yet in the file
        self._block = bytearray()  # the leaves of the block of 16 being filled
        self._upper = MerkleTree()  # height LOW and above: one leaf a full block
        self._size = 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        self._pending += leaf
        self._block += leaf
        self._size += 1
        if len(self._block) == _BLOCK:
            self._upper.append(_fold(self._block))
            self._block = bytearray()
        if len(self._pending) >= _FLUSH:
            self._flush()

    def extend(self, leaves: list[bytes] | bytes) -> None:
        """``append`` each of ``leaves`` (32-byte hashes, or their concatenation), the
        complete blocks of 16 among them folded level by level across all of them at once."""
        if not leaves:
            return
        data = leaves if isinstance(leaves, bytes) else b"".join(leaves)
        if len(data) % HASH_SIZE:
            raise ValueError("leaves are 32-byte hashes")
        self._pending += data
        self._size += len(data) // HASH_SIZE
        block = self._block + data
        full = len(block) - len(block) % _BLOCK
        self._block = block[full:]
        if full:
            level = bytes(block[:full])
            sha256, step = hashlib.sha256, 2 * HASH_SIZE
            for _ in range(LOW):  # pairs never straddle two blocks: each is 16 aligned leaves
                level = b"".join(
                    [
                        sha256(b"\x01" + level[i : i + step]).digest()
                        for i in range(0, len(level), step)
                    ]
                )
            upper = self._upper
            for i in range(0, len(level), HASH_SIZE):
                upper.append(level[i : i + HASH_SIZE])
        if len(self._pending) >= _FLUSH:
            self._flush()

    def nodes(self, height: int, first: int, count: int) -> bytes:
        """The hashes of the complete subtrees of ``height`` at positions ``first`` …
        ``first + count - 1``, concatenated (fewer where the tree has fewer), for ``height``
        0 or a multiple of 8 (what the stored tiles hold: ``TILE_HEIGHT``)."""
        if height >= LOW:
            return self._upper.nodes(height - LOW, first, count)
        if height % TILE_HEIGHT:
            raise ValueError("nodes() answers for the heights the tiles hold")
        end = min(first + count, self._size)
        return self._leaves(first, end) if end > first else b""

    def _node(self, height: int, position: int) -> bytes:
        if height >= LOW:
            return self._upper.nodes(height - LOW, position, 1)
        lo = position << height
        return _fold(bytearray(self._leaves(lo, lo + (1 << height))))

    def _leaves(self, lo: int, hi: int) -> bytes:
        self._flush()
        if self._file is None:
            return b""
        return os.pread(self._file.fileno(), (hi - lo) * HASH_SIZE, lo * HASH_SIZE)

    def _flush(self) -> None:
        if self._pending:
            if self._file is None:
                self._file = tempfile.TemporaryFile(dir=self._directory)
            self._file.write(self._pending)
            self._file.flush()
            self._written += len(self._pending)
            self._pending = bytearray()


def _fold(level: bytearray) -> bytes:
    """The root of a complete subtree given its leaves (a power of two of them)."""
    while len(level) > HASH_SIZE:
        level = pair_up(level)
    return bytes(level)
