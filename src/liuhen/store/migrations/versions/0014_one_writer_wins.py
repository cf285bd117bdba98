"""one writer wins: the invariants concurrent writers must not break, held by the database

- one decision per approval step and one step per person in an approval
  (``uq_approval_steps_position``, ``uq_approval_steps_user``);
- one successor per version of a record, an act or a case file, one revocation per
  authorisation (``uq_records_supersedes_id`` replaces ``ix_records_supersedes_id``, …);
- ``duplicates_found``: rows written before, while only a check in the service stood guard,
  that break these. They stay (records on the ledger are never deleted); the first of each
  key is kept under the index, the rest are listed there and left out of it
  (``store/unique_rows.py`` says how).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 16:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.types import UTCDateTime
from liuhen.store.unique_rows import unique_keeping_first

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SUCCESSORS = (
    ("records", "uq_records_supersedes_id", "supersedes_id"),
    ("acts", "uq_acts_supersedes_id", "supersedes_id"),
    ("case_files", "uq_case_files_supersedes_id", "supersedes_id"),
    ("authorisations", "uq_authorisations_ends_id", "ends_id"),
)


def upgrade() -> None:
    op.create_table(
        "duplicates_found",
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("row_id", sa.String(length=64), nullable=False),
        sa.Column("kept_id", sa.String(length=64), nullable=False),
        sa.Column("constraint_name", sa.String(length=80), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "row_id", name=op.f("pk_duplicates_found")),
    )
    unique_keeping_first(
        op,
        "approval_steps",
        [
            ("uq_approval_steps_position", ("approval_id", "position")),
            ("uq_approval_steps_user", ("approval_id", "user_id")),
        ],
        order=("decided_at",),
    )
    op.drop_index("ix_records_supersedes_id", table_name="records")
    for table, name, column in SUCCESSORS:
        unique_keeping_first(op, table, [(name, (column,))], order=("created_at",))


def downgrade() -> None:
    for table, name, _ in reversed(SUCCESSORS):
        op.drop_index(name, table_name=table)
    op.create_index("ix_records_supersedes_id", "records", ["supersedes_id"], unique=False)
    op.drop_index("uq_approval_steps_user", table_name="approval_steps")
    op.drop_index("uq_approval_steps_position", table_name="approval_steps")
    op.drop_table("duplicates_found")
