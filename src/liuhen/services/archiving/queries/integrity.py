"""Reads for ``liuhen verify``: the ledger, its head and its signed checkpoints, every tracked
row, and the derived tables it recomputes, all read cell by cell (``store/raw_rows``) so a
damaged cell is a finding, never a traceback; and the newest recorded verification run.
Nothing here writes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import column, select

from liuhen.config import Settings
from liuhen.ledger.tiles import TileKey
from liuhen.store import table_kinds
from liuhen.store import tables as t
from liuhen.store.database import READ_ONLY, make_engine
from liuhen.store.event_rows import LedgerReading
from liuhen.store.raw_rows import RawRow, param_mark, quoted, raw_rows, raw_rows_by_key
from liuhen.store.store import Store
from liuhen.store.stored_tree import rotation_event
from liuhen.store.tile_rows import events_end, read_tiles

VERIFIED = "integrity.verified"
"""The ledger action of a recorded verification run (``record_verification``)."""


@contextmanager
def reading_ledger(store: Store) -> Iterator[LedgerReading]:
    """The ledger in one snapshot: its newest signed size, its events page by page (flat
    memory whatever its size) and its head (``store/event_rows``)."""
    with store.snapshot() as conn:
        yield LedgerReading(conn)


@contextmanager
def reading_ledger_apart(
    settings: Settings, snapshot: str | None, signed: int, page: int
) -> Iterator[LedgerReading]:
    """The ledger read by a second process (``integrity.helper``) on an engine of its own,
    in a read transaction like ``Store.snapshot``'s: the one ``snapshot`` names when given
    (``LedgerReading.export_snapshot``), and ``signed`` the first reading's signed size."""
    engine = make_engine(settings)
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    try:
        with engine.connect().execution_options(**options) as conn, conn.begin():
            if snapshot is not None:
                if not _SNAPSHOT_ID.fullmatch(snapshot):
                    raise ValueError(f"not a snapshot id: {snapshot!r}")
                conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            yield LedgerReading(conn, page, signed=signed)
    finally:
        engine.dispose()


_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)*")


def newest_rotation(store: Store) -> str | None:
    """The fingerprint of the key the newest ``ledger.key_rotated`` event moved to."""
    with store.read() as conn:
        try:
            found = rotation_event(conn)
        except (ValueError, TypeError):  # the event's payload damaged: ``verify`` names it
            return None
    return found.new if found is not None else None


def checkpoint_origins(store: Store) -> list[str]:
    """The distinct origins the signed checkpoints name, newest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.checkpoints.c.origin, t.checkpoints.c.tree_size).order_by(
                t.checkpoints.c.tree_size.desc()
            )
        ).all()
    found: list[str] = []
    for origin, _size in rows:
        if isinstance(origin, str) and origin not in found:
            found.append(origin)
    return found


def checkpoint_rows(store: Store, reaching: int = 0) -> Iterator[RawRow]:
    """Every signed checkpoint in the database, smallest tree first (with ``reaching``: of
    a tree of that many events or more), one at a time on one connection, open while the
    caller iterates: a ledger signs a checkpoint a write transaction, and ``verify`` holding
    them all grew by ~1.5 KB each (311 MiB at 50,000 of them)."""
    with store.read() as conn:
        d = conn.dialect
        where = f"{quoted(d, 'tree_size')} >= {param_mark(d)}" if reaching else ""
        params = (reaching,) if reaching else ()
        yield from raw_rows(conn, t.checkpoints, "tree_size", where, params)


def tracked_rows(store: Store) -> Iterator[tuple[str, RawRow]]:
    """Every row of every tracked table as stored, table by table (one connection, open
    while the caller iterates)."""
    with store.read() as conn:
        for table in t.TRACKED:
            for row in raw_rows(conn, t.metadata.tables[table]):
                yield table, row


def tracked_rows_by_key(
    store: Store, keys: Iterable[tuple[str, str]]
) -> Iterator[tuple[str, RawRow]]:
    """The tracked rows among ``keys`` ((table, primary key) pairs; other tables left out),
    as stored, table by table, by key (one connection, open while the caller iterates)."""
    by_table: dict[str, list[str]] = {}
    for table, key in keys:
        if table in t.TRACKED:
            by_table.setdefault(table, []).append(key)
    with store.read() as conn:
        for table in t.TRACKED:
            if table in by_table:
                tbl, pk = t.metadata.tables[table], table_kinds.primary_key_name(table)
                for row in raw_rows_by_key(conn, tbl, pk, by_table[table]):
                    yield table, row


def noted_events_below(store: Store, below: int, actions: Iterable[str]) -> list[RawRow]:
    """Event #0 and the events of ``actions`` before seq ``below``, in order, cell by cell
    (by the ``action`` index: a few rows however long the ledger)."""
    wanted = sorted(actions)
    with store.read() as conn:
        d = conn.dialect
        mark, seq, action = param_mark(d), quoted(d, "seq"), quoted(d, "action")
        where = f"{seq} < {mark} AND ({seq} = 0 OR {action} IN ({', '.join([mark] * len(wanted))}))"
        return list(raw_rows(conn, t.ledger_events, "seq", where, (below, *wanted)))


def ledger_end(store: Store) -> int:
    """One past the newest event's seq stored now, whatever snapshot this thread reads (by
    its key's last entry)."""
    with store.read(now=True) as conn:
        return events_end(conn)


def frontier_tiles(store: Store, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
    """The stored tiles among ``keys`` (the few a frontier is read from)."""
    with store.read() as conn:
        return read_tiles(conn, keys)


def derived_rows(store: Store) -> dict[str, list[RawRow]]:
    """The derived tables ``verify`` recomputes: the case summaries and their index, the
    summarised cases' officers, footage due, each case's newest change and the dashboard's
    counts (one connection)."""
    names = (
        "case_summaries",
        "case_summary_bodies",
        "summary_officers",
        "footage_due",
        "case_changes",
        "dashboard_counts",
        "dashboard_categories",
    )
    with store.read() as conn:
        return {name: list(raw_rows(conn, t.metadata.tables[name])) for name in names}


def last_verification(store: Store) -> dict[str, Any] | None:
    """The newest recorded verification run (an intact one: failed runs are not recorded):
    its seq, time, who ran it and the summary its ledger event carries (on the ledger, so
    ``verify`` finds an edit), or None. A payload that cannot be read gives an empty one."""
    ev = t.ledger_events
    with store.read() as conn:
        row = conn.execute(
            select(ev.c.seq, ev.c.occurred_at, ev.c.actor_label, column("payload"))
            .where(ev.c.action == VERIFIED)
            .order_by(ev.c.seq.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    try:
        payload = json.loads(row[3])
    except (TypeError, ValueError):
        payload = {}
    return {
        "seq": row[0],
        "occurred_at": row[1],
        "actor_label": row[2],
        "report": payload if isinstance(payload, dict) else {},
    }


def duplicates_found(store: Store) -> list[tuple[str, str, str, str]]:
    """Rows from before migration 0014 that break its unique constraints, kept and left out of
    them: (table, row id, the id of the row kept, constraint), in that order."""
    d = t.duplicates_found
    with store.read() as conn:
        rows = conn.execute(
            select(d.c.table_name, d.c.row_id, d.c.kept_id, d.c.constraint_name).order_by(
                d.c.table_name, d.c.row_id
            )
        )
        return [(str(a), str(b), str(c), str(e)) for a, b, c, e in rows]
