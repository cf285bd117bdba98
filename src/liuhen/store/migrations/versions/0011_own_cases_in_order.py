"""an officer's own cases listed newest first from the index

An officer's case list is their own cases (those they are an officer on, and those they
opened), newest first. Reading every one of them to sort it took tens of milliseconds for an
officer with thousands of cases; ``summary_officers`` now carries the case's opening time
and number with an index on (officer, opened, number), and the ``created_by`` index is
widened the same way, so a page of the list reads only its own rows (``case_list.page``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:45:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store import summary_index
from liuhen.store.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("summary_officers") as batch:
        batch.add_column(sa.Column("opened_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("number", sa.String(length=100), nullable=False, server_default="")
        )
    summary_index.fill_copies(op.get_bind(), columns=("opened_at", "number"))
    op.create_index(
        "ix_summary_officers_officer_opened",
        "summary_officers",
        ["officer_id", "opened_at", "number"],
    )
    op.drop_index("ix_case_summaries_created_by", table_name="case_summaries")
    op.create_index(
        "ix_case_summaries_created_by", "case_summaries", ["created_by", "opened_at", "number"]
    )


def downgrade() -> None:
    op.drop_index("ix_case_summaries_created_by", table_name="case_summaries")
    op.create_index("ix_case_summaries_created_by", "case_summaries", ["created_by"])
    op.drop_index("ix_summary_officers_officer_opened", table_name="summary_officers")
    with op.batch_alter_table("summary_officers") as batch:
        batch.drop_column("number")
        batch.drop_column("opened_at")
