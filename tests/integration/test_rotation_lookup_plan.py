"""The newest key rotation is read by key (migration 0034): every process's first write asks
for it, and PostgreSQL without statistics for ``ledger_events`` (a store just loaded or
restored) walked the primary key backwards through every event looking for one that a
ledger without rotations does not have (560 ms at 500,000 events)."""

from __future__ import annotations

from sqlalchemy import text

from liuhen.store.store import Store
from liuhen.store.stored_tree import rotation_event, rotation_query


def test_the_newest_rotation_is_read_from_the_action_index(store: Store) -> None:
    with store.engine.connect() as conn:
        sql = str(rotation_query().compile(conn, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # (a tiny table: scanned)
            plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {sql}")))
        else:
            plan = "\n".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        assert "ix_ledger_events_action_seq" in plan, plan
        assert rotation_event(conn) is None  # (the query it stands for: no rotation yet)
