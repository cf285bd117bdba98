"""Reading the ledger's view events (调阅记录) for the ledger page, with each event's case
and user."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select

from liuhen.store import tables as t
from liuhen.store.store import Store


def view_events(
    store: Store,
    actions: Iterable[str],
    *,
    case: str,
    user: str,
    limit: int,
    within_agency: bool,
    agency_id: str | None,
) -> list[dict[str, Any]]:
    """The latest ``limit`` events of ``actions``, newest first, each with its case's number
    and title and its user's username; only about ``case`` (number or id) and by ``user``
    (username or part of the label) when given, and only the agency's cases and people when
    ``within_agency``."""
    ev, cases, users = t.ledger_events, t.cases, t.users
    query = (
        select(
            ev.c.seq,
            ev.c.occurred_at,
            ev.c.actor_label,
            ev.c.action,
            ev.c.subject_type,
            ev.c.subject_id,
            ev.c.case_id,
            cases.c.number.label("case_number"),
            cases.c.title.label("case_title"),
            users.c.username,
        )
        .select_from(
            ev.outerjoin(cases, cases.c.id == ev.c.case_id).outerjoin(
                users, users.c.id == ev.c.actor_id
            )
        )
        .where(ev.c.action.in_(actions))
        .order_by(ev.c.seq.desc())
        .limit(max(1, min(limit, 1000)))
    )
    if case.strip():
        query = query.where(or_(cases.c.number == case.strip(), cases.c.id == case.strip()))
    if user.strip():
        query = query.where(
            or_(users.c.username == user.strip(), ev.c.actor_label.contains(user.strip()))
        )
    if within_agency:
        query = query.where(or_(cases.c.agency_id == agency_id, users.c.agency_id == agency_id))
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
