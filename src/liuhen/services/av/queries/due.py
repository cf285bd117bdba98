"""Footage due, from the case summaries' index (``footage_due``): an officer's acts that need
audio-video and have none stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from liuhen.store import tables as t
from liuhen.store.store import Store


def officer_of_user(store: Store, user_id: str) -> str | None:
    """The officer a user account stands for, if any."""
    with store.read() as conn:
        officer = conn.execute(select(t.users.c.officer_id).where(t.users.c.id == user_id)).scalar()
    return None if officer is None else str(officer)


def footage_due_of_officer(
    store: Store, officer_id: str, *, due_by: datetime | None, shown: int | None
) -> tuple[list[tuple[str, str]], dict[str, tuple[str, dict[str, Any]]], int]:
    """(the earliest ``shown`` (case, act) pairs due, the number and summary of their cases,
    how many in all) of an officer's footage due (only that due by ``due_by`` when given)."""
    fd, cs = t.footage_due, t.case_summaries
    wanted = [fd.c.officer_id == officer_id]
    if due_by is not None:
        wanted += [fd.c.due.is_not(None), fd.c.due <= due_by]
    with store.read() as conn:
        total = conn.execute(select(func.count()).select_from(fd).where(*wanted)).scalar_one()
        query = select(fd.c.case_id, fd.c.act_id).where(*wanted)
        query = query.order_by(fd.c.due.is_(None), fd.c.due, fd.c.case_id, fd.c.act_id)
        picked = [
            (case_id, act_id)
            for case_id, act_id in conn.execute(query if shown is None else query.limit(shown))
        ]
        cases = {c for c, _ in picked}
        summaries = {
            case_id: (number, summary)
            for case_id, number, summary in conn.execute(
                select(cs.c.case_id, cs.c.number, cs.c.summary).where(cs.c.case_id.in_(cases))
            )
        }
    return picked, summaries, int(total)
