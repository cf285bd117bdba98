"""``verify``'s tree of recomputed leaves keeps them in a temporary file and only the nodes of
16 leaves and more in memory: every root, proof and tile's nodes must be those of the tree
held whole in memory (``MerkleTree``, held to RFC 9162 by its own tests)."""

from __future__ import annotations

import hashlib

import pytest

from liuhen.ledger.merkle import MerkleTree
from liuhen.ledger.tiles import TILE_WIDTH
from liuhen.services.archiving.integrity.recomputed import RecomputedTree


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


@pytest.mark.parametrize("n", [0, 1, 2, 15, 16, 17, 255, 256, 257, 1000, 70_000])
def test_roots_proofs_and_tiles_are_those_of_the_whole_tree(n: int) -> None:
    leaves = _leaves(n)
    whole = MerkleTree(leaves)
    tree = RecomputedTree()
    try:
        for leaf in leaves:
            tree.append(leaf)
        assert tree.size == n
        sizes = {0, 1, n // 3, n // 2, n - 1, n} if n else {0}
        for size in sorted(s for s in sizes if 0 <= s <= n):
            assert tree.root(size) == whole.root(size)
            assert tree.root(size) == whole.root(size)  # remembered
            if size:
                for index in {0, size // 2, size - 1}:
                    assert tree.inclusion_proof(index, size) == whole.inclusion_proof(index, size)
                assert tree.consistency_proof(size // 2, size) == whole.consistency_proof(
                    size // 2, size
                )
        for height in (0, 8, 16):
            for first in (0, TILE_WIDTH, 5 * TILE_WIDTH):
                assert tree.nodes(height, first, TILE_WIDTH) == whole.nodes(
                    height, first, TILE_WIDTH
                )
    finally:
        tree.close()


def test_nodes_answers_only_for_the_heights_tiles_hold() -> None:
    tree = RecomputedTree()
    try:
        for leaf in _leaves(40):
            tree.append(leaf)
        with pytest.raises(ValueError):
            tree.nodes(3, 0, 4)
    finally:
        tree.close()


@pytest.mark.parametrize("batches", [[0], [1, 15], [16], [7, 9, 33, 1, 256, 0, 5000], [70_000]])
def test_extend_is_append_leaf_by_leaf(batches: list[int]) -> None:
    """``extend`` (a page of leaves at once, its blocks folded together) builds the tree
    ``append`` builds, whatever the batches' sizes and however they split the blocks of 16,
    mixed with single appends."""
    leaves = _leaves(sum(batches) + len(batches))
    whole = MerkleTree(leaves)
    tree = RecomputedTree()
    try:
        at = 0
        for count in batches:
            tree.extend(leaves[at : at + count])
            tree.append(leaves[at + count])
            at += count + 1
        assert tree.size == len(leaves)
        for size in {1, len(leaves) // 2, len(leaves)}:
            assert tree.root(size) == whole.root(size)
        for height in (0, 8, 16):
            assert tree.nodes(height, 0, TILE_WIDTH) == whole.nodes(height, 0, TILE_WIDTH)
    finally:
        tree.close()
