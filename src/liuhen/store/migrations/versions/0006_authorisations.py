"""a principal head's written authorisations of deputies (授权) to approve in their stead

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 03:00:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.guards import insert_only_guard
from liuhen.store.types import JSONText, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authorisations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.String(length=60), nullable=False),
        sa.Column("scope", sa.String(length=60), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("ends_id", sa.String(length=40), nullable=True),
        sa.Column("details", JSONText(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_authorisations_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_authorisations_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["ends_id"],
            ["authorisations.id"],
            name=op.f("fk_authorisations_ends_id_authorisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorisations")),
    )
    op.create_index(op.f("ix_authorisations_agency_id"), "authorisations", ["agency_id"])
    op.create_index(op.f("ix_authorisations_user_id"), "authorisations", ["user_id"])
    insert_only_guard(op, "authorisations")


def downgrade() -> None:
    op.drop_index(op.f("ix_authorisations_user_id"), table_name="authorisations")
    op.drop_index(op.f("ix_authorisations_agency_id"), table_name="authorisations")
    op.drop_table("authorisations")
