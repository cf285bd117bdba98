"""In Debian's Chromium: a supervisor opens the dashboard, clicks a red figure, lands on the
case list filtered to the cases behind it, and opens the case (screenshots kept)."""

from __future__ import annotations

import pytest
from tests.fixtures import ARTIFACTS, keep_screenshot

pytestmark = pytest.mark.browser


def test_supervisor_drills_from_a_red_figure_to_the_case(demo_site, page):
    base, accounts = demo_site
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(base + "/dashboard")
    page.fill("#username", "sunjd")
    page.fill("#password", accounts["sunjd"])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/dashboard")
    assert page.locator("h1").inner_text() == "行政执法全过程记录监督看板"
    assert page.locator("svg.chart").count() == 3
    assert page.locator("#kpi-cases .kpi-value").inner_text() == "8"
    keep_screenshot(page, "dashboard.png", full_page=True)

    red = page.locator("#kpi-upload")
    assert "bad" in (red.get_attribute("class") or "")
    assert (
        page.locator("#kpi-upload .kpi-value").evaluate("e => getComputedStyle(e).color")
        == "rgb(179, 38, 30)"
    )  # red when bad
    red.click()
    page.wait_for_url("**/cases?**metric=av_late**")
    assert "音像记录未按时存储的案件" in page.locator("#drill-note").inner_text()
    rows = page.locator("#case-table tbody tr")
    assert rows.count() == 1
    keep_screenshot(page, "dashboard-drill.png", full_page=True)
    rows.first.locator("a").first.click()
    page.wait_for_url("**/cases/*")
    assert "示镇综执罚〔2026〕22号" in page.content()
    assert page.locator(".finding .cite").first.inner_text() == "002§31"

    page.click("#nav-inbox")
    page.wait_for_url(base + "/inbox")
    assert page.locator("h1").inner_text() == "我的待办"
