"""case summaries' JSON in a table of its own

``case_summaries.summary`` (about a kilobyte a case) moves to ``case_summary_bodies``: a
search or a count reads thousands of ``case_summaries`` rows, and on PostgreSQL each was a
page of its own in four (a search for a common word at 100,000 cases read 15,000 pages).
The table is then rewritten on PostgreSQL (``CLUSTER``: a dropped column keeps its bytes in
every row until the row is written again).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 22:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_summary_bodies",
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_summary_bodies_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_summary_bodies")),
    )
    op.execute(
        "INSERT INTO case_summary_bodies (case_id, summary) "
        "SELECT case_id, summary FROM case_summaries"
    )
    op.execute("ALTER TABLE case_summaries DROP COLUMN summary")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CLUSTER case_summaries USING pk_case_summaries")
        op.execute("ANALYZE case_summaries")


def downgrade() -> None:
    op.add_column(
        "case_summaries", sa.Column("summary", sa.Text(), nullable=False, server_default="{}")
    )
    op.execute(
        "UPDATE case_summaries SET summary = (SELECT b.summary FROM case_summary_bodies b "
        "WHERE b.case_id = case_summaries.case_id)"
    )
    op.drop_table("case_summary_bodies")
