"""Signed checkpoints kept outside the database: a JSON-lines file and witness directories.

Each line holds one checkpoint as a C2SP signed note (``{"note": ...}``,
``ledger.note.log_entry``); lines older stores wrote as JSON objects
(``checkpoint_to_dict``) are read as before (``ledger.note.read_log_entry``), so an existing
log still verifies and simply continues in the new form.

If the whole database is rolled back to an earlier state, these copies still hold the
later checkpoints, and ``liuhen verify`` reports a tree that is smaller than one it
already signed. Every checkpoint the database signs is appended to each copy right after
its transaction commits, so each copy holds every checkpoint of the database (a witness:
every one from its first line on): ``liuhen verify`` reports a copy that is missing, cut
short or lacks lines (``sources`` and ``read`` give it what each copy holds, whatever
state the file is in).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from liuhen.errors import StorageError
from liuhen.ledger.note import read_log_entry

if TYPE_CHECKING:
    from liuhen.store.object_log import ObjectLog

WITNESS_FILE = "checkpoints.jsonl"


@dataclass(frozen=True)
class LogSource:
    """One copy: the data directory's own log (``witness`` False) or a witness's file; with
    ``shared``, the store's own log in the object store instead of the data directory's."""

    path: Path
    witness: bool
    shared: ObjectLog | None = None

    @property
    def label(self) -> str:
        return self.shared.location if self.shared is not None else str(self.path)


@dataclass
class LogContents:
    """What one copy holds: ``lines`` as (line number, entry or None when the line is not a
    JSON object), parsed as they are iterated (once); ``missing`` when there is no file;
    ``error`` when it cannot be read (set too when reading fails while ``lines`` are
    iterated: look again after)."""

    lines: Iterable[tuple[int, dict[str, Any] | None]]
    missing: bool = False
    error: str | None = None


def append_line(target: Path, entry: dict[str, Any]) -> None:
    """Append one entry as a JSON line, synced to disk."""
    line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


class CheckpointLog:
    """The data directory's log and the setting's witness directory (written here, in
    ``append``), plus the directories registered with ``liuhen witness add`` (written by
    ``store.witnesses.publisher``; ``registered`` lists them, for reading)."""

    def __init__(
        self,
        path: Path,
        witness_dirs: tuple[Path, ...] = (),
        registered: Callable[[], list[Path]] = list,
        shared: ObjectLog | None = None,
    ) -> None:
        self.path = path
        self.witness_dirs = witness_dirs
        self.registered = registered
        self.shared = shared
        """The log every node of a cluster writes (S3 store): replaces ``path``."""

    def sources(self) -> list[LogSource]:
        dirs = list(self.witness_dirs)
        dirs += [d for d in self.registered() if d not in dirs]
        own = LogSource(self.path, False, self.shared)
        return [own, *(LogSource(d / WITNESS_FILE, True) for d in dirs)]

    def append(self, entry: dict[str, Any]) -> None:
        """Append a checkpoint to every copy, right after its transaction committed.
        ``StorageError`` when a copy could not be written (a full disk, the shared log's
        bucket down), after trying every copy: the write stands (committed and signed), the
        next start adds what a copy lacks (``store.recovery``), and the message says so,
        not "nothing saved"."""
        failed: list[str] = []
        if self.shared is not None:
            try:
                self.shared.append(entry)
            except StorageError as exc:
                failed.append(exc.message)
        files = [] if self.shared is not None else [self.path]
        for target in [*files, *(d / WITNESS_FILE for d in self.witness_dirs)]:
            try:
                append_line(target, entry)
            except OSError as exc:
                size = read_log_entry(entry)[0].tree_size
                failed.append(
                    f"检查点 @{size} 已签名，但写入检查点记录 {target} 失败"
                    f"（{exc.strerror or exc}）：下次启动时补写；请检查磁盘"
                )
        if failed:
            raise StorageError(f"本次操作已保存，请勿重复提交。{'；'.join(failed)}")

    @staticmethod
    def read(source: LogSource) -> LogContents:
        """Every non-blank line of one copy as it is now, parsed one at a time as the
        caller iterates (a copy grows by a line a write transaction: a million lines are
        not held); never raises for what the file holds. A local file is read up to the
        size it had when opened: lines appended meanwhile are not this reading's."""
        if source.shared is not None:
            try:
                data = b"\n".join(source.shared.lines())
            except OSError as exc:
                return LogContents([], error=str(exc))
            if not data:
                return LogContents([], missing=True)
            return LogContents(_entries(io.BytesIO(data), len(data)))
        try:
            file = source.path.open("rb")
        except FileNotFoundError:
            return LogContents([], missing=True)
        except OSError as exc:
            return LogContents([], error=exc.strerror or type(exc).__name__)
        try:
            size = file.seek(0, os.SEEK_END)
            file.seek(0)
        except OSError as exc:
            file.close()
            return LogContents([], error=exc.strerror or type(exc).__name__)
        contents = LogContents([])
        contents.lines = _read_lines(file, size, contents)
        return contents

    def entries(self) -> list[tuple[str, int, dict[str, Any] | None]]:
        """(source, line number, entry or None when the line is not a JSON object), over
        every copy that exists."""
        return [
            (str(source.path), number, entry)
            for source in self.sources()
            for number, entry in self.read(source).lines
        ]


def _read_lines(
    file: BinaryIO, size: int, contents: LogContents
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``_entries`` of an open copy up to ``size``, its size when opened; a failure to read
    is noted in ``contents.error`` and ends the lines."""
    with file:
        try:
            yield from _entries(file, size)
        except OSError as exc:
            contents.error = exc.strerror or type(exc).__name__


def _entries(lines: Iterable[bytes], size: int) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """The non-blank lines within the first ``size`` bytes, numbered, each a dict or None."""
    at = 0
    for number, raw in enumerate(lines, start=1):
        if at >= size:
            return
        raw, at = raw[: size - at], at + len(raw)
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            entry = None
        yield number, entry if isinstance(entry, dict) else None


TAIL = 64 * 1024
"""Bytes read from the end of a copy to find its newest checkpoint (lines are ~400 bytes)."""


def newest_in(copy: Path) -> int | None:
    """The largest tree size among the last lines of a copy (-1 when they hold none); None
    without a file. Only the tail is read: a log grows by a line a transaction, and what a
    crash keeps from it is the newest lines. Every command and start asks (``recovery``):
    each line's size is read off as it claims it, and only the lines of the largest claims
    are read in full (``read_log_entry``), until one holds (160 full reads took ~10 ms)."""
    try:
        with open(copy, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - TAIL))
            lines = f.read().split(b"\n")
    except FileNotFoundError:
        return None
    if size > TAIL:
        lines = lines[1:]  # the first may be cut
    claims = []
    for raw in lines:
        try:
            entry = json.loads(raw)
            claimed = _claimed_size(entry)  # (ValueError: a size past int's 4,300 digits)
        except (ValueError, RecursionError):
            continue
        if claimed is not None:
            claims.append((claimed, entry))
    newest = -1
    for claimed, entry in sorted(claims, key=lambda c: c[0], reverse=True):
        if claimed <= newest:
            break
        try:
            newest = max(newest, read_log_entry(entry)[0].tree_size)
        except (ValueError, TypeError, KeyError, RecursionError):
            continue
    return newest


def _claimed_size(entry: object) -> int | None:
    """The tree size a log line claims (a signed note's second line; the older JSON form's
    ``tree_size``), read without checking the rest; None when it claims none. A line that
    ``read_log_entry`` accepts always claims the size it gives."""
    if not isinstance(entry, dict):
        return None
    note = entry.get("note")
    if isinstance(note, str):
        parts = note.split("\n", 2)
        text = parts[1] if len(parts) > 1 else ""
        return int(text) if text.isascii() and text.isdigit() else None
    claimed = entry.get("tree_size")
    return claimed if type(claimed) is int else None
