"""``GET /api/inbox`` in pages, as ``/api/cases`` is: each list (overdue, oldest first; due,
soonest first) gives page ``page`` of ``size`` items, the pages together make the whole
list, a page past the last is the last, and a bad size is one Chinese 400 naming it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from tests.factories import PASSWORD, make_user
from tests.helpers import web_login
from tests.integration.test_one_truth import SECTION, T0, TZ, _cases

from liuhen.web.app import create_app


def _pages(client: TestClient, size: int, count: int) -> list[dict]:
    return [
        client.get("/api/inbox", params={"days": "20", "size": str(size), "page": str(n)}).json()
        for n in range(1, count + 1)
    ]


def test_the_inbox_api_pages_each_list_and_the_pages_make_the_whole(store, clock):
    clock.now = T0 + timedelta(hours=4)
    made, _ = _cases(store, clock, stagger=1)  # six sealings, none recorded on video
    make_user(store, "zhao", "section_head", agency_id=made["agency"], section=SECTION)
    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")

    for when, listed in ((T0 + timedelta(hours=4), "due"), (datetime(2026, 11, 30, 9, tzinfo=TZ), "overdue")):  # fmt: skip
        clock.now = when
        assert web_login(client, "zhao", PASSWORD).status_code == 303  # days later: again
        whole = client.get("/api/inbox", params={"days": "20", "size": "500"}).json()
        assert whole["pages"] == 1 and whole["size"] == 500 and not whole["links"]
        count = whole[f"{listed}_count"]
        assert len(whole[listed]) == count and 5 <= count <= 8, (listed, count)
        pages = _pages(client, 4, 2)
        shape = [(p["page"], p["pages"], len(p[listed])) for p in pages]
        assert shape == [(1, 2, 4), (2, 2, count - 4)]
        assert pages[0][listed] + pages[1][listed] == whole[listed]
        assert all(p[f"{listed}_count"] == count for p in pages)
        following = pages[0]["links"]["next"]
        assert "days=20" in following and "size=4" in following and "page=2" in following
        assert "next" not in pages[1]["links"]
        beyond = client.get("/api/inbox", params={"days": "20", "size": "4", "page": "7"})
        assert beyond.json()["page"] == 2 and beyond.json()[listed] == pages[1][listed]
        singles = _pages(client, 1, count)
        assert [r for p in singles for r in p[listed]] == whole[listed]  # the order kept

    for bad in ("0", "501", "两"):
        answer = client.get("/api/inbox", params={"size": bad})
        assert answer.status_code == 400 and "size" in answer.text, bad
        assert "每页件数" in answer.text
    assert client.get("/api/inbox", params={"page": "x"}).status_code == 400


def _shown(html: str, section: str) -> list[str]:
    """The case numbers of the rows of one list (``overdue`` or ``due``) of the page."""
    part = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<tr class="inbox-item">.*?<a href="/cases/[0-9a-f]+">([^<]+)</a>', part)


def test_the_inbox_page_pages_too(store, clock, monkeypatch):
    monkeypatch.setattr("liuhen.web.oversight.inbox.SHOWN", 4)
    clock.now = T0 + timedelta(hours=4)
    made, _ = _cases(store, clock, stagger=1)
    make_user(store, "zhao", "section_head", agency_id=made["agency"], section=SECTION)
    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    assert web_login(client, "zhao", PASSWORD).status_code == 303
    whole = client.get("/api/inbox", params={"days": "20", "size": "500"}).json()["due"]

    first = client.get("/inbox", params={"days": "20"}).text
    assert len(_shown(first, "due")) == 4 and "第 1 / 2 页（每页每类 4 项）" in first
    assert f"第 1–4 项，共 {len(whole)} 项" in first and "上一页" not in first
    following = re.search(r'href="([^"]+)" rel="next"', first)
    assert following is not None and "days=20" in following.group(1)
    second = client.get(following.group(1).replace("&amp;", "&")).text
    assert "第 2 / 2 页" in second and "下一页" not in second
    assert _shown(first, "due") + _shown(second, "due") == [r["case_number"] for r in whole]
    assert client.get("/inbox", params={"days": "20", "page": "9"}).text.count("第 2 / 2 页") == 1
    assert client.get("/inbox", params={"page": "零"}).status_code == 400
