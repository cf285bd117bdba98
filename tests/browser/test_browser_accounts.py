"""In Debian's Chromium at a phone's 390 px and a laptop's 1366 px: the administrator opens
账户管理, resets a head's second factor and an officer's password from their confirmation
pages; the head is asked to enrol an authenticator again at the next sign-in, the officer
to choose a new password before anything else opens. Every page fits the screen (no
sideways scrolling). Screenshots kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import ADMIN_PASSWORD
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import browser_login, totp_secret

from liuhen.services.admin.totp import code_at
from liuhen.services.admin.users import find_user

pytestmark = pytest.mark.browser
TEMPORARY = "Temp-pass-2026!"


@pytest.fixture
def demo(demos: Any, templates: Any, tmp_path: Any, clock: Any) -> Iterator[Any]:
    """A private copy of the demo on SQLite (these tests change accounts)."""
    made = demos.open(tmp_path / "demo", "sqlite", clock=clock)
    yield made
    made.store.close()
    templates.drop(made.store.settings)


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page: Any, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    keep_screenshot(page, f"{name}-{width}.png", full_page=True)


def _sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [390, 1366])
def test_an_admin_resets_a_second_factor_and_the_user_enrols_again(
    demo: Any, live_server: Any, new_window: Any, width: int
) -> None:
    store, clock = demo.store, demo.clock
    base = live_server(store)
    head = find_user(store, "liuzz")
    officer = find_user(store, "zhangjg")
    assert head is not None and officer is not None
    first = new_window(viewport={"width": width, "height": 900})
    browser_login(first, base, "liuzz", demo.accounts["liuzz"], store)  # enrols the first time
    assert first.url == base + "/"  # 首页

    admin = new_window(viewport={"width": width, "height": 900})
    clock.advance(seconds=31)
    browser_login(admin, base, "admin", ADMIN_PASSWORD, store)
    admin.click("#nav-users")
    admin.wait_for_url(base + "/users")
    row = admin.locator(f"#user-{head.id}")
    assert "已绑定" in row.inner_text() and "机关负责人" in row.inner_text()
    _fits(admin, width)
    _shot(admin, "accounts-list", width)
    row.get_by_text("重置验证码").click()
    admin.wait_for_url(f"{base}/users/{head.id}/totp")
    assert "原验证器立即作废" in admin.locator("#change-intro").inner_text()
    admin.click("#change-form button[type=submit]")  # no reason: the browser's own check stops it
    assert admin.url == f"{base}/users/{head.id}/totp"
    admin.reload()  # without the browser's bubble, for the screenshot
    admin.fill("#reason", "手机丢失，更换手机")
    _fits(admin, width)
    _shot(admin, "accounts-reset-totp", width)
    admin.click("#change-form button[type=submit]")
    admin.wait_for_url(f"{base}/users?done=totp*")
    assert "重新绑定验证器" in admin.locator("#account-done").inner_text()
    assert "未绑定" in admin.locator(f"#user-{head.id}").inner_text()

    first.goto(base + "/cases")  # the head's session ended with the reset
    assert "/login" in first.url
    clock.advance(seconds=31)
    _sign_in(first, base, "liuzz", demo.accounts["liuzz"])
    assert "/login/totp" in first.url
    assert first.locator("h1").inner_text() == "绑定验证器"
    assert first.locator(".totp-qr svg").is_visible()
    _fits(first, width)
    _shot(first, "accounts-enrol-again", width)
    first.fill("#code", code_at(totp_secret(store, head.id), store.clock()))
    first.click("main button[type=submit]")
    first.wait_for_url(base + "/")

    admin.goto(f"{base}/users/{officer.id}/password")
    admin.fill("#password", TEMPORARY)
    admin.fill("#again", TEMPORARY)
    admin.fill("#reason", "本人忘记密码，当面核实身份")
    _fits(admin, width)
    _shot(admin, "accounts-reset-password", width)
    admin.click("#change-form button[type=submit]")
    admin.wait_for_url(f"{base}/users?done=password*")

    temporary = new_window(viewport={"width": width, "height": 900})
    _sign_in(temporary, base, "zhangjg", TEMPORARY)
    assert "/login/password" in temporary.url
    _fits(temporary, width)
    _shot(temporary, "accounts-new-password", width)
    temporary.fill("#password", "Mine-pass-2026")
    temporary.fill("#again", "Mine-pass-2026")
    temporary.click("#new-password-form button[type=submit]")
    temporary.wait_for_url(base + "/")
    temporary.click("#nav-password")
    temporary.wait_for_url(base + "/account/password")
    temporary.fill("#current", "wrong-password")
    temporary.fill("#password", "Other-pass-2026")
    temporary.fill("#again", "Other-pass-2026")
    temporary.click("#password-form button[type=submit]")
    temporary.wait_for_load_state()
    assert "当前密码不正确" in temporary.locator("#field-current").inner_text()
    _fits(temporary, width)
    _shot(temporary, "accounts-own-password", width)

    supervisor = find_user(store, "sunjd")
    assert supervisor is not None
    admin.goto(f"{base}/users/{supervisor.id}/roles")
    admin.check("#roles input[value=legal_reviewer]")
    admin.fill("#reason", "兼任法制审核")
    _fits(admin, width)
    _shot(admin, "accounts-roles", width)
    admin.click("#change-form button[type=submit]")
    admin.wait_for_url(f"{base}/users?done=roles*")
    assert "法制审核人员" in admin.locator(f"#user-{supervisor.id}").inner_text()
