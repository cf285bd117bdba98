"""The schema: one SQLAlchemy Core table per stored thing. The records' tables are here;
the ledger's, the derived ones and which tables are insert-only or tracked by the ledger
(``table_kinds``) have modules of their own, re-exported here: importers use ``t.<name>``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from liuhen.store.derived_tables import *  # noqa: F403  (re-exported: each one's __all__)
from liuhen.store.export_tables import *  # noqa: F403
from liuhen.store.field_tables import *  # noqa: F403
from liuhen.store.job_tables import *  # noqa: F403
from liuhen.store.ledger_tables import *  # noqa: F403
from liuhen.store.limit_tables import *  # noqa: F403
from liuhen.store.metadata import id_column as _id
from liuhen.store.metadata import metadata as metadata
from liuhen.store.number_tables import *  # noqa: F403
from liuhen.store.redaction_tables import *  # noqa: F403
from liuhen.store.review_tables import *  # noqa: F403
from liuhen.store.seal_tables import *  # noqa: F403
from liuhen.store.table_kinds import *  # noqa: F403
from liuhen.store.types import JSONText, UTCDateTime
from liuhen.store.upload_rows import *  # noqa: F403

agencies = Table(
    "agencies",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("profile_id", String(80), nullable=False),
    Column("region", String(200), nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    _id(),
    Column("agency_id", String(40), ForeignKey("agencies.id"), nullable=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("roles", JSONText(), nullable=False),
    Column("section", String(200), nullable=False, default=""),
    Column("officer_id", String(40), nullable=True),
    Column("disabled", Boolean(), nullable=False, default=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("password_changed_at", UTCDateTime(), nullable=False),
    Column("totp_secret", String(64), nullable=True),
    Column("totp_enabled_at", UTCDateTime(), nullable=True),
)

officers = Table(
    "officers",
    metadata,
    _id(),
    Column("agency_id", String(40), ForeignKey("agencies.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("certificate_no", String(60), nullable=True, unique=True),
    Column("section", String(200), nullable=False, default=""),
    Column("details", JSONText(), nullable=False, default=dict),
    Column("created_at", UTCDateTime(), nullable=False),
)

devices = Table(
    "devices",
    metadata,
    _id(),
    Column("agency_id", String(40), ForeignKey("agencies.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("serial_no", String(100), nullable=True, unique=True),
    Column("model", String(200), nullable=False, default=""),
    Column("explosion_proof", Boolean(), nullable=False, default=False),
    Column("assigned_officer_id", String(40), ForeignKey("officers.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

cases = Table(
    "cases",
    metadata,
    _id(),
    Column("agency_id", String(40), ForeignKey("agencies.id"), nullable=False),
    Column("number", String(100), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("procedure", String(40), nullable=False),
    Column("party", JSONText(), nullable=False),
    Column("confidentiality", JSONText(), nullable=False),
    Column("section", String(200), nullable=False, default=""),
    Column("details", JSONText(), nullable=False, default=dict),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

case_transitions = Table(
    "case_transitions",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("stage", String(40), nullable=False),
    Column("note", Text(), nullable=False, default=""),
    Column("at", UTCDateTime(), nullable=False),
    Column("created_by", String(40), nullable=False),
)

acts = Table(
    "acts",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("supersedes_id", String(40), ForeignKey("acts.id"), nullable=True),
    Column("kind", String(60), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("place", String(300), nullable=False, default=""),
    Column("officer_ids", JSONText(), nullable=False),
    Column("details", JSONText(), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_acts_supersedes_id", "supersedes_id", unique=True),
)

records = Table(
    "records",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=True, index=True),
    Column("act_id", String(40), ForeignKey("acts.id"), nullable=True, index=True),
    Column("supersedes_id", String(40), ForeignKey("records.id"), nullable=True),
    Column("version", Integer(), nullable=False, default=1),
    Column("kind", String(10), nullable=False),  # text | av
    Column("doc_kind", String(80), nullable=False, default=""),
    Column("title", String(300), nullable=False),
    Column("details", JSONText(), nullable=False),
    Column("correction_reason", Text(), nullable=False, default=""),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_records_supersedes_id", "supersedes_id", unique=True),  # one successor
)

record_files = Table(
    "record_files",
    metadata,
    _id(),
    Column("record_id", String(40), ForeignKey("records.id"), nullable=False, index=True),
    Column("position", Integer(), nullable=False),
    Column("role", String(20), nullable=False),  # segment | scan | rendered | original
    Column("blob_sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("details", JSONText(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("record_id", "position", name="uq_record_files_record_position"),
)

approvals = Table(
    "approvals",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=True, index=True),
    Column("kind", String(60), nullable=False),
    Column("subject_record_id", String(40), ForeignKey("records.id"), nullable=True),
    Column("emergency", Boolean(), nullable=False, default=False),
    Column("details", JSONText(), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

approval_steps = Table(
    "approval_steps",
    metadata,
    _id(),
    Column("approval_id", String(40), ForeignKey("approvals.id"), nullable=False, index=True),
    Column("position", Integer(), nullable=False),
    Column("role", String(40), nullable=False),  # handler | reviewer | approver
    Column("user_id", String(40), ForeignKey("users.id"), nullable=True),
    Column("name", String(200), nullable=False),
    Column("position_code", String(60), nullable=False, default=""),
    Column("details", JSONText(), nullable=False, default=dict),
    Column("decision", String(20), nullable=False),  # approved | rejected | returned
    Column("opinion", Text(), nullable=False, default=""),
    Column("decided_at", UTCDateTime(), nullable=False),
    # one decision per step, one step per person (migration 0014: unique_rows says how rows
    # from before are kept)
    Index("uq_approval_steps_position", "approval_id", "position", unique=True),
    Index("uq_approval_steps_user", "approval_id", "user_id", unique=True),
)

services = Table(
    "services",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("record_id", String(40), ForeignKey("records.id"), nullable=True),
    Column("mode", String(30), nullable=False),
    Column("served_at", UTCDateTime(), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("evidence", JSONText(), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

executions = Table(
    "executions",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("kind", String(60), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("details", JSONText(), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

case_files = Table(
    "case_files",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("supersedes_id", String(40), ForeignKey("case_files.id"), nullable=True),
    Column("formed_at", UTCDateTime(), nullable=True),
    Column("details", JSONText(), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_case_files_supersedes_id", "supersedes_id", unique=True),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("sm3", String(64), nullable=False),
    Column("size", BigInteger(), nullable=False),
    Column("stored_at", UTCDateTime(), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
)

device_events = Table(
    "device_events",
    metadata,
    _id(),
    Column("device_id", String(40), ForeignKey("devices.id"), nullable=False, index=True),
    Column("kind", String(30), nullable=False),  # check | maintenance | fault | repair | assign
    Column("act_id", String(40), ForeignKey("acts.id"), nullable=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("details", JSONText(), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

disposals = Table(
    "disposals",
    metadata,
    _id(),
    Column("blob_sha256", String(64), ForeignKey("blobs.sha256"), nullable=False, index=True),
    Column("record_id", String(40), ForeignKey("records.id"), nullable=True),
    Column("case_id", String(40), nullable=True),
    Column("retention_until", UTCDateTime(), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("details", JSONText(), nullable=False),  # size, sm3, approval, class, citation
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
"""Tombstones: a disposed blob's hash, size and approval stay; its bytes are gone."""

access_requests = Table(
    "access_requests",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # view | copy
    Column("requester", JSONText(), nullable=False),
    Column("record_ids", JSONText(), nullable=False),
    Column("purpose", Text(), nullable=False),
    Column("details", JSONText(), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
"""A party's request to view or copy records (查阅/复制申请); decided through approvals."""

share_links = Table(
    "share_links",
    metadata,
    _id(),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("request_id", String(40), ForeignKey("access_requests.id"), nullable=True),
    Column("purpose", String(60), nullable=False),
    Column("targets", JSONText(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("max_uses", Integer(), nullable=False, default=1),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
"""Approved, expiring, single-purpose links; each use is a ledger event."""

stations = Table(
    "stations",
    metadata,
    _id(),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("device_id", String(40), ForeignKey("devices.id"), nullable=True),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Index(
        "uq_stations_live_name",
        "name",
        unique=True,
        sqlite_where=text("revoked_at IS NULL"),
        postgresql_where=text("revoked_at IS NULL"),
    ),
)
"""Docking stations (采集站): a bearer token (its SHA-256 only) acting as a custodian account;
one live (unrevoked) station per name, held by the database against concurrent issues."""

holiday_schedules = Table(
    "holiday_schedules",
    metadata,
    _id(),
    Column("year", Integer(), nullable=False, index=True),
    Column("holidays", JSONText(), nullable=False),  # ISO dates off on weekdays
    Column("workdays", JSONText(), nullable=False),  # ISO weekend dates worked (调休)
    Column("source", Text(), nullable=False),  # the notice it was taken from
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
"""A year's official holiday arrangement loaded by an administrator, for years the
``chinese_calendar`` package does not know yet; the newest row of a year is in force."""

authorisations = Table(
    "authorisations",
    metadata,
    _id(),
    Column("agency_id", String(40), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False, index=True),
    Column("position", String(60), nullable=False),  # the capacity it lets them sign in
    Column("scope", String(60), nullable=False),  # what they may approve (access_request)
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("reference", Text(), nullable=False),  # the written authorisation (授权书)
    Column("ends_id", String(40), ForeignKey("authorisations.id"), nullable=True),
    Column("details", JSONText(), nullable=False),  # grantor's capacity, a revocation's reason
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_authorisations_ends_id", "ends_id", unique=True),  # one revocation
)
"""A principal head's written authorisation of a deputy (授权) to approve in their stead,
for a period; a row with ``ends_id`` revokes the grant it names from its ``starts_at``."""

duplicates_found = Table(
    "duplicates_found",
    metadata,
    Column("table_name", String(60), primary_key=True),
    Column("row_id", String(64), primary_key=True),
    Column("kept_id", String(64), nullable=False),
    Column("constraint_name", String(80), nullable=False),
    Column("found_at", UTCDateTime(), nullable=False),
)
"""Rows written before a unique constraint existed that break it (two decisions of one step,
two successors of one version): kept, left out of the constraint, listed here for the
operator (``store/unique_rows.py``, migration 0014). Bookkeeping: not a record."""
