"""The agencies' seal keys and certificates, encrypted (``store/seal_keys.py``), one row
per entry (``ca``, ``agency:<id>``): the first insert of a name wins, so nodes issuing at
once end with one seal. Not a record: the certificates are on the ledger
(``seal.certificate_issued``). Re-exported by ``store/tables.py`` (``t.seal_keys``)."""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from liuhen.store.metadata import metadata
from liuhen.store.types import UTCDateTime

__all__ = ["seal_keys"]

seal_keys = Table(
    "seal_keys",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("pem", Text(), nullable=False),  # encrypted PKCS#8 key, then the certificate
    Column("created_at", UTCDateTime(), nullable=False),
)
