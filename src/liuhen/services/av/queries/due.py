"""Footage due, from the case summaries' index (``footage_due``): an officer's acts that need
audio-video and have none stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from liuhen.store import tables as t
from liuhen.store.store import Store


def footage_due_of_officer(
    store: Store, officer_id: str, *, due_by: datetime | None, shown: int | None
) -> tuple[list[tuple[str, str, dict[str, Any]]], int]:
    """(the earliest ``shown`` (case id, case number, ``av_due`` item) due, how many in all)
    of an officer's footage due (only that due by ``due_by`` when given): the index rows
    carry what the warning shows, so no summary is read."""
    fd = t.footage_due
    wanted = [fd.c.officer_id == officer_id]
    order: list[Any] = [fd.c.due, fd.c.case_id, fd.c.act_id]
    if due_by is not None:
        wanted += [fd.c.due.is_not(None), fd.c.due <= due_by]
    else:
        order.insert(0, fd.c.due.is_(None))  # not started yet: last
    with store.read() as conn:
        total = conn.execute(select(func.count()).select_from(fd).where(*wanted)).scalar_one()
        query = select(fd.c.case_id, fd.c.number, fd.c.item).where(*wanted).order_by(*order)
        picked = [
            (case_id, number, item)
            for case_id, number, item in conn.execute(
                query if shown is None else query.limit(shown)
            )
        ]
    return picked, int(total)
