"""Watching footage in Chromium: a case whose recording (three segments, a 4-minute gap) was
imported through the service; the case page shows the segments on the timeline with the gap
in red, the video plays through the range route, a click on the last segment seeks there,
and the ledger's access log (and the AV record's) shows the playback. Screenshots go to
test-artifacts/ (not committed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.conftest import FakeClock
from tests.factories import make_user
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import browser_login, make_case_with_files

from liuhen.ledger.events import Actor
from liuhen.media.synthetic import make_recording
from liuhen.services.av.devices import register_device
from liuhen.services.av.ingest import import_av
from liuhen.services.av.versions import link_av
from liuhen.store import tables as t

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
PASSWORD = "Officer-pass-2026"

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path, make_settings: Any, live_server: Any) -> Iterator[dict[str, Any]]:
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    settings = make_settings(tmp_path / "data")
    clock = FakeClock(T0 + timedelta(hours=1))
    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    ids = make_case_with_files(store, tmp_path)
    make_user(store, "chendan", "custodian", agency_id=ids["agency"])
    custodian = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))
    register_device(store, custodian, kind="body_camera", serial_no="DSJ-V9-0001")
    footage = make_recording(
        tmp_path / "dock", start=T0, seconds=(4.0, 4.0, 4.0), pauses=(0, 240), width=320, height=240
    )
    report = import_av(store, custodian, footage)
    with store.read() as conn:
        officer = conn.execute(select(t.officers.c.id)).scalars().first()
    av = link_av(
        store,
        custodian,
        report.records[0]["record_id"],
        case_id=ids["case"],
        act_id=ids["act"],
        officer_id=officer,
    )
    base = live_server(store)
    yield {"base": base, "case": ids["case"], "av": av, "store": store}
    store.close()


@pytest.fixture
def page(server: dict[str, Any], new_window: Any) -> Iterator[Any]:
    tab = new_window()
    errors: list[str] = []
    tab.on(
        "console",
        lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None,
    )
    browser_login(tab, server["base"], "chendan", PASSWORD, server["store"])  # with TOTP
    tab.wait_for_url(server["base"] + "/")  # 首页
    tab.errors = errors  # type: ignore[attr-defined]
    yield tab


def test_the_case_page_plays_the_footage_and_the_ledger_shows_it(server, page) -> None:
    base, av = server["base"], server["av"]
    page.goto(f"{base}/cases/{server['case']}")
    player = page.locator(f".av-player[data-record='{av}']")
    assert player.locator("rect.av-seg").count() == 3
    page.wait_for_timeout(1000)  # a player that preloaded would have asked for bytes by now
    assert _payloads(server["store"], "record.file_read", av) == []  # a view, not a play
    assert _payloads(server["store"], "case.viewed", server["case"])
    gap = player.locator("rect.av-gap")
    assert gap.count() == 1
    assert gap.evaluate("e => getComputedStyle(e).fill") == "rgb(198, 40, 40)"  # red
    widths = [float(w) for w in player.locator("rect.av-seg").evaluate_all(
        "rs => rs.map(r => r.getAttribute('width'))")]  # fmt: skip
    assert float(gap.get_attribute("width")) > 40 * max(widths)

    video = player.locator("video.av-media")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0", arg=video.element_handle(), timeout=15000)
    player.locator("rect.av-seg").nth(2).click()  # seek to the third segment
    page.wait_for_function(
        "v => v.src.endsWith('/files/3') && v.currentTime >= 0 && !v.paused",
        arg=video.element_handle(),
        timeout=15000,
    )
    assert player.locator("rect.av-seg.playing").get_attribute("data-position") == "3"
    page.wait_for_function("v => v.currentTime > 1", arg=video.element_handle(), timeout=15000)
    video.evaluate("v => v.pause()")
    page.wait_for_timeout(1500)  # the beacons of file 1 (left by the seek) and file 3 (paused)
    watched = {p["position"]: p for p in _payloads(server["store"], "record.watched", av)}
    assert set(watched) == {1, 3} and all(w["watched_ms"] > 0 for w in watched.values())
    ARTIFACTS.mkdir(exist_ok=True)
    keep_screenshot(player, "av-player.png")
    keep_screenshot(page, "av-case-page.png", full_page=True)

    page.goto(f"{base}/av/{av}#access")
    rows = page.locator("#access tr.access-play")
    assert rows.count() >= 2  # segment 1, then segment 3: one event per playback start
    assert "陈丹" in rows.first.inner_text() and "播放" in rows.first.inner_text()
    with server["store"].read() as conn:
        plays = (
            conn.execute(
                select(t.ledger_events.c.payload).where(
                    t.ledger_events.c.action == "record.file_read",
                    t.ledger_events.c.subject_id == av,
                )
            )
            .scalars()
            .all()
        )
    positions = [p["position"] for p in plays if p["mode"] == "play"]
    assert sorted(set(positions)) == [1, 3] and len(positions) == len(set(positions))
    keep_screenshot(page, "av-record-page.png", full_page=True)
    page.goto(f"{base}/ledger/access")  # the ledger's access log
    plays = page.locator("#access-log tr.access-play")
    assert plays.count() == 2 and "某店占道经营案" not in plays.first.inner_text()
    assert "测试〔2026〕1号" in plays.first.inner_text() and "播放" in plays.first.inner_text()
    keep_screenshot(page, "av-ledger-access.png", full_page=True)
    mine = [
        e
        for e in page.errors  # type: ignore[attr-defined]
        if "favicon.ico" not in e
        and not e.endswith(
            f"'url': '{base}/cases', 'line': 54, 'column': 0, 'lineNumber': 54, 'columnNumber': 0}}"
        )
    ]  # the case list's own inline style (cases.html) is not this page's
    assert mine == []


def _payloads(store: Any, action: str, subject: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(t.ledger_events.c.payload).where(
                t.ledger_events.c.action == action, t.ledger_events.c.subject_id == subject
            )
        )
        return list(rows.scalars())


def test_a_gap_is_explained_through_the_form_and_the_timeline_shows_it(server, page) -> None:
    base, av = server["base"], server["av"]
    page.goto(f"{base}/av/{av}")
    page.click("a:has-text('登记中止记录')")
    page.fill("[name='reason']", "当事人阻挠，暂停记录")
    page.check("[name='explained_by'][value='voice']")
    page.fill("[name='video_at']", "4:09")  # 1 s into the third segment
    keep_screenshot(page, "av-interruption-form.png", full_page=True)
    with page.expect_navigation():
        page.click("button:has-text('保存为新版本')")
    assert "saved=interruption" in page.url and f"/av/{av}" not in page.url
    player = page.locator(".av-player")
    assert player.locator("rect.av-gap.explained").count() == 1
    mark = player.locator("a.av-seek.interruption")
    assert "当事人阻挠" in mark.inner_text()
    mark.click()  # seeks into the third segment, where the reason is said
    video = player.locator("video.av-media")
    page.wait_for_function(
        "v => v.src.endsWith('/files/3') && v.currentTime > 0.5",
        arg=video.element_handle(),
        timeout=15000,
    )
    keep_screenshot(page, "av-record-explained.png", full_page=True)
    page.goto(f"{base}/devices")
    assert "DSJ-V9-0001" in page.inner_text("table")
    keep_screenshot(page, "av-devices.png", full_page=True)
