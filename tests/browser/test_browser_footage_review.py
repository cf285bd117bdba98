"""审查录像遮盖 in Chromium, on footage of a real face: the head, on a phone (390 px), opens
the video's review from the copy request, has the faces found (the page shows the job's
progress and then the face on the timeline and over the picture), keeps the face, adds a box
and a muted range with reasons, saves, then removes the box and saves again; approves in
the inbox; the officer hands over a link and the party downloads the redacted video, never
the original. Screenshots at 390 and 1366 px are kept in test-artifacts/ (not committed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.footage_case import footage_case
from tests.helpers import browser_login

from liuhen.store import tables as t

PASSWORD = "Officer-pass-2026"
pytestmark = pytest.mark.browser


@pytest.fixture
def site(sqlite_settings: Any, clock: Any, tmp_path: Path, live_server: Any) -> Iterator[Any]:
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    initialise(sqlite_settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(sqlite_settings, clock=clock)
    clock.now = datetime(2026, 11, 20, 11, 0, tzinfo=store.settings.tz)
    made = footage_case(store, tmp_path)
    yield live_server(store), store, made
    store.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    keep_screenshot(page, f"footage-{name}.png", full_page=True)


def submit(page: Any, label: str) -> None:
    with page.expect_navigation():
        page.click(f"button:has-text('{label}')")
    problems = page.locator("#form-errors, .field-error").all_inner_texts()
    assert not problems, problems


def until(page: Any, text: str, seconds: float = 90) -> None:
    """Wait until the page says ``text`` (a background job has ended): the page reloads
    itself every 5 s while a job runs; one whose job ended before it loaded is reloaded."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            html = page.content()
            if text in html:
                return
            if 'http-equiv="refresh"' not in html:
                page.reload()
        except PlaywrightError:
            pass  # navigating: the page is being refreshed
        assert time.monotonic() < deadline, f"not shown within {seconds} s: {text}"
        time.sleep(0.5)


def test_the_head_reviews_a_video_on_a_phone_and_the_party_gets_the_redacted_copy(
    site, new_window, tmp_path
):
    base, store, made = site
    request_url = f"{base}/cases/{made['case']}/access-requests/{made['request']}"
    head = new_window(accept_downloads=True, viewport={"width": 390, "height": 860})
    browser_login(head, base, "liuzhang", PASSWORD, store)
    head.goto(request_url)
    assert "尚未检测人脸" in head.locator("#redactions").inner_text()
    head.click("#redactions a:has-text('审查录像遮盖')")
    submit(head, "检测人脸")
    until(head, "识别出 1 张人脸")
    assert head.locator(".cover-box").count() == 1 and head.locator(".bar.cover").count() == 1
    head.fill("[name='add.start']", "0")
    head.fill("[name='add.end']", "1.5")
    for name, value in (("x", "60"), ("y", "10"), ("w", "25"), ("h", "20")):
        head.fill(f"[name='add.{name}']", value)
    head.select_option("[name='add.kind']", "plate")
    head.fill("[name='add.reason']", "路边他人车辆的号牌")
    head.fill("[name='mute.start']", "0.5")
    head.fill("[name='mute.end']", "1")
    head.fill("[name='mute.reason']", "旁人说出自己的住址")
    wide = head.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, wide  # nothing wider than the phone
    shot(head, "01-review-390")
    submit(head, "确认遮盖内容")
    until(head, "遮盖后的视频已制作完成")
    assert "1 处画面遮盖" not in head.content() and "2 处画面遮盖，1 处静音" in head.content()
    assert head.locator(".bar.mute").count() == 1
    shot(head, "02-confirmed-390")

    # the plate was a mistake: the head removes it; a new version, a new video
    plate = head.locator(".mark-card").filter(has=head.locator(".words", has_text="车牌"))
    plate.locator("input[type=checkbox]").uncheck()
    submit(head, "确认遮盖内容")
    until(head, "遮盖后的视频已制作完成")
    assert "已确认第 2 版" in head.content() and "1 处画面遮盖，1 处静音" in head.content()
    head.set_viewport_size({"width": 1366, "height": 900})
    head.locator("video").first.evaluate("v => { v.currentTime = 1.0; }")
    head.wait_for_timeout(500)
    shot(head, "03-review-1366")
    head.set_viewport_size({"width": 390, "height": 860})

    head.goto(f"{base}/approvals")
    head.select_option("[name='position']", "head")
    head.fill("[name='opinion']", "同意提供遮盖后的录像复制件")
    head.check("[name='final']")
    submit(head, "提交审批意见")

    officer = new_window(accept_downloads=True, viewport={"width": 1366, "height": 900})
    browser_login(officer, base, "zhangsan", PASSWORD, store)
    officer.goto(request_url)
    officer.wait_for_selector("#copy-job.done", timeout=120_000)  # the cluster's job
    assert "_复制件（遮盖）.mp4" in officer.locator("#copies").inner_text()
    submit(officer, "生成交付链接")
    link = officer.input_value("#share-url")
    party = new_window(accept_downloads=True)
    party.goto(link)
    with party.expect_download() as got:
        party.click("a:has-text('下载')")
    saved = tmp_path / "copy.mp4"
    got.value.save_as(saved)
    with store.read() as conn:
        version = conn.execute(select(t.redactions.c.id).where(t.redactions.c.version == 2))
        derived = conn.execute(
            select(t.redacted_footage.c.derived_id).where(
                t.redacted_footage.c.redaction_id == version.scalar_one()
            )
        ).scalar_one()
        sha = conn.execute(
            select(t.record_files.c.blob_sha256).where(t.record_files.c.record_id == derived)
        ).scalar_one()
    with store.blobs.open(sha) as f:
        assert saved.read_bytes() == f.read()  # the redacted video of version 2
    assert saved.read_bytes() != made["video"].read_bytes()
