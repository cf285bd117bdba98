"""Requests LiuHen cannot read get its own error format (issue 13): a Chinese message
naming the header, parameter or field, as JSON under /api/ and as the error page (or the
form again) for people; never the framework's 422, never a 500. A 1 MB case title is
refused beside its field. Behind a trusted https proxy the session cookie is Secure. On
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.factories import make_user
from tests.helpers import make_case_with_files, web_login

from liuhen.web.app import create_app

PASSWORD = "Strong-pass-2026"
TUS = {"Tus-Resumable": "1.0.0"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def site(store, tmp_path: Path) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    made = make_case_with_files(store, tmp_path)
    for username, role, officer in (
        ("officer1", "officer", made["o1"]),
        ("keeper1", "custodian", None),
        ("admin1", "admin", None),
    ):
        make_user(
            store, username, role, agency_id=made["agency"], officer_id=officer, password=PASSWORD
        )
    app = create_app(store.settings, store=store)
    clients = {}
    for username in ("officer1", "keeper1", "admin1"):
        client = TestClient(app, base_url="http://127.0.0.1")
        assert web_login(client, username, PASSWORD).status_code == 303
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text)
        assert token is not None
        client.headers["X-CSRF-Token"] = token.group(1)
        client.csrf = token.group(1)  # type: ignore[attr-defined]
        clients[username] = client
    yield {**made, **clients, "app": app}
    for client in clients.values():
        client.close()


def _refused(response: Any, *names: str) -> dict[str, Any]:
    """A 400 in the project's JSON format whose message or details name every ``names``."""
    assert response.status_code == 400, (response.status_code, response.text[:300])
    body = response.json()
    assert body["error"] == "invalid_input" and re.search("[\u4e00-\u9fff]", body["message"])
    said = body["message"] + "\n" + "\n".join(body["details"])
    for name in names:
        assert name in said, (name, said)
    return dict(body)


@pytest.mark.parametrize(
    "value",
    ["²".encode("latin-1"), "٣".encode(), b"-5", b"1e3", b" ", b"9" * 40, b"0x10"],
)
def test_a_tus_length_that_is_not_plain_digits_is_refused_naming_the_header(
    site, value: bytes
) -> None:  # type: ignore[no-untyped-def]
    keeper = site["keeper1"]
    created = keeper.post("/api/uploads", headers={**TUS, "Upload-Length": value})  # type: ignore[dict-item]
    _refused(created, "Upload-Length")
    patched = keeper.patch(
        "/api/uploads/no-such-upload",
        headers={**TUS, "Upload-Offset": value, "Content-Type": "application/offset+octet-stream"},  # type: ignore[dict-item]
        content=b"x",
    )
    _refused(patched, "Upload-Offset")


def test_malformed_or_mistyped_json_bodies_name_what_is_wrong(site) -> None:  # type: ignore[no-untyped-def]
    officer, keeper, admin = site["officer1"], site["keeper1"], site["admin1"]
    case, record = site["case"], site["record"]
    for client, path in (
        (admin, "/api/cases/import"),
        (officer, f"/api/cases/{case}/access-requests"),
        (keeper, f"/api/records/{record}/dispose"),
    ):
        for body in (b"{bad", b"\xff\xfe{}", b'{"a": 1'):
            _refused(client.post(path, headers=JSON, content=body), "请求体")
    _refused(admin.post("/api/cases/import", headers=JSON, content=b"[" * 50_000), "请求体")
    typed = officer.post(
        f"/api/cases/{case}/access-requests", headers=JSON, content=b'{"kind": 5, "purpose": []}'
    )
    _refused(typed, "kind: 应为文本", "requester: 缺少该项", "purpose: 应为文本")
    surrogate = admin.post("/api/cases/import", headers=JSON, content=b'"\\ud800"')
    _refused(surrogate, "请求体: 应为 JSON 对象")
    _refused(keeper.post("/api/av/files", content=b"x"), "filename: 缺少该项")


def test_form_bodies_that_are_not_utf8_or_not_forms_are_refused_cleanly(site) -> None:  # type: ignore[no-untyped-def]
    officer = site["officer1"]
    token = officer.csrf  # type: ignore[attr-defined]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    odd = officer.post(
        "/cases/new",
        headers=form,
        content=f"csrf={token}&title=%ff%fe&number=\xff".encode("latin-1"),
    )
    assert odd.status_code == 400 and "本次未保存任何内容" in odd.text
    broken = officer.post(
        "/cases/new", headers={"Content-Type": "multipart/form-data"}, content=b"garbage"
    )
    assert broken.status_code == 400 and "请求体" in broken.text and "无法解析" in broken.text


def test_a_megabyte_case_title_is_refused_beside_its_field(site, store) -> None:  # type: ignore[no-untyped-def]
    """Past the form parser's 1 MB a field is refused naming the limit; within it, the case
    command refuses a title past its 300 characters, shown beside the field."""
    officer = site["officer1"]

    def open_with(title: str) -> Any:
        return officer.post(
            "/cases/new",
            data={
                "csrf": officer.csrf,  # type: ignore[attr-defined]
                "title": title,
                "procedure": "general",
                "opened_at": "2026-11-20T09:00",
                "party.kind": "organisation",
                "party.name": "某店",
            },
            follow_redirects=False,
        )

    before = len(officer.get("/api/cases").json()["cases"])
    huge = open_with("案" * (1 << 20))
    assert huge.status_code == 400 and "某一字段超过 1 MB" in huge.text
    long = open_with("案" * 1000)
    assert long.status_code == 400 and "案件名称过长：1000 个字符，最多 300 个" in long.text
    assert 'name="title"' in long.text  # the form again, the message beside its field
    assert len(officer.get("/api/cases").json()["cases"]) == before  # nothing was opened


def test_the_session_cookie_is_secure_behind_a_trusted_https_proxy(site, store) -> None:  # type: ignore[no-untyped-def]
    proxied = {"X-Forwarded-Proto": "https"}

    def session_cookie(app: Any, client_host: str, headers: dict[str, str]) -> str:
        """Sign in over plain http as a proxy forwards it (the client's jar would keep a
        Secure login cookie from plain http, so it is sent by hand)."""
        client = TestClient(app, base_url="http://127.0.0.1", client=(client_host, 40000))
        page = client.get("/login", headers=headers)
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        done = client.post(
            "/login",
            data={"username": "officer1", "password": PASSWORD, "csrf": token.group(1)},
            headers={**headers, "Cookie": f"liuhen_login_csrf={page.cookies['liuhen_login_csrf']}"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text[:300]
        return str(done.headers["set-cookie"]).lower()

    assert "secure" in session_cookie(site["app"], "127.0.0.1", proxied)
    assert "secure" not in session_cookie(site["app"], "127.0.0.1", {})
    assert "secure" not in session_cookie(site["app"], "203.0.113.9", proxied)  # not trusted
    trusted = create_app(replace(store.settings, trusted_proxies="203.0.113.0/24"), store=store)
    assert "secure" in session_cookie(trusted, "203.0.113.9", proxied)
    always = create_app(replace(store.settings, cookie_secure="always"), store=store)
    assert "secure" in session_cookie(always, "203.0.113.9", {})
