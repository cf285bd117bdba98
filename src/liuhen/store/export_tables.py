"""Exports asked for from the web (``services/archiving/export_jobs.py``): one row per export
job, a table of its own, re-exported by ``store/tables.py`` (importers use
``t.export_jobs``)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from liuhen.store.metadata import id_column as _id
from liuhen.store.metadata import metadata
from liuhen.store.types import UTCDateTime

__all__ = ["export_jobs"]

export_jobs = Table(
    "export_jobs",
    metadata,
    _id(),  # derived from the four columns of uq_export_jobs_attempt
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # package | case_file
    Column("basis", Integer(), nullable=False),  # the case's newest change when asked
    Column("attempt", Integer(), nullable=False),  # 1, then one more after each failure
    Column("requested_by", String(40), nullable=True),
    Column("requested_at", UTCDateTime(), nullable=False),
    Index("uq_export_jobs_attempt", "case_id", "kind", "basis", "attempt", unique=True),
)
"""An export of a case as it stood (``basis``): two people asking at once get one job
(the database keeps one row per case, kind, basis and attempt)."""
