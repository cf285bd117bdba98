"""Kill points for the crash campaign: ``os._exit(137)`` (what kill -9 leaves) at the N-th call
of one kind of operation, in a child process, before the call happens.

Kinds: ``write`` (``os.write``/``os.pwrite``: blob temp files, upload chunks, the checkpoint
log, journals), ``fsync``, ``rename`` (``os.rename``/``os.replace``: a blob put in place, an
info file, a package sealed), ``unlink``, ``commit`` (a database transaction, just before it
is sent) and ``log.append`` (the checkpoint log, right after a commit). Nothing of LiuHen is
changed: the hooks wrap the functions LiuHen calls, installed by ``tests.crash.driver``
before it runs the command.

``LIUHEN_CRASH_AT=kind:N`` picks the point (``kind@module:function:N``: the N-th such call made
by that LiuHen function, e.g. ``rename@archive.package:seal:1``); ``delay:MS`` kills MS milliseconds after the hooks
are installed instead, wherever the process is (in SQL, hashing, rendering the case-file PDF).
``LIUHEN_CRASH_TRACE=path`` writes every call as ``kind n site`` lines (the dry run that counts
an operation's points and names them).
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

KINDS = ("write", "fsync", "rename", "unlink", "commit", "log.append")
EXIT_CODE = 137
_SKIP = ("tests/crash/", "/contextlib.py", "/shutil.py", "/pathlib.py", "/tempfile.py")


class Hooks:
    def __init__(self, at: str | None, trace: str | None) -> None:
        point, _, n = (at or "").rpartition(":")
        self.kind, _, self.site = point.partition("@")
        self.n = int(n or 0)
        self.counts: Counter[str] = Counter()
        self.at_site = 0
        self.trace = open(trace, "a", buffering=1, encoding="utf-8") if trace else None  # noqa: SIM115

    def hit(self, kind: str) -> None:
        self.counts[kind] += 1
        n = self.counts[kind]
        site = _site() if self.trace is not None or (self.site and kind == self.kind) else ""
        if self.trace is not None:
            self.trace.write(f"{kind} {n} {site}\n")
        if kind != self.kind:
            return
        if self.site:
            if site != self.site:
                return
            self.at_site += 1
            n = self.at_site
        if n == self.n:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_CODE)


def _site() -> str:
    """The LiuHen function that made the call (module:function)."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if "/liuhen/" in path and not any(s in path for s in _SKIP):
            module = path.rsplit("/liuhen/", 1)[1].removesuffix(".py").replace("/", ".")
            return f"{module}:{frame.f_code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def _wrap(hooks: Hooks, kind: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        hooks.hit(kind)
        return real(*args, **kwargs)

    return wrapped


def install(at: str | None, trace: str | None) -> Hooks:
    """Wrap the operations in this process; return the hooks (their counts)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from liuhen.store.checkpoint_log import CheckpointLog

    hooks = Hooks(at, trace)
    if hooks.kind == "delay":
        timer = threading.Timer(hooks.n / 1000, lambda: os._exit(EXIT_CODE))
        timer.daemon = True
        timer.start()
    for name, kind in (
        ("write", "write"),
        ("pwrite", "write"),
        ("fsync", "fsync"),
        ("rename", "rename"),
        ("replace", "rename"),
        ("unlink", "unlink"),
    ):
        setattr(os, name, _wrap(hooks, kind, getattr(os, name)))
    event.listen(Engine, "commit", lambda conn: hooks.hit("commit"))
    CheckpointLog.append = _wrap(hooks, "log.append", CheckpointLog.append)  # type: ignore[method-assign]
    return hooks
