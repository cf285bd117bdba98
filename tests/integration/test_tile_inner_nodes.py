"""A full tile's stored inner nodes (``ledger/tiles.inner_nodes``): written with the tile by
every write, filled by ``liuhen init`` in a store that predates them, used by proofs but
never trusted over the tile's entries, and compared by ``verify`` with the recomputed tree."""

from __future__ import annotations

from sqlalchemy import select, update
from tests.helpers import SYSTEM

from liuhen.ledger.events import event_bytes
from liuhen.ledger.merkle import MerkleTree, leaf_hash, verify_inclusion
from liuhen.ledger.tiles import FULL_TILE, INNER_BYTES, TILE_WIDTH
from liuhen.services.admin.ledger import inclusion_proof
from liuhen.services.admin.queries.proofs import proof_inputs
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from liuhen.store.store import Store
from liuhen.store.tile_rows import stored_tile_rows

_tiles = t.ledger_tiles


def _append(store: Store, count: int, per_tx: int) -> None:
    for first in range(0, count, per_tx):
        with store.transaction(SYSTEM) as tx:
            for _ in range(min(per_tx, count - first)):
                tx.record("ledger.checkpointed", subject_type="ledger", subject_id="test")


def _assert_inner_nodes_are_the_trees(store: Store) -> int:
    """Every full tile holds the recomputed tree's nodes at heights 4–7, a partial one none;
    how many full tiles there are."""
    with store.read() as conn:
        rows = conn.execute(select(t.ledger_events).order_by(t.ledger_events.c.seq)).mappings()
        tree = MerkleTree([leaf_hash(event_bytes(r)) for r in rows])
        stored = list(stored_tile_rows(conn))
    full = 0
    for (level, index), hashes, inner in stored:
        if len(hashes) < FULL_TILE:
            assert inner is None, (level, index)
            continue
        full += 1
        expected = b"".join(
            tree.nodes(8 * level + r, (index * TILE_WIDTH) >> r, TILE_WIDTH >> r)
            for r in range(4, 8)
        )
        assert inner == expected, (level, index)
    return full


def _set_inner(store: Store, key: tuple[int, int], value: bytes | None) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(_tiles)
            .where(_tiles.c.level == key[0], _tiles.c.idx == key[1])
            .values(inner_nodes=value)
        )


def test_every_write_stores_a_full_tiles_inner_nodes_with_it(store):
    _append(store, 300, per_tx=1)  # tile 0/0 fills inside a one-event transaction
    _append(store, 400, per_tx=170)  # and tiles fill in the middle of bigger ones
    assert _assert_inner_nodes_are_the_trees(store) == 2
    assert verify(store, SYSTEM).ok


def test_a_store_from_before_them_proves_without_them_and_init_fills_them(store, clock):
    _append(store, 600, per_tx=200)
    with store.engine.begin() as conn:  # as the tiles of a store before migration 0033
        conn.execute(update(_tiles).values(inner_nodes=None))
    assert verify(store, SYSTEM).ok  # none stored is no damage: proofs fold the tile
    assert all(inclusion_proof(store, SYSTEM, seq)["verified"] for seq in (5, 300, 599))
    initialise(store.settings, admin_password="Admin-pass-2026", clock=clock)
    assert _assert_inner_nodes_are_the_trees(store) == 2
    assert verify(store, SYSTEM).ok


def test_damaged_inner_nodes_deny_no_proof_and_verify_names_the_tile(store, clock):
    _append(store, 600, per_tx=200)
    with store.read() as conn:
        inner = {k: i for k, _, i in stored_tile_rows(conn)}
    flipped = bytearray(inner[(0, 1)])
    flipped[5 * 32] ^= 1  # the node at height 4 over events #336–#351: #320's sibling
    edits = {
        "flipped": ((0, 1), bytes(flipped)),
        "cut": ((0, 1), inner[(0, 1)][:-32]),
        "beside a partial tile": ((0, 2), bytes(INNER_BYTES)),
    }
    for label, (key, value) in edits.items():
        _set_inner(store, key, value)
        fresh = Store.open(store.settings, clock=clock)  # keeps no tile yet
        try:
            if label == "flipped":  # the path the stored nodes give is wrong …
                latest, event, path = proof_inputs(fresh, 320)
                leaf, root = leaf_hash(event_bytes(event)), bytes.fromhex(latest["root_hash"])
                assert not verify_inclusion(leaf, 320, latest["tree_size"], path, root)
            for seq in (320, 340, 511, 520):  # … and the proof is made from the entries
                assert inclusion_proof(fresh, SYSTEM, seq)["verified"], (label, seq)
        finally:
            fresh.close()
        report = verify(store, SYSTEM)
        name = f"ledger_tiles#{key[0]}/{key[1]}"
        assert report.names(name), (label, report.problems)
        assert {p.kind for p in report.problems} == {"ledger_tile_altered"}, label
        _set_inner(store, key, inner[key])
    assert verify(store, SYSTEM).ok
