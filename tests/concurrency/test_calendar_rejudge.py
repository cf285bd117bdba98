"""Re-judging the summaries after a holiday schedule's load, once per cluster (issue 14):
four processes loading the same schedule at once queue one job ``summaries``; four nodes'
runners taking the waiting jobs at once run it once, and every summary is judged under the
new schedule. SQLite and PostgreSQL, the store verifies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.summaries import summaries
from liuhen.store import job_rows
from tests.concurrency import job_ops
from tests.factories import make_agency, make_case
from tests.helpers import SYSTEM

SCHEDULE = Path(__file__).parents[1] / "data" / "holidays-2027-test.yaml"


def summary_jobs(store: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return job_rows.of_kind(conn, "summaries")


def test_four_processes_loading_a_schedule_at_once_queue_one_job_run_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(store)["agency"]
    ids = [make_case(store, agency, number=f"并发〔2026〕{n}号") for n in range(1, 6)]
    assert {s["calendar"] for s in summaries(store).values()} == {""}

    loaded = racers.race(store, job_ops.load_calendar, str(SCHEDULE))
    assert loaded.codes == {"ok": 4}, loaded
    key = store.calendar(fresh=True).key
    [job] = summary_jobs(store)
    assert (job["key"], job["state"]) == (f"summaries:{key}", "queued")

    ran = racers.race(store, job_ops.run_waiting)
    assert ran.codes == {"ok": 4} and sum(int(v) for v in ran.values()) == 1, ran
    [job] = summary_jobs(store)
    assert job["state"] == "done" and job["result"]["cases"] == len(ids), job
    assert {summaries(store)[c]["calendar"] for c in ids} == {key}
    assert verify(store, SYSTEM).ok
