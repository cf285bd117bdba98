"""Bad input on every lifecycle form: the message stands beside the field, and nothing is
saved (the ledger holds exactly as many events after the refusal as before it)."""

from __future__ import annotations

import re

import tests.web.test_web_lifecycle as lifecycle
from sqlalchemy import text
from tests.web.test_web_lifecycle import (
    Bureau,
    act_form,
    case_form,
    inspection_record,
    record_inspection,
    send,
)

bureau = lifecycle.bureau  # the same agency, officers and three signed-in users
opened = lifecycle.opened


def beside(page: str, field: str, text: str) -> bool:
    """True when ``text`` is shown inside the block of the input named ``field``."""
    block = page.split(f'id="field-{field.replace(".", "-")}"', 1)
    return len(block) == 2 and text in block[1].split('<div class="field', 1)[0]


def refused(b: Bureau, client, path: str, data: dict) -> str:  # type: ignore[no-untyped-def]
    """POST ``data``; assert it is refused on the form and saves nothing; return the page."""
    send(client, path, {})  # the token is fetched (a page view) before counting
    before = b.store.event_count()
    response = send(client, path, data)
    assert response.status_code in (400, 403, 404, 409), response.text
    assert 'id="form-errors"' in response.text and "本次未保存任何内容" in response.text
    assert b.store.event_count() == before
    return response.text


def test_new_case_without_required_fields_names_each_one(bureau):
    page = refused(
        bureau,
        bureau.officer,
        "/cases/new",
        case_form(title="", opinion="", **{"party.name": ""}),
    )
    assert beside(page, "title", "请填写「案件名称」")
    assert beside(page, "party.name", "请填写「当事人姓名或名称」")
    assert beside(page, "opinion", "请填写「承办人意见」")
    assert bureau.officer.get("/api/cases").json()["cases"] == []


def test_new_case_with_a_typed_number_is_refused_unless_the_head_allows(bureau, opened):
    page = refused(bureau, bureau.officer, "/cases/new", case_form(number="某县林立字〔2026〕9号"))
    assert "案件编号由系统按本机关字号自动分配，不能自行填写" in page
    assert 'value="某木材厂擅自改变林地用途案"' in page  # what was typed is kept


def test_act_that_ends_before_it_starts(bureau, opened):
    page = refused(
        bureau,
        bureau.officer,
        f"/cases/{opened}/acts/new",
        act_form(bureau, started_at="2026-11-20T10:00", ended_at="2026-11-20T09:30"),
    )
    assert beside(page, "ended_at", "结束时间早于开始时间")


def test_act_with_an_officer_of_another_agency(bureau, opened):
    page = refused(
        bureau,
        bureau.officer,
        f"/cases/{opened}/acts/new",
        act_form(bureau, officer_ids=[bureau.o1, bureau.stranger], certificates_shown=""),
    )
    assert beside(page, "officer_ids", "不属于本机关")
    assert beside(page, "certificates_shown", "请记录是否出示了执法证件")


def test_document_without_a_required_field(bureau, opened):
    act_id = record_inspection(bureau, opened)
    data = inspection_record(bureau, act_id, **{"f.findings": ""})
    page = refused(bureau, bureau.officer, f"/cases/{opened}/documents/new", data)
    assert beside(page, "f.findings", "请填写「现场检查情况」")
    assert "称需请示老板" in page  # the signatures typed are kept


def test_document_with_inspection_times_out_of_order(bureau, opened):
    act_id = record_inspection(bureau, opened)
    data = inspection_record(bureau, act_id, **{"f.ended_at": "2026-11-20T09:00"})
    page = refused(bureau, bureau.officer, f"/cases/{opened}/documents/new", data)
    assert beside(page, "f.ended_at", "早于「检查开始时间」")


def test_document_signed_by_an_officer_outside_the_agency(bureau, opened):
    act_id = record_inspection(bureau, opened)
    data = inspection_record(bureau, act_id, **{"sig-2-officer": bureau.stranger})
    page = refused(bureau, bureau.officer, f"/cases/{opened}/documents/new", data)
    assert "不是本机关的执法人员" in page.split('id="signatures"', 1)[1]
    unknown = inspection_record(bureau, act_id, **{"sig-2-officer": "", "sig-2-name": "赵六"})
    page = refused(bureau, bureau.officer, f"/cases/{opened}/documents/new", unknown)
    assert "「赵六」不是本机关的执法人员" in page


def test_document_refusal_without_its_reason(bureau, opened):
    act_id = record_inspection(bureau, opened)
    data = inspection_record(bureau, act_id, **{"sig-0-reason": ""})
    page = refused(bureau, bureau.officer, f"/cases/{opened}/documents/new", data)
    assert "王某拒绝签名，但未写明拒签事由" in page.split('id="signatures"', 1)[1]


def test_correction_without_a_reason(bureau, opened):
    act_id = record_inspection(bureau, opened)
    done = send(bureau.officer, f"/cases/{opened}/documents/new", inspection_record(bureau, act_id))
    record_id = done.headers["location"].rsplit("#record-", 1)[1]
    path = f"/cases/{opened}/records/{record_id}/correct"
    page = refused(bureau, bureau.officer, path, inspection_record(bureau, act_id, reason=""))
    assert beside(page, "reason", "请填写「补正理由」")


def test_approval_request_without_the_handler_opinion(bureau, opened):
    page = refused(
        bureau,
        bureau.officer,
        f"/cases/{opened}/approvals/new",
        {"kind": "collective_discussion", "opinion": "", "af.participants": "局长、副局长"},
    )
    assert beside(page, "opinion", "请填写「承办人意见和理由」")
    assert beside(page, "af.conclusion", "请填写「讨论结论」")


def test_approval_decided_in_a_capacity_the_user_does_not_hold(bureau, opened):
    b = bureau
    assert (
        send(
            b.officer, f"/cases/{opened}/approvals/new", {"kind": "decision", "opinion": "拟罚款"}
        ).status_code
        == 303
    )
    approval = re.search(
        r'action="/approvals/([0-9a-f]+)/decide"', b.legal.get("/approvals").text
    ).group(1)
    data = {"position": "principal_head", "decision": "approved", "opinion": "同意", "final": "1"}
    page = refused(b, b.legal, f"/approvals/{approval}/decide", data)
    assert beside(page, "position", "您的角色不能以“主要负责人”身份审批")
    assert f'id="approval-{approval}"' in page  # the approval is still open, in the inbox
    denied = send(b.officer, f"/approvals/{approval}/decide", data)
    assert denied.status_code == 403 and "无权执行“审批”" in denied.text


def test_service_without_documents(bureau, opened):
    data = {
        "mode": "lien",
        "served_at": "2026-11-20T15:00",
        "recipient": "王某",
        "lien.witness": "周某",
        "lien.refusal_date": "2026-13-01",
    }
    page = refused(bureau, bureau.officer, f"/cases/{opened}/services/new", data)
    assert beside(page, "document_ids", "请选择「送达的文书」")
    assert beside(page, "lien.refusal_date", "不是有效的日期")
    assert 'value="周某"' in page


def test_execution_with_an_amount_that_is_not_one(bureau, opened):
    data = {"kind": "fine_paid", "at": "2026-11-27T10:00", "fx.amount": "五千"}
    page = refused(bureau, bureau.officer, f"/cases/{opened}/executions/new", data)
    assert beside(page, "fx.amount", "应为金额数字")


def test_closing_before_opening_and_closing_twice(bureau, opened):
    early = {"at": "2026-11-19T09:00", "outcome": "penalty"}
    page = refused(bureau, bureau.officer, f"/cases/{opened}/close", early)
    assert beside(page, "at", "结案时间早于立案时间")
    held = refused(
        bureau,
        bureau.officer,
        f"/cases/{opened}/close",
        {"at": "2026-11-27T11:00", "outcome": "penalty"},
    )  # the case has none of a penalty's steps: the gate lists them
    assert "不能结案" in held and "行政处罚法§59" in held
    done = lifecycle.close_by_head(bureau, opened, "2026-11-27T11:00")
    assert done.status_code == 303
    again = refused(
        bureau,
        bureau.officer,
        f"/cases/{opened}/close",
        {"at": "2026-11-28T11:00", "outcome": "penalty"},
    )
    assert "该案件已结案" in again


def test_forms_refuse_a_post_without_the_session_token(bureau, opened):
    before = bureau.store.event_count()
    forged = bureau.officer.post(
        f"/cases/{opened}/acts/new", data=act_form(bureau), follow_redirects=False
    )
    assert forged.status_code == 403 and "表单已过期或来源不明" in forged.text
    assert bureau.store.event_count() == before + 1  # nothing saved; the refusal is logged
    with bureau.store.read() as conn:
        last = conn.execute(
            text("SELECT action FROM ledger_events ORDER BY seq DESC LIMIT 1")
        ).scalar()
    assert last == "access.denied"
