"""The newest ledger event of each (action, subject), with how many there are: what a page
shows of the events about its objects (the case page's 留痕 facts, an access request's
failed copies and views) in one query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from liuhen.store import tables as t


def newest_of_each(where: ColumnElement[bool], *columns: Any) -> Select[Any]:
    """Rows of (action, subject_id, seq, n, *``columns``): for each (action, subject) among
    the events ``where`` picks, the newest one's seq and ``columns`` (of ``ledger_events``),
    and ``n``, how many events there are."""
    events = t.ledger_events.c
    newest = (
        select(
            events.action,
            events.subject_id,
            func.max(events.seq).label("seq"),
            func.count().label("n"),
        )
        .where(where)
        .group_by(events.action, events.subject_id)
        .subquery()
    )
    return select(newest.c.action, newest.c.subject_id, newest.c.seq, newest.c.n, *columns).join(
        t.ledger_events, events.seq == newest.c.seq
    )
