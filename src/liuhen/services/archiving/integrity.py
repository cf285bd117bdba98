"""``liuhen verify``: re-derive everything that can be re-derived and name what differs.

Checks, in order: the event chain (every event present, in order, unedited), the Merkle
tree against every signed checkpoint (in the database and in the copies kept outside it),
every tracked row against the digest its ledger event recorded, and every blob against its
SHA-256, SM3 and size. Each problem names one object, so an operator can find it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from liuhen.errors import LiuhenError
from liuhen.ledger.canonical import digest
from liuhen.ledger.chain import GENESIS, chain_hash
from liuhen.ledger.checkpoint import Checkpoint, checkpoint_from_dict, verify_checkpoint
from liuhen.ledger.events import Actor, event_bytes
from liuhen.ledger.merkle import MerkleTree, leaf_hash
from liuhen.services.archiving.queries.disposals import disposal_rows
from liuhen.services.archiving.queries.fixity import blobs_by_age
from liuhen.services.archiving.queries.integrity import (
    checkpoint_rows,
    insert_verification_run,
    scan_ledger,
    tracked_rows,
)
from liuhen.store.rows import row_digest
from liuhen.store.store import Store

Progress = Callable[[str, int, int], None]
MAX_PER_KIND = 50


@dataclass
class Problem:
    kind: str
    object: str
    message: str


@dataclass
class VerifyReport:
    ok: bool = True
    checked_at: str = ""
    events: int = 0
    checkpoints: int = 0
    rows: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    disposed: list[dict[str, Any]] = field(default_factory=list)
    """Tombstones of approved disposals: what was disposed of, when, why, by which approval."""

    def add(self, kind: str, obj: str, message: str) -> None:
        self.ok = False
        if sum(1 for p in self.problems if p.kind == kind) < MAX_PER_KIND:
            self.problems.append(Problem(kind, obj, message))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify(store: Store, actor: Actor, *, progress: Progress | None = None) -> VerifyReport:
    report = VerifyReport(checked_at=store.clock().isoformat())
    tree, row_digests = _check_events(store, report)
    _check_checkpoints(store, report, tree)
    _check_rows(store, report, row_digests)
    _check_blobs(store, report, progress)
    _save(store, actor, report)
    return report


def _check_events(
    store: Store, report: VerifyReport
) -> tuple[MerkleTree, dict[tuple[str, str], str]]:
    tree = MerkleTree([])
    latest: dict[tuple[str, str], str] = {}
    prev = GENESIS
    expected = 0

    def visit(ev: dict[str, Any]) -> None:
        nonlocal prev, expected
        seq = int(ev["seq"])
        name = f"ledger_events#{seq}"
        if seq != expected:
            missing = f"#{expected}" if seq == expected + 1 else f"#{expected}–#{seq - 1}"
            report.add(
                "ledger_event_missing",
                f"ledger_events{missing}",
                f"日志事件 {missing} 缺失（被删除）",
            )
            expected = seq
        raw = event_bytes(ev)
        if digest(ev["payload"]) != ev["payload_digest"]:
            report.add("ledger_event_altered", name, "事件内容与其摘要不符（被修改）")
        if ev["prev_hash"] != prev.hex():
            report.add(
                "ledger_chain_broken", name, "与前一事件的链接断开（事件被删除、调换或修改）"
            )
        computed = chain_hash(bytes.fromhex(ev["prev_hash"]), raw)
        if computed.hex() != ev["chain_hash"]:
            report.add("ledger_event_altered", name, "事件哈希不符（事件被修改或调换）")
        prev = bytes.fromhex(ev["chain_hash"])
        tree.append(leaf_hash(raw))
        for r in (ev["payload"] or {}).get("rows", []):
            latest[(r["table"], r["key"])] = r["digest"]
        expected = seq + 1

    head = scan_ledger(store, visit)
    if int(head) != expected:
        report.add(
            "ledger_event_missing",
            f"ledger_events#{expected}–#{int(head) - 1}",
            f"日志末尾的事件 #{expected} 起缺失（被删除）",
        )
    report.events = tree.size
    return tree, latest


def _check_one_checkpoint(
    report: VerifyReport,
    store: Store,
    tree: MerkleTree,
    cp: Checkpoint,
    signature: bytes,
    where: str,
) -> None:
    if not verify_checkpoint(store.key.public_key(), cp, signature):
        report.add(
            "checkpoint_signature_invalid",
            where,
            "检查点签名无效（签名或内容被改动，或非本系统密钥）",
        )
        return
    if cp.tree_size > tree.size:
        report.add(
            "ledger_rolled_back",
            where,
            f"已签名的检查点覆盖 {cp.tree_size} 条事件，数据库中只有 {tree.size} 条（事件被删除或数据库被回滚）",
        )
        return
    if tree.root(cp.tree_size) != cp.root_hash:
        report.add(
            "checkpoint_root_mismatch",
            where,
            f"前 {cp.tree_size} 条事件的默克尔根与已签名检查点不符",
        )


def _check_checkpoints(store: Store, report: VerifyReport, tree: MerkleTree) -> None:
    rows = checkpoint_rows(store)
    for row in rows:
        cp = Checkpoint(
            tree_size=int(row["tree_size"]),
            root_hash=bytes.fromhex(row["root_hash"]),
            timestamp=row["signed_at"],
            origin=row["origin"],
        )
        _check_one_checkpoint(
            report, store, tree, cp, bytes(row["signature"]), f"checkpoints@{cp.tree_size}"
        )
    for source, line, entry in store.checkpoint_log.entries():
        where = f"{source}:{line}"
        try:
            if entry is None:
                raise ValueError("not JSON")
            cp, signature, _fp = checkpoint_from_dict(entry)
        except (KeyError, ValueError, TypeError):
            report.add("checkpoint_log_unreadable", where, "检查点记录无法解析（被修改）")
            continue
        _check_one_checkpoint(report, store, tree, cp, signature, where)
    report.checkpoints = len(rows)
    if tree.size and not rows:
        report.add("checkpoint_missing", "checkpoints", "日志有事件但没有任何已签名检查点")


def _check_rows(store: Store, report: VerifyReport, latest: dict[tuple[str, str], str]) -> None:
    seen: set[tuple[str, str]] = set()
    for table, pk, row in tracked_rows(store):
        key = (table, pk)
        seen.add(key)
        report.rows += 1
        expected = latest.get(key)
        if expected is None:
            report.add(
                "row_unrecorded",
                f"{table}/{key[1]}",
                "该记录没有对应的日志事件（在系统之外插入）",
            )
        elif row_digest(table, row) != expected:
            report.add(
                "row_altered",
                f"{table}/{key[1]}",
                "记录内容与日志中的摘要不符（在系统之外被修改）",
            )
    for key in sorted(set(latest) - seen):
        report.add("row_deleted", f"{key[0]}/{key[1]}", "日志记载的记录在数据库中不存在（被删除）")


def _check_blobs(store: Store, report: VerifyReport, progress: Progress | None) -> None:
    rows = blobs_by_age(store)
    known = {r["sha256"] for r in rows}
    removed = _tombstones(store, report)
    total = sum(int(r["size"]) for r in rows if r["sha256"] not in removed)
    done = 0
    for row in rows:
        sha = row["sha256"]
        name = f"blob {sha}"
        if sha in removed:
            if store.blobs.exists(sha):
                report.notes.append(
                    f"文件 {sha[:16]}… 已按审批处置，但存储中仍有其内容（处置后删除未完成）：可再次删除"
                )
            report.blobs += 1
            continue
        if not store.blobs.exists(sha):
            report.add("blob_missing", name, "文件缺失（被删除）")
        else:
            try:
                got_sha, got_sm3, got_size = store.blobs.rehash(sha)
            except (OSError, LiuhenError) as exc:
                report.add("blob_unreadable", name, f"文件无法读取：{exc}")
            else:
                if (got_sha, got_sm3, got_size) != (sha, row["sm3"], int(row["size"])):
                    report.add(
                        "blob_altered",
                        name,
                        f"文件内容已改变（SHA-256 {got_sha[:16]}…，SM3 {got_sm3[:16]}…，{got_size} 字节）",
                    )
        done += int(row["size"])
        report.blobs += 1
        if progress:
            progress("blobs", done, total)
    report.blob_bytes = total
    orphans = [k for k in store.blobs.iter_keys() if k not in known]
    if orphans:
        report.notes.append(
            f"存储中有 {len(orphans)} 个未登记的文件（多为写入中断的残留，不影响已登记记录）：{', '.join(o[:16] for o in orphans[:5])}"
        )


def _tombstones(store: Store, report: VerifyReport) -> set[str]:
    """Read the disposal tombstones into the report; return the blobs whose bytes an
    approved disposal removed (their absence is expected, not a problem)."""
    for row in disposal_rows(store):
        d = row["details"]
        report.disposed.append(
            {
                "sha256": row["blob_sha256"],
                "sm3": d.get("sm3"),
                "size": d.get("size"),
                "record_id": row["record_id"],
                "case_id": row["case_id"],
                "disposed_at": row["created_at"].isoformat(),
                "approval_id": d.get("approval_id"),
                "reason": row["reason"],
                "class": d.get("class"),
                "citation": d.get("citation"),
                "bytes_removed": bool(d.get("bytes_removed")),
            }
        )
    for d in report.disposed:
        report.notes.append(
            f"已处置：文件 {d['sha256'][:16]}…（{d['size']} 字节，记录 {d['record_id']}）"
            f"于 {d['disposed_at'][:10]} 经审批 {d['approval_id']} 处置，理由：{d['reason']}"
            f"（{d['citation']}）"
            + ("" if d["bytes_removed"] else "；内容仍被其他记录使用，未删除")
        )
    return {d["sha256"] for d in report.disposed if d["bytes_removed"]}


def _save(store: Store, actor: Actor, report: VerifyReport) -> None:
    summary = {
        "ok": report.ok,
        "problems": len(report.problems),
        "events": report.events,
        "blobs": report.blobs,
        "disposed": len(report.disposed),
    }
    now: datetime = store.clock()
    with store.transaction(actor) as tx:
        insert_verification_run(
            tx.conn,
            started_at=datetime.fromisoformat(report.checked_at),
            finished_at=now,
            ok=report.ok,
            report=report.to_dict(),
        )
        tx.record("integrity.verified", subject_type="store", subject_id="all", payload=summary)
