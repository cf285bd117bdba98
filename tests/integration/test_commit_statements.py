"""A write batch's commit on PostgreSQL inserts its events, moves the head, marks the cases
they change and reads the leaves in one statement (``store/event_append.py``), where it sent
five; the leaves it reads are the ones it read back before. What a failure does is what it
did one statement at a time: the statement the server refuses fails the whole batch, every
unit in it is told, nothing of theirs is saved, and the next write goes on over a ledger
that verifies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select
from tests.factories import make_agency, make_case
from tests.helpers import SYSTEM
from tests.integration.test_write_group import Held, _ended, _queued, _recorded

from liuhen.services.admin.ledger import inclusion_proof
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from liuhen.store.store import Store

POSTGRES_ONLY = pytest.mark.parametrize(
    "settings", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@POSTGRES_ONLY
def test_a_commit_appends_and_reads_the_leaves_in_one_statement(store: Store) -> None:
    """After another process's write (its leaves read by this one), a transaction of three
    events, two of them changing a case: the head's lock, one statement for the events, the
    head, the case and the leaves, then the tiles and the checkpoint. The case is marked at
    its newest event, the head is past the last, and the ledger verifies."""
    agency = make_agency(store)["agency"]
    case_id = make_case(store, agency)
    with store.transaction(SYSTEM) as tx:  # the tree's edge read once
        tx.record("test.written", subject_type="case", subject_id="先")
    other = Store.open(store.settings, clock=store.clock)
    try:
        with other.transaction(SYSTEM) as tx:
            tx.record("test.written", subject_type="case", subject_id="另一进程")
    finally:
        other.close()
    seen: list[str] = []

    def on_execute(_conn: Any, _c: Any, statement: str, *_: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            seen.append(statement.split()[0].upper() + " " + _table(statement))

    event.listen(store.engine, "before_cursor_execute", on_execute)
    try:
        with store.transaction(SYSTEM) as tx:
            tx.record("test.written", subject_type="case", subject_id=case_id, case_id=case_id)
            seqs = [
                tx.record("test.written", subject_type="case", subject_id=case_id, case_id=case_id),
                tx.record("test.viewed", subject_type="case", subject_id="读"),
            ]
    finally:
        event.remove(store.engine, "before_cursor_execute", on_execute)
    assert seen == [
        "SELECT ledger_head",
        "WITH ledger_events",
        "INSERT ledger_tiles",
        "INSERT checkpoints",
    ], seen
    with store.read() as conn:
        head = conn.execute(select(t.ledger_head.c.next_seq)).scalar()
        marked = conn.execute(
            select(t.case_changes.c.seq).where(t.case_changes.c.case_id == case_id)
        ).scalar()
        signed = conn.execute(select(func.max(t.checkpoints.c.tree_size))).scalar()
    assert (head, marked, signed) == (seqs[1] + 1, seqs[0], seqs[1] + 1)
    assert _recorded(store, "另一进程") and _recorded(store, "读")
    assert verify(store, SYSTEM).ok


def _table(statement: str) -> str:
    """The first table a statement names of the ledger's."""
    names = ("ledger_head", "ledger_events", "ledger_tiles", "checkpoints", "case_changes")
    found = [(statement.find(n), n) for n in names if n in statement]
    return min(found)[1] if found else "?"


@contextmanager
def refused(store: Store, table: str) -> Iterator[None]:
    """The server refuses every row inserted into ``table`` while the block runs."""
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION liuhen_test_refuse() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION '拒绝写入'; END $$"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER liuhen_test_refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION liuhen_test_refuse()"
            )
        else:
            conn.exec_driver_sql(
                f"CREATE TRIGGER liuhen_test_refuse BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, '拒绝写入'); END"
            )
    try:
        yield
    finally:
        with store.engine.begin() as conn:
            if store.engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"DROP TRIGGER liuhen_test_refuse ON {table}")
                conn.exec_driver_sql("DROP FUNCTION liuhen_test_refuse()")
            else:
                conn.exec_driver_sql("DROP TRIGGER liuhen_test_refuse")


def _head(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.max(t.ledger_events.c.seq))).scalar_one())


@pytest.mark.parametrize("table", ["ledger_events", "ledger_tiles", "checkpoints"])
def test_a_statement_the_server_refuses_fails_the_whole_batch_and_the_next_write_goes_on(
    store: Store, table: str
) -> None:
    """Refused in each of the commit's statements: the events' insert (on PostgreSQL the
    statement that reads the leaves), the tiles' or the checkpoint's."""
    before = _head(store)
    errors: list[BaseException] = []

    def unit(subject: str) -> Any:
        def run() -> None:
            try:
                with store.transaction(SYSTEM) as tx:
                    tx.record("test.written", subject_type="case", subject_id=subject)
            except BaseException as exc:  # noqa: BLE001 - the test looks at it
                errors.append(exc)

        return run

    with refused(store, table):
        first = Held(
            store,
            lambda tx: tx.record("test.written", subject_type="case", subject_id="拒0"),  # type: ignore[attr-defined]
        )
        threads = _queued(store, [unit(f"拒{k}") for k in (1, 2)])
        first.go.set()
        _ended(first.thread, *threads)
    assert first.error is not None and "拒绝写入" in str(first.error), first.error
    assert len(errors) == 2 and all("拒绝写入" in str(e) for e in errors), errors
    assert _head(store) == before
    assert not any(_recorded(store, f"拒{k}") for k in range(3))

    unit("拒后")()
    assert errors[2:] == []
    assert _recorded(store, "拒后") and _head(store) == before + 1
    assert verify(store, SYSTEM).ok


def test_events_inserted_by_an_earlier_statement_and_events_still_held_are_tiled_together(
    store: Store,
) -> None:
    """A transaction records, queries (its events go in before the query), records again:
    the commit tiles the first from the database and the rest from what it holds, and
    signs over all of them; the ledger verifies and a proof of each checks out."""
    with store.transaction(SYSTEM) as tx:
        first = tx.record("test.written", subject_type="case", subject_id="先入")
        seen = tx.conn.execute(
            select(t.ledger_events.c.subject_id).where(t.ledger_events.c.seq == first)
        ).scalar()
        later = [
            tx.record("test.written", subject_type="case", subject_id=f"后{k}") for k in range(3)
        ]
    assert seen == "先入"
    with store.read() as conn:
        signed = conn.execute(select(func.max(t.checkpoints.c.tree_size))).scalar()
    assert signed == later[-1] + 1
    for seq in (first, *later):
        assert inclusion_proof(store, SYSTEM, seq)["verified"]
    assert verify(store, SYSTEM).ok
