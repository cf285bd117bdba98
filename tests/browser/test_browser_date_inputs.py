"""Date and month fields as a Chinese user's browser shows them (issue 16 item 6).

Chromium draws ``<input type=date|month|datetime-local>`` in the browser's own language
(on Linux LANGUAGE, with chromium-l10n's zh-CN.pak); neither ``<html lang="zh-CN">`` nor
Playwright's ``locale`` changes it. The shared browser runs in Chinese, as a Chinese user's
does, and the fields' parts are read from Chromium's accessibility tree: 年 before 月 before
日, not Month/Day/Year. Screenshots at 390 and 1366 px kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import need
from tests.fixtures import keep_screenshot
from tests.helpers import browser_login

from liuhen.services.cases.cases import find_case

pytestmark = pytest.mark.browser
ZH_PAK = Path("/usr/lib/chromium/locales/zh-CN.pak")


@pytest.fixture(autouse=True)
def _chinese_chromium() -> None:
    need(ZH_PAK.exists(), "chromium-l10n is not installed (apt-get install chromium-l10n)")


def _parts(page: Any) -> list[tuple[str, Any]]:
    """The date fields' parts in page order: (name, value) of every spin button (the name's
    last word: Chromium may repeat it, "年 年")."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    return [
        (str(n.get("name", {}).get("value", "")).split()[-1], n.get("value", {}).get("value"))
        for n in nodes
        if n.get("role", {}).get("value") == "spinbutton"
    ]


@pytest.mark.parametrize("width", [390, 1366])
def test_dashboard_months_read_year_then_month_in_chinese(
    new_window: Any, demo_site: Any, sqlite_demo: Any, width: int
) -> None:
    base, accounts = demo_site
    page = new_window(viewport={"width": width, "height": 900})
    browser_login(page, base, "sunjd", accounts["sunjd"], sqlite_demo.store)
    page.goto(base + "/dashboard")
    start, end = page.input_value("#from"), page.input_value("#to")
    year, month = (int(x) for x in start.split("-"))
    parts = _parts(page)
    assert parts[:2] == [("年", year), ("月", month)]
    assert [name for name, _ in parts[2:4]] == ["年", "月"] and end
    months = page.locator("form").filter(has=page.locator("#from"))
    keep_screenshot(months, f"dashboard-months-{width}.png")


def test_a_document_date_time_reads_year_month_day_in_chinese(
    new_window: Any, demo_site: Any, sqlite_demo: Any
) -> None:
    base, accounts = demo_site
    page = new_window(viewport={"width": 390, "height": 900})
    browser_login(page, base, "zhangjg", accounts["zhangjg"], sqlite_demo.store)
    case = find_case(sqlite_demo.store, "示镇综执立〔2026〕12号")
    page.goto(f"{base}/cases/{case}/documents/new?kind=inquiry_record")
    assert page.get_attribute("#made_at", "type") == "datetime-local"
    names = [name for name, _ in _parts(page)]
    assert names[:3] == ["年", "月", "日"]
    assert "Month" not in names and "Year" not in names
    keep_screenshot(page.locator("#made_at"), "document-made-at-390.png")
