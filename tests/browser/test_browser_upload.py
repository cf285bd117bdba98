"""In Chromium: an officer uploads a real short video from the case page; the first PATCH
is cut off (connection reset) and the page resumes; the footage then shows on the case."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from sqlalchemy import select
from tests.conftest import need
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.media.synthetic import make_video
from liuhen.services.agency import add_device
from liuhen.services.users import add_user
from liuhen.store import tables as t
from liuhen.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "Officer-pass-2026"
TZ = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(sqlite_settings: Any, tmp_path: Path):  # type: ignore[no-untyped-def]
    from liuhen.services.setup import initialise
    from liuhen.store.store import Store

    need(
        shutil.which("chromium") is not None or Path(CHROMIUM).exists(),
        "Debian's chromium is not installed",
    )
    initialise(sqlite_settings, admin_password="Admin-pass-2026")
    store = Store.open(sqlite_settings)
    made = make_case_with_files(store, tmp_path)
    with store.read() as conn:
        o1 = conn.execute(select(t.officers).where(t.officers.c.name == "张三")).mappings().one()
    add_device(store, SYSTEM, agency_id=made["agency"], kind="body_camera", serial_no="DSJ-V9-0001")
    add_user(
        store,
        SYSTEM,
        username="zhangsan",
        password=PASSWORD,
        display_name="张三",
        roles=["officer"],
        agency_id=made["agency"],
        officer_id=o1["id"],
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(sqlite_settings, store=store), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", made, store
    srv.should_exit = True
    thread.join(timeout=5)
    store.close()


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


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
    page.select_option("#act", made["act"])
    page.select_option("#device", "DSJ-V9-0001")
    page.set_input_files("#files", str(clip))
    page.click("#upload-start")
    done = page.locator(".upload-item.new")
    done.wait_for(timeout=30_000)
    assert cut, "the first PATCH was not cut off"
    text = done.inner_text()
    assert "已存储" in text and "已关联本案" in text, text
    assert "注意" not in text  # file name and device metadata agree on the start
    page.screenshot(path=str(ARTIFACTS / "upload-page.png"), full_page=True)
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
    page.screenshot(path=str(ARTIFACTS / "upload-case.png"), full_page=True)
