"""``liuhen backup --out DIR``: a consistent snapshot of the whole store while the app runs.

The backup is first recorded (``store.backed_up``, so the snapshot holds the event that says
who made it and where to), then the database's snapshot is pinned while writers are held and
the data directory's keys, witness registry and logs are read as they stood then
(``store.backup``); the database is then written out (SQLite online backup, ``pg_dump``), the
blobs its rows list are copied (a local store) or listed with their digests (an object store:
copying a bucket is its replication's job), and the MANIFEST is written last with the ledger's
size and root at the snapshot and the SHA-256 of every file.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liuhen import __version__
from liuhen.errors import InvalidInput, LiuhenError, StorageError
from liuhen.ledger.events import Actor
from liuhen.store.backup import LOG_FILE, files, postgres
from liuhen.store.backup.manifest import file_entry, write_manifest
from liuhen.store.backup.snapshot import SnapshotState, open_snapshot, writers_held
from liuhen.store.blobs.local import LocalBlobStore
from liuhen.store.store import Store

BACKED_UP = "store.backed_up"
"""The ledger action of a backup: recorded just before its snapshot, so the backup holds it."""

Progress = Callable[[str, int, int], None]
"""(stage, done, total): bytes of blobs copied."""


def back_up(
    store: Store, actor: Actor, out: Path, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Write a backup of ``store`` into the new or empty directory ``out``; what it holds.
    A backup cut short by an error is removed (it would have no MANIFEST)."""
    out = _prepare(store, out)
    if not store.settings.is_sqlite:
        postgres.tool("pg_dump")  # before anything is recorded or written
    backup_id = uuid.uuid4().hex
    recorded, why_not = _record(store, actor, backup_id, out)
    try:
        return _write(store, out, backup_id, recorded, why_not, progress)
    except (LiuhenError, OSError) as exc:
        files.remove_tree(out)
        if isinstance(exc, LiuhenError):
            raise
        raise StorageError(
            f"写入备份 {out} 失败：{exc.strerror or exc}；已删除不完整的备份"
        ) from exc


def _prepare(store: Store, out: Path) -> Path:
    """``out`` made (owner only: it holds the signing key), or ``InvalidInput`` when it is
    a file, not empty, or inside what is backed up."""
    out = out.expanduser().resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(
            f"--out: {out} 已存在且不是空目录：请给出新的备份目录（备份不覆盖、不合并已有文件）"
        )
    inside = [store.settings.data_dir / "keys", store.settings.data_dir / "witnesses"]
    if isinstance(store.blobs, LocalBlobStore):
        inside.append(store.blobs.root)
    if any(out.is_relative_to(p.resolve()) for p in inside):
        raise InvalidInput(
            f"--out: {out} 在被备份的目录之内：请放到数据目录的 keys、witnesses 和文件存储之外"
        )
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"--out: 无法创建备份目录 {out}（{exc.strerror}）") from None
    return out


def _record(store: Store, actor: Actor, backup_id: str, out: Path) -> tuple[int | None, str | None]:
    """The backup's event (its seq), or why it could not be recorded (no usable signing key:
    the backup is still made, since that is when one is needed most)."""
    if store.key_problem is not None:
        return None, store.key_problem
    payload = {
        "backup_id": backup_id,
        "out": str(out),
        "engine": "sqlite" if store.settings.is_sqlite else "postgresql",
    }
    with store.transaction(actor) as tx:
        return tx.record(BACKED_UP, subject_type="store", subject_id="all", payload=payload), None


def _write(
    store: Store,
    out: Path,
    backup_id: str,
    recorded: int | None,
    why_not: str | None,
    progress: Progress | None,
) -> dict[str, Any]:
    shared = store.checkpoint_log.shared  # the cluster's log, in the bucket (S3 store)
    with writers_held(store.engine):
        snapshot = open_snapshot(store.settings, store.engine)
        try:
            taken = files.take_files(store.settings, out)
            logged = shared.keys() if shared is not None else None
        except BaseException:
            snapshot.close()
            raise
    try:
        entries = files.finish_files(taken, out)
        if shared is not None and logged is not None:  # the log as it stood at the snapshot
            (out / LOG_FILE).write_bytes(b"".join(x + b"\n" for x in shared.lines(logged)))
            entries[LOG_FILE] = file_entry(out / LOG_FILE)
        database, state = snapshot.write(out)
    finally:
        snapshot.close()
    entries[database] = file_entry(out / database)
    blobs = _blobs(store, state, out, progress)
    entries.update(blobs.entries)
    body = _manifest(store, backup_id, state, recorded, why_not, blobs, entries)
    write_manifest(out, body)
    return {"out": str(out), **{k: v for k, v in body.items() if k != "files"}}


def _blobs(
    store: Store, state: SnapshotState, out: Path, progress: Progress | None
) -> files.BlobCopy:
    total = sum(size for _sha, _sm3, size in state.blobs)

    def step(done: int) -> None:
        if progress is not None:
            progress("blobs", done, total)

    if isinstance(store.blobs, LocalBlobStore):
        return files.copy_blobs(store.blobs, state.blobs, out, step)
    return files.list_objects(store.blobs, state.blobs, out)


def _manifest(
    store: Store,
    backup_id: str,
    state: SnapshotState,
    recorded: int | None,
    why_not: str | None,
    blobs: files.BlobCopy,
    entries: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    local = isinstance(store.blobs, LocalBlobStore)
    return {
        "backup_id": backup_id,
        "created_at": datetime.now(UTC).isoformat(),
        "liuhen_version": __version__,
        "engine": "sqlite" if store.settings.is_sqlite else "postgresql",
        "schema_revision": state.revision,
        "ledger": state.ledger.to_dict(),
        "recorded_seq": recorded,
        "not_recorded": why_not,
        "blob_store": {
            "kind": "local" if local else "s3",
            "location": store.blobs.describe(),
            "copied": local,
            "count": blobs.count,
            "bytes": blobs.bytes,
            "missing": blobs.missing,
            "altered": blobs.altered,
        },
        "file_count": len(entries),
        "total_bytes": sum(int(e["size"]) for e in entries.values()),
        "files": entries,
    }
