"""Case numbers from the agency's 字号 on the web: the new-case form shows the number the
case will get (not reserved) and takes none typed; the head edits the 字号 (a new version on
the ledger) and may allow typed numbers, whose clash is one message beside the field; the
register lists the year's numbers with each gap and its reason."""

from __future__ import annotations

import tests.web.test_web_lifecycle as lifecycle
from sqlalchemy import select
from tests.web.test_web_lifecycle import Bureau, case_form, send
from tests.web.test_web_lifecycle_errors import beside, refused

from liuhen.store import tables as t

bureau = lifecycle.bureau


def open_one(b: Bureau, **typed: str) -> str:
    done = send(b.officer, "/cases/new", case_form(**typed))
    assert done.status_code == 303, done.text
    case_id = done.headers["location"].split("/")[2].split("?")[0]
    return case_id


def number_of(b: Bureau, case_id: str) -> str:
    with b.store.read() as conn:
        return str(conn.execute(select(t.cases.c.number).where(t.cases.c.id == case_id)).scalar())


def events(b: Bureau, action: str) -> list[dict]:  # type: ignore[type-arg]
    e = t.ledger_events.c
    with b.store.read() as conn:
        rows = conn.execute(select(e.payload).where(e.action == action).order_by(e.seq))
        return [{k: v for k, v in p.items() if k != "rows"} for (p,) in rows]


def test_the_form_previews_the_number_and_the_case_gets_it(bureau: Bureau) -> None:
    form = bureau.officer.get("/cases/new").text
    assert "保存后将分配：某县林立字〔2026〕1号" in form
    assert 'name="number"' not in form  # not typed: the head has not allowed it
    first = open_one(bureau)
    assert number_of(bureau, first) == "某县林立字〔2026〕1号"
    assert "保存后将分配：某县林立字〔2026〕2号" in bureau.officer.get("/cases/new").text
    assert number_of(bureau, open_one(bureau)) == "某县林立字〔2026〕2号"
    page = bureau.head.get("/numbering").text
    assert "已编到第 2 号" in page and "某县林立字〔2026〕3号" in page


def test_the_head_edits_the_word_and_allows_typed_numbers(bureau: Bureau) -> None:
    open_one(bureau)
    assert bureau.officer.get("/numbering").status_code == 403
    refused_word = send(bureau.head, "/numbering/style", {"kind": "case", "word": "某林〔2026〕"})
    assert (
        refused_word.status_code == 400 and "字号应为不含年份和数字的机关代字" in refused_word.text
    )
    saved = send(
        bureau.head,
        "/numbering/style",
        {"kind": "case", "word": "某林罚立字", "di": "1", "manual": "1"},
    )
    assert saved.status_code == 303, saved.text
    assert events(bureau, "numbering.style_set")[-1] == {
        "kind": "case", "word": "某林罚立字", "di": True, "manual": True, "version": 1,
    }  # fmt: skip
    form = bureau.officer.get("/cases/new").text
    assert "保存后将分配：某林罚立字〔2026〕第2号" in form and 'name="number"' in form
    assert number_of(bureau, open_one(bureau)) == "某林罚立字〔2026〕第2号"
    typed = open_one(bureau, number="某林罚立字〔2026〕第9号")
    assert number_of(bureau, typed) == "某林罚立字〔2026〕第9号"
    assert number_of(bureau, open_one(bureau)) == "某林罚立字〔2026〕第10号"  # past the typed one
    send(bureau.head, "/numbering/style", {"kind": "case", "word": "某林罚立字", "di": "1"})
    assert [p["version"] for p in events(bureau, "numbering.style_set")] == [1, 2]
    assert 'name="number"' not in bureau.officer.get("/cases/new").text


def test_a_typed_number_in_use_is_one_message_beside_the_field(bureau: Bureau) -> None:
    open_one(bureau)  # 某县林立字〔2026〕1号
    send(bureau.head, "/numbering/style", {"kind": "case", "word": "某县林立字", "manual": "1"})
    page = refused(bureau, bureau.officer, "/cases/new", case_form(number="某县林立字〔2026〕1号"))
    assert beside(page, "number", "已被使用")
    page = refused(
        bureau, bureau.officer, "/cases/new", case_form(number="某县林立字（2026）第1号")
    )
    assert beside(page, "number", "该编号的序号本年度已被使用")


def test_the_register_shows_gaps_and_their_reasons(bureau: Bureau) -> None:
    send(bureau.head, "/numbering/style", {"kind": "case", "word": "某县林立字", "manual": "1"})
    open_one(bureau)
    open_one(bureau, number="某县林立字〔2026〕4号")  # 2 and 3 skipped
    page = bureau.head.get("/numbering").text
    assert "2 个空号未说明原因" in page
    done = send(
        bureau.head,
        "/numbering/void",
        {"kind": "case", "year": "2026", "serial": "2", "reason": "编号时录入错误，跳号"},
    )
    assert done.status_code == 303, done.text
    page = bureau.head.get("/numbering?year=2026").text
    assert "1 个空号未说明原因" in page and "编号时录入错误，跳号" in page
    again = send(
        bureau.head,
        "/numbering/void",
        {"kind": "case", "year": "2026", "serial": "2", "reason": "又一次"},
    )
    assert again.status_code == 409 and "该编号已登记作废或空号原因" in again.text
    past = send(
        bureau.head,
        "/numbering/void",
        {"kind": "case", "year": "2026", "serial": "9", "reason": "无"},
    )
    assert past.status_code == 400 and "2026 年尚未编到第 9 号" in past.text
    assert events(bureau, "numbering.voided") == [
        {"kind": "case", "year": 2026, "serial": 2, "reason": "编号时录入错误，跳号"}
    ]
    first = case_of_serial(bureau, 1)
    withdrawn = send(
        bureau.head,
        "/numbering/void",
        {"kind": "case", "year": "2026", "serial": "1", "reason": "不属本机关管辖，已移送"},
    )
    assert withdrawn.status_code == 303, withdrawn.text
    assert events(bureau, "numbering.voided")[-1] == {
        "kind": "case", "year": 2026, "serial": 1, "reason": "不属本机关管辖，已移送",
        "number": "某县林立字〔2026〕1号", "subject": first,
    }  # fmt: skip
    line = bureau.head.get("/numbering?year=2026").text.split('id="number-case-1"')[1]
    assert "已作废" in line.split("</li>")[0] and "不属本机关管辖" in line.split("</li>")[0]
    assert number_of(bureau, first) == "某县林立字〔2026〕1号"  # the case keeps it as saved


def case_of_serial(b: Bureau, serial: int) -> str:
    i = t.issued_numbers.c
    with b.store.read() as conn:
        return str(conn.execute(select(i.subject_id).where(i.serial == serial)).scalar())


def test_a_numbered_documents_form_previews_its_number(bureau: Bureau) -> None:
    case_id = open_one(bureau)
    form = bureau.officer.get(f"/cases/{case_id}/documents/new?kind=rights_notice").text
    assert "留空则保存时自动分配：某县林罚告字〔2026〕1号" in form
    send(
        bureau.head, "/numbering/style", {"kind": "rights_notice", "word": "某林罚告字", "di": "1"}
    )
    form = bureau.officer.get(f"/cases/{case_id}/documents/new?kind=rights_notice").text
    assert "留空则保存时自动分配：某林罚告字〔2026〕第1号" in form
    unnumbered = bureau.officer.get(f"/cases/{case_id}/documents/new?kind=inspection_record")
    assert "自动分配" not in unnumbered.text


def test_a_typed_document_number_is_refused_unless_the_head_allows(bureau: Bureau) -> None:
    case_id = open_one(bureau)
    path = f"/cases/{case_id}/documents/new"
    data = {
        "kind": "rights_notice",
        "number": "某县林罚告字〔2026〕7号",
        "made_at": "2026-11-20T11:00",
    }
    page = refused(bureau, bureau.officer, path, data)
    assert "文书编号由系统按本机关字号自动分配，请留空" in page
    send(
        bureau.head,
        "/numbering/style",
        {"kind": "rights_notice", "word": "某县林罚告字", "manual": "1"},
    )
    page = send(bureau.officer, path, data).text
    assert "文书编号由系统按本机关字号自动分配" not in page  # other fields still missing
