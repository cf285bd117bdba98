"""The web shell: sign-in, the case list, the integrity page, headers, CSRF, idle timeout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ADMIN_PASSWORD
from tests.factories import make_user
from tests.helpers import make_case_with_files, web_login

from liuhen.web.app import create_app

PASSWORD = "Officer-pass-2026"


@pytest.fixture
def client(store, tmp_path: Path):  # type: ignore[no-untyped-def]
    made = make_case_with_files(store, tmp_path)
    make_user(store, "officer1", "officer", agency_id=made["agency"], officer_id=made["o1"])
    make_user(store, "super1", "supervisor", agency_id=made["agency"])
    with TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1") as c:
        yield c


_login = web_login


def test_pages_need_login_and_redirect_to_it(client):
    response = client.get("/cases", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_officer_logs_in_and_sees_case_list(client, store):
    response = _login(client, "officer1", PASSWORD)
    assert response.status_code == 303
    page = client.get("/cases")
    assert page.status_code == 200
    assert "某店占道经营案" in page.text and "行政处罚一般程序" in page.text
    with store.read() as conn:
        from sqlalchemy import text

        actions = [
            r[0] for r in conn.execute(text("SELECT action FROM ledger_events ORDER BY seq"))
        ]
    assert "auth.login_succeeded" in actions


def test_wrong_password_is_refused_and_logged(client, store):
    response = _login(client, "officer1", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    with store.read() as conn:
        from sqlalchemy import text

        failed = conn.execute(
            text("SELECT count(*) FROM ledger_events WHERE action = 'auth.login_failed'")
        ).scalar_one()
    assert failed == 1


def test_officer_may_not_open_the_integrity_page(client):
    _login(client, "officer1", PASSWORD)
    response = client.get("/ledger")
    assert response.status_code == 403
    assert "无权" in response.text


def test_supervisor_runs_verification_from_the_integrity_page(client):
    _login(client, "super1", PASSWORD)
    page = client.get("/ledger")
    assert "最新检查点" in page.text and "尚未校验" in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post("/ledger/verify", data={"csrf": token}, follow_redirects=True)
    assert "通过：未发现篡改" in response.text


def test_an_incremental_run_continues_from_the_last_and_says_so(client, store):
    _login(client, "super1", PASSWORD)
    page = client.get("/ledger")
    assert "增量校验</button>" not in page.text  # nothing to continue from yet
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    full = client.post(
        "/ledger/verify", data={"csrf": token, "scope": "full"}, follow_redirects=True
    )
    assert '<dd id="verify-scope">完整校验</dd>' in full.text
    assert "增量校验</button>" in full.text
    verified = store.event_count() - 1  # all but the run's own record
    client.get("/cases")  # a view: one more event, read by the next run
    response = client.post(
        "/ledger/verify", data={"csrf": token, "scope": "since_last"}, follow_redirects=True
    )
    assert "通过：未发现篡改" in response.text
    newer = store.event_count() - 1 - verified  # the view, the first run's record, …
    assert f"增量：续接此前已校验的 {verified} 条事件，校验其后的 {newer} 条" in response.text


def test_a_failed_verification_is_shown_and_writes_nothing(client, store):
    from sqlalchemy import text

    _login(client, "super1", PASSWORD)
    page = client.get("/ledger")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER records_no_update"))
        else:
            conn.execute(text("ALTER TABLE records DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE records SET title = '篡改'"))
        conn.commit()
    events = store.event_count()
    response = client.post("/ledger/verify", data={"csrf": token})
    assert response.status_code == 200 and "本次校验发现" in response.text
    assert "records/" in response.text and store.event_count() == events
    # asked to continue from the last run: with none recorded, the full run, and why
    response = client.post("/ledger/verify", data={"csrf": token, "scope": "since_last"})
    assert "本次校验发现" in response.text and "records/" in response.text
    assert "提示：没有已记录的校验可以续接：进行完整校验" in response.text
    assert store.event_count() == events


def test_form_without_csrf_token_is_refused(client):
    _login(client, "super1", PASSWORD)
    response = client.post("/ledger/verify", data={"csrf": "forged"})
    assert response.status_code == 403


def test_security_headers_and_no_caching(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_idle_session_expires(client, clock):
    _login(client, "officer1", PASSWORD)
    assert client.get("/cases", follow_redirects=False).status_code == 200
    clock.advance(minutes=31)
    assert client.get("/cases", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(client):
    _login(client, "officer1", PASSWORD)
    page = client.get("/cases")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/logout", data={"csrf": token})
    assert client.get("/cases", follow_redirects=False).status_code == 303


def test_admin_login_uses_init_password(client):
    assert _login(client, "admin", ADMIN_PASSWORD).status_code == 303


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.text
