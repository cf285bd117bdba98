"""A unique index over a table that may already hold duplicates, for migrations.

Before migration 0014 nothing but a check in the service stopped two writers from both
deciding one approval step or both correcting one record version, and a store that ran
several processes on PostgreSQL may hold such pairs. They are records on the ledger: they
are never deleted. So the first row of each key (oldest, then smallest id) is kept under
the index and each later one is written to ``duplicates_found`` (what, which row it
duplicates, when found) and left out of the index by name: the index is partial (``WHERE id
NOT IN (…)``) on a store that had some, a plain unique index on every other store. Every
new row is covered either way. ``liuhen verify`` notes what was found."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from liuhen.store.types import UTCDateTime


def duplicates(
    conn: Any, table: str, columns: Sequence[str], order: Sequence[str], skip: Sequence[str]
) -> list[tuple[str, str]]:
    """(row id, the kept row's id) of each row of ``table`` whose non-null ``columns``
    repeat an earlier row's (by ``order`` then id), rows in ``skip`` left out."""
    tbl = sa.table(table, sa.column("id"), *(sa.column(c) for c in {*columns, *order}))
    query = sa.select(tbl.c.id, *(tbl.c[c] for c in columns)).where(
        *(tbl.c[c].is_not(None) for c in columns)
    )
    rows = conn.execute(query.order_by(*(tbl.c[c] for c in order), tbl.c.id)).all()
    first: dict[tuple[Any, ...], str] = {}
    found: list[tuple[str, str]] = []
    for row in rows:
        if row[0] in skip:
            continue
        key = tuple(row[1:])
        if key in first:
            found.append((str(row[0]), first[key]))
        else:
            first[key] = str(row[0])
    return found


def unique_keeping_first(
    op: Any, table: str, indexes: Sequence[tuple[str, Sequence[str]]], order: Sequence[str]
) -> list[str]:
    """Create the unique ``indexes`` (name, columns) on ``table``, recording the rows that
    break them in ``duplicates_found`` and leaving those out; returns their ids."""
    conn = op.get_bind()
    found_tbl = sa.table(
        "duplicates_found",
        sa.column("table_name"),
        sa.column("row_id"),
        sa.column("kept_id"),
        sa.column("constraint_name"),
        sa.column("found_at", UTCDateTime()),
    )
    left_out: list[str] = []
    for name, columns in indexes:
        found = duplicates(conn, table, columns, order, left_out)
        now = datetime.now(UTC)
        if found:
            conn.execute(
                found_tbl.insert(),
                [
                    {
                        "table_name": table,
                        "row_id": row_id,
                        "kept_id": kept,
                        "constraint_name": name,
                        "found_at": now,
                    }
                    for row_id, kept in found
                ],
            )
        left_out += [row_id for row_id, _ in found]
    where = None
    if left_out:
        listed = ", ".join("'" + i.replace("'", "''") + "'" for i in sorted(set(left_out)))
        where = sa.text(f"id NOT IN ({listed})")
    for name, columns in indexes:
        op.create_index(
            name, table, list(columns), unique=True, sqlite_where=where, postgresql_where=where
        )
    return left_out
