"""Bookkeeping of how often one may ask (``store/throttle.py`` for sign-in lockouts,
``store/rate_limits.py`` for request rates): tables of their own, re-exported by
``store/tables.py`` (importers use ``t.signin_slots``, ``t.rate_windows``)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from liuhen.store.metadata import metadata
from liuhen.store.types import UTCDateTime

__all__ = ["rate_windows", "signin_slots"]

signin_slots = Table(
    "signin_slots",
    metadata,
    Column("subject_id", String(120), primary_key=True),
    Column("slot", Integer(), primary_key=True, autoincrement=False),
    Column("claimed_at", UTCDateTime(), nullable=False),
)
"""Sign-in throttling (``store/throttle.py``): an account (or an unknown name) has five
slots; a password or code check first takes one, atomically, and a failed check keeps it
for the lockout window. Bookkeeping like ``sessions``: not a record, not on the ledger
(every attempt is)."""

rate_windows = Table(
    "rate_windows",
    metadata,
    Column("subject", String(160), primary_key=True),
    Column("window_start", UTCDateTime(), primary_key=True),
    Column("hits", Integer(), nullable=False),
)
"""Request rate limits shared by every node (``store/rate_limits.py``): the requests of one
subject (an account's API calls, one address's sign-ins) in one fixed window, counted by an
upsert. Bookkeeping like ``signin_slots``: not a record, not on the ledger; a subject's past
windows are dropped when its next window opens."""
