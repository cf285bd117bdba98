"""The migrations build exactly the schema that tables.py declares, guards included."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from liuhen.store import tables as t


@pytest.fixture
def settings(empty_settings):  # type: ignore[no-untyped-def]
    """These tests are about the migrations: each migrates an empty database from scratch
    (the session's template is not used here)."""
    return empty_settings


def _diffs(conn):  # type: ignore[no-untyped-def]
    """Differences between the database and tables.py, leaving out the search structures
    (an FTS5 table, an expression index) that are not declared as tables."""
    opts = {"include_name": lambda name, type_, parent: name not in t.SEARCH_OBJECTS}
    return compare_metadata(MigrationContext.configure(conn, opts=opts), t.metadata)


def test_migrated_schema_matches_the_declared_tables(store):
    with store.engine.connect() as conn:
        assert _diffs(conn) == []


def test_the_search_index_of_the_migrations_database_exists(store):
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE name LIKE 'case_search%'"
            expected = {"case_search", "case_search_insert", "case_search_delete"}
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE indexname = 'ix_case_summaries_search'"
            expected = {"ix_case_summaries_search"}
        found = {row[0] for row in conn.execute(text(sql))}
    assert expected <= found and found <= t.SEARCH_OBJECTS | {
        "case_search_insert",
        "case_search_delete",
        "case_search_update",
    }


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


def test_upgrading_approvals_to_caseless_keeps_their_rows_steps_and_guard(
    settings, clock, tmp_path
):
    """0004 recreates ``approvals`` on SQLite (its case becomes optional): a database with
    approvals and steps upgrades with every row intact, references whole, the guard back."""
    from alembic import command
    from tests.helpers import SYSTEM, make_case_with_files

    from liuhen.services.admin.setup import initialise
    from liuhen.services.approvals.queries import approval_state
    from liuhen.services.approvals.workflow import request_approval
    from liuhen.store.database import alembic_config
    from liuhen.store.store import Store

    initialise(settings, admin_password="Admin-pass-2026!", clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        case_id = make_case_with_files(store, tmp_path)["case"]
        approval = request_approval(
            store, SYSTEM, case_id=case_id, kind="initiation", opinion="拟立案"
        )
        cfg = alembic_config(store.engine)
        command.downgrade(cfg, "0003")
        command.upgrade(cfg, "head")
        with store.engine.connect() as conn:
            assert _guarded_tables(conn) == set(t.INSERT_ONLY)
            steps = conn.execute(
                text("SELECT COUNT(*) FROM approval_steps WHERE approval_id = :a"), {"a": approval}
            ).scalar()
            assert steps == 1
            if conn.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        with store.engine.connect() as conn:
            assert _diffs(conn) == []
        state = approval_state(store, approval)  # the upgraded rows read as before
        assert state.case_id == case_id and [s["decision"] for s in state.steps] == ["submitted"]
    finally:
        store.close()
