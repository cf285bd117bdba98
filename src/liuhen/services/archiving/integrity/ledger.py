"""The ledger as stored, recomputed: every event present and in order, its payload digest,
chain link, chain hash and leaf hash recomputed from its content (never trusted), the head
against the last event, and the row digests the events recorded.

A damaged cell of an event is a finding naming the event and the column; the scan goes on
with what can still be computed (a leaf that cannot be recomputed enters the tree as the
stored one, or as zeros, so the signed roots after it disagree and say so).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring as quoted
from typing import Any

from liuhen.ledger.canonical import digest
from liuhen.ledger.chain import GENESIS, chain_hash
from liuhen.ledger.events import EVENT_FIELDS, READ_ACTIONS, event_bytes
from liuhen.ledger.merkle import leaf_hash
from liuhen.services.archiving.integrity.recomputed import RecomputedTree
from liuhen.services.archiving.integrity.report import VerifyReport
from liuhen.services.archiving.integrity.young_objects import fewer_collections
from liuhen.services.archiving.queries.integrity import reading_ledger
from liuhen.store.event_rows import LedgerReading, canonical_payload, payload_of
from liuhen.store.raw_rows import RawRow
from liuhen.store.store import Store

_GENESIS = GENESIS.hex()


@dataclass
class LedgerScan:
    """What the events say, recomputed: the tree of their leaves, the digest each tracked
    row had when last written, and the key fingerprint event #0 recorded."""

    tree: RecomputedTree = field(default_factory=RecomputedTree)
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


def check_ledger(store: Store, report: VerifyReport, *, bound: bool = False) -> LedgerScan:
    """Read and check every event. ``bound``: take a payload that hashes to its event's
    digest as written below the newest signed checkpoint, without encoding it again,
    which only a caller that reads again in full when anything is found may ask (the
    package's ``_check_ledger`` says why that is sound)."""
    scan = LedgerScan(bound=bound)
    with fewer_collections(), reading_ledger(store) as reading:
        scan.read_at = store.clock()
        below = reading.signed if bound else 0
        for page in reading.pages():
            at = _plain_run(scan, reading, page, 0, below)
            while at < len(page):  # a row the run stopped at: the signed size's, or damaged
                fetched = page[at]
                time = reading.plain_time(fetched)
                if fetched[0] == reading.signed:
                    scan.tail = (reading.signed, time)
                if time is None or _plain_run(scan, reading, [fetched], 0, below, stop=-1) == 0:
                    _visit(scan, report, reading.decode(tuple(fetched)))
                at = _plain_run(scan, reading, page, at + 1, below)
        heads = reading.heads()
    _check_head(scan, report, heads)
    report.events = scan.tree.size
    return scan


def _plain_run(
    scan: LedgerScan,
    reading: LedgerReading,
    rows: Sequence[Any],
    start: int,
    bound_below: int,
    stop: int | None = None,
) -> int:
    """The common case, a page at a time in one loop (a few µs an event): check
    ``rows[start:]`` while each event's cells are all as LiuHen writes them
    (``LedgerReading.plain_time``), in its place, and its payload digest, link, chain hash
    and stored leaf all hold; return the index of the first row that is not (``len(rows)``
    when all were), having changed nothing for it: the caller then checks that one alone,
    and the full check (``_visit``) names what does not hold. ``stop``: the seq to stop at
    (default the newest signed size, whose time the caller notes; -1 for none).

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
                _note_payload(
                    scan, seq, action, payload_of(text) if payload is _UNREAD else payload
                )
            at += 1
    finally:
        tree.extend(leaves)
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


def _visit(scan: LedgerScan, report: VerifyReport, row: RawRow) -> None:
    v = row.values
    seq = v["seq"]
    if seq is None:
        report.add(
            "ledger_cell_malformed",
            f"ledger_events[{row.raw['seq']!r}].seq",
            "日志事件的序号（seq）不是整数（被改动），该事件无法定位",
        )
        return
    name = f"ledger_events#{seq}"
    for p in row.problems:
        report.add(
            "ledger_cell_malformed", f"{name}.{p.column}", f"日志事件的 {p.column} 列{p.message}"
        )
    if seq < scan.expected:
        report.add("ledger_event_misplaced", name, f"日志事件序号 {seq} 不在应有的位置（被改动）")
        return
    if seq > scan.expected:
        gap = f"#{scan.expected}" if seq == scan.expected + 1 else f"#{scan.expected}–#{seq - 1}"
        report.add("ledger_event_missing", f"ledger_events{gap}", f"日志事件 {gap} 缺失（被删除）")
        scan.expected = seq
    scan.tree.append(_check_event(scan, report, row, name))
    _remember(scan, row.values)


def _remember(scan: LedgerScan, v: dict[str, Any]) -> None:
    """What the rest of ``verify`` needs from an event in its place, and move past it."""
    seq = v["seq"]
    scan.prev = v["chain_hash"]
    if v["case_id"] is not None and v["action"] not in READ_ACTIONS:
        scan.changes[v["case_id"]] = seq
    _note_payload(scan, seq, v["action"], v["payload"])
    scan.expected = seq + 1


def _note_payload(scan: LedgerScan, seq: int, action: str | None, payload: Any) -> None:
    """What the payload says that the rest of ``verify`` needs: the rows it recorded, the
    key event #0 names, each rotation and each witness added."""
    _note_rows(scan, payload)
    if seq == 0 and isinstance(payload, dict):
        scan.genesis = payload
    if action == "ledger.key_rotated":
        scan.rotations.append((seq, payload))
    elif action == "witness.added":
        scan.witnesses.append((seq, payload))


def _check_event(scan: LedgerScan, report: VerifyReport, row: RawRow, name: str) -> bytes:
    """Check one event's digest, link, chain hash and leaf hash; return its leaf for the tree."""
    v, damaged = row.values, row.damaged
    if not damaged & {"payload", "payload_digest"}:
        try:
            computed = digest(v["payload"])
        except (TypeError, ValueError):
            computed = None
        if computed != v["payload_digest"]:
            report.add("ledger_event_altered", name, "事件内容与其摘要不符（被修改）")
    raw: bytes | None = None
    if not damaged & set(EVENT_FIELDS):
        try:
            raw = event_bytes(v)
        except (TypeError, ValueError):
            report.add("ledger_event_altered", name, "事件无法规范编码（被修改）")
    expected_prev = scan.prev if v["seq"] else GENESIS.hex()
    if expected_prev is not None and v["prev_hash"] is not None and v["prev_hash"] != expected_prev:
        report.add("ledger_chain_broken", name, "与前一事件的链接断开（事件被删除、调换或修改）")
    if raw is not None and v["prev_hash"] is not None and v["chain_hash"] is not None:
        if chain_hash(bytes.fromhex(v["prev_hash"]), raw).hex() != v["chain_hash"]:
            report.add("ledger_event_altered", name, "事件哈希不符（事件被修改或调换）")
    stored = bytes.fromhex(v["leaf_hash"]) if v["leaf_hash"] is not None else None
    if raw is None:
        return stored or bytes(32)
    leaf = leaf_hash(raw)
    if stored is not None and stored != leaf:
        report.add(
            "ledger_leaf_altered",
            f"{name}.leaf_hash",
            "存储的叶哈希与事件内容不符（被改动）：按它签发的检查点会覆盖错误的叶",
        )
    return leaf


def _note_rows(scan: LedgerScan, payload: Any) -> None:
    """Keep the row digests an event recorded (well-formed entries only)."""
    rows = payload.get("rows") if isinstance(payload, dict) else None
    for r in rows if isinstance(rows, list) else ():
        if isinstance(r, dict) and all(
            isinstance(r.get(k), str) for k in ("table", "key", "digest")
        ):
            scan.latest[(r["table"], r["key"])] = r["digest"]


def _check_head(scan: LedgerScan, report: VerifyReport, heads: list[RawRow]) -> None:
    """The head (the next seq and the last chain hash every write continues from) must be
    the single row 1 and agree with the last event."""
    if not heads:
        report.add(
            "ledger_head_missing",
            "ledger_head/1",
            "日志头（ledger_head）缺失（被删除）：无法确认日志末尾完整，系统也无法再写入",
        )
        return
    head = None
    for row in heads:
        key = row.values["id"] if row.values["id"] is not None else row.raw["id"]
        for p in row.problems:
            report.add("ledger_head_altered", f"ledger_head/{key}.{p.column}", f"日志头{p.message}")
        if key == 1 and head is None:
            head = row
        else:
            report.add("ledger_head_altered", f"ledger_head/{key}", "日志头只应有编号为 1 的一行")
    if head is None:
        report.add("ledger_head_missing", "ledger_head/1", "日志头缺少编号为 1 的行（被改动）")
        return
    _compare_head(scan, report, head.values)


def _compare_head(scan: LedgerScan, report: VerifyReport, head: dict[str, Any]) -> None:
    next_seq, last = head["next_seq"], scan.expected
    if next_seq is not None and next_seq > last:
        gap = f"#{last}" if next_seq == last + 1 else f"#{last}–#{next_seq - 1}"
        report.add(
            "ledger_event_missing",
            f"ledger_events{gap}",
            f"日志末尾的事件 {gap} 缺失（被删除）：日志头记载下一序号为 {next_seq}",
            ["ledger_head/1.next_seq"],
        )
    elif next_seq is not None and next_seq < last:
        report.add(
            "ledger_head_altered",
            "ledger_head/1.next_seq",
            f"日志头记载下一序号为 {next_seq}，但日志已有 {last} 个事件（日志头被改动）",
        )
    chain = head["chain_hash"]
    if next_seq == last and chain is not None and scan.prev is not None and chain != scan.prev:
        report.add(
            "ledger_head_altered",
            "ledger_head/1.chain_hash",
            "日志头的链哈希与最后一个事件的不符（被改动）：下一次写入将断开哈希链",
        )
