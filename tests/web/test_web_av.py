"""Audio-video through the web (SQLite and PostgreSQL): the case page's player and timeline,
the AV record's forms (each save a new version), unlinked footage, the device register,
uploads due, and playback on the ledger once per start."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import make_user
from tests.helpers import SYSTEM, make_case_with_files, web_login

from liuhen.ledger.events import Actor
from liuhen.media.importing import ImportOptions
from liuhen.media.synthetic import make_recording
from liuhen.services.av.devices import register_device
from liuhen.services.av.ingest import import_av
from liuhen.services.av.versions import link_av
from liuhen.services.cases.records import record_act
from liuhen.store import tables as t
from liuhen.web.app import create_app

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
PASSWORD = "Officer-pass-2026"
CUSTODIAN = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_recording(tmp_path_factory.mktemp("dock"), start=T0, pauses=(0, 240))


@pytest.fixture
def site(store, clock, tmp_path, footage) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    clock.now = T0 + timedelta(hours=1)
    ids = make_case_with_files(store, tmp_path)
    with store.read() as conn:
        o1 = conn.execute(select(t.officers.c.id).where(t.officers.c.name == "张三")).scalar()
    for login, name, role, officer in (
        ("zhangsan", "张三", "officer", o1),
        ("chendan", "陈丹", "custodian", None),
    ):
        make_user(
            store, login, role, agency_id=ids["agency"], officer_id=officer, display_name=name
        )
    device = register_device(
        store, CUSTODIAN, kind="body_camera", serial_no="DSJ-V9-0001", officer_id=o1
    )
    report = import_av(store, CUSTODIAN, footage)
    linked = link_av(
        store, CUSTODIAN, report.records[0]["record_id"], case_id=ids["case"], act_id=ids["act"]
    )
    app = create_app(store.settings, store=store)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        web_login(client, "chendan", PASSWORD)
        yield {**ids, "av": linked, "device": device, "o1": o1, "client": client, "app": app}


def csrf(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text).group(1)


def post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf": csrf(client)}, follow_redirects=False)


def versions(store: Any) -> int:
    with store.read() as conn:
        return len(conn.execute(select(t.records.c.id).where(t.records.c.kind == "av")).all())


def test_case_page_shows_the_player_with_segments_and_a_red_gap(site, store):
    page = site["client"].get(f"/cases/{site['case']}").text
    section = page.split('id="av"', 1)[1].split("</section>", 1)[0]
    assert f'src="/records/{site["av"]}/files/1"' in section
    assert section.count('class="av-seg"') == 3
    assert section.count('class="av-gap"') == 1  # unexplained: red
    assert "1 处未说明" in section and "/static/av_player.js" in section
    widths = [float(w) for w in re.findall(r'class="av-seg"[^>]*width="([\d.]+)"', section)]
    gap = float(re.search(r'class="av-gap"[^>]*width="([\d.]+)"', section).group(1))
    assert gap > 40 * max(widths)  # 240 s of gap against 2 s segments, to scale


def test_each_form_saves_a_new_version_and_the_gap_turns_explained(site, store):
    client, av = site["client"], site["av"]
    page = client.get(f"/av/{av}")
    assert page.status_code == 200 and "登记中止记录" in page.text
    before = versions(store)
    done = post(
        client,
        f"/av/{av}/gaps/0",
        {"reason": "电池耗尽，更换电池", "explained_by": "voice", "video_at": "4:05"},
    )
    assert done.status_code == 303, done.text
    new = done.headers["location"].split("/av/")[1].split("?")[0]
    assert versions(store) == before + 1 and new != av
    shown = client.get(f"/av/{new}").text
    assert "电池耗尽，更换电池" in shown and 'class="av-gap explained"' in shown
    assert "av-mark interruption" in shown
    old = client.get(f"/av/{av}").text
    assert "已被替代" in old and "登记中止记录" not in old  # only the newest is edited
    refused = post(client, f"/av/{av}/gaps/0", {"reason": "x", "explained_by": "voice"})
    assert refused.status_code == 400 and "最新版本" in refused.text

    opened = post(
        client,
        f"/av/{new}/opening",
        {"elements": ["time", "place", "officers"], "mark_time": "0:00", "mark_place": "0:01"},
    )
    assert opened.status_code == 303
    third = opened.headers["location"].split("/av/")[1].split("?")[0]
    shown = client.get(f"/av/{third}").text
    assert "✓ 时间" in shown and "✗ 执法对象" in shown and "av-mark opening" in shown

    evidence = post(
        client,
        f"/av/{third}/evidence",
        {"method": "执法记录仪拍摄，原件导出", "made_at": "2026-11-20T11:00", "maker": "陈丹",
         "object": "店外堆放货架的事实", "carrier": "disc"},
    )  # fmt: skip
    assert evidence.status_code == 303
    fourth = evidence.headers["location"].split("/av/")[1].split("?")[0]
    kept = post(client, f"/av/{fourth}/retention", {"term": "long_term", "reason": ""})
    assert kept.status_code == 400 and "须说明理由" in kept.text
    kept = post(
        client, f"/av/{fourth}/retention", {"term": "long_term", "reason": "当事人对现场执法有异议"}
    )
    assert kept.status_code == 303
    with store.read() as conn:
        row = (
            conn.execute(select(t.records).where(t.records.c.supersedes_id == fourth))
            .mappings()
            .one()
        )
    d = row["details"]
    assert (
        d["interruptions"][0]["video_at"] == 245
        and d["interruptions"][0]["explained_by"] == "voice"
    )
    assert d["opening_statement"]["marks"] == {"time": 0, "place": 1}
    assert d["evidence"]["maker"] == "陈丹" and d["retention"]["term"] == "long_term"
    assert row["version"] == 6 and row["correction_reason"] == "登记保存期限"


def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(site, store):
    client, av = site["client"], site["av"]
    before = versions(store)
    for data, message in (
        ({"reason": "", "explained_by": "voice", "video_at": "4:05"}, "请填写「中止原因」"),
        ({"reason": "阻挠", "explained_by": "voice", "video_at": ""}, "语音说明在录像中的时间"),
        ({"reason": "阻挠", "explained_by": "voice", "video_at": "abc"}, "如 4:10"),
        ({"reason": "阻挠", "explained_by": "voice", "video_at": "9:00:00"}, "超出录像长度"),
        ({"reason": "阻挠", "explained_by": "voice", "video_at": "1:00"}, "重新开始记录之后"),
    ):
        refused = post(client, f"/av/{av}/gaps/0", data)
        assert refused.status_code == 400 and message in refused.text, data
    assert post(client, f"/av/{av}/gaps/5", {"reason": "x"}).status_code == 404
    bad_mark = post(client, f"/av/{av}/opening", {"elements": ["time"], "mark_place": "0:01"})
    assert bad_mark.status_code == 400 and "未勾选" in bad_mark.text
    assert versions(store) == before
    officer = TestClient(site["app"], base_url="http://127.0.0.1")
    web_login(officer, "zhangsan", PASSWORD)
    assert officer.get(f"/av/{av}/gaps/0").status_code == 200  # officers upload and annotate


def test_a_playback_is_one_ledger_event_and_a_download_another(site, store):
    client, av = site["client"], site["av"]

    def reads() -> list[dict[str, Any]]:
        with store.read() as conn:
            rows = conn.execute(
                select(t.ledger_events.c.payload).where(
                    t.ledger_events.c.action == "record.file_read",
                    t.ledger_events.c.subject_id == av,
                )
            ).scalars()
            return list(rows)

    for header in ("bytes=0-", "bytes=0-1023", "bytes=1024-", "bytes=2048-4095"):
        part = client.get(f"/records/{av}/files/2", headers={"Range": header})
        assert part.status_code == 206
    assert [r["mode"] for r in reads()] == ["play"]
    whole = client.get(f"/records/{av}/files/2?download=1")
    assert whole.status_code == 200 and "attachment" in whole.headers["content-disposition"]
    assert [r["mode"] for r in reads()] == ["play", "download"]
    log = client.get("/ledger/access").text
    assert log.count('class="access-play"') == 1 and log.count('class="access-download"') == 1
    officer = TestClient(site["app"], base_url="http://127.0.0.1")
    web_login(officer, "zhangsan", PASSWORD)
    assert officer.get("/ledger/access").status_code == 403  # officers do not read the ledger


def test_unlinked_footage_is_listed_with_its_age_and_kept(site, store, clock, tmp_path):
    client = site["client"]
    more = make_recording(tmp_path / "more", start=T0 + timedelta(minutes=40), device="DSJ-X-2")
    # an unregistered device: the footage is the receiving agency's (liuhen import-av --agency)
    report = import_av(store, CUSTODIAN, more, ImportOptions(agency_id=site["agency"]))
    page = client.get("/av/unlinked").text
    assert report.records[0]["record_id"] in page and "待关联" in page and "000§16" in page
    clock.advance(days=9)
    web_login(client, "chendan", PASSWORD)
    page = client.get("/av/unlinked").text
    assert "逾期未关联" in page and "9日" in page
    api = client.get("/api/av/unlinked").json()
    assert [i["status"] for i in api["items"]] == ["violation"]


def test_devices_are_registered_checked_and_faults_shown(site, store):
    client = site["client"]
    page = client.get("/devices").text
    assert "DSJ-V9-0001" in page and "正常" in page
    added = post(client, "/devices/new", {"kind": "recorder", "serial_no": "LY-01"})
    assert added.status_code == 303
    dup = post(client, "/devices/new", {"kind": "recorder", "serial_no": "LY-01"})
    assert dup.status_code == 409 and "已登记" in dup.text
    device = site["device"]
    checked = post(
        client,
        f"/devices/{device}/events/new",
        {"kind": "check", "at": "2026-11-20T08:50", "act_id": site["act"],
         "items": ["function", "battery", "storage"]},
    )  # fmt: skip
    assert checked.status_code == 303, checked.text
    no_note = post(
        client, f"/devices/{device}/events/new", {"kind": "fault", "at": "2026-11-20T09:40"}
    )
    assert no_note.status_code == 400 and "请填写「情况说明」" in no_note.text
    fault = post(
        client,
        f"/devices/{device}/events/new",
        {"kind": "fault", "at": "2026-11-20T09:40", "note": "无法开机"},
    )
    assert fault.status_code == 303
    page = client.get("/devices").text
    assert "故障未修复" in page and "无法开机" in page and "LY-01" in page
    form = client.get(f"/devices/{device}/events/new?kind=check").text
    assert "某店占道经营案" not in form or "测试〔2026〕1号" in form


def test_uploads_due_warn_the_officer_on_home_and_case_page(site, store, clock):
    record_act(
        store,
        SYSTEM,
        case_id=site["case"],
        kind="seal_up",
        started_at=T0 + timedelta(minutes=35),
        ended_at=T0 + timedelta(minutes=50),
        place="老街1号",
        officer_ids=[site["o1"]],
    )
    officer = TestClient(site["app"], base_url="http://127.0.0.1")
    web_login(officer, "zhangsan", PASSWORD)
    home = officer.get("/cases").text
    assert "音像记录待存储" not in home  # due in 2 working days: not yet "soon"
    case_page = officer.get(f"/cases/{site['case']}").text
    assert "音像记录待存储" in case_page and "查封" in case_page
    clock.advance(days=5)
    web_login(officer, "zhangsan", PASSWORD)
    home = officer.get("/cases").text
    assert "音像记录待存储" in home and "已逾期" in home and "000§16" in home
    for other in ("/cases?page=2", "/cases?q=测试", "/cases?procedure=general"):
        shown = officer.get(other)  # the home view's warning, not above every result
        assert shown.status_code == 200 and "音像记录待存储" not in shown.text, other


def test_opening_the_player_fetches_nothing_and_what_was_watched_is_logged(site, store):
    """The page logs a view but no play (the player does not preload); the player's report
    of the parts played goes on the ledger, merged, in milliseconds; a bad report is one
    Chinese message naming its JSON path and logs nothing; a document is not watched."""
    client, av = site["client"], site["av"]

    def events(action: str) -> list[dict[str, Any]]:
        with store.read() as conn:
            return list(
                conn.execute(
                    select(t.ledger_events.c.payload).where(
                        t.ledger_events.c.action == action,
                        t.ledger_events.c.subject_id == av,
                    )
                ).scalars()
            )

    page = client.get(f"/av/{av}").text
    assert 'preload="none"' in page and 'preload="metadata"' not in page
    assert 'data-csrf="' in page and events("record.file_read") == []
    done = post(
        client, f"/records/{av}/files/1/watched", {"ranges": "[[0, 1.5], [1.2, 2], [5, 6]]"}
    )
    assert done.status_code == 204, done.text
    [watched] = events("record.watched")
    assert watched["ranges_ms"] == [[0, 2000], [5000, 6000]] and watched["watched_ms"] == 3000
    for bad, path in (("[[3, 1]]", "ranges[0]"), ("[]", "ranges"), ("nope", "ranges")):
        refused = post(client, f"/records/{av}/files/1/watched", {"ranges": bad})
        assert refused.status_code == 400 and path in refused.text, refused.text
    forged = client.post(f"/records/{av}/files/1/watched", data={"ranges": "[[0, 1]]", "csrf": "x"})
    assert forged.status_code == 403
    document = post(client, f"/records/{site['record']}/files/1/watched", {"ranges": "[[0, 1]]"})
    assert document.status_code == 400 and "不是音视频" in document.text
    assert len(events("record.watched")) == 1
