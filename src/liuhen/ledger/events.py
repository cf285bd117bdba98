"""What one ledger event is, as bytes: the single definition used to write and to verify.

An event separates who acted (``actor_id``/``actor_label``) from what it acted on
(``subject_type``/``subject_id``) and keeps the time. Its payload is stored beside it and
bound by ``payload_digest``; ``prev_hash`` binds it to the event before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from liuhen.ledger.canonical import canonical_json

EVENT_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "case_id",
    "payload_digest",
    "prev_hash",
)

READ_ACTIONS = frozenset(
    {
        "case.viewed",
        "case.exported",
        "case.export_requested",
        "case.export_downloaded",
        "record.file_read",
        "record.watched",
        "case.summarised",
        "case.reviewed",  # a 评查表 signed beside the case: none of its records change
        "case.review_viewed",
        "case.review_exported",
    }
)
"""Ledger actions that only look at a case: they change nothing in it (its summary stays)."""


@dataclass(frozen=True)
class Actor:
    """Who acted: a user, or the system itself (``id`` None) for scheduled work.

    ``agency_id``, ``section`` and ``officer_id`` place a user for scoped permissions
    (own cases, own section, own agency); they are not part of the ledger event."""

    id: str | None
    label: str
    roles: tuple[str, ...] = ()
    agency_id: str | None = None
    section: str = ""
    officer_id: str | None = None

    @classmethod
    def system(cls, label: str = "系统") -> Actor:
        return cls(id=None, label=label, roles=("system",))


def event_bytes(event: Mapping[Any, Any]) -> bytes:
    """Canonical bytes of an event row (the chain and the Merkle leaf hash these); a dict
    or a database row mapping."""
    body = {name: event[name] for name in EVENT_FIELDS}
    occurred = body["occurred_at"]
    if isinstance(occurred, datetime):
        body["occurred_at"] = occurred.astimezone(UTC).isoformat()
    body["seq"] = int(body["seq"])
    return canonical_json(body)
