"""the index of an officer's own cases carries the case id (covering)

An officer's case list is read newest first from ``ix_summary_officers_officer_opened``
(officer, opened, number; migration 0011). ``summary_officers``' primary key is
(case_id, officer_id), so on SQLite the table has its own rowid and each entry of that
index led to a second look-up in the table for the ``case_id`` the page joins on: 450 of
them before the tenth page's first row. With ``case_id`` in the index the page's window is
read from the index alone, as the cases a user opened are since migration 0029.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 19:00:00
"""

from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_summary_officers_officer_opened", table_name="summary_officers")
    op.create_index(
        "ix_summary_officers_officer_opened",
        "summary_officers",
        ["officer_id", "opened_at", "number", "case_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_summary_officers_officer_opened", table_name="summary_officers")
    op.create_index(
        "ix_summary_officers_officer_opened",
        "summary_officers",
        ["officer_id", "opened_at", "number"],
    )
