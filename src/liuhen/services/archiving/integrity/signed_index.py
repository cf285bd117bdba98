"""The database's signed checkpoints as the copies outside it are checked against, in 24
bytes a checkpoint.

A ledger signs a checkpoint a write transaction, so there may be a million of them; held
as a map of sizes to roots, sets of sizes a copy and a cache of checked signatures they cost
``verify`` ~0.55 KB each (550 MB at a million). Here ``SignedCheckpoints`` keeps the sizes
in order (an ``array`` of 8-byte integers) and, for each checkpoint that held (signature,
size and root), a 16-byte digest of the bytes signed and the signature: a copy's line with
the same digest is that checkpoint, already checked, so neither its signature nor its root
is checked again. ``Held`` marks which of them one copy holds (a byte each) and keeps the
sizes it holds that the database does not (each one a finding).
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from liuhen.ledger.checkpoint import Checkpoint, checkpoint_body

DIGEST = 16
_NONE = bytes(DIGEST)


def line_digest(cp: Checkpoint, signature: bytes) -> bytes:
    """What a signed checkpoint is compared by: its signed bytes and its signature."""
    return hashlib.blake2b(checkpoint_body(cp) + signature, digest_size=DIGEST).digest()


class SignedCheckpoints:
    """The database's readable checkpoints, by tree size; ``add`` them smallest first (as
    ``checkpoint_rows`` reads them; out of order they are sorted when first asked)."""

    def __init__(self) -> None:
        self._sizes = array("q")
        self._digests = bytearray()
        self._in_order = True

    def add(self, cp: Checkpoint, signature: bytes | None) -> None:
        """A checkpoint; ``signature`` when it held (its copies hold when the same)."""
        if self._sizes and cp.tree_size <= self._sizes[-1]:
            self._in_order = False
        self._sizes.append(cp.tree_size)
        self._digests += _NONE if signature is None else line_digest(cp, signature)

    def __len__(self) -> int:
        return len(self._sizes)

    def __bool__(self) -> bool:
        return bool(self._sizes)

    def newest(self, limit: int | None = None) -> int | None:
        """The largest size (no larger than ``limit``), None when there is none."""
        sizes = self._ordered()
        at = len(sizes) if limit is None else bisect_right(sizes, limit)
        return sizes[at - 1] if at else None

    def index(self, size: int) -> int | None:
        sizes = self._ordered()
        at = bisect_left(sizes, size)
        return at if at < len(sizes) and sizes[at] == size else None

    def same(self, cp: Checkpoint, signature: bytes) -> bool:
        """Whether ``cp`` and ``signature`` are a checkpoint of the database that held."""
        at = self.index(cp.tree_size)
        if at is None:
            return False
        digest = self._digests[at * DIGEST : (at + 1) * DIGEST]
        return digest != _NONE and digest == line_digest(cp, signature)

    def between(self, lo: int, hi: int) -> range:
        """The positions of the sizes from ``lo`` to ``hi``, both included."""
        sizes = self._ordered()
        return range(bisect_left(sizes, lo), bisect_right(sizes, hi))

    def size_at(self, position: int) -> int:
        return self._ordered()[position]

    def _ordered(self) -> array[int]:
        if not self._in_order:
            order = sorted(range(len(self._sizes)), key=self._sizes.__getitem__)
            self._sizes = array("q", (self._sizes[i] for i in order))
            self._digests = bytearray(
                b"".join(self._digests[i * DIGEST : (i + 1) * DIGEST] for i in order)
            )
            self._in_order = True
        return self._sizes


class Held:
    """The checkpoints one copy holds: the database's (a byte each) and the others."""

    def __init__(self, signed: SignedCheckpoints) -> None:
        self._signed = signed
        self._marks = bytearray(len(signed))
        self.others: set[int] = set()
        """Sizes held that the database has no checkpoint of (deleted, or signed later)."""
        self.smallest: int | None = None

    def add(self, size: int) -> None:
        at = self._signed.index(size)
        if at is None:
            self.others.add(size)
        else:
            self._marks[at] = 1
        if self.smallest is None or size < self.smallest:
            self.smallest = size

    def __bool__(self) -> bool:
        return self.smallest is not None

    def missing(self, lo: int, hi: int) -> Iterator[int]:
        """The database's sizes from ``lo`` to ``hi`` this copy does not hold, in order."""
        for at in self._signed.between(lo, hi):
            if not self._marks[at]:
                yield self._signed.size_at(at)
