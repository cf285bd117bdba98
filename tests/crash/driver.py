"""The child of one crash point: ``python -m tests.crash.driver OP ARGS...`` with the hooks
installed (``LIUHEN_CRASH_AT``, ``LIUHEN_CRASH_TRACE``; see ``hooks``).

OP is a ``liuhen`` command line (``import-av DIR``, ``import BUNDLE``, ``export CASE --out
DIR``), run through the real entry point, or ``tus FILE``: a resumable upload as a docking
station makes it, through the service the HTTP API calls, in twelve PATCHes; the upload's id
is printed (``created <id>``) as soon as the server would have answered the POST, so the
campaign can resume it after the kill the way the station would. ``views N``: eight request
threads record N views each through the group commit (``store.record_view``), printing
``acked <seq> <subject>`` as each is acknowledged, as a server would answer the request: the
campaign checks every acknowledged view is on the ledger after the kill. ``writes N``: the
same with write transactions (``store.transaction``, one event each), which the threads of
a process share (``write_group``): each is acknowledged once its block has ended.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tests.crash import hooks

if TYPE_CHECKING:
    from liuhen.ledger.events import Actor
    from liuhen.store.store import Store

STATION = "采集站（断电测试）"
PATCHES = 12
VIEW_THREADS = 8


def tus(path: Path) -> None:
    from liuhen.config import Settings
    from liuhen.ledger.events import Actor
    from liuhen.services.av.uploads import Uploads
    from liuhen.store.store import Store

    store = Store.open(Settings.from_env())
    actor = Actor(id=None, label=STATION, roles=("custodian",))
    uploads = Uploads(store)
    data = path.read_bytes()
    info = uploads.create(actor, length=len(data), metadata={"filename": path.name})
    print("created", info.id, flush=True)
    step = -(-len(data) // PATCHES)
    for offset in range(0, len(data), step):
        send(uploads, actor, info.id, offset, data[offset : offset + step])
    store.close()


def acknowledged(count: int, append: Callable[[Store, Actor, str], int]) -> None:
    """``VIEW_THREADS`` request threads each ``append`` ``count`` events (``crash-<n>-<i>``),
    printing ``acked <seq> <subject>`` as each is acknowledged."""
    from liuhen.config import Settings
    from liuhen.ledger.events import Actor
    from liuhen.store.store import Store

    store = Store.open(Settings.from_env())
    printing = threading.Lock()

    def run(n: int) -> None:
        actor = Actor(id=f"user-{n}", label=f"用户{n}", roles=("officer",))
        for i in range(count):
            subject = f"crash-{n}-{i}"
            seq = append(store, actor, subject)
            with printing:
                print("acked", seq, subject, flush=True)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(VIEW_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()


def view(store: Store, actor: Actor, subject: str) -> int:
    """A view through the group commit."""
    return store.record_view(actor, "case.viewed", subject_type="case", subject_id=subject)


def write(store: Store, actor: Actor, subject: str) -> int:
    """A one-event write transaction (on SQLite, through the write group)."""
    with store.transaction(actor) as tx:
        return tx.record("test.written", subject_type="test", subject_id=subject)


def send(uploads: object, actor: object, upload_id: str, offset: int, chunk: bytes) -> None:
    """One PATCH as the API handles it: write, close, and finish on the last byte."""
    patch = uploads.open_patch(actor, upload_id, offset)  # type: ignore[attr-defined]
    patch.write(chunk)
    patch.close()
    if patch.complete:
        result = uploads.finish(actor, upload_id)  # type: ignore[attr-defined]
        print("finished", result["status"], flush=True)


def main(argv: list[str]) -> None:
    """Import first, so the hooks (and a delay's clock) start with the operation itself; a
    trace ends with the operation's duration."""
    import liuhen.cli
    import liuhen.services.archiving.packages
    import liuhen.services.av.ingest
    import liuhen.services.av.uploads
    import liuhen.services.cases.bundle_import  # noqa: F401

    trace = os.environ.get("LIUHEN_CRASH_TRACE")
    hooks.install(os.environ.get("LIUHEN_CRASH_AT"), trace)
    started = time.monotonic()
    try:
        if argv[0] == "tus":
            tus(Path(argv[1]))
        elif argv[0] in ("views", "writes"):
            acknowledged(int(argv[1]), view if argv[0] == "views" else write)
        else:
            liuhen.cli.main(argv)
    finally:
        if trace:
            with open(trace, "a", encoding="utf-8") as f:
                f.write(f"duration {time.monotonic() - started:.3f}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
