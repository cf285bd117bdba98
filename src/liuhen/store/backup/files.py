"""The data directory's files in a backup, and blobs, both ways.

Taking: the signing keys and the witness registry are copied while writers are held
(``take_files``); the append-only logs (``checkpoints.jsonl``, the kept cosignatures) are
measured then and copied up to that length afterwards (``finish_files``), so a long log holds
nobody up and the backup holds exactly the lines written before the snapshot. Blobs are
copied after the snapshot (``copy_blobs``): they are write-once, and a row is committed only
after its blob is in place, so every blob the snapshot's rows list is already stored.

Putting back: ``set_aside`` moves what a restore replaces into one folder of the data
directory; ``put_files`` copies the backup's keys, log and witness folder in; ``put_blobs``
stores the backup's blobs through the blob store (hashing them again on the way in).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liuhen.config import Settings
from liuhen.store.backup import BLOB_DIR, BLOB_LIST, KEYS_DIR, LOG_FILE, WITNESS_DIR
from liuhen.store.backup.manifest import copy_hashed, file_entry
from liuhen.store.blobs.base import BlobStore, is_key
from liuhen.store.blobs.local import LocalBlobStore

Progress = Callable[[int], None]
"""Called with the bytes done so far."""


def sources(settings: Settings) -> list[tuple[Path, str]]:
    """(file, its name in the backup) for the data directory's files a backup holds."""
    found: list[tuple[Path, str]] = []
    for folder in (KEYS_DIR, WITNESS_DIR):
        root = settings.data_dir / folder
        if root.is_dir():
            found += [(p, f"{folder}/{p.name}") for p in sorted(root.iterdir()) if p.is_file()]
    log = settings.checkpoint_log_path
    if log.is_file():
        found.append((log, LOG_FILE))
    return found


@dataclass
class TakenFiles:
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    logs: list[tuple[Path, str, int]] = field(default_factory=list)
    """Append-only logs still to copy: (file, name in the backup, bytes to copy)."""


def take_files(settings: Settings, out: Path) -> TakenFiles:
    """Inside ``writers_held``: copy the small files, measure the logs."""
    taken = TakenFiles()
    (out / KEYS_DIR).mkdir(mode=0o700, exist_ok=True)  # the signing key: owner only
    for path, name in sources(settings):
        if name.endswith(".jsonl"):
            taken.logs.append((path, name, path.stat().st_size))
        else:
            mode = 0o600 if name.startswith(KEYS_DIR + "/") else 0o644
            taken.entries[name] = copy_hashed(path, out / name, mode=mode)
    return taken


def finish_files(taken: TakenFiles, out: Path) -> dict[str, dict[str, Any]]:
    """After the lock: the logs as they stood at the snapshot; every entry for the MANIFEST."""
    for path, name, length in taken.logs:
        taken.entries[name] = copy_hashed(path, out / name, limit=length)
    return taken.entries


def blob_name(sha256: str) -> str:
    return f"{BLOB_DIR}/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


@dataclass
class BlobCopy:
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    count: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    """Blobs a row lists that the store no longer holds (disposed of, or lost)."""
    altered: list[str] = field(default_factory=list)
    """Blobs whose stored bytes no longer hash to their name (copied as found)."""


def copy_blobs(
    store: LocalBlobStore, rows: list[tuple[str, str, int]], out: Path, progress: Progress
) -> BlobCopy:
    """Copy every blob ``rows`` list from a local store into the backup."""
    done = BlobCopy()
    for sha256, _sm3, _size in sorted(rows):
        source = store.path_for(sha256)
        if not source.is_file():
            done.missing.append(sha256)
            continue
        entry = copy_hashed(source, out / blob_name(sha256), mode=0o444)
        done.entries[blob_name(sha256)] = entry
        done.count += 1
        done.bytes += entry["size"]
        if entry["sha256"] != sha256:
            done.altered.append(sha256)
        progress(done.bytes)
    return done


def list_objects(store: BlobStore, rows: list[tuple[str, str, int]], out: Path) -> BlobCopy:
    """For an object store: ``blobs.jsonl`` listing every object the rows list (key,
    SHA-256, SM3, size), the bucket listed once to find those it lacks."""
    from liuhen.store.blobs.s3 import S3BlobStore

    held = set(store.iter_keys())
    done = BlobCopy()
    lines = []
    for sha256, sm3, size in sorted(rows):
        if sha256 not in held:
            done.missing.append(sha256)
            continue
        key = store.key_for(sha256) if isinstance(store, S3BlobStore) else sha256
        lines.append(json.dumps({"key": key, "sha256": sha256, "sm3": sm3, "size": size}) + "\n")
        done.count += 1
        done.bytes += size
    target = out / BLOB_LIST
    with open(target, "x", encoding="utf-8") as f:
        f.writelines(lines)
        f.flush()
        os.fsync(f.fileno())
    done.entries[BLOB_LIST] = file_entry(target)
    return done


def listed_objects(source: Path) -> list[dict[str, Any]]:
    """The objects a backup's ``blobs.jsonl`` lists (already checked against the MANIFEST)."""
    text = (source / BLOB_LIST).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def objects_missing(store: BlobStore, source: Path) -> list[str]:
    """The objects the backup lists that the object store does not hold now."""
    held = set(store.iter_keys())
    return [o["sha256"] for o in listed_objects(source) if o["sha256"] not in held]


def set_aside(paths: Iterable[Path], folder: Path) -> list[str]:
    """Move each existing path (but an empty folder) into ``folder`` (made here); the names
    moved."""
    moved = []
    for path in paths:
        if path.is_file() or (path.is_dir() and any(path.iterdir())):
            folder.mkdir(parents=True, exist_ok=True)
            shutil.move(path, folder / path.name)  # the database may be on another disk
            moved.append(path.name)
    return moved


def put_files(source: Path, files: dict[str, Any], settings: Settings) -> None:
    """Copy the backup's keys, checkpoint log and witness folder into the data directory
    (the replaced ones were set aside first)."""
    data = settings.data_dir
    for folder in (KEYS_DIR, WITNESS_DIR):
        (data / folder).mkdir(mode=0o700 if folder == KEYS_DIR else 0o755, exist_ok=True)
    for name in sorted(files):
        folder = name.split("/", 1)[0]
        if name == LOG_FILE or (folder in (KEYS_DIR, WITNESS_DIR) and name.count("/") == 1):
            target = data / name
            target.unlink(missing_ok=True)
            mode = 0o600 if folder == KEYS_DIR else 0o644
            copy_hashed(source / name, target, mode=mode)


def put_sqlite(copy: Path, database: Path) -> None:
    """Put the backup's database file in place of ``database``: its WAL files (which belong
    to the file being replaced) go first, then the copy is renamed over it."""
    database.parent.mkdir(parents=True, exist_ok=True)
    temp = database.with_name(f".{database.name}.restoring")
    temp.unlink(missing_ok=True)
    copy_hashed(copy, temp, mode=0o600)
    for suffix in ("-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    os.replace(temp, database)
    fd = os.open(database.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def put_blobs(source: Path, files: dict[str, Any], store: BlobStore, progress: Progress) -> int:
    """Store every blob of the backup the store does not hold already; how many were put."""
    put, done = 0, 0
    for name, entry in sorted(files.items()):
        sha256 = name.rsplit("/", 1)[-1]
        if not name.startswith(BLOB_DIR + "/") or not is_key(sha256):
            continue
        if not store.exists(sha256):
            info = store.ingest_path(source / name)
            store.settle([info.sha256])  # its row is in the restored database already
            put += 1
        done += int(entry["size"])
        progress(done)
    return put


def remove_tree(path: Path) -> None:
    """Remove a folder this module made (a backup cut short by an error)."""
    shutil.rmtree(path, ignore_errors=True)
