"""A page of a case list (``page``): its statement built once for each shape of the reader's
scope and run with their values as parameters (SQLAlchemy took 0.5–2.5 ms to build one, as
long as the database took to run it); the conditions are ``case_list``'s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, false, select, union_all

from liuhen.store.queries.binds import Bind, Kept, literal, parameter
from liuhen.store.queries.case_list import (
    ROW,
    Filter,
    Scope,
    cs,
    narrowing,
    own_only,
    own_sources,
    source,
    statement_shape,
    statement_values,
    where,
)


def page(
    conn: Connection,
    scope: Scope,
    f: Filter,
    now: datetime,
    *,
    offset: int = 0,
    limit: int | None = None,
    order: str = "opened",
    columns: tuple[Any, ...] = ROW,
    dense: bool = False,
    drive: str = "",
) -> list[Any]:
    """Rows (by default case_id, agency_id, summary) in list order: newest opened first,
    or soonest next due (``order="due"``), or oldest overdue first (``order="overdue"``).
    ``dense``: the search matches so many cases that the page is read newest first, each row
    checked, stopping when it is full (the planner, multiplying the chances of a title's
    two-character terms as if unrelated, would read and sort every candidate: a word a tenth
    of the county's titles hold took 40 ms, read this way 4 ms). ``drive`` (a search of a
    reader who reaches only their own cases, see ``search_drive``): ``"own"`` reads their
    cases newest first, each checked, until the page is full; ``"matches"`` reads the full-text
    index's few candidates, each tested for being theirs."""
    shape = statement_shape(scope, f, conn.dialect)
    key = (*shape, offset > 0, limit is not None, order, columns, dense, drive)
    query = PAGES.get(key, lambda: _page_statement(
        scope, f, now, conn, offset, limit, order, columns, dense, drive, parameter
    ))  # fmt: skip
    values = {
        **statement_values(scope, f, now, conn.dialect),
        "offset": offset,
        "limit": limit,
        "reach": offset + (limit or 0),
    }
    return list(conn.execute(query, values))


PAGES = Kept()
"""``page``'s statements by the shape of their scope and all else they depend on: SQLAlchemy
took 0.5–2.5 ms to build one, as long as the database took to run it."""


def _page_statement(
    scope: Scope,
    f: Filter,
    now: datetime,
    conn: Connection,
    offset: int,
    limit: int | None,
    order: str,
    columns: tuple[Any, ...],
    dense: bool,
    drive: str,
    bind: Bind = literal,
) -> Any:
    """``page``'s statement; with ``bind=parameter`` the scope, offset and limit are the
    parameters ``scope_values``, ``offset``, ``limit`` and ``reach`` (offset + limit)."""
    own_first = order == "opened" and limit is not None and own_only(scope)
    if own_first and (not f.q or drive == "own"):
        return _own_page(scope, f, now, conn, offset, limit or 0, columns, bind)
    indexed = not (dense and order == "opened")
    correlated = drive == "matches"
    conditions = where(scope, f, now, conn, indexed=indexed, correlated=correlated, bind=bind)
    query = select(*columns).select_from(source(columns)).where(*conditions)
    if order == "due":
        query = query.order_by(cs.c.c_next_due, cs.c.number)
    elif order == "overdue":
        query = query.order_by(cs.c.c_oldest_overdue, cs.c.number)
    else:
        query = query.order_by(cs.c.opened_at.desc(), cs.c.number.desc())
    if offset:
        query = query.offset(_number(bind, "offset", offset))
    if limit is not None:
        query = query.limit(_number(bind, "limit", limit))
    return query


def _number(bind: Bind, name: str, value: int) -> Any:
    """An offset or limit, bound as ``bind`` says (an integer parameter)."""
    return bind(name, value, type_=Integer)


def _own_page(
    scope: Scope,
    f: Filter,
    now: datetime,
    conn: Connection,
    offset: int,
    limit: int,
    columns: tuple[Any, ...],
    bind: Bind,
) -> Any:
    """The statement of a page of a reader who reaches only their own cases, newest first:
    the first ``offset + limit`` of the cases they are an officer on and of those they
    opened, each read in order from its index (``summary_officers`` and ``created_by`` carry
    the opening time and number), then the page of those (not every own case read and
    sorted)."""
    conditions = narrowing(f, now, conn, indexed=False, bind=bind)  # a search: each row checked
    first = _number(bind, "reach", offset + limit)
    branches = [
        select(part.order_by(opened.desc(), number.desc()).limit(first).subquery().c.case_id)
        for part, opened, number in own_sources(scope, conditions, bind)
    ]
    if not branches:
        return select(*columns).select_from(source(columns)).where(false())
    ids: Any = branches[0]  # (a conditional expression here crashes mypy 2.4)
    if len(branches) > 1:
        ids = union_all(*branches)
    return (
        select(*columns)
        .select_from(source(columns))
        .where(cs.c.case_id.in_(ids))
        .order_by(cs.c.opened_at.desc(), cs.c.number.desc())
        .offset(_number(bind, "offset", offset))
        .limit(_number(bind, "limit", limit))
    )
