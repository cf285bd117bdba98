"""The Merkle tree kept as tiles, in the layout of C2SP ``tlog-tiles``: pure, no storage.

A tile of level ``L`` and index ``N`` holds, left to right, the hashes of the complete
subtrees of height ``8 L`` over leaves ``[(256 N + i) * 256^L, …)`` for ``i`` below its
width (at most 256: ``TILE_WIDTH``). Level 0 holds the leaf hashes themselves; an entry of
level ``L + 1`` is the root of a full tile of level ``L``. A tile that is not yet full is
*partial*; appending only ever adds entries at its end, so a partial tile is a prefix of the
tile it grows into and answers for every older, smaller tree as well.

A node of any height ``8 L + r`` (``r < 8``) is ``2^r`` consecutive entries of one level-``L``
tile folded pairwise, so every root and proof of ``merkle.MerkleHashes`` can be computed from
the tiles alone, reading ``O(log n)`` of them: ``tiles_for`` says which (the algorithms do
not branch on hash values, so a dry run with placeholder hashes names exactly the tiles the
real run reads), and ``TiledTree`` computes over the tiles it is given.

``extend`` appends leaves to the right edge of a tree (the rightmost tile of each level,
``edge_keys``) and returns every tile it changed, for the caller to store.

A node below a tile's top is folded from its entries: up to 255 hashes for a node of height
7, the most of an inclusion proof's time when its leaf tile is read afresh (as at random
over millions of events). A full tile is therefore stored with its *inner nodes*
(``inner_nodes``): its nodes at heights ``INNER_LOW`` to 7 above its entries, 30 hashes, so a
path through it folds at most 7 hashes (those below ``INNER_LOW``) and reads the rest. They
are a copy of what the entries give, never trusted over them: ``TiledTree`` uses them only
beside a full tile and only when they have their exact length, a proof that fails with them
is made again from the entries alone, and ``liuhen verify`` compares them with the tree of
the recomputed leaves (which holds exactly these heights in memory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from liuhen.ledger.merkle import HASH_SIZE, MerkleHashes, pair_up

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
FULL_TILE = TILE_WIDTH * HASH_SIZE
"""A full tile's bytes."""
INNER_LOW = 4
"""The lowest height within a tile whose nodes a full tile's ``inner_nodes`` hold."""
_INNER_AT = {
    r: sum(TILE_WIDTH >> k for k in range(INNER_LOW, r)) for r in range(INNER_LOW, TILE_HEIGHT)
}
"""Where height ``r``'s nodes begin in ``inner_nodes``, in hashes (16 at 4, 8 at 5, …)."""
INNER_BYTES = sum(TILE_WIDTH >> r for r in range(INNER_LOW, TILE_HEIGHT)) * HASH_SIZE

TileKey = tuple[int, int]
"""(level, index) of a tile."""

WINDOW_ENTRIES = 1 << INNER_LOW
"""The entries of a full tile a path through one of them folds (16: heights 0 to 3; the
heights above come from the tile's inner nodes)."""


class TileWindow(bytes):
    """``WINDOW_ENTRIES`` consecutive entries of a full tile, from entry ``first`` (a
    multiple of ``WINDOW_ENTRIES``): what an inclusion proof of a leaf in that tile reads of
    it besides its inner nodes, when the tree holds the whole tile (a proof reads 512 bytes
    of the tile's 8 KiB). ``TiledTree`` answers from it only nodes below ``INNER_LOW`` inside
    the window and, with the tile's inner nodes, the nodes above; any other node of the tile
    is a ``ValueError``, as a short tile is."""

    first: int

    def __new__(cls, entries: bytes, first: int) -> TileWindow:
        if first % WINDOW_ENTRIES or len(entries) != WINDOW_ENTRIES * HASH_SIZE:
            raise ValueError(f"a window is {WINDOW_ENTRIES} entries from a multiple of it")
        window = super().__new__(cls, entries)
        window.first = first
        return window


def window_of(leaf: int) -> int:
    """The first entry of the window of leaf ``leaf`` within its leaf tile."""
    return leaf & (TILE_WIDTH - 1) & ~(WINDOW_ENTRIES - 1)


def level_count(size: int, level: int) -> int:
    """How many entries level ``level`` has in a tree of ``size`` leaves."""
    return size >> (TILE_HEIGHT * level)


def edge_keys(size: int) -> list[TileKey]:
    """The rightmost tile of every level that has an entry in a tree of ``size`` leaves."""
    keys: list[TileKey] = []
    level = 0
    while (count := level_count(size, level)) > 0:
        keys.append((level, (count - 1) >> TILE_HEIGHT))
        level += 1
    return keys


@lru_cache(maxsize=1024)
def _levels(tile: bytes) -> tuple[bytes, ...]:
    """A tile's bottom entries and every complete level above them, up to its root: 255
    hashes for a full tile, computed once for each tile's bytes (16 MiB at most here), so
    the upper tiles every proof passes through cost nothing after the first proof."""
    levels, level = [tile], tile
    while len(level) >= 2 * HASH_SIZE:
        level = bytes(pair_up(level))
        levels.append(level)
    return tuple(levels)


def inner_nodes(tile: bytes) -> bytes:
    """A full tile's nodes at heights ``INNER_LOW`` to 7 above its entries, concatenated
    height by height, left to right (16 + 8 + 4 + 2 hashes): stored beside it."""
    if len(tile) != FULL_TILE:
        raise ValueError("only a full tile has stored inner nodes")
    return b"".join(_levels(tile)[INNER_LOW:TILE_HEIGHT])


def _fold(entries: bytes) -> bytes:
    """The root of a complete subtree given its ``2^r`` bottom entries, concatenated."""
    level = bytearray(entries)
    while len(level) > HASH_SIZE:
        level = pair_up(level)
    return bytes(level)


def _locate(height: int, position: int) -> tuple[TileKey, int, int]:
    """Where the node (``height``, ``position``) lies: its tile, its first entry there and
    how many entries it folds."""
    level, r = divmod(height, TILE_HEIGHT)
    first = position << r
    return (level, first >> TILE_HEIGHT), first & (TILE_WIDTH - 1), 1 << r


class TiledTree(MerkleHashes):
    """The tree of ``size`` leaves over the ``tiles`` given (bytes of concatenated hashes
    by key), with the stored ``inner`` nodes of some full ones (``inner_nodes``); a node in
    a tile that was not given, or past its width, is a ``KeyError`` / ``ValueError`` (the
    caller fetched the wrong tiles, or the stored tiles are short)."""

    def __init__(
        self,
        size: int,
        tiles: Mapping[TileKey, bytes],
        inner: Mapping[TileKey, bytes | None] | None = None,
    ) -> None:
        self._size = size
        self._tiles = tiles
        self._inner = inner if inner is not None else {}

    @property
    def size(self) -> int:
        return self._size

    def _node(self, height: int, position: int) -> bytes:
        key, first, count = _locate(height, position)
        tile = self._tiles[key]
        if type(tile) is TileWindow:
            return self._windowed(key, tile, first, count)
        if len(tile) < (first + count) * HASH_SIZE:
            raise ValueError(f"tile {key[0]}/{key[1]} is short of entry {first + count - 1}")
        r = count.bit_length() - 1
        inner = self._inner.get(key)
        if inner is not None and len(inner) == INNER_BYTES and len(tile) == FULL_TILE:
            if r < INNER_LOW:  # at most 8 entries: fold them, not the tile
                return _fold(tile[first * HASH_SIZE : (first + count) * HASH_SIZE])
            at = (_INNER_AT[r] + (first >> r)) * HASH_SIZE
            return inner[at : at + HASH_SIZE]
        at = (first // count) * HASH_SIZE
        return _levels(tile)[r][at : at + HASH_SIZE]

    def _windowed(self, key: TileKey, window: TileWindow, first: int, count: int) -> bytes:
        """A node of a full tile given as a window and its inner nodes (``TileWindow``)."""
        r = count.bit_length() - 1
        inner = self._inner.get(key)
        if r >= INNER_LOW and inner is not None and len(inner) == INNER_BYTES:
            at = (_INNER_AT[r] + (first >> r)) * HASH_SIZE
            return inner[at : at + HASH_SIZE]
        start = first - window.first
        if r >= INNER_LOW or start < 0 or start + count > WINDOW_ENTRIES:
            raise ValueError(f"tile {key[0]}/{key[1]} was read for entries {window.first}.. only")
        return _fold(window[start * HASH_SIZE : (start + count) * HASH_SIZE])


class _Planner(MerkleHashes):
    """A dry run: notes the tile of every node asked for and answers a placeholder."""

    def __init__(self, size: int) -> None:
        self._size = size
        self.keys: set[TileKey] = set()

    @property
    def size(self) -> int:
        return self._size

    def _node(self, height: int, position: int) -> bytes:
        self.keys.add(_locate(height, position)[0])
        return bytes(HASH_SIZE)


def tiles_for(size: int, question: Callable[[MerkleHashes], object]) -> set[TileKey]:
    """The tiles ``question`` (e.g. ``lambda t: t.inclusion_proof(i)``) reads in the tree of
    ``size`` leaves; it raises here what it would raise for bad arguments."""
    planner = _Planner(size)
    question(planner)
    return planner.keys


def extend(
    size: int, edge: Mapping[TileKey, bytes], leaves: Iterable[bytes]
) -> tuple[int, dict[TileKey, bytes]]:
    """Append ``leaves`` to the tree of ``size`` leaves whose right edge is ``edge`` (the
    tiles of ``edge_keys(size)``, each as wide as a tree of ``size`` leaves makes it). Returns
    the new size and every tile that changed or was made, as stored from now on."""
    current: dict[int, tuple[int, bytearray]] = {}
    for (level, index), hashes in edge.items():
        current[level] = (index, bytearray(hashes))
    changed: dict[TileKey, bytes] = {}
    full = FULL_TILE
    for leaf in leaves:
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf {size} is not a {HASH_SIZE}-byte hash")
        level, entry = 0, bytes(leaf)
        while True:
            index, tile = current.get(level, (0, bytearray()))
            if len(tile) == full:  # full: the next entry starts a tile
                index, tile = index + 1, bytearray()
            tile += entry
            current[level] = (index, tile)
            changed[(level, index)] = b""  # the bytes are taken at the end
            if len(tile) < full:
                break
            changed[(level, index)] = full_tile = bytes(tile)  # full: never changes again
            # its root from the levels kept for it: ``inner_nodes`` takes them from there
            level, entry = level + 1, _levels(full_tile)[TILE_HEIGHT]
        size += 1
    for key, value in changed.items():
        if not value:
            changed[key] = bytes(current[key[0]][1])  # a partial tile: the rightmost
    return size, changed
