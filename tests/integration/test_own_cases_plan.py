"""The cases a user opened are read from its index even where one opener holds nearly
every case (a store filled by a bundle import): SQLite's planner, seeing tens of thousands
of cases per opener on average, read the whole table for it unless the index carries the
case id (migration 0029). 我的待办 of a supervisor at 100,000 cases: 40 ms → 2 ms."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.dialects import sqlite

from liuhen.store import summary_index
from liuhen.store.queries import case_list, inbox

IMPORTED = 3_000


SECTIONS = ("一队", "二队", "三队", "四队")


def _fill(path: str) -> None:
    """``IMPORTED`` summaries opened by one importer and two of a user's own, in four
    sections, a fifth of them with an overdue item (as in the bench's county), analysed as
    ``liuhen init`` analyses a store."""
    db = sqlite3.connect(path)
    rows = [
        (f"c{n:05d}", "agency", SECTIONS[n % 4], "investigation", 0, "2026-11-20 01:00:00",
         f"N{n}", "importer" if n < IMPORTED else "officer", "2026-10-01 01:00:00",
         f"2026-{1 + n % 10:02d}-{1 + n % 28:02d} 01:00:00" if n % 5 == 0 else None,
         1 if n % 5 == 0 else 0)
        for n in range(IMPORTED + 2)
    ]  # fmt: skip
    db.executemany(
        "INSERT INTO case_summaries (case_id, agency_id, section, stage, source_seq,"
        " computed_at, number, created_by, opened_at, c_oldest_overdue, c_overdue)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def test_a_users_own_cases_are_read_from_the_index_in_an_imported_store(
    sqlite_settings: Any,
) -> None:
    path = sqlite_settings.database_url.removeprefix("sqlite:///")
    _fill(path)
    scope = case_list.Scope(user_id="officer")
    query = select(*(case_list.cs.c[n] for n in inbox.INBOX)).where(case_list.reach(scope))
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    db = sqlite3.connect(path)
    try:
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
        found = db.execute(sql).fetchall()
    finally:
        db.close()
    assert not any(step.startswith("SCAN case_summaries") for step in plan), plan
    assert any("COVERING INDEX ix_case_summaries_created_by" in step for step in plan), plan
    assert sorted(r[0] for r in found) == [f"c{IMPORTED:05d}", f"c{IMPORTED + 1:05d}"]


def _plan(path: str, query: Any) -> list[str]:
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    db = sqlite3.connect(path)
    try:
        return [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
    finally:
        db.close()


def test_a_section_heads_inbox_is_chosen_from_the_sections_index_alone(
    sqlite_settings: Any,
) -> None:
    """我的待办 of a section head: the section's cases with an overdue item (ordered and cut
    by the database) and those with one due soon, read from
    ``ix_case_summaries_agency_section`` without a look at the table (0030)."""
    path = sqlite_settings.database_url.removeprefix("sqlite:///")
    _fill(path)
    scope = case_list.Scope(agency_id="agency", section="一队", user_id="officer")
    soon = datetime(2026, 12, 1, tzinfo=UTC)
    overdue = inbox.overdue_query(scope, "agency", 100)
    due = inbox.due_soon_query(scope, "agency", soon)
    items = inbox.overdue_items_query(scope, "agency")
    for query in (overdue, items):
        plan = _plan(path, query)
        assert any("COVERING INDEX ix_case_summaries_agency_section" in s for s in plan), plan
    for query in (overdue, items, due):  # (none due soon here: read from c_next_due's index)
        plan = _plan(path, query)
        assert not any(step.startswith("SCAN case_summaries") for step in plan), plan


def test_an_officers_inbox_is_read_in_order_from_the_owners_indexes(
    sqlite_settings: Any,
) -> None:
    """我的待办 of an officer on a fifth of the cases who opened two: the oldest overdue
    cases are read in order from ``ix_summary_officers_inbox`` and
    ``ix_case_summaries_created_inbox`` (migration 0031), the sum and the cases due soon from
    them alone; no ``case_id IN (…)`` of every own case, no look at the table (the cases
    due soon: from whichever index has fewer, here the few with a ``c_next_due``)."""
    path = sqlite_settings.database_url.removeprefix("sqlite:///")
    _fill(path)
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO summary_officers (case_id, officer_id, opened_at, number)"
        " SELECT case_id, 'o1', opened_at, number FROM case_summaries WHERE rowid % 5 = 1"
    )
    db.execute("UPDATE case_summaries SET c_next_due = '2026-11-30 01:00:00' WHERE rowid % 7 = 0")
    db.commit()
    db.close()
    with create_engine(sqlite_settings.database_url).begin() as conn:
        summary_index.fill_copies(conn)
        conn.exec_driver_sql("ANALYZE")
    scope = case_list.Scope(user_id="officer", officer_id="o1")
    soon = datetime(2026, 12, 1, tzinfo=UTC)
    overdue = inbox.overdue_query(scope, "agency", 100)
    plan = _plan(path, overdue)
    assert any("COVERING INDEX ix_summary_officers_inbox" in step for step in plan), plan
    assert any("COVERING INDEX ix_case_summaries_created_inbox" in step for step in plan), plan
    assert not any("FOR ORDER BY" in step and "RIGHT PART" not in step for step in plan[:-1]), plan
    plan = _plan(path, inbox.overdue_items_query(scope, "agency"))
    assert not any(step.startswith("SCAN case_summaries") for step in plan), plan
    assert not any(step.startswith("SEARCH case_summaries USING INDEX") for step in plan), plan
    plan = _plan(path, inbox.due_soon_query(scope, "agency", soon))  # few due: c_next_due's
    assert not any(step.startswith("SCAN case_summaries") for step in plan), plan
    with create_engine(sqlite_settings.database_url).connect() as conn:
        lines = inbox.overdue_lines(conn, scope, "agency", 100)
        items = inbox.overdue_items(conn, scope, "agency")
        due = inbox.due_soon(conn, scope, "agency", soon)
    mine = [n for n in range(IMPORTED + 2) if n % 5 == 0 and ((n + 1) % 5 == 1 or n >= IMPORTED)]
    assert items == len(mine)
    assert [line.case_id for line in lines] == [
        f"c{n:05d}"
        for n in sorted(mine, key=lambda n: (f"2026-{1 + n % 10:02d}-{1 + n % 28:02d}", f"N{n}"))
    ][:100]
    assert len(due) == len(
        {n for n in range(IMPORTED + 2) if (n + 1) % 7 == 0 and ((n + 1) % 5 == 1 or n >= IMPORTED)}
    )


def test_an_officers_own_cases_page_is_read_from_the_officers_index_alone(
    sqlite_settings: Any,
) -> None:
    """An officer's tenth page of their own cases: the first 500 of the cases they are an
    officer on are read in order from ``ix_summary_officers_officer_opened``, which carries
    the case id (migration 0035), without a look at ``summary_officers`` for each; the page
    is the right one."""
    from sqlalchemy import event

    from liuhen.store.queries import case_page
    from liuhen.store.queries.case_list import cs

    path = sqlite_settings.database_url.removeprefix("sqlite:///")
    _fill(path)
    db = sqlite3.connect(path)
    db.execute(
        "UPDATE case_summaries SET opened_at = datetime('2026-01-01', '+' || rowid || ' hours')"
    )
    db.execute(
        "INSERT INTO summary_officers (case_id, officer_id, opened_at, number)"
        " SELECT case_id, 'o1', opened_at, number FROM case_summaries WHERE rowid % 3 = 1"
    )
    db.commit()
    db.close()
    engine = create_engine(sqlite_settings.database_url)
    with engine.begin() as conn:
        summary_index.fill_copies(conn)
        conn.exec_driver_sql("ANALYZE")
    seen: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    scope = case_list.Scope(user_id="nobody", officer_id="o1")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.connect() as conn:
        rows = case_page.page(
            conn, scope, case_list.Filter(), now, offset=450, limit=50, columns=(cs.c.case_id,)
        )
    ((sql, params),) = seen
    db = sqlite3.connect(path)
    try:
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params)]
    finally:
        db.close()
    assert any("COVERING INDEX ix_summary_officers_officer_opened" in s for s in plan), plan
    assert not any(step.startswith("SCAN summary_officers") for step in plan), plan
    theirs = sorted((n for n in range(IMPORTED + 2) if (n + 1) % 3 == 1), reverse=True)
    assert [r[0] for r in rows] == [f"c{n:05d}" for n in theirs[450:500]]
