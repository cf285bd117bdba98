"""The tiled tree answers exactly as the in-memory tree: roots, inclusion and consistency
proofs at every size, over tiles grown in uneven steps (partial tiles rewritten, full tiles
never again), reading only the tiles ``tiles_for`` names."""

from __future__ import annotations

import hashlib
import random

import pytest

from liuhen.ledger.merkle import MerkleTree, verify_consistency, verify_inclusion
from liuhen.ledger.tiles import (
    TILE_WIDTH,
    TiledTree,
    edge_keys,
    extend,
    level_count,
    tiles_for,
)


def _leaf(i: int) -> bytes:
    return hashlib.sha256(i.to_bytes(8, "big")).digest()


def tile_widths(size: int) -> dict[tuple[int, int], int]:
    """How wide each tile of the right edge is in a tree of ``size`` leaves."""
    return {(lv, i): level_count(size, lv) - i * TILE_WIDTH for lv, i in edge_keys(size)}


def _grow(total: int, rng: random.Random) -> tuple[dict[tuple[int, int], bytes], list[int]]:
    """Tiles for ``total`` leaves appended in random steps; the sizes stopped at."""
    stored: dict[tuple[int, int], bytes] = {}
    size, stops = 0, []
    while size < total:
        step = min(total - size, rng.choice([1, 1, 2, 7, 255, 256, 300, 1000]))
        edge = {k: stored[k] for k in edge_keys(size)}
        widths = tile_widths(size)
        assert all(len(edge[k]) == 32 * w for k, w in widths.items())
        new_size, changed = extend(size, edge, (_leaf(i) for i in range(size, size + step)))
        assert new_size == size + step
        for key, value in changed.items():
            if key in stored and len(stored[key]) == 32 * TILE_WIDTH:
                raise AssertionError(f"full tile {key} written again")
            assert value.startswith(stored.get(key, b""))  # a partial tile only grows
            stored[key] = value
        size = new_size
        stops.append(size)
    return stored, stops


@pytest.mark.parametrize("total", [1, 255, 256, 257, 65_536, 65_536 + 300, 70_001])
def test_tiles_give_the_in_memory_trees_roots_and_proofs(total: int) -> None:
    rng = random.Random(total)
    stored, stops = _grow(total, rng)
    memory = MerkleTree([_leaf(i) for i in range(total)])
    sizes = sorted({*stops[-20:], *rng.sample(range(1, total + 1), min(total, 30)), total})
    for size in sizes:
        root = memory.root(size)
        needed = tiles_for(size, lambda t, s=size: t.root(s))
        assert needed <= set(edge_keys(size)) | set(stored)
        assert TiledTree(total, {k: stored[k] for k in needed}).root(size) == root
        index = rng.randrange(size)
        needed = tiles_for(total, lambda t, i=index, s=size: t.inclusion_proof(i, s))
        proof = TiledTree(total, {k: stored[k] for k in needed}).inclusion_proof(index, size)
        assert proof == memory.inclusion_proof(index, size)
        assert verify_inclusion(_leaf(index), index, size, proof, root)
        old = rng.randint(1, size)
        needed = tiles_for(total, lambda t, o=old, s=size: t.consistency_proof(o, s))
        proof = TiledTree(total, {k: stored[k] for k in needed}).consistency_proof(old, size)
        assert proof == memory.consistency_proof(old, size)
        assert verify_consistency(old, size, memory.root(old), root, proof)


def test_a_proof_reads_a_few_tiles_whatever_the_size() -> None:
    size = 10_000_000
    for index in (0, 4_999_999, size - 1):
        keys = tiles_for(size, lambda t, i=index: t.inclusion_proof(i))
        assert len(keys) <= 2 * 3  # at most two tiles on each of the three levels
    assert len(tiles_for(size, lambda t: t.consistency_proof(1234567, size))) <= 6


def test_a_tile_that_is_missing_or_short_is_an_error_not_a_wrong_answer() -> None:
    stored, _ = _grow(600, random.Random(1))
    short = dict(stored)
    short[(0, 2)] = short[(0, 2)][:-32]
    with pytest.raises(ValueError, match="tile 0/2"):
        TiledTree(600, short).root()
    with pytest.raises(KeyError):
        TiledTree(600, {}).root()
    with pytest.raises(ValueError, match="32-byte"):
        extend(0, {}, [b"short"])
