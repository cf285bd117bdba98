"""A write transaction's ledger events wait (``store/held_events.py``) until the connection's
next statement or the commit: a query in the same transaction still reads every event
recorded before it, a unit that only records runs no statement of its own in its batch, and
the batch inserts its units' events together."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, text, update
from tests.factories import make_agency, make_case
from tests.helpers import SYSTEM
from tests.integration.test_write_group import Held, _ended, _queued
from tests.statements import count_statements

from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from liuhen.store.held_events import _locks_or_writes
from liuhen.store.store import Store


def test_a_query_in_the_same_transaction_reads_the_events_recorded_before_it(
    store: Store,
) -> None:
    agency = make_agency(store)["agency"]
    case_id = make_case(store, agency)
    with store.transaction(SYSTEM) as tx:
        seq = tx.record("test.written", subject_type="case", subject_id=case_id, case_id=case_id)
        found = tx.conn.execute(
            select(t.ledger_events.c.subject_id).where(t.ledger_events.c.seq == seq)
        ).scalar()
        head = tx.conn.execute(select(t.ledger_head.c.next_seq)).scalar()
        marked = tx.conn.execute(
            select(t.case_changes.c.seq).where(t.case_changes.c.case_id == case_id)
        ).scalar()
    assert (found, head, marked) == (case_id, seq + 1, seq)
    assert verify(store, SYSTEM).ok


def test_units_that_only_record_run_no_statement_and_their_batch_inserts_once(
    store: Store,
) -> None:
    """Three units queued behind a first: each records two events and ends; the batch's
    commit inserts all eight events in one statement, moves the head once and marks each
    case once (PostgreSQL: all three in the statement that reads the leaves)."""
    agency = make_agency(store)["agency"]
    cases = [make_case(store, agency, number=f"批〔2026〕{k}号") for k in range(4)]

    def two(case_id: str) -> object:
        def write(tx: object) -> None:
            for _ in range(2):
                tx.record("test.written", subject_type="case", subject_id=case_id, case_id=case_id)  # type: ignore[attr-defined]

        return write

    def unit(case_id: str) -> object:
        def run() -> None:
            with store.transaction(SYSTEM) as tx:
                two(case_id)(tx)  # type: ignore[operator]

        return run

    with store.read() as conn:
        before = conn.execute(select(func.count()).select_from(t.ledger_events)).scalar()
    with count_statements(store.engine) as counted:
        first = Held(store, two(cases[0]))  # type: ignore[arg-type]
        threads = _queued(store, [unit(c) for c in cases[1:]])  # type: ignore[misc]
        first.go.set()
        _ended(first.thread, *threads)
    assert first.error is None
    writes = [s.sql.split()[0].upper() for s in counted.statements if "ledger_events" in s.tables]
    inserts = [s for s in counted.statements if s.sql.lstrip().upper().startswith("INSERT")]
    event_inserts = [s for s in inserts if "ledger_events" in s.tables]
    head_moves = [s for s in counted.statements if s.sql.lstrip().upper().startswith("UPDATE")]
    if store.engine.dialect.name == "sqlite":
        assert len(event_inserts) == 1, writes
        assert len([s for s in head_moves if "ledger_head" in s.tables]) == 1
        assert len([s for s in inserts if "case_changes" in s.tables]) == 1
    else:  # one statement inserts them, moves the head, marks the cases (``event_append``)
        assert writes == ["WITH"], writes
        (appended,) = [s for s in counted.statements if s.sql.lstrip().startswith("WITH")]
        assert {"ledger_events", "ledger_head", "case_changes"} <= set(appended.tables)
        assert not event_inserts and not head_moves
    assert not [s for s in counted.statements if "SAVEPOINT" in s.sql.upper()]
    with store.read() as conn:
        after = conn.execute(select(func.count()).select_from(t.ledger_events)).scalar()
        marks = dict(
            conn.execute(
                select(t.case_changes.c.case_id, t.case_changes.c.seq).where(
                    t.case_changes.c.case_id.in_(cases)
                )
            ).all()
        )
    assert after - before == 8
    with store.read() as conn:
        newest = dict(
            conn.execute(
                select(t.ledger_events.c.case_id, func.max(t.ledger_events.c.seq))
                .where(t.ledger_events.c.case_id.in_(cases))
                .group_by(t.ledger_events.c.case_id)
            ).all()
        )
    assert marks == newest
    assert verify(store, SYSTEM).ok


def test_a_later_unit_that_fails_after_its_events_were_inserted_takes_them_back(
    store: Store,
) -> None:
    """The unit records, runs a statement (its events go in, inside its savepoint), then
    fails: its events are rolled back with it, the first unit's and the next one's stay."""
    agency = make_agency(store)["agency"]
    failed: list[BaseException] = []

    def records(subject: str, then_fail: bool) -> object:
        def run() -> None:
            try:
                with store.transaction(SYSTEM) as tx:
                    tx.record("test.written", subject_type="test", subject_id=subject)
                    tx.conn.execute(select(t.ledger_head.c.next_seq)).scalar()
                    if then_fail:
                        raise RuntimeError("after its events went in")
            except RuntimeError as exc:
                failed.append(exc)

        return run

    first = Held(
        store,
        lambda tx: tx.record("test.written", subject_type="test", subject_id="kept-1"),  # type: ignore[attr-defined]
    )
    threads = _queued(store, [records("gone", True), records("kept-2", False)])  # type: ignore[list-item]
    first.go.set()
    _ended(first.thread, *threads)
    assert first.error is None and len(failed) == 1
    with store.read() as conn:
        subjects = set(
            conn.execute(
                select(t.ledger_events.c.subject_id).where(
                    t.ledger_events.c.subject_id.in_(["kept-1", "gone", "kept-2"])
                )
            ).scalars()
        )
    assert subjects == {"kept-1", "kept-2"}
    make_case(store, agency, number="后〔2026〕2号")  # the head moved on from the right place
    assert verify(store, SYSTEM).ok


def test_what_counts_as_locking_or_writing() -> None:
    """A later unit may step out of its batch only before it has locked or written: a plain
    SELECT does neither; FOR UPDATE, DML and SQL the hook cannot read do."""
    events = t.ledger_events
    assert not _locks_or_writes(select(events.c.seq))
    assert not _locks_or_writes("  select 1")
    assert _locks_or_writes(select(events.c.seq).with_for_update(key_share=True))
    assert _locks_or_writes("SELECT id FROM cases WHERE id = %s FOR NO KEY UPDATE")
    assert _locks_or_writes(insert(events))
    assert _locks_or_writes(update(events))
    assert _locks_or_writes(delete(events))
    assert _locks_or_writes(text("SELECT 1"))  # (not read: taken as writing)
    assert _locks_or_writes("UPDATE ledger_head SET next_seq = 1")
