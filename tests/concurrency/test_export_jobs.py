"""One export job however many ask at once (issue 16 item 4): four processes asking for the
same case's archive package at the same moment make one ``export_jobs`` row and one
``case.export_requested`` event; every one of them is handed that job, only one starts it.
The database decides (the job's key; ``INSERT … ON CONFLICT DO NOTHING``), on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from liuhen.ledger.events import Actor
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import export_ops
from tests.factories import make_case, make_user
from tests.helpers import SYSTEM, make_case_with_files


def _count(store: Any, table: Any, *where: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def test_one_export_asked_for_four_times_at_once_is_one_job(store, racers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    made = make_case_with_files(store, tmp_path)
    keeper = make_user(store, "keeper", "custodian", agency_id=made["agency"])
    actor = Actor(id=keeper.id, label="档案员", roles=("custodian",), agency_id=made["agency"])
    results = racers.race(store, export_ops.request_export, actor, made["case"], "package")
    assert results.codes == {"ok": 4}, results
    outcomes = results.values()
    jobs = {o.strip("'").split()[0] for o in outcomes}
    assert len(jobs) == 1, outcomes
    assert sum("made" in o for o in outcomes) == 1, outcomes
    assert _count(store, t.export_jobs) == 1
    asked = t.ledger_events.c.action == "case.export_requested"
    assert _count(store, t.ledger_events, asked) == 1
    other = make_case(store, made["agency"], number="测试〔2026〕9号")
    again = racers.race(store, export_ops.request_export, actor, other, "case_file")
    assert sum("made" in o for o in again.values()) == 1, again
    assert _count(store, t.export_jobs) == 2
    assert verify(store, SYSTEM).ok
