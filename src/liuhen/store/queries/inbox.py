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

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
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
from liuhen.store.queries.case_list import Scope, cs, mark_sets

so = t.summary_officers

INBOX = ("case_id", "number", "c_overdue", "c_oldest_overdue", "c_next_due")
"""What 我的待办 needs to choose its cases (a line: ``line.case_id``, ``line.number`` …)."""


@dataclass(frozen=True)
class _Shape:
    """Which sources a reader's statement reads and what narrows them: the statement is
    built once per shape (SQLAlchemy takes ~1 ms to build one of these unions and its cache
    key, more than running it) and run with the reader's values as parameters."""

    reached: bool  # the agency's or section's cases, or all of them
    agency: bool  # reached is narrowed to scope.agency_id
    section: bool  # … and to scope.section
    marks: bool  # reached is cleared of marks (``marks``: mark_sets)
    opened: bool  # the cases the user opened
    officer: bool  # those they are an officer on
    only_agency: bool  # every source narrowed to one agency


def _shape(scope: Scope, agency_id: str | None) -> tuple[_Shape, dict[str, Any]]:
    """The shape of the scope's statements and the values of their parameters."""
    reached = scope.everything or scope.agency_id is not None
    agency = reached and not scope.everything
    shape = _Shape(
        reached=reached,
        agency=agency,
        section=agency and scope.section is not None,
        marks=reached and scope.cleared is not None,
        opened=scope.user_id is not None,
        officer=scope.officer_id is not None,
        only_agency=agency_id is not None,
    )
    values: dict[str, Any] = {
        "scope_agency": scope.agency_id,
        "scope_section": scope.section,
        "marks": mark_sets(scope.cleared) if shape.marks and scope.cleared is not None else [],
        "user_id": scope.user_id,
        "officer_id": scope.officer_id,
        "agency_id": agency_id,
    }
    return shape, values


def _sources(shape: _Shape) -> list[tuple[Table, list[ColumnElement[bool]]]]:
    """(table, conditions) of each source of the shape's cases: the cases the scope reaches
    by agency or section (or all), cleared of their marks when it says so; those the user
    opened; those they are an officer on (``case_list.reach``'s cases, as a union)."""
    found: list[tuple[Table, list[ColumnElement[bool]]]] = []
    if shape.reached:
        reached: list[ColumnElement[bool]] = []
        if shape.agency:
            reached.append(cs.c.agency_id == bindparam("scope_agency"))
        if shape.section:
            reached.append(cs.c.section == bindparam("scope_section"))
        if shape.marks:
            reached.append(cs.c.marks.in_(bindparam("marks", expanding=True)))
        found.append((cs, reached))
    if shape.opened:
        found.append((cs, [cs.c.created_by == bindparam("user_id")]))
    if shape.officer:
        found.append((so, [so.c.officer_id == bindparam("officer_id")]))
    if shape.only_agency:
        only = [
            (table, [*where, table.c.agency_id == bindparam("agency_id")]) for table, where in found
        ]
        found = only
    return found


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
    shape, values = _shape(scope, agency_id)
    return list(conn.execute(_overdue(shape, limit is not None), {**values, "limit": limit}))


def overdue_query(scope: Scope, agency_id: str | None, limit: int | None) -> Select[Any]:
    """The statement of ``overdue_lines``, its values bound."""
    shape, values = _shape(scope, agency_id)
    return _overdue(shape, limit is not None).params(**values, limit=limit)


@lru_cache(maxsize=64)
def _overdue(shape: _Shape, limited: bool) -> Select[Any]:
    """The first ``limit`` of each source, merged, ordered and cut again."""
    parts = []
    for table, where in _sources(shape):
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
    shape, values = _shape(scope, agency_id)
    return int(conn.execute(_overdue_items(shape), values).scalar_one())


def overdue_items_query(scope: Scope, agency_id: str | None) -> Select[Any]:
    """The statement of ``overdue_items``, its values bound."""
    shape, values = _shape(scope, agency_id)
    return _overdue_items(shape).params(**values)


@lru_cache(maxsize=64)
def _overdue_items(shape: _Shape) -> Select[Any]:
    parts = [
        select(table.c.case_id, table.c.c_overdue).where(
            *where, table.c.c_oldest_overdue.is_not(None)
        )
        for table, where in _sources(shape)
    ]
    if not parts:
        return select(func.coalesce(func.sum(cs.c.c_overdue), 0)).where(cs.c.case_id.is_(None))
    merged = _union(parts)
    return select(func.coalesce(func.sum(merged.c.c_overdue), 0))


def due_soon(conn: Connection, scope: Scope, agency_id: str | None, due_by: datetime) -> list[str]:
    """Ids of the cases in scope (of ``agency_id``) with an item falling due by ``due_by``."""
    shape, values = _shape(scope, agency_id)
    return list(conn.execute(_due_soon(shape), {**values, "due_by": due_by}).scalars())


def due_soon_query(scope: Scope, agency_id: str | None, due_by: datetime) -> Select[Any]:
    """The statement of ``due_soon``, its values bound."""
    shape, values = _shape(scope, agency_id)
    return _due_soon(shape).params(**values, due_by=due_by)


@lru_cache(maxsize=64)
def _due_soon(shape: _Shape) -> Select[Any]:
    parts = [
        select(table.c.case_id).where(
            *where,
            table.c.c_next_due.is_not(None),
            table.c.c_next_due <= bindparam("due_by", type_=table.c.c_next_due.type),
        )
        for table, where in _sources(shape)
    ]
    if not parts:
        return select(cs.c.case_id).where(cs.c.case_id.is_(None))
    merged = _union(parts)
    return select(merged.c.case_id)
