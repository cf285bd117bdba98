"""``INSERT … ON CONFLICT`` for the engine at hand: the derived tables and bookkeeping rows
that several processes may write at once (a summary, a dashboard count, a case's newest
change) are written by upsert, never by a look followed by an insert, which two writers can
both pass (PostgreSQL ``UniqueViolation``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table

CHUNK = 200
"""Rows a multi-row insert carries (SQLite allows 32,766 bound values a statement)."""


def insert(conn: Connection, table: Table) -> Any:
    """The dialect's ``insert(table)`` (with ``on_conflict_do_nothing``/``_do_update`` and
    ``excluded``): PostgreSQL's or SQLite's (≥ 3.24)."""
    return insert_for(conn.dialect.name, table)


def insert_for(dialect: str, table: Table) -> Any:
    """``insert`` for the dialect named (a statement built once, before any connection)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]], key: str) -> set[Any]:
    """Insert the ``rows`` whose ``key`` is not taken yet (one statement); return the keys
    inserted. A row another transaction inserted meanwhile is left out: that transaction
    commits first (the unique index makes this one wait), and the caller reads its row."""
    done: set[Any] = set()
    for first in range(0, len(rows), CHUNK):
        values = rows[first : first + CHUNK]
        stmt = insert(conn, table).values(values).on_conflict_do_nothing(index_elements=[key])
        done.update(r[0] for r in conn.execute(stmt.returning(table.c[key])))
    return done


def insert_ignoring(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, leaving out any whose key is already there (rows of a derived table
    that a writer holding the same lock cannot have changed meanwhile: belt and braces)."""
    if rows:
        conn.execute(insert(conn, table).on_conflict_do_nothing(), rows)
