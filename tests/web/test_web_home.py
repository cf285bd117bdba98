"""首页 (issue 16): signing in lands on the home page, and each role's page shows what waits
for that role — the officer's own items and footage to store, the section head's and the
head's approvals, the custodian's footage to link and cases to file, the supervisor's and
the head's overdue items of the agency — each with its button, and nothing a role cannot do.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import web_login

from liuhen.web.app import create_app

ROLES = {
    "zhangjg": "执法人员",
    "zhaokz": "科室/承办机构负责人",
    "wangfang": "法制审核人员",
    "liuzz": "机关负责人",
    "chenda": "档案/音像管理员",
    "sunjd": "监督人员",
}


@pytest.fixture
def site(shared_demo: Any) -> Any:
    with TestClient(
        create_app(shared_demo.store.settings, store=shared_demo.store),
        base_url="http://127.0.0.1",
    ) as client:
        yield client, shared_demo


def _home(client: TestClient, username: str, password: str) -> str:
    done = web_login(client, username, password)
    assert done.status_code == 303, done.text[:300]
    page = client.get("/")
    assert page.status_code == 200, page.text[:500]
    return page.text


@pytest.mark.parametrize("username", sorted(ROLES))
def test_each_role_lands_on_its_home_page(site: Any, username: str) -> None:
    client, demo = site
    page = _home(client, username, demo.accounts[username])
    assert "<h1>首页</h1>" in page and ROLES[username] in page
    assert 'id="tile-overdue"' in page and 'id="home-overdue"' in page
    oversees = username in ("liuzz", "sunjd", "chenda", "wangfang")  # the demo has one overdue
    assert ('id="home-reach"' in page) == oversees == ('id="tile-reach"' in page)
    if username in ("zhaokz", "wangfang", "liuzz"):
        assert 'id="tile-approvals"' in page  # approvers see what waits for their decision
    else:
        assert 'id="tile-approvals"' not in page
    assert ('href="/cases/new"' in page) == (username in ("zhangjg", "zhaokz"))
    assert ('href="/uploads"' in page) == (username in ("zhangjg", "chenda"))


def test_signing_in_lands_on_the_home_page(site: Any) -> None:
    client, demo = site
    done = web_login(client, "sunjd", demo.accounts["sunjd"])
    assert done.headers["location"] == "/cases"  # the helper asks for /cases explicitly
    fresh = TestClient(client.app, base_url="http://127.0.0.1")
    page = fresh.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_the_administrator_has_a_home_page_too(site: Any) -> None:
    client, _demo = site
    page = _home(client, "admin", ADMIN_PASSWORD)
    assert "系统管理员" in page and 'href="/users"' in page and 'id="home-overdue"' not in page
