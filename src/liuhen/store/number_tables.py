"""Case and document numbers (``services/cases/numbering.py``): the 字号 per agency and kind,
the numbers issued, the explained gaps, and the counters they are allocated from. Tables of
their own, re-exported by ``store/tables.py`` (importers use ``t.number_styles`` …)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from liuhen.store.metadata import id_column as _id
from liuhen.store.metadata import metadata
from liuhen.store.types import UTCDateTime

__all__ = ["issued_numbers", "number_counters", "number_styles", "number_voids"]

number_styles = Table(
    "number_styles",
    metadata,
    _id(),
    Column("agency_id", String(40), ForeignKey("agencies.id"), nullable=False),
    Column("kind", String(80), nullable=False),  # "case" or a document kind
    Column("version", Integer(), nullable=False),
    Column("word", String(60), nullable=False),  # 机关代字, e.g. 某林罚决字
    Column("di", Boolean(), nullable=False),  # 第 before the serial
    Column("manual", Boolean(), nullable=False),  # users may type a number themselves
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_number_styles_version", "agency_id", "kind", "version", unique=True),
)
"""A 字号 as the head set it: each change a new version (two heads saving at once cannot
both make the same one)."""

issued_numbers = Table(
    "issued_numbers",
    metadata,
    _id(),
    Column("agency_id", String(40), ForeignKey("agencies.id"), nullable=False),
    Column("kind", String(80), nullable=False),
    Column("year", Integer(), nullable=False),
    Column("serial", Integer(), nullable=True),  # None: a typed number of no 字号 form
    Column("number", String(120), nullable=False),
    Column("subject_type", String(40), nullable=False),  # case, record
    Column("subject_id", String(40), nullable=False),
    Column("manual", Boolean(), nullable=False),  # typed or imported, not allocated
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_issued_numbers_serial", "agency_id", "kind", "year", "serial", unique=True),
    Index("uq_issued_numbers_number", "agency_id", "kind", "number", unique=True),
)
"""Every number given to a case or document: allocated, typed (when the head allows) or
imported, so that none is given twice."""

number_voids = Table(
    "number_voids",
    metadata,
    _id(),
    Column("agency_id", String(40), ForeignKey("agencies.id"), nullable=False),
    Column("kind", String(80), nullable=False),
    Column("year", Integer(), nullable=False),
    Column("serial", Integer(), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_number_voids_serial", "agency_id", "kind", "year", "serial", unique=True),
)
"""A serial explained: issued to something then withdrawn (作废), or skipped, with why."""

number_counters = Table(
    "number_counters",
    metadata,
    Column("agency_id", String(40), primary_key=True),
    Column("kind", String(80), primary_key=True),
    Column("year", Integer(), primary_key=True, autoincrement=False),
    Column("last", Integer(), nullable=False),
)
"""The last serial of an agency's kind of number in a year, raised by an upsert in the
transaction that issues the next (its row lock orders concurrent writers). Bookkeeping like
``rate_windows``: the numbers themselves are the records (``issued_numbers``)."""
