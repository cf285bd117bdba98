"""The tiles proofs read, kept in memory up to a number of bytes (``TileCache``), so that a
proof reads from the database only the event, its checkpoint and its own leaf tile.

Sound because tiles only grow: a full tile never changes again, and a partial tile is a
prefix of every later version of itself, which answers for the tree it was read for and for
every smaller one (``ledger/tiles``). A cached tile is therefore used for a tree of ``size``
leaves when it holds at least the entries that tree gives it (``tile_width``); a narrower
one is read again and replaces it. Bounded by bytes, least recently used first out: the
upper levels and the right edge, which every proof passes through, stay; memory does not
grow with the log (a full tile is 8 KiB; the default keeps 2,048 of them). A proof that does
not verify drops the tiles it used (``discard``): whatever was wrong is read afresh.

The levels above the leaves are read once, whole, with the stored inner nodes of their full
tiles (``ledger/tiles``), and those are kept beside them: a path through a kept full tile
folds at most 7 hashes, where without them the first proof through each tile folded all
255 (at ten million events, 153 level-1 tiles: the first proof through each of them, one in
seven of a fresh process's first thousand, paid 0.2 ms more). They are a copy, used as a
proof's own are: ``answer(..., stored_inner=False)`` makes a path from the entries alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

from sqlalchemy import Connection

from liuhen.ledger.merkle import HASH_SIZE, MerkleHashes
from liuhen.ledger.tiles import (
    FULL_TILE,
    INNER_BYTES,
    TILE_HEIGHT,
    TILE_WIDTH,
    TiledTree,
    TileKey,
    level_count,
    tiles_for,
)
from liuhen.store.tile_rows import read_tiles, read_upper_tiles

T = TypeVar("T")

CACHE_BYTES = 16 << 20
"""What one process keeps at most (16 MiB: the upper levels of a log of billions of events)."""
UPPER_BYTES = TILE_WIDTH * HASH_SIZE + INNER_BYTES
"""What an upper tile kept costs at most: its entries and its inner nodes."""


def upper_tiles(size: int) -> int:
    """How many tiles the levels above the leaves have in a tree of ``size`` leaves."""
    count, level = 0, 1
    while (entries := level_count(size, level)) > 0:
        count += -(-entries // TILE_WIDTH)
        level += 1
    return count


def tile_width(size: int, key: TileKey) -> int:
    """How many entries tile ``key`` has in the tree of ``size`` leaves."""
    level, index = key
    return max(0, min(TILE_WIDTH, level_count(size, level) - (index << TILE_HEIGHT)))


class TileCache:
    """Tiles by key, at most ``max_bytes`` of them (see the module docstring); thread-safe."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[TileKey, bytes] = OrderedDict()
        self._inner: dict[TileKey, bytes] = {}
        """Stored inner nodes of kept full tiles, where they were read with them."""
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.upper_read = False
        """Whether the levels above the leaves were read whole (``tree``), once a process."""

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: TileKey, width: int) -> bytes | None:
        """The tile ``key`` if one of at least ``width`` entries is kept."""
        with self._lock:
            tile = self._tiles.get(key)
            if tile is None or len(tile) < width * HASH_SIZE:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return tile

    def inner(self, key: TileKey) -> bytes | None:
        """The stored inner nodes kept for the full tile ``key``, if any."""
        return self._inner.get(key)

    def put(
        self, tiles: Mapping[TileKey, bytes], inner: Mapping[TileKey, bytes] | None = None
    ) -> None:
        """Keep ``tiles`` (a narrower copy of one kept is not kept) and the ``inner`` nodes
        of the full ones among them (of their exact length), oldest out past the bound."""
        with self._lock:
            for key, tile in tiles.items():
                kept = self._tiles.get(key)
                if kept is not None and len(kept) >= len(tile):
                    tile = kept
                else:
                    if kept is not None:
                        self._drop(key)
                    self._tiles[key] = tile
                    self._bytes += len(tile)
                self._tiles.move_to_end(key)
                nodes = inner.get(key) if inner else None
                if (
                    nodes is not None
                    and key not in self._inner
                    and len(tile) == FULL_TILE
                    and len(nodes) == INNER_BYTES
                ):
                    self._inner[key] = nodes
                    self._bytes += len(nodes)
            while self._bytes > self.max_bytes and self._tiles:
                self._drop(next(iter(self._tiles)))

    def _drop(self, key: TileKey) -> None:
        """Forget tile ``key`` and its inner nodes (the lock held)."""
        dropped = self._tiles.pop(key, None)
        if dropped is not None:
            self._bytes -= len(dropped)
        nodes = self._inner.pop(key, None)
        if nodes is not None:
            self._bytes -= len(nodes)

    def discard(self, keys: Iterable[TileKey]) -> None:
        with self._lock:
            for key in keys:
                self._drop(key)

    def answer(
        self,
        conn: Connection,
        size: int,
        question: Callable[[MerkleHashes], T],
        given: Mapping[TileKey, bytes] | None = None,
        inner: Mapping[TileKey, bytes | None] | None = None,
        *,
        stored_inner: bool = True,
    ) -> T:
        """``question`` answered over the tree of ``size`` leaves: on the tiles ``given`` (with
        the stored ``inner`` nodes of some, read with them) and those kept here when they are
        all there (no dry run naming the tiles first, no statement), else on ``tree``'s (the
        tiles it reads planned, those lacking read). ``stored_inner`` False: the kept tiles'
        inner nodes are not used (a path from the entries alone)."""
        if given:
            self.put(_worth_keeping(given, inner))
        nodes = _Inner(self, inner, stored_inner)
        try:
            return question(TiledTree(size, _Kept(self, size, given or {}), nodes))
        except KeyError:  # a tile not kept (or kept narrower): read what is lacking
            return question(self.tree(conn, size, question, given, inner, stored_inner))

    def tree(
        self,
        conn: Connection,
        size: int,
        question: Callable[[MerkleHashes], object],
        given: Mapping[TileKey, bytes] | None = None,
        inner: Mapping[TileKey, bytes | None] | None = None,
        stored_inner: bool = True,
    ) -> TiledTree:
        """The tree of ``size`` leaves with the tiles ``question`` reads: those ``given``
        (read with something else), those kept here, and the rest read in one statement
        (none when everything was kept)."""
        tiles = dict(given or {})
        if not self.upper_read and upper_tiles(size) * UPPER_BYTES <= self.max_bytes // 2:
            self.upper_read = True  # the first tile lacking: every level above the leaves
            self.put(*read_upper_tiles(conn))
        missing = []
        for key in tiles_for(size, question) - tiles.keys():
            tile = self.get(key, tile_width(size, key))
            if tile is None:
                missing.append(key)
            else:
                tiles[key] = tile
        read = read_tiles(conn, missing) if missing else {}
        tiles.update(read)
        self.put({**_worth_keeping(given or {}, inner), **read})
        return TiledTree(size, tiles, _Inner(self, inner, stored_inner))


def _worth_keeping(
    given: Mapping[TileKey, bytes], inner: Mapping[TileKey, bytes | None] | None
) -> Mapping[TileKey, bytes]:
    """The tiles of ``given`` to keep: not those read with their inner nodes (a kept tile
    has none, and folding it costs more than reading it again with them)."""
    if not inner:
        return given
    return {key: tile for key, tile in given.items() if inner.get(key) is None}


class _Kept(Mapping[TileKey, bytes]):
    """The tiles of a tree of ``size`` leaves as far as they are at hand: ``given``, then
    those kept wide enough; any other is a ``KeyError``."""

    def __init__(self, cache: TileCache, size: int, given: Mapping[TileKey, bytes]) -> None:
        self._cache, self._size = cache, size
        self._tiles = dict(given)

    def __getitem__(self, key: TileKey) -> bytes:
        tile = self._tiles.get(key)
        if tile is None:
            tile = self._cache.get(key, tile_width(self._size, key))
            if tile is None:
                raise KeyError(key)
            self._tiles[key] = tile
        return tile

    def __iter__(self) -> Iterator[TileKey]:
        return iter(self._tiles)

    def __len__(self) -> int:
        return len(self._tiles)


class _Inner(Mapping[TileKey, bytes | None]):
    """The inner nodes a tree uses: those read with its ``given`` tiles, then (unless
    ``kept`` is False) those kept beside the cache's tiles."""

    def __init__(
        self, cache: TileCache, given: Mapping[TileKey, bytes | None] | None, kept: bool
    ) -> None:
        self._cache, self._given, self._kept = cache, given or {}, kept

    def get(self, key: TileKey, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        """(Asked for every node a proof reads: no ``KeyError`` raised and caught.)"""
        nodes = self._given.get(key)
        if nodes is None and self._kept:
            nodes = self._cache.inner(key)
        return default if nodes is None else nodes

    def __getitem__(self, key: TileKey) -> bytes | None:
        nodes = self.get(key)
        if nodes is None:
            raise KeyError(key)
        return nodes

    def __iter__(self) -> Iterator[TileKey]:
        return iter(self._given)

    def __len__(self) -> int:
        return len(self._given)
