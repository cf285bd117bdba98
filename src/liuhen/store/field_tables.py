"""Field work on a phone (issue 16 item 3): handwritten signatures and the forms' drafts;
tables of their own, re-exported by ``store/tables.py`` (importers use ``t.<name>``)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from liuhen.store.metadata import id_column as _id
from liuhen.store.metadata import metadata
from liuhen.store.types import JSONText, UTCDateTime

__all__ = ["form_drafts", "hand_signatures"]

hand_signatures = Table(
    "hand_signatures",
    metadata,
    _id(),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False, index=True),
    Column("record_id", String(40), ForeignKey("records.id"), nullable=False),  # version signed
    Column("signed_record_id", String(40), ForeignKey("records.id"), nullable=False),
    Column("slot", String(40), nullable=False),  # "<role>-<n>": the n-th line of a box
    Column("role", String(30), nullable=False),
    Column("name", String(100), nullable=False),
    Column("refused", Boolean(), nullable=False),
    Column("image_sha256", String(64), ForeignKey("blobs.sha256"), nullable=True),
    Column("details", JSONText(), nullable=False),  # reason, witness, AV mark, officer
    Column("created_by", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_hand_signatures_slot", "record_id", "slot", unique=True),
)
"""A signature drawn on the screen, or a refusal to sign with its reason and the AV time
mark, on one line (slot) of one version of a document; the signed document is the next
version (``signed_record_id``) with the image in its PDF. One per slot and version: two
submissions at once cannot both win."""

form_drafts = Table(
    "form_drafts",
    metadata,
    _id(),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False),
    Column("form_key", String(200), nullable=False),  # which form: act, document:<kind>…
    Column("body", Text(), nullable=False),  # the form's fields as posted (JSON)
    Column("revision", Integer(), nullable=False),
    Column("saved_at", UTCDateTime(), nullable=False),
    Index("uq_form_drafts_key", "user_id", "case_id", "form_key", unique=True),
)
"""An officer's unfinished form (autosaved from the phone): bookkeeping like ``sessions``,
not a record, never in the case file nor on the ledger; saving the form consumes it."""
