"""The counters numbers are allocated from (``t.number_counters``), moved by one upsert in
the caller's transaction: never a ``max() + 1`` read first, which two writers can both pass.
On PostgreSQL the upsert locks the counter's row until the transaction ends, on SQLite the
write lock does; the next writer reads the value this one left."""

from __future__ import annotations

from sqlalchemy import Connection, case

from liuhen.store import tables as t
from liuhen.store.upsert import insert


def next_serial(conn: Connection, agency_id: str, kind: str, year: int) -> int:
    """The next serial of (agency, kind, year), counted in the caller's transaction."""
    c = t.number_counters.c
    stmt = insert(conn, t.number_counters).values(agency_id=agency_id, kind=kind, year=year, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.agency_id, c.kind, c.year], set_={"last": c.last + 1}
    )
    return int(conn.execute(stmt.returning(c.last)).scalar_one())


def raise_counter(conn: Connection, agency_id: str, kind: str, year: int, serial: int) -> None:
    """Move the counter up to ``serial`` (a typed or imported number) so it is not issued."""
    c = t.number_counters.c
    stmt = insert(conn, t.number_counters).values(
        agency_id=agency_id, kind=kind, year=year, last=serial
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.agency_id, c.kind, c.year],
        set_={"last": case((c.last < serial, serial), else_=c.last)},
    )
    conn.execute(stmt)
