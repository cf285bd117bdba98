"""The in-process cache of tiles (``store/tile_cache``): bounded by bytes, a kept tile used
only for a tree it holds enough entries for, a wider copy replacing a narrower one."""

from __future__ import annotations

import hashlib

import pytest

from liuhen.ledger.merkle import MerkleTree
from liuhen.ledger.tiles import extend
from liuhen.store.tile_cache import TileCache, tile_width


def test_a_tile_is_used_only_when_it_holds_the_entries_the_tree_gives_it() -> None:
    cache = TileCache()
    cache.put({(0, 0): bytes(32 * 10)})  # a partial tile of 10 leaves
    assert cache.get((0, 0), tile_width(10, (0, 0))) is not None
    assert cache.get((0, 0), tile_width(8, (0, 0))) is not None  # a smaller tree: a prefix
    assert cache.get((0, 0), tile_width(11, (0, 0))) is None  # grown since: read again
    cache.put({(0, 0): bytes(32 * 4)})  # a narrower copy does not replace it
    assert cache.size_bytes == 320
    cache.put({(0, 0): bytes(32 * 11)})
    assert cache.get((0, 0), 11) is not None and cache.size_bytes == 352
    assert tile_width(70_000, (0, 1)) == 256 and tile_width(70_000, (1, 0)) == 256
    assert tile_width(70_000, (2, 0)) == 1 and tile_width(70_000, (0, 300)) == 0


def test_memory_is_bounded_and_the_least_recently_used_goes_first() -> None:
    cache = TileCache(max_bytes=3 * 8192)
    for idx in range(3):
        cache.put({(0, idx): bytes(8192)})
    assert cache.get((0, 0), 256) is not None  # used: kept over (0, 1)
    cache.put({(0, 3): bytes(8192)})
    assert cache.size_bytes == 3 * 8192
    assert cache.get((0, 1), 256) is None
    assert all(cache.get((0, i), 256) is not None for i in (0, 2, 3))
    cache.discard([(0, 2), (0, 9)])
    assert cache.get((0, 2), 256) is None and cache.size_bytes == 2 * 8192


def test_an_answer_from_kept_tiles_is_the_whole_trees_and_reads_nothing() -> None:
    """With every tile a proof passes through kept, ``answer`` computes it on them alone:
    no dry run, no statement (the connection is never touched: None here)."""
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(70_000)]
    whole = MerkleTree(leaves)
    _, tiles = extend(0, {}, leaves)
    cache = TileCache()
    cache.put(tiles)
    for size, index in ((70_000, 0), (70_000, 69_999), (65_536, 300), (1000, 999)):
        proof = cache.answer(None, size, lambda t, i=index, s=size: t.inclusion_proof(i, s))  # type: ignore[arg-type]
        assert proof == whole.inclusion_proof(index, size)
    cache.discard([(0, 5)])
    with pytest.raises(AttributeError):  # a tile lacking: read on the connection (None)
        cache.answer(None, 70_000, lambda t: t.inclusion_proof(5 * 256, 70_000))  # type: ignore[arg-type]


def test_the_levels_above_the_leaves_are_counted_in_tiles() -> None:
    from liuhen.store.tile_cache import upper_tiles

    assert upper_tiles(255) == 0
    assert upper_tiles(256) == 1  # one entry at level 1
    assert upper_tiles(65_536 * 3) == 3 + 1  # 768 entries at level 1, 3 at level 2
    assert upper_tiles(10_000_000) == 153 + 1  # 39,062 entries at level 1, 152 at level 2
    assert upper_tiles(1 << 40) == (1 << 24) + (1 << 16) + (1 << 8) + 1 + 1  # levels 1-5


def test_upper_tiles_kept_with_their_inner_nodes_are_not_folded_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full tile kept with its stored inner nodes (the levels above the leaves are read
    so) gives a path without folding its 256 entries; the nodes count in the bound and go
    with the tile; ``stored_inner=False`` ignores them, so damaged copies cannot deny a
    proof made again from the entries."""
    from liuhen.ledger import tiles as tiles_module
    from liuhen.ledger.tiles import INNER_BYTES, inner_nodes

    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(70_000)]
    whole = MerkleTree(leaves)
    _, tiles = extend(0, {}, leaves)
    inner = {k: inner_nodes(v) for k, v in tiles.items() if len(v) == 8192}
    cache = TileCache()
    cache.put(tiles, inner)
    assert cache.inner((1, 0)) == inner[(1, 0)] and cache.inner((1, 1)) is None  # partial
    assert cache.size_bytes == sum(map(len, tiles.values())) + len(inner) * INNER_BYTES

    folded: list[int] = []
    real = tiles_module._levels
    monkeypatch.setattr(tiles_module, "_levels", lambda t: folded.append(len(t)) or real(t))
    for index in (0, 12_345, 65_535):
        proof = cache.answer(None, 70_000, lambda t, i=index: t.inclusion_proof(i, 70_000))  # type: ignore[arg-type]
        assert proof == whole.inclusion_proof(index, 70_000)
    assert 8192 not in folded, folded  # no full tile folded whole: its inner nodes served

    damaged = bytes(32) + inner[(1, 0)][32:]  # the first node at height 4 of tile 1/0
    cache.discard([(1, 0)])
    assert cache.inner((1, 0)) is None
    cache.put({(1, 0): tiles[(1, 0)]}, {(1, 0): damaged})
    path = cache.answer(None, 70_000, lambda t: t.inclusion_proof(256 * 20, 70_000))  # type: ignore[arg-type]
    assert path != whole.inclusion_proof(256 * 20, 70_000)
    again = cache.answer(
        None,  # type: ignore[arg-type]
        70_000,
        lambda t: t.inclusion_proof(256 * 20, 70_000),
        stored_inner=False,
    )
    assert again == whole.inclusion_proof(256 * 20, 70_000)

    small = TileCache(max_bytes=8192 + INNER_BYTES)
    small.put({(1, 0): tiles[(1, 0)]}, {(1, 0): inner[(1, 0)]})
    small.put({(0, 0): tiles[(0, 0)]})  # over the bound: 1/0 and its nodes go
    assert small.inner((1, 0)) is None and small.size_bytes == 8192
