"""Fixity audits: re-hash stored blobs, the least recently verified first, at a set rate.

Every blob must be re-read and found intact at least every ``fixity_cycle_days`` (90 by
default). When a blob was last verified is not kept in the insert-only ``blobs`` table but
on the ledger: each run appends one ``integrity.fixity_checked`` event listing the blobs it
found intact and those it found damaged, so the schedule is derived from those events (a
blob never checked counts from when it was stored, when ingest hashed it). A damaged blob
is reported with every case and record that uses it, and each affected case gets a
``blob.damaged`` event on its own timeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from liuhen.errors import LiuhenError
from liuhen.ledger.events import Actor
from liuhen.services.archiving.queries.disposals import disposed_blobs
from liuhen.services.archiving.queries.fixity import blob_uses, blobs_and_runs
from liuhen.services.permissions import require
from liuhen.store.blobs.hashing import CHUNK_SIZE, DualHasher
from liuhen.store.store import Store

ACTION = "integrity.fixity_checked"
MB = 1_000_000
ByteProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class BlobDue:
    sha256: str
    sm3: str
    size: int
    last_verified: datetime


@dataclass
class Damage:
    sha256: str
    problem: str  # missing | altered | unreadable
    message: str
    uses: list[dict[str, str]] = field(default_factory=list)


@dataclass
class FixityReport:
    started_at: str
    finished_at: str = ""
    cycle_days: int = 90
    rate_mb: int = 0
    blobs: int = 0
    checked: int = 0
    bytes: int = 0
    overdue_before: int = 0
    overdue_after: int = 0
    disposed: int = 0
    """Blobs whose bytes an approved disposal removed: not re-hashed, not missing."""
    damaged: list[Damage] = field(default_factory=list)
    event_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.damaged

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def schedule(store: Store) -> list[BlobDue]:
    """Every registered blob still kept, with its last successful verification, oldest first."""
    gone = disposed_blobs(store)
    registered, runs = blobs_and_runs(store, ACTION)
    blobs = [b for b in registered if b["sha256"] not in gone]
    last: dict[str, datetime] = {}
    for occurred_at, payload in runs:
        for sha256 in payload.get("checked", []):
            last[sha256] = occurred_at
    due = [
        BlobDue(b["sha256"], b["sm3"], int(b["size"]), last.get(b["sha256"], b["stored_at"]))
        for b in blobs
    ]
    due.sort(key=lambda b: (b.last_verified, b.sha256))
    return due


class _Throttle:
    """Sleeps so that reading never runs faster than ``rate`` bytes per second on average."""

    def __init__(
        self, rate: int, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self.rate, self.sleep, self.clock = rate, sleep, clock
        self.start = clock()
        self.done = 0

    def account(self, n: int) -> None:
        self.done += n
        if self.rate <= 0:
            return
        ahead = self.done / self.rate - (self.clock() - self.start)
        if ahead > 0:
            self.sleep(ahead)


def _rehash(
    store: Store, blob: BlobDue, throttle: _Throttle, step: Callable[[int], None]
) -> Damage | None:
    try:
        with store.blobs.open(blob.sha256) as source, DualHasher() as hasher:
            while chunk := source.read(CHUNK_SIZE):
                hasher.update(chunk)
                throttle.account(len(chunk))
                step(len(chunk))
            sha256, sm3 = hasher.hexdigests()
            size = hasher.size
    except LiuhenError as exc:
        if exc.code == "not_found":
            return Damage(blob.sha256, "missing", "文件缺失（被删除或存储位置有误）")
        return Damage(blob.sha256, "unreadable", f"文件无法读取：{exc.message}")
    except OSError as exc:
        return Damage(blob.sha256, "unreadable", f"文件无法读取：{exc.strerror or exc}")
    if (sha256, sm3, size) != (blob.sha256, blob.sm3, blob.size):
        return Damage(
            blob.sha256,
            "altered",
            f"文件内容已改变：现 SHA-256 {sha256[:16]}…，SM3 {sm3[:16]}…，{size} 字节"
            f"（登记为 {blob.size} 字节）",
        )
    return None


def _uses(store: Store, damaged: list[Damage]) -> None:
    """Fill in which cases and records use each damaged blob."""
    if not damaged:
        return
    by_sha = {d.sha256: d for d in damaged}
    for use in blob_uses(store, list(by_sha)):
        by_sha[use["sha256"]].uses.append(
            {
                "case_id": use["case_id"] or "",
                "case_number": use["case_number"] or "",
                "record_id": use["record_id"],
                "record_title": use["record_title"],
                "file_name": use["file_name"],
            }
        )


def run_fixity(
    store: Store,
    actor: Actor,
    *,
    limit: int | None = None,
    rate_mb: int | None = None,
    due_only: bool = False,
    progress: ByteProgress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FixityReport:
    """Re-hash blobs oldest-verified first (all, or only those past the cycle with
    ``due_only``; at most ``limit``), record the run on the ledger, and report."""
    require(actor, "integrity.fixity")
    cycle = store.settings.fixity_cycle_days
    rate = store.settings.fixity_rate_mb if rate_mb is None else rate_mb
    now = store.clock()
    cutoff = now - timedelta(days=cycle)
    blobs = schedule(store)
    report = FixityReport(
        started_at=now.isoformat(),
        cycle_days=cycle,
        rate_mb=rate,
        blobs=len(blobs),
        disposed=len(disposed_blobs(store)),
    )
    report.overdue_before = sum(1 for b in blobs if b.last_verified < cutoff)
    todo = [b for b in blobs if b.last_verified < cutoff] if due_only else blobs
    todo = todo[:limit] if limit is not None else todo
    total = sum(b.size for b in todo)
    throttle = _Throttle(rate * MB, sleep, clock)

    def step(n: int) -> None:
        report.bytes += n
        if progress:
            progress(report.bytes, total)

    intact: list[str] = []
    for blob in todo:
        damage = _rehash(store, blob, throttle, step)
        if damage is None:
            intact.append(blob.sha256)
        else:
            report.damaged.append(damage)
    report.checked = len(todo)
    _uses(store, report.damaged)
    report.finished_at = store.clock().isoformat()
    report.event_seq = _record(store, actor, report, intact)
    verified = set(intact)
    report.overdue_after = sum(
        1 for b in blobs if b.last_verified < cutoff and b.sha256 not in verified
    )
    return report


def _record(store: Store, actor: Actor, report: FixityReport, intact: list[str]) -> int:
    damaged = [
        {
            "sha256": d.sha256,
            "problem": d.problem,
            "cases": sorted({u["case_number"] for u in d.uses if u["case_number"]}),
        }
        for d in report.damaged
    ]
    with store.transaction(actor) as tx:
        seq = tx.record(
            ACTION,
            subject_type="store",
            subject_id="blobs",
            payload={
                "started_at": report.started_at,
                "checked": intact,
                "damaged": damaged,
                "bytes": report.bytes,
                "rate_mb": report.rate_mb,
                "cycle_days": report.cycle_days,
                "disposed": report.disposed,
            },
        )
        cases: dict[str, list[dict[str, str]]] = {}
        for d in report.damaged:
            for use in d.uses:
                if use["case_id"]:
                    cases.setdefault(use["case_id"], []).append(
                        {"sha256": d.sha256, "problem": d.problem, "record_id": use["record_id"]}
                    )
        for case_id, items in sorted(cases.items()):
            tx.record(
                "blob.damaged",
                subject_type="case",
                subject_id=case_id,
                case_id=case_id,
                payload={"fixity_event": seq, "files": items},
            )
    return seq
