"""One new ledger event, complete: its payload's digest, its link to the event before it,
its chain hash and its Merkle leaf hash, from what it records and the ledger's head. The
one place an event is made, by the unit of work and by bulk builders alike, so both write
byte-identical events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from liuhen.ledger.canonical import digest
from liuhen.ledger.chain import chain_hash
from liuhen.ledger.events import Actor, event_bytes
from liuhen.ledger.merkle import leaf_hash


def sealed_event(
    seq: int,
    prev_hash: str,
    occurred_at: datetime,
    actor: Actor,
    action: str,
    *,
    subject_type: str,
    subject_id: str,
    case_id: str | None,
    body: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``ledger_events`` row of event ``seq`` after the event whose chain hash is
    ``prev_hash`` (hex)."""
    event: dict[str, Any] = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "case_id": case_id,
        "payload_digest": digest(body),
        "prev_hash": prev_hash,
    }
    raw = event_bytes(event)
    event["payload"] = body
    event["chain_hash"] = chain_hash(bytes.fromhex(prev_hash), raw).hex()
    event["leaf_hash"] = leaf_hash(raw).hex()
    return event
