"""Signed checkpoints, in the database and in the copies outside it, against the recomputed
tree: each signature with the signing key, each root against the tree, nothing signed beyond
the events the database holds (a rollback), no event beyond the newest signed checkpoint,
and each outside copy present and holding every checkpoint the database signed.

Losing an outside copy is never silent: a missing, unreadable, cut or thinned checkpoint log
or witness file is a finding naming the file, because without it a later rollback of the
whole database would pass unseen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from liuhen.ledger.checkpoint import (
    Checkpoint,
    verify_checkpoint,
)
from liuhen.ledger.merkle import MerkleHashes
from liuhen.ledger.note import claim_of, read_log_entry
from liuhen.services.archiving.integrity.report import VerifyReport, ranges
from liuhen.services.archiving.integrity.signed_index import Held, SignedCheckpoints
from liuhen.services.archiving.queries.integrity import checkpoint_rows, ledger_end
from liuhen.store.checkpoint_log import CheckpointLog, LogSource
from liuhen.store.raw_rows import RawRow
from liuhen.store.store import Store


@dataclass
class SigningKey:
    """One key of the ledger's chain of keys: it signs checkpoints up to ``until`` events
    (None: no limit, the current key); ``public_key`` None when it cannot be known."""

    fingerprint: str | None
    public_key: Ed25519PublicKey | None
    until: int | None = None


@dataclass
class Signer:
    """The keys the checkpoints must be signed with: the key the ledger was started with and
    each it was rotated to (``key_rotated`` events), each for the sizes it signed."""

    public_key: Ed25519PublicKey | None
    fingerprint: str | None
    chain: list[SigningKey] = field(default_factory=list)

    def key_for(self, tree_size: int) -> SigningKey:
        for key in self.chain:
            if key.until is None or tree_size <= key.until:
                return key
        return SigningKey(self.fingerprint, self.public_key)

    def other_key(self, cp: Checkpoint, claimed: str) -> bool:
        """Whether ``claimed`` (a fingerprint, or a note's ``key ID``) names another key than
        the one in effect at the checkpoint's size."""
        key = self.key_for(cp.tree_size)
        if claimed.startswith("key ID "):
            return key.public_key is not None and claimed != claim_of(cp.origin, key.public_key)
        return claimed != key.fingerprint

    def signed(self, cp: Checkpoint, signature: bytes) -> bool:
        """Whether ``signature`` is the signature over ``cp`` of the key in effect at its size
        (a copy the same as a checkpoint of the database that held is not checked again:
        ``SignedCheckpoints.same``)."""
        key = self.key_for(cp.tree_size)
        if key.public_key is None:
            return True  # nothing to check with: reported as the missing key
        return verify_checkpoint(key.public_key, cp, signature)


@dataclass
class Found:
    """Findings of one source, by kind, so a file's repeated problem is reported once."""

    items: dict[str, list[tuple[str, str, list[str]]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, kind: str, where: str, message: str, related: list[str] | None = None) -> None:
        self.items[kind].append((where, message, related or []))

    def emit(self, report: VerifyReport, *, each: bool) -> None:
        """Into ``report``: every finding (``each``), or the first of each kind with a count;
        a rollback is always reported once, at the largest checkpoint beyond the events."""
        for kind, found in self.items.items():
            if kind == "ledger_rolled_back":
                report.add(kind, *found[-1])
            elif each or len(found) == 1:
                for item in found:
                    report.add(kind, *item)
            else:
                where, message, related = found[0]
                report.add(kind, where, f"{message}（本文件共 {len(found)} 行如此）", related)


def judge_checkpoint(
    found: Found,
    where: str,
    cp: Checkpoint,
    signature: bytes,
    claimed: str | None,
    tree: MerkleHashes,
    signer: Signer,
    end: int = 0,
) -> bool:
    """Check one checkpoint; True when it holds (signature, size and root). One older than
    a continued tree's base was checked by the run it continues from, and holds. ``end``:
    the events stored when the checkpoint's copy had been read (``ledger_end``, read after
    it): one over more events than this run read but no more than those was signed over
    events written while it ran, and holds once its signature does (the next run checks its
    root); over more than ``end``, the ledger was rolled back."""
    if cp.tree_size < tree.base:
        return True
    if not signer.signed(cp, signature):
        expected = signer.key_for(cp.tree_size).fingerprint
        if claimed and expected and signer.other_key(cp, claimed):
            found.add(
                "checkpoint_other_key",
                where,
                f"检查点由另一密钥 {claimed} 签名，而当时的签名密钥为 {expected}："
                "密钥被替换过，日志可能已被改写后重签",
            )
        else:
            found.add(
                "checkpoint_signature_invalid",
                where,
                "检查点签名无效（签名或内容被改动，或非本系统密钥）",
            )
        return False
    if tree.size < cp.tree_size <= end:
        return True
    if cp.tree_size > tree.size:
        found.add(
            "ledger_rolled_back",
            where,
            f"已签名的检查点覆盖 {cp.tree_size} 条事件，数据库中只有 {tree.size} 条"
            "（事件被删除或数据库被回滚）",
            [f"ledger_events#{tree.size}–#{cp.tree_size - 1}"],
        )
        return False
    if tree.root(cp.tree_size) != cp.root_hash:
        found.add(
            "checkpoint_root_mismatch",
            where,
            f"前 {cp.tree_size} 条事件的默克尔根与已签名检查点不符（其间的事件被改动）",
        )
        return False
    return True


def check_checkpoints(
    store: Store,
    report: VerifyReport,
    tree: MerkleHashes,
    signer: Signer,
    tail: tuple[int, str | None] = (0, None),
    read_at: datetime | None = None,
) -> SignedCheckpoints:
    """The database's checkpoints; returns the readable ones, for the copies outside it.
    ``tail``: the size and first event's time of the events after the newest signed
    checkpoint (``LedgerScan.tail``): young enough when the ledger was read (``read_at``),
    they are a note, not a problem."""
    found = Found()
    signed = SignedCheckpoints()
    count = 0
    for row in checkpoint_rows(store, tree.base):  # in the snapshot the events were read in
        count += 1
        cp = _db_checkpoint(report, row)
        if cp is None:
            continue
        where = f"checkpoints@{cp.tree_size}"
        signature = bytes(row.values["signature"])
        claimed = row.values["key_fingerprint"]
        held = judge_checkpoint(found, where, cp, signature, claimed, tree, signer)
        signed.add(cp, signature if held and cp.tree_size >= tree.base else None)
        if held:
            expected = signer.key_for(cp.tree_size).fingerprint
            if expected and claimed != expected:
                found.add(
                    "checkpoint_cell_altered",
                    f"{where}.key_fingerprint",
                    f"检查点记载的签名密钥指纹 {claimed} 与签名所用的密钥不符（被改动）",
                )
    found.emit(report, each=True)
    report.checkpoints = count
    newest = signed.newest()
    newest = tree.base if newest is None else newest  # a continued tree's base was signed
    if tree.size and not newest:
        report.add("checkpoint_missing", "checkpoints", "日志有事件但没有任何已签名检查点")
    elif newest and newest < tree.size:
        first, last = newest, tree.size - 1
        span = f"#{first}" if first == last else f"#{first}–#{last}"
        if _young(store, tail, first, tree.size, read_at):
            report.notes.append(
                f"日志末尾事件 {span} 刚写入，尚待签发检查点（LIUHEN_CHECKPOINT_MS 内签发）"
            )
            return signed
        report.add(
            "ledger_unsigned",
            f"ledger_events{span}",
            f"日志事件 {span} 不在任何已签名的检查点之内（在系统之外追加，或其检查点被删除；"
            "设置了 LIUHEN_CHECKPOINT_MS 的进程中断后，末尾由下次以该设置启动时签发）",
        )
    return signed


def _young(
    store: Store, tail: tuple[int, str | None], first: int, size: int, read_at: datetime | None
) -> bool:
    """Whether the events from ``first`` are a tail the store signs within its interval:
    ``LIUHEN_CHECKPOINT_MS`` set, no more than ``LIUHEN_CHECKPOINT_EVENTS`` of them, the
    first written less than the interval and a second before the ledger was read
    (``read_at``; now when unknown). A tail a crash left is signed by the next start; one
    older than that when read is reported, however long ``verify`` then took."""
    interval, (start, written) = store.settings.checkpoint_ms, tail
    if not interval or start != first or written is None:
        return False
    if size - first > store.settings.checkpoint_events:
        return False
    age = (read_at or store.clock()) - datetime.fromisoformat(written)
    return timedelta(0) <= age <= timedelta(milliseconds=interval + 1000)


def _db_checkpoint(report: VerifyReport, row: RawRow) -> Checkpoint | None:
    v = row.values
    size = v["tree_size"]
    name = f"checkpoints@{size}" if size is not None else f"checkpoints[{row.raw['tree_size']!r}]"
    for p in row.problems:
        report.add(
            "checkpoint_cell_malformed", f"{name}.{p.column}", f"检查点的 {p.column} 列{p.message}"
        )
    if row.problems:
        return None
    try:
        return Checkpoint(size, bytes.fromhex(v["root_hash"]), v["signed_at"], v["origin"])
    except (ValueError, TypeError) as exc:
        report.add("checkpoint_cell_malformed", name, f"检查点无法还原（被改动）：{exc}")
        return None


def check_outside(
    store: Store,
    report: VerifyReport,
    tree: MerkleHashes,
    signer: Signer,
    signed: SignedCheckpoints,
) -> None:
    """Each copy outside the database: present, readable, every line a valid checkpoint of
    this ledger, and holding every checkpoint the database signed (a witness: from its first
    line on, since it may have been added to a running system)."""
    for source in store.checkpoint_log.sources():
        _check_source(store, report, source, tree, signer, signed)


def _check_source(
    store: Store,
    report: VerifyReport,
    source: LogSource,
    tree: MerkleHashes,
    signer: Signer,
    signed: SignedCheckpoints,
) -> None:
    """One copy, as of when it was read: checkpoints the database signed over events written
    while this run went on may not have reached it yet, and are not missing from it."""
    label, kind = source.label, "witness" if source.witness else "checkpoint_log"
    what = "见证目录中的检查点文件" if source.witness else "数据库之外的检查点记录"
    contents = CheckpointLog.read(source)
    end = ledger_end(store)  # after the copy: what it holds was committed before
    if contents.error is not None:
        report.add(f"{kind}_unreadable", label, f"{what}无法读取（{contents.error}）")
        return
    if contents.missing:
        if signed:
            cause = "（被删除，或见证目录配置后尚未写入）" if source.witness else "（被删除）"
            report.add(f"{kind}_missing", label, f"{what}不存在{cause}：整库回滚将无法由它发现")
        return
    found = Found()
    held = _held(found, label, contents.lines, tree, signer, signed, end)
    if contents.error is not None:  # failed while its lines were read
        report.add(f"{kind}_unreadable", label, f"{what}无法读取（{contents.error}）")
        return
    found.emit(report, each=False)
    floor = held.smallest if source.witness and held.smallest is not None else -1
    missing, sizes = ranges(held.missing(floor, tree.size))
    if missing:
        report.add(
            f"{kind}_incomplete",
            label,
            f"{what}缺少数据库已签名的 {missing} 个检查点（树大小 {sizes}）："
            "文件被截断或删去了行，其后的整库回滚将无法由它发现"
            "（若系统在签名后、写入本文件前中断，会缺最后一个）",
        )
    for size in sorted(s for s in held.others if tree.base <= s <= tree.size):
        report.add(
            "checkpoint_deleted",
            f"checkpoints@{size}",
            f"数据库中缺少已签名的检查点 @{size}（{label} 中仍有）：检查点记录被删除",
        )


def _held(
    found: Found,
    label: str,
    lines: Iterable[tuple[int, dict[str, Any] | None]],
    tree: MerkleHashes,
    signer: Signer,
    signed: SignedCheckpoints,
    end: int,
) -> Held:
    """The checkpoints a copy holds, judging each line (one the same as a checkpoint of the
    database that held, holds)."""
    held = Held(signed)
    for number, entry in lines:
        where = f"{label}:{number}"
        try:
            if entry is None:
                raise ValueError("not a JSON object")
            cp, signature, claimed = read_log_entry(entry)
        except (KeyError, ValueError, TypeError, OverflowError):
            found.add("checkpoint_log_unreadable", where, "检查点记录无法解析（被修改）")
            continue
        if signed.same(cp, signature) or judge_checkpoint(
            found, where, cp, signature, claimed, tree, signer, end
        ):
            held.add(cp.tree_size)
        elif cp.tree_size > tree.size:
            held.add(cp.tree_size)
    return held
