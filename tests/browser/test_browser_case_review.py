"""In Debian's Chromium at a phone's 390 px and a laptop's 1366 px: the supervisor opens a
closed case's 评查表 from the case page, follows a deduction to its finding on the case page,
comes back, scores the manual lines and signs; the total and the grade change and the
version is listed; the yearly figures by section and officer show the signed file. Every
page fits the screen. Screenshots kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import browser_login

pytestmark = pytest.mark.browser
LATE = "示镇综执罚〔2026〕22号"


@pytest.fixture
def demo(demos: Any, templates: Any, tmp_path: Any, clock: Any) -> Iterator[Any]:
    """A private copy of the demo on SQLite (the test signs a 评查表)."""
    made = demos.open(tmp_path / "demo", "sqlite", clock=clock)
    yield made
    made.store.close()
    templates.drop(made.store.settings)


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page: Any, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    keep_screenshot(page, f"{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("width", [390, 1366])
def test_the_supervisor_follows_a_deduction_then_scores_and_signs(
    demo: Any, live_server: Any, new_window: Any, width: int
) -> None:
    store = demo.store
    base = live_server(store)
    page = new_window(viewport={"width": width, "height": 900})
    browser_login(page, base, "sunjd", demo.accounts["sunjd"], store)
    page.goto(f"{base}/cases/{LATE}")
    page.locator("#case-review").click()
    page.wait_for_url("**/review")
    assert page.locator("#review-total .big").inner_text() == "99"
    assert "尚有 4 项待评查人评分" in page.locator("#review-unscored").inner_text()
    _fits(page, width)
    _shot(page, "case-review", width)

    deduction = page.locator("#line-av-stored .reasons a").first
    anchor = (deduction.get_attribute("href") or "").split("#")[1]
    deduction.click()
    page.wait_for_url(f"**#{anchor}")
    assert page.locator(f"#{anchor}").is_visible()
    assert "002§31" in page.locator(f"#{anchor} .cite").inner_text()
    page.go_back()

    page.fill("#evidence-sufficient\\.deduct", "3")
    page.fill("#evidence-sufficient\\.note", "询问笔录未问及违法所得")
    page.fill("#law-applied\\.deduct", "0")
    page.fill("#file-in-order\\.deduct", "1")
    page.fill("#file-in-order\\.note", "卷内目录缺页号")
    page.locator("#sign-review").click()
    page.wait_for_url("**/review?saved=1")
    assert page.locator("#review-total .big").inner_text() == "95"
    assert page.locator("#review-grade").inner_text() == "优秀"
    assert "第 1 版" in page.locator("#review-history").inner_text()
    assert "孙建东" in page.locator("#review-signed").inner_text()
    _fits(page, width)
    _shot(page, "case-review-signed", width)

    page.goto(f"{base}/reviews?year=2026")
    assert "综合行政执法队" in page.locator("#stats-sections").inner_text()
    assert "95 分 · 优秀" in page.locator("#stats-cases").inner_text()
    _fits(page, width)
    _shot(page, "case-reviews", width)
