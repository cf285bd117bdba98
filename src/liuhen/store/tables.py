"""The schema: one SQLAlchemy Core table per stored thing.

Two kinds of table:
- INSERT_ONLY: committed rows are never updated or deleted (database triggers refuse it,
  and ``Tx.update`` refuses it). Corrections are new rows that point at the old one.
- TRACKED: every row (insert-only or not) is covered by the ledger: the event that wrote
  it carries the digest of the row, so ``liuhen verify`` finds any edit made outside
  LiuHen. Sessions and the ledger head are bookkeeping, not records: neither kind.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from liuhen.store.types import JSONText, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[str]:
    return Column("id", String(40), primary_key=True)


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
)

records = Table(
    "records",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=True, index=True),
    Column("act_id", String(40), ForeignKey("acts.id"), nullable=True, index=True),
    Column("supersedes_id", String(40), ForeignKey("records.id"), nullable=True, index=True),
    Column("version", Integer(), nullable=False, default=1),
    Column("kind", String(10), nullable=False),  # text | av
    Column("doc_kind", String(80), nullable=False, default=""),
    Column("title", String(300), nullable=False),
    Column("details", JSONText(), nullable=False),
    Column("correction_reason", Text(), nullable=False, default=""),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
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
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("sm3", String(64), nullable=False),
    Column("size", BigInteger(), nullable=False),
    Column("stored_at", UTCDateTime(), nullable=False),
)

ledger_events = Table(
    "ledger_events",
    metadata,
    Column("seq", BigInteger(), primary_key=True, autoincrement=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("actor_id", String(40), nullable=True),
    Column("actor_label", String(200), nullable=False),
    Column("action", String(80), nullable=False),
    Column("subject_type", String(40), nullable=False),
    Column("subject_id", String(80), nullable=False),
    Column("case_id", String(40), nullable=True),
    Column("payload", JSONText(), nullable=False),
    Column("payload_digest", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("leaf_hash", String(64), nullable=False),
    Index("ix_ledger_events_subject", "subject_type", "subject_id"),
    Index("ix_ledger_events_case_id", "case_id"),
    Index("ix_ledger_events_action", "action"),
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("next_seq", BigInteger(), nullable=False),
    Column("chain_hash", String(64), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("tree_size", BigInteger(), primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("origin", String(200), nullable=False),
    Column("signed_at", UTCDateTime(), nullable=False),
    Column("signature", LargeBinary(), nullable=False),
    Column("key_fingerprint", String(80), nullable=False),
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

case_summaries = Table(
    "case_summaries",
    metadata,
    Column("case_id", String(40), ForeignKey("cases.id"), primary_key=True),
    Column("agency_id", String(40), nullable=False, index=True),
    Column("section", String(200), nullable=False, default=""),
    Column("stage", String(40), nullable=False),
    Column("summary", JSONText(), nullable=False),
    Column("source_seq", BigInteger(), nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
    # -- what lists filter, sort and search on (store/summary_index.py derives them) --
    Column("number", String(100), nullable=False, default="", server_default=""),
    Column("title", String(300), nullable=False, default="", server_default=""),
    Column("party_name", String(300), nullable=False, default="", server_default=""),
    Column("procedure", String(40), nullable=False, default="", server_default=""),
    Column("opened_at", UTCDateTime(), nullable=True),
    Column(
        "month", String(7), nullable=False, default="", server_default=""
    ),  # opened, in the agency's zone
    Column("created_by", String(40), nullable=False, default="", server_default=""),
    Column(
        "marks", String(200), nullable=False, default="", server_default=""
    ),  # confidentiality, "|a|b|"
    Column("version", Integer(), nullable=False, default=0, server_default="0"),
    Column("calendar_key", String(40), nullable=False, default="", server_default=""),
    Column("recompute_at", UTCDateTime(), nullable=True, index=True),
    Column("unreadable", Boolean(), nullable=False, default=False, server_default=false()),
    Column("findings", Integer(), nullable=False, default=0, server_default="0"),
    Column(
        "violations", Integer(), nullable=False, default=0, server_default="0"
    ),  # violations when computed
    Column("pending_dues", JSONText(), nullable=False, default=list, server_default="[]"),
    Column("first_pending_due", UTCDateTime(), nullable=True),
    Column("last_pending_due", UTCDateTime(), nullable=True),
    Column("pending_undated", Integer(), nullable=False, default=0, server_default="0"),
    Column("av_needed", Integer(), nullable=False, default=0, server_default="0"),
    Column("av_have", Integer(), nullable=False, default=0, server_default="0"),
    Column("av_total", Integer(), nullable=False, default=0, server_default="0"),
    Column("av_missing", Integer(), nullable=False, default=0, server_default="0"),
    Column("search_text", Text(), nullable=False, default="", server_default=""),
    Column("search_terms", Text(), nullable=False, default="", server_default=""),
    # -- the case's share of the dashboard's figures as of contrib_at, until c_until --
    Column("contrib_at", UTCDateTime(), nullable=True, index=True),
    Column("c_until", UTCDateTime(), nullable=True, index=True),
    Column("c_violations", Integer(), nullable=False, default=0, server_default="0"),
    Column("c_overdue", Integer(), nullable=False, default=0, server_default="0"),
    Column("c_av_late", Integer(), nullable=False, default=0, server_default="0"),
    Column("c_av_waiting", Integer(), nullable=False, default=0, server_default="0"),
    Column("c_case_file", String(10), nullable=False, default="none", server_default="none"),
    Column("c_categories", JSONText(), nullable=False, default=dict, server_default="{}"),
    Column("c_oldest_overdue", UTCDateTime(), nullable=True, index=True),
    Column("c_next_due", UTCDateTime(), nullable=True, index=True),
    Index("ix_case_summaries_agency_opened", "agency_id", "opened_at", "number"),
    Index("ix_case_summaries_opened", "opened_at", "number"),
)
"""Derived per-case figures for lists and the dashboard; a cache, rebuilt from the records.
Beside the summary (JSON) each row carries the columns that lists filter, sort and search on
and the case's current share of the dashboard's counts (``store/summary_index.py``)."""

summary_officers = Table(
    "summary_officers",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("officer_id", String(40), primary_key=True, index=True),
)
"""The officers recorded on a summarised case's acts (whose own cases it is): derived."""

footage_due = Table(
    "footage_due",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("act_id", String(40), primary_key=True),
    Column("officer_id", String(40), primary_key=True),
    Column("due", UTCDateTime(), nullable=True),
    Index("ix_footage_due_officer_due", "officer_id", "due"),
)
"""Acts that need audio-video and have none stored, per officer on the act, with the
deadline (None: not started yet): from the summaries' ``av_due``, for the warnings."""

case_changes = Table(
    "case_changes",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("seq", BigInteger(), nullable=False, index=True),
)
"""Each case's newest ledger event that changed it (not a mere reading): written by
``Tx.record``, so a summary older than it is stale. Derived from the ledger."""

DASHBOARD_KEY: tuple[str, ...] = (
    "agency_id",
    "section",
    "month",
    "stage",
    "procedure",
    "officer_id",
)
"""What the dashboard's counts are grouped by; ``officer_id`` "" is the case itself, any
other value the same case counted again for one of its officers."""

DASHBOARD_FIELDS: tuple[str, ...] = (
    "cases",
    "av_needed",
    "av_have",
    "av_missing_cases",
    "av_done",
    "av_late",
    "av_late_cases",
    "files_on_time",
    "files_late",
    "violations",
    "violation_cases",
    "overdue_cases",
    "overdue_items",
    "unreadable",
)
"""The counts of one group of cases (``dashboard_counts.vector`` gives one case's share)."""


def _key_columns() -> list[Column[str]]:
    return [
        Column("agency_id", String(40), primary_key=True),
        Column("section", String(200), primary_key=True),
        Column("month", String(7), primary_key=True),
        Column("stage", String(40), primary_key=True),
        Column("procedure", String(40), primary_key=True),
        Column("officer_id", String(40), primary_key=True),
    ]


dashboard_counts = Table(
    "dashboard_counts",
    metadata,
    *_key_columns(),
    *(Column(name, Integer(), nullable=False, default=0) for name in DASHBOARD_FIELDS),
)
"""The dashboard's counts per group, kept up to date as summaries are written and deadlines
pass (``summary_index``): the dashboard reads a few hundred rows, never every case."""

dashboard_categories = Table(
    "dashboard_categories",
    metadata,
    *_key_columns(),
    Column("category", String(40), primary_key=True),
    Column("count", Integer(), nullable=False, default=0),
)
"""Violations per accountability category per group, kept like ``dashboard_counts``."""

derived_settings = Table(
    "derived_settings",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("value", Text(), nullable=False),
)
"""What derived tables were built with (the time zone that decides a case's month)."""

SEARCH_OBJECTS: frozenset[str] = frozenset(
    {
        "case_search",  # SQLite: FTS5 table over case_summaries.search_terms (+ its triggers)
        "case_search_data",
        "case_search_idx",
        "case_search_docsize",
        "case_search_config",
        "ix_case_summaries_search",  # PostgreSQL: GIN index on to_tsvector(search_terms)
    }
)
"""The full-text search structures migration 0007 creates per database: not declared as
tables (SQLite's FTS5 virtual table and its shadow tables, PostgreSQL's expression index),
so schema comparisons leave them out and ``test_schema_migrations`` checks them apart."""

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
)
"""Docking stations (采集站): a bearer token (its SHA-256 only) acting as a custodian account."""

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
)
"""A principal head's written authorisation of a deputy (授权) to approve in their stead,
for a period; a row with ``ends_id`` revokes the grant it names from its ``starts_at``."""

verification_runs = Table(
    "verification_runs",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=False),
    Column("ok", Boolean(), nullable=False),
    Column("report", JSONText(), nullable=False),
)

INSERT_ONLY: tuple[str, ...] = (
    "agencies",
    "officers",
    "cases",
    "case_transitions",
    "acts",
    "records",
    "record_files",
    "approvals",
    "approval_steps",
    "services",
    "executions",
    "case_files",
    "blobs",
    "ledger_events",
    "checkpoints",
    "verification_runs",
    "device_events",
    "disposals",
    "access_requests",
    "share_links",
    "holiday_schedules",
    "authorisations",
)
"""Tables whose committed rows are never updated or deleted."""

TRACKED: tuple[str, ...] = (
    "agencies",
    "users",
    "officers",
    "devices",
    "cases",
    "case_transitions",
    "acts",
    "records",
    "record_files",
    "approvals",
    "approval_steps",
    "services",
    "executions",
    "case_files",
    "blobs",
    "device_events",
    "disposals",
    "access_requests",
    "share_links",
    "holiday_schedules",
    "authorisations",
)
"""Tables whose every row is covered by a row digest in the ledger."""


def primary_key_name(table_name: str) -> str:
    return "sha256" if table_name == "blobs" else "id"
