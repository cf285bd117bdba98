"""Exports under way, so that the next start finds what a crash left: ``<dir>/<id>.json``.

Before an export creates its partial folder beside ``--out`` (``package.PackageWriter``) it
writes an entry here naming the export, its case, what it is for, the partial folder and
``--out``, and holds an exclusive ``flock`` on the entry until the package is in place (the
entry is then removed) or the export failed before its event could be recorded (folder and
entry removed). A lock dies with its process, so an entry nobody holds is an export a crash
cut short; the next start settles it (``services.archiving.export_recovery``). An entry
appears under its final name already locked (written as ``<id>.json.tmp``, locked, renamed),
so a start never takes one that is live.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from liuhen.store.blobs.spool import fsync_dir, storage_error
from liuhen.store.file_locks import lock_unheld

log = logging.getLogger("liuhen.recovery")
SUFFIX = ".json"
TEMP_SUFFIX = ".json.tmp"


@dataclass(frozen=True)
class ExportEntry:
    export_id: str
    case_id: str
    purpose: str
    """``export``, or ``filing``/``on_demand`` for a package written only to be assessed."""
    out: str
    partial: str
    started_at: str


class ExportJournal:
    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)

    def begin(self, entry: ExportEntry) -> int:
        """Write ``entry`` durably and return the descriptor that holds its lock."""
        path = self.dir / f"{entry.export_id}{SUFFIX}"
        temp = path.with_name(path.name.removesuffix(SUFFIX) + TEMP_SUFFIX)
        data = json.dumps(asdict(entry), ensure_ascii=False).encode("utf-8")
        for _ in range(10):
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            except OSError as exc:
                raise storage_error(exc, self.dir) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, data)
                os.fsync(fd)
                os.rename(temp, path)  # gone if a start took the temp entry meanwhile
                fsync_dir(self.dir)
                return fd
            except FileNotFoundError:
                os.close(fd)
            except OSError as exc:
                os.close(fd)
                temp.unlink(missing_ok=True)
                raise storage_error(exc, path) from exc
        raise storage_error(OSError(errno.EAGAIN, "导出记录被反复清理"), path)

    def end(self, export_id: str, fd: int) -> None:
        """The export is settled: remove its entry and let the lock go."""
        try:
            (self.dir / f"{export_id}{SUFFIX}").unlink(missing_ok=True)
        finally:
            os.close(fd)

    def unheld(self) -> Iterator[tuple[Path, ExportEntry | None, int]]:
        """Each entry nobody holds (``None`` for one that cannot be read), with a descriptor
        holding its lock for the caller to settle it and close; temp entries of a crash
        before the rename are removed on the way."""
        for path in self._paths():
            fd = lock_unheld(path)
            if fd is None:
                continue
            if path.name.endswith(TEMP_SUFFIX):
                path.unlink(missing_ok=True)
                os.close(fd)
                log.warning("已删除中断的导出未写完的记录 %s", path)
                continue
            yield path, read_entry(path), fd

    def stale(self, older_than: float) -> list[tuple[Path, ExportEntry | None, float]]:
        """(path, entry, age in seconds) of the entries nobody holds, older than
        ``older_than`` seconds; reads only."""
        out, now = [], time.time()
        for path in self._paths():
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age < older_than:
                continue
            fd = lock_unheld(path)
            if fd is not None:
                os.close(fd)
                entry = None if path.name.endswith(TEMP_SUFFIX) else read_entry(path)
                out.append((path, entry, age))
        return out

    def _paths(self) -> list[Path]:
        try:
            names = sorted(os.listdir(self.dir))
        except FileNotFoundError:
            return []
        return [self.dir / n for n in names if n.endswith((SUFFIX, TEMP_SUFFIX))]


def read_entry(path: Path) -> ExportEntry | None:
    try:
        data = json.loads(path.read_text("utf-8"))
        return ExportEntry(**{k: str(data[k]) for k in ExportEntry.__dataclass_fields__})
    except (OSError, ValueError, TypeError, KeyError):
        return None
