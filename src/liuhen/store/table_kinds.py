"""Which tables hold records, and how they are protected.

- INSERT_ONLY: committed rows are never updated or deleted (database triggers refuse it,
  and ``Tx.update`` refuses it). Corrections are new rows that point at the old one.
- TRACKED: every row (insert-only or not) is covered by the ledger: the event that wrote
  it carries the digest of the row, so ``liuhen verify`` finds any edit made outside
  LiuHen. Sessions and the ledger head are bookkeeping, not records: neither kind.
"""

from __future__ import annotations

__all__ = ["INSERT_ONLY", "TRACKED", "primary_key_name"]

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
    "redactions",
    "case_reviews",
    "footage_detections",
    "face_scans",
    "redacted_footage",
    "export_jobs",
    "hand_signatures",
    "number_styles",
    "issued_numbers",
    "number_voids",
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
    "stations",
    "redactions",
    "case_reviews",
    "footage_detections",
    "face_scans",
    "redacted_footage",
    "export_jobs",
    "hand_signatures",
    "number_styles",
    "issued_numbers",
    "number_voids",
)
"""Tables whose every row is covered by a row digest in the ledger."""


def primary_key_name(table_name: str) -> str:
    return "sha256" if table_name == "blobs" else "id"
