"""device events, disposal tombstones, party access requests, share links, TOTP, case summaries

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:55:00
"""

import sqlalchemy as sa
from alembic import op

from liuhen.store.types import JSONText, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INSERT_ONLY = ("device_events", "disposals", "access_requests", "share_links")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", UTCDateTime(), nullable=True))
    op.create_table(
        "device_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("device_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("act_id", sa.String(length=40), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("details", JSONText(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_events_device_id_devices")
        ),
        sa.ForeignKeyConstraint(["act_id"], ["acts.id"], name=op.f("fk_device_events_act_id_acts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_events")),
    )
    op.create_index(op.f("ix_device_events_device_id"), "device_events", ["device_id"])
    op.create_table(
        "disposals",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("blob_sha256", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=True),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("retention_until", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", JSONText(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_sha256"], ["blobs.sha256"], name=op.f("fk_disposals_blob_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_disposals_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposals")),
    )
    op.create_index(op.f("ix_disposals_blob_sha256"), "disposals", ["blob_sha256"])
    op.create_table(
        "access_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("requester", JSONText(), nullable=False),
        sa.Column("record_ids", JSONText(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("details", JSONText(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_access_requests_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    op.create_index(op.f("ix_access_requests_case_id"), "access_requests", ["case_id"])
    op.create_table(
        "share_links",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("targets", JSONText(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_share_links_request_id_access_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_share_links_token_hash")),
    )
    op.create_table(
        "case_summaries",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=40), nullable=False),
        sa.Column("section", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("summary", JSONText(), nullable=False),
        sa.Column("source_seq", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_summaries_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_summaries")),
    )
    op.create_index(op.f("ix_case_summaries_agency_id"), "case_summaries", ["agency_id"])
    _insert_only_triggers()


def _insert_only_triggers() -> None:
    """The new record tables are insert-only, like those of 0001."""
    bind = op.get_bind()
    for table in INSERT_ONLY:
        if bind.dialect.name == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'liuhen: {table} is insert-only'); END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION liuhen_insert_only()"
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_summaries_agency_id"), table_name="case_summaries")
    op.drop_table("case_summaries")
    op.drop_table("share_links")
    op.drop_index(op.f("ix_access_requests_case_id"), table_name="access_requests")
    op.drop_table("access_requests")
    op.drop_index(op.f("ix_disposals_blob_sha256"), table_name="disposals")
    op.drop_table("disposals")
    op.drop_index(op.f("ix_device_events_device_id"), table_name="device_events")
    op.drop_table("device_events")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
