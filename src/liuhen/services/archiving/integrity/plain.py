"""The common case of the ledger check, a page of events at a time in one tight loop
(``plain_run``), and the state a scan of the ledger keeps (``LedgerScan``): what
``ledger.check_ledger`` keeps, and what a range of events checked apart
(``helper.check_range``) hands back to it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring as quoted
from typing import Any

from liuhen.ledger.chain import GENESIS
from liuhen.ledger.events import READ_ACTIONS
from liuhen.ledger.frontier import ContinuedTree
from liuhen.services.archiving.integrity.recomputed import RecomputedTree
from liuhen.store.event_rows import LedgerReading, canonical_payload, payload_of

_GENESIS = GENESIS.hex()


@dataclass
class LedgerScan:
    """What the events say, recomputed: the tree of their leaves, the digest each tracked
    row had when last written, and the key fingerprint event #0 recorded."""

    tree: RecomputedTree | ContinuedTree = field(default_factory=RecomputedTree)
    """Every leaf recomputed, or (``continued``) those since a base and the older frontier."""
    latest: dict[tuple[str, str], str] = field(default_factory=dict)
    genesis: dict[str, Any] | None = None
    changes: dict[str, int] = field(default_factory=dict)
    """Each case's newest event that changed it (what ``case_changes`` must hold)."""
    expected: int = 0
    prev: str | None = GENESIS.hex()
    rotations: list[tuple[int, Any]] = field(default_factory=list)
    """(seq, payload) of each ``ledger.key_rotated`` event, in order."""
    witnesses: list[tuple[int, Any]] = field(default_factory=list)
    """(seq, payload) of each ``witness.added`` event."""
    bound: bool = False
    """Whether payloads were taken as written when they hash to their digest."""
    tail: tuple[int, str | None] = (0, None)
    """(size, time): the newest signed size when the scan began, and the time (UTC ISO
    text) of the event just after it, the first of any unsigned tail (None: unknown)."""
    read_at: datetime | None = None
    """When the scan's snapshot began: a tail's age is its age then (a verify of millions
    of events takes a minute; the tail it read may have been signed meanwhile)."""
    progress: Callable[[int], None] | None = None
    """Told how many events the tree holds after each page or range is taken (a bar)."""

    def advanced(self) -> None:
        if self.progress is not None:
            self.progress(self.tree.size)


def plain_run(
    scan: LedgerScan,
    reading: LedgerReading,
    rows: Sequence[Any],
    start: int,
    bound_below: int,
    stop: int | None = None,
    into: list[bytes] | None = None,
) -> int:
    """The common case, a page at a time in one loop (a few µs an event): check
    ``rows[start:]`` while each event's cells are all as LiuHen writes them
    (``LedgerReading.plain_time``), in its place, and its payload digest, link, chain hash
    and stored leaf all hold; return the index of the first row that is not (``len(rows)``
    when all were), having changed nothing for it: the caller then checks that one alone,
    and the full check (``ledger._visit``) names what does not hold. ``stop``: the seq to
    stop at (default the newest signed size, whose time the caller notes; -1 for none).
    ``into``: where the recomputed leaves go (default the scan's tree).

    Long: one loop over a million events, every check inline; a call per event or per
    check was a third of ``verify``'s time (docs/performance.md, issue 15's fifth round)."""
    stop = reading.signed if stop is None else stop
    sqlite, types = reading.sqlite, reading.plain_types
    prev, expected, changes, tree = scan.prev, scan.expected, scan.changes, scan.tree
    if prev is None or start >= len(rows):
        return start
    try:
        prev_bytes = bytes.fromhex(prev)
    except ValueError:
        return start
    if prev_bytes.hex() != prev:  # not lowercase hex: the full check says so
        return start
    sha256, plain_format, sqlite_time = hashlib.sha256, _PLAIN_LINK, _SQLITE_TIME.fullmatch
    leaves: list[bytes] = []
    at, end = start, len(rows)
    try:
        while at < end:
            fetched = rows[at]
            if tuple(map(type, fetched)) not in types:
                break
            (
                seq,
                when,
                actor_id,
                label,
                action,
                stype,
                sid,
                case_id,
                text,
                digest_,
                link,
                chain,
                leaf,
            ) = fetched
            if seq != expected or seq == stop or link != (prev if seq else _GENESIS):
                break
            if sqlite:
                if sqlite_time(when) is None:
                    break
                try:
                    datetime.fromisoformat(when)
                except ValueError:
                    break
                day, clock = when[:10], (when[11:19] if when.endswith(".000000") else when[11:])
            else:  # at offset zero (the session's zone UTC), ``isoformat`` is the plain form
                offset = when.utcoffset()
                if offset is None:
                    break
                iso = (when if not offset else when.astimezone(UTC)).isoformat()
                if offset and not _PLAIN_TIME.fullmatch(iso):
                    break
                day, clock = iso[:10], iso[11:-6]
            if sha256(text.encode("utf-8")).hexdigest() != digest_:
                break
            payload: Any = _UNREAD
            if seq >= bound_below:
                try:
                    payload = canonical_payload(text)
                except ValueError:
                    break
            raw = (
                plain_format
                % (
                    quoted(action),
                    "null" if actor_id is None else quoted(actor_id),
                    quoted(label),
                    "null" if case_id is None else quoted(case_id),
                    day,
                    clock,
                    digest_,  # equal to a hex digest computed here: needs no quoting
                    link,  # equal to ``prev``: lowercase hex
                    seq,
                    quoted(sid),
                    quoted(stype),
                )
            ).encode("utf-8")
            computed = sha256(prev_bytes + raw).digest()
            if computed.hex() != chain:
                break
            computed_leaf = sha256(b"\x00" + raw).digest()
            if computed_leaf.hex() != leaf:
                break
            leaves.append(computed_leaf)
            prev, prev_bytes, expected = chain, computed, seq + 1
            if case_id is not None and action not in READ_ACTIONS:
                changes[case_id] = seq
            if seq == 0 or action in _NOTED or '"rows":' in text:
                note_payload(scan, seq, action, payload_of(text) if payload is _UNREAD else payload)
            at += 1
    finally:
        (tree.extend if into is None else into.extend)(leaves)
        scan.prev, scan.expected = prev, expected
    return at


_PLAIN_LINK = (
    '{"action":%s,"actor_id":%s,"actor_label":%s,"case_id":%s,"occurred_at":"%sT%s+00:00",'
    '"payload_digest":"%s","prev_hash":"%s","seq":%d,"subject_id":%s,"subject_type":%s}'
)
"""``events.plain_event``'s text with the fields that need no JSON quoting written as they
are: the time (digits and separators, UTC) and two digests already compared with hex ones."""
_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
_PLAIN_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00")


_UNREAD = object()
_NOTED = frozenset({"ledger.key_rotated", "witness.added"})


def note_payload(scan: LedgerScan, seq: int, action: str | None, payload: Any) -> None:
    """What the payload says that the rest of ``verify`` needs: the rows it recorded, the
    key event #0 names, each rotation and each witness added."""
    note_rows(scan, payload)
    if seq == 0 and isinstance(payload, dict):
        scan.genesis = payload
    if action == "ledger.key_rotated":
        scan.rotations.append((seq, payload))
    elif action == "witness.added":
        scan.witnesses.append((seq, payload))


def note_rows(scan: LedgerScan, payload: Any) -> None:
    """Keep the row digests an event recorded (well-formed entries only)."""
    rows = payload.get("rows") if isinstance(payload, dict) else None
    for r in rows if isinstance(rows, list) else ():
        if isinstance(r, dict) and all(
            isinstance(r.get(k), str) for k in ("table", "key", "digest")
        ):
            scan.latest[(r["table"], r["key"])] = r["digest"]
