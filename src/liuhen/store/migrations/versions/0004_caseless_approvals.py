"""approvals without a case: disposal of AV footage that no case holds (004§12)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:00:00

``approvals.case_id`` becomes nullable; such an approval names its record in
``subject_record_id``. On SQLite the column change recreates the table, which drops the
table's insert-only triggers: they are created again here (env.py turns SQLite's foreign
keys off around migrations, so the copy-and-rename keeps ``approval_steps`` pointing at it).
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("approvals") as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.String(length=40), nullable=True)
    _sqlite_triggers()


def downgrade() -> None:
    with op.batch_alter_table("approvals") as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.String(length=40), nullable=False)
    _sqlite_triggers()


def _sqlite_triggers() -> None:
    """PostgreSQL alters the column in place and keeps its trigger; SQLite lost them."""
    if op.get_bind().dialect.name == "sqlite":
        insert_only_guard(op, "approvals")
