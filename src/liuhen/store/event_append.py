"""A write batch's commit on PostgreSQL: its held events inserted, the ledger's head moved,
the cases they change marked and the leaves appended since this process last tiled read,
in one statement.

A commit used to send these one after another: the events' ``COPY`` (two round trips), the
``case_changes`` upsert, the head's ``UPDATE`` and the leaves' ``SELECT``, each a wake-up of
the process and of the server's backend while the batch holds the ledger's head and every
other writer waits for it. Now they are one statement: the data-modifying parts in ``WITH``
run to completion whatever the ``SELECT`` reads, and the ``SELECT`` sees the ledger as it
was when the statement began (PostgreSQL's rule for ``WITH``): the events other processes
appended before this batch's first, all committed (the head is held). The batch's own
leaves are its held rows' (the very hashes the statement inserts), so ``stored_tree`` reads
the same list it read back before, one round trip sooner.

SQLite has no round trips: its commit inserts the held events and reads the leaves back as
before (``held_events.write_events``, ``stored_tree._leaves``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect

from liuhen.ledger.merkle import HASH_SIZE
from liuhen.ledger.tiles import TILE_WIDTH
from liuhen.store import tables as t
from liuhen.store.copy_rows import bound_columns
from liuhen.store.held_events import changed_cases

Leaf = tuple[int, str, str, int | None, int | None]
"""(seq, leaf hash, action, newest signed size, tiled size) of one event."""


@dataclass
class Appending:
    """Events sealed by a transaction and not yet inserted, handed to its commit's read of
    the leaves; ``written`` once that statement inserted them."""

    rows: list[dict[str, Any]]
    written: bool = False


@cache
def _statement(dialect: Dialect) -> str:
    """The statement, built once: each column's values as one array, cast to its type."""
    columns = t.ledger_events.columns
    names = ", ".join(c.name for c in columns)
    arrays = ", ".join(f"%({c.name})s::{c.type.compile(dialect=dialect)}[]" for c in columns)
    changes = t.case_changes.c
    case_type = changes.case_id.type.compile(dialect=dialect)
    seq_type = changes.seq.type.compile(dialect=dialect)
    return f"""WITH appended AS (
  INSERT INTO ledger_events ({names}) SELECT * FROM unnest({arrays})
), head AS (
  UPDATE ledger_head SET next_seq = %(head_seq)s, chain_hash = %(head_hash)s WHERE id = 1
), changed AS (
  INSERT INTO case_changes (case_id, seq)
  SELECT * FROM unnest(%(changed_case)s::{case_type}[], %(changed_seq)s::{seq_type}[])
  ON CONFLICT (case_id) DO UPDATE SET seq = excluded.seq
)
SELECT e.seq, e.leaf_hash, e.action, known.signed, known.tiled
FROM (
  SELECT (SELECT max(tree_size) FROM checkpoints) AS signed,
         (SELECT idx * {TILE_WIDTH} + length(hashes) / {HASH_SIZE} FROM ledger_tiles
           WHERE level = 0 ORDER BY idx DESC LIMIT 1) AS tiled
) AS known
LEFT JOIN ledger_events AS e ON e.seq >= %(size)s AND e.seq < %(first)s
ORDER BY e.seq"""


def append_and_read(conn: Connection, appending: Appending, size: int) -> list[Leaf]:
    """Insert ``appending``'s rows (in seq order, right after the ledger's head), move the
    head past them, mark the cases they change, and return the leaf of every event from
    ``size`` on: the others' as stored, then the rows' own."""
    rows = appending.rows
    first, last = int(rows[0]["seq"]), rows[-1]
    changed = changed_cases(rows)
    params: dict[str, Any] = {
        **bound_columns(conn, t.ledger_events, rows),
        "head_seq": int(last["seq"]) + 1,
        "head_hash": last["chain_hash"],
        "changed_case": list(changed),
        "changed_seq": list(changed.values()),
        "size": size,
        "first": first,
    }
    read = conn.exec_driver_sql(_statement(conn.dialect), params).all()
    appending.written = True
    signed, tiled = read[0][3], read[0][4]
    leaves: list[Leaf] = [(s, leaf, a, sg, tl) for s, leaf, a, sg, tl in read if s is not None]
    return leaves + [(int(r["seq"]), r["leaf_hash"], r["action"], signed, tiled) for r in rows]
