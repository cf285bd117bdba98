"""The SQL of 我的待办: which of a reader's cases have an overdue item or one falling due
soon, chosen, ordered and counted on indexes alone.

A reader's cases are those of their scope (``case_list.Scope``: an agency or a section, with
the confidentiality marks they clear) and their own (opened by them, or with them as an
officer on an act). Each of those is a *source* with an index that starts with its owner
and holds what 我的待办 needs (``ix_case_summaries_agency_section``, and migration 0031's
``ix_case_summaries_created_inbox`` and ``ix_summary_officers_inbox`` over the copies in
``summary_officers``): the oldest overdue cases are read in order from each source, a few,
then merged (``UNION``: a case in two sources is the same row in both), so an officer on
5,000 cases reads a page of rows, not 5,000 (the ``case_id IN (…)`` of the lists did).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, func, select, union

from liuhen.store import tables as t
from liuhen.store.queries.case_list import Scope, cs, mark_sets

so = t.summary_officers

INBOX = ("case_id", "number", "c_overdue", "c_oldest_overdue", "c_next_due")
"""What 我的待办 needs to choose its cases (a line: ``line.case_id``, ``line.number`` …)."""


def _sources(scope: Scope, agency_id: str | None) -> list[tuple[Table, list[ColumnElement[bool]]]]:
    """(table, conditions) of each source of the scope's cases (of ``agency_id``): the
    cases the scope reaches by agency or section (or all), cleared of their marks when it
    says so; those the user opened; those they are an officer on (``case_list.reach``'s
    cases, as a union)."""
    found: list[tuple[Table, list[ColumnElement[bool]]]] = []
    if scope.everything or scope.agency_id is not None:
        reached: list[ColumnElement[bool]] = []
        if not scope.everything:
            reached.append(cs.c.agency_id == scope.agency_id)
            if scope.section is not None:
                reached.append(cs.c.section == scope.section)
        if scope.cleared is not None:
            reached.append(cs.c.marks.in_(mark_sets(scope.cleared)))
        found.append((cs, reached))
    if scope.user_id is not None:
        found.append((cs, [cs.c.created_by == scope.user_id]))
    if scope.officer_id is not None:
        found.append((so, [so.c.officer_id == scope.officer_id]))
    if agency_id is not None:
        found = [(table, [*where, table.c.agency_id == agency_id]) for table, where in found]
    return found


def _union(parts: list[Select[Any]]) -> Any:
    """One source's statement as it is, several merged without repeats (a subquery)."""
    if len(parts) == 1:
        return parts[0].subquery()
    return union(*(select(*part.subquery().c) for part in parts)).subquery()


def overdue_lines(
    conn: Connection, scope: Scope, agency_id: str | None, limit: int | None
) -> list[Any]:
    """``INBOX`` rows of the cases in scope (of ``agency_id``) with an overdue item, oldest
    overdue item first (then by number), the first ``limit`` (all when None)."""
    return list(conn.execute(overdue_query(scope, agency_id, limit)))


def overdue_query(scope: Scope, agency_id: str | None, limit: int | None) -> Select[Any]:
    """The statement of ``overdue_lines``: the first ``limit`` of each source, merged,
    ordered and cut again."""
    parts = []
    for table, where in _sources(scope, agency_id):
        part = (
            select(*(table.c[name] for name in INBOX))
            .where(*where, table.c.c_oldest_overdue.is_not(None))
            .order_by(table.c.c_oldest_overdue, table.c.number)
        )
        parts.append(part if limit is None else part.limit(limit))
    if not parts:
        return select(*(cs.c[name] for name in INBOX)).where(cs.c.case_id.is_(None))
    merged = _union(parts)
    query = select(*merged.c).order_by(merged.c.c_oldest_overdue, merged.c.number)
    return query if limit is None else query.limit(limit)


def overdue_items(conn: Connection, scope: Scope, agency_id: str | None) -> int:
    """How many overdue items the cases in scope (of ``agency_id``) hold (``c_overdue``
    summed over the indexes)."""
    return int(conn.execute(overdue_items_query(scope, agency_id)).scalar_one())


def overdue_items_query(scope: Scope, agency_id: str | None) -> Select[Any]:
    """The statement of ``overdue_items``."""
    parts = [
        select(table.c.case_id, table.c.c_overdue).where(
            *where, table.c.c_oldest_overdue.is_not(None)
        )
        for table, where in _sources(scope, agency_id)
    ]
    if not parts:
        return select(func.coalesce(func.sum(cs.c.c_overdue), 0)).where(cs.c.case_id.is_(None))
    merged = _union(parts)
    return select(func.coalesce(func.sum(merged.c.c_overdue), 0))


def due_soon(conn: Connection, scope: Scope, agency_id: str | None, due_by: datetime) -> list[str]:
    """Ids of the cases in scope (of ``agency_id``) with an item falling due by ``due_by``."""
    return list(conn.execute(due_soon_query(scope, agency_id, due_by)).scalars())


def due_soon_query(scope: Scope, agency_id: str | None, due_by: datetime) -> Select[Any]:
    """The statement of ``due_soon``."""
    parts = [
        select(table.c.case_id).where(
            *where, table.c.c_next_due.is_not(None), table.c.c_next_due <= due_by
        )
        for table, where in _sources(scope, agency_id)
    ]
    if not parts:
        return select(cs.c.case_id).where(cs.c.case_id.is_(None))
    merged = _union(parts)
    return select(merged.c.case_id)
