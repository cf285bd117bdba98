"""The Merkle tree stored as tiles: every write transaction extends them, in any process
and after any other; they equal the tree of the events' recomputed leaves; proofs are
served from them; an upgraded store gets them from ``liuhen init``; ``verify`` names a
tile that was edited, cut or deleted."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import delete, select, text, update
from tests.helpers import SYSTEM

from liuhen.config import Settings
from liuhen.ledger.events import event_bytes
from liuhen.ledger.merkle import MerkleTree, leaf_hash, verify_consistency
from liuhen.ledger.tiles import TILE_WIDTH, edge_keys, extend, inner_nodes
from liuhen.services.admin.ledger import inclusion_proof
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from liuhen.store.store import Store
from liuhen.store.tile_cache import TileCache
from liuhen.store.tile_rows import read_upper_tiles, stored_tiles, write_tiles
from liuhen.store.unit import Appended


def _append(store: Store, count: int, per_tx: int = 1) -> None:
    for first in range(0, count, per_tx):
        with store.transaction(SYSTEM) as tx:
            for _ in range(min(per_tx, count - first)):
                tx.record("ledger.checkpointed", subject_type="ledger", subject_id="test")


def _recomputed(store: Store) -> MerkleTree:
    with store.read() as conn:
        rows = conn.execute(select(t.ledger_events).order_by(t.ledger_events.c.seq)).mappings()
        return MerkleTree([leaf_hash(event_bytes(r)) for r in rows])


def _tiles(store: Store) -> dict[tuple[int, int], bytes]:
    with store.read() as conn:
        return dict(stored_tiles(conn))


def _assert_tiles_equal_the_tree(store: Store) -> MerkleTree:
    tree = _recomputed(store)
    tiles = _tiles(store)
    assert tiles, "no tile was written"
    for (level, index), hashes in tiles.items():
        assert hashes == tree.nodes(8 * level, index * TILE_WIDTH, TILE_WIDTH), (level, index)
    assert set(edge_keys(tree.size)) <= tiles.keys()
    assert len(tiles[(0, (tree.size - 1) // TILE_WIDTH)]) == 32 * ((tree.size - 1) % 256 + 1)
    return tree


def test_two_processes_writing_in_turn_keep_the_tiles_equal_to_the_tree(store, clock):
    first, second = store, Store.open(store.settings, clock=clock)
    try:
        _append(first, 200, per_tx=50)  # past one tile's width with the other's writes
        _append(second, 3)
        _append(first, 90, per_tx=30)
        _append(second, 1)
        tree = _assert_tiles_equal_the_tree(first)
        assert tree.size > TILE_WIDTH
        latest = first.latest_checkpoint()
        assert latest is not None and latest["tree_size"] == tree.size
        assert latest["root_hash"] == tree.root().hex()
        old = 37
        proof = second.consistency_proof(old, tree.size)
        assert verify_consistency(old, tree.size, tree.root(old), tree.root(), proof)
        answer = inclusion_proof(first, SYSTEM, 5)
        assert answer["verified"] is True
        assert answer["proof"] == [h.hex() for h in tree.inclusion_proof(5)]
        assert verify(first, SYSTEM).ok
    finally:
        second.close()


def test_an_upgraded_store_gets_its_tiles_from_init_and_verify_says_until_then(store, clock):
    _append(store, 300, per_tx=100)
    with store.engine.begin() as conn:  # as a store from before migration 0016 has them
        conn.execute(delete(t.ledger_tiles))
    report = verify(store, SYSTEM)
    assert not report.ok
    assert report.names("ledger_tiles#0/0") and report.names("ledger_tiles#1/0")
    assert inclusion_proof(store, SYSTEM, 3)["verified"] is False  # no tiles: no proof
    initialise(store.settings, admin_password="Admin-pass-2026", clock=clock)
    upgraded = Store.open(store.settings, clock=clock)
    try:
        _assert_tiles_equal_the_tree(upgraded)
        assert inclusion_proof(upgraded, SYSTEM, 3)["verified"] is True
        assert verify(upgraded, SYSTEM).ok
    finally:
        upgraded.close()


def test_tiles_built_in_chunks_after_an_upgrade_equal_the_tree(store):
    _append(store, 700, per_tx=350)
    with store.engine.begin() as conn:
        conn.execute(delete(t.ledger_tiles))
    before = store.latest_checkpoint()
    assert store.build_tiles(chunk=64) == (0, before["tree_size"])
    _assert_tiles_equal_the_tree(store)
    _append(store, 3)  # and the next write goes on from there
    _assert_tiles_equal_the_tree(store)
    newest = store.latest_checkpoint()
    with store.engine.begin() as conn:  # signed past the events: the tail was cut
        conn.execute(delete(t.ledger_tiles))
        conn.execute(
            t.checkpoints.insert().values({**newest, "tree_size": newest["tree_size"] + 5})
        )
    assert store.build_tiles(chunk=64) is None
    assert _tiles(store) == {}  # nothing built over a damaged ledger


def test_verify_names_a_tile_edited_cut_or_deleted(store):
    _append(store, 600, per_tx=200)
    tiles = _tiles(store)
    edited = bytearray(tiles[(0, 1)])
    edited[40] ^= 1  # entry 1 of tile 0/1: event #257
    cases = {
        "ledger_tiles#0/1": {"hashes": bytes(edited)},
        "ledger_tiles#0/2": {"hashes": tiles[(0, 2)][:-64]},
    }
    for name, values in cases.items():
        level, index = (int(x) for x in name.split("#")[1].split("/"))
        where = (t.ledger_tiles.c.level == level) & (t.ledger_tiles.c.idx == index)
        with store.engine.begin() as conn:
            conn.execute(update(t.ledger_tiles).where(where).values(**values))
        report = verify(store, SYSTEM)
        assert not report.ok and report.names(name), report.problems
        assert {p.kind for p in report.problems} == {"ledger_tile_altered"}
        with store.engine.begin() as conn:
            conn.execute(update(t.ledger_tiles).where(where).values(hashes=tiles[(level, index)]))
    assert verify(store, SYSTEM).ok
    assert "#257" in next(
        p.message
        for p in verify_edit(store, (0, 1), bytes(edited)).problems
        if p.object == "ledger_tiles#0/1"
    )
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_tiles WHERE level = 0 AND idx = 0"))
    report = verify(store, SYSTEM)
    assert report.names("ledger_tiles#0/0")
    assert {p.kind for p in report.problems} == {"ledger_tiles_missing"}


def verify_edit(store: Store, key: tuple[int, int], hashes: bytes):  # type: ignore[no-untyped-def]
    where = (t.ledger_tiles.c.level == key[0]) & (t.ledger_tiles.c.idx == key[1])
    with store.engine.begin() as conn:
        old = conn.execute(select(t.ledger_tiles.c.hashes).where(where)).scalar_one()
        conn.execute(update(t.ledger_tiles).where(where).values(hashes=hashes))
    try:
        return verify(store, SYSTEM)
    finally:
        with store.engine.begin() as conn:
            conn.execute(update(t.ledger_tiles).where(where).values(hashes=old))


def test_a_process_that_finds_a_tile_edited_signs_nothing_over_it(store, clock):
    _append(store, 10)
    before = store.latest_checkpoint()
    size = before["tree_size"] if before else 0
    with store.engine.begin() as conn:
        conn.execute(
            update(t.ledger_tiles)
            .where(t.ledger_tiles.c.level == 0)
            .values(hashes=bytes(32) * size)
        )
    fresh = Store.open(store.settings, clock=clock)  # no memory of the tree: reads the tiles
    try:
        _append(fresh, 1)
        assert fresh.latest_checkpoint() == before  # the write went in; no signature over it
    finally:
        fresh.close()


def test_record_many_writes_the_events_record_writes_byte_for_byte(
    sqlite_settings, clock, tmp_path
):
    """The bulk path (``bench/bench_ledger.py`` builds its ledgers with it) against the
    normal one: two copies of one store, the same events appended each way."""
    initialise(sqlite_settings, admin_password="Admin-pass-2026", clock=clock)
    copy = tmp_path / "copy"
    shutil.copytree(sqlite_settings.data_dir, copy)
    events = [
        Appended("bench.appended", "ledger", f"e{i}", payload={"n": i, "文": "留痕"})
        for i in range(300)
    ]
    one = Store.open(sqlite_settings, clock=clock)
    try:
        for event in events:
            with one.transaction(SYSTEM) as tx:
                tx.record(
                    event.action,
                    subject_type=event.subject_type,
                    subject_id=event.subject_id,
                    payload=event.payload,
                )
        expected = _rows(one)
    finally:
        one.close()
    bulk_settings = Settings.from_env({"LIUHEN_DATA_DIR": str(copy), "LIUHEN_ENV": "test"})
    bulk = Store.open(bulk_settings, clock=clock)
    try:
        with bulk.transaction(SYSTEM) as tx:
            seqs = tx.record_many(events[:120])
        with bulk.transaction(SYSTEM) as tx:
            seqs += tx.record_many(events[120:])
        assert seqs == [r["seq"] for r in expected[-300:]]
        assert _rows(bulk) == expected
        tree = _assert_tiles_equal_the_tree(bulk)
        assert bulk.latest_checkpoint()["root_hash"] == tree.root().hex()
        assert verify(bulk, SYSTEM).ok
    finally:
        bulk.close()


def _rows(store: Store) -> list[dict]:  # type: ignore[type-arg]
    with store.read() as conn:
        rows = conn.execute(select(t.ledger_events).order_by(t.ledger_events.c.seq))
        return [dict(r) for r in rows.mappings()]


def test_a_proof_reads_one_statement_once_its_path_is_kept_and_stays_right_as_the_log_grows(
    store: Store,
) -> None:
    """The tiles a proof passes through are kept (``store/tile_cache``): the next proof
    reads the checkpoint, the event and its leaf tile in one statement; a kept edge tile
    narrower than a grown tree needs is read again. Statements are counted as the driver
    runs them (the proof's is on the driver's own cursor: ``store/driver_rows``)."""
    _append(store, 600, per_tx=100)
    assert inclusion_proof(store, SYSTEM, 5)["verified"]  # keeps tile 1/0 and the edge
    with _driver_statements(store) as statements:
        assert inclusion_proof(store, SYSTEM, 300)["verified"]
    assert len([s for s in statements if s.lstrip().startswith("SELECT")]) == 1, statements
    _append(store, 40, per_tx=20)  # the right edge grows past what is kept
    tree = _recomputed(store)
    for seq in (5, 300, 599, 620):
        answer = inclusion_proof(store, SYSTEM, seq)
        assert answer["verified"], seq
        assert answer["proof"] == [h.hex() for h in tree.inclusion_proof(seq)]


def test_the_first_proof_lacking_an_upper_tile_reads_every_level_above_the_leaves(
    store: Store,
) -> None:
    """A process's first proof reads the levels above the leaves whole, when they fit in
    half the cache (at ten million events, 154 tiles: 1.2 MiB), so the proofs after it do
    not each read a missing level-1 tile in a second statement while the cache warms (a
    few percent of a fresh process's proofs: its p99); when they do not fit, they are read
    as proofs need them, as before."""
    _append(store, 600, per_tx=100)
    with _driver_statements(store) as statements:
        assert inclusion_proof(store, SYSTEM, 5)["verified"]
    assert store.tile_cache.upper_read
    assert any("level > " in s for s in statements), statements
    kept = store.tile_cache.get((1, 0), 2)
    assert kept is not None and len(kept) == 2 * 32
    with _driver_statements(store) as statements:
        assert inclusion_proof(store, SYSTEM, 300)["verified"]
    assert not any("level > " in s for s in statements), statements

    small = TileCache(max_bytes=8192)  # the upper levels (one tile) fill more than half
    store.tile_cache = small
    with _driver_statements(store) as statements:
        assert inclusion_proof(store, SYSTEM, 5)["verified"]
    assert not small.upper_read
    assert not any("level > " in s for s in statements), statements


def test_a_proof_reads_a_window_of_a_full_leaf_tile_and_all_of_a_partial_one(
    store: Store, monkeypatch: Any
) -> None:
    """Of a full leaf tile with its inner nodes, inside the checkpoint's tree, a proof's
    statement reads the 16 entries around the event (512 bytes: one TOAST chunk of five on
    PostgreSQL); of the partial tile at the right edge, all of it. Both prove; a proof made
    again from the entries alone reads the whole tile."""
    from liuhen.ledger.tiles import TileWindow
    from liuhen.services.admin.queries import proofs as queries

    _append(store, 600, per_tx=100)
    read: list[tuple[int, bytes]] = []
    leaf = queries._leaf
    monkeypatch.setattr(
        queries,
        "_leaf",
        lambda h, i, seq, size: read.append((len(h), leaf(h, i, seq, size))) or read[-1][1],
    )
    tree = _recomputed(store)
    for seq in (300, 17, 590):
        answer = inclusion_proof(store, SYSTEM, seq)
        assert answer["verified"] and answer["proof"] == [
            h.hex() for h in tree.inclusion_proof(seq)
        ]
    assert [n for n, _ in read] == [512, 512, 32 * (tree.size - 512)]  # the edge: all
    assert [type(tile) for _, tile in read] == [TileWindow, TileWindow, bytes]
    assert read[0][1].first == 32 and read[1][1].first == 16  # entries within the tile
    read.clear()
    latest, event, path = queries.proof_inputs(store, 300, stored_inner=False)
    assert path == tree.inclusion_proof(300) and [n for n, _ in read] == [8192]


def test_the_levels_above_the_leaves_come_with_the_inner_nodes_of_their_full_tiles(
    store: Store,
) -> None:
    """``read_upper_tiles`` gives the tiles above the leaves and the stored inner nodes of
    the full ones (tiles written straight to the table here: 66,000 leaves make tile 1/0
    full), as the cache keeps them for the paths through them."""
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(66_000)]
    _, changed = extend(0, {}, leaves)
    with store.engine.begin() as conn:
        write_tiles(conn, changed)
    with store.read() as conn:
        tiles, inner = read_upper_tiles(conn)
    assert set(tiles) == {(1, 0), (1, 1), (2, 0)} and tiles[(1, 0)] == changed[(1, 0)]
    assert inner == {(1, 0): inner_nodes(changed[(1, 0)])}  # partial 1/1 and 2/0: none


@contextmanager
def _driver_statements(store: Store) -> Iterator[list[str]]:
    """Every statement the database driver is given on the store's connections meanwhile,
    however it is given (SQLAlchemy or the driver's own cursor): SQLite's trace callback,
    a psycopg cursor that notes what it executes."""
    from sqlalchemy import event

    statements: list[str] = []
    touched: list[Any] = []

    class Noting(psycopg.Cursor):  # type: ignore[type-arg]
        def execute(self, query, params=None, **kw):  # type: ignore[no-untyped-def, override]
            statements.append(str(query))
            return super().execute(query, params, **kw)

    def checkout(dbapi_conn, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
        touched.append(dbapi_conn)
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.set_trace_callback(statements.append)
        else:
            dbapi_conn.cursor_factory = Noting

    event.listen(store.engine, "checkout", checkout)
    try:
        yield statements
    finally:
        event.remove(store.engine, "checkout", checkout)
        for dbapi_conn in touched:
            if isinstance(dbapi_conn, sqlite3.Connection):
                dbapi_conn.set_trace_callback(None)
            else:
                dbapi_conn.cursor_factory = psycopg.Cursor


def test_record_many_stores_every_value_as_given_on_each_engine(store: Store) -> None:
    """The bulk path's rows (on PostgreSQL a ``COPY``: ``store/copy_rows``) hold exactly
    the values sealed, whatever the text (quotes, backslashes, tabs, newlines, CJK, astral
    characters, a ``\\N``): each event's hashes, computed from those values when sealed,
    still hold over what is read back, and ``verify`` finds nothing."""
    odd = ['"q"', "back\\slash \\N", "tab\tnew\nline\r", "留痕𠀋", "", "\x01\x7f"]
    events = [
        Appended(
            f"bench.appended{o}",
            f"ledger{o}",
            f"e{i}{o}",
            case_id=None if i % 2 else f"c{i}{o}",
            payload={"n": i, "text": o},
        )
        for i, o in enumerate(odd * 3)
    ]
    with store.transaction(SYSTEM) as tx:
        seqs = tx.record_many(events)
    rows = {r["seq"]: r for r in _rows(store)}
    for seq, event in zip(seqs, events, strict=True):
        row = rows[seq]
        assert (row["action"], row["subject_type"], row["subject_id"], row["case_id"]) == (
            event.action,
            event.subject_type,
            event.subject_id,
            event.case_id,
        )
        assert row["payload"] == event.payload
        assert row["leaf_hash"] == leaf_hash(event_bytes(row)).hex()
    assert verify(store, SYSTEM).ok
