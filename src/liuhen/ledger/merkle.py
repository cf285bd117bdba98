"""The Merkle tree over ledger events: RFC 9162 §2.1 (the tree of RFC 6962), SHA-256.

A leaf hashes as ``SHA-256(0x00 || data)``, an inner node as ``SHA-256(0x01 || left ||
right)``; a tree of ``n > 1`` leaves splits at ``k``, the largest power of two below ``n``.
The prefixes keep a leaf from ever colliding with an inner node.

``MerkleTree`` keeps the hash of every complete (perfect, aligned) subtree, level by level,
as leaves are appended: level ``h`` holds the hashes of leaves ``[i*2^h, (i+1)*2^h)``. Any
range the RFC recursion asks for is a right fold of at most ``log2 n`` such subtrees, so once
the tree is built (O(n) hashes), ``root(size)`` and each proof cost O(log n) hashes.

``verify_inclusion`` and ``verify_consistency`` are the RFC 9162 §2.1.3.2 and §2.1.4.2
algorithms. They take untrusted input and answer ``False`` for anything malformed; they
never raise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 leaf hash, ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 inner-node hash, ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleHashes:
    """Roots and proofs over a tree whose complete subtrees some storage gives by
    ``_node(height, position)``: kept in memory (``MerkleTree``) or read from stored tiles
    (``ledger.tiles.TiledTree``). Every method that takes a ``size`` answers for the tree of
    the first ``size`` leaves (default: all of them), so one tree serves every checkpoint
    of a ledger. Arguments out of range raise ``ValueError``."""

    @property
    def size(self) -> int:
        raise NotImplementedError

    def __len__(self) -> int:
        return self.size

    def _node(self, height: int, position: int) -> bytes:
        """The hash of the complete subtree over leaves ``[position * 2^height, …)``."""
        raise NotImplementedError

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        self._check_index(index, self.size)
        return self._node(0, index)

    base = 0
    """Sizes below this are not answered for (0 here): a tree continued from a frontier
    (``ledger.frontier.ContinuedTree``) knows nothing of its older trees but their roots'
    common part."""

    def frontier(self, size: int | None = None) -> list[tuple[int, bytes]]:
        """The complete subtrees the first ``size`` leaves are cut into, largest (leftmost)
        first, as (height, hash): one for each bit of ``size``. ``root(size)`` folds them,
        and every later tree is computed from them and the leaves after ``size`` alone."""
        size = self._check_size(size)
        pieces, pos = [], 0
        for height in range(size.bit_length() - 1, -1, -1):
            if size >> height & 1:
                pieces.append((height, self._node(height, pos >> height)))
                pos += 1 << height
        return pieces

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the first ``size`` leaves (``EMPTY_ROOT`` for none)."""
        size = self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._range_hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The RFC 9162 §2.1.3.1 inclusion proof of leaf ``index`` in the tree of ``size``.

        Hashes run from the leaf's sibling up to the root's child.
        """
        size = self._check_size(size)
        self._check_index(index, size)
        proof: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                proof.append(self._range_hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self._range_hash(lo, lo + k))
                lo += k
        proof.reverse()
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The RFC 9162 §2.1.4.1 proof that the tree of ``old_size`` is a prefix of ``new_size``.

        Empty when ``old_size`` is 0 or equals ``new_size``.
        """
        new_size = self._check_size(new_size)
        if not isinstance(old_size, int) or not 0 <= old_size <= new_size:
            raise ValueError(f"old_size {old_size!r} is not in [0, {new_size}]")
        if old_size == 0 or old_size == new_size:
            return []
        proof: list[bytes] = []
        lo, hi, m = 0, new_size, old_size
        complete = True  # SUBPROOF's b: is the old root itself a node on this path?
        while m != hi - lo:
            k = _split(hi - lo)
            if m <= k:
                proof.append(self._range_hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self._range_hash(lo, lo + k))
                lo += k
                m -= k
                complete = False
        if not complete:
            proof.append(self._range_hash(lo, hi))
        proof.reverse()
        return proof

    def _range_hash(self, lo: int, hi: int) -> bytes:
        """MTH of leaves ``[lo, hi)``, where ``lo`` is aligned as the RFC recursion makes it.

        The range is cut greedily into complete subtrees, largest first, and folded from
        the right: exactly the shape of MTH when ``lo`` is a multiple of a power of two
        at least ``hi - lo``.
        """
        pieces: list[bytes] = []
        pos = lo
        while pos < hi:
            height = (hi - pos).bit_length() - 1
            if pos:
                height = min(height, (pos & -pos).bit_length() - 1)
            pieces.append(self._node(height, pos >> height))
            pos += 1 << height
        result = pieces.pop()
        while pieces:
            result = node_hash(pieces.pop(), result)
        return result

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not isinstance(size, int) or not 0 <= size <= self.size:
            raise ValueError(f"size {size!r} is not in [0, {self.size}]")
        return size

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not isinstance(index, int) or not 0 <= index < size:
            raise ValueError(f"index {index!r} is not in [0, {size})")


class MerkleTree(MerkleHashes):
    """An append-only Merkle tree of leaf hashes with cached complete subtrees, in memory."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        for i, h in enumerate(leaf_hashes):
            _check_hash(h, f"leaf_hashes[{i}]")
        # _levels[h] is the concatenation of the 32-byte hashes of the complete subtrees
        # of height h, left to right; bytearray keeps a million leaves at 32 bytes each.
        level = bytearray(b"".join(leaf_hashes))
        self._levels: list[bytearray] = [level]
        while len(level) >= 2 * HASH_SIZE:
            level = pair_up(level)
            self._levels.append(level)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0]) // HASH_SIZE

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash at the end; return its index. Costs O(log n) hashes at worst."""
        _check_hash(leaf_hash, "leaf_hash")
        index = self.size
        self._levels[0] += leaf_hash
        height, position, current = 0, index, leaf_hash
        while position & 1:
            left = self._node(height, position - 1)
            current = node_hash(left, current)
            height += 1
            position >>= 1
            if height == len(self._levels):
                self._levels.append(bytearray())
            self._levels[height] += current
        return index

    def nodes(self, height: int, first: int, count: int) -> bytes:
        """The hashes of the complete subtrees of ``height`` at positions ``first`` …
        ``first + count - 1``, concatenated (fewer where the tree has fewer)."""
        level = self._levels[height] if height < len(self._levels) else b""
        return bytes(level[first * HASH_SIZE : (first + count) * HASH_SIZE])

    def _node(self, height: int, position: int) -> bytes:
        start = position * HASH_SIZE
        return bytes(self._levels[height][start : start + HASH_SIZE])


def pair_up(level: bytes | bytearray) -> bytearray:
    """The next level up: the hash of each complete pair, a trailing odd node dropped."""
    sha256 = hashlib.sha256
    step = 2 * HASH_SIZE
    return bytearray(
        b"".join(
            [
                sha256(_NODE_PREFIX + level[start : start + step]).digest()
                for start in range(0, len(level) - step + 1, step)
            ]
        )
    )


def _check_hash(value: bytes, name: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ValueError(f"{name} must be {HASH_SIZE} bytes")


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` shows leaf ``leaf_hash`` at ``index`` in the tree with ``root``.

    RFC 9162 §2.1.3.2. Any malformed input (index out of range, a hash of the wrong length,
    too many or too few proof hashes) gives ``False``, never an exception.
    """
    if not (_is_size(index) and _is_size(tree_size) and index < tree_size):
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root)) or isinstance(proof, bytes | str):
        return False
    try:
        path = list(proof)
    except TypeError:
        return False
    if not all(_is_hash(p) for p in path):
        return False
    fn, sn, r = index, tree_size - 1, bytes(leaf_hash)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` shows the tree (``old_size``, ``old_root``) is a prefix of the
    tree (``new_size``, ``new_root``).

    RFC 9162 §2.1.4.2, plus its trivial cases: equal sizes (0 included) need equal roots
    and an empty proof; an empty old tree is a prefix of any larger tree, with an empty
    proof. Malformed input gives ``False``, never an exception.
    """
    if not (_is_size(old_size) and _is_size(new_size) and old_size <= new_size):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root)) or isinstance(proof, bytes | str):
        return False
    try:
        path = list(proof)
    except TypeError:
        return False
    if not all(_is_hash(p) for p in path):
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path
    if not path:
        return False
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
