"""In Debian's Chromium: sign in, see the case list and the integrity page (screenshots kept)."""

from __future__ import annotations

import pytest
from tests.fixtures import ARTIFACTS, keep_screenshot

pytestmark = pytest.mark.browser


def test_supervisor_logs_in_sees_cases_and_verifies(demo_site, page):
    base, accounts = demo_site
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(base + "/cases")
    assert "/login" in page.url
    page.fill("#username", "sunjd")
    page.fill("#password", accounts["sunjd"])
    keep_screenshot(page, "shell-login.png")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/cases")  # back where the sign-in was asked for (next)
    assert page.locator("h1").inner_text() == "案件"
    assert page.get_by_text("示范县老街食杂店占道经营案").is_visible()
    keep_screenshot(page, "shell-cases.png", full_page=True)
    page.select_option("#problems", "violations")
    page.click("text=筛选")
    page.wait_for_url("**/cases?*problems=violations*")  # count() does not wait for the page
    assert page.locator("#case-table tbody tr").count() == 4  # its own agency: no forestry cases
    page.click("text=示镇综执罚〔2026〕22号")
    assert page.locator(".finding .cite").first.inner_text() == "002§31"
    page.click(".finding .message a")
    assert page.evaluate("location.hash").startswith("#record-")
    keep_screenshot(page, "case-findings.png", full_page=True)
    page.click("text=日志与校验")
    page.wait_for_url(base + "/ledger")
    assert int(page.locator("#checkpoint-size").inner_text()) > 10
    page.click("text=立即校验")
    page.wait_for_url(base + "/ledger")
    assert page.locator("#verify-result").inner_text() == "通过：未发现篡改"
    keep_screenshot(page, "shell-ledger.png", full_page=True)
