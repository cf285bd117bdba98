"""Migration 0014 on a store that already holds what it forbids (two decisions of one
approval step, two successors of one record, written by processes racing before the
constraints existed): the upgrade succeeds, keeps every row, lists the later ones in
``duplicates_found``, and the constraints hold for every new row. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.services.admin.setup import initialise
from liuhen.services.approvals.workflow import decide, request_approval
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.records import correct_record
from liuhen.store import tables as t
from liuhen.store.database import alembic_config
from liuhen.store.store import Store
from liuhen.store.unit import new_id


def _copy(conn: Any, table: Table, row_id: str) -> str:
    """Insert a copy of a row under a new id a moment later, as a racing writer did."""
    row = dict(conn.execute(select(table).where(table.c.id == row_id)).mappings().one())
    row["id"] = new_id()
    at = "decided_at" if table is t.approval_steps else "created_at"
    row[at] += timedelta(milliseconds=5)
    conn.execute(table.insert().values(**row))
    return str(row["id"])


def test_an_upgrade_keeps_racing_duplicates_lists_them_and_refuses_new_ones(
    settings, clock, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from tests.factories import make_user

    initialise(settings, admin_password="Admin-pass-2026!", clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        ids = make_case_with_files(store, tmp_path)
        head = make_user(store, "liu", "head", agency_id=ids["agency"])
        approval = request_approval(
            store, SYSTEM, case_id=ids["case"], kind="initiation", opinion="拟立案"
        )
        decide(store, head.actor, approval, decision="approved", opinion="同意",
               position="principal_head", final=True)  # fmt: skip
        details = {"made_at": clock().isoformat(), "officer_ids": [ids["o1"], ids["o2"]]}
        newer = correct_record(
            store, SYSTEM, record_id=ids["record"], details=details, reason="笔误"
        )
        command.downgrade(alembic_config(store.engine), "0013")
        steps = t.approval_steps
        with store.engine.begin() as conn:
            decided = conn.execute(
                select(steps.c.id).where(steps.c.approval_id == approval, steps.c.position == 2)
            ).scalar_one()
            twice = _copy(conn, steps, decided)
            fork = _copy(conn, t.records, newer)
        command.upgrade(alembic_config(store.engine), "head")
        with store.engine.connect() as conn:
            found = {
                (r.table_name, r.row_id, r.kept_id, r.constraint_name)
                for r in conn.execute(select(t.duplicates_found))
            }
            assert found == {
                ("approval_steps", twice, decided, "uq_approval_steps_position"),
                ("records", fork, newer, "uq_records_supersedes_id"),
            }
            kept = conn.execute(select(steps.c.id).where(steps.c.approval_id == approval)).all()
            assert len(kept) == 3  # the handler's, the decision, and its duplicate: all kept
        notes = verify(store, SYSTEM).notes  # the copies made here carry no event: not ok
        assert any(n.startswith(f"approval_steps#{twice}：同一审批步骤") for n in notes), notes
        for table, row_id in ((steps, decided), (t.records, newer)):
            with pytest.raises(IntegrityError), store.engine.begin() as conn:
                _copy(conn, table, row_id)
    finally:
        store.close()
