"""The ledger as stored, recomputed: every event present and in order, its payload digest,
chain link, chain hash and leaf hash recomputed from its content (never trusted), the head
against the last event, and the row digests the events recorded.

A damaged cell of an event is a finding naming the event and the column; the scan goes on
with what can still be computed (a leaf that cannot be recomputed enters the tree as the
stored one, or as zeros, so the signed roots after it disagree and say so).

Events as LiuHen wrote them are checked a page at a time in one loop (``plain``); on a
large ledger a helper process checks half of them (``ranges``, ``helper``). Every other
event is checked here, cell by cell (``_visit``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from liuhen.ledger.canonical import digest
from liuhen.ledger.chain import GENESIS, chain_hash
from liuhen.ledger.events import EVENT_FIELDS, READ_ACTIONS, event_bytes
from liuhen.ledger.merkle import leaf_hash
from liuhen.services.archiving.integrity.plain import LedgerScan, note_payload, plain_run
from liuhen.services.archiving.integrity.ranges import check_in_ranges
from liuhen.services.archiving.integrity.report import Progress, VerifyReport
from liuhen.services.archiving.integrity.young_objects import fewer_collections
from liuhen.services.archiving.queries.integrity import reading_ledger
from liuhen.store.event_rows import LedgerReading
from liuhen.store.raw_rows import RawRow
from liuhen.store.store import Store

__all__ = ["LedgerScan", "check_ledger"]


def check_ledger(
    store: Store,
    report: VerifyReport,
    *,
    bound: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    scan: LedgerScan | None = None,
) -> LedgerScan:
    """Read and check every event. ``bound``: take a payload that hashes to its event's
    digest as written below the newest signed checkpoint, without encoding it again,
    which only a caller that reads again in full when anything is found may ask (the
    package's ``_check_ledger`` says why that is sound). ``jobs``: processes to check
    with (``ranges.check_in_ranges``; None: two on a large ledger and more than one CPU);
    the findings are the same whatever the number. ``progress`` is told
    ``("ledger", events checked, events in all)`` as the check goes. ``scan``: one that
    continues from a base (``continued.continue_scan``): only the events from its
    ``expected`` on are read, in this process."""
    scan = scan if scan is not None else LedgerScan(bound=bound)
    with fewer_collections(), reading_ledger(store) as reading:
        scan.read_at = store.clock()
        if progress is not None:
            extent = reading.extent()
            scan.progress = lambda done: progress("ledger", min(done, extent), extent)
        below = reading.signed if bound else 0

        def inline(low: int | None, high: int | None, after: bool) -> None:
            _check_pages(scan, report, reading, reading.pages(low, high, after=after), below)

        if scan.expected:
            inline(scan.expected, None, False)
        else:
            check_in_ranges(store.settings, scan, reading, below, jobs, inline)
        heads = reading.heads()
    _check_head(scan, report, heads)
    report.events = scan.tree.size
    return scan


def _check_pages(
    scan: LedgerScan,
    report: VerifyReport,
    reading: LedgerReading,
    pages: Iterator[Sequence[Any]],
    below: int,
) -> None:
    """Check the events of ``pages`` in order: each run of plain ones in one loop
    (``plain_run``), any other one alone, finding by finding (``_visit``)."""
    for page in pages:
        at = plain_run(scan, reading, page, 0, below)
        while at < len(page):  # a row the run stopped at: the signed size's, or damaged
            fetched = page[at]
            time = reading.plain_time(fetched)
            if fetched[0] == reading.signed:
                scan.tail = (reading.signed, time)
            if time is None or plain_run(scan, reading, [fetched], 0, below, stop=-1) == 0:
                _visit(scan, report, reading.decode(tuple(fetched)))
            at = plain_run(scan, reading, page, at + 1, below)
        scan.advanced()


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
    note_payload(scan, seq, v["action"], v["payload"])
    scan.expected = seq + 1


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
