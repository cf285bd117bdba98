"""The officers' form drafts (``form_drafts``): bookkeeping like ``sessions``, not records,
so they are written here outside the unit of work and never reach the ledger. One row per
person, case and form, replaced by each autosave (an upsert: two tabs saving at once leave
the later one); the form's final save deletes it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from liuhen.store import tables as t
from liuhen.store.unit import new_id
from liuhen.store.upsert import insert

if TYPE_CHECKING:
    from liuhen.store.store import Store


def put_draft(
    store: Store, user_id: str, case_id: str, form_key: str, fields: list[Any], now: datetime
) -> int:
    """Save the draft; its revision (1 for a new one)."""
    table = t.form_drafts
    body = json.dumps(fields, ensure_ascii=False)
    with store.engine.begin() as conn:
        stmt = insert(conn, table).values(
            id=new_id(),
            user_id=user_id,
            case_id=case_id,
            form_key=form_key,
            body=body,
            revision=1,
            saved_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "case_id", "form_key"],
            set_={"body": body, "saved_at": now, "revision": table.c.revision + 1},
        ).returning(table.c.revision)
        return int(conn.execute(stmt).scalar_one())


def get_draft(store: Store, user_id: str, case_id: str, form_key: str) -> dict[str, Any] | None:
    table = t.form_drafts
    with store.read() as conn:
        row = (
            conn.execute(
                select(table.c.body, table.c.revision, table.c.saved_at).where(
                    table.c.user_id == user_id,
                    table.c.case_id == case_id,
                    table.c.form_key == form_key,
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        return None
    return {"fields": json.loads(row["body"]), "revision": row["revision"], "at": row["saved_at"]}


def drop_draft(store: Store, user_id: str, case_id: str, form_key: str) -> bool:
    """Delete the draft; whether there was one."""
    table = t.form_drafts
    with store.engine.begin() as conn:
        gone = conn.execute(
            delete(table).where(
                table.c.user_id == user_id,
                table.c.case_id == case_id,
                table.c.form_key == form_key,
            )
        )
        return bool(gone.rowcount)
