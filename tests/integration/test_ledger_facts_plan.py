"""A case page's 留痕 facts (the newest event of a few actions of the case) are read by
(case, action), not through every event of the case: each view of the page is an event of
the case, and with an index on the case alone a case viewed 2,000 times read 2,000 rows a
view, more with each view (migration 0032)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy.dialects import sqlite

from liuhen.services.cases.queries.case_rows import _LEDGER_FACTS


def test_a_cases_ledger_facts_are_read_by_case_and_action(sqlite_settings: Any) -> None:
    path = sqlite_settings.database_url.removeprefix("sqlite:///")
    statement = _LEDGER_FACTS.params(case_id="c1")
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    db = sqlite3.connect(path)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")]
        plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql)]
    finally:
        db.close()
    assert "ix_ledger_events_case_id" not in names  # replaced, not kept beside it
    assert any("ix_ledger_events_case_action (case_id=? AND action=?)" in s for s in plan), plan
