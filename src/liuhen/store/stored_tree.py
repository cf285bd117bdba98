"""The ledger's Merkle tree as stored tiles (``ledger_tiles``), extended by every write
transaction, with the right edge as this process last wrote it kept in memory (O(log n)
hashes, not the tree), so the next transaction neither reads the tiles again nor holds more
than a few of them whatever the size of the ledger.

The tree also knows which key must sign a checkpoint over it (``signing_key``): the newest
``ledger.key_rotated`` event among its events says. Each extension reads every event
appended since this process's last (by any process), so a rotation recorded meanwhile (by
``liuhen ledger rotate-key`` beside a running server, or by another thread) is seen there,
for no statement more; a tree read afresh asks for the newest rotation once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select

from liuhen.ledger.merkle import HASH_SIZE, MerkleHashes
from liuhen.ledger.rotation import ROTATED
from liuhen.ledger.tiles import TILE_WIDTH, TiledTree, TileKey, edge_keys, extend, tiles_for
from liuhen.store import tables as t
from liuhen.store.event_append import Appending, Leaf, append_and_read
from liuhen.store.tile_rows import read_tiles, tiled_size, write_tiles


def tree_for(conn: Connection, size: int, question: Callable[[MerkleHashes], object]) -> TiledTree:
    """The tree of ``size`` events with the stored tiles ``question`` reads loaded."""
    return TiledTree(size, read_tiles(conn, tiles_for(size, question)))


class StoredTree:
    """One process's view of the stored tree; ``forget`` after a rolled-back write."""

    def __init__(self) -> None:
        self._edge: tuple[int, dict[TileKey, bytes]] | None = None
        """(size, right-edge tiles) as this process last wrote them."""
        self._rotation: RotationEvent | None = None
        """The newest key rotation among the events of ``_edge``'s tree (None: none)."""

    def forget(self) -> None:
        self._edge = None
        self._rotation = None

    def signing_key(self, size: int) -> str | None:
        """The fingerprint of the key a checkpoint over the first ``size`` events of the tree
        last extended must be signed with, when a rotation says (None: the ledger's first
        key, whichever this process holds; ``liuhen serve`` checked it at its start). A
        rotation's own transaction is signed by the key it retires, every later one by the
        new key (``verify``'s chain of keys, ``integrity.key.follow_rotations``)."""
        if self._rotation is None:
            return None
        return self._rotation.new if size > self._rotation.seq + 1 else self._rotation.old

    def extend(
        self,
        conn: Connection,
        first: int,
        last: int | None = None,
        *,
        tail: bool = False,
        appending: Appending | None = None,
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
        unsigned tail's signer). ``appending``: the transaction's events not yet inserted,
        inserted by the statement that reads the leaves (PostgreSQL, ``event_append``)."""
        fresh = self._edge is None
        if self._edge is not None:
            size, edge = self._edge
        else:
            size = tiled_size(conn)
            edge = read_tiles(conn, edge_keys(size))
        try:
            leaves, rotated = _leaves(conn, size, first, last, tail, appending)
            new_size, changed = extend(size, edge, leaves)
            tiles = {**edge, **changed}
            if fresh and not self._agrees_with_signed(conn, new_size, tiles):
                raise ValueError("the stored tiles disagree with the newest checkpoint")
            if fresh or rotated is not None:
                self._rotation = rotation_event(conn, rotated)
        except (ValueError, TypeError, KeyError):
            self.forget()
            return None
        write_tiles(conn, changed)
        self._edge = (new_size, {k: tiles[k] for k in edge_keys(new_size)})
        return TiledTree(new_size, self._edge[1])

    def catch_up(self, conn: Connection, chunk: int = 50_000) -> TiledTree:
        """Extend the stored tiles to the newest event ``chunk`` events at a time (memory
        stays flat for a ledger of millions: an upgrade's first build), then check them
        against the newest checkpoint. ``ValueError`` when the ledger is damaged: the caller
        rolls back what was written."""
        self.forget()
        size = tiled_size(conn)
        edge = read_tiles(conn, edge_keys(size))
        while (read := _leaves(conn, size, -1, size + chunk - 1, False))[0]:
            size, changed = extend(size, edge, read[0])
            write_tiles(conn, changed)
            merged = {**edge, **changed}
            edge = {k: merged[k] for k in edge_keys(size)}
        if not self._agrees_with_signed(conn, size, dict(edge)):
            raise ValueError("the stored tiles disagree with the newest checkpoint")
        self._edge, self._rotation = (size, edge), rotation_event(conn)
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
        select(seq, t.ledger_events.c.leaf_hash, t.ledger_events.c.action, signed, tiled)
        .where(seq >= bindparam("size"), *bound)
        .order_by(seq)
    )


def _leaves(
    conn: Connection,
    size: int,
    first: int,
    last: int | None,
    tail: bool,
    appending: Appending | None = None,
) -> tuple[list[bytes], int | None]:
    """The leaf hashes of the events from ``size`` on (to ``last``), and the seq of the
    newest key rotation among them (None: none); ``ValueError`` for a gap, a leaf that is no
    hash, or events before ``first`` (a transaction's first; -1: none) that no signed
    checkpoint covers (``tail``: nor the stored tiles). ``appending``'s events are inserted
    first, in the same statement (``event_append``)."""
    rows: Iterable[Leaf]
    if appending is not None:
        rows = append_and_read(conn, appending, size)
    else:
        params = {"size": size} if last is None else {"size": size, "last": last}
        rows = conn.execute(_leaves_from(last is not None), params)
    leaves: list[bytes] = []
    rotated = None
    for seq, leaf, action, covered, in_tiles in rows:
        if seq != size + len(leaves):
            raise ValueError(f"ledger_events#{size + len(leaves)} missing")
        if not tail and seq == first and int(covered or 0) != first:
            raise ValueError(f"ledger_events#{covered or 0}–#{first - 1} unsigned")
        if tail and seq < first and max(int(covered or 0), int(in_tiles or 0)) <= seq:
            raise ValueError(f"ledger_events#{seq}–#{first - 1} neither tiled nor signed")
        if action == ROTATED:
            rotated = seq
        leaves.append(bytes.fromhex(leaf))
    return leaves, rotated


@dataclass(frozen=True)
class RotationEvent:
    """A ``ledger.key_rotated`` event: its seq and the fingerprints of the key it retires
    and of the key it moves to."""

    seq: int
    old: str
    new: str


def rotation_query(seq: int | None = None) -> Select[Any]:
    """The rotation event ``seq``, or the newest one: read backwards from the index on
    (action, seq) (migration 0034), whatever statistics the database has."""
    ev = t.ledger_events.c
    query = select(ev.seq, ev.payload).where(ev.action == ROTATED)
    query = query.where(ev.seq == seq) if seq is not None else query.order_by(ev.seq.desc())
    return query.limit(1)


def rotation_event(conn: Connection, seq: int | None = None) -> RotationEvent | None:
    """The rotation event ``seq``, or the newest one (None: the ledger has none). One whose
    payload names no fingerprints is no rotation LiuHen wrote: ``ValueError``, damage that
    is not signed over (``verify`` reports it: ``key_rotation_invalid``)."""
    row = conn.execute(rotation_query(seq)).first()
    if row is None:
        return None
    payload = row[1] if isinstance(row[1], dict) else {}
    old, new = payload.get("old_fingerprint"), payload.get("new_fingerprint")
    if not isinstance(old, str) or not isinstance(new, str):
        raise ValueError(f"ledger_events#{row[0]} rotates to no fingerprint")
    return RotationEvent(int(row[0]), old, new)
