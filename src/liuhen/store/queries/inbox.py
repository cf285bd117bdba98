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

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    Table,
    bindparam,
    func,
    select,
    union,
)

from liuhen.store import tables as t
from liuhen.store.queries.binds import Kept
from liuhen.store.queries.case_list import Scope, cs, scope_shape, scope_values

so = t.summary_officers

INBOX = ("case_id", "number", "c_overdue", "c_oldest_overdue", "c_next_due")
"""What 我的待办 needs to choose its cases (a line: ``line.case_id``, ``line.number`` …)."""


def _sources(scope: Scope, agency_id: str | None) -> list[tuple[Table, list[ColumnElement[bool]]]]:
    """(table, conditions) of each source of the scope's cases (of ``agency_id``): the
    cases the scope reaches by agency or section (or all), cleared of their marks when it
    says so; those the user opened; those they are an officer on (``case_list.reach``'s
    cases, as a union). Every value is a parameter (``_values``): the statements are kept by
    the scope's shape (SQLAlchemy took ~1 ms to build one of these unions, more than running
    it)."""
    found: list[tuple[Table, list[ColumnElement[bool]]]] = []
    if scope.everything or scope.agency_id is not None:
        reached: list[ColumnElement[bool]] = []
        if not scope.everything:
            reached.append(cs.c.agency_id == bindparam("scope_agency"))
            if scope.section is not None:
                reached.append(cs.c.section == bindparam("scope_section"))
        if scope.cleared is not None:
            reached.append(cs.c.marks.in_(bindparam("scope_marks", expanding=True)))
        found.append((cs, reached))
    if scope.user_id is not None:
        found.append((cs, [cs.c.created_by == bindparam("scope_user")]))
    if scope.officer_id is not None:
        found.append((so, [so.c.officer_id == bindparam("scope_officer")]))
    if agency_id is not None:
        agency: Any = bindparam("agency_id")
        found = [(table, [*where, table.c.agency_id == agency]) for table, where in found]
    return found


def _values(scope: Scope, agency_id: str | None) -> dict[str, Any]:
    """The values of ``_sources``' parameters."""
    return {**scope_values(scope), "agency_id": agency_id}


def _kept(
    kept: Kept, build: Callable[..., Select[Any]], scope: Scope, agency_id: str | None, *shape: Any
) -> Select[Any]:
    """``build(scope, agency_id, *shape)``, kept by the shape of the scope and ``shape``."""
    key = (scope_shape(scope), agency_id is not None, *shape)
    return kept.get(key, lambda: build(scope, agency_id, *shape))  # type: ignore[no-any-return]


OVERDUE, OVERDUE_ITEMS, DUE_SOON = Kept(), Kept(), Kept()


def _union(parts: list[Select[Any]]) -> Any:
    """One source's statement as it is, several merged without repeats (a subquery)."""
    if len(parts) == 1:
        return parts[0].subquery()
    return union(*(select(*part.subquery().c) for part in parts)).subquery()


LIMIT = bindparam("limit", type_=Integer)


def overdue_lines(
    conn: Connection, scope: Scope, agency_id: str | None, limit: int | None
) -> list[Any]:
    """``INBOX`` rows of the cases in scope (of ``agency_id``) with an overdue item, oldest
    overdue item first (then by number), the first ``limit`` (all when None)."""
    query = _kept(OVERDUE, _overdue, scope, agency_id, limit is not None)
    return list(conn.execute(query, {**_values(scope, agency_id), "limit": limit}))


def overdue_query(scope: Scope, agency_id: str | None, limit: int | None) -> Select[Any]:
    """The statement of ``overdue_lines``, its values bound."""
    query = _kept(OVERDUE, _overdue, scope, agency_id, limit is not None)
    return query.params(**_values(scope, agency_id), limit=limit)


def _overdue(scope: Scope, agency_id: str | None, limited: bool) -> Select[Any]:
    """The first ``limit`` of each source, merged, ordered and cut again."""
    parts = []
    for table, where in _sources(scope, agency_id):
        part = (
            select(*(table.c[name] for name in INBOX))
            .where(*where, table.c.c_oldest_overdue.is_not(None))
            .order_by(table.c.c_oldest_overdue, table.c.number)
        )
        parts.append(part.limit(LIMIT) if limited else part)
    if not parts:
        return select(*(cs.c[name] for name in INBOX)).where(cs.c.case_id.is_(None))
    merged = _union(parts)
    query = select(*merged.c).order_by(merged.c.c_oldest_overdue, merged.c.number)
    return query.limit(LIMIT) if limited else query


def overdue_items(conn: Connection, scope: Scope, agency_id: str | None) -> int:
    """How many overdue items the cases in scope (of ``agency_id``) hold (``c_overdue``
    summed over the indexes)."""
    query = _kept(OVERDUE_ITEMS, _overdue_items, scope, agency_id)
    return int(conn.execute(query, _values(scope, agency_id)).scalar_one())


def overdue_items_query(scope: Scope, agency_id: str | None) -> Select[Any]:
    """The statement of ``overdue_items``, its values bound."""
    query = _kept(OVERDUE_ITEMS, _overdue_items, scope, agency_id)
    return query.params(**_values(scope, agency_id))


def _overdue_items(scope: Scope, agency_id: str | None) -> Select[Any]:
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
    query = _kept(DUE_SOON, _due_soon, scope, agency_id)
    return list(conn.execute(query, {**_values(scope, agency_id), "due_by": due_by}).scalars())


def due_soon_query(scope: Scope, agency_id: str | None, due_by: datetime) -> Select[Any]:
    """The statement of ``due_soon``, its values bound."""
    query = _kept(DUE_SOON, _due_soon, scope, agency_id)
    return query.params(**_values(scope, agency_id), due_by=due_by)


def _due_soon(scope: Scope, agency_id: str | None) -> Select[Any]:
    parts = [
        select(table.c.case_id).where(
            *where,
            table.c.c_next_due.is_not(None),
            table.c.c_next_due <= bindparam("due_by", type_=table.c.c_next_due.type),
        )
        for table, where in _sources(scope, agency_id)
    ]
    if not parts:
        return select(cs.c.case_id).where(cs.c.case_id.is_(None))
    merged = _union(parts)
    return select(merged.c.case_id)
