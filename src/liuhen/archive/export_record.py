"""The export record ``export-event.json``: the last file of a package.

A package is written completely before it is exported: files, case data, the ledger excerpt
(the case's events, proven against the latest signed checkpoint), the 四性检测 report, the
tag files and the payload manifests. Only then is the ``case.exported`` event appended, and
its payload's ``contents`` lists every one of those files with SHA-256, SM3 and size. The
export record holds that event, its inclusion proof against the checkpoint its transaction
signed, that checkpoint, and the consistency proof from the excerpt's checkpoint to it::

    {"checkpoint": {...}, "consistency": [hex...], "event": {...}, "format":
     "liuhen-export-event", "inclusion": [hex...], "version": 1}

The record and the two tag manifests that list it are the only files ``contents`` cannot
hold; the verifier re-renders all three from what it has checked (``record_bytes``,
``package.manifest_bytes``) and demands the same bytes, so no file of a package can change
unseen. The same ``event_record`` form is each line of ``data/ledger/events.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from liuhen.ledger.events import EVENT_FIELDS, event_bytes

RECORD_FORMAT = "liuhen-export-event"
RECORD_VERSION = 1
RECORD_KEYS = frozenset({"checkpoint", "consistency", "event", "format", "inclusion", "version"})
EVENT_KEYS = frozenset({*EVENT_FIELDS, "payload", "chain_hash", "leaf_hash", "event_bytes"})
"""An event as a package ships it: the ledger row, its time as UTC text, its canonical bytes."""
CONTENT_KEYS = frozenset({"path", "sha256", "sm3", "size"})


def event_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored ledger event (a database row) as a package ships it."""
    record = {key: row[key] for key in EVENT_KEYS - {"event_bytes"}}
    occurred = row["occurred_at"]
    if isinstance(occurred, datetime):
        record["occurred_at"] = occurred.astimezone(UTC).isoformat()
    record["event_bytes"] = event_bytes(row).decode("utf-8")
    return record


def canonical_bytes(value: Any) -> bytes:
    """The one way the export record is written: keys sorted, two-space indent, UTF-8."""
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def record_bytes(
    event: Mapping[str, Any],
    inclusion: Sequence[bytes],
    checkpoint: Mapping[str, Any],
    consistency: Sequence[bytes],
) -> bytes:
    """The export record of ``event`` (``event_record`` form), proven by ``inclusion`` against
    ``checkpoint`` (``checkpoint_to_dict`` form), which ``consistency`` extends from the
    excerpt's checkpoint."""
    return canonical_bytes(
        {
            "checkpoint": dict(checkpoint),
            "consistency": [h.hex() for h in consistency],
            "event": {key: event[key] for key in sorted(EVENT_KEYS)},
            "format": RECORD_FORMAT,
            "inclusion": [h.hex() for h in inclusion],
            "version": RECORD_VERSION,
        }
    )
