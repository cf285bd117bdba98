"""The whole procedure through the web forms: 立案, acts, documents with signatures and
corrections, approvals in the inbox, service, execution and closing — each form's happy path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.factories import make_agency, make_user
from tests.helpers import SYSTEM, web_login

from liuhen.services.admin.agency import add_officer, create_agency
from liuhen.services.cases.cases import find_case
from liuhen.services.cases.queries.documents import record_files
from liuhen.services.cases.records import record_history
from liuhen.store.store import Store
from liuhen.web.app import create_app

PASSWORD = "Officer-pass-2026"
NUMBER = "某县林立字〔2026〕1号"  # allocated from the agency's default 字号


@dataclass
class Bureau:
    store: Store
    officer: TestClient
    legal: TestClient
    head: TestClient
    o1: str
    o2: str
    stranger: str
    clock: Any

    def case_id(self) -> str:
        return find_case(self.store, NUMBER)


def signed_in(app: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    done = web_login(client, username, PASSWORD)
    assert done.status_code == 303, done.text
    return client


def send(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    """POST a form with the session's CSRF token, without following the redirect."""
    token = getattr(client, "csrf", None)
    if token is None:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text).group(1)
        client.csrf = token  # type: ignore[attr-defined]
    return client.post(path, data={**data, "csrf": token}, follow_redirects=False)


def close_by_head(b: Bureau, case_id: str, at: str, outcome: str = "penalty") -> Any:
    """结案 by the head past the case's open findings (these tests leave the decision's
    steps out on purpose: they are about service, execution and the due list)."""
    return send(
        b.head,
        f"/cases/{case_id}/override?gate=close",
        {"at": at, "outcome": outcome, "override_reason": "测试：只验证送达、执行与期限"},
    )


def findings(client: TestClient, case_id: str) -> list[str]:
    """The citations of the findings the case page shows, in order."""
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200, response.text
    page = response.text
    section = page.split('id="findings"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<span class="cite">([^<]+)</span>', section)


@pytest.fixture
def bureau(tmp_path, clock, make_settings) -> Iterator[Bureau]:  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise

    sqlite_settings = make_settings(
        tmp_path / "data",
        env={"LIUHEN_SESSION_IDLE_MINUTES": str(200 * 24 * 60)},  # the clock jumps days ahead
    )
    initialise(sqlite_settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(sqlite_settings, clock=clock)
    made = make_agency(
        store,
        name="某县林业局",
        profile_id="shanxi-forestry",
        officers={"张伟": "14010001", "李娜": "14010002"},
    )
    agency, o1, o2 = made["agency"], made["张伟"], made["李娜"]
    elsewhere = create_agency(store, SYSTEM, name="邻县林业局", profile_id="shanxi-forestry")
    stranger = add_officer(store, SYSTEM, agency_id=elsewhere, name="王五", certificate_no="9901")
    for login, name, role, officer in (
        ("zhangwei", "张伟", "officer", o1),
        ("zhaomin", "赵敏", "legal_reviewer", None),
        ("liugang", "刘刚", "head", None),
    ):
        make_user(store, login, role, agency_id=agency, officer_id=officer, display_name=name)
    app = create_app(sqlite_settings, store=store)
    yield Bureau(
        store,
        signed_in(app, "zhangwei"),
        signed_in(app, "zhaomin"),
        signed_in(app, "liugang"),
        o1,
        o2,
        stranger,
        clock,
    )
    store.close()


def case_form(**overrides: str) -> dict[str, str]:
    return {
        "title": "某木材厂擅自改变林地用途案",
        "procedure": "general",
        "opened_at": "2026-11-20T09:00",
        "party.kind": "organisation",
        "party.name": "某木材厂",
        "party.address": "东街1号",
        "request_approval": "1",
        "reason": "擅自改变林地用途",
        "opinion": "建议立案调查",
        **overrides,
    }


def act_form(b: Bureau, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "inspection",
        "place": "东街1号",
        "started_at": "2026-11-20T10:00",
        "ended_at": "2026-11-20T10:40",
        "officer_ids": [b.o1, b.o2],
        "certificates_shown": "yes",
        **overrides,
    }


def inspection_record(b: Bureau, act_id: str, **overrides: Any) -> dict[str, Any]:
    """A complete 现场检查笔录: two officers sign, the party refuses with a reason."""
    return {
        "kind": "inspection_record",
        "title": "现场检查（勘验）笔录",
        "made_at": "2026-11-20T10:45",
        "act_id": act_id,
        "officer_ids": [b.o1, b.o2],
        "certificates_shown": "yes",
        "f.started_at": "2026-11-20T10:00",
        "f.ended_at": "2026-11-20T10:40",
        "f.place": "东街1号厂区",
        "f.party_name": "某木材厂",
        "f.inspectors": ["张伟", "李娜"],
        "f.recorder": "李娜",
        "f.identity_notice": "执法人员二人出示执法证件，告知陈述、申辩和申请回避的权利",
        "f.recording_notice": "1",
        "f.findings": "厂区东侧林地堆放木材约200立方米",
        "sig-0-role": "party",
        "sig-0-name": "王某",
        "sig-0-refused": "1",
        "sig-0-reason": "称需请示老板",
        "sig-0-witness": "周某（村委会主任）",
        "sig-1-role": "officer",
        "sig-1-officer": b.o1,
        "sig-1-at": "2026-11-20T10:45",
        "sig-2-role": "officer",
        "sig-2-officer": b.o2,
        "sig-2-at": "2026-11-20T10:46",
        "sig-3-role": "recorder",
        "sig-3-name": "李娜",
        **overrides,
    }


@pytest.fixture
def opened(bureau: Bureau) -> str:
    """The case, opened by the officer with its initiation request, approved by the head."""
    assert send(bureau.officer, "/cases/new", case_form()).status_code == 303
    case_id = bureau.case_id()
    approval = re.search(
        r'action="/approvals/([0-9a-f]+)/decide"', bureau.head.get("/approvals").text
    )
    decided = send(
        bureau.head,
        f"/approvals/{approval.group(1)}/decide",
        {"position": "principal_head", "decision": "approved", "opinion": "同意立案", "final": "1"},
    )
    assert decided.status_code == 303
    return case_id


def record_inspection(b: Bureau, case_id: str) -> str:
    done = send(b.officer, f"/cases/{case_id}/acts/new", act_form(b))
    assert done.status_code == 303, done.text
    b.clock.advance(hours=2)  # 11:00, the inspection is over
    return done.headers["location"].rsplit("#act-", 1)[1]


def test_officer_opens_a_case_and_the_head_finds_its_initiation_request(bureau):
    b = bureau
    form = b.officer.get("/cases/new")
    assert "同时提请立案（程序启动）审批" in form.text and "情况紧急" in form.text
    done = send(b.officer, "/cases/new", case_form(emergency="1"))
    assert done.status_code == 303 and "saved=initiation" in done.headers["location"]
    page = b.officer.get(done.headers["location"])
    assert "已提请立案（程序启动）审批" in page.text and "某木材厂" in page.text
    inbox = b.head.get("/approvals").text
    assert '<span class="nav-count">1</span>' in inbox
    assert "立案（程序启动）审批" in inbox and "紧急先行" in inbox
    assert "建议立案调查" in inbox and "承办人" in inbox and "擅自改变林地用途" in inbox
    assert (
        '<option value="principal_head"' in inbox and '<option value="legal_reviewer"' not in inbox
    )
    assert "待我审批" not in b.officer.get("/cases").text  # officers decide nothing


def test_head_approval_closes_the_request_and_the_case_page_follows(bureau, opened):
    b = bureau
    assert "目前没有等待您审批的事项" in b.head.get("/approvals").text
    assert findings(b.officer, opened) == ["行政处罚法§60"]  # 90 days to decide, from 立案
    page = b.officer.get(f"/cases/{opened}").text
    assert "立案（程序启动）审批" in page and "同意立案" in page


def test_inspection_act_shows_the_av_finding_and_its_document_clears_the_other(bureau, opened):
    b = bureau
    act_id = record_inspection(b, opened)
    assert {"004§13", "004§14"} <= set(findings(b.officer, opened))  # no AV, no 笔录 yet
    form = b.officer.get(f"/cases/{opened}/documents/new?kind=inspection_record&act={act_id}")
    assert "检查开始时间" in form.text and 'value="2026-11-20T10:00"' in form.text
    assert "张伟（执法证号 14010001）" in form.text
    done = send(b.officer, f"/cases/{opened}/documents/new", inspection_record(b, act_id))
    assert done.status_code == 303, done.text
    record_id = done.headers["location"].rsplit("#record-", 1)[1]
    cited = findings(b.officer, opened)
    assert "004§13" in cited and "004§14" not in cited
    stored = record_history(b.store, record_id)[-1]["details"]
    assert stored["refusals"] == [
        {"role": "party", "name": "王某", "reason": "称需请示老板", "witness": "周某（村委会主任）"}
    ]
    assert [s.get("officer_id") for s in stored["signatures"]] == [b.o1, b.o2, None]
    assert stored["fields"]["inspectors"] == ["张伟", "李娜"] and stored["act_id"] == act_id
    assert stored["certificates_shown"] is True and stored["fields"]["recording_notice"] is True
    rendered = {f["file_name"] for f in record_files(b.store, record_id)}
    assert rendered == {"现场检查（勘验）笔录.pdf", "现场检查（勘验）笔录.docx"}


def test_correction_is_a_new_version_with_who_when_why_on_the_case_page(bureau, opened, clock):
    b = bureau
    act_id = record_inspection(b, opened)
    done = send(b.officer, f"/cases/{opened}/documents/new", inspection_record(b, act_id))
    record_id = done.headers["location"].rsplit("#record-", 1)[1]
    form = b.officer.get(f"/cases/{opened}/records/{record_id}/correct")
    assert "补正理由" in form.text and "厂区东侧林地堆放木材约200立方米" in form.text
    clock.advance(minutes=30)
    fixed = send(
        b.officer,
        f"/cases/{opened}/records/{record_id}/correct",
        inspection_record(b, act_id, **{"f.findings": "堆放木材约210立方米", "reason": "复核数量"}),
    )
    assert fixed.status_code == 303, fixed.text
    history = record_history(b.store, record_id)
    assert [h["version"] for h in history] == [1, 2]
    assert history[0]["details"]["fields"]["findings"] == "厂区东侧林地堆放木材约200立方米"
    page = b.officer.get(f"/cases/{opened}").text
    table = page.split('id="documents"', 1)[1]
    assert "第 1 版（已被替代）" in table and "第 2 版" in table and "复核数量" in table
    assert "张伟" in table and "2026-11-20 11:30" in table
    stale = b.officer.get(f"/cases/{opened}/records/{record_id}/correct")
    assert stale.status_code == 404 and "最新版本" in stale.text


def test_kind_outside_the_catalogue_takes_free_fields(bureau, opened):
    b = bureau
    form = b.officer.get(f"/cases/{opened}/documents/new?kind=other")
    assert "代码=内容" in form.text
    done = send(
        b.officer,
        f"/cases/{opened}/documents/new",
        {
            "kind": "other",
            "title": "情况说明",
            "made_at": "2026-11-20T11:00",
            "free_fields": "summary=当事人已停止堆放",
        },
    )
    assert done.status_code == 303, done.text
    record_id = done.headers["location"].rsplit("#record-", 1)[1]
    assert record_history(b.store, record_id)[0]["details"]["fields"] == {
        "summary": "当事人已停止堆放"
    }


def test_approval_request_asks_what_the_profile_wants_and_legal_review_is_decided(bureau, opened):
    b = bureau
    form = b.officer.get(f"/cases/{opened}/approvals/new?kind=collective_discussion").text
    assert "参加人员" in form and "讨论结论" in form and "决定的理由" in form
    asked = send(
        b.officer,
        f"/cases/{opened}/approvals/new",
        {"kind": "legal_review", "opinion": "拟罚款五千元，请法制审核"},
    )
    assert asked.status_code == 303 and "saved=approval" in asked.headers["location"]
    inbox = b.legal.get("/approvals").text
    assert "法制审核" in inbox and "拟罚款五千元，请法制审核" in inbox
    approval = re.search(r'action="/approvals/([0-9a-f]+)/decide"', inbox).group(1)
    decided = send(
        b.legal,
        f"/approvals/{approval}/decide",
        {
            "position": "legal_reviewer",
            "decision": "approved",
            "opinion": "事实清楚，证据确凿",
            "final": "1",
        },
    )
    assert decided.headers["location"] == "/approvals?done=closed"
    page = b.officer.get(f"/cases/{opened}").text
    assert "事实清楚，证据确凿" in page


def test_lien_service_execution_and_closing(bureau, opened):
    b = bureau
    decision = (
        send(
            b.officer,
            f"/cases/{opened}/documents/new",
            {"kind": "other", "title": "处理决定", "made_at": "2026-11-20T11:00"},
        )
        .headers["location"]
        .rsplit("#record-", 1)[1]
    )
    form = b.officer.get(f"/cases/{opened}/services/new?mode=lien&document={decision}").text
    assert "见证人（姓名及身份）" in form and "受送达人拒收事由" in form and "送达回证" in form
    served = send(
        b.officer,
        f"/cases/{opened}/services/new",
        {
            "mode": "lien",
            "document_ids": [decision],
            "served_at": "2026-11-20T15:00",
            "recipient": "王某",
            "address": "东街1号",
            "lien.refusal_reason": "拒绝签收",
            "lien.refusal_date": "2026-11-20",
            "lien.witness": "周某（村委会主任）",
            "lien.witness_signed": "1",
            "lien.left_at_residence": "1",
            "receipt.server_signed": "1",
        },
    )
    assert served.status_code == 303, served.text
    bundle = b.officer.get(f"/api/cases/{opened}/bundle").json()
    (service,) = bundle["services"]
    assert service["lien"]["witness"] == "周某（村委会主任）" and service["receipt"] == {
        "server_signed": True,
        "recipient_signed": False,
    }
    paid = send(
        b.officer,
        f"/cases/{opened}/executions/new",
        {
            "kind": "fine_paid",
            "at": "2026-11-27T10:00",
            "fx.amount": "5000",
            "fx.bank_receipt": "1",
        },
    )
    assert paid.status_code == 303, paid.text
    refused = send(
        b.officer, f"/cases/{opened}/close", {"at": "2026-11-27T11:00", "outcome": "penalty"}
    )  # a penalty without its rights notice, decision document and the head's approval
    assert refused.status_code == 409 and "不能结案" in refused.text, refused.text
    assert "行政处罚法§59" in refused.text and "本次未保存任何内容" in refused.text
    closed = close_by_head(b, opened, "2026-11-27T11:00")
    assert closed.status_code == 303, closed.text
    bundle = b.officer.get(f"/api/cases/{opened}/bundle").json()
    assert bundle["execution"][0]["fields"] == {"amount": 5000, "bank_receipt": True}
    assert (
        bundle["case"]["ended_at"].startswith("2026-11-27T11:00")
        and bundle["case"]["outcome"] == "penalty"
    )
    page = b.officer.get(f"/cases/{opened}").text
    assert (
        "已结案" not in page
        or "结案</a>" not in page.split('class="case-actions"', 1)[1].split("</nav>")[0]
    )


def test_due_filter_lists_cases_with_a_deadline_within_n_working_days(bureau, opened, clock):
    b = bureau
    closed = close_by_head(b, opened, "2026-11-20T12:00")  # its penalty steps not recorded
    assert closed.status_code == 303  # the case file is due 30 days after closing (004§35)
    soon = b.officer.get("/cases/due", params={"days": "3"}).text
    assert NUMBER not in soon and "期限内没有待办事项到期的案件" in soon
    clock.advance(days=25)  # 2026-12-15, a Tuesday: three working days reach 12-18 only
    assert NUMBER not in b.officer.get("/cases/due", params={"days": "3"}).text
    due = b.officer.get("/cases/due", params={"days": "5"}).text
    assert NUMBER in due and "最近期限" in due and "2026-12-21 23:59" in due
    assert b.officer.get("/cases/due", params={"days": "x"}).status_code == 400
