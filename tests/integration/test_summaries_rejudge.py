"""Re-judging the case summaries after a holiday schedule's load is a cluster job (issue
14): the load queues one job ``summaries`` per calendar in its own transaction; meanwhile
the list and dashboard pages re-judge nothing inline and say the summaries are being
re-judged, with the job's progress; the job re-judges every case under the new schedule
(the AV deadline that ran into the unknown year gets its due day); a job whose node died
midway is retried and goes on with what is still stale; without a job (it failed for good)
requests re-judge inline as before. SQLite and PostgreSQL, the store verifies."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.conftest import ADMIN_PASSWORD
from tests.factories import make_case
from tests.helpers import SYSTEM, make_case_with_files, run_jobs, web_login

from liuhen.ledger.events import Actor
from liuhen.services.admin.holidays import load_schedule
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases import rejudge
from liuhen.services.cases import summaries as summaries_module
from liuhen.services.cases.records import record_act
from liuhen.services.cases.summaries import summaries
from liuhen.store import job_rows
from liuhen.store import tables as t
from liuhen.web.app import create_app

TZ = ZoneInfo("Asia/Shanghai")
SCHEDULE = Path(__file__).parents[1] / "data" / "holidays-2027-test.yaml"
SOURCE = "测试用安排（非官方）"
ADMIN = Actor(id=None, label="系统管理员", roles=("admin",))
CASES = 5


def cases_into_2027(store: Any, tmp_path: Path) -> list[str]:
    """``CASES`` cases, each with a seal-up whose 2-working-day AV deadline runs into 2027
    (unknown until its schedule is loaded), their summaries judged at 2026-12-31 18:00."""
    made = make_case_with_files(store, tmp_path)
    ids = [made["case"]]
    for n in range(2, CASES + 1):
        ids.append(make_case(store, made["agency"], number=f"测试〔2026〕{n}号"))
    act_end = datetime(2026, 12, 31, 16, 0, tzinfo=TZ)
    for case in ids:
        record_act(
            store, SYSTEM, case_id=case, kind="seal_up", started_at=act_end - timedelta(hours=1),
            ended_at=act_end, place="老街1号", officer_ids=[made["o1"]],
        )  # fmt: skip
    store.clock.now = datetime(2026, 12, 31, 18, 0, tzinfo=TZ)
    judged = summaries(store)
    assert all(judged[c]["calendar"] == "" for c in ids)
    assert all(d["due"] is None for c in ids for d in judged[c]["av_due"])
    return ids


def summary_jobs(store: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return job_rows.of_kind(conn, rejudge.KIND)


def assert_judged_under_2027(store: Any, ids: list[str]) -> None:
    key = store.calendar().key
    judged = summaries(store)
    for case in ids:
        assert judged[case]["calendar"] == key
        [due] = judged[case]["av_due"]  # 2027-01-01 a holiday, 01-02/03 a weekend
        assert (
            due["due"]
            and datetime.fromisoformat(due["due"]).astimezone(TZ).date().isoformat() == "2027-01-05"
        )


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The cases whose summary is computed (a spy on ``summaries.compute_many``, which
    ``compute`` and every batch go through)."""
    seen: list[str] = []
    real = summaries_module.compute_many

    def spy(store: Any, case_ids: Any, now: Any = None) -> Any:
        found = real(store, case_ids, now)
        seen.extend(found)
        return found

    monkeypatch.setattr(summaries_module, "compute_many", spy)
    return seen


def test_a_load_queues_one_job_pages_wait_for_it_and_it_rejudges_every_case(
    store, tmp_path, computed
) -> None:  # type: ignore[no-untyped-def]
    ids = cases_into_2027(store, tmp_path)
    web = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    assert web_login(web, "admin", ADMIN_PASSWORD).status_code == 303
    assert "rejudging-notice" not in web.get("/cases").text

    load_schedule(store, ADMIN, SCHEDULE, source=SOURCE)
    load_schedule(store, ADMIN, SCHEDULE, source=SOURCE)  # the same days again: the same job
    key = store.calendar().key
    [job] = summary_jobs(store)
    assert (job["key"], job["state"], job["args"]["calendar"]) == (
        f"summaries:{key}",
        "queued",
        key,
    )

    computed.clear()
    for path in ("/cases", "/dashboard", "/cases/due"):
        page = web.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        if path != "/cases/due":
            assert "节假日安排已更新，正在重新评查案件" in page.text, path
    for path in ("/api/cases", "/api/dashboard"):  # the API says so too
        assert "正在重新评查案件" in web.get(path).json()["rejudging"], path
    assert computed == []  # no page re-judged the store inline
    assert all(s["calendar"] == "" for s in summaries(store).values())

    record_act(  # a case changed meanwhile is caught up by the request, as always
        store, SYSTEM, case_id=ids[0], kind="inspection",
        started_at=store.clock() - timedelta(hours=3), ended_at=store.clock() - timedelta(hours=2),
        place="老街2号", officer_ids=[],
    )  # fmt: skip
    computed.clear()
    assert web.get("/cases").status_code == 200
    assert computed == [ids[0]]

    assert run_jobs(store) == 1
    [job] = summary_jobs(store)
    assert job["state"] == "done" and job["result"]["cases"] == CASES - 1, job
    assert_judged_under_2027(store, ids)
    computed.clear()
    page = web.get("/cases").text
    assert "rejudging-notice" not in page and computed == []  # nothing left to do inline
    assert web.get("/api/cases").json()["rejudging"] is None
    assert web.get("/api/dashboard").json()["rejudging"] is None
    assert verify(store, SYSTEM).ok


def test_the_notice_shows_the_progress_of_the_job(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cases_into_2027(store, tmp_path)
    load_schedule(store, ADMIN, SCHEDULE, source=SOURCE)
    assert rejudge.notice(store) == "节假日安排已更新，正在重新评查案件（排队中），评查结果稍后更新"
    [job] = summary_jobs(store)
    taken = job_rows.claim(
        store.engine, store.clock(), "node-x", timedelta(minutes=2), ["summaries"]
    )
    assert taken is not None and taken["id"] == job["id"]
    job_rows.report(store.engine, taken, 0.4, "2/5", store.clock() + timedelta(minutes=2))
    assert rejudge.notice(store) == "节假日安排已更新，正在重新评查案件（已完成 2 / 5）"
    web = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    assert web_login(web, "admin", ADMIN_PASSWORD).status_code == 303
    for path in ("/cases", "/dashboard"):  # any node's page shows the running job's progress
        assert "正在重新评查案件（已完成 2 / 5）" in web.get(path).text, path


def test_a_job_whose_node_died_midway_is_retried_and_finishes(store, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = cases_into_2027(store, tmp_path)
    load_schedule(store, ADMIN, SCHEDULE, source=SOURCE)
    key = store.calendar().key
    monkeypatch.setattr(rejudge, "BATCH", 2)
    dying = job_rows.claim(
        store.engine, store.clock(), "node-x", timedelta(minutes=2), ["summaries"]
    )
    assert dying is not None

    class Died(Exception):
        pass

    steps: list[str] = []

    def report(share: float, step: str) -> None:  # the node dies after its first batch
        steps.append(step)
        if len(steps) == 2:
            raise Died

    with pytest.raises(Died):
        rejudge.run_rejudge(store, key, report)
    assert steps == [f"0/{CASES}", f"2/{CASES}"]  # the first batch committed
    assert run_jobs(store) == 0  # node-x holds its lease
    store.clock.advance(minutes=3)  # and wrote nothing since: it died
    assert run_jobs(store) == 1
    [job] = summary_jobs(store)
    assert (job["state"], job["attempts"]) == ("done", 2)
    assert job["result"]["cases"] == CASES - 2  # only what was still stale
    assert_judged_under_2027(store, ids)
    assert verify(store, SYSTEM).ok


def test_without_a_job_requests_rejudge_inline(store, tmp_path, computed) -> None:  # type: ignore[no-untyped-def]
    ids = cases_into_2027(store, tmp_path)
    load_schedule(store, ADMIN, SCHEDULE, source=SOURCE)
    assert summaries(store)[ids[0]]["calendar"] == ""  # the job waits
    with store.engine.begin() as conn:  # it failed for good (or the store predates the job)
        conn.execute(update(t.jobs).where(t.jobs.c.kind == "summaries").values(state="failed"))
    computed.clear()
    assert_judged_under_2027(store, ids)
    assert sorted(computed) == sorted(ids)
    with store.read() as conn:
        assert conn.execute(select(t.jobs.c.state)).scalars().all() == ["failed"]


def test_a_job_overtaken_by_a_newer_schedule_leaves_the_cases_to_that_ones_job(
    store, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    ids = cases_into_2027(store, tmp_path)
    load_schedule(store, ADMIN, SCHEDULE, source=SOURCE)
    first = store.calendar().key
    corrected = tmp_path / "2027-corrected.yaml"
    corrected.write_text("2027:\n  holidays: [2027-01-01, 2027-02-10]\n", encoding="utf-8")
    store.clock.advance(minutes=1)  # the newer row of a year wins
    load_schedule(store, ADMIN, corrected, source="更正后的安排")
    second = store.calendar().key
    assert first != second
    assert run_jobs(store) == 2
    jobs = {j["key"]: j for j in summary_jobs(store)}
    assert jobs[f"summaries:{first}"]["result"] == {"superseded": True, "cases": 0}
    assert jobs[f"summaries:{second}"]["result"]["cases"] == CASES
    assert {summaries(store)[c]["calendar"] for c in ids} == {second}
    assert verify(store, SYSTEM).ok
