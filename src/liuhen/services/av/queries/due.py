"""Footage due, from the case summaries' index (``footage_due``): an officer's acts that need
audio-video and have none stored."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from liuhen.store import tables as t
from liuhen.store.store import Store


@cache
def _due_query(bounded: bool, limited: bool) -> Select[Any]:
    """The officer's items due (by ``:due_by`` when ``bounded``; the first ``:shown`` when
    ``limited``), each row carrying how many there are in all: one statement, built once
    per shape (the list's warning asks on every page; a statement built per call is
    constructed and cache-keyed each time)."""
    fd = t.footage_due
    wanted = [fd.c.officer_id == bindparam("officer")]
    order: list[Any] = [fd.c.due, fd.c.case_id, fd.c.act_id]
    if bounded:
        wanted += [fd.c.due.is_not(None), fd.c.due <= bindparam("due_by")]
    else:
        order.insert(0, fd.c.due.is_(None))  # not started yet: last
    total = select(func.count()).select_from(fd).where(*wanted).scalar_subquery()
    query = select(fd.c.case_id, fd.c.number, fd.c.item, total).where(*wanted).order_by(*order)
    return query.limit(bindparam("shown")) if limited else query


def footage_due_of_officer(
    store: Store, officer_id: str, *, due_by: datetime | None, shown: int | None
) -> tuple[list[tuple[str, str, dict[str, Any]]], int]:
    """(the earliest ``shown`` (case id, case number, ``av_due`` item) due, how many in all)
    of an officer's footage due (only that due by ``due_by`` when given): the index rows
    carry what the warning shows, so no summary is read. No row means none at all."""
    query = _due_query(due_by is not None, shown is not None)
    values: dict[str, Any] = {"officer": officer_id}
    if due_by is not None:
        values["due_by"] = due_by
    if shown is not None:
        values["shown"] = max(shown, 1)  # one row at least, to carry the total
    with store.read() as conn:
        rows = conn.execute(query, values).all()
    total = int(rows[0][3]) if rows else 0
    picked = [(case_id, number, item) for case_id, number, item, _ in rows]
    return picked[:shown] if shown is not None else picked, total
