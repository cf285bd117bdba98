"""footage due carries what the warning shows

The officer's warning of footage still to store (on the case list and the home page) read
the summaries of the cases it named to find each act's details. ``footage_due`` rows now
carry the case number and the summary's ``av_due`` item, so the warning reads its index
rows and nothing else.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.types import JSONText

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("footage_due") as batch:
        batch.add_column(
            sa.Column("number", sa.String(length=100), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("item", JSONText(), nullable=True))
    conn = op.get_bind()
    summaries = sa.table(
        "case_summaries", sa.column("case_id", sa.String()), sa.column("summary", JSONText())
    )
    due = sa.table(
        "footage_due",
        sa.column("case_id", sa.String()),
        sa.column("act_id", sa.String()),
        sa.column("number", sa.String()),
        sa.column("item", JSONText()),
    )
    cases = [r[0] for r in conn.execute(sa.select(due.c.case_id).distinct())]
    update = (
        sa.update(due)
        .where(due.c.case_id == sa.bindparam("c"), due.c.act_id == sa.bindparam("a"))
        .values(number=sa.bindparam("n"), item=sa.bindparam("i"))
    )
    for first in range(0, len(cases), 1000):
        chunk = cases[first : first + 1000]
        rows = conn.execute(
            sa.select(summaries.c.case_id, summaries.c.summary).where(
                summaries.c.case_id.in_(chunk)
            )
        )
        changes = [
            {"c": case_id, "a": item["act"], "n": summary.get("number") or "", "i": item}
            for case_id, summary in rows
            for item in summary.get("av_due") or ()
        ]
        if changes:
            conn.execute(update, changes)


def downgrade() -> None:
    with op.batch_alter_table("footage_due") as batch:
        batch.drop_column("item")
        batch.drop_column("number")
