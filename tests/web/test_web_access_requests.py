"""查阅/复制申请 through the web and the JSON API (SQLite and PostgreSQL): the form with its
Chinese errors, the approval in the head's inbox, the hand-over link (no login, logged,
410 when it has ended), the case page's list, and the OpenAPI entries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from tests.factories import make_user
from tests.helpers import make_case_with_files, run_jobs, web_login

from liuhen.web.app import create_app

PASSWORD = "Officer-pass-2026"


def signed_in(app: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    done = web_login(client, username, PASSWORD)  # the head: with TOTP
    assert done.status_code == 303, done.text
    client.csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text).group(1)  # type: ignore[attr-defined]
    return client


def send(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf": client.csrf}, follow_redirects=False)  # type: ignore[attr-defined]


@pytest.fixture
def office(store, tmp_path, clock) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    ids = make_case_with_files(store, tmp_path)
    clock.advance(hours=12)
    for login, name, role, officer in (
        ("zhangsan", "张三", "officer", ids["o1"]),  # an officer on the case
        ("liuzhang", "刘镇长", "head", None),
    ):
        make_user(
            store, login, role, agency_id=ids["agency"], officer_id=officer, display_name=name
        )
    app = create_app(store.settings, store=store)
    yield {
        "ids": ids,
        "app": app,
        "officer": signed_in(app, "zhangsan"),
        "head": signed_in(app, "liuzhang"),
        "clock": clock,
        "store": store,
    }


FORM = {
    "requester.name": "王某",
    "requester.relation": "party",
    "requester.id_type": "resident_id",
    "requester.id_number": "11010519491231002X",
    "kind": "copy",
    "purpose": "申请行政复议需要",
}


def test_register_approve_hand_over_and_expire_through_the_pages(office):
    ids, officer, head = office["ids"], office["officer"], office["head"]
    case = ids["case"]
    page = officer.get(f"/cases/{case}/access-requests")
    assert page.status_code == 200 and "登记新申请" in page.text and "现场检查笔录" in page.text

    bad = send(
        officer,
        f"/cases/{case}/access-requests",
        {**FORM, "purpose": "", "requester.id_number": "123"},
    )
    assert bad.status_code == 400
    assert "本次未保存任何内容" in bad.text and "请填写申请理由" in bad.text
    assert "居民身份证号码应为 18 位" in bad.text and "请至少选择一项" in bad.text
    assert 'value="王某"' in bad.text  # what was typed is kept

    done = send(officer, f"/cases/{case}/access-requests", {**FORM, "record_ids": ids["record"]})
    assert done.status_code == 303
    detail_url = done.headers["location"].split("?")[0]
    detail = officer.get(done.headers["location"])
    assert "申请已登记" in detail.text and "待审批" in detail.text
    assert "11010519491231002X" not in detail.text and "1101**********002X" in detail.text
    assert "查阅/复制申请" in officer.get(f"/cases/{case}").text

    inbox = head.get("/approvals")
    assert "查阅/复制申请审批" in inbox.text and "查复〔2026〕1号" in inbox.text
    approval_id = re.search(r'action="/approvals/([0-9a-f]+)/decide"', inbox.text).group(1)
    # 000§17 "本政府负责人" includes a deputy head (法释〔2018〕1号§128), so a deputy's
    # approval is the profile's approver (issue 18)
    office["app"].state.jobs.stop()  # this node takes no job: the copies wait (another node's)
    ok = send(
        head,
        f"/approvals/{approval_id}/decide",
        {"position": "deputy_head", "decision": "approved", "opinion": "同意复制", "final": "1"},
    )
    assert ok.status_code == 303  # the decision made no copy: its job is queued with it

    detail = officer.get(detail_url)
    assert "已批准" in detail.text and "笔录_复制件.pdf" not in detail.text
    assert re.search(r'id="copy-job"[^>]*data-refresh-seconds="3">复制件制作：排队中', detail.text)
    assert "复制件尚未制作" not in detail.text and 'id="issue-link"' not in detail.text
    rid = detail_url.rsplit("/", 1)[1]
    api = officer.get(f"/api/access-requests/{rid}").json()["copy_job"]
    assert (api["state"], api["state_name"], api["kind"]) == ("queued", "排队中", "party_copy")
    assert run_jobs(office["store"]) == 1  # another node's runner makes them
    detail = officer.get(detail_url)
    assert "复制件制作：已完成" in detail.text and "笔录_复制件.pdf" in detail.text
    issued = send(officer, f"{detail_url}/link", {})
    assert issued.status_code == 200 and "链接只显示这一次" in issued.text
    url = re.search(r'id="share-url" value="([^"]+)"', issued.text).group(1)
    path = url.removeprefix("http://127.0.0.1")
    assert path.startswith("/share/")
    assert path not in officer.get(detail_url).text  # never shown again

    party = TestClient(office["app"], base_url="http://127.0.0.1")  # no login
    shown = party.get(path)
    assert shown.status_code == 200 and "笔录_复制件.pdf" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    pdf = party.get(f"{path}/files/1")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(BytesIO(pdf.content)).pages[0].extract_text()
    assert "王某" in text and "查复〔2026〕1号" in text
    assert (
        party.get("/records/" + ids["record"] + "/files/1", follow_redirects=False).status_code
        == 303
    )

    office["clock"].advance(days=8)
    gone = party.get(path)
    assert gone.status_code == 410 and "已过期" in gone.text
    assert party.get(f"{path}/files/1").status_code == 410
    assert party.get("/share/not-a-token").status_code == 404

    officer = signed_in(office["app"], "zhangsan")  # the old session has idled out
    detail = officer.get(detail_url)
    assert "链接已过期" in detail.text
    for step in (
        "登记申请",
        "提请审批",
        "审批意见",
        "同意申请",
        "制作复制件",
        "生成交付链接",
        "申请人打开链接",
        "申请人下载复制件",
        "失效链接被访问",
    ):
        assert step in detail.text, step


def test_the_api_registers_lists_and_issues_links(office):
    ids, officer, head = office["ids"], office["officer"], office["head"]
    body = {
        "kind": "view",
        "requester": {
            k.removeprefix("requester."): v for k, v in FORM.items() if k.startswith("requester.")
        },
        "record_ids": [ids["record"]],
        "purpose": "核对笔录",
    }
    made = officer.post(f"/api/cases/{ids['case']}/access-requests", json=body)
    assert made.status_code == 201, made.text
    data = made.json()
    assert data["status"] == "pending" and data["requester"]["id_number"] == "1101**********002X"
    bad = officer.post(f"/api/cases/{ids['case']}/access-requests", json={**body, "kind": ""})
    assert bad.status_code == 400 and "申请种类" in bad.json()["details"][0]
    listed = officer.get(f"/api/cases/{ids['case']}/access-requests").json()["requests"]
    assert [r["id"] for r in listed] == [data["id"]]
    one = officer.get(f"/api/access-requests/{data['id']}").json()
    assert [e["action"] for e in one["events"]] == ["access.requested", "approval.requested"]
    assert head.post(f"/api/cases/{ids['case']}/access-requests", json=body).status_code == 403
    assert officer.post(f"/api/access-requests/{data['id']}/links").status_code == 409
    spec = officer.get("/api/openapi.json").json()
    assert "/api/cases/{case_ref}/access-requests" in spec["paths"]
    assert "/api/access-requests/{request_id}/links" in spec["paths"]
    assert not any(p.startswith("/share") for p in spec["paths"])


def test_a_granted_view_request_opens_a_logged_read_only_view(office):
    ids, officer, head = office["ids"], office["officer"], office["head"]
    done = send(
        officer,
        f"/cases/{ids['case']}/access-requests",
        {**FORM, "kind": "view", "record_ids": ids["record"]},
    )
    detail_url = done.headers["location"].split("?")[0]
    approval_id = re.search(r"/approvals/([0-9a-f]+)/decide", head.get("/approvals").text).group(1)
    send(
        head,
        f"/approvals/{approval_id}/decide",
        {"position": "head", "decision": "approved", "opinion": "同意查阅", "final": "1"},
    )
    view = officer.get(f"{detail_url}/view")
    assert view.status_code == 200 and "本次查阅已记入全过程日志" in view.text
    assert f"/records/{ids['record']}/files/1" in view.text
    assert "已交付" in officer.get(detail_url).text and "陪同查阅" in officer.get(detail_url).text
    assert head.get(f"{detail_url}/view").status_code == 403


def test_the_head_refuses_with_reasons(office):
    ids, officer, head = office["ids"], office["officer"], office["head"]
    done = send(
        officer, f"/cases/{ids['case']}/access-requests", {**FORM, "record_ids": ids["record"]}
    )
    detail_url = done.headers["location"].split("?")[0]
    approval_id = re.search(r"/approvals/([0-9a-f]+)/decide", head.get("/approvals").text).group(1)
    send(
        head,
        f"/approvals/{approval_id}/decide",
        {"position": "head", "decision": "rejected", "opinion": "涉及第三人隐私，不予复制"},
    )
    page = officer.get(detail_url).text
    assert "已拒绝" in page and "不同意。理由：涉及第三人隐私，不予复制" in page
    assert "生成交付链接" not in page.split('id="events"')[0]
