"""The write transactions of one process's threads share database transactions
(``write_group``), on SQLite and on PostgreSQL: each unit runs alone on the batch's
connection, one after another; a unit that fails is rolled back alone (to its savepoint, or
the whole transaction when it came first and nothing else is in it yet); a commit that fails
fails every unit of its batch and keeps none of them; each write is committed when its block
ends. (A later unit that must wait for a row lock on PostgreSQL: ``tests/concurrency/
test_write_group_locks.py``.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select
from tests.factories import make_agency, make_case
from tests.helpers import SYSTEM

from liuhen.errors import Conflict
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from liuhen.store.store import Store


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


class Held:
    """A unit of work that opens its transaction, writes, and waits for ``go`` before it
    ends: while it waits, others queue behind it for the same batch."""

    def __init__(
        self,
        store: Store,
        write: Callable[[object], None],
        then: type[BaseException] | None = None,
    ) -> None:
        store.write_group.max_open_s = 60  # the batch waits for the test, not for the clock
        self.entered, self.go = threading.Event(), threading.Event()
        self.error: BaseException | None = None

        def run() -> None:
            try:
                with store.transaction(SYSTEM) as tx:
                    write(tx)
                    self.entered.set()
                    assert self.go.wait(20)
                    if then is not None:
                        raise then
            except BaseException as exc:  # noqa: BLE001 - the test looks at it
                self.error = exc
            self.entered.set()

        self.thread = threading.Thread(target=run)
        self.thread.start()
        assert self.entered.wait(20)


def _queued(store: Store, work: list[Callable[[], None]]) -> list[threading.Thread]:
    """Start each of ``work`` in its own thread and wait until all of them are queued."""
    before = store.write_group._waiting
    threads = [threading.Thread(target=w) for w in work]
    for thread in threads:
        thread.start()
    _wait_for(lambda: store.write_group._waiting == before + len(work), "the units to queue")
    return threads


def fail_the_next_signing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next commit's checkpoint fails to be signed (a full disk), the ones after do not."""
    real = store.signing.at_commit
    calls = {"n": 0}

    def failing_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("磁盘已满")
        return real(*args, **kwargs)

    monkeypatch.setattr(store.signing, "at_commit", failing_once)


def _opened(store: Store, number: str) -> bool:
    with store.read() as conn:
        return (
            conn.execute(select(t.cases.c.id).where(t.cases.c.number == number)).first() is not None
        )


def _ended(*threads: threading.Thread) -> None:
    """Each of ``threads`` has ended (within 20 s: none waits for ever)."""
    for thread in threads:
        thread.join(20)
        assert not thread.is_alive(), "a unit waits for ever"


def _recorded(store: Store, subject: str) -> bool:
    with store.read() as conn:
        events = t.ledger_events
        return (
            conn.execute(select(events.c.seq).where(events.c.subject_id == subject)).first()
            is not None
        )


def test_units_queued_behind_one_share_its_transaction_and_a_failing_one_is_rolled_back_alone(
    store: Store,
) -> None:
    agency = make_agency(store)["agency"]
    batches, units = store.write_group.batches, store.write_group.units
    first = Held(store, lambda tx: None)
    errors: dict[str, BaseException] = {}

    def opens(number: str) -> Callable[[], None]:
        def run() -> None:
            try:
                make_case(store, agency, number=number)
            except BaseException as exc:  # noqa: BLE001
                errors[number] = exc

        return run

    # the second "甲" fails on the unique number after the first wrote it in the same batch
    threads = _queued(
        store, [opens("甲〔2026〕1号"), opens("乙〔2026〕1号"), opens("甲〔2026〕1号")]
    )
    first.go.set()
    _ended(first.thread, *threads)
    assert first.error is None
    assert list(errors) == ["甲〔2026〕1号"] and isinstance(errors["甲〔2026〕1号"], Conflict)
    assert _opened(store, "甲〔2026〕1号") and _opened(store, "乙〔2026〕1号")
    assert store.write_group.batches == batches + 1  # one commit for the three that ended well
    assert store.write_group.units == units + 3
    assert verify(store, SYSTEM).ok


def test_a_first_unit_that_fails_leaves_the_queued_ones_a_transaction_of_their_own(
    store: Store,
) -> None:
    agency = make_agency(store)["agency"]

    class Boom(Exception):
        pass

    def lost(tx: object) -> None:
        tx.record("test.written", subject_type="test", subject_id="lost")  # type: ignore[attr-defined]

    first = Held(store, lost, then=Boom)
    threads = _queued(store, [lambda: make_case(store, agency, number="戊〔2026〕1号")])
    first.go.set()  # its block raises: its whole transaction (nobody else's yet) rolls back
    _ended(first.thread, *threads)
    assert isinstance(first.error, Boom)
    assert _opened(store, "戊〔2026〕1号")
    assert not _recorded(store, "lost")
    assert verify(store, SYSTEM).ok


def test_a_commit_that_fails_fails_every_unit_of_its_batch_and_keeps_none(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = make_agency(store)["agency"]
    fail_the_next_signing(store, monkeypatch)
    errors: list[BaseException] = []

    def opens(number: str) -> Callable[[], None]:
        def run() -> None:
            try:
                make_case(store, agency, number=number)
            except OSError as exc:
                errors.append(exc)

        return run

    first = Held(store, lambda tx: tx.record("test.written", subject_type="test", subject_id="a"))  # type: ignore[attr-defined]
    threads = _queued(store, [opens("己〔2026〕1号"), opens("庚〔2026〕1号")])
    first.go.set()
    _ended(first.thread, *threads)
    assert isinstance(first.error, OSError)
    assert len(errors) == 2  # the two queued behind it were in its batch
    assert not _opened(store, "己〔2026〕1号") and not _opened(store, "庚〔2026〕1号")
    make_case(store, agency, number="己〔2026〕1号")  # the next write goes on as ever
    assert _opened(store, "己〔2026〕1号")
    assert verify(store, SYSTEM).ok


def test_every_write_of_many_threads_is_committed_when_its_block_ends(store: Store) -> None:
    seqs: list[int] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        for i in range(15):
            with store.transaction(SYSTEM) as tx:
                seq = tx.record("test.written", subject_type="test", subject_id=f"{n}-{i}")
            with store.read() as conn:  # committed before the writer goes on
                found = conn.execute(
                    select(t.ledger_events.c.subject_id).where(t.ledger_events.c.seq == seq)
                ).scalar()
            assert found == f"{n}-{i}"
            with lock:
                seqs.append(seq)

    batches = store.write_group.batches
    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seqs)) == 120
    assert store.write_group.batches - batches < 120  # several writes shared a commit
    assert verify(store, SYSTEM).ok


def test_a_write_that_waits_too_long_for_its_turn_is_told_the_store_is_busy(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit that waits ``WAIT_S`` behind a unit that does not end is refused as SQLite's
    busy timeout would refuse it, and saves nothing."""
    from liuhen.errors import Unavailable
    from liuhen.store import write_group

    agency = make_agency(store)["agency"]
    monkeypatch.setattr(write_group, "WAIT_S", 0.3)
    held = Held(store, lambda tx: None)
    try:
        with pytest.raises(Unavailable, match="数据库繁忙"):
            make_case(store, agency, number="壬〔2026〕1号")
        assert not _opened(store, "壬〔2026〕1号")
    finally:
        held.go.set()
        held.thread.join(20)
    assert held.error is None
    assert verify(store, SYSTEM).ok


def test_a_unit_that_appended_and_failed_leaves_the_next_the_head_before_it(
    store: Store,
) -> None:
    """The ledger's head is handed from unit to unit of a batch (not read again): a unit
    rolled back after it appended must not hand on the head it moved."""
    agency = make_agency(store)["agency"]

    class Boom(Exception):
        pass

    def appends_then_fails() -> None:
        with pytest.raises(Boom), store.transaction(SYSTEM) as tx:
            tx.record("test.written", subject_type="test", subject_id="undone")
            raise Boom

    first = Held(store, lambda tx: tx.record("test.written", subject_type="test", subject_id="a"))  # type: ignore[attr-defined]
    threads = _queued(store, [appends_then_fails])
    threads += _queued(store, [lambda: make_case(store, agency, number="癸〔2026〕1号")])
    first.go.set()
    _ended(first.thread, *threads)
    assert first.error is None and _opened(store, "癸〔2026〕1号")
    with store.read() as conn:
        subjects = (
            conn.execute(
                select(t.ledger_events.c.subject_id).order_by(t.ledger_events.c.seq.desc()).limit(3)
            )
            .scalars()
            .all()
        )
    assert "undone" not in subjects and "a" in subjects
    assert verify(store, SYSTEM).ok


def test_a_unit_that_asks_for_a_checkpoint_ends_its_batch(store: Store) -> None:
    """``tx.sign()`` (a key rotation: signed by the key it retires, then the new key is
    used) commits at once: no later write shares the checkpoint it asked for."""
    agency = make_agency(store)["agency"]
    batches = store.write_group.batches

    def signs(tx: object) -> None:
        tx.record("test.written", subject_type="test", subject_id="signed")  # type: ignore[attr-defined]
        tx.sign()  # type: ignore[attr-defined]

    first = Held(store, signs)
    threads = _queued(store, [lambda: make_case(store, agency, number="子〔2026〕1号")])
    first.go.set()
    _ended(first.thread, *threads)
    assert first.error is None and _opened(store, "子〔2026〕1号")
    assert store.write_group.batches == batches + 2
    assert verify(store, SYSTEM).ok


def test_a_batch_whose_connection_is_lost_fails_its_units_and_the_next_write_goes_on(
    store: Store,
) -> None:
    """The batch's connection dies after its first unit (a database restarted, a file
    gone): the next unit cannot even begin its savepoint. Both are told, neither is kept,
    nobody waits for ever, and the next write gets a new transaction."""
    agency = make_agency(store)["agency"]
    errors: list[BaseException] = []

    def dies(tx: object) -> None:
        tx.record("test.written", subject_type="test", subject_id="lost-with-it")  # type: ignore[attr-defined]
        tx.conn.invalidate()  # type: ignore[attr-defined]

    def opens() -> None:
        try:
            make_case(store, agency, number="丑〔2026〕1号")
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            errors.append(exc)

    first = Held(store, dies)
    threads = _queued(store, [opens])
    first.go.set()
    _ended(first.thread, *threads)
    assert first.error is not None
    assert len(errors) == 1  # the second ran in the dead batch
    assert not _opened(store, "丑〔2026〕1号")
    make_case(store, agency, number="丑〔2026〕1号")
    assert _opened(store, "丑〔2026〕1号")
    assert not _recorded(store, "lost-with-it")
    assert verify(store, SYSTEM).ok
