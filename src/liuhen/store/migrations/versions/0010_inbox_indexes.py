"""我的待办 chosen from the indexes

我的待办 picks the user's cases that have an overdue item or one falling due soon, and sums
their overdue items. Both indexes it reads now hold what it needs (the case's oldest overdue
and next due time, its overdue count, its number), so the choice reads no case summary: a
section head's section through the widened ``ix_case_summaries_agency_section``, the user's
own cases by key through ``ix_case_summaries_inbox``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 17:40:00
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SECTION = ["agency_id", "section", "c_oldest_overdue", "c_next_due", "c_overdue"]
_KEY = ["case_id", "agency_id", "c_oldest_overdue", "c_next_due", "c_overdue", "number"]


def upgrade() -> None:
    op.drop_index("ix_case_summaries_agency_section", table_name="case_summaries")
    op.create_index("ix_case_summaries_agency_section", "case_summaries", _SECTION)
    op.create_index("ix_case_summaries_inbox", "case_summaries", _KEY)


def downgrade() -> None:
    op.drop_index("ix_case_summaries_inbox", table_name="case_summaries")
    op.drop_index("ix_case_summaries_agency_section", table_name="case_summaries")
    op.create_index("ix_case_summaries_agency_section", "case_summaries", ["agency_id", "section"])
