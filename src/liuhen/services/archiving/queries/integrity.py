"""Reads for ``liuhen verify``: the ledger as stored, the signed checkpoints, every tracked
row by table name (to recompute its digest), and the verification runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from liuhen.store import tables as t
from liuhen.store.store import Store


def scan_ledger(store: Store, visit: Callable[[dict[str, Any]], None]) -> int:
    """Hand every ledger event, in order, to ``visit``; then return the ledger head's
    ``next_seq`` (read on the same connection)."""
    with store.read() as conn:
        for ev in conn.execute(select(t.ledger_events).order_by(t.ledger_events.c.seq)).mappings():
            visit(dict(ev))
        return int(conn.execute(select(t.ledger_head.c.next_seq)).scalar_one())


def checkpoint_rows(store: Store) -> list[dict[str, Any]]:
    """Every signed checkpoint in the database, smallest tree first."""
    with store.read() as conn:
        rows = (
            conn.execute(select(t.checkpoints).order_by(t.checkpoints.c.tree_size)).mappings().all()
        )
    return [dict(r) for r in rows]


def tracked_rows(store: Store) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every row of every tracked table as stored: (table, primary key, row), table by table
    (one connection, open while the caller iterates)."""
    with store.read() as conn:
        for table in t.TRACKED:
            tbl = t.metadata.tables[table]
            pk = t.primary_key_name(table)
            for row in conn.execute(select(tbl)).mappings():
                yield table, str(row[pk]), dict(row)


def insert_verification_run(
    conn: Connection, *, started_at: datetime, finished_at: datetime, ok: bool, report: Any
) -> None:
    """Keep one run's report in ``verification_runs`` (inside the caller's transaction)."""
    conn.execute(
        t.verification_runs.insert().values(
            started_at=started_at, finished_at=finished_at, ok=ok, report=report
        )
    )


def last_verification(store: Store) -> dict[str, Any] | None:
    """The newest ``verification_runs`` row, or None."""
    with store.read() as conn:
        row = (
            conn.execute(
                select(t.verification_runs).order_by(t.verification_runs.c.id.desc()).limit(1)
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None
