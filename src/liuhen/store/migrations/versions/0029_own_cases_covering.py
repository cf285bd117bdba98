"""the index of the cases a user opened carries the case id (covering)

Every list, search and 我的待办 of a user asks for "the cases this user opened" as
``case_id IN (SELECT case_id FROM case_summaries WHERE created_by = ?)``. SQLite's planner
judges an index by its statistics, which hold the average number of cases per opener: in a
store where most cases came in by a bundle import (one opener for tens of thousands), it
read the whole table for that subquery instead of the ``created_by`` index, since the index
did not hold ``case_id`` and every hit would cost a second look-up. 40 ms for a supervisor's
我的待办 at 100,000 cases; with ``case_id`` in the index the subquery reads only the user's
own entries.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 07:40:00
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_case_summaries_created_by", table_name="case_summaries")
    op.create_index(
        "ix_case_summaries_created_by",
        "case_summaries",
        ["created_by", "opened_at", "number", "case_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_case_summaries_created_by", table_name="case_summaries")
    op.create_index(
        "ix_case_summaries_created_by", "case_summaries", ["created_by", "opened_at", "number"]
    )
