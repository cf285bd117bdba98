"""case summaries found by who opened them and by section

我的待办 and the lists of an officer or a section head read "my cases": those the user
opened, those they are an officer on (``summary_officers``), and for a section head those of
their section. The first and the last now have indexes, so these cases are read by key
instead of testing every case of the agency.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:00:00
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_case_summaries_created_by"), "case_summaries", ["created_by"])
    op.create_index("ix_case_summaries_agency_section", "case_summaries", ["agency_id", "section"])


def downgrade() -> None:
    op.drop_index("ix_case_summaries_agency_section", table_name="case_summaries")
    op.drop_index(op.f("ix_case_summaries_created_by"), table_name="case_summaries")
