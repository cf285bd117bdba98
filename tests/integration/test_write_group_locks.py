"""PostgreSQL: a later unit of a write batch must not wait for a row lock while the batch
holds the ledger's head. The row's holder may be another node's transaction that waits for
that head: each would wait for the other until PostgreSQL broke the deadlock after
``deadlock_timeout`` by rolling one back (a whole batch perhaps). Such a unit waits
``LOCK_WAIT_MS`` at most; if it has locked and written nothing yet it steps out (the batch
commits without it, and it goes on in a transaction of its own, where it may wait); else it
fails alone, saying so, and saves nothing. (SQLite has no row locks: one writer at a time.)"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text
from tests.factories import make_agency, make_case
from tests.helpers import SYSTEM
from tests.integration.test_write_group import (
    Held,
    _ended,
    _queued,
    _recorded,
    fail_the_next_signing,
)

from liuhen.errors import Unavailable
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from liuhen.store.store import Store

POSTGRES_ONLY = pytest.mark.parametrize(
    "settings", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


class OtherNode:
    """Another node's write transaction: it locks the case, then waits for the ledger's
    head (as every write that records an event does), then ends."""

    def __init__(self, store: Store, case_id: str) -> None:
        self.error: BaseException | None = None
        self.locked = threading.Event()
        self.got_head_at = 0.0

        def run() -> None:
            try:
                with store.engine.connect() as conn, conn.begin():
                    conn.execute(
                        select(t.cases.c.id)
                        .where(t.cases.c.id == case_id)
                        .with_for_update(key_share=True)
                    )
                    self.locked.set()
                    conn.execute(select(t.ledger_head.c.id).with_for_update())
                    self.got_head_at = time.monotonic()
            except BaseException as exc:  # noqa: BLE001 - the test looks at it
                self.error = exc
            self.locked.set()

        self.thread = threading.Thread(target=run)
        self.thread.start()
        assert self.locked.wait(20)


def _waiting_for_a_lock(store: Store, count: int) -> None:
    """Wait until ``count`` other sessions of the database wait for a lock."""
    deadline = time.monotonic() + 20
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'"
    )
    while True:
        with store.engine.connect() as conn:
            if conn.execute(query).scalar() >= count:
                return
        assert time.monotonic() < deadline, "nobody waits for the lock"
        time.sleep(0.01)


def _records(store: Store, subject: str) -> object:
    def write(tx: object) -> None:
        tx.record("test.written", subject_type="test", subject_id=subject)  # type: ignore[attr-defined]

    return write


@POSTGRES_ONLY
def test_a_later_unit_that_meets_a_locked_row_steps_out_and_nobody_deadlocks(
    store: Store,
) -> None:
    agency = make_agency(store)["agency"]
    case_id = make_case(store, agency)
    stepped = store.write_group.stepped_out
    first = Held(store, _records(store, "first"))  # the batch holds the ledger's head
    other = OtherNode(store, case_id)  # holds the case, waits for the head
    _waiting_for_a_lock(store, 1)
    done: list[int] = []
    errors: list[BaseException] = []

    def locks_the_case() -> None:
        try:
            with store.transaction(SYSTEM) as tx:
                tx.lock("cases", case_id)  # the other node holds it
                done.append(tx.record("test.written", subject_type="test", subject_id="later"))
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            errors.append(exc)

    threads = _queued(store, [locks_the_case])
    began = time.monotonic()
    first.go.set()  # the later unit runs in the batch, meets the lock, steps out
    _ended(first.thread, other.thread, *threads)
    assert first.error is None and other.error is None and errors == []
    # the other node got the head once the batch had committed without the later unit,
    # well before PostgreSQL's deadlock_timeout (1 s) would have broken a deadlock
    assert other.got_head_at - began < 0.9
    assert store.write_group.stepped_out == stepped + 1
    assert _recorded(store, "first") and _recorded(store, "later")
    with store.read() as conn:
        first_seq = conn.execute(
            select(t.ledger_events.c.seq).where(t.ledger_events.c.subject_id == "first")
        ).scalar()
    assert done and first_seq is not None and first_seq < done[0]
    assert verify(store, SYSTEM).ok


@POSTGRES_ONLY
def test_a_later_unit_that_wrote_before_it_met_a_locked_row_fails_alone_and_saves_nothing(
    store: Store,
) -> None:
    agency = make_agency(store)["agency"]
    case_id = make_case(store, agency)
    first = Held(store, _records(store, "first"))
    other = OtherNode(store, case_id)
    _waiting_for_a_lock(store, 1)
    errors: list[BaseException] = []
    after: list[BaseException] = []

    def writes_then_locks() -> None:
        try:
            with store.transaction(SYSTEM) as tx:
                tx.record("test.written", subject_type="test", subject_id="wrote-first")
                tx.lock("cases", case_id)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            errors.append(exc)

    def opens_a_case() -> None:
        try:
            make_case(store, agency, number="后〔2026〕1号")
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            after.append(exc)

    threads = _queued(store, [writes_then_locks, opens_a_case])
    first.go.set()
    _ended(first.thread, other.thread, *threads)
    assert first.error is None and other.error is None and after == []
    assert len(errors) == 1 and isinstance(errors[0], Unavailable)
    assert "另一操作正在修改同一记录" in str(errors[0])
    assert _recorded(store, "first") and not _recorded(store, "wrote-first")
    with store.read() as conn:
        opened = conn.execute(select(t.cases.c.id).where(t.cases.c.number == "后〔2026〕1号"))
        assert opened.first() is not None
    assert verify(store, SYSTEM).ok


@POSTGRES_ONLY
def test_a_batch_whose_commit_fails_as_a_unit_steps_out_fails_both_and_the_store_goes_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit the stepping unit asks for fails (a full disk as the checkpoint is signed):
    the batch's units are told, the unit that stepped out is told too (it saves nothing),
    nobody waits for ever, and the next write gets a transaction of its own."""
    agency = make_agency(store)["agency"]
    case_id = make_case(store, agency)
    first = Held(store, _records(store, "first"))
    other = OtherNode(store, case_id)
    _waiting_for_a_lock(store, 1)
    fail_the_next_signing(store, monkeypatch)
    errors: list[BaseException] = []

    def locks_the_case() -> None:
        try:
            with store.transaction(SYSTEM) as tx:
                tx.lock("cases", case_id)
                tx.record("test.written", subject_type="test", subject_id="later")
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            errors.append(exc)

    threads = _queued(store, [locks_the_case])
    first.go.set()
    _ended(first.thread, other.thread, *threads)
    assert isinstance(first.error, OSError) and other.error is None
    assert len(errors) == 1 and isinstance(errors[0], OSError)
    assert not _recorded(store, "first") and not _recorded(store, "later")
    make_case(store, agency, number="再〔2026〕1号")  # the next write goes on as ever
    assert verify(store, SYSTEM).ok
