"""In Debian's Chromium at a phone's 390 px and a laptop's 1366 px: an officer's new-case
form shows the number the case will get, the case gets it; the head reads the 编号字号 page,
changes the 字号 of the 行政处罚决定书 and sees the next number follow, and withdraws the
case's number (作废, with the reason) from its line in the year's register. Every page fits the screen. Screenshots kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(demos: Any, templates: Any, tmp_path: Any, clock: Any) -> Iterator[Any]:
    """A private copy of the demo on SQLite (the test opens a case and edits a 字号)."""
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
def test_numbers_from_the_agencys_word_and_the_heads_page(
    demo: Any, live_server: Any, new_window: Any, width: int
) -> None:
    store = demo.store
    base = live_server(store)
    officer = new_window(viewport={"width": width, "height": 900})
    browser_login(officer, base, "zhangjg", demo.accounts["zhangjg"], store)
    officer.goto(f"{base}/cases/new")
    assert "保存后将分配：示镇立字〔2026〕1号" in officer.locator("main").inner_text()
    assert officer.locator("[name='number']").count() == 0
    officer.fill("[name='title']", "某店占道经营案")
    officer.fill("[name='party.name']", "某店")
    officer.fill("[name='opinion']", "建议立案调查")
    _fits(officer, width)
    _shot(officer, "numbering-new-case", width)
    officer.click("button:has-text('立案')")
    officer.wait_for_url("**/cases/*?saved=*")
    assert "示镇立字〔2026〕1号" in officer.locator("main").inner_text()

    head = new_window(viewport={"width": width, "height": 900})
    browser_login(head, base, "liuzz", demo.accounts["liuzz"], store)
    head.goto(f"{base}/numbering")
    _fits(head, width)
    _shot(head, "numbering-kinds", width)
    row = head.locator("#kind-penalty_decision")
    assert "示镇罚决字〔2026〕1号" in row.locator(".next-number").inner_text()
    row.locator("summary").click()  # each kind one line until opened
    row.locator("[name='word']").fill("示镇综执罚决字")
    row.locator("[name='di']").check()
    row.locator("button").click()
    head.wait_for_url("**/numbering?saved=style*")
    assert (
        "示镇综执罚决字〔2026〕第1号"
        in head.locator("#kind-penalty_decision .next-number").inner_text()
    )
    register = head.locator("#register-case")  # the number the officer's case was given
    register.locator("[name='reason']").fill("立案后发现不属本机关管辖，已移送")
    register.locator("button[name='serial'][value='1']").click()  # 作废 on its line
    head.wait_for_url("**/numbering?year=2026&saved=void*")
    text = head.locator("#register-case #number-case-1").inner_text()
    assert "已作废" in text and "不属本机关管辖" in text and "示镇立字〔2026〕1号" in text
    _fits(head, width)
    _shot(head, "numbering", width)
