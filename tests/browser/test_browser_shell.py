"""In Debian's Chromium: sign in, see the case list and the integrity page (screenshots kept)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from tests.conftest import need
from tests.helpers import SYSTEM

from liuhen.demo.loader import load_demo
from liuhen.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(sqlite_settings):  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    need(
        shutil.which("chromium") is not None or Path(CHROMIUM).exists(),
        "Debian's chromium is not installed",
    )
    initialise(sqlite_settings, admin_password="Admin-pass-2026")
    store = Store.open(sqlite_settings)
    demo = load_demo(store, SYSTEM)
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
    yield f"http://127.0.0.1:{port}", demo.accounts
    srv.should_exit = True
    thread.join(timeout=5)
    store.close()


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        yield context.new_page()
        browser.close()


def test_supervisor_logs_in_sees_cases_and_verifies(server, page):
    base, accounts = server
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(base + "/cases")
    assert "/login" in page.url
    page.fill("#username", "sunjd")
    page.fill("#password", accounts["sunjd"])
    page.screenshot(path=str(ARTIFACTS / "shell-login.png"))
    page.click("button[type=submit]")
    page.wait_for_url(base + "/cases")
    assert page.locator("h1").inner_text() == "案件"
    assert page.get_by_text("示范县老街食杂店占道经营案").is_visible()
    page.screenshot(path=str(ARTIFACTS / "shell-cases.png"), full_page=True)
    page.select_option("#problems", "violations")
    page.click("text=筛选")
    assert page.locator("#case-table tbody tr").count() == 4  # its own agency: no forestry cases
    page.click("text=示镇综执罚〔2026〕22号")
    assert page.locator(".finding .cite").first.inner_text() == "002§31"
    page.click(".finding .message a")
    assert page.evaluate("location.hash").startswith("#record-")
    page.screenshot(path=str(ARTIFACTS / "case-findings.png"), full_page=True)
    page.click("text=日志与校验")
    page.wait_for_url(base + "/ledger")
    assert int(page.locator("#checkpoint-size").inner_text()) > 10
    page.click("text=立即校验")
    page.wait_for_url(base + "/ledger")
    assert page.locator("#verify-result").inner_text() == "通过：未发现篡改"
    page.screenshot(path=str(ARTIFACTS / "shell-ledger.png"), full_page=True)
