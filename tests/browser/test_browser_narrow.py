"""In Debian's Chromium at a phone's 390 px and a laptop's 1366 px: the bar, the failed
verification with its long object names, and the Chinese 400 page fit the screen (no
sideways scrolling, no label broken one character a line). Screenshots kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import browser_login

pytestmark = pytest.mark.browser

OVERSIZE_FORM = """() => {
    const form = document.createElement('form');
    form.method = 'post'; form.action = '/ledger/verify'; form.enctype = 'multipart/form-data';
    const big = document.createElement('textarea');
    big.name = 'note'; big.value = '很长的说明'.repeat(250000);
    form.appendChild(big); document.body.appendChild(form); form.submit();
}"""


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for height in page.locator("nav a").evaluate_all("links => links.map(a => a.offsetHeight)"):
        assert height < 40  # one line: a label is never stacked a character a line


@pytest.fixture
def damaged_demo(demos: Any, templates: Any, tmp_path: Any, clock: Any) -> Iterator[Any]:
    """A private copy of the demo on SQLite (the layout is the engine's no concern)."""
    demo = demos.open(tmp_path / "demo", "sqlite", clock=clock)
    yield demo
    demo.store.close()
    templates.drop(demo.store.settings)


@pytest.mark.parametrize("width", [390, 1366])
def test_failed_verification_and_the_400_page_fit_a_phone_and_a_laptop(
    damaged_demo: Any, live_server: Any, new_window: Any, width: int
) -> None:
    private_demo = damaged_demo
    store = private_demo.store
    with store.engine.begin() as conn:  # damage the store: a user's row edited
        conn.exec_driver_sql("UPDATE users SET display_name = '被改动' WHERE username = 'chenda'")
    base = live_server(store)
    page = new_window(viewport={"width": width, "height": 900})
    page.goto(base + "/login")
    page.fill("#username", "sunjd")
    page.fill("#password", private_demo.accounts["sunjd"])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")  # 首页
    _fits(page, width)
    page.goto(base + "/ledger")
    page.click("text=立即校验")
    page.wait_for_load_state()
    assert "本次校验发现" in page.locator("#verify-result").inner_text()
    assert page.locator(".problems li code").first.inner_text().startswith("users/")
    _fits(page, width)
    ARTIFACTS.mkdir(exist_ok=True)
    keep_screenshot(page, f"verify-failed-{width}.png", full_page=True)
    with page.expect_navigation() as sent:
        page.evaluate(OVERSIZE_FORM)
    assert sent.value.status == 400
    assert "某一字段超过 1 MB" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    keep_screenshot(page, f"error-400-{width}.png", full_page=True)


@pytest.mark.parametrize("width", [390, 1366])
def test_the_inbox_fits_a_phone_and_a_laptop(
    sqlite_demo: Any, live_server: Any, new_window: Any, width: int
) -> None:
    """我的待办's lists: on a phone each item a block, each cell a line under its heading
    (no sideways scrolling); on a laptop a table."""
    base = live_server(sqlite_demo.store)
    page = new_window(viewport={"width": width, "height": 900})
    browser_login(page, base, "zhangjg", sqlite_demo.accounts["zhangjg"], sqlite_demo.store)
    page.goto(base + "/inbox?days=10")
    items = page.locator("tr.inbox-item")
    assert items.count() > 0
    _fits(page, width)
    cells = items.first.locator("td")
    stacked = cells.evaluate_all("tds => tds.map(td => getComputedStyle(td).display)")
    assert set(stacked) == ({"block"} if width == 390 else {"table-cell"})
    if width == 390:  # each cell's heading has room before it, not over it
        pads = cells.evaluate_all(
            "tds => tds.map(td => parseFloat(getComputedStyle(td).paddingLeft))"
        )
        assert min(pads) >= 96
    keep_screenshot(page, f"inbox-{width}.png", full_page=True)


@pytest.mark.parametrize("width", [390, 1366])
def test_an_incremental_verification_from_the_integrity_page(
    damaged_demo: Any, live_server: Any, new_window: Any, width: int
) -> None:
    """立即校验, then 增量校验 beside it: the second run continues from the first and says so;
    both buttons and the scope fit the screen."""
    store = damaged_demo.store  # a private copy, left intact here
    base = live_server(store)
    page = new_window(viewport={"width": width, "height": 900})
    browser_login(page, base, "sunjd", damaged_demo.accounts["sunjd"], store)
    page.goto(base + "/ledger")
    assert page.locator("button:has-text('增量校验')").count() == 0  # nothing to continue from
    page.click("text=立即校验")
    page.wait_for_url(base + "/ledger")
    assert page.locator("#verify-scope").inner_text() == "完整校验"
    page.click("button:has-text('增量校验')")
    page.wait_for_url(base + "/ledger")
    assert page.locator("#verify-result").inner_text() == "通过：未发现篡改"
    assert page.locator("#verify-scope").inner_text().startswith("增量：续接此前已校验的")
    _fits(page, width)
    keep_screenshot(page, f"verify-incremental-{width}.png", full_page=True)
