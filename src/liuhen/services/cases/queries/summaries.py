"""What the case summaries read (``services/cases/summaries``): a case's stage and damage
count, the cases whose summaries are stale with their agencies, the stored summaries; and
writing summaries with their index (``store/summary_index``) in a transaction of their own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.exc import IntegrityError

from liuhen.store import summary_index
from liuhen.store import tables as t
from liuhen.store.queries import stale_summaries
from liuhen.store.store import Store

_CHUNK = 500


def newest_changes_and_agencies(
    store: Store, case_ids: Sequence[str]
) -> tuple[dict[str, int], dict[str, str]]:
    """For ``case_ids``: the seq of each one's newest change, and each stored case's agency."""
    with store.read() as conn:
        newest = dict(
            conn.execute(
                select(t.case_changes.c.case_id, t.case_changes.c.seq).where(
                    t.case_changes.c.case_id.in_(case_ids)
                )
            ).all()
        )
        agencies = _agencies(conn, case_ids)
    return newest, agencies


def stale_cases(
    store: Store, *, after: int, now: datetime, version: int, calendar: str | None
) -> tuple[dict[str, int], int, dict[str, str]]:
    """The stale summaries and the newest change seen (``stale_summaries.stale``), with the
    agency of each stale case still stored, read in chunks of 500 ids."""
    with store.read() as conn:
        stale, top = stale_summaries.stale(
            conn, after=after, now=now, version=version, calendar=calendar
        )
        agencies: dict[str, str] = {}
        wanted = sorted(stale)
        for i in range(0, len(wanted), _CHUNK):
            agencies.update(_agencies(conn, wanted[i : i + _CHUNK]))
    return stale, top, agencies


def _agencies(conn: Connection, case_ids: Sequence[str]) -> dict[str, str]:
    return dict(
        conn.execute(
            select(t.cases.c.id, t.cases.c.agency_id).where(t.cases.c.id.in_(case_ids))
        ).all()
    )


def write_retrying(
    store: Store, items: list[tuple[str, str, dict[str, Any], int]], *, tz: tzinfo
) -> None:
    """Write summaries with their index in a transaction of their own, once more if another
    process stored the same new summary meanwhile."""
    for attempt in (1, 2):
        try:
            with store.engine.begin() as conn:
                summary_index.write(conn, items, now=store.clock(), tz=tz)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def stored_summaries(store: Store, agency_id: str | None) -> list[tuple[str, str, dict[str, Any]]]:
    """Every stored summary (of one agency, or all) as (case_id, agency_id, summary), by id."""
    cs, bodies = t.case_summaries, t.case_summary_bodies
    query = (
        select(cs.c.case_id, cs.c.agency_id, bodies.c.summary)
        .join_from(cs, bodies, bodies.c.case_id == cs.c.case_id)
        .order_by(cs.c.case_id)
    )
    if agency_id is not None:
        query = query.where(cs.c.agency_id == agency_id)
    with store.read() as conn:
        return [(case_id, agency, summary) for case_id, agency, summary in conn.execute(query)]


def _judged_elsewhere(calendar: str, version: int) -> Any:
    cs = t.case_summaries
    return or_(cs.c.calendar_key != calendar, cs.c.version != version)


def rejudge_progress(store: Store, *, calendar: str, version: int) -> tuple[int, int]:
    """(summaries judged under ``calendar`` by ``version``, summaries in all)."""
    cs = t.case_summaries
    with store.read() as conn:
        total = conn.execute(select(func.count()).select_from(cs)).scalar_one()
        other = conn.execute(
            select(func.count()).select_from(cs).where(_judged_elsewhere(calendar, version))
        ).scalar_one()
    return int(total) - int(other), int(total)


def judged_elsewhere(
    store: Store, *, calendar: str, version: int, after: str, limit: int
) -> list[str]:
    """The first ``limit`` cases (by id, after ``after``) whose summary was judged under
    other holiday schedules than ``calendar`` or by another version than ``version``."""
    cs = t.case_summaries
    query = (
        select(cs.c.case_id)
        .where(cs.c.case_id > after, _judged_elsewhere(calendar, version))
        .order_by(cs.c.case_id)
        .limit(limit)
    )
    with store.read() as conn:
        return [str(c) for c in conn.execute(query).scalars()]
