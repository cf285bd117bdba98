"""Redaction of a party's copy: the confirmed marks (``services/access/redactions.py``,
``footage.py``), the faces found in footage and the redacted videos made from marks
(``services/access/footage*.py``). Re-exported by ``store/tables.py`` (importers use
``t.redactions``, ``t.face_scans``, ``t.footage_detections``, ``t.redacted_footage``)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from liuhen.store.metadata import id_column as _id
from liuhen.store.metadata import metadata
from liuhen.store.types import JSONText, UTCDateTime

__all__ = ["redactions", "face_scans", "footage_detections", "redacted_footage"]

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
"""What the face detector proposed for one video file of a copy request (once per file).
Written before face scans were kept per record (``face_scans``); still read for the
requests that have them, no longer written."""

face_scans = Table(
    "face_scans",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("record_id", String(40), ForeignKey("records.id"), nullable=False),
    Column("position", Integer(), nullable=False),  # the record's file
    Column("blob_sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("proposals", JSONText(), nullable=False),  # face tracks: times and boxes
    Column("details", JSONText(), nullable=False),  # model, step, frames, size
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_face_scans_file", "record_id", "position", unique=True),
)
"""What the face detector found in one video file of a record (a record's files never
change: a corrected record is a new record): scanned once, by a background job or
``liuhen detect-faces``, and proposed to every copy request that gives the record."""

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
