"""The ledger's Merkle tree as stored tiles (``ledger_tiles``), extended by every write
transaction, with the right edge as this process last wrote it kept in memory (O(log n)
hashes, not the tree), so the next transaction neither reads the tiles again nor holds more
than a few of them whatever the size of the ledger."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select

from liuhen.ledger.merkle import HASH_SIZE, MerkleHashes
from liuhen.ledger.tiles import TILE_WIDTH, TiledTree, TileKey, edge_keys, extend, tiles_for
from liuhen.store import tables as t
from liuhen.store.tile_rows import read_tiles, tiled_size, write_tiles


def tree_for(conn: Connection, size: int, question: Callable[[MerkleHashes], object]) -> TiledTree:
    """The tree of ``size`` events with the stored tiles ``question`` reads loaded."""
    return TiledTree(size, read_tiles(conn, tiles_for(size, question)))


class StoredTree:
    """One process's view of the stored tree; ``forget`` after a rolled-back write."""

    def __init__(self) -> None:
        self._edge: tuple[int, dict[TileKey, bytes]] | None = None
        """(size, right-edge tiles) as this process last wrote them."""

    def forget(self) -> None:
        self._edge = None

    def extend(
        self, conn: Connection, first: int, last: int | None = None, *, tail: bool = False
    ) -> TiledTree | None:
        """Append this transaction's events (``first`` … ``last``), and any before them
        the stored tiles lack, to the tiles; return the tree over all events. None when the
        stored ledger is damaged: a gap in the sequence, a leaf that is no hash, events
        before ``first`` that no signed checkpoint covers (every transaction signs its own
        events, so those were appended outside LiuHen) or, with ``tail`` (checkpoints
        every ``LIUHEN_CHECKPOINT_MS``: events may wait for one), that are neither covered
        nor in the stored tiles (every transaction tiles its own events), or (read
        afresh, the first time in this process) tiles that do not give the root of the
        newest signed checkpoint. A damaged ledger is never signed over, so damage cannot
        hide under a new signature. ``last`` = ``first - 1``: no events of its own (the
        unsigned tail's signer)."""
        fresh = self._edge is None
        if self._edge is not None:
            size, edge = self._edge
        else:
            size = tiled_size(conn)
            edge = read_tiles(conn, edge_keys(size))
        try:
            leaves = _leaves(conn, size, first, last, tail)
            new_size, changed = extend(size, edge, leaves)
            tiles = {**edge, **changed}
            if fresh and not self._agrees_with_signed(conn, new_size, tiles):
                raise ValueError("the stored tiles disagree with the newest checkpoint")
        except (ValueError, TypeError, KeyError):
            self._edge = None
            return None
        write_tiles(conn, changed)
        self._edge = (new_size, {k: tiles[k] for k in edge_keys(new_size)})
        return TiledTree(new_size, self._edge[1])

    def catch_up(self, conn: Connection, chunk: int = 50_000) -> TiledTree:
        """Extend the stored tiles to the newest event ``chunk`` events at a time (memory
        stays flat for a ledger of millions: an upgrade's first build), then check them
        against the newest checkpoint. ``ValueError`` when the ledger is damaged: the caller
        rolls back what was written."""
        self._edge = None
        size = tiled_size(conn)
        edge = read_tiles(conn, edge_keys(size))
        while leaves := _leaves(conn, size, -1, size + chunk - 1, False):
            size, changed = extend(size, edge, leaves)
            write_tiles(conn, changed)
            merged = {**edge, **changed}
            edge = {k: merged[k] for k in edge_keys(size)}
        if not self._agrees_with_signed(conn, size, dict(edge)):
            raise ValueError("the stored tiles disagree with the newest checkpoint")
        self._edge = (size, edge)
        return TiledTree(size, edge)

    @staticmethod
    def _agrees_with_signed(conn: Connection, size: int, tiles: dict[TileKey, bytes]) -> bool:
        """The newest checkpoint in the database covers no more than the ``size`` events and
        has the root the tiles give it (its signature is ``liuhen verify``'s to check)."""
        newest = conn.execute(
            select(t.checkpoints.c.tree_size, t.checkpoints.c.root_hash)
            .order_by(t.checkpoints.c.tree_size.desc())
            .limit(1)
        ).first()
        if newest is None:
            return True
        signed, root = int(newest[0]), newest[1]
        if signed > size:
            return False
        keys = tiles_for(size, lambda tree: tree.root(signed)) - tiles.keys()
        tiles.update(read_tiles(conn, keys))
        return bool(TiledTree(size, tiles).root(signed).hex() == root)


@cache
def _leaves_from(bounded: bool) -> Select[Any]:
    """The events from ``:size`` on (to ``:last`` when ``bounded``) with the newest signed
    size and the tiled size beside each, built once (every write transaction asks it)."""
    signed = select(func.max(t.checkpoints.c.tree_size)).scalar_subquery()
    tiles = t.ledger_tiles.c
    tiled = (
        select(tiles.idx * TILE_WIDTH + func.length(tiles.hashes) / HASH_SIZE)
        .where(tiles.level == 0)
        .order_by(tiles.idx.desc())
        .limit(1)
        .scalar_subquery()
    )
    # The upper bound is the transaction's last event (the head is locked: none comes
    # after it); without it a planner that has no statistics yet (a store just loaded)
    # reads the whole table for an open range.
    seq = t.ledger_events.c.seq
    bound = (seq <= bindparam("last"),) if bounded else ()
    return (
        select(seq, t.ledger_events.c.leaf_hash, signed, tiled)
        .where(seq >= bindparam("size"), *bound)
        .order_by(seq)
    )


def _leaves(conn: Connection, size: int, first: int, last: int | None, tail: bool) -> list[bytes]:
    """The leaf hashes of the events from ``size`` on (to ``last``); ``ValueError`` for a
    gap, a leaf that is no hash, or events before ``first`` (a transaction's first; -1:
    none) that no signed checkpoint covers (``tail``: nor the stored tiles)."""
    params = {"size": size} if last is None else {"size": size, "last": last}
    rows = conn.execute(_leaves_from(last is not None), params)
    leaves: list[bytes] = []
    for seq, leaf, covered, in_tiles in rows:
        if seq != size + len(leaves):
            raise ValueError(f"ledger_events#{size + len(leaves)} missing")
        if not tail and seq == first and int(covered or 0) != first:
            raise ValueError(f"ledger_events#{covered or 0}–#{first - 1} unsigned")
        if tail and seq < first and max(int(covered or 0), int(in_tiles or 0)) <= seq:
            raise ValueError(f"ledger_events#{seq}–#{first - 1} neither tiled nor signed")
        leaves.append(bytes.fromhex(leaf))
    return leaves
