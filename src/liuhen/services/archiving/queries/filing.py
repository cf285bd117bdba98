"""Reads for filing (归档移交): a case's current case file, what its filing state is made
of, its latest 四性检测 event and the custodians a case file can go to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from liuhen.errors import NotFound
from liuhen.store import tables as t
from liuhen.store.store import Store


@dataclass(frozen=True)
class FilingRows:
    """What ``filing_state`` is made of, read in one connection."""

    closed_at: datetime | None
    act: dict[str, Any] | None
    case_file: dict[str, Any] | None
    profile_id: str


def current_case_file(conn: Connection, case_id: str) -> dict[str, Any] | None:
    """The case's current ``case_files`` row (the newest no other supersedes), or None."""
    rows = list(
        conn.execute(
            select(t.case_files)
            .where(t.case_files.c.case_id == case_id)
            .order_by(t.case_files.c.created_at, t.case_files.c.id)
        ).mappings()
    )
    superseded = {r["supersedes_id"] for r in rows if r["supersedes_id"]}
    current = [dict(r) for r in rows if r["id"] not in superseded]
    return current[-1] if current else None


def filing_rows(store: Store, case_id: str, act_kind: str) -> FilingRows:
    """When the case was closed, its latest act of ``act_kind`` (the filing), its current
    case file and its agency's profile."""
    with store.read() as conn:
        case = conn.execute(select(t.cases).where(t.cases.c.id == case_id)).mappings().first()
        if case is None:
            raise NotFound(f"case: 案件 {case_id} 不存在")
        closed = conn.execute(
            select(t.case_transitions.c.at)
            .where(t.case_transitions.c.case_id == case_id, t.case_transitions.c.stage == "closed")
            .order_by(t.case_transitions.c.at.desc())
        ).scalar()
        act = (
            conn.execute(
                select(t.acts)
                .where(t.acts.c.case_id == case_id, t.acts.c.kind == act_kind)
                .order_by(t.acts.c.started_at.desc())
            )
            .mappings()
            .first()
        )
        case_file = current_case_file(conn, case_id)
        profile = conn.execute(
            select(t.agencies.c.profile_id).where(t.agencies.c.id == case["agency_id"])
        ).scalar_one()
    return FilingRows(closed, dict(act) if act else None, case_file, profile)


def latest_event_of(store: Store, case_id: str, action: str) -> dict[str, Any] | None:
    """The ``seq`` and ``payload`` of the case's latest ledger event ``action``, or None."""
    with store.read() as conn:
        row = conn.execute(
            select(t.ledger_events.c.seq, t.ledger_events.c.payload)
            .where(t.ledger_events.c.case_id == case_id, t.ledger_events.c.action == action)
            .order_by(t.ledger_events.c.seq.desc())
            .limit(1)
        ).first()
    return {"seq": row.seq, "payload": row.payload} if row is not None else None


def custodians(store: Store, agency_id: str | None) -> list[tuple[str, str]]:
    """Active users with the custodian role of the case's agency (or of none): (id, name)
    for the filing form; another agency's custodians are neither listed nor accepted."""
    users = t.users
    with store.read() as conn:
        rows = conn.execute(
            select(users.c.id, users.c.display_name, users.c.roles, users.c.disabled)
            .where(users.c.agency_id.is_(None) | (users.c.agency_id == agency_id))
            .order_by(users.c.display_name)
        ).all()
    return [(r.id, r.display_name) for r in rows if "custodian" in r.roles and not r.disabled]
