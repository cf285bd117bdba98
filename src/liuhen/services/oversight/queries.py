"""The oversight feature's reads beside the store's counts (``store/queries/dashboard.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from liuhen.store import tables as t
from liuhen.store.store import Store


def agency_names(store: Store) -> dict[str, str]:
    """Agency id -> name, for every agency."""
    with store.read() as conn:
        return dict(conn.execute(select(t.agencies.c.id, t.agencies.c.name)).all())


def review_versions(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    """Every signed 评查表 of the case, oldest first, with the reviewer's name."""
    r = t.case_reviews
    query = (
        select(r, t.users.c.display_name.label("reviewer"))
        .outerjoin(t.users, t.users.c.id == r.c.created_by)
        .where(r.c.case_id == case_id)
        .order_by(r.c.version)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def latest_reviews(store: Store, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Case id -> its newest signed 评查表 (scores, total, grade), for many cases at once."""
    if not case_ids:
        return {}
    r = t.case_reviews
    newest = (
        select(r.c.case_id, func.max(r.c.version).label("version"))
        .where(r.c.case_id.in_(case_ids))
        .group_by(r.c.case_id)
        .subquery()
    )
    query = select(r.c.case_id, r.c.version, r.c.scores, r.c.total, r.c.grade).join(
        newest, (newest.c.case_id == r.c.case_id) & (newest.c.version == r.c.version)
    )
    with store.read() as conn:
        return {row.case_id: dict(row._mapping) for row in conn.execute(query)}


def closed_summaries(
    store: Store, everything: bool, agency_id: str | None, section: str | None
) -> list[tuple[str, str, dict[str, Any]]]:
    """(case id, its agency's profile id, summary) of every closed case within the reach (all
    agencies, one agency, one section of it), for the yearly 评查 figures."""
    cs, bodies = t.case_summaries, t.case_summary_bodies
    query = (
        select(cs.c.case_id, t.agencies.c.profile_id, bodies.c.summary)
        .join_from(cs, bodies, bodies.c.case_id == cs.c.case_id)
        .join(t.agencies, t.agencies.c.id == cs.c.agency_id)
        .where(cs.c.stage == "closed")
        .order_by(cs.c.case_id)
    )
    if not everything:
        query = query.where(cs.c.agency_id == agency_id)
        if section is not None:
            query = query.where(cs.c.section == section)
    with store.read() as conn:
        return [(c, profile or "", summary) for c, profile, summary in conn.execute(query)]
