"""Holiday schedules an administrator loads for a year the package does not know: until
then a 2-working-day AV deadline that runs into that year is "unknown", after it the due
time is computed from the loaded days, cached summaries are judged again, and the due-soon
page counts working days across the new year. Bad files and package years are refused
whole, with the file and the day named."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.helpers import SYSTEM, make_case_with_files, run_cli, run_jobs, web_login

from liuhen.errors import InvalidInput, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.admin.holidays import known_years, load_schedule
from liuhen.services.admin.users import add_user
from liuhen.services.av.due import av_uploads_due
from liuhen.services.cases.records import record_act
from liuhen.services.cases.rejudge import rejudge_key
from liuhen.services.cases.summaries import summaries
from liuhen.store import tables as t
from liuhen.web.app import create_app

TZ = ZoneInfo("Asia/Shanghai")
SCHEDULE = Path(__file__).parents[1] / "data" / "holidays-2027-test.yaml"
SOURCE = "测试用安排（非官方）"
ADMIN = Actor(id=None, label="系统管理员", roles=("admin",))


def test_a_loaded_year_turns_unknown_deadlines_into_due_times(store, tmp_path, clock):
    made = make_case_with_files(store, tmp_path)
    case = made["case"]
    act_end = datetime(2026, 12, 31, 16, 0, tzinfo=TZ)  # 2 working days run into 2027
    record_act(
        store, SYSTEM, case_id=case, kind="seal_up", started_at=act_end - timedelta(hours=1),
        ended_at=act_end, place="老街1号", officer_ids=[made["o1"]],
    )  # fmt: skip
    clock.now = datetime(2026, 12, 31, 18, 0, tzinfo=TZ)
    [due] = av_uploads_due(store, SYSTEM, clock(), case_id=case)
    assert due.due is None and due.state == "waiting"
    before = summaries(store)[case]
    assert before["calendar"] == ""
    with pytest.raises(PermissionDenied):
        load_schedule(
            store, Actor(id=None, label="张三", roles=("officer",)), SCHEDULE, source=SOURCE
        )
    assert load_schedule(store, ADMIN, SCHEDULE, source=SOURCE) == [2027]
    [due] = av_uploads_due(store, SYSTEM, clock(), case_id=case)
    # 2027-01-01 is a holiday in the loaded schedule, 01-02/03 a weekend: 01-04, 01-05
    assert due.due is not None and due.due.astimezone(TZ).date().isoformat() == "2027-01-05"
    assert summaries(store)[case]["calendar"] == ""  # left to the job the load queued
    assert run_jobs(store) == 1
    after = summaries(store)[case]
    assert after["calendar"] and after["calendar"] == store.calendar().key  # judged again
    with store.read() as conn:
        [event] = conn.execute(
            select(t.ledger_events.c.payload).where(t.ledger_events.c.action == "calendar.loaded")
        ).all()
    assert event.payload["years"] == [2027] and event.payload["source"] == SOURCE
    years = {y.year: y for y in known_years(store)}
    assert years[2027].origin == "loaded" and years[2027].holidays == 8
    assert years[2026].origin == "package"


def test_bad_files_and_package_years_are_refused_whole(store, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("2027:\n  holidays: [2027-02-30, 2028-01-01]\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_schedule(store, ADMIN, bad, source=SOURCE)
    assert any("2027.holidays[0]" in d for d in caught.value.details)
    assert any("不在 2027 年" in d for d in caught.value.details)
    known = tmp_path / "known.yaml"
    known.write_text("2026:\n  holidays: [2026-01-01]\n2027:\n  holidays: []\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_schedule(store, ADMIN, known, source=SOURCE)
    assert any("2026 年的安排已由 chinese_calendar 提供" in d for d in caught.value.details)
    with pytest.raises(InvalidInput, match="未载入"):
        load_schedule(store, ADMIN, SCHEDULE, source=" ")
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.holiday_schedules)).scalar() == 0
    assert not store.calendar().is_known(2027)


def test_the_command_line_loads_and_shows_and_the_due_page_crosses_the_year(
    tmp_path, clock, make_settings
):
    from liuhen.services.admin.agency import create_agency
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    root = tmp_path / "data"
    settings = make_settings(root)
    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    store.calendar_check = 0.3  # seconds a server trusts the schedules it read (2 by default)
    agency = create_agency(store, SYSTEM, name="测试镇人民政府", profile_id="shanxi-township")
    add_user(
        store, SYSTEM, username="officer1", password="Officer-pass-2026", display_name="张三",
        roles=["officer"], agency_id=agency,
    )  # fmt: skip
    clock.now = datetime(2026, 12, 28, 9, 0, tzinfo=TZ)
    web = TestClient(create_app(settings, store=store), base_url="http://127.0.0.1")
    assert web_login(web, "officer1", "Officer-pass-2026").status_code == 303
    cut_short = web.get("/cases/due", params={"days": "5"})  # still answers, and says why
    assert cut_short.status_code == 200 and "2027年的节假日安排尚未载入" in cut_short.text
    assert "2026-12-31 23:59" in cut_short.text
    inbox = web.get("/api/inbox", params={"days": "5"}).json()
    assert "2027年的节假日安排尚未载入" in inbox["notice"] and inbox["limit"].startswith(
        "2026-12-31"
    )

    base = ["--data-dir", str(root)]
    shown = run_cli([*base, "calendar", "show"])
    assert shown.code == 0 and "2027 年及以后尚未知" in shown.out
    bad = run_cli([*base, "calendar", "load", str(tmp_path / "missing.yaml"), "--source", "x"])
    assert bad.code == 2 and "无法读取节假日安排文件" in bad.err
    loaded = run_cli([*base, "calendar", "load", str(SCHEDULE), "--source", SOURCE])
    assert loaded.code == 0, loaded.err
    assert "已载入 2027 年" in loaded.out
    listed = run_cli([*base, "calendar", "show", "--json"])
    assert [y["year"] for y in listed.json() if y["origin"] == "loaded"] == [2027]

    time.sleep(store.calendar_check)  # another process's load shows once the trust expires
    page = web.get("/cases/due", params={"days": "5"})  # the server sees the load, no restart
    assert page.status_code == 200 and "2027-01-05 23:59" in page.text
    assert "尚未载入" not in page.text
    assert web.get("/api/inbox", params={"days": "5"}).json()["notice"] == ""
    assert "后台任务" in loaded.out  # the summaries' re-judging, queued with the load
    assert "正在重新评查案件（排队中）" in web.get("/cases").text
    ran = run_cli([*base, "jobs", "run"])  # no server runs its jobs here
    assert ran.code == 0 and "已运行 1 个后台任务" in ran.out, ran.err
    assert "正在重新评查案件" not in web.get("/cases").text
    store.close()


def test_an_administrator_loads_a_year_through_the_web(store, clock):
    import re

    from tests.conftest import ADMIN_PASSWORD

    add_user(
        store, SYSTEM, username="officer1", password="Officer-pass-2026", display_name="张三",
        roles=["officer"],
    )  # fmt: skip
    app = create_app(store.settings, store=store)
    officer = TestClient(app, base_url="http://127.0.0.1")
    assert web_login(officer, "officer1", "Officer-pass-2026").status_code == 303
    seen = officer.get("/calendar").text
    assert "2004–2026" in seen and "2027 年及以后的安排尚未知" in seen and 'name="file"' not in seen
    token = re.search(r'name="csrf" value="([^"]+)"', officer.get("/cases").text).group(1)
    refused = officer.post("/calendar", data={"csrf": token, "source": SOURCE})
    assert refused.status_code == 403

    admin = TestClient(app, base_url="http://127.0.0.1")  # the first admin, with TOTP
    assert web_login(admin, "admin", ADMIN_PASSWORD).status_code == 303
    page = admin.get("/calendar").text
    assert 'name="file"' in page and "节假日" in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    wrong = admin.post(
        "/calendar",
        data={"csrf": token, "source": SOURCE},
        files={"file": ("2027.txt", b"2027: {}", "text/plain")},
    )
    assert wrong.status_code == 400 and "不是 YAML 或 JSON 文件" in wrong.text
    bad_day = admin.post(
        "/calendar",
        data={"csrf": token, "source": SOURCE},
        files={"file": ("2027.yaml", b"2027:\n  holidays: [2027-13-01]\n", "text/yaml")},
    )
    assert bad_day.status_code == 400 and "2027.yaml: 2027.holidays[0]" in bad_day.text
    assert "/tmp" not in bad_day.text and str(store.settings.data_dir) not in bad_day.text
    assert not store.calendar().is_known(2027)
    done = admin.post(
        "/calendar",
        data={"csrf": token, "source": SOURCE},
        files={"file": ("2027.yaml", SCHEDULE.read_bytes(), "text/yaml")},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    shown = admin.get(done.headers["location"]).text
    assert "已载入 2027 年" in shown and SOURCE in shown and "2028 年及以后" in shown
    assert store.calendar().is_known(2027)
    job = app.state.jobs.wait(rejudge_key(store.calendar().key))  # this node's runner took it
    assert job is not None and job.state == "done", job
