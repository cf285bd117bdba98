"""The SQL of an inclusion proof (``services/admin/ledger.inclusion_proof``): the newest
signed checkpoint, the event and its leaf tile in one statement, the path's other tiles from
the process's tile cache."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, case, func, select

from liuhen.ledger.merkle import HASH_SIZE
from liuhen.ledger.tiles import (
    FULL_TILE,
    INNER_BYTES,
    TILE_HEIGHT,
    TILE_WIDTH,
    WINDOW_ENTRIES,
    TileWindow,
    window_of,
)
from liuhen.store import tables as t
from liuhen.store.driver_rows import DriverSelect
from liuhen.store.store import Store

_CP = select(t.checkpoints).order_by(t.checkpoints.c.tree_size.desc()).limit(1).subquery("cp")
_EV = t.ledger_events
_LT = t.ledger_tiles.alias("lt")
_COLUMNS = (*(c.label(f"cp_{c.name}") for c in _CP.c), *(c.label(f"ev_{c.name}") for c in _EV.c))
_JOINED = _CP.outerjoin(_EV, (_EV.c.seq == bindparam("seq")) & (_EV.c.seq < _CP.c.tree_size))
_NEWEST_AND_EVENT = select(*_COLUMNS).select_from(_JOINED)
"""The newest signed checkpoint and event ``seq`` when that checkpoint covers it, in one
statement (on PostgreSQL each statement is a round trip: a proof is a millisecond's work)."""


def _leaf_tile(column: Any) -> Any:
    return select(column).where(_LT.c.level == 0, _LT.c.idx == bindparam("tile")).scalar_subquery()


_WINDOWED = (
    (func.length(_LT.c.inner_nodes) == INNER_BYTES)
    & (func.length(_LT.c.hashes) == FULL_TILE)
    & ((_LT.c.idx + 1) * TILE_WIDTH <= _CP.c.tree_size)
)
"""When a proof reads only a window of the leaf tile (``ledger.tiles.TileWindow``): the tile
is full, has its inner nodes, and the checkpoint's tree holds all of it."""
_LEAF_HASHES = case(
    (
        _WINDOWED,
        func.substr(_LT.c.hashes, bindparam("window", type_=Integer), WINDOW_ENTRIES * HASH_SIZE),
    ),
    else_=_LT.c.hashes,
)


def _with_leaf_tile(hashes: Any) -> Any:
    return select(
        *_COLUMNS,
        _leaf_tile(hashes).label("leaf_tile"),
        _leaf_tile(_LT.c.inner_nodes).label("leaf_inner"),
    ).select_from(_JOINED)


_WITH_LEAF_TILE = _with_leaf_tile(_LEAF_HASHES)
"""``_NEWEST_AND_EVENT`` with the event's leaf tile (level 0) and its inner nodes, when the process does
not keep the tile: each read by its key in a subquery of its own. (Joined, SQLite 3.40 with
the statistics ``ANALYZE`` gives it, as ``liuhen init`` and the fixity job run it, built a
Bloom filter over every tile for the one row: 3.6 ms a proof at 550,000 events, all of
``ledger_tiles`` read at ten million.) Of a full tile with inner nodes inside the
checkpoint's tree only the event's window is read (``_WINDOWED``): PostgreSQL then fetches
one of the value's five TOAST chunks, not all (at ten million events with the ledger in the
page cache but not in 128 MB of shared buffers, that is most of what a proof's statement
reads from outside them)."""
_WITH_WHOLE_LEAF_TILE = _with_leaf_tile(_LT.c.hashes)
"""The same, the leaf tile whole: a proof made again from the tile's entries alone."""


_PROOF_ROW = DriverSelect(_NEWEST_AND_EVENT)
_PROOF_ROW_WITH_TILE = DriverSelect(_WITH_LEAF_TILE)
_PROOF_ROW_WITH_WHOLE_TILE = DriverSelect(_WITH_WHOLE_LEAF_TILE)


def _leaf(hashes: bytes, inner: bytes | None, seq: int, size: int) -> bytes:
    """The leaf tile as read: the window ``_WINDOWED`` read of it (as a ``TileWindow``)
    or the whole tile."""
    windowed = (
        inner is not None
        and len(inner) == INNER_BYTES
        and ((seq >> TILE_HEIGHT) + 1) * TILE_WIDTH <= size
        and len(hashes) == WINDOW_ENTRIES * HASH_SIZE
    )
    return TileWindow(bytes(hashes), window_of(seq)) if windowed else bytes(hashes)


def proof_inputs(
    store: Store, seq: int, *, stored_inner: bool = True
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[bytes] | None]:
    """What an inclusion proof of event ``seq`` needs, on one connection: the newest signed
    checkpoint, the event as stored (None unless that checkpoint covers it) and the event's
    path to the checkpoint's root as the stored tiles give it (empty when they cannot: a
    tile missing or damaged). One statement, on the driver's cursor (``store/driver_rows``),
    reads the checkpoint, the event and its leaf tile; the path's other tiles come from the
    process's ``store.tile_cache`` (the upper levels and the right edge: a second statement
    only for those it does not hold yet, or holds narrower than this tree needs them). A
    full leaf tile is read with its stored inner nodes (``ledger/tiles``), and of it only
    the 16 entries around the event when the checkpoint's tree holds all of it
    (``TileWindow``), and not kept: reading it again is cheaper than folding it;
    ``stored_inner`` False reads the whole tile and folds it (a proof that did not verify
    with them is made again so)."""
    cache = store.tile_cache
    leaf_key = (0, seq >> TILE_HEIGHT) if seq >= 0 else (0, -1)
    kept = cache.get(leaf_key, TILE_WIDTH) if stored_inner else None
    with store.read() as conn:
        if kept is not None:
            found = _PROOF_ROW.first(conn, {"seq": seq})
        elif stored_inner:
            window = {"tile": leaf_key[1], "window": window_of(seq) * HASH_SIZE + 1}
            found = _PROOF_ROW_WITH_TILE.first(conn, {"seq": seq, **window})
        else:
            found = _PROOF_ROW_WITH_WHOLE_TILE.first(conn, {"seq": seq, "tile": leaf_key[1]})
        if found is None:
            return None, None, None
        latest = {c.name: found[f"cp_{c.name}"] for c in _CP.c}
        if found["ev_seq"] is None:
            return latest, None, None
        row = {c.name: found[f"ev_{c.name}"] for c in _EV.c}
        size = int(latest["tree_size"])
        leaf_tile = kept if kept is not None else found["leaf_tile"]
        inner = found.get("leaf_inner") if kept is None and stored_inner else None
        inners = {leaf_key: bytes(inner)} if inner is not None else None
        given = {leaf_key: _leaf(leaf_tile, inner, seq, size)} if leaf_tile is not None else {}
        try:
            proof = cache.answer(
                conn,
                size,
                lambda tree: tree.inclusion_proof(seq, size),
                given,
                inners,
                stored_inner=stored_inner,
            )
        except (KeyError, ValueError):
            proof = []  # tiles missing or damaged: the proof cannot be given, and says so
        return latest, row, proof
