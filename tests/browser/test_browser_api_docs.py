"""The API reference in Debian's Chromium with no way out to the internet: Swagger UI comes
from this server (the page keeps the site's CSP, no inline script), lists the operations and
opens one; no request leaves for another host and the console shows no CSP violation."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from tests.fixtures import ARTIFACTS, keep_screenshot

pytestmark = pytest.mark.browser


def test_api_docs_render_from_local_assets(demo_site, page):
    base, accounts = demo_site
    ARTIFACTS.mkdir(exist_ok=True)
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).netloc))
    problems: list[str] = []  # the sign-in and case pages too: no missing icon or file
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(base + "/login")
    page.fill("#username", "zhangjg")
    page.fill("#password", accounts["zhangjg"])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/**")
    page.goto(base + "/api/docs")
    page.wait_for_selector(".opblock-summary", timeout=20_000)
    operations = page.locator(".opblock-summary-path")
    assert operations.count() > 10
    paths = {operations.nth(i).inner_text() for i in range(operations.count())}
    assert "/api/cases" in {p.replace("\u200b", "") for p in paths}
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")
    keep_screenshot(page, "api-docs.png", full_page=False)
    assert hosts == {urlparse(base).netloc}, hosts
    assert not problems, problems  # no CSP violation, no missing file
