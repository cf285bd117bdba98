"""footage still to store per officer, from the summaries; records found by version and act

The home page warns each officer of the footage they still owe: ``footage_due`` holds one
row per act and officer (from the summaries' ``av_due``), so the warning reads an index
instead of every summary of the officer. A record's later version and an act's records are
looked up by index (``records.supersedes_id``, ``records.act_id``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:30:00
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

from liuhen.store.types import JSONText, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "footage_due",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("act_id", sa.String(length=40), nullable=False),
        sa.Column("officer_id", sa.String(length=40), nullable=False),
        sa.Column("due", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "act_id", "officer_id", name=op.f("pk_footage_due")),
    )
    op.create_index("ix_footage_due_officer_due", "footage_due", ["officer_id", "due"])
    op.create_index(op.f("ix_records_supersedes_id"), "records", ["supersedes_id"])
    op.create_index(op.f("ix_records_act_id"), "records", ["act_id"])
    conn = op.get_bind()
    summaries = sa.table(
        "case_summaries", sa.column("case_id", sa.String()), sa.column("summary", JSONText())
    )
    due = sa.table(
        "footage_due",
        sa.column("case_id", sa.String()),
        sa.column("act_id", sa.String()),
        sa.column("officer_id", sa.String()),
        sa.column("due", UTCDateTime()),
    )
    rows = []
    for case_id, summary in conn.execute(sa.select(summaries.c.case_id, summaries.c.summary)):
        for item in summary.get("av_due") or ():
            when = datetime.fromisoformat(item["due"]) if item["due"] else None
            for officer in sorted(set(item["officers"])):
                rows.append(
                    {"case_id": case_id, "act_id": item["act"], "officer_id": officer, "due": when}
                )
        if len(rows) >= 5000:
            conn.execute(due.insert(), rows)
            rows = []
    if rows:
        conn.execute(due.insert(), rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_records_act_id"), table_name="records")
    op.drop_index(op.f("ix_records_supersedes_id"), table_name="records")
    op.drop_index("ix_footage_due_officer_due", table_name="footage_due")
    op.drop_table("footage_due")
