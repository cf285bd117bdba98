"""Which case summaries must be computed again (``services/cases/summaries.ensure_current``
asks before every list): from the newest change of each case (``case_changes``) and the index
rows of ``case_summaries``, a few indexed queries whatever the number of cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from liuhen.store import tables as t

cs = t.case_summaries


def stale(
    conn: Connection, *, after: int, now: datetime, version: int, calendar: str | None
) -> tuple[dict[str, int], int]:
    """Cases whose summary must be computed again, with the seq of their newest change:
    changed after their summary (looking only at changes after ``after``), never summarised,
    a recorded time in them now passed, and — when ``calendar`` is given — summarised by
    another version or with other holiday schedules. Also returns the newest change seen."""
    changes = t.case_changes
    top = conn.execute(select(changes.c.seq).order_by(changes.c.seq.desc()).limit(1)).scalar()
    found: dict[str, int] = {}
    query = (
        select(changes.c.case_id, changes.c.seq)
        .select_from(changes.outerjoin(cs, cs.c.case_id == changes.c.case_id))
        .where(changes.c.seq > after, or_(cs.c.case_id.is_(None), cs.c.source_seq < changes.c.seq))
    )
    found.update({case_id: int(seq) for case_id, seq in conn.execute(query)})
    ahead: Any = cs.c.recompute_at <= now
    if calendar is not None:
        ahead = or_(ahead, cs.c.version != version, cs.c.calendar_key != calendar)
    query = (
        select(cs.c.case_id, changes.c.seq)
        .select_from(cs.outerjoin(changes, changes.c.case_id == cs.c.case_id))
        .where(ahead)
    )
    for case_id, seq in conn.execute(query):
        found.setdefault(case_id, int(seq or 0))
    return found, int(top if top is not None else after)
