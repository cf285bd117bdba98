"""The reads of signing on the screen (``services/cases/signing.py``): the document version
being signed, with whether a later one exists; the case's audio-video records a refusal is
marked in; whether a version was signed in a transaction (the race's loser)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select

from liuhen.store import tables as t

if TYPE_CHECKING:
    from liuhen.store.store import Store


def signing_record(store: Store, case_id: str, record_id: str) -> dict[str, Any] | None:
    """The ``records`` row of this case's record ``record_id`` with ``newer`` (a later
    version supersedes it) and ``newest`` (that version's id, for the page to point at)."""
    later = t.records.alias("later")
    with store.read() as conn:
        row = (
            conn.execute(
                select(t.records, later.c.id.label("newer_id"))
                .outerjoin(later, later.c.supersedes_id == t.records.c.id)
                .where(t.records.c.id == record_id, t.records.c.case_id == case_id)
            )
            .mappings()
            .first()
        )
    if row is None:
        return None
    out = dict(row)
    out["newer"] = out.pop("newer_id") is not None
    return out


def case_footage(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The case's current audio-video records (id, title, details, act), oldest first."""
    later = t.records.alias("later")
    with store.read() as conn:
        rows = conn.execute(
            select(t.records.c.id, t.records.c.title, t.records.c.details, t.records.c.act_id)
            .where(
                t.records.c.case_id == case_id,
                t.records.c.kind == "av",
                ~exists().where(later.c.supersedes_id == t.records.c.id),
            )
            .order_by(t.records.c.created_at, t.records.c.id)
        ).mappings()
        return [dict(r) for r in rows]
