"""Canonical bytes for hashing: one JSON encoding, so a digest means one thing.

Keys sorted, no insignificant whitespace, UTF-8 without escaping, datetimes as ISO 8601
with offset, bytes as lowercase hex. Floats are refused: amounts are strings or integers
(cents), so two platforms can never disagree on a digest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any
from uuid import UUID


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime cannot be hashed: {value!r}")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (UUID, PurePath)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def _reject_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical JSON; use str or int")
    if isinstance(value, dict):
        for v in value.values():
            _reject_floats(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _reject_floats(v)


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
)
"""One encoder, made once: ``json.dumps`` with options builds a new one per call."""


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 JSON encoding of ``value``."""
    _reject_floats(value)
    return _ENCODER.encode(value).encode("utf-8")


def plain_json_text(value: Any) -> str:
    """The canonical JSON text of a value that holds JSON's own types and no float (as a
    JSON parser that refused floats returns it): ``canonical_json`` without its walk over
    the value for floats, for a reader that checks a million stored values."""
    return _ENCODER.encode(value)


def digest(value: Any) -> str:
    """Hex SHA-256 of the canonical encoding."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
