"""the newest event of an action read by key, whatever the planner knows

Every process's first write asks for the newest key rotation (``stored_tree.rotation_event``:
``WHERE action = 'ledger.key_rotated' ORDER BY seq DESC LIMIT 1``). With an index on
``action`` alone, PostgreSQL without statistics for the table (a store just loaded or
restored, before autovacuum has analysed it) walked the primary key backwards through every
event looking for one: 560 ms at 500,000 events, and a ledger with no rotation at all is
read to its first event (seconds at ten million), at every server start. The index now holds
the seq after the action, so the newest event of an action is its first entry read
backwards (0.14 ms); queries on the action alone use its first column as before.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 01:20:00
"""

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_events_action_seq", "ledger_events", ["action", "seq"])
    op.drop_index("ix_ledger_events_action", table_name="ledger_events")


def downgrade() -> None:
    op.create_index("ix_ledger_events_action", "ledger_events", ["action"])
    op.drop_index("ix_ledger_events_action_seq", table_name="ledger_events")
