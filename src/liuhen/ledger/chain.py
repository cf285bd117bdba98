"""The hash chain over ledger events: each link commits to every event before it.

``chain_hash(prev, event) = SHA-256(prev || event)``, starting from ``GENESIS`` (32 zero
bytes). Removing, reordering or editing any event breaks the link at that position, so
``verify_chain`` names the first event that can no longer be trusted. The Merkle tree
(``merkle.py``) gives short proofs; the chain gives a simple sequential check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

GENESIS = bytes(32)


def chain_hash(prev_hash: bytes, event_bytes: bytes) -> bytes:
    """The link after ``prev_hash`` for an event whose canonical bytes are ``event_bytes``."""
    return hashlib.sha256(prev_hash + event_bytes).digest()


def verify_chain(items: Iterable[tuple[bytes, bytes]]) -> int | None:
    """Index of the first broken link in ``(event_bytes, stored_chain_hash)`` pairs, or None.

    Pairs are taken in ledger order from ``GENESIS``; link ``i`` is broken when its stored
    hash is not ``chain_hash`` of the stored hash before it and its own event bytes.
    Streams: ``items`` may be a generator over a million rows. A missing tail is not a
    broken link; signed checkpoints (their tree size and root) are what catch truncation.
    """
    prev = GENESIS
    for index, (event_bytes, stored) in enumerate(items):
        if chain_hash(prev, event_bytes) != stored:
            return index
        prev = stored
    return None
