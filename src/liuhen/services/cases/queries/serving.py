"""The reads of service and closing (``services/cases/serving.py``), both inside the
caller's write transaction: the case's text records, and whether it is closed."""

from __future__ import annotations

from sqlalchemy import Connection, select

from liuhen.store import tables as t


def text_record_ids(conn: Connection, case_id: str) -> set[str]:
    """The ids of the case's text records, every version."""
    return {
        r[0]
        for r in conn.execute(
            select(t.records.c.id).where(t.records.c.case_id == case_id, t.records.c.kind == "text")
        )
    }


def case_closed(conn: Connection, case_id: str) -> bool:
    """Whether the case has a closing among its stage transitions."""
    closed = conn.execute(
        select(t.case_transitions.c.id).where(
            t.case_transitions.c.case_id == case_id, t.case_transitions.c.stage == "closed"
        )
    )
    return closed.first() is not None
