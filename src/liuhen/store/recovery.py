"""What a crash can leave in the store itself, repaired at the next start.

- events committed but not yet signed over (``LIUHEN_CHECKPOINT_MS``: a tail the process
  would have signed within the interval): signed now (``Checkpointing.sign_tail``; never
  over events that are neither tiled nor signed: those ``liuhen verify`` reports). A start
  with ``LIUHEN_CHECKPOINT_MS`` 0 signs no tail (with 0 LiuHen never leaves one, so it is
  not told apart from events appended outside): it logs the events left unsigned and the
  start reports them (``tail_left``), so a setting changed to 0 after a crash is seen;
- temp files of ingests cut short (``blobs.cleanup_temp``);
- blobs put in place whose row never committed (``blobs.recover_pending``): removed, so no
  stored object is without its row;
- copies of the checkpoint log behind the database: a transaction commits, then its signed
  checkpoint is appended to the log and each witness file; a crash in between leaves a copy
  without the newest checkpoints, which are appended from the database. Only what is newer
  than the copy's newest line is appended, only to a copy that exists, and only as many as
  crashes can lose (``CRASH_GAP``: one per writing process killed): a copy deleted, cut
  short by more, or rolled back is ``liuhen verify``'s to report, never repaired here.

``recover_store`` does each; ``store_leftovers`` lists what a start has not yet
repaired, reading only.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from liuhen.ledger.checkpoint import Checkpoint, checkpoint_to_dict, verify_checkpoint
from liuhen.ledger.note import checkpoint_note, log_entry
from liuhen.store import tables as t
from liuhen.store.checkpoint_log import CheckpointLog, LogSource, newest_in
from liuhen.store.store import Store

log = logging.getLogger("liuhen.recovery")
CRASH_GAP = 8
"""At most this many checkpoints are appended to a copy at a start (see the docstring)."""


@dataclass
class StoreRecovery:
    temp_files: int = 0
    orphan_blobs: list[str] = field(default_factory=list)
    checkpoints_appended: dict[str, int] = field(default_factory=dict)
    """Copy of the checkpoint log -> how many checkpoints were appended to it."""
    witnesses: dict[str, str] = field(default_factory=dict)
    """Witness -> what sending it the newest checkpoint gave (``ok`` or why not)."""
    tail_signed: int | None = None
    """The size of the checkpoint signed over a tail of events a crash left unsigned."""
    tail_left: tuple[int, int] | None = None
    """(first, end) of events still unsigned after the start: a tail it may not sign
    (``LIUHEN_CHECKPOINT_MS`` 0) or a ledger ``liuhen verify`` finds damaged."""


def recover_store(store: Store) -> StoreRecovery:
    """Blob temp files, blobs whose row never committed, the checkpoint log's missed tail."""
    done = StoreRecovery()
    for action in store_steps(store, done).values():
        action()
    return done


def store_steps(store: Store, done: StoreRecovery) -> dict[str, Callable[[], None]]:
    """The store's recovery steps by name, each filling its part of ``done``: a caller can
    run each on its own, so that one that fails does not stop the others."""

    def temp() -> None:
        done.temp_files = store.blobs.cleanup_temp()

    def tail() -> None:
        done.tail_signed = store.signing.sign_tail()
        if not store.signing.interval_ms:  # with one, what is left is another's young tail
            done.tail_left = unsigned_events(store)
        if done.tail_left is not None:
            first, end = done.tail_left
            log.error(
                "日志事件 #%d–#%d 未被任何检查点覆盖，启动时未签发：若为设置了 "
                "LIUHEN_CHECKPOINT_MS 的进程中断留下，请以该设置再启动一次；否则请运行 "
                "liuhen verify 核查",
                first,
                end - 1,
            )

    def pending() -> None:
        done.orphan_blobs = store.blobs.recover_pending(lambda sha: registered(store, sha))

    def checkpoints() -> None:
        done.checkpoints_appended = catch_up_checkpoint_log(store)

    def witnesses() -> None:
        done.witnesses = catch_up_witnesses(store)

    return {
        "未签名的日志末尾": tail,
        "临时文件": temp,
        "未登记的文件": pending,
        "检查点记录": checkpoints,
        "见证": witnesses,
    }


def unsigned_events(store: Store) -> tuple[int, int] | None:
    """(first, end) of the events after the newest signed checkpoint; None: none."""
    with store.read() as conn:
        head = conn.execute(select(t.ledger_head.c.next_seq)).scalar()
        signed = conn.execute(select(func.max(t.checkpoints.c.tree_size))).scalar()
    end, first = int(head or 0), int(signed or 0)
    return (first, end) if end > first else None


def catch_up_witnesses(store: Store) -> dict[str, str]:
    """Send the newest signed checkpoint to every registered witness (one that was down
    catches up: a witness needs only the newest, with a proof from the last it saw)."""
    if not store.witnesses.specs() or store.public_key is None:
        return {}
    newest = checkpoints_after(store, -1, newest_only=True)
    if not newest:
        return {}
    cp, signature, _fingerprint = newest[0]
    note = checkpoint_note(cp, signature, store.public_key)
    return store.witnesses.publish(cp, note, force=True)


def registered(store: Store, sha256: str) -> bool:
    with store.read() as conn:
        found = conn.execute(select(t.blobs.c.sha256).where(t.blobs.c.sha256 == sha256)).first()
    return found is not None


def log_copies(store: Store) -> list[Path]:
    log_ = store.checkpoint_log
    own = [log_.path] if log_.shared is None else []  # the shared log: catch_up_shared_log
    return [*own, *(d / "checkpoints.jsonl" for d in log_.witness_dirs)]


def catch_up_shared_log(store: Store) -> dict[str, int]:
    """The shared log (S3 store): begun from this node's ``checkpoints.jsonl`` when it is
    still empty (the first start after a store became shared), then given the database's
    checkpoints newer than its newest, as each file is."""
    shared = store.checkpoint_log.shared
    newest = shared.newest() if shared is not None else None
    if shared is None or newest is None:
        return {}
    seeded = 0
    if newest < 0 and store.checkpoint_log.path.is_file():
        for _, entry in CheckpointLog.read(LogSource(store.checkpoint_log.path, False)).lines:
            with suppress(ValueError, TypeError, KeyError):
                shared.append(entry)  # type: ignore[arg-type]
                seeded += 1
        newest = shared.newest()
        if newest is None:
            return {}
    missing = [_entry(store, *found) for found in checkpoints_after(store, newest)]
    if newest >= 0 and len(missing) > CRASH_GAP:
        log.error(
            "共享检查点记录 %s 缺少数据库已签名的 %d 个检查点，多于中断所能造成的：未补写，"
            "请运行 liuhen verify 核查",
            shared.location,
            len(missing),
        )
        missing = []
    for entry in missing:
        shared.append(entry)
    done = seeded + len(missing)
    return {shared.location: done} if done else {}


def catch_up_checkpoint_log(store: Store) -> dict[str, int]:
    """Append to each existing copy the database's checkpoints newer than its newest line."""
    appended: dict[str, int] = catch_up_shared_log(store)
    for copy in log_copies(store):
        newest = newest_in(copy)
        if newest is None:
            continue
        missing = [_entry(store, *found) for found in checkpoints_after(store, newest)]
        if not missing:
            continue
        if len(missing) > CRASH_GAP:
            log.error(
                "检查点记录 %s 缺少数据库已签名的 %d 个检查点，多于中断所能造成的：未补写，"
                "请运行 liuhen verify 核查",
                copy,
                len(missing),
            )
            continue
        data = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in missing)
        fd = os.open(copy, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, data.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        appended[str(copy)] = len(missing)
        log.warning(
            "检查点记录 %s 缺少中断前最后签名的 %d 个检查点，已从数据库补上", copy, len(missing)
        )
    return appended


def _entry(store: Store, cp: Checkpoint, signature: bytes, fingerprint: str) -> dict[str, Any]:
    """A log line as the store writes it (a signed note); the older JSON form for a
    checkpoint signed by a key other than the current one (before a rotation)."""
    public = store.public_key
    if public is not None and verify_checkpoint(public, cp, signature):
        return log_entry(cp, signature, public)
    return checkpoint_to_dict(cp, signature, fingerprint)


def checkpoints_after(
    store: Store, tree_size: int, *, newest_only: bool = False
) -> list[tuple[Checkpoint, bytes, str]]:
    """The database's signed checkpoints over more than ``tree_size`` events, oldest first
    (``newest_only``: the newest alone)."""
    query = select(t.checkpoints).where(t.checkpoints.c.tree_size > tree_size)
    if newest_only:
        query = query.order_by(t.checkpoints.c.tree_size.desc()).limit(1)
    else:
        query = query.order_by(t.checkpoints.c.tree_size)
    with store.read() as conn:
        rows = conn.execute(query).mappings()
        return [
            (
                Checkpoint(
                    int(r["tree_size"]), bytes.fromhex(r["root_hash"]), r["signed_at"], r["origin"]
                ),
                bytes(r["signature"]),
                str(r["key_fingerprint"]),
            )
            for r in rows
        ]


def store_leftovers(store: Store, older_than: float) -> list[tuple[str, str, float]]:
    """(kind, where, age in seconds) of what a crash left in the store that no start has
    repaired yet, untouched for ``older_than`` seconds; reads only."""
    found = [("blob_temp", str(p), age) for p, age in store.blobs.stale_temp(older_than)]
    found += [
        ("blob_unregistered", sha, age)
        for sha, age in store.blobs.pending_leftovers(older_than)
        if not registered(store, sha)
    ]
    return found
