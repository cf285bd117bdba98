"""Step 2 of package verification: the ledger excerpt against the signed checkpoint.

The shipped public key, the checkpoint's Ed25519 signature over its tree size and root; then
each event: its canonical bytes equal its fields, its payload its digest, its chain link and
leaf hash are right, and its RFC 9162 inclusion proof reaches the signed root; and the events
are the ones the proofs are for, each once (none dropped, none added).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from liuhen.archive.package_json import JsonFault, Shape, checkpoint_faults, parse_json
from liuhen.archive.package_report import (
    CHECKPOINT,
    EVENTS,
    PROOFS,
    PUBLIC_KEY,
    Bag,
    PackageReport,
    add_faults,
    read_json,
)
from liuhen.ledger.canonical import digest
from liuhen.ledger.chain import chain_hash
from liuhen.ledger.checkpoint import (
    Checkpoint,
    checkpoint_from_dict,
    key_fingerprint,
    load_public_key,
    verify_checkpoint,
)
from liuhen.ledger.events import EVENT_FIELDS, event_bytes
from liuhen.ledger.merkle import leaf_hash, verify_inclusion


def check_ledger(root: Path) -> tuple[PackageReport, Checkpoint | None, list[dict[str, Any]]]:
    """Step 2 alone (signature, events, proofs), for reports that need only the ledger."""
    report = PackageReport(path=str(root))
    bag = Bag(root)
    cp = check_signature(bag, report)
    return report, cp, check_events(bag, report, cp)


def check_signature(bag: Bag, report: PackageReport) -> Checkpoint | None:
    pem = bag.read(PUBLIC_KEY)
    key = None
    if pem is None:
        report.add(PUBLIC_KEY, "file_missing", "缺少签名公钥")
    else:
        try:
            key = load_public_key(pem)
            report.key_fingerprint = key_fingerprint(key)
            bag.key = key
        except ValueError as exc:
            report.add(PUBLIC_KEY, "key_invalid", f"不是 Ed25519 公钥：{exc}")
    data = read_json(bag, report, CHECKPOINT)
    if data is None:
        return None
    faults = checkpoint_faults(data)
    add_faults(report, CHECKPOINT, faults)
    try:
        cp, signature, fingerprint = checkpoint_from_dict(data)
    except ValueError as exc:
        if not faults:
            report.add(CHECKPOINT, "checkpoint_invalid", f"检查点格式不对：{exc}")
        return None
    report.checkpoint = {k: data[k] for k in ("origin", "tree_size", "root_hash", "timestamp")}
    if key is not None:
        if fingerprint != report.key_fingerprint:
            report.add(
                PUBLIC_KEY,
                "key_mismatch",
                f"包内公钥（指纹 {report.key_fingerprint}）不是检查点记载的 {fingerprint}",
            )
        if not verify_checkpoint(key, cp, signature):
            report.add(
                CHECKPOINT,
                "checkpoint_signature",
                "检查点签名无效：检查点（树大小、根哈希、时间）或签名被改动",
            )
    return cp


def check_events(bag: Bag, report: PackageReport, cp: Checkpoint | None) -> list[dict[str, Any]]:
    """Each event of the excerpt against its proof and the checkpoint ``cp``; the events that
    parse, in file order."""
    data = bag.read(EVENTS)
    if data is None:
        report.add(EVENTS, "file_missing", "缺少全过程日志摘录")
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.add(EVENTS, "json_invalid", f"不是 UTF-8 文本（第 {exc.start} 字节）")
        text = data.decode("utf-8", "replace")
    proofs = _proofs(bag, report, cp)
    events: list[dict[str, Any]] = []
    seen: set[int] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{EVENTS}:{number}"
        event = _event_line(report, line, where)
        if event is None:
            continue
        seq = event["seq"]
        if seq in seen:
            report.add(f"日志事件 #{seq}（{where}）", "event_duplicate", "同一事件出现了两次")
            continue
        seen.add(seq)
        problem = event_problem(event, proofs.get(seq), cp)
        if problem:
            at = f"{EVENTS} 第 {number} 行" + (f"；{PROOFS}" if "proof" in problem[0] else "")
            report.add(f"日志事件 #{seq}（{at}）", problem[0], problem[1])
        else:
            report.proofs_verified += 1
        events.append(event)
    for seq in sorted(set(proofs) - seen):
        report.add(
            f"日志事件 #{seq}（{EVENTS}）",
            "event_missing",
            "包含证明（proofs.json）中有该事件，日志摘录中却没有（被删除）",
        )
    report.events = len(events)
    return events


def _event_line(report: PackageReport, line: str, where: str) -> dict[str, Any] | None:
    """One line of the excerpt as an event with an integer ``seq``, or None (said why)."""
    try:
        event = parse_json(line)
    except JsonFault as fault:
        report.add(f"{where}: {fault.path}", "event_invalid", fault.message)
        return None
    seq = event.get("seq") if isinstance(event, dict) else None
    if not isinstance(event, dict) or not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        report.add(where, "event_invalid", "该行不是有效的日志事件（应为带整数 seq 的对象）")
        return None
    return event


def _proofs(bag: Bag, report: PackageReport, cp: Checkpoint | None) -> dict[int, list[str]]:
    data = read_json(bag, report, PROOFS)
    if data is None:
        return {}
    s = Shape()
    out: dict[int, list[str]] = {}
    if s.obj(data, ()):
        s.count(data.get("tree_size"), ("tree_size",))
        s.text(data.get("root_hash"), ("root_hash",))
        for i, entry in enumerate(s.items(data.get("proofs"), ("proofs",))):
            if not s.obj(entry, ("proofs", i)) or not s.count(
                entry.get("seq"), ("proofs", i, "seq")
            ):
                continue
            path = s.items(entry.get("path"), ("proofs", i, "path"))
            if not all([s.hex64(h, ("proofs", i, "path", j)) for j, h in enumerate(path)]):
                continue
            if entry["seq"] in out:
                s.fault(("proofs", i, "seq"), f"事件 #{entry['seq']} 的证明出现了两次")
            out[entry["seq"]] = path
    add_faults(report, PROOFS, s.faults)
    if (
        isinstance(data, dict)
        and cp is not None
        and (data.get("tree_size") != cp.tree_size or data.get("root_hash") != cp.root_hash.hex())
    ):
        report.add(PROOFS, "proofs_mismatch", "包含证明所对的树大小或根哈希与签名检查点不符")
    return out


def event_problem(
    event: Mapping[str, Any], path: list[str] | None, cp: Checkpoint | None
) -> tuple[str, str] | None:
    """What is wrong with one shipped event and its inclusion ``path`` under ``cp``, as
    (kind, message); None when it is right."""
    try:
        raw = event_bytes({name: event[name] for name in EVENT_FIELDS})
        shipped = str(event["event_bytes"]).encode("utf-8")
        payload_ok = digest(event["payload"]) == event["payload_digest"]
        link = chain_hash(bytes.fromhex(event["prev_hash"]), raw).hex()
    except (KeyError, TypeError, ValueError) as exc:
        return "event_invalid", f"事件字段缺失或格式不对：{exc}"
    if raw != shipped:
        return "event_altered", "事件的字段与其规范字节不符（字段被改动）"
    if not payload_ok:
        return "payload_altered", "事件内容（payload）与其摘要不符（内容被改动）"
    if link != event.get("chain_hash") or leaf_hash(raw).hex() != event.get("leaf_hash"):
        return "event_altered", "事件的链哈希或叶哈希与其内容不符（事件被改动）"
    if cp is None:
        return "proof_unchecked", "没有可用的检查点，无法验证包含证明"
    if path is None:
        return "proof_missing", "缺少该事件的包含证明"
    try:
        hashes = [bytes.fromhex(h) for h in path]
    except (TypeError, ValueError):
        return "proof_invalid", "包含证明格式不对"
    if not verify_inclusion(leaf_hash(raw), event["seq"], cp.tree_size, hashes, cp.root_hash):
        return "proof_failed", "包含证明不成立：该事件不在签名检查点所覆盖的日志中，或已被改动"
    return None
