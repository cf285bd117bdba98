"""The 案卷评查 of closed cases (``services/oversight/scoring.py``): a table of its own,
re-exported by ``store/tables.py`` (importers use ``t.case_reviews``)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from liuhen.store.metadata import id_column as _id
from liuhen.store.metadata import metadata
from liuhen.store.types import JSONText, UTCDateTime

__all__ = ["case_reviews"]

case_reviews = Table(
    "case_reviews",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("supersedes_id", String(40), ForeignKey("case_reviews.id"), nullable=True),
    Column("profile_id", String(100), nullable=False),
    Column("year", Integer(), nullable=False),  # the 评议考核 year the case was closed in
    Column("scores", JSONText(), nullable=False),  # line id -> {deduct, veto, note}
    Column("card", JSONText(), nullable=False),  # the sheet as signed: totals and deductions
    Column("total", String(20), nullable=False),  # "94" or "93.5"
    Column("grade", String(40), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_case_reviews_version", "case_id", "version", unique=True),
)
"""A reviewer's signed 评查表 of one case: the manual scores and the sheet they gave; a
re-score is a new version (one per number: two reviewers saving at once cannot both win)."""
