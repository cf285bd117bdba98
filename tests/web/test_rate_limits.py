"""Rate limits seen from the web: an account's API calls past the limit answer 429 in the
project's JSON error format with Retry-After, pages are not counted, and sign-ins from one
address past the limit get the login page with the reason (429), before any password check.
Two app instances on the same database (two nodes) share the count."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from tests.factories import PASSWORD, make_agency, make_user
from tests.helpers import web_login

from liuhen.store.store import Store
from liuhen.web.app import create_app


@pytest.fixture
def node(store: Store) -> Iterator[Callable[..., TestClient]]:
    """``node(**limits)``: an app instance of its own (its own engine and pool) on the
    store's database; their stores are closed after the test."""
    opened: list[Store] = []

    def make(**limits: int) -> TestClient:
        settings = replace(store.settings, **limits)
        opened.append(Store.open(settings, clock=store.clock))
        return TestClient(create_app(settings, store=opened[-1]))

    yield make
    for each in opened:
        each.close()


def test_api_calls_past_the_limit_answer_429_on_every_node(store, node) -> None:  # type: ignore[no-untyped-def]
    made = make_agency(store, officers={"张三": "14010020230001"})
    make_user(store, "officer1", agency_id=made["agency"], officer_id=made["张三"])
    a, b = node(api_rate_per_minute=3), node(api_rate_per_minute=3)
    for client in (a, b):
        assert web_login(client, "officer1", PASSWORD).status_code == 303
    assert a.get("/api/cases").status_code == 200
    assert b.get("/api/cases").status_code == 200
    assert a.get("/cases").status_code == 200  # a page: not counted
    assert a.get("/api/cases").status_code == 200
    refused = b.get("/api/cases")  # the fourth call of the minute, on the other node
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "rate_limited" and "每分钟最多 3 次" in body["message"], body
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    store.clock.advance(minutes=1)
    assert a.get("/api/cases").status_code == 200  # a new minute


def test_signins_from_one_address_past_the_limit_are_refused_before_the_check(store, node) -> None:  # type: ignore[no-untyped-def]
    make_user(store, "officer2")
    client = node(signin_rate_per_minute=2)
    for _ in range(2):
        assert web_login(client, "officer2", "wrong-password").status_code == 401
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    refused = client.post(
        "/login",
        data={"username": "officer2", "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )  # the right password, but the third attempt of the minute from this address
    assert refused.status_code == 429
    assert "登录尝试过于频繁（每分钟最多 2 次）" in refused.text
    assert "Retry-After" in refused.headers
    assert "liuhen_session" not in refused.cookies
    store.clock.advance(minutes=1)
    assert web_login(client, "officer2", PASSWORD).status_code == 303
