"""validate(): every problem of a filled document, keyed by the field a web form shows it
beside — missing items, bad dates and amounts, times out of order, refusals without reason."""

from __future__ import annotations

import dataclasses
import re

import pytest

from liuhen.demo.documents import sample_document, sample_kinds
from liuhen.documents import FilledDocument, OfficerPresent, Signature, default_catalogue, validate
from liuhen.documents.model import normalise_number

PROBLEM = re.compile(r"^[a-z_]+(\.[a-z_]+)?: \S")


def changed(code: str, **values: object) -> FilledDocument:
    doc = sample_document(code)
    return dataclasses.replace(doc, values={**doc.values, **values})


def keys(problems: list[str]) -> list[str]:
    assert all(PROBLEM.match(p) for p in problems), problems
    return [p.split(":", 1)[0] for p in problems]


@pytest.mark.parametrize("code", sample_kinds())
def test_every_sample_document_is_valid(code: str) -> None:
    assert validate(sample_document(code)) == []


def test_a_missing_required_field_is_named_with_its_label_and_article() -> None:
    problems = validate(changed("penalty_decision", party_address="  ", remedy_channels=None))
    assert keys(problems) == ["party_address", "remedy_channels"]
    assert problems[0] == "party_address: 请填写「住址或住所」（行政处罚法§59）"


def test_a_date_that_is_not_a_date() -> None:
    problems = validate(changed("penalty_decision", decision_date="2026-02-30"))
    assert keys(problems) == ["decision_date"]
    assert "不是有效的日期" in problems[0]
    assert keys(validate(changed("rectification_order", deadline="下月底"))) == ["deadline"]


def test_a_datetime_that_is_not_a_datetime() -> None:
    problems = validate(changed("inquiry_record", started_at="3月6日上午"))
    assert keys(problems) == ["started_at"]
    assert "日期和时间" in problems[0]
    assert keys(validate(changed("inquiry_record", ended_at="2026-03-06"))) == ["ended_at"]


def test_end_before_start_is_reported_on_the_end_field() -> None:
    problems = validate(changed("inquiry_record", ended_at="2026-03-06T08:55+08:00"))
    assert keys(problems) == ["ended_at"]
    assert "「询问结束时间」早于「询问开始时间」" in problems[0]


def test_times_in_other_zones_are_compared_as_instants() -> None:
    # 01:30 UTC is 09:30 in Beijing: after the 09:10 start
    doc = changed("inquiry_record", ended_at="2026-03-06T01:30:00+00:00")
    assert validate(doc) == []


def test_a_refusal_without_reason() -> None:
    doc = sample_document("inspection_record")
    refusal = Signature("party", "李建华", refused=True, refusal_reason=" ")
    doc = dataclasses.replace(doc, signatures=(refusal, *doc.signatures[1:]))
    problems = validate(doc)
    assert keys(problems) == ["signature.party"]
    assert "未写明拒签事由" in problems[0]


def test_a_refused_receipt_needs_a_witness() -> None:
    doc = sample_document("service_receipt")
    refusal = Signature("recipient", "李建华", refused=True, refusal_reason="拒绝签收")
    others = tuple(s for s in doc.signatures if s.role != "recipient")
    problems = validate(dataclasses.replace(doc, signatures=(refusal, *others)))
    assert keys(problems) == ["signature.recipient"]
    assert "民事诉讼法§89" in problems[0]


@pytest.mark.parametrize("amount", ["五百元", "", "1e3x", True, "-5", "12.345"])
def test_a_money_value_that_is_not_an_amount(amount: object) -> None:
    problems = validate(changed("penalty_decision", fine_amount=amount))
    if amount == "":
        assert problems == []  # optional, left blank
    else:
        assert keys(problems) == ["fine_amount"], problems


def test_amounts_may_be_written_with_thousands_separators() -> None:
    assert validate(changed("penalty_decision", fine_amount="18,900.00")) == []


def test_a_choice_outside_its_options_and_a_list_for_a_single_choice() -> None:
    assert keys(validate(changed("service_receipt", service_mode="fax"))) == ["service_mode"]
    assert keys(validate(changed("coercion_decision", measure=["seize", "seal_up"]))) == ["measure"]
    assert keys(validate(changed("rights_notice", rights=["statement", "appeal"]))) == ["rights"]


def test_a_field_the_kind_does_not_have() -> None:
    problems = validate(changed("reminder", colour="红色"))
    assert problems == ["colour: 本文书没有这一项"]


def test_officers_two_at_least_with_certificates_and_listed() -> None:
    doc = sample_document("inquiry_record")
    alone = dataclasses.replace(doc, officers=(OfficerPresent("张建国", ""),))
    problems = validate(alone)
    assert keys(problems) == ["officers", "officers", "inquirers", "signature.officer"]
    assert "不得少于2人（行政处罚法§42）" in problems[0]
    assert "张建国未填写执法证号" in problems[1]
    assert "李明不在本文书记载的执法人员名单中" in problems[2]
    assert "李明不是本文书记载的执法人员" in problems[3]


def test_whether_certificates_were_shown_must_be_recorded() -> None:
    doc = dataclasses.replace(sample_document("inspection_record"), certificates_shown=None)
    assert keys(validate(doc)) == ["certificates_shown"]
    shown_not = dataclasses.replace(doc, certificates_shown=False)
    assert validate(shown_not) == []  # a fact to record, which the compliance engine judges


def test_required_signatures_and_their_minimum() -> None:
    doc = sample_document("closing_report")
    no_head = dataclasses.replace(
        doc, signatures=tuple(s for s in doc.signatures if s.role != "approver")[1:]
    )
    problems = validate(no_head)
    assert keys(problems) == ["signature.handler", "signature.approver"]
    assert "应有2人签名，现有1人" in problems[0]
    assert "缺少「机关负责人」的签名或拒签记录" in problems[1]


def test_a_signature_box_the_kind_does_not_have() -> None:
    doc = sample_document("reminder")
    stranger = dataclasses.replace(doc, signatures=(Signature("witness", "某人"),))
    assert validate(stranger) == ["signature.witness: 本文书没有「witness」签名栏"]


def test_lien_service_requires_the_lien_record_and_a_witness() -> None:
    doc = changed("service_receipt", lien_record="")
    doc = dataclasses.replace(
        doc, signatures=tuple(s for s in doc.signatures if s.role != "witness")
    )
    problems = validate(doc)
    assert keys(problems) == ["lien_record", "signature.witness"]
    assert "民事诉讼法§89" in problems[1]


def test_mail_service_requires_the_mail_number_but_no_recipient_signature() -> None:
    doc = changed("service_receipt", service_mode="mail", lien_record="")
    doc = dataclasses.replace(
        doc, signatures=tuple(s for s in doc.signatures if s.role == "server")
    )
    assert keys(validate(doc)) == ["mail_number"]
    assert (
        validate(dataclasses.replace(doc, values={**doc.values, "mail_number": "EMS 1234"})) == []
    )


def test_numbers_are_allocated_where_left_empty_and_brackets_normalised_to_gb9704() -> None:
    doc = sample_document("penalty_decision")
    assert validate(dataclasses.replace(doc, number="")) == []  # allocated when it is saved
    assert keys(validate(dataclasses.replace(doc, number="罚款12"))) == ["number"]
    typed = dataclasses.replace(doc, number="示镇综执罚[2026]12号")
    assert validate(typed) == []
    assert normalise_number("示镇综执罚[2026]12号") == "示镇综执罚〔2026〕12号"
    assert normalise_number("林罚决字（2026）第5号") == "林罚决字〔2026〕第5号"


def test_an_unknown_kind_and_a_kind_that_does_not_match() -> None:
    assert validate(FilledDocument("no_such_kind")) == ["kind: 未知的文书种类「no_such_kind」"]
    other = default_catalogue().get("reminder")
    assert keys(validate(sample_document("penalty_decision"), other)) == ["kind"]


def test_an_empty_document_lists_every_required_item_once() -> None:
    kind = default_catalogue().get("penalty_decision")
    problems = validate(FilledDocument("penalty_decision", agency="示范镇人民政府"))
    required = [f.key for f in kind.fields if f.required]
    assert keys(problems) == required  # the number: allocated from the 字号 when saved
