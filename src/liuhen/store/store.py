"""``Store``: the database, the blob store, the signing key and the checkpoint log, opened once.

Services receive a ``Store`` and do all their writing inside ``store.transaction(actor)``;
events that only record a reading (a view, a download) go through ``store.record_view``,
which writes them many to a transaction (``group_commit``) and returns once they are durable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import Connection, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from liuhen.config import Settings
from liuhen.errors import ConfigError, LiuhenError
from liuhen.ledger.checkpoint import Checkpoint, key_fingerprint
from liuhen.ledger.events import Actor
from liuhen.ledger.merkle import MerkleHashes
from liuhen.ledger.note import Note
from liuhen.ledger.tiles import TiledTree
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.store import tables as t
from liuhen.store.blobs import open_blob_store
from liuhen.store.blobs.base import BlobStore
from liuhen.store.checkpoint_log import CheckpointLog
from liuhen.store.checkpointing import Checkpointing
from liuhen.store.database import READ_ONLY, STATEMENTS, check_connection, make_engine
from liuhen.store.db_errors import explain
from liuhen.store.group_commit import GroupCommit, ReadEvent
from liuhen.store.holiday_rows import read_calendar
from liuhen.store.keys import find_key, key_passphrase, read_key
from liuhen.store.stored_tree import StoredTree, tree_for
from liuhen.store.tile_cache import TileCache
from liuhen.store.tile_rows import fill_inner_nodes, tiled_size
from liuhen.store.unit import Appended, Clock, Tx, lock_ledger_head, utcnow
from liuhen.store.witnesses.publisher import Publisher
from liuhen.store.write_group import WriteGroup
from liuhen.store.writes import Writes

if TYPE_CHECKING:  # boto3 is imported only where a bucket is used
    from liuhen.store.witnesses.s3 import S3Witness

log = logging.getLogger("liuhen.witness")

CALENDAR_CHECK = 2.0
"""Seconds a process trusts the holiday schedules it read, unless it wrote since."""


class Store:
    def __init__(self, settings: Settings, engine: Engine, blobs: BlobStore, clock: Clock) -> None:
        self.settings = settings
        self.engine = engine
        self.blobs = blobs
        self.clock = clock
        self._key, self.key_problem = read_key(settings.signing_key_path, key_passphrase(settings))
        """The signing key; a store without one reads, verifies and refuses to sign. An
        encrypted key without its passphrase is a ``ConfigError`` here, before anything."""
        self._fingerprint = key_fingerprint(self._key) if self._key is not None else None
        witnesses = (settings.witness_dir,) if settings.witness_dir else ()
        self.witnesses = Publisher(
            settings.data_dir / "witnesses", self.consistency_proof, self.s3_witness
        )
        self.checkpoint_log = CheckpointLog(
            settings.checkpoint_log_path, witnesses, self._registered_dirs, blobs.shared_log()
        )
        self._origin: str | None = None
        self._s3_witnesses: dict[str, S3Witness] = {}
        self._tree = StoredTree()
        self.tile_cache = TileCache()
        """The tiles proofs read, kept up to a bound (``store/tile_cache``)."""
        self._calendar: tuple[Any, WorkCalendar] | None = None
        self._read_options: dict[str, Any] = {READ_ONLY: True, STATEMENTS: True}
        if engine.dialect.name == "postgresql":
            self._read_options["isolation_level"] = "AUTOCOMMIT"
        self._views = GroupCommit(self._write_reads)
        self.signing = Checkpointing(
            self, self._tree, self._origin_of, settings.checkpoint_ms, settings.checkpoint_events
        )
        self._local = threading.local()  # the snapshot this thread's reads are pinned to
        self._writing = Writes(  # the clock as it is then (tests set another)
            engine, lambda: self.clock(), blobs, self.signing, self._tree, self.changed,
            settings.write_batch,
        )  # fmt: skip
        self._lock = threading.Lock()
        self.changes = 0
        """Transactions of this process that changed something (more than readings): caches
        of derived data compare it to know whether this process wrote since."""
        self._calendar_checked: tuple[float, int] = (float("-inf"), -1)
        self.calendar_check = CALENDAR_CHECK
        """Seconds this store trusts the schedules it read (``CALENDAR_CHECK``)."""

    @property
    def key(self) -> Ed25519PrivateKey:
        """The signing key; ``ConfigError`` when the data directory has none (only
        ``liuhen init`` creates one, for a ledger with no event yet)."""
        if self._key is None:
            raise ConfigError(
                f"LIUHEN_DATA_DIR: {self.key_problem}：无法签名，请从备份恢复签名密钥"
            )
        return self._key

    def use_key(self, key: Ed25519PrivateKey) -> None:
        """Sign with ``key`` from now on (after a recorded key rotation, ``services.admin.
        rotation``): the transaction that recorded it was signed by the key it retires."""
        with self._lock:
            self._key, self.key_problem = key, None
            self._fingerprint = key_fingerprint(key)

    def adopt_key(self, fingerprint: str, *, need: bool = True) -> bool:
        """Sign with the key ``fingerprint`` names from now on: the ledger was rotated to it
        (``ledger.key_rotated``) after this process read its key, by another process
        (``liuhen ledger rotate-key`` beside a running server) or another thread. It is read
        from the key file, or from the new key's file of a rotation whose files are not
        swapped yet. When neither holds it (a node the new key was not installed on):
        False, or with ``need`` a ``ConfigError`` (a write fails: nothing is signed with the
        retired key). True at once when it is the key in use."""
        if fingerprint == self._fingerprint:
            return True
        key = find_key(self.settings, fingerprint, need=need)
        if key is not None:
            self.use_key(key)
            log.warning("日志的签名密钥已轮换：本进程改用新密钥 %s", fingerprint)
        return key is not None

    @property
    def public_key(self) -> Ed25519PublicKey | None:
        """The public half of the signing key, or None when there is no usable key."""
        return self._key.public_key() if self._key is not None else None

    @property
    def fingerprint(self) -> str:
        """``SHA256:`` and the hex SHA-256 of the signing key's public key."""
        if self._fingerprint is None:
            self.key  # noqa: B018  (raises the ConfigError that says why)
        assert self._fingerprint is not None
        return self._fingerprint

    @property
    def origin(self) -> str:
        """The checkpoints' origin line: the log's name, from the fingerprint of the key the
        ledger was started with (event #0), so it stays the same when the key is rotated."""
        if self._origin is None:
            with self.read() as conn:
                return self._origin_of(conn)
        return self._origin

    def _origin_of(self, conn: Connection) -> str:
        if self._origin is None:
            try:
                row = conn.execute(
                    select(t.ledger_events.c.payload).where(t.ledger_events.c.seq == 0)
                ).first()
            except (ValueError, TypeError):  # event #0 damaged: ``verify`` names it
                row = None
            recorded = row[0].get("key_fingerprint") if row and isinstance(row[0], dict) else None
            if not isinstance(recorded, str) or not recorded.startswith("SHA256:"):
                recorded = self.fingerprint
            self._origin = f"liuhen/{recorded.removeprefix('SHA256:')[:16]}"
        return self._origin

    def calendar(self, *, fresh: bool = False) -> WorkCalendar:
        """The working-day calendar: the package's years plus the schedules an administrator
        loaded (``holiday_schedules``, newest row of a year wins), rebuilt when one is loaded
        (by this process at once; by another within ``CALENDAR_CHECK`` seconds: one cheap
        query tells; at once with ``fresh``)."""
        checked, changes = self._calendar_checked
        if self._calendar is not None and changes == self.changes and not fresh:
            if time.monotonic() - checked < self.calendar_check:
                return self._calendar[1]
        seen = (time.monotonic(), self.changes)  # trusted once the calendar read is in place:
        # another thread must not trust the old one while this one reads the new
        with self.read() as conn:
            marker = tuple(
                conn.execute(select(func.count(), func.max(t.holiday_schedules.c.created_at))).one()
            )
            current = self._calendar
            if current is None or current[0] != marker:
                current = (marker, read_calendar(conn))
                self._calendar = current
        self._calendar_checked = seen
        return current[1]

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = utcnow) -> Store:
        engine = make_engine(settings)
        try:
            check_connection(engine, settings)
            return cls(settings, engine, open_blob_store(settings), clock)
        except BaseException:
            engine.dispose()  # a wrong passphrase or setting: nothing stays open
            raise

    def close(self) -> None:
        self._views.close()
        self.signing.close()  # what this process left unsigned is signed now
        self.engine.dispose()

    @contextmanager
    def read(self, *, now: bool = False) -> Iterator[Connection]:
        """A connection for reading only, without BEGIN and ROLLBACK (on PostgreSQL two round
        trips fewer per read): each statement reads a snapshot of its own, as in a READ
        COMMITTED transaction; on SQLite it takes no lock (see ``database``). Several
        statements that must agree read in ``snapshot``. Within ``one_snapshot`` this
        thread's reads read its snapshot, unless ``now``: what is stored now."""
        pinned = None if now else getattr(self._local, "pinned", None)
        try:
            if pinned is not None:
                yield pinned
            else:
                with self.engine.connect().execution_options(**self._read_options) as conn:
                    yield conn
        except DBAPIError as exc:
            explained = explain(exc)
            if explained is None:
                raise
            raise explained from exc

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A connection that reads one snapshot for as long as it is open (``liuhen verify``
        reads the ledger page by page and its head after): a read transaction on SQLite, a
        ``REPEATABLE READ READ ONLY`` one on PostgreSQL (within ``one_snapshot``: that one)."""
        if getattr(self._local, "pinned", None) is not None:
            with self.read() as pinned:  # that one, its errors explained as any read's
                yield pinned
            return
        options: dict[str, Any] = {READ_ONLY: True}
        if self.engine.dialect.name == "postgresql":
            options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        try:
            with self.engine.connect().execution_options(**options) as conn, conn.begin():
                conn.exec_driver_sql("SELECT next_seq FROM ledger_head").all()  # it starts here
                yield conn
        except DBAPIError as exc:
            explained = explain(exc)
            if explained is None:
                raise
            raise explained from exc

    @contextmanager
    def one_snapshot(self) -> Iterator[None]:
        """Within, every ``read`` and ``snapshot`` of this thread reads one snapshot, taken
        here (``liuhen verify``: the events, the rows they record and the tables derived
        from them as of one moment, whatever is written meanwhile). This thread writes
        nothing meanwhile (``transaction`` refuses)."""
        with self.snapshot() as conn:
            self._local.pinned = conn
            try:
                yield
            finally:
                self._local.pinned = None

    def transaction(self, actor: Actor) -> AbstractContextManager[Tx]:
        """Write rows and events atomically, with a checkpoint over the new tree signed now
        or within ``LIUHEN_CHECKPOINT_MS`` (``checkpointing``). Durable when the block ends:
        it may share its database transaction with other threads' (``writes``)."""
        if getattr(self._local, "pinned", None) is not None:
            raise RuntimeError("a write inside one_snapshot: it would not see itself")
        return self._writing.transaction(actor)

    def changed(self) -> None:
        """Count a transaction of this process that changed something (``changes``)."""
        with self._lock:
            self.changes += 1

    def send_to_witnesses(self, cp: Checkpoint, note: Note, *, force: bool = False) -> None:
        """After the commit: a witness that is down or refuses never fails the write (it is
        logged, and ``verify`` reports the witness lagging)."""
        try:
            self.witnesses.publish(cp, note, force=force)
        except Exception:  # noqa: BLE001 - a write has committed: nothing may undo or fail it
            log.exception("向见证发送检查点 @%d 时出错", cp.tree_size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 proof that the tree of ``old_size`` events is a prefix of the tree of
        ``new_size`` (for a witness), from the stored tiles; ``ValueError`` when they are
        damaged or do not reach ``new_size``."""
        tree = self.tree_for(new_size, lambda t: t.consistency_proof(old_size, new_size))
        try:
            return tree.consistency_proof(old_size, new_size)
        except (KeyError, ValueError) as exc:
            raise ValueError("日志已损坏，无法给出一致性证明") from exc

    def tree_for(self, size: int, question: Callable[[MerkleHashes], object]) -> TiledTree:
        """The tree of ``size`` events with the stored tiles ``question`` reads (a root or a
        proof of it: e.g. ``lambda t: t.inclusion_proof(i)``) loaded, a few whatever the
        size; asking it more than ``question`` raises ``KeyError``."""
        with self.read() as conn:
            return tree_for(conn, size, question)

    def s3_witness(self, url: str) -> S3Witness:
        from liuhen.store.witnesses.s3 import S3Witness

        if url not in self._s3_witnesses:
            s = self.settings
            self._s3_witnesses[url] = S3Witness(
                url, s.s3_endpoint, s.s3_access_key, s.s3_secret_key, s.s3_region
            )
        return self._s3_witnesses[url]

    def _registered_dirs(self) -> list[Path]:
        return [Path(s.target) for s in self.witnesses.specs() if s.kind == "dir"]

    def explain(self, exc: BaseException) -> LiuhenError | None:
        """The ``LiuhenError`` a database failure met outside ``read``/``transaction``
        stands for (``store/db_errors``), for the web's and the CLI's last resort."""
        return explain(exc)

    def record_view(
        self,
        actor: Actor,
        action: str,
        *,
        subject_type: str,
        subject_id: str,
        case_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> int:
        """Append an event that records a reading (a view, a download, a list shown) and
        return its seq once it is committed and signed over: many such events share one
        transaction and one checkpoint (``group_commit`` says why and what "durable" means).
        Call it before sending what was read, and not inside a transaction of your own."""
        if self._writing.depth:
            raise RuntimeError("record_view inside a write transaction: use tx.record there")
        event = ReadEvent(actor, action, subject_type, subject_id, case_id, payload)
        return self._views.submit(event)

    @property
    def write_group(self) -> WriteGroup:
        """This process's write group (``write_group``): its batches, for tests and benches."""
        return self._writing.group

    @property
    def group_commit_batches(self) -> int:
        """How many transactions ``record_view`` has written so far (benchmarks, tests)."""
        return self._views.batches

    def _write_reads(self, take: Callable[[], list[ReadEvent]]) -> None:
        """One transaction for a batch of reading events, each with its own actor, taken
        once the transaction holds the ledger's head (``group_commit`` says why)."""
        with self.transaction(Actor.system("留痕")) as tx:
            tx.hold_head()
            batch = take()
            seqs = tx.record_many(
                [
                    Appended(e.action, e.subject_type, e.subject_id, e.case_id, e.payload, e.actor)
                    for e in batch
                ],
                readings=True,
            )
            for event, seq in zip(batch, seqs, strict=True):
                event.seq, event.tx = seq, tx

    def build_tiles(self, chunk: int = 50_000) -> tuple[int, int] | None:
        """Bring the stored tiles up to the newest event, under the ledger's lock (a store
        upgraded from one without tiles: ``liuhen init`` calls it; every write transaction
        does the same for its own events), ``chunk`` events at a time, and the inner nodes
        of full tiles stored without them. Returns the tree's
        size before and after, or None when the ledger is damaged (nothing written;
        ``liuhen verify`` says what)."""
        try:
            with self.engine.begin() as conn:
                lock_ledger_head(conn)
                before = tiled_size(conn)
                tree = self._tree.catch_up(conn, chunk)
                fill_inner_nodes(conn)  # full tiles stored before they kept them
        except (ValueError, TypeError, KeyError):
            self._tree.forget()
            return None
        return before, tree.size

    def latest_checkpoint(self) -> dict[str, Any] | None:
        with self.read() as conn:
            row = (
                conn.execute(
                    select(t.checkpoints).order_by(t.checkpoints.c.tree_size.desc()).limit(1)
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def event_count(self) -> int:
        with self.read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.ledger_events)).scalar_one())
