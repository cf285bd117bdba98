"""The confirmed redaction marks of a party's copy (``services/access/redactions.py``): a
table of its own, re-exported by ``store/tables.py`` (importers use ``t.redactions``)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from liuhen.store.metadata import id_column as _id
from liuhen.store.metadata import metadata
from liuhen.store.types import JSONText, UTCDateTime

__all__ = ["redactions"]

redactions = Table(
    "redactions",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("request_id", String(40), ForeignKey("access_requests.id"), nullable=False),
    Column("record_id", String(40), ForeignKey("records.id"), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("supersedes_id", String(40), ForeignKey("redactions.id"), nullable=True),
    Column("marks", JSONText(), nullable=False),  # spans, kinds, grounds, reasons, digests
    Column("details", JSONText(), nullable=False),  # salt, who confirmed, what changed
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_redactions_version", "request_id", "record_id", "version", unique=True),
)
"""The marks an approver confirmed for one record of a copy request (遮盖); a change is a
new version (one per number: two approvers saving at once cannot both win)."""
