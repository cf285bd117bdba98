"""The case file on the case page: filing to a custodian through the form, the 四性检测
report (at filing and on demand), and disposal through the web form and the JSON API —
refused before the date (a Chinese message and a ledger event), done after it with the
head's approval, after which the download says when and under which approval."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import make_user, ready_to_close
from tests.helpers import SYSTEM, add_people, make_case_with_files, web_login

from liuhen.services.approvals.workflow import decide
from liuhen.services.cases.serving import close_case
from liuhen.store import tables as t
from liuhen.web.app import create_app
from liuhen.web.archiving.case_archive import four_properties_key

PASSWORD = "Archive-pass-2026"


def _client(app: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    done = web_login(client, username, PASSWORD)  # custodian and head: with TOTP
    assert done.status_code == 303, done.text
    client.csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text).group(1)  # type: ignore[attr-defined]
    return client


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf": client.csrf}, follow_redirects=False)  # type: ignore[attr-defined]


def _count(store: Any, action: str) -> int:
    with store.read() as conn:
        return conn.execute(
            select(func.count()).where(t.ledger_events.c.action == action)
        ).scalar_one()


def test_filing_four_properties_and_disposal_through_the_web(store, tmp_path, clock):
    made = make_case_with_files(store, tmp_path)
    clock.advance(days=1)
    ready_to_close(store, made["case"])
    close_case(store, SYSTEM, case_id=made["case"], at=clock(), outcome="closed")
    keeper = make_user(
        store,
        "keeper",
        "custodian",
        agency_id=made["agency"],
        display_name="王档案",
        password=PASSWORD,
    )
    head = make_user(
        store, "chief", "head", agency_id=made["agency"], display_name="赵局长", password=PASSWORD
    )
    app = create_app(store.settings, store=store)
    web = _client(app, "keeper")
    case, record = made["case"], made["record"]

    page = web.get(f"/cases/{case}").text
    assert "案卷与归档" in page and f"/cases/{case}/filing" in page and "尚未检测" in page
    form = web.get(f"/cases/{case}/filing")
    assert form.status_code == 200 and "王档案" in form.text
    bad = _post(
        web, f"/cases/{case}/filing", {"custodian": "", "filed_at": "", "retention_term": "10y"}
    )
    assert bad.status_code == 400 and "接收案卷的档案管理员" in bad.text
    assert _count(store, "case.filed") == 0
    ok = _post(
        web,
        f"/cases/{case}/filing",
        {"custodian": keeper.id, "filed_at": "2026-11-21 09:02", "retention_term": "10y"},
    )
    assert ok.status_code == 303, ok.text
    shown = web.get(f"/cases/{case}?archived=filed").text
    assert (
        "四性检测进行中" in shown
        or "四性检测排队中" in shown
        or (app.state.jobs.get(four_properties_key(case, "filing")).state == "done")
    )  # the check is a background job (waiting for a runner to claim it, or running)
    filing_check = app.state.jobs.wait(four_properties_key(case, "filing"))
    assert filing_check is not None and filing_check.state == "done", filing_check
    page = web.get(f"/cases/{case}?archived=filed").text
    assert "案卷已归档移交" in page and "接收人 王档案" in page and "四性均通过" in page
    assert "真实性" in page and "安全性" in page and "归档移交时" in page
    again = _post(web, f"/cases/{case}/four-properties", {})  # runs in the background
    assert again.status_code == 303 and "archived=checking" in again.headers["location"]
    assert "四性检测已在后台开始" in web.get(again.headers["location"]).text
    job = app.state.jobs.wait(four_properties_key(case))
    assert job is not None and job.state == "done", job
    assert "按需" in web.get(f"/cases/{case}").text
    api = web.get(f"/api/cases/{case}/four-properties").json()
    assert api["report"]["ok"] is True and api["report"]["purpose"] == "on_demand"
    assert api["running"] is False and api["last_error"] == ""

    # before the date: refused through the web form and the API, each refusal logged
    view = web.get(f"/records/{record}/disposal")
    assert view.status_code == 200 and "保管期限内不得处置" in view.text
    refused = _post(web, f"/records/{record}/dispose", {"approval_id": "", "reason": "清理"})
    assert refused.status_code == 409 and "保管期限内不得处置" in refused.text
    api_refused = web.post(f"/api/records/{record}/dispose", json={"reason": "清理"})
    assert api_refused.status_code == 409
    assert api_refused.json()["error"] == "forbidden_change"
    assert "保管期限内不得处置" in api_refused.json()["message"]
    assert _count(store, "record.disposal_refused") == 2
    assert store.blobs.exists(made["blob"])
    spec = web.get("/api/openapi.json").json()
    assert "/api/records/{record_id}/dispose" in spec["paths"]
    assert "/api/records/{record_id}/retention" in spec["paths"]

    # after the date, with the head's approval
    clock.advance(days=366 * 10 + 3)
    web = _client(app, "keeper")
    asked = _post(web, f"/records/{record}/disposal/request", {"reason": "保管期满"})
    assert asked.status_code == 303, asked.text
    approval = re.search(
        r'<option value="([0-9a-f]{32})"', web.get(f"/records/{record}/disposal").text
    )
    assert approval is None  # not yet approved: nothing to choose
    with store.read() as conn:
        approval_id = conn.execute(
            select(t.approvals.c.id).where(t.approvals.c.kind == "other")
        ).scalar_one()
    decide(
        store,
        head.actor,
        approval_id,
        decision="approved",
        opinion="同意",
        position="head",
        final=True,
    )
    done = _post(web, f"/records/{record}/dispose", {"approval_id": approval_id, "reason": ""})
    assert done.status_code == 303, done.text
    after = web.get(f"/records/{record}/disposal?saved=done").text
    assert "已删除" in after and made["blob"] in after and approval_id in after
    assert not store.blobs.exists(made["blob"])
    assert "处置" in web.get(f"/cases/{case}").text
    gone = web.get(f"/records/{record}/files/1")
    assert gone.status_code == 410 and approval_id in gone.text and "处置" in gone.text


def test_footage_no_case_holds_is_disposed_of_through_the_web(store, tmp_path, clock):
    """Unlinked footage: its page links to 保管与处置; before its 3-year date the form and
    the API refuse; after it the custodian asks, the head finds the case-less approval in
    待我审批 and approves it there, and the custodian disposes of the footage."""
    from datetime import timedelta

    from liuhen.media.synthetic import make_recording
    from liuhen.services.admin.agency import create_agency
    from liuhen.services.av.ingest import import_av

    agency = create_agency(store, SYSTEM, name="测试镇人民政府", profile_id="shanxi-township")
    keeper = add_people(
        store, agency, {"keeper": ("王档案", "custodian"), "chief": ("赵局长", "head")}, PASSWORD
    )["custodian"]
    footage = make_recording(tmp_path / "dock", start=clock() - timedelta(hours=2), pauses=(0,))
    record = import_av(store, keeper.actor, footage).records[0]["record_id"]
    with store.read() as conn:
        shas = [
            r[0]
            for r in conn.execute(
                select(t.record_files.c.blob_sha256).where(t.record_files.c.record_id == record)
            )
        ]
    app = create_app(store.settings, store=store)
    web = _client(app, "keeper")
    assert f"/records/{record}/disposal" in web.get(f"/av/{record}").text
    view = web.get(f"/records/{record}/disposal")
    assert (
        view.status_code == 200
        and "行政处罚法§47" in view.text
        and "保管期限内不得处置" in view.text
    )
    refused = _post(web, f"/records/{record}/disposal/request", {"reason": "清理"})
    assert refused.status_code == 409 and "保管期限内不得处置" in refused.text
    api_refused = web.post(f"/api/records/{record}/dispose", json={"reason": "清理"})
    assert api_refused.status_code == 409 and api_refused.json()["error"] == "forbidden_change"
    assert _count(store, "record.disposal_refused") == 2

    clock.advance(days=366 * 3 + 2)
    web = _client(app, "keeper")
    asked = _post(web, f"/records/{record}/disposal/request", {"reason": "保管期满，未关联案件"})
    assert asked.status_code == 303, asked.text
    boss = _client(app, "chief")
    inbox_page = boss.get("/approvals").text
    assert "未关联案件的音像记录" in inbox_page and f"/records/{record}/disposal" in inbox_page
    assert "处置保管期满的记录" in inbox_page  # what is asked, in words, not field keys
    approval_id = re.search(r'action="/approvals/([0-9a-f]{32})/decide"', inbox_page).group(1)
    decided = _post(
        boss,
        f"/approvals/{approval_id}/decide",
        {"position": "head", "decision": "approved", "opinion": "同意处置", "final": "on"},
    )
    assert decided.status_code == 303, decided.text
    assert "目前没有等待您审批的事项" in boss.get("/approvals").text
    page = web.get(f"/records/{record}/disposal").text
    assert f'<option value="{approval_id}"' in page
    done = _post(web, f"/records/{record}/dispose", {"approval_id": approval_id, "reason": ""})
    assert done.status_code == 303, done.text
    after = web.get(f"/records/{record}/disposal?saved=done").text
    assert "已删除" in after and all(s in after for s in shas)
    assert not any(store.blobs.exists(s) for s in shas)
