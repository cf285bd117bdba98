"""``liuhen gc``: stored objects no row refers to, listed, then reclaimed on the ledger.

A blob is put in place before the row that registers it commits (``store/blobs/base``), so
a writer that dies in between, or whose database connection is cut, leaves an object that
no row refers to. The start-up recovery removes those its node's pending markers name; the
rest (an S3 object whose writer ran on another node, a marker lost with its node, a writer
still alive holding its marker when the database went away) only a listing of the whole
store against the rows finds.

``unreferenced`` reads only. A candidate is an object that no blob row, record file or
disposal refers to, last written before the grace period (``LIUHEN_GC_GRACE_HOURS``, 24 by
default), whose pending marker no live process holds (an ingest still running).

``reclaim`` deletes the listed candidates and nothing else, a batch at a time: each is first
re-hashed (outside any lock: its SHA-256, SM3 and size go on the ledger); then one
transaction holds the ledger's head, reads the rows again, and for each candidate takes its
marker (an ingest on this node waits for it), checks it is still unreferenced and as old,
deletes it, and records one ``store.reclaimed`` event listing what went. A writer on any
node that found the blob stored and is registering it meanwhile meets the deletion at its
commit, which checks under the same head that its blobs are still there
(``Tx.check_blobs_stored``): it is refused and stores the file again, never committing a row
without its bytes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from liuhen.errors import LiuhenError, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.archiving.queries.gc import CHUNK, referenced, referenced_now
from liuhen.store.blobs.base import StoredObject
from liuhen.store.store import Store

log = logging.getLogger("liuhen.gc")

RECLAIMED = "store.reclaimed"
"""The ledger action of a gc run's deletions (one event per ``BATCH`` objects)."""
BATCH = 200
"""Objects deleted under one hold of the ledger's head (writers wait for at most one)."""

REASONS = {
    "interrupted": "写入中断的残留：写入它的进程已结束，登记它的记录从未提交",
    "unreferenced": "没有任何记录引用：写入后登记它的事务未提交（如数据库连接中断）",
}
KEPT = {
    "referenced": "列出之后已有记录引用它，保留",
    "in_use": "正被写入它的进程持有（可能正在登记），保留",
    "changed": "列出之后被重新写入，保留",
    "gone": "已不在存储中",
}

ByteProgress = Callable[[int, int], None]
"""(bytes re-hashed so far, bytes to re-hash)."""


@dataclass(frozen=True)
class Candidate:
    sha256: str
    key: str
    """Where it is: the file's path or the object's key."""
    size: int
    modified: float
    age_seconds: float
    reason: str
    """``interrupted`` (a marker nobody holds: its ingest died) or ``unreferenced``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "modified": _iso(self.modified),
            "message": REASONS[self.reason],
        }


@dataclass
class Listing:
    location: str
    grace_hours: float
    listed_at: float
    stored: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    young: int = 0
    """Unreferenced objects written within the grace period: left alone."""
    in_use: int = 0
    """Unreferenced objects whose marker a live ingest holds: left alone."""

    @property
    def cutoff(self) -> float:
        """Objects written after this (POSIX seconds) are never reclaimed."""
        return self.listed_at - self.grace_hours * 3600

    @property
    def total_bytes(self) -> int:
        return sum(c.size for c in self.candidates)

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "grace_hours": self.grace_hours,
            "listed_at": _iso(self.listed_at),
            "stored": self.stored,
            "count": len(self.candidates),
            "bytes": self.total_bytes,
            "candidates": [c.to_dict() for c in self.candidates],
            "young": self.young,
            "in_use": self.in_use,
        }


@dataclass
class Reclaimed:
    removed: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)
    event_seqs: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "bytes": sum(int(r["size"]) for r in self.removed)}


def unreferenced(store: Store, grace: timedelta, *, now: float | None = None) -> Listing:
    """The candidates (see the module docstring), by key; reads only. ``now`` (POSIX
    seconds) is when objects' ages are counted from: the wall clock unless given."""
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    listing = Listing(
        store.blobs.describe(),
        grace.total_seconds() / 3600,
        time.time() if now is None else now,
    )
    chunk: list[StoredObject] = []
    for obj in store.blobs.iter_objects():
        listing.stored += 1
        chunk.append(obj)
        if len(chunk) == CHUNK:
            _sort(store, listing, chunk)
            chunk = []
    _sort(store, listing, chunk)
    return listing


def _sort(store: Store, listing: Listing, objects: list[StoredObject]) -> None:
    known = referenced_now(store, [o.sha256 for o in objects])
    for obj in objects:
        if obj.sha256 in known:
            continue
        held = store.blobs.marker_held(obj.sha256)
        if held:
            listing.in_use += 1
        elif obj.modified > listing.cutoff:
            listing.young += 1
        else:
            listing.candidates.append(
                Candidate(
                    obj.sha256,
                    store.blobs.location(obj.sha256),
                    obj.size,
                    obj.modified,
                    max(0.0, listing.listed_at - obj.modified),
                    "interrupted" if held is False else "unreferenced",
                )
            )


def reclaim(
    store: Store, actor: Actor, listing: Listing, *, progress: ByteProgress | None = None
) -> Reclaimed:
    """Delete ``listing``'s candidates that are still candidates, recording each batch.
    Nothing is deleted without a usable signing key (the deletion could not be recorded)."""
    store.key  # noqa: B018  (ConfigError naming the key before anything is deleted)
    done = Reclaimed()
    total, hashed = listing.total_bytes, [0]

    def step(size: int) -> None:
        hashed[0] += size
        if progress is not None:
            progress(hashed[0], total)

    for start in range(0, len(listing.candidates), BATCH):
        batch = listing.candidates[start : start + BATCH]
        try:
            _reclaim_batch(store, actor, listing, batch, done, step)
        except LiuhenError as exc:
            if done.event_seqs:
                exc.message += (
                    f"（此前已删除 {len(done.removed)} 个文件并记入日志："
                    f"事件 {'、'.join(f'#{s}' for s in done.event_seqs)}）"
                )
            raise
    return done


def _reclaim_batch(
    store: Store,
    actor: Actor,
    listing: Listing,
    batch: list[Candidate],
    done: Reclaimed,
    step: Callable[[int], None],
) -> None:
    """Re-hash the batch, then delete and record it under the ledger's head (one
    transaction). A failure after some deletions still records those, then is raised."""
    digests = _digests(store, batch, done, step)
    removed: list[dict[str, Any]] = []
    failure: LiuhenError | None = None
    try:
        with store.transaction(actor) as tx:
            tx.hold_head()  # first: no writer registers a blob until this commits
            known = referenced(tx.conn, [c.sha256 for c in digests])
            for cand, (sha256, sm3, size) in digests.items():
                try:
                    why = "referenced" if cand.sha256 in known else _delete(store, listing, cand)
                except LiuhenError as exc:
                    failure = exc
                    break
                if why is not None:
                    done.kept.append({"sha256": cand.sha256, "why": why, "message": KEPT[why]})
                    continue
                removed.append(_entry(cand, sha256, sm3, size))
            if removed:
                done.event_seqs.append(
                    tx.record(
                        RECLAIMED,
                        subject_type="store",
                        subject_id="blobs",
                        payload=_payload(listing, removed),
                    )
                )
    except Exception as exc:
        if removed:
            keys = "、".join(r["sha256"] for r in removed)
            log.error("已删除 %d 个未登记的文件，但未能记入日志：%s", len(removed), keys)
            if isinstance(exc, LiuhenError):
                exc.message += f"；已删除的 {len(removed)} 个未登记文件未能记入日志：{keys}"
        raise
    done.removed.extend(removed)
    if failure is not None:
        raise failure


def _digests(
    store: Store, batch: list[Candidate], done: Reclaimed, step: Callable[[int], None]
) -> dict[Candidate, tuple[str, str, int]]:
    """Each candidate's (sha256, sm3, size) as its bytes are now; those gone are kept."""
    out: dict[Candidate, tuple[str, str, int]] = {}
    for cand in batch:
        try:
            out[cand] = store.blobs.rehash(cand.sha256)
        except NotFound:
            done.kept.append({"sha256": cand.sha256, "why": "gone", "message": KEPT["gone"]})
        step(cand.size)
    return out


def _delete(store: Store, listing: Listing, cand: Candidate) -> str | None:
    """Delete ``cand`` holding its marker, unless it is held, gone or written again since
    the listing; None when deleted, else why it was kept."""
    with store.blobs.collecting(cand.sha256) as free:
        if not free:
            return "in_use"
        now = store.blobs.stat(cand.sha256)
        if now is None:
            return "gone"
        if now.modified > listing.cutoff or now.size != cand.size:
            return "changed"
        try:
            store.blobs.delete(cand.sha256)
        except NotFound:
            return "gone"
    return None


def _entry(cand: Candidate, sha256: str, sm3: str, size: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": cand.key,
        "sha256": sha256,
        "sm3": sm3,
        "size": size,
        "modified": _iso(cand.modified),
        "reason": cand.reason,
    }
    if sha256 != cand.sha256:  # bytes that did not match their name: say so
        entry["stored_as"] = cand.sha256
    return entry


def _payload(listing: Listing, removed: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "location": listing.location,
        "grace_seconds": round(listing.grace_hours * 3600),
        "listed_at": _iso(listing.listed_at),
        "count": len(removed),
        "bytes": sum(int(r["size"]) for r in removed),
        "objects": removed,
    }


def _iso(posix: float) -> str:
    return datetime.fromtimestamp(posix, UTC).isoformat()
