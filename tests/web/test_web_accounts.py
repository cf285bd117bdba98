"""账户管理 and 修改密码 on the web: the list and its links, each change behind its
confirmation page, bad input refused with one Chinese message beside its field and nothing
changed, ids that are not the administrator's to touch refused with the error page, a
temporary password replaced at the next sign-in, and the second factor enrolled again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.factories import make_agency, make_user
from tests.helpers import web_login

from liuhen.services.admin.users import authenticate, find_user
from liuhen.services.permissions import AGENCY, GRANTS
from liuhen.web.app import create_app

PASSWORD = "Officer-pass-2026"
TEMPORARY = "Temp-pass-2026!"


@pytest.fixture
def site(store) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    agency = make_agency(store)["agency"]
    other = make_agency(store, name="乙镇人民政府")["agency"]
    made = {
        "boss": make_user(store, "boss", "admin", agency_id=agency),
        "zhang": make_user(store, "zhang", "officer", agency_id=agency),
        "liu": make_user(store, "liu", "head", agency_id=agency),
        "far": make_user(store, "far", "officer", agency_id=other),
    }
    app = create_app(store.settings, store=store)
    return {"store": store, "app": app, **made}


def client_of(site: dict[str, Any], username: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(site["app"], base_url="http://127.0.0.1")
    done = web_login(client, username, password)
    assert done.status_code == 303 and done.headers["location"] == "/cases", done.text[:300]
    return client


def form_token(text: str, name: str = "csrf") -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', text)
    assert found is not None, f"no {name} in the page"
    return found.group(1)


def confirm(client: TestClient, path: str, **data: Any) -> Any:
    """Open the confirmation page and submit it with ``data``."""
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    sent = {"csrf": form_token(page.text), "seen": form_token(page.text, "seen"), **data}
    return client.post(path, data=sent, follow_redirects=False)


def test_the_menus_link_the_new_pages_and_the_list_shows_each_account(site) -> None:
    boss = client_of(site, "boss")
    cases = boss.get("/cases").text
    assert 'href="/users"' in cases and "账户管理" in cases
    assert 'href="/account/password"' in cases and "修改密码" in cases
    listing = boss.get("/users")
    assert listing.status_code == 200
    row = re.search(rf'<tr id="user-{site["zhang"].id}".*?</tr>', listing.text, re.S)
    assert row is not None
    for shown in (
        "zhang",
        "张三",
        "测试镇人民政府",
        "执法人员",
        "启用",
        "无需",
        "停用",
        "重置密码",
    ):
        assert shown in row.group(0), shown
    officer = client_of(site, "zhang")
    assert 'href="/users"' not in officer.get("/cases").text
    refused = officer.get("/users")
    assert refused.status_code == 403 and "无权访问（403）" in refused.text


def test_disabling_from_its_confirmation_page_signs_the_user_out(site) -> None:
    zhang = client_of(site, "zhang")
    boss = client_of(site, "boss")
    path = f"/users/{site['zhang'].id}/disable"
    page = boss.get(path)
    assert "停用账户" in page.text and "确认停用" in page.text and "zhang" in page.text
    done = confirm(boss, path, reason="调离本单位")
    assert done.status_code == 303 and done.headers["location"].startswith("/users?done=disable")
    assert "账户已停用" in boss.get(done.headers["location"]).text
    assert find_user(site["store"], "zhang").disabled
    assert zhang.get("/cases", follow_redirects=False).headers["location"].startswith("/login")
    back = confirm(boss, f"/users/{site['zhang'].id}/enable")  # no reason needed
    assert back.status_code == 303 and not find_user(site["store"], "zhang").disabled


@pytest.mark.parametrize(
    ("change", "data", "field", "message"),
    [
        ("disable", {"reason": ""}, "reason", "请填写「原因」"),
        ("totp", {"reason": " "}, "reason", "请填写「原因」"),
        ("password", {"password": "short", "again": "short", "reason": "忘记"}, "password",
         "密码至少 10 位"),
        ("password", {"password": TEMPORARY, "again": "Other-2026!", "reason": "忘记"}, "again",
         "两次输入的新密码不一致"),
        ("roles", {"reason": "调岗"}, "roles", "请至少选择一个角色"),
    ],
)  # fmt: skip
def test_bad_input_is_one_message_beside_its_field_and_changes_nothing(
    site, change: str, data: dict[str, str], field: str, message: str
) -> None:
    boss = client_of(site, "boss")
    zhang = site["zhang"]
    refused = confirm(boss, f"/users/{zhang.id}/{change}", **data)
    assert refused.status_code == 400
    beside = re.search(rf'id="field-{field}".*?(?=id="field-|</form>)', refused.text, re.S)
    assert beside is not None and message in beside.group(0)
    assert refused.text.count(message) == 1
    assert "本次未保存任何内容" in refused.text
    now = find_user(site["store"], "zhang")
    assert not now.disabled and now.roles == ("officer",)
    assert authenticate(site["store"], "zhang", PASSWORD).id == zhang.id


def test_a_page_opened_before_another_change_is_refused(site) -> None:
    boss = client_of(site, "boss")
    path = f"/users/{site['zhang'].id}/roles"
    page = boss.get(path).text
    stale = {"csrf": form_token(page), "seen": form_token(page, "seen")}
    assert confirm(boss, path, roles=["officer", "supervisor"], reason="兼任").status_code == 303
    refused = boss.post(path, data={**stale, "roles": ["legal_reviewer"], "reason": "调岗"})
    assert refused.status_code == 409 and "已被修改" in refused.text
    assert find_user(site["store"], "zhang").roles == ("officer", "supervisor")
    unsent = boss.post(path, data={"csrf": stale["csrf"], "roles": ["head"], "reason": "x"})
    assert unsent.status_code == 400 and "确认页已过期" in unsent.text


def test_ids_that_are_not_the_administrators_are_refused_with_the_error_page(
    site, monkeypatch
) -> None:
    boss = client_of(site, "boss")
    token = form_token(boss.get("/users").text)
    for bad in ("no-such-user", "%2e%2e", "a" * 300, "张三"):
        for tail in ("disable", "password", "roles"):
            got = boss.get(f"/users/{bad}/{tail}")
            assert got.status_code == 404 and "账户" in got.text and "<html" in got.text
            sent = boss.post(f"/users/{bad}/{tail}", data={"csrf": token, "reason": "x"})
            assert sent.status_code == 404
    # a grant within one agency (no shipped role has one): another agency's account is refused
    monkeypatch.setitem(GRANTS, "head", {**GRANTS["head"], "user.manage": AGENCY})
    liu = client_of(site, "liu")
    far = site["far"].id
    page = liu.get(f"/users/{far}/disable")
    assert page.status_code == 403 and "其他机关的账户" in page.text
    token = form_token(liu.get("/users").text)
    sent = liu.post(f"/users/{far}/disable", data={"csrf": token, "seen": "x", "reason": "越权"})
    assert sent.status_code == 403 and "无权访问（403）" in sent.text
    assert not find_user(site["store"], "far").disabled
    assert "far" not in liu.get("/users").text


def test_an_administrator_is_told_why_they_cannot_disable_themselves(site) -> None:
    boss = client_of(site, "boss")
    own = boss.get("/users").text
    assert f"/users/{site['boss'].id}/disable" not in own  # not offered
    refused = confirm(boss, f"/users/{site['boss'].id}/disable", reason="测试")
    assert refused.status_code == 400 and "不能停用自己的账户" in refused.text
    demoted = confirm(boss, f"/users/{site['boss'].id}/roles", roles=["officer"], reason="测试")
    assert demoted.status_code == 400 and "不能取消自己的系统管理员角色" in demoted.text
    assert find_user(site["store"], "boss").roles == ("admin",)


def test_a_reset_password_is_replaced_before_anything_else_opens(site) -> None:
    boss = client_of(site, "boss")
    done = confirm(
        boss, f"/users/{site['zhang'].id}/password",
        password=TEMPORARY, again=TEMPORARY, reason="本人忘记密码",
    )  # fmt: skip
    assert done.status_code == 303
    zhang = TestClient(site["app"], base_url="http://127.0.0.1")
    signed = web_login(zhang, "zhang", TEMPORARY)
    assert signed.status_code == 303 and signed.headers["location"].startswith("/login/password")
    assert zhang.get("/cases", follow_redirects=False).headers["location"].startswith("/login")
    page = zhang.get(signed.headers["location"])
    assert "设置新密码" in page.text and "临时密码" in page.text
    token = form_token(page.text)
    same = zhang.post("/login/password", data={"csrf": token, "password": TEMPORARY,
                                               "again": TEMPORARY})  # fmt: skip
    assert same.status_code == 400 and "不能与管理员设置的临时密码相同" in same.text
    mine = zhang.post(
        "/login/password",
        data={"csrf": token, "password": "Mine-pass-2026", "again": "Mine-pass-2026",
              "next": "/cases"},
        follow_redirects=False,
    )  # fmt: skip
    assert mine.status_code == 303 and mine.headers["location"] == "/cases"
    assert zhang.get("/cases").status_code == 200
    assert client_of(site, "zhang", "Mine-pass-2026").get("/cases").status_code == 200


def test_a_reset_second_factor_is_enrolled_again_at_the_next_sign_in(site) -> None:
    client_of(site, "liu")  # enrols at the first sign-in
    boss = client_of(site, "boss")
    assert confirm(boss, f"/users/{site['liu'].id}/totp", reason="手机丢失").status_code == 303
    liu = TestClient(site["app"], base_url="http://127.0.0.1")
    page = liu.get("/login")
    step = liu.post(
        "/login",
        data={"username": "liu", "password": PASSWORD, "csrf": form_token(page.text)},
        follow_redirects=True,
    )
    assert "绑定验证器" in step.text and "totp-qr" in step.text


def test_changing_ones_own_password(site) -> None:
    here = client_of(site, "zhang")
    there = client_of(site, "zhang")
    page = here.get("/account/password")
    assert page.status_code == 200 and "当前密码" in page.text
    token = form_token(page.text)
    wrong = here.post("/account/password", data={"csrf": token, "current": "Nope-pass-2026",
                                                 "password": "New-pass-2026",
                                                 "again": "New-pass-2026"})  # fmt: skip
    assert wrong.status_code == 400
    beside = re.search(r'id="field-current".*?</div>', wrong.text, re.S)
    assert beside is not None and "当前密码不正确" in beside.group(0)
    assert there.get("/cases").status_code == 200  # nothing changed
    done = here.post(
        "/account/password",
        data={"csrf": token, "current": PASSWORD, "password": "New-pass-2026",
              "again": "New-pass-2026"},
        follow_redirects=True,
    )  # fmt: skip
    assert done.status_code == 200 and "密码已修改" in done.text
    assert here.get("/cases").status_code == 200
    assert there.get("/cases", follow_redirects=False).status_code == 303  # signed out
    assert authenticate(site["store"], "zhang", "New-pass-2026").username == "zhang"
