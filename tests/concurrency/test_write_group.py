"""Write transactions of four processes, each with four threads, at once, asking for the
same case numbers as each other and as the other processes: the threads of a process share
database transactions (``write_group``; on PostgreSQL a later unit that must wait for a row
lock another process holds leaves its batch first). Each number is opened exactly once, every other asking is told of the conflict, and the store
verifies."""

from __future__ import annotations

import ast

from sqlalchemy import func, select

from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import ledger_ops
from tests.factories import make_agency, make_case
from tests.helpers import SYSTEM

THREADS, EACH = 4, 6


def test_threads_of_four_processes_open_each_number_once_in_shared_commits(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(store)["agency"]
    results = racers.race(store, ledger_ops.cases_from_threads, agency, THREADS, EACH)
    assert results.codes == {"ok": 4}, results
    given = [ast.literal_eval(value) for value in results.values()]
    opened = [number for numbers, *_ in given for number in numbers]
    numbers = {f"并发〔2026〕{k}号" for k in range(1, THREADS * EACH // 2 + 1)}
    assert sorted(opened) == sorted(numbers)  # each once, whoever won it
    assert sum(conflicts for _, conflicts, _, _ in given) == 4 * THREADS * EACH - len(numbers)
    with store.read() as conn:
        stored = conn.execute(
            select(func.count()).select_from(t.cases).where(t.cases.c.number.in_(numbers))
        ).scalar()
    assert stored == len(numbers)
    batches = sum(b for *_, b, _ in given)
    units = sum(u for *_, u in given)
    if store.engine.dialect.name == "sqlite":
        assert batches < units, (batches, units)  # some writes shared a commit
    else:  # every unit that met a number another process held stepped out of its batch
        assert batches <= units, (batches, units)
    assert verify(store, SYSTEM).ok


def test_threads_of_four_processes_locking_cases_in_turn_never_deadlock(store, racers) -> None:  # type: ignore[no-untyped-def]
    """Every write locks one of three cases, then records: on PostgreSQL a batch holds the
    ledger's head while a later unit of it asks for a case that another process's
    transaction holds while it waits for that head. Each such unit steps out of its batch
    (``write_group``), so every write commits: none is rolled back as a deadlock's victim."""
    agency = make_agency(store)["agency"]
    cases = [make_case(store, agency, number=f"锁〔2026〕{k}号") for k in (1, 2, 3)]
    with store.read() as conn:
        before = conn.execute(select(func.count()).select_from(t.ledger_events)).scalar()
    results = racers.race(store, ledger_ops.locked_writes_from_threads, cases, THREADS, EACH)
    assert results.codes == {"ok": 4}, results
    given = [ast.literal_eval(value) for value in results.values()]
    assert [failed for _, failed, _ in given] == [[]] * 4
    assert sum(done for done, _, _ in given) == 4 * THREADS * EACH
    with store.read() as conn:
        after = conn.execute(select(func.count()).select_from(t.ledger_events)).scalar()
    assert after - before >= 4 * THREADS * EACH  # (and the checkpoints' own, if any)
    assert verify(store, SYSTEM).ok
