"""Redaction of footage for a party's copy (``services/access/footage.py``): the faces found
in a video file, and the redacted video made from one confirmed version of the marks.
Re-exported by ``store/tables.py`` (importers use ``t.footage_detections``)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from liuhen.store.metadata import id_column as _id
from liuhen.store.metadata import metadata
from liuhen.store.types import JSONText, UTCDateTime

__all__ = ["footage_detections", "redacted_footage"]

footage_detections = Table(
    "footage_detections",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("request_id", String(40), ForeignKey("access_requests.id"), nullable=False),
    Column("record_id", String(40), ForeignKey("records.id"), nullable=False),
    Column("position", Integer(), nullable=False),  # the record's file
    Column("blob_sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("proposals", JSONText(), nullable=False),  # face tracks: times and boxes
    Column("details", JSONText(), nullable=False),  # model, threshold, frames, size
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_footage_detections_file", "request_id", "record_id", "position", unique=True),
)
"""What the face detector proposed for one video file of a copy request (once per file)."""

redacted_footage = Table(
    "redacted_footage",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("request_id", String(40), ForeignKey("access_requests.id"), nullable=False),
    Column("record_id", String(40), ForeignKey("records.id"), nullable=False),  # the original
    Column("redaction_id", String(40), ForeignKey("redactions.id"), nullable=False),
    Column("derived_id", String(40), ForeignKey("records.id"), nullable=False),
    Column("details", JSONText(), nullable=False),  # files made, frames blurred, muted
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_redacted_footage_redaction", "redaction_id", unique=True),
)
"""The redacted video of one confirmed version of a record's marks: one derived record per
version (two approvers confirming at once make one)."""
