"""a case's events of a few actions read without its views

Every view of a case page is an event of the case (``case.viewed``, 000§18), and the page
asks for the case's newest events of a few other actions (its 留痕 facts: 四性 checks, gate
overrides, copies). With an index on ``case_id`` alone, the database read every event of
the case and dropped the views: a case viewed 2,000 times cost 4 ms more a view, and more
with each view. The index now holds the action after the case, so those events are read by
key (the statements that ask for a case's events by action: the case page, filing,
packages, the case list's counts) and a case's events alone still use its first column.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 10:10:00
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_events_case_action", "ledger_events", ["case_id", "action"])
    op.drop_index("ix_ledger_events_case_id", table_name="ledger_events")


def downgrade() -> None:
    op.create_index("ix_ledger_events_case_id", "ledger_events", ["case_id"])
    op.drop_index("ix_ledger_events_case_action", table_name="ledger_events")
