"""Row digests: the fingerprint of one stored row, as written and as verified."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from liuhen.ledger.canonical import digest


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


def row_digest(table: str, row: Mapping[Any, Any]) -> str:
    """SHA-256 over the table name and every column of the row (a dict or a database row
    mapping), canonically encoded."""
    return digest({"table": table, "row": {k: _normalise(v) for k, v in row.items()}})
