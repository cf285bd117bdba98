"""``ContinuedTree``: a tree continued from the frontier of an older one answers every root
from the older size on, and every node over a newer leaf, exactly as the whole tree does;
it refuses what it cannot know (an older root, a node wholly older and off the frontier)
and a frontier of the wrong shape."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liuhen.ledger.frontier import ContinuedTree
from liuhen.ledger.merkle import MerkleTree, leaf_hash
from liuhen.ledger.tiles import TILE_HEIGHT, TiledTree, edge_keys, extend


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@settings(max_examples=60, deadline=None)
@given(base=st.integers(0, 600), more=st.integers(0, 300), by_block=st.booleans())
def test_every_later_root_and_newer_node_is_the_whole_trees(base, more, by_block):
    leaves = _leaves(base + more)
    whole = MerkleTree(leaves)
    continued = ContinuedTree(base, whole.frontier(base))
    if by_block:
        continued.extend(b"".join(leaves[base:]))
    else:
        for leaf in leaves[base:]:
            continued.append(leaf)
    assert continued.size == whole.size
    for size in range(base, base + more + 1):
        assert continued.root(size) == whole.root(size)
    for height in (0, 3, TILE_HEIGHT):
        start = base >> height
        assert continued.nodes(height, start, 600) == whole.nodes(height, start, 600)


def test_the_frontier_read_from_tiles_is_the_trees():
    """What ``verify --since-last`` reads: the frontier from the stored tiles alone."""
    leaves = _leaves(70_000)  # two levels of tiles: the frontier spans both
    size, tiles = extend(0, {}, leaves)
    assert {level for level, _ in edge_keys(size)} == {0, 1, 2}
    whole = MerkleTree(leaves)
    for base in (1, 255, 256, 257, 65_536, 65_537, 69_999):
        assert TiledTree(base, tiles).frontier() == whole.frontier(base)


def test_what_it_cannot_know_is_refused():
    leaves = _leaves(40)
    whole = MerkleTree(leaves)
    continued = ContinuedTree(21, whole.frontier(21))  # 16 + 4 + 1
    continued.extend(leaves[21:])
    with pytest.raises(ValueError, match="older than the base"):
        continued.root(20)
    with pytest.raises(ValueError, match="older than the base"):
        continued.nodes(0, 3, 1)
    with pytest.raises(ValueError, match="not held"):
        continued.inclusion_proof(3)  # needs nodes inside the older tree
    assert continued.root(21) == whole.root(21)
    with pytest.raises(ValueError, match="not the frontier"):
        ContinuedTree(21, whole.frontier(20))
    with pytest.raises(ValueError, match="not the frontier"):
        ContinuedTree(21, [(h, b"short") for h, _ in whole.frontier(21)])
