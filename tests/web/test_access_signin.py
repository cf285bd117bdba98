"""Second factor for admin/head/custodian, nothing reachable without sign-in, Secure cookies
over https, and 调阅记录 on the ledger page."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount
from tests.factories import make_user
from tests.helpers import make_case_with_files, run_cli, totp_secret, web_login

from liuhen.services.admin.totp import code_at
from liuhen.services.admin.users import find_user
from liuhen.store import tables as t
from liuhen.web.app import create_app
from liuhen.web.auth.permission import PUBLIC_ROUTES, app_routes

PASSWORD = "Strong-pass-2026"


@pytest.fixture
def made(store, tmp_path: Path):  # type: ignore[no-untyped-def]
    made = make_case_with_files(store, tmp_path)
    for username, role, officer in (
        ("head1", "head", None),
        ("officer1", "officer", made["o1"]),
        ("super1", "supervisor", None),
    ):
        make_user(
            store,
            username,
            role,
            agency_id=made["agency"],
            officer_id=officer,
            display_name={"head": "刘局长", "officer": "张三", "supervisor": "孙监督"}[role],
            password=PASSWORD,
        )
    return made


def _client(store, base: str = "http://127.0.0.1") -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(store.settings, store=store), base_url=base)


def _password_step(client: TestClient, username: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return str(done.headers["location"])


def _code_form(client: TestClient, code: str):  # type: ignore[no-untyped-def]
    page = client.get("/login/totp")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return client.post("/login/totp", data={"code": code, "csrf": token}, follow_redirects=False)


def test_head_enrols_at_first_sign_in_then_needs_the_code(store, made, clock):  # type: ignore[no-untyped-def]
    client = _client(store)
    assert _password_step(client, "head1").startswith("/login/totp")
    assert client.get("/cases", follow_redirects=False).status_code == 303  # not signed in yet
    enrol = client.get("/login/totp")
    assert "绑定验证器" in enrol.text and "<svg" in enrol.text
    user = find_user(store, "head1")
    secret = totp_secret(store, user.id)
    assert secret in enrol.text
    wrong = _code_form(client, "000000")
    assert wrong.status_code == 401 and "动态验证码错误" in wrong.text
    done = _code_form(client, pyotp.TOTP(secret).at(clock()))
    assert done.status_code == 303 and done.headers["location"] == "/"  # 首页
    assert client.get("/cases").status_code == 200
    with store.read() as conn:
        enrolled = conn.execute(
            select(t.users.c.totp_enabled_at).where(t.users.c.id == user.id)
        ).scalar()
        actions = [
            r[0]
            for r in conn.execute(
                select(t.ledger_events.c.action).where(t.ledger_events.c.subject_id == user.id)
            )
        ]
    assert enrolled is not None
    assert {"auth.totp_enrolled", "auth.totp_failed", "auth.totp_succeeded"} <= set(actions)
    again = _client(store)
    _password_step(again, "head1")
    step = again.get("/login/totp")
    assert "绑定验证器" not in step.text and secret not in step.text and "<svg" not in step.text


def test_wrong_codes_count_towards_the_lockout(store, made, clock):  # type: ignore[no-untyped-def]
    client = _client(store)
    _password_step(client, "head1")
    client.get("/login/totp")
    secret = totp_secret(store, find_user(store, "head1").id)
    for _ in range(5):
        assert _code_form(client, "123456").status_code == 401
    locked = _code_form(client, pyotp.TOTP(secret).at(clock()))
    assert locked.status_code == 401 and "暂时锁定" in locked.text
    fresh = _client(store)
    page = fresh.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    refused = fresh.post("/login", data={"username": "head1", "password": PASSWORD, "csrf": token})
    assert refused.status_code == 401 and "暂时锁定" in refused.text
    clock.advance(minutes=16)
    assert web_login(_client(store), "head1", PASSWORD).headers["location"] == "/cases"


def test_a_code_is_good_once(store, made, clock):  # type: ignore[no-untyped-def]
    web_login(_client(store), "head1", PASSWORD)
    secret = totp_secret(store, find_user(store, "head1").id)
    replay = _client(store)
    _password_step(replay, "head1")
    refused = _code_form(replay, pyotp.TOTP(secret).at(clock()))
    assert refused.status_code == 401 and "已使用过" in refused.text
    clock.advance(seconds=30)
    assert _code_form(replay, pyotp.TOTP(secret).at(clock())).status_code == 303


def test_pending_second_step_expires(store, made, clock):  # type: ignore[no-untyped-def]
    client = _client(store)
    _password_step(client, "head1")
    clock.advance(minutes=6)
    assert (
        client.get("/login/totp", follow_redirects=False).headers["location"].startswith("/login")
    )


def test_officer_needs_no_second_factor(store, made):  # type: ignore[no-untyped-def]
    assert _password_step(_client(store), "officer1") == "/"  # 首页


def test_cli_user_add_prints_the_enrolment_secret(settings, store):  # type: ignore[no-untyped-def]
    base = ["--data-dir", str(settings.data_dir)]
    if not settings.is_sqlite:
        base += ["--database-url", settings.database_url]
    result = run_cli(
        [*base, "user", "add", "keeper", "--name", "陈丹", "--role", "custodian",
         "--password", PASSWORD, "--json"]
    )  # fmt: skip
    assert result.code == 0, result.err
    shown = result.json()
    assert shown["totp_uri"].startswith("otpauth://totp/") and shown["totp_secret"]
    assert totp_secret(store, shown["id"]) == shown["totp_secret"]
    plain = run_cli(
        [*base, "user", "add", "plain1", "--name", "王五", "--role", "officer",
         "--password", PASSWORD]
    )  # fmt: skip
    assert plain.code == 0 and "动态验证码" not in plain.out


def test_nothing_but_the_public_routes_answers_without_sign_in(store, made):  # type: ignore[no-untyped-def]
    client = _client(store)
    app = client.app
    checked = 0
    for path, route in app_routes(app.routes):  # type: ignore[attr-defined]
        if isinstance(route, Mount) or path in PUBLIC_ROUTES:
            continue
        target = re.sub(r"{(\w+)(?::\w+)?}", "x1", path)
        for method in sorted(getattr(route, "methods", {"GET"}) - {"HEAD"}):
            response = client.request(method, target, follow_redirects=False)
            checked += 1
            if path.startswith("/api/") or path.startswith("/records/"):
                assert response.status_code in (303, 401), (method, path, response.status_code)
            else:
                assert response.status_code == 303, (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/login")
    assert checked > 20
    assert set(PUBLIC_ROUTES) >= {"/login", "/healthz", "/static", "/share/{token}"}


def test_cookies_are_secure_over_https_only(store, made):  # type: ignore[no-untyped-def]
    secure = web_login(_client(store, "https://liuhen.example"), "officer1", PASSWORD)
    assert "secure" in secure.headers["set-cookie"].lower()
    plain = web_login(_client(store), "officer1", PASSWORD)
    assert "secure" not in plain.headers["set-cookie"].lower()


def test_views_page_shows_who_looked_at_what(store, made):  # type: ignore[no-untyped-def]
    supervisor = _client(store)
    web_login(supervisor, "super1", PASSWORD)
    number = "测试〔2026〕1号"
    assert supervisor.get(f"/cases/{number}").status_code == 200
    assert supervisor.get(f"/records/{made['record']}/files/1").status_code == 200
    refused = supervisor.post(f"/cases/{made['case']}/acts/new", data={"csrf": "x"})
    assert refused.status_code == 403  # read-only: every write route refuses a supervisor
    head = _client(store)
    web_login(head, "head1", PASSWORD)
    page = head.get("/ledger/views", params={"case": number})
    assert page.status_code == 200
    assert "孙监督（super1）" in page.text and "查看案件" in page.text
    assert "查看/下载文件" in page.text and "越权访问被拒绝" in page.text
    mine = head.get("/ledger/views", params={"who": "officer1"})
    assert "孙监督" not in mine.text
    officer = _client(store)
    web_login(officer, "officer1", PASSWORD)
    assert officer.get("/ledger/views").status_code == 403


def test_sign_in_returns_to_the_page_asked_for_with_its_query(store, made, clock):  # type: ignore[no-untyped-def]
    """A link from a reminder e-mail (a filtered list) survives both sign-in steps."""
    client = _client(store)
    asked = client.get("/cases/due?days=5", follow_redirects=False)
    assert asked.status_code == 303
    login = asked.headers["location"]
    assert login == "/login?next=%2Fcases%2Fdue%3Fdays%3D5"
    page = client.get(login).text
    assert 'name="next" value="/cases/due?days=5"' in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    step = client.post(
        "/login",
        data={
            "username": "head1",
            "password": PASSWORD,
            "csrf": token,
            "next": "/cases/due?days=5",
        },
        follow_redirects=False,
    )
    assert step.headers["location"] == "/login/totp?next=%2Fcases%2Fdue%3Fdays%3D5"
    totp = client.get(step.headers["location"]).text
    assert 'name="next" value="/cases/due?days=5"' in totp
    token = re.search(r'name="csrf" value="([^"]+)"', totp).group(1)  # type: ignore[union-attr]
    secret = totp_secret(store, find_user(store, "head1").id)
    done = client.post(
        "/login/totp",
        data={"code": code_at(secret, clock()), "csrf": token, "next": "/cases/due?days=5"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/cases/due?days=5"
