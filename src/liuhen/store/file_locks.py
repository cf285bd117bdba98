"""Advisory locks on marker files and folders that a crashed process may have left: who
holds one is alive (``flock`` ends with its process), so whatever nobody holds is a leftover.
Used by the blob store's pending markers, scratch folders and the export journal."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path


def same_file(path: Path, fd: int) -> bool:
    """``fd`` is still the file at ``path`` (not removed or replaced since it was opened)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(fd))
    except FileNotFoundError:
        return False


def lock_unheld(path: Path, *, folder: bool = False) -> int | None:
    """An exclusively locked descriptor of ``path`` when nobody holds it and it is still
    there, else None (the caller closes it)."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if folder else 0)
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        raise
    if not same_file(path, fd):
        os.close(fd)
        return None
    return fd
