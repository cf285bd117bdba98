"""The dashboard page, its drill-down to the case list, the export, the API and the inbox."""

from __future__ import annotations

import re
from io import BytesIO
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests.helpers import web_login

from liuhen.web.app import create_app


@pytest.fixture
def demo_web(sqlite_demo):  # type: ignore[no-untyped-def]
    """The shared demo (these tests only read): a fresh app and client on it."""
    store = sqlite_demo.store
    with TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1") as client:
        yield client, sqlite_demo.accounts


def test_supervisor_dashboard_drills_down_to_the_cases_behind_a_red_figure(demo_web):
    client, accounts = demo_web
    web_login(client, "sunjd", accounts["sunjd"])
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "行政执法全过程记录监督看板" in page.text and 'id="nav-dashboard"' in page.text
    assert "<svg" in page.text and "style=" not in page.text and "<script>" not in page.text
    red = re.search(r'class="kpi bad" href="([^"]+)" id="kpi-upload"', page.text)
    assert red is not None
    link = red.group(1).replace("&amp;", "&")
    assert parse_qs(urlparse(link).query)["metric"] == ["av_late"]
    cases = client.get(link)
    assert cases.status_code == 200 and "音像记录未按时存储的案件" in cases.text
    assert cases.text.count('<td class="mono">') == 1 and "示镇综执罚〔2026〕22号" in cases.text
    # every category tile links to the cases behind it
    for tile in re.findall(r'id="cat-(\w+)" href="([^"]+)"', page.text):
        assert client.get(tile[1].replace("&amp;", "&")).status_code == 200


def test_dashboard_is_read_only_and_scoped(demo_web):
    client, accounts = demo_web
    web_login(client, "zhangjg", accounts["zhangjg"])
    assert client.get("/dashboard").status_code == 403
    assert client.get("/api/dashboard").status_code == 403
    assert 'id="nav-dashboard"' not in client.get("/cases").text
    web_login(client, "sunjd", accounts["sunjd"])
    other = client.get("/api/dashboard", params={"agency": "not-mine"})
    assert other.status_code == 403 and "agency" in other.json()["message"]
    bad = client.get("/dashboard", params={"from": "2026-13"})
    assert bad.status_code == 400 and "from" in bad.text
    assert client.get("/cases", params={"metric": "nope"}).status_code == 400


def test_api_and_export(demo_web):
    client, accounts = demo_web
    web_login(client, "sunjd", accounts["sunjd"])
    data = client.get("/api/dashboard", params={"from": "2026-01", "to": "2026-11"}).json()
    assert data["total"]["cases"] == 8 and len(data["months"]) == 11
    assert {c["id"] for c in data["categories"]} >= {"not_recorded", "disclosed"}
    export = client.get("/dashboard.xlsx", params={"from": "2026-01", "to": "2026-11"})
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    assert "按执法人员" in load_workbook(BytesIO(export.content)).sheetnames


def test_inbox_page_for_an_officer(demo_web):
    client, accounts = demo_web
    web_login(client, "zhangjg", accounts["zhangjg"])
    page = client.get("/inbox", params={"days": "10"})
    assert page.status_code == 200 and "我的待办" in page.text and "10 个工作日内到期" in page.text
    assert client.get("/api/inbox").json()["days"] == 5
    assert client.get("/inbox", params={"days": "x"}).status_code == 400
    web_login(client, "zhaokz", accounts["zhaokz"])  # a section head also sees approvals
    assert client.get("/api/inbox").status_code == 200
