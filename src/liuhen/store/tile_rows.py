"""The Merkle tree's tiles in the database (``ledger_tiles``): read the few a question needs,
write the ones an append changed (``ledger/tiles.py`` does the arithmetic)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, func, or_, select, tuple_, update

from liuhen.ledger.merkle import HASH_SIZE
from liuhen.ledger.tiles import FULL_TILE, TILE_HEIGHT, TileKey, inner_nodes
from liuhen.store import tables as t
from liuhen.store.upsert import insert_for

_tiles = t.ledger_tiles


def read_tiles(conn: Connection, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
    """The stored tiles among ``keys`` (one statement); a missing one is simply absent."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    if conn.dialect.name == "postgresql":
        return _read_binary(conn, wanted)
    params = {f"l{n}": level for n, (level, _) in enumerate(wanted)}
    params.update({f"i{n}": idx for n, (_, idx) in enumerate(wanted)})
    rows = conn.execute(_of_keys(len(wanted)), params)
    return {(int(level), int(idx)): bytes(hashes) for level, idx, hashes in rows}


def _read_binary(conn: Connection, wanted: list[TileKey]) -> dict[TileKey, bytes]:
    """``read_tiles`` on PostgreSQL, on the driver's cursor with binary results: a tile's
    8 KiB come as they are, not as 16 KiB of hex to decode (a third of a proof's time)."""
    where = " OR ".join(["(level = %s AND idx = %s)"] * len(wanted))
    cursor = conn.connection.cursor(binary=True)
    try:
        cursor.execute(
            f"SELECT level, idx, hashes FROM ledger_tiles WHERE {where}",
            [v for key in wanted for v in key],
        )
        return {(int(lv), int(ix)): bytes(h) for lv, ix, h in cursor.fetchall()}
    finally:
        cursor.close()


def read_upper_tiles(conn: Connection) -> tuple[dict[TileKey, bytes], dict[TileKey, bytes]]:
    """Every stored tile above the leaves (level 1 and up: one for each 65,536 events, in
    one statement), and the stored inner nodes of those that have them (full tiles)."""
    rows = conn.execute(
        select(_tiles.c.level, _tiles.c.idx, _tiles.c.hashes, _tiles.c.inner_nodes).where(
            _tiles.c.level > 0
        )
    )
    tiles: dict[TileKey, bytes] = {}
    inner: dict[TileKey, bytes] = {}
    for level, idx, hashes, nodes in rows:
        key = (int(level), int(idx))
        tiles[key] = bytes(hashes)
        if nodes is not None:
            inner[key] = bytes(nodes)
    return tiles, inner


@cache
def _of_keys(count: int) -> Select[Any]:
    """``SELECT`` of ``count`` tiles by key, built once per count (a proof asks for a few;
    built per call, the expression cost more than the database's answer). An OR of keys:
    SQLite scans the table for a row-value ``IN``."""
    return select(_tiles.c.level, _tiles.c.idx, _tiles.c.hashes).where(
        or_(
            *(
                and_(_tiles.c.level == bindparam(f"l{n}"), _tiles.c.idx == bindparam(f"i{n}"))
                for n in range(count)
            )
        )
    )


def tiled_size(conn: Connection) -> int:
    """How many leaves the stored tiles hold (from the rightmost tile of level 0)."""
    row = conn.execute(
        select(_tiles.c.idx, _tiles.c.hashes)
        .where(_tiles.c.level == 0)
        .order_by(_tiles.c.idx.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0
    return (int(row[0]) << TILE_HEIGHT) + len(row[1]) // HASH_SIZE


def write_tiles(conn: Connection, changed: Mapping[TileKey, bytes]) -> None:
    """Store every tile of ``changed``, a new one inserted and a grown one replaced."""
    if not changed:
        return
    rows = [
        {"level": k[0], "idx": k[1], "hashes": v, "inner_nodes": _inner_of(v)}
        for k, v in sorted(changed.items())
    ]
    conn.execute(_upsert(conn.dialect.name), rows)


def _inner_of(hashes: bytes) -> bytes | None:
    return inner_nodes(hashes) if len(hashes) == FULL_TILE else None


_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """The tiles' ``INSERT … ON CONFLICT DO UPDATE``, built once per dialect (every write
    transaction runs it)."""
    if dialect not in _UPSERTS:
        stmt = insert_for(dialect, _tiles)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["level", "idx"],
            set_={"hashes": stmt.excluded.hashes, "inner_nodes": stmt.excluded.inner_nodes},
        )
    return _UPSERTS[dialect]


def clear_tiles(conn: Connection) -> None:
    """Drop every tile (they are rebuilt from the events' leaf hashes)."""
    conn.execute(_tiles.delete())


def stored_tiles(conn: Connection, page: int = 500) -> Iterator[tuple[TileKey, bytes]]:
    """Every stored tile, level by level, left to right, ``page`` rows to a statement (a few
    megabytes held at a time whatever the size of the tree)."""
    for key, hashes, _ in stored_tile_rows(conn, page):
        yield key, hashes


def stored_tile_rows(
    conn: Connection, page: int = 500, reaching: int = 0
) -> Iterator[tuple[TileKey, bytes, bytes | None]]:
    """``stored_tiles`` with each tile's stored inner nodes (None where there are none);
    with ``reaching``, only the tiles that hold (or would hold) an entry over a leaf from
    ``reaching`` on: each level's from the tile of its entry over leaf ``reaching``."""
    after: TileKey = (-1, -1)
    where = []
    if reaching:
        starts = [(lv, (reaching >> (TILE_HEIGHT * lv)) >> TILE_HEIGHT) for lv in range(8)]
        where.append(
            or_(
                _tiles.c.level >= len(starts),
                *(and_(_tiles.c.level == lv, _tiles.c.idx >= first) for lv, first in starts),
            )
        )
    while True:
        rows = conn.execute(
            select(_tiles.c.level, _tiles.c.idx, _tiles.c.hashes, _tiles.c.inner_nodes)
            .where(tuple_(_tiles.c.level, _tiles.c.idx) > after, *where)
            .order_by(_tiles.c.level, _tiles.c.idx)
            .limit(page)
        ).all()
        for level, idx, hashes, inner in rows:
            after = (int(level), int(idx))
            yield after, bytes(hashes), None if inner is None else bytes(inner)
        if len(rows) < page:
            return


def fill_inner_nodes(conn: Connection, page: int = 500) -> int:
    """Store the inner nodes of every full tile that has none (a store from before them:
    ``liuhen init``), ``page`` tiles to a statement; how many were filled. Computed from
    the tile's own entries: a damaged tile gets inner nodes as damaged as it, and
    ``liuhen verify`` names the tile."""
    filled = 0
    after: TileKey = (-1, -1)
    full = func.length(_tiles.c.hashes) == FULL_TILE
    fill = (
        update(_tiles)
        .where(_tiles.c.level == bindparam("k_level"), _tiles.c.idx == bindparam("k_idx"))
        .values(inner_nodes=bindparam("inner"))
    )
    while True:
        rows = conn.execute(
            select(_tiles.c.level, _tiles.c.idx, _tiles.c.hashes)
            .where(_tiles.c.inner_nodes.is_(None), full)
            .where(tuple_(_tiles.c.level, _tiles.c.idx) > after)
            .order_by(_tiles.c.level, _tiles.c.idx)
            .limit(page)
        ).all()
        if rows:
            after = (int(rows[-1][0]), int(rows[-1][1]))
            conn.execute(
                fill,
                [
                    {"k_level": lv, "k_idx": ix, "inner": inner_nodes(bytes(h))}
                    for lv, ix, h in rows
                ],
            )
            filled += len(rows)
        if len(rows) < page:
            return filled


def events_end(conn: Connection) -> int:
    """One past the highest event seq stored now (how far a tile may reach)."""
    return (
        int(conn.execute(select(func.coalesce(func.max(t.ledger_events.c.seq), -1))).scalar_one())
        + 1
    )
