"""An inclusion proof's statement reads the event's leaf tile by its key whatever statistics
SQLite's planner has. Joined to the checkpoint and the event, SQLite 3.40 with the
statistics of a store that ``liuhen init`` or the fixity job had analysed (``ANALYZE``)
built a Bloom filter over every stored tile for the one row it wanted: 3.6 ms a proof at
550,000 events where 0.27 ms do, and all of ``ledger_tiles`` read at ten million."""

from __future__ import annotations

import sqlite3

import pytest
from tests.helpers import SYSTEM

from liuhen.services.admin.ledger import inclusion_proof
from liuhen.services.admin.queries.proofs import _WITH_LEAF_TILE
from liuhen.store.backup.snapshot import sqlite_path
from liuhen.store.store import Store

SQLITE_ONLY = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)

TEN_MILLION = [  # sqlite_stat1 of a ledger of ten million events, as ANALYZE writes it
    ("ledger_events", "sqlite_autoindex_ledger_events_1", "10000000 1"),
    ("ledger_events", "ix_ledger_events_action_seq", "10000000 3333334 1"),
    ("ledger_events", "ix_ledger_events_case_action", "10000000 10000000 3333334"),
    ("ledger_events", "ix_ledger_events_subject", "10000000 3333334 6"),
    ("checkpoints", "sqlite_autoindex_checkpoints_1", "540000 1"),
    ("ledger_tiles", "sqlite_autoindex_ledger_tiles_1", "39220 13074 1"),
]


@SQLITE_ONLY
def test_the_leaf_tile_is_read_by_key_with_a_large_store_s_statistics(store: Store) -> None:
    database = sqlite_path(store.settings)
    with sqlite3.connect(database) as db:
        db.execute("ANALYZE")
        db.execute("DELETE FROM sqlite_stat1")
        db.executemany("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", TEN_MILLION)
    db = sqlite3.connect(database)  # (statistics are read as a connection opens)
    try:
        compiled = _WITH_LEAF_TILE.compile(dialect=store.engine.dialect)
        values = compiled.construct_params({"seq": 1, "tile": 0, "window": 1})
        params = tuple(values[n] for n in compiled.positiontup or ())
        plan = [str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {compiled}", params)]
    finally:
        db.close()
    assert not [step for step in plan if "BLOOM" in step], plan
    assert not [step for step in plan if step.startswith("SCAN lt")], plan
    assert sum("SEARCH lt USING INDEX" in step for step in plan) == 2, plan
    with store.transaction(SYSTEM) as tx:
        seq = tx.record("test.written", subject_type="case", subject_id="证明")
    assert inclusion_proof(store, SYSTEM, seq)["verified"]
