"""The SQL of 我的待办: which of a reader's cases have an overdue item or one falling due
soon, chosen, ordered and counted on the summaries' index (``case_summaries``' inbox
columns, migrations 0010 and 0030) within the reader's scope (``case_list.where``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from liuhen.store.queries.case_list import Filter, Scope, cs, where

INBOX = (cs.c.case_id, cs.c.number, cs.c.c_overdue, cs.c.c_oldest_overdue, cs.c.c_next_due)
"""What 我的待办 needs to choose its cases: all of it in the indexes (migration 0010)."""


def _in_inbox(scope: Scope, agency_id: str | None, now: datetime, conn: Connection) -> list[Any]:
    return where(scope, Filter(agency_id=agency_id), now, conn)


def overdue_lines(
    conn: Connection, scope: Scope, agency_id: str | None, now: datetime, limit: int | None
) -> list[Any]:
    """``INBOX`` rows of the cases in scope (of ``agency_id``) with an overdue item, oldest
    overdue item first, the first ``limit`` (all when None): chosen, ordered and cut by
    the database, so that a reader with thousands of such cases gets a page of rows."""
    return list(conn.execute(overdue_query(conn, scope, agency_id, now, limit)))


def overdue_query(
    conn: Connection, scope: Scope, agency_id: str | None, now: datetime, limit: int | None
) -> Select[Any]:
    """The statement of ``overdue_lines``."""
    query = (
        select(*INBOX)
        .where(*_in_inbox(scope, agency_id, now, conn), cs.c.c_oldest_overdue.is_not(None))
        .order_by(cs.c.c_oldest_overdue, cs.c.number)
    )
    return query if limit is None else query.limit(limit)


def overdue_items(conn: Connection, scope: Scope, agency_id: str | None, now: datetime) -> int:
    """How many overdue items the cases in scope (of ``agency_id``) hold, summed by the
    database over the index (``c_overdue``)."""
    return int(conn.execute(overdue_items_query(conn, scope, agency_id, now)).scalar_one())


def overdue_items_query(
    conn: Connection, scope: Scope, agency_id: str | None, now: datetime
) -> Select[Any]:
    """The statement of ``overdue_items``."""
    return select(func.coalesce(func.sum(cs.c.c_overdue), 0)).where(
        *_in_inbox(scope, agency_id, now, conn), cs.c.c_oldest_overdue.is_not(None)
    )


def due_soon(
    conn: Connection, scope: Scope, agency_id: str | None, due_by: datetime, now: datetime
) -> list[str]:
    """Ids of the cases in scope (of ``agency_id``) with an item falling due by ``due_by``."""
    return list(conn.execute(due_soon_query(conn, scope, agency_id, due_by, now)).scalars())


def due_soon_query(
    conn: Connection, scope: Scope, agency_id: str | None, due_by: datetime, now: datetime
) -> Select[Any]:
    """The statement of ``due_soon``."""
    return select(cs.c.case_id).where(
        *_in_inbox(scope, agency_id, now, conn),
        cs.c.c_next_due.is_not(None),
        cs.c.c_next_due <= due_by,
    )
