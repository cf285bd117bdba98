"""sign-in slots: the lockout counted in the database

Five password or second-factor checks per account in the lockout window, whatever the
concurrency: each check first takes one of the account's slots with a conditional insert
or update (``store/throttle.py``), so parallel attempts cannot all read "not locked yet".

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_slots",
        sa.Column("subject_id", sa.String(length=120), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "slot", name=op.f("pk_signin_slots")),
    )


def downgrade() -> None:
    op.drop_table("signin_slots")
