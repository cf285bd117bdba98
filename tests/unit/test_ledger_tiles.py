"""The tiled tree answers exactly as the in-memory tree: roots, inclusion and consistency
proofs at every size, over tiles grown in uneven steps (partial tiles rewritten, full tiles
never again), reading only the tiles ``tiles_for`` names."""

from __future__ import annotations

import hashlib
import random

import pytest

from liuhen.ledger import tiles as tiles_module
from liuhen.ledger.merkle import MerkleTree, verify_consistency, verify_inclusion
from liuhen.ledger.tiles import (
    FULL_TILE,
    INNER_BYTES,
    TILE_WIDTH,
    TiledTree,
    edge_keys,
    extend,
    inner_nodes,
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
        with_inner = TiledTree(total, {k: stored[k] for k in needed}, _inner(stored))
        assert with_inner.inclusion_proof(index, size) == proof
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


def _inner(stored: dict[tuple[int, int], bytes]) -> dict[tuple[int, int], bytes | None]:
    return {k: inner_nodes(v) for k, v in stored.items() if len(v) == FULL_TILE}


def test_inner_nodes_are_the_tiles_nodes_at_heights_4_to_7() -> None:
    stored, _ = _grow(70_001, random.Random(7))
    memory = MerkleTree([_leaf(i) for i in range(70_001)])
    for (level, index), hashes in stored.items():
        if len(hashes) < FULL_TILE:
            with pytest.raises(ValueError, match="full tile"):
                inner_nodes(hashes)
            continue
        expected = b"".join(
            memory.nodes(8 * level + r, (index * 256) >> r, 256 >> r) for r in range(4, 8)
        )
        assert inner_nodes(hashes) == expected and len(expected) == INNER_BYTES == 960


def test_a_path_through_a_full_tile_with_its_inner_nodes_folds_a_few_hashes_not_the_tile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored, _ = _grow(3 * 256 + 5, random.Random(3))
    memory = MerkleTree([_leaf(i) for i in range(3 * 256 + 5)])
    inner = _inner(stored)
    folded: list[int] = []
    whole = tiles_module._levels
    monkeypatch.setattr(
        tiles_module, "_levels", lambda tile: folded.append(len(tile)) or whole(tile)
    )
    for index in (0, 1, 200, 255, 256, 511, 700):
        folded.clear()
        proof = TiledTree(memory.size, stored, inner).inclusion_proof(index)
        assert proof == memory.inclusion_proof(index)
        assert FULL_TILE not in folded  # the leaf tiles came with their inner nodes
    folded.clear()
    assert TiledTree(memory.size, stored).inclusion_proof(200) == memory.inclusion_proof(200)
    assert FULL_TILE in folded  # without them, folded as before


def test_inner_nodes_of_the_wrong_length_or_beside_a_partial_tile_are_not_used() -> None:
    stored, _ = _grow(600, random.Random(2))
    memory = MerkleTree([_leaf(i) for i in range(600)])
    inner: dict[tuple[int, int], bytes | None] = {
        (0, 0): inner_nodes(stored[(0, 0)])[:-32],  # cut short
        (0, 1): None,
        (0, 2): bytes(INNER_BYTES),  # beside a partial tile: never read
    }
    for index in (3, 300, 590):
        tree = TiledTree(600, stored, inner)
        assert tree.inclusion_proof(index) == memory.inclusion_proof(index)
    wrong = {(0, 1): bytes(INNER_BYTES)}  # the right length, the wrong hashes: used, and
    proof = TiledTree(600, stored, wrong).inclusion_proof(300)  # the proof fails to verify
    assert not verify_inclusion(_leaf(300), 300, 600, proof, memory.root())


def test_a_window_of_a_full_tile_and_its_inner_nodes_give_every_path_through_it() -> None:
    """A proof of a leaf in a full tile the tree holds whole needs, of that tile, only the
    16 entries around the leaf (``TileWindow``) and the inner nodes: the same path as the
    whole tile gives, for every leaf of the tile and trees ending in later tiles. Any other
    node of the tile (outside the window, or above it without inner nodes) is an error, not
    a wrong hash."""
    from liuhen.ledger.tiles import WINDOW_ENTRIES, TileWindow, window_of

    stored, _ = _grow(3 * 256 + 5, random.Random(5))
    memory = MerkleTree([_leaf(i) for i in range(3 * 256 + 5)])
    inner = _inner(stored)
    tile = stored[(0, 1)]
    for size in (512, 513, 700, memory.size):
        for index in range(256, 512):
            first = window_of(index)
            window = TileWindow(tile[first * 32 : (first + WINDOW_ENTRIES) * 32], first)
            tree = TiledTree(size, {**stored, (0, 1): window}, inner)
            assert tree.inclusion_proof(index, size) == memory.inclusion_proof(index, size)
    window = TileWindow(tile[16 * 32 : 32 * 32], 16)
    with pytest.raises(ValueError, match="entries 16"):  # a leaf outside the window
        TiledTree(memory.size, {**stored, (0, 1): window}, inner).inclusion_proof(256 + 40)
    with pytest.raises(ValueError, match="entries 16"):  # no inner nodes to go above it
        TiledTree(memory.size, {**stored, (0, 1): window}, {}).inclusion_proof(256 + 20)
    with pytest.raises(ValueError):
        TileWindow(tile[:512], 8)  # not aligned
    with pytest.raises(ValueError):
        TileWindow(tile[:480], 0)  # not 16 entries
    assert window_of(5) == 0 and window_of(256 + 17) == 16 and window_of(511) == 240
