"""The migrations build exactly the schema that tables.py declares, guards included."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from liuhen.store import tables as t


def test_migrated_schema_matches_the_declared_tables(store):
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert diffs == []


def _guarded_tables(conn) -> set[str]:  # type: ignore[no-untyped-def]
    if conn.dialect.name == "sqlite":
        sql = (
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%insert-only%'"
        )
    else:
        sql = (
            "SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
            "JOIN pg_proc p ON p.oid = g.tgfoid WHERE p.proname = 'liuhen_insert_only'"
        )
    return {row[0] for row in conn.execute(text(sql))}


def test_every_insert_only_table_has_its_database_guard(store):
    with store.engine.connect() as conn:
        assert _guarded_tables(conn) == set(t.INSERT_ONLY)


def test_a_guard_of_the_newer_tables_refuses_a_delete(store):
    with store.engine.connect() as conn:
        conn.execute(
            text(
                "INSERT INTO share_links (id, token_hash, purpose, targets, expires_at, max_uses,"
                " created_by, created_at) VALUES ('s1', 'h', 'copy', '[]',"
                " '2026-12-01 00:00:00.000000', 1, 'u', '2026-12-01 00:00:00.000000')"
            )
        )
        conn.commit()
        with pytest.raises(DBAPIError, match="insert-only"):
            conn.execute(text("DELETE FROM share_links"))
