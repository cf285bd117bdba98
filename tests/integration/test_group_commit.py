"""Reading events go through a group commit: many views, few transactions, each view on the
ledger (committed and signed over) before the reader goes on; a reader never blocks a writer."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text
from tests.helpers import SYSTEM

from liuhen.ledger.events import Actor
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t


def test_concurrent_views_share_transactions_and_each_is_on_the_ledger(store):
    readers = [Actor(id=f"u{n}", label=f"读者{n}", roles=("officer",)) for n in range(8)]
    seqs: list[int] = []
    lock = threading.Lock()

    def read(actor: Actor) -> None:
        for i in range(15):
            seq = store.record_view(
                actor, "case.viewed", subject_type="case", subject_id="c1", payload={"i": i}
            )
            with store.read() as conn:  # durable before the reader goes on: already there
                found = conn.execute(
                    select(t.ledger_events.c.actor_id).where(t.ledger_events.c.seq == seq)
                ).scalar()
            assert found == actor.id
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=read, args=(a,)) for a in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seqs)) == 120
    assert store._views.batches < 120  # batched: fewer transactions than views
    with store.read() as conn:
        checkpoints = conn.execute(select(func.count()).select_from(t.checkpoints)).scalar()
    assert checkpoints <= store._views.batches + 2
    assert verify(store, SYSTEM).ok


def test_a_view_inside_a_write_transaction_is_refused(store):
    with pytest.raises(RuntimeError, match="record_view"), store.transaction(SYSTEM) as tx:
        tx.record("test.written", subject_type="test", subject_id="1")
        store.record_view(SYSTEM, "case.viewed", subject_type="case", subject_id="c1")


def test_a_reader_holding_a_snapshot_does_not_block_a_writer(sqlite_settings, clock):
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    initialise(sqlite_settings, admin_password="Admin-pass-2026!", clock=clock)
    store = Store.open(sqlite_settings, clock=clock)
    count = text("SELECT count(*) FROM ledger_events")
    try:
        with store.snapshot() as conn:
            before = conn.execute(count).scalar()
            with store.transaction(SYSTEM) as tx:  # would wait 30 s behind BEGIN IMMEDIATE
                tx.record("test.written", subject_type="test", subject_id="1")
            again = conn.execute(count).scalar()
            assert again == before  # the reader keeps its snapshot
        with store.read() as conn:  # each statement its own snapshot, as on PostgreSQL
            assert conn.execute(count).scalar() == before + 1
            with store.transaction(SYSTEM) as tx:  # nor does it block a writer
                tx.record("test.written", subject_type="test", subject_id="2")
            assert conn.execute(count).scalar() == before + 2
            assert not conn.connection.dbapi_connection.in_transaction  # no BEGIN at all
    finally:
        store.close()


def test_a_view_is_not_a_change_but_a_write_is(store):
    """``store.changes`` (what this process's memos of the calendar and the summaries trust)
    stays where it is for views, a list's with no case as much as a case's, and moves for a
    write; a view that changes a case's records (not a reading action) still marks it."""
    officer = Actor(id="u1", label="读者", roles=("officer",))
    before = store.changes
    store.record_view(officer, "case.list_viewed", subject_type="cases", subject_id="list")
    store.record_view(officer, "case.viewed", subject_type="case", subject_id="c1", case_id="c1")
    assert store.changes == before
    with store.transaction(SYSTEM) as tx:
        tx.record("agency.updated", subject_type="agency", subject_id="a1")
    assert store.changes == before + 1
    store.record_view(
        officer, "record.corrected", subject_type="record", subject_id="r1", case_id="c2"
    )
    assert store.changes == before + 2
    with store.read() as conn:
        marked = conn.execute(select(t.case_changes.c.case_id)).scalars().all()
    assert marked == ["c2"]


def test_views_whose_checkpoint_copy_fails_after_the_commit_are_on_the_ledger_once(
    store, monkeypatch
):
    """The checkpoint log's copy fails after a batch has committed (the shared log's bucket
    down, a full disk): every reader is told, and each view is on the ledger once; before,
    the batch was written again one view at a time, each view twice."""
    from liuhen.errors import StorageError

    readers, asked, first = 8, threading.Semaphore(0), threading.Event()

    def down(entry):  # type: ignore[no-untyped-def]
        if not first.is_set():  # the first batch waits until every reader has asked
            first.set()
            for _ in range(readers):
                asked.acquire(timeout=10)
            time.sleep(0.05)  # and has queued: the others go in one batch after it
        raise StorageError("检查点记录写入失败（测试）")

    monkeypatch.setattr(store.checkpoint_log, "append", down)
    told: list[str] = []

    def read(n: int) -> None:
        asked.release()
        try:
            store.record_view(SYSTEM, "case.viewed", subject_type="case", subject_id=f"copy-{n}")
        except StorageError as exc:
            told.append(exc.message)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(told) == readers and store._views.batches == 0
    with store.read() as conn:
        rows = conn.execute(
            select(t.ledger_events.c.subject_id, func.count())
            .where(t.ledger_events.c.subject_id.like("copy-%"))
            .group_by(t.ledger_events.c.subject_id)
        ).all()
    assert sorted(rows) == [(f"copy-{n}", 1) for n in range(readers)]


def test_views_fail_at_once_when_their_transaction_cannot_begin(store, monkeypatch):
    """The writer's transaction fails before it takes its batch (the database down, SQLite's
    lock not had within its timeout): the views queued fail, each reader told, instead of
    the writer retrying the same queue in a loop while every reader waits."""
    from sqlalchemy.exc import OperationalError

    attempts: list[int] = []

    def down(take):  # type: ignore[no-untyped-def]
        attempts.append(1)
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    monkeypatch.setattr(store._views, "_write", down)
    told: list[BaseException] = []

    def read(n: int) -> None:
        try:
            store.record_view(SYSTEM, "case.viewed", subject_type="case", subject_id=f"v{n}")
        except OperationalError as exc:
            told.append(exc)

    threads = [threading.Thread(target=read, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads), "a reader still waits"
    assert len(told) == 4 and len(attempts) <= 4
    monkeypatch.undo()
    assert store.record_view(SYSTEM, "case.viewed", subject_type="case", subject_id="v9") > 0
