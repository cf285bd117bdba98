"""A Merkle tree continued from the frontier of an older one: what an incremental
``liuhen verify --since-last`` recomputes.

A tree of ``base`` leaves is, for every later tree, only its *frontier*: the complete
subtrees ``base`` is cut into, one for each of its bits (``MerkleHashes.frontier``). Every
node a later root or a stored tile's entry needs is either new (over leaves from ``base``
on), a node that straddles ``base`` (whose older half is itself a frontier node or
straddles in turn), or one of the frontier's own nodes. So given the frontier and the
leaves after ``base``, ``ContinuedTree`` answers every root of a size from ``base`` on and
every node that holds a leaf from ``base`` on, holding 64 bytes a new leaf and nothing of
the older ones. Asked for anything else (an older root, a node wholly older than ``base``
and not on the frontier) it raises ``ValueError``: the caller took that as checked already.

Pure: no storage. The frontier comes from the stored tiles, bound by the root recorded when
the older tree was last checked in full.
"""

from __future__ import annotations

from collections.abc import Sequence

from liuhen.ledger.merkle import HASH_SIZE, MerkleHashes, node_hash


class ContinuedTree(MerkleHashes):
    """The tree of ``base`` leaves given by its ``frontier`` ((height, hash) pieces, largest
    first, as ``MerkleHashes.frontier`` gives them), continued by ``append``/``extend``."""

    def __init__(self, base: int, frontier: Sequence[tuple[int, bytes]]) -> None:
        heights = [h for h in range(base.bit_length()) if base >> h & 1]
        if sorted((h for h, _ in frontier), reverse=True) != heights[::-1] or any(
            len(node) != HASH_SIZE for _, node in frontier
        ):
            raise ValueError(f"not the frontier of a tree of {base} leaves")
        self.base = base
        self._frontier = {h: bytes(node) for h, node in frontier}
        self._levels: list[bytearray] = [bytearray()]
        """``_levels[h]``: the complete subtrees of height ``h`` from position
        ``base >> h`` on (each holds a leaf from ``base`` on), left to right."""
        self._size = base

    @property
    def size(self) -> int:
        return self._size

    def close(self) -> None:
        """Nothing to release (the same call as ``RecomputedTree``'s)."""

    def append(self, leaf: bytes) -> None:
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf {self._size} is not a {HASH_SIZE}-byte hash")
        self._levels[0] += leaf
        height, position, current = 0, self._size, bytes(leaf)
        self._size += 1
        while position & 1:
            current = node_hash(self._node(height, position - 1), current)
            height, position = height + 1, position >> 1
            if height == len(self._levels):
                self._levels.append(bytearray())
            self._levels[height] += current

    def extend(self, leaves: Sequence[bytes] | bytes) -> None:
        if isinstance(leaves, bytes | bytearray):
            if len(leaves) % HASH_SIZE:
                raise ValueError("leaves are 32-byte hashes")
            leaves = [leaves[i : i + HASH_SIZE] for i in range(0, len(leaves), HASH_SIZE)]
        for leaf in leaves:
            self.append(leaf)

    def nodes(self, height: int, first: int, count: int) -> bytes:
        """The complete subtrees of ``height`` at positions ``first`` … ``first + count - 1``
        (fewer where the tree has fewer), each holding a leaf from ``base`` on."""
        start = self.base >> height
        if first < start:
            raise ValueError(f"nodes of height {height} before {start} are older than the base")
        level = self._levels[height] if height < len(self._levels) else b""
        lo = (first - start) * HASH_SIZE
        return bytes(level[lo : lo + count * HASH_SIZE])

    def root(self, size: int | None = None) -> bytes:
        """As ``MerkleHashes.root``; an older size is a ``ValueError``."""
        size = self._check_size(size)
        if size < self.base:
            raise ValueError(f"the tree of {size} leaves is older than the base {self.base}")
        return super().root(size)

    def _node(self, height: int, position: int) -> bytes:
        start = self.base >> height
        if position >= start:
            lo = (position - start) * HASH_SIZE
            level = self._levels[height] if height < len(self._levels) else b""
            if lo + HASH_SIZE <= len(level):
                return bytes(level[lo : lo + HASH_SIZE])
        elif position == start - 1 and height in self._frontier:
            return self._frontier[height]
        raise ValueError(
            f"node ({height}, {position}) is not held by a tree continued from {self.base}"
        )
