"""The database guard of an insert-only table, for migrations: SQLite gets two triggers
that abort UPDATE and DELETE; PostgreSQL one trigger calling ``liuhen_insert_only()``
(created by migration 0001)."""

from __future__ import annotations

from typing import Any


def insert_only_guard(op: Any, table: str) -> None:
    """Create ``table``'s guard (also after SQLite's batch mode recreated the table)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'liuhen: {table} is insert-only'); END"
            )
    else:
        op.execute(
            f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION liuhen_insert_only()"
        )
