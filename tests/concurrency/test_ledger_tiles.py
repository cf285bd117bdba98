"""The ledger's tiles under concurrent writers: four processes at once rebuild an upgraded
store's tiles and append events, on SQLite and PostgreSQL; the tiles end equal to the tree
of the events, nobody found the ledger damaged, and the store verifies."""

from __future__ import annotations

from sqlalchemy import delete

from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import ops
from tests.helpers import SYSTEM
from tests.integration.test_ledger_tiles import _append, _assert_tiles_equal_the_tree


def test_tiles_rebuilt_and_extended_by_four_processes_at_once_equal_the_tree(store, racers) -> None:  # type: ignore[no-untyped-def]
    _append(store, 300, per_tx=100)
    with store.engine.begin() as conn:  # an upgraded store: no tiles yet
        conn.execute(delete(t.ledger_tiles))
    results = racers.race(store, ops.tiles_and_writes, 20)
    assert results.codes == {"ok": 4}, results
    assert results.values() == ["False"] * 4, results  # no process found the ledger damaged
    tree = _assert_tiles_equal_the_tree(store)
    assert tree.size >= 300 + 4 * 20
    assert store.latest_checkpoint()["root_hash"] == tree.root().hex()
    assert verify(store, SYSTEM).ok
