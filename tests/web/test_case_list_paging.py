"""The case list of a bureau with many cases: 50 to a page with links between pages that
keep the filters, a search box over number, title and party, and one clear message for a
page number that is not one."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from tests.factories import make_user
from tests.helpers import SYSTEM, web_login

from liuhen.services.admin.agency import create_agency
from liuhen.services.cases.cases import open_case
from liuhen.web.app import create_app

PASSWORD = "Officer-pass-2026"


def _rows(html: str) -> list[str]:
    return re.findall(r'<td class="mono"><a href="/cases/[0-9a-f]{32}">([^<]+)</a>', html)


def _bureau(store, clock, count: int, *, party=lambda n: f"商户{n}") -> TestClient:
    """A bureau with ``count`` general-procedure cases (number ``n`` opened ``count + 1 - n``
    hours ago: the newest is the last), and its legal reviewer signed in."""
    agency = create_agency(store, SYSTEM, name="测试县市场监督管理局", profile_id="shanxi-township")
    for n in range(1, count + 1):
        open_case(
            store,
            SYSTEM,
            agency_id=agency,
            number=f"测市监罚〔2026〕{n}号",
            title=f"第{n}号商户未明码标价案",
            procedure="general",
            party={"kind": "organisation", "name": party(n)},
            opened_at=clock() - timedelta(hours=count + 1 - n),
        )
    make_user(store, "reviewer", "legal_reviewer", agency_id=agency, display_name="孙法制")
    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    assert web_login(client, "reviewer", PASSWORD).status_code == 303
    return client


def test_the_case_list_pages_searches_and_keeps_filters(store, clock):
    client = _bureau(store, clock, 61, party=lambda n: "老街百货" if n == 7 else f"商户{n}")

    first = client.get("/cases").text
    assert len(_rows(first)) == 50 and _rows(first)[0] == "测市监罚〔2026〕61号"  # newest first
    assert "第 1 / 2 页（第 1–50 件，共 61 件）" in first and "上一页" not in first
    second = client.get("/cases", params={"page": "2"}).text
    assert _rows(second) == [f"测市监罚〔2026〕{n}号" for n in range(11, 0, -1)]
    assert "第 2 / 2 页" in second and "下一页" not in second
    assert _rows(client.get("/cases", params={"page": "9"}).text) == _rows(second)  # clamped

    found = client.get("/cases", params={"q": "老街百货"}).text
    assert _rows(found) == ["测市监罚〔2026〕7号"] and "符合条件 1 件" in found
    by_number = client.get("/cases", params={"q": "〔2026〕1"}).text  # 1, 10-19
    assert len(_rows(by_number)) == 11 and "分页" not in by_number

    filtered = client.get("/cases", params={"procedure": "general", "q": "商户"}).text
    link = re.search(r'href="([^"]+page=2)"', filtered)
    assert link is not None and "procedure=general" in link.group(1) and "q=" in link.group(1)

    bad = client.get("/cases", params={"page": "二"})
    assert bad.status_code == 400 and "页码应为正整数" in bad.text


def test_a_search_matching_more_than_the_cap_lists_the_newest_and_says_so(
    store, clock, monkeypatch
):
    monkeypatch.setattr("liuhen.services.cases.cases.SEARCH_COUNT_CAP", 60)
    client = _bureau(store, clock, 62)

    first = client.get("/cases", params={"q": "商户"}).text  # 62 match, counted up to 60
    assert "符合条件的超过 60 件：列出最新的 60 件，加上更多字词可缩小范围" in first
    assert "第 1 / 2 页（第 1–50 件，共 60 件以上）" in first
    last = client.get("/cases", params={"q": "商户", "page": "2"}).text
    assert _rows(last) == [f"测市监罚〔2026〕{n}号" for n in range(12, 2, -1)]  # the 60 newest
    exact = client.get("/cases", params={"q": "〔2026〕1"}).text  # 1, 10-19: under the cap
    assert "符合条件 11 件" in exact and "以上" not in exact


def test_the_api_list_pages_through_every_case_once(store, clock):
    """``/api/cases``: ``size`` cases a page (100 unless asked), newest first, ``links.next``
    to the next page until the last; every case once over the pages; a page past the last
    gives the last; a size that is not one is refused in one Chinese message naming it."""
    client = _bureau(store, clock, 25)

    whole = client.get("/api/cases").json()
    assert (whole["page"], whole["pages"], whole["size"], whole["matched"]) == (1, 1, 100, 25)
    assert len(whole["cases"]) == 25 and "next" not in whole["links"]

    seen, url, pages = [], "/api/cases?size=10", 0
    while url:
        body = client.get(url).json()
        assert body["size"] == 10 and body["matched"] == 25 and body["pages"] == 3
        seen += [c["number"] for c in body["cases"]]
        url, pages = body["links"].get("next"), pages + 1
    assert pages == 3 and seen == [f"测市监罚〔2026〕{n}号" for n in range(25, 0, -1)]
    last = client.get("/api/cases", params={"size": "10", "page": "7"}).json()
    assert last["page"] == 3 and [c["number"] for c in last["cases"]] == seen[20:]

    for bad in ("0", "501", "十"):
        refused = client.get("/api/cases", params={"size": bad})
        assert refused.status_code == 400, bad
        assert "size" in refused.text and "每页件数" in refused.text
    assert client.get("/api/cases", params={"page": "x"}).status_code == 400
