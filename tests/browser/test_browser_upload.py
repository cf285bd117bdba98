"""In Chromium: an officer uploads a real short video from the case page; the first PATCH
is cut off (connection reset) and the page resumes; the footage then shows on the case.
And issue 5's "done means" in one go: an officer uploads a recording's two segments through
the upload page, sees them as one recording on the case page's timeline (the gap in red),
plays it, and the playback is on the record's access log and the ledger's 调阅 page."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.factories import make_user
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import SYSTEM, browser_login, make_case_with_files

from liuhen.media.synthetic import make_video
from liuhen.services.admin.agency import add_device
from liuhen.store import tables as t

PASSWORD = "Officer-pass-2026"
TZ = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.browser


@pytest.fixture
def server(sqlite_settings: Any, tmp_path: Path, live_server: Any):  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    initialise(sqlite_settings, admin_password="Admin-pass-2026")
    store = Store.open(sqlite_settings)
    made = make_case_with_files(store, tmp_path)
    with store.read() as conn:
        o1 = conn.execute(select(t.officers).where(t.officers.c.name == "张三")).mappings().one()
    add_device(store, SYSTEM, agency_id=made["agency"], kind="body_camera", serial_no="DSJ-V9-0001")
    make_user(store, "zhangsan", "officer", agency_id=made["agency"], officer_id=o1["id"])
    make_user(store, "chendan", "custodian", agency_id=made["agency"])
    base = live_server(store)
    yield base, made, store
    store.close()


@pytest.fixture
def page(new_window: Any) -> Any:
    return new_window()


def test_an_officer_uploads_footage_which_resumes_after_a_reset_and_shows_on_the_case(
    server: Any, page: Any, tmp_path: Path
) -> None:
    base, made, store = server
    ARTIFACTS.mkdir(exist_ok=True)
    start = datetime(2026, 11, 20, 9, 5, tzinfo=TZ)
    clip = make_video(
        tmp_path / f"DSJ-V9-0001_{start:%Y%m%d%H%M%S}.mp4",
        seconds=2,
        width=160,
        height=120,
        creation_time=start,
    )
    page.goto(base + f"/cases/{made['case']}")
    page.fill("#username", "zhangsan")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + f"/cases/{made['case']}")
    page.click("#case-upload-av")
    page.wait_for_url(f"{base}/uploads?case={made['case']}")
    cut: list[str] = []

    def drop_first_patch(route: Any) -> None:
        if route.request.method == "PATCH" and not cut:
            cut.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/uploads/*", drop_first_patch)
    # a phone's video with no start time in it nor in its name: asked for before sending
    phone = make_video(tmp_path / "VID_0001.mp4", seconds=1, width=96, height=64)
    page.set_input_files("#files", str(phone))
    page.click("#upload-start")
    page.locator(".upload-item.failed").wait_for(timeout=15_000)
    assert "未发送" in page.locator(".upload-item.failed").inner_text()
    assert page.evaluate("document.activeElement.id") == "recorded_start"
    assert "录制开始时间" in page.locator("#recorded_start-error").inner_text()
    assert not cut  # not a byte of it was sent
    keep_screenshot(page, "upload-asks-start.png", full_page=True)
    page.fill("#recorded_start", "2026-11-20T09:05:00")
    page.set_input_files("#files", str(phone))
    page.click("#upload-start")  # no registered device: linked all the same (the phone)
    page.locator(".upload-item.new").wait_for(timeout=30_000)
    assert "已关联本案" in page.locator(".upload-item.new").inner_text()
    assert page.locator("#recorded_start-error").is_hidden()
    page.fill("#recorded_start", "")
    cut.clear()
    page.select_option("#act", made["act"])
    page.select_option("#device", "DSJ-V9-0001")
    page.set_input_files("#files", str(clip))
    page.click("#upload-start")
    done = page.locator(".upload-item.new").nth(1)
    done.wait_for(timeout=30_000)
    assert cut, "the first PATCH was not cut off"
    text = done.inner_text()
    assert "已存储" in text and "已关联本案" in text, text
    assert "注意" not in text  # file name and device metadata agree on the start
    keep_screenshot(page, "upload-page.png", full_page=True)
    page.click("#back-to-case")
    page.wait_for_url(base + f"/cases/{made['case']}")
    with store.read() as conn:
        record = conn.execute(
            select(t.records.c.id).where(
                t.records.c.kind == "av", t.records.c.case_id == made["case"]
            )
        ).scalar()
    assert record is not None
    assert page.locator(f"#record-{record}").count() == 1
    assert "音像记录" in page.locator(f"#record-{record}").inner_text()
    keep_screenshot(page, "upload-case.png", full_page=True)


def login(page: Any, base: str, username: str, then: str) -> None:
    page.goto(base + then)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + then)


def test_an_officer_uploads_a_recording_sees_it_on_the_timeline_plays_it_and_the_ledger_has_it(
    server: Any, page: Any, tmp_path: Path
) -> None:
    base, made, store = server
    ARTIFACTS.mkdir(exist_ok=True)
    start = datetime(2026, 11, 20, 9, 5, tzinfo=TZ)
    clips = []
    for i, at in enumerate((start, start + timedelta(seconds=4 + 240))):  # a 4-minute gap
        clips.append(
            make_video(
                tmp_path / f"DSJ-V9-0001_{at:%Y%m%d%H%M%S}.mp4",
                seconds=4,
                width=320,
                height=240,
                creation_time=at,
                title=f"segment {i + 1}",
            )
        )
    login(page, base, "zhangsan", f"/cases/{made['case']}")
    page.click("#case-upload-av")
    page.wait_for_url(f"{base}/uploads?case={made['case']}")
    page.select_option("#act", made["act"])
    page.select_option("#device", "DSJ-V9-0001")
    page.set_input_files("#files", [str(c) for c in clips])  # uploaded one after the other
    page.click("#upload-start")
    done = page.locator(".upload-item.new")
    page.wait_for_function("() => document.querySelectorAll('.upload-item.new').length === 2")
    texts = done.all_inner_texts()
    assert all("已关联本案" in text for text in texts), texts
    assert sum("已并入同一录像" in text for text in texts) == 1, texts
    keep_screenshot(page, "upload-two-segments.png", full_page=True)

    page.click("#back-to-case")
    page.wait_for_url(base + f"/cases/{made['case']}")
    with store.read() as conn:
        av = conn.execute(
            select(t.records.c.id)
            .where(t.records.c.kind == "av", t.records.c.case_id == made["case"])
            .order_by(t.records.c.version.desc())
        ).scalar()
    players = page.locator(".av-player")
    assert players.count() == 1  # one recording, not one record per file
    player = page.locator(f".av-player[data-record='{av}']")
    assert player.locator("rect.av-seg").count() == 2
    gap = player.locator("rect.av-gap")
    assert gap.count() == 1
    assert gap.evaluate("e => getComputedStyle(e).fill") == "rgb(198, 40, 40)"  # red

    video = player.locator("video.av-media")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0", arg=video.element_handle(), timeout=15000)
    player.scroll_into_view_if_needed()
    keep_screenshot(page, "upload-case-playing.png", full_page=True)

    page.goto(f"{base}/av/{av}#access")
    mine = page.locator("#access tr.access-play")
    assert mine.count() >= 1 and "张三" in mine.first.inner_text()

    custodian = page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    ledger = custodian.new_page()
    browser_login(ledger, base, "chendan", PASSWORD, store)  # custodians sign in with TOTP
    ledger.goto(base + "/ledger/access")  # the officer has no ledger.read
    plays = ledger.locator("#access-log tr.access-play")
    assert plays.count() >= 1
    first = plays.first.inner_text()
    assert "张三" in first and "播放" in first and "测试〔2026〕1号" in first, first
    keep_screenshot(ledger, "upload-ledger-access.png", full_page=True)
    custodian.close()
