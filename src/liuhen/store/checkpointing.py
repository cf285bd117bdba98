"""When checkpoints are signed: at most every ``LIUHEN_CHECKPOINT_MS`` or every
``LIUHEN_CHECKPOINT_EVENTS`` events, and witnesses told off the request path.

With ``LIUHEN_CHECKPOINT_MS`` 0 (the default) every transaction that appends events signs
a checkpoint over the new tree before it commits, appends it to the checkpoint log after,
and sends it to the witnesses: each write is signed over when acknowledged, at the price of
a signature, a row, a log line with its fsync and a witness round trip per write.

With ``LIUHEN_CHECKPOINT_MS`` N > 0 a transaction still commits its events and their tiles
(durable when acknowledged), but signs only when the newest checkpoint is N ms old or
``LIUHEN_CHECKPOINT_EVENTS`` events behind; otherwise the events form an *unsigned tail*,
and this process's signer thread signs it N ms later (one checkpoint for whatever was
written meanwhile, by any process), so every acknowledged write is covered within N ms
(at most 1,000: within a second). Closing the store signs what it left; a tail a crash left
is signed by the next start (``store.recovery``), and ``liuhen verify`` accepts a tail
younger than N ms and a second, and says so, and reports an older one (``ledger_unsigned``).
Witnesses get the newest checkpoint from the same thread: a slow or distant witness never
holds up a write, and a burst of checkpoints is sent as its newest alone (a witness needs
only that, with a consistency proof from the last it saw).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, select

from liuhen.ledger.checkpoint import Checkpoint, sign_checkpoint
from liuhen.ledger.note import Note, checkpoint_note
from liuhen.store import tables as t
from liuhen.store.checkpoint_log import CheckpointLog
from liuhen.store.event_append import Appending
from liuhen.store.stored_tree import StoredTree

log = logging.getLogger("liuhen.witness")

Signed = tuple[Checkpoint, Note]
_INSERT_CHECKPOINT = t.checkpoints.insert()  # built once: every write signs (with 0)


class Signer(Protocol):
    """What of the ``Store`` signing uses."""

    engine: Engine
    checkpoint_log: CheckpointLog

    def clock(self) -> datetime: ...

    @property
    def key(self) -> Ed25519PrivateKey: ...

    @property
    def fingerprint(self) -> str: ...

    def send_to_witnesses(self, cp: Checkpoint, note: Note, *, force: bool = False) -> None: ...

    def adopt_key(self, fingerprint: str, *, need: bool = True) -> bool: ...


class Checkpointing:
    """The signing of one ``Store``'s checkpoints (see the module docstring): ``tree`` is
    its stored tree, ``origin_of`` gives the checkpoints' origin line."""

    def __init__(
        self,
        store: Signer,
        tree: StoredTree,
        origin_of: Callable[[Connection], str],
        interval_ms: int,
        events: int,
    ) -> None:
        self._store, self._tree, self._origin_of = store, tree, origin_of
        self.interval_ms = interval_ms
        self.events = events
        self._later = Later(self.sign_tail, self._publish, interval_ms / 1000)

    def at_commit(
        self,
        conn: Connection,
        first: int,
        last: int,
        *,
        now: bool,
        appending: Appending | None = None,
    ) -> Signed | None:
        """In the transaction that appended events ``first`` … ``last`` (tiled here; those
        of ``appending`` inserted here): the checkpoint it signs (``now``, or when one is
        due), or None (left for the signer)."""
        tree = self._tree.extend(
            conn, first, last, tail=bool(self.interval_ms), appending=appending
        )
        if tree is None or not (now or self._due(conn, tree.size)):
            return None
        return self._sign(conn, tree.size, tree.root())

    def after_commit(self, signed: Signed | None, appended: bool) -> None:
        """After the commit: a checkpoint signed goes to the log and the witnesses; events
        left unsigned are signed within the interval."""
        if signed is not None:
            self._store.checkpoint_log.append({"note": signed[1].render()})
            if self.interval_ms:
                self._later.publish(signed)
            else:
                self._publish(signed)
        elif appended:
            self._later.sign()

    def sign_tail(self) -> int | None:
        """Sign the events no checkpoint covers yet (none: nothing); the size signed. With
        ``LIUHEN_CHECKPOINT_MS`` 0 no write leaves events unsigned, so none is signed over:
        those were appended outside LiuHen (``liuhen verify`` reports them)."""
        store = self._store
        if not self.interval_ms:
            return None
        with store.engine.connect() as conn, conn.begin():
            head = conn.execute(
                select(t.ledger_head.c.next_seq).where(t.ledger_head.c.id == 1).with_for_update()
            ).scalar()
            if head is None or int(head) <= _newest(conn)[0]:
                return None
            signed = self.at_commit(conn, int(head), int(head) - 1, now=True)
            if signed is None:
                self._tree.forget()
                return None
        self.after_commit(signed, False)
        return signed[0].tree_size

    def close(self) -> None:
        """Sign what this process left unsigned and tell the witnesses, then stop."""
        self._later.close()

    def _due(self, conn: Connection, size: int) -> bool:
        if not self.interval_ms:
            return True
        signed, signed_at = _newest(conn)
        if signed_at is None or size - signed >= self.events:
            return True
        age: timedelta = self._store.clock() - signed_at
        return age >= timedelta(milliseconds=self.interval_ms)

    def _sign(self, conn: Connection, size: int, root: bytes) -> Signed:
        """Sign over the tree of ``size`` events with the key in effect at that size: after a
        rotation another process recorded (or another thread, before its ``use_key``), the
        key it moved to, read from its file (``Store.adopt_key``), never the retired one
        (``verify`` would report each such checkpoint as another key's)."""
        store = self._store
        wanted = self._tree.signing_key(size)
        if wanted is not None:
            store.adopt_key(wanted)
        cp = Checkpoint(size, root, store.clock(), self._origin_of(conn))
        signature = sign_checkpoint(store.key, cp)
        conn.execute(
            _INSERT_CHECKPOINT,
            {
                "tree_size": cp.tree_size,
                "root_hash": cp.root_hash.hex(),
                "origin": cp.origin,
                "signed_at": cp.timestamp,
                "signature": signature,
                "key_fingerprint": store.fingerprint,
            },
        )
        return cp, checkpoint_note(cp, signature, store.key.public_key())

    def _publish(self, signed: Signed) -> None:
        self._store.send_to_witnesses(*signed)


def _newest(conn: Connection) -> tuple[int, datetime | None]:
    """(size, time) of the newest signed checkpoint; (0, None) when there is none."""
    row = conn.execute(
        select(t.checkpoints.c.tree_size, t.checkpoints.c.signed_at)
        .order_by(t.checkpoints.c.tree_size.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0, None
    signed_at: datetime = row[1]
    return int(row[0]), signed_at


class Later:
    """One thread that signs the unsigned tail ``delay`` seconds after it was asked to (once
    for every request meanwhile) and sends witnesses the newest checkpoint it was given."""

    def __init__(
        self, sign: Callable[[], object], publish: Callable[[Signed], None], delay: float
    ) -> None:
        self._sign, self._publish, self._delay = sign, publish, delay
        self._cond = threading.Condition()
        self._due: float | None = None
        self._newest: Signed | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def sign(self) -> None:
        with self._cond:
            if self._due is None:
                self._due = time.monotonic() + self._delay
            self._wake()

    def publish(self, signed: Signed) -> None:
        with self._cond:
            if self._newest is None or signed[0].tree_size > self._newest[0].tree_size:
                self._newest = signed
            self._wake()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _wake(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name="liuhen-signer", daemon=True)
            self._thread.start()
        self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and self._newest is None and not self._ready():
                    self._cond.wait(None if self._due is None else self._due - time.monotonic())
                closing, sign = (
                    self._closed,
                    self._due is not None and (self._closed or self._ready()),
                )
                newest, self._newest = self._newest, None
                if sign:
                    self._due = None
            if sign:
                self._guard(self._sign, "签署未签名的日志末尾")
            if newest is not None:
                self._guard(partial(self._publish, newest), "向见证发送检查点")
            if closing and newest is None and not sign:
                return

    def _ready(self) -> bool:
        return self._due is not None and time.monotonic() >= self._due

    @staticmethod
    def _guard(action: Callable[[], object], what: str) -> None:
        try:
            action()
        except Exception:  # noqa: BLE001 - a background step: logged, never raised into a write
            log.exception("%s时出错", what)
