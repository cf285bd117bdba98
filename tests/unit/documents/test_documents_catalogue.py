"""The document catalogue: every kind issue 4 names, labelled fields, statute items, the
engine's codes reused exactly, and a broken catalogue refused with every problem located."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from liuhen.documents import default_catalogue, load_catalogue
from liuhen.documents.catalogue import parse_catalogue
from liuhen.documents.model import FIELD_TYPES
from liuhen.domain import vocab
from liuhen.errors import NotFound, ProfileInvalid
from liuhen.rules import list_profiles, load_profile
from liuhen.rules.checks.documents import DocumentFields, DocumentSignatures, RightsNotified
from liuhen.rules.sources import articles

CATALOGUE = default_catalogue()

# issue 4 item 2 (002§13, 004§14–§33): the code of each document, and words its title must hold
ISSUE_4_KINDS = {
    "initiation_approval": "立案（程序启动）审批表",
    "inquiry_record": "询问笔录",
    "inspection_record": "现场检查（勘验）笔录",
    "evidence_notice": "调取证据通知书",
    "preservation_list": "证据登记保存清单",
    "preservation_notice": "先行登记保存证据决定书",
    "sampling_list": "抽样取证通知书",
    "rights_notice": "行政处罚事先告知书",
    "statement_record": "陈述申辩笔录",
    "hearing_notice": "听证通知书",
    "hearing_record": "听证笔录",
    "expert_opinion": "鉴定意见书",
    "expert_minutes": "专家论证意见",
    "legal_review_opinion": "法制审核意见书",
    "collective_discussion_record": "集体讨论记录",
    "penalty_opinion": "行政处罚意见书",
    "penalty_decision": "行政处罚决定书",
    "coercion_decision": "强制措施决定书",
    "rectification_order": "责令限期整改指令书",
    "re_inspection_opinion": "整改复查意见书",
    "service_receipt": "送达回证",
    "reminder": "催告书",
    "enforcement_application": "强制执行申请书",
    "execution_statement": "执行情况说明",
    "closing_report": "结案审批表",
}

# kinds the catalogue added to the engine's vocabulary (an approval there, a document here too)
NEW_CODES = {
    "initiation_approval",
    "hearing_notice",
    "legal_review_opinion",
    "collective_discussion_record",
    "service_receipt",
}


def test_every_kind_named_in_issue_4_is_in_the_catalogue_with_its_title() -> None:
    for code, title in ISSUE_4_KINDS.items():
        assert code in CATALOGUE, code
        assert title in CATALOGUE.get(code).title, (code, CATALOGUE.get(code).title)


def test_every_catalogue_kind_can_be_stored_as_an_engine_document_kind() -> None:
    codes = {k.code for k in CATALOGUE}
    assert codes <= set(vocab.DOCUMENT_KINDS)
    assert NEW_CODES <= codes


def test_every_field_has_a_label_and_a_known_type_and_every_kind_a_citation() -> None:
    for kind in CATALOGUE:
        assert kind.fields, kind.code
        for f in kind.fields:
            assert f.label.strip(), (kind.code, f.key)
            assert f.type in FIELD_TYPES, (kind.code, f.key)
        assert kind.stage in CATALOGUE.stages
        assert kind.citation, kind.code


def test_every_catalogue_citation_has_an_article_text() -> None:
    """The `citation` of every kind, field and signature box, and every 行政处罚法§64-style
    citation a hint makes of a statute the package quotes, finds its article text."""
    in_hint = re.compile(rf"(?:{'|'.join(map(re.escape, articles.statutes()))})§\d+")
    unresolved = []
    for kind in CATALOGUE:
        items = [(kind.code, kind.citation, "")]
        items += [(f"{kind.code}.{f.key}", f.citation, f.hint) for f in kind.fields]
        items += [(f"{kind.code}/{s.role}", s.citation, s.hint) for s in kind.signatures]
        for where, citation, hint in items:
            cited = ([citation] if citation else []) + in_hint.findall(hint)
            unresolved += [(where, c) for c in cited if articles.quote(c) is None]
    assert unresolved == []


def test_the_five_stages_of_a_case_each_have_documents() -> None:
    assert list(CATALOGUE.stages) == [
        "initiation",
        "investigation",
        "decision",
        "service_execution",
        "archiving",
    ]
    for stage in CATALOGUE.stages:
        assert CATALOGUE.by_stage(stage), stage


def _required(code: str) -> dict[str, str]:
    return {f.key: f.citation for f in CATALOGUE.get(code).fields if f.required}


def test_penalty_decision_requires_every_item_of_article_59_and_cites_it() -> None:
    required = _required("penalty_decision")
    for key in [
        "party_name",
        "party_address",
        "facts",
        "evidence",
        "penalty_kind",
        "legal_basis",
        "performance",
        "remedy_channels",
        "agency_name",
        "decision_date",
    ]:
        assert required.get(key) == "行政处罚法§59", key
    kind = CATALOGUE.get("penalty_decision")
    assert kind.sealed and kind.served and kind.receipt and kind.numbered


def test_reminder_requires_the_items_of_coercion_law_article_35() -> None:
    required = _required("reminder")
    for key in ["deadline", "method", "amount", "statement_rights"]:
        assert required[key] == "行政强制法§35"


def test_service_receipt_holds_the_civil_procedure_items_and_a_witness_for_lien_service() -> None:
    kind = CATALOGUE.get("service_receipt")
    required = _required("service_receipt")
    for key in ["document_title", "recipient_name", "served_at"]:
        assert required[key] == "民事诉讼法§87"
    assert {"service_place", "service_mode"} <= set(required)
    assert set(dict(kind.field("service_mode").options)) <= set(vocab.SERVICE_MODES)
    witness = next(s for s in kind.signatures if s.role == "witness")
    assert witness.required_when == (("service_mode", ("lien",)),)
    assert witness.citation == "民事诉讼法§89"
    recipient = next(s for s in kind.signatures if s.role == "recipient")
    assert recipient.refusal_needs_witness
    assert kind.field("lien_record").required_when == (("service_mode", ("lien",)),)


def test_records_of_questioning_need_two_officers_and_the_certificates_shown() -> None:
    for code in ["inquiry_record", "inspection_record", "survey_record", "statement_record"]:
        kind = CATALOGUE.get(code)
        assert kind.min_officers == 2 and kind.certificates, code
        assert any(f.type == "officers" and f.required for f in kind.fields), code
    inquiry = CATALOGUE.get("inquiry_record")
    assert inquiry.field("ended_at").after == "started_at"
    assert next(s for s in inquiry.signatures if s.role == "party").every_page


def _engine_rules():
    for profile in list_profiles():
        yield from load_profile(profile.id).rules


def test_fields_the_engine_checks_exist_and_base_rules_fields_are_required() -> None:
    base_ids = {r.id for r in load_profile("base").rules if isinstance(r, DocumentFields)}
    for rule in _engine_rules():
        if not isinstance(rule, DocumentFields):
            continue
        for code in rule.documents:
            kind = CATALOGUE.get(code)
            for key in rule.fields:
                assert kind.has_field(key), (rule.id, code, key)
                if rule.id in base_ids:
                    assert kind.field(key).required, (rule.id, code, key)
            if rule.sealed:
                assert kind.sealed, (rule.id, code)


def test_signatures_the_engine_checks_are_required_boxes_with_the_same_role_codes() -> None:
    for rule in _engine_rules():
        if not isinstance(rule, DocumentSignatures):
            continue
        for code, roles in rule.documents.items():
            boxes = {s.role: s for s in CATALOGUE.get(code).signatures}
            for role in roles:
                assert role in boxes and boxes[role].required, (rule.id, code, role)
    shared = set(CATALOGUE.roles) & set(vocab.SIGNATURE_ROLES)
    assert {"officer", "party", "witness", "recorder", "recipient", "server", "host"} <= shared


def test_values_the_engine_reads_have_the_engine_shape() -> None:
    rights = CATALOGUE.get("rights_notice").field("rights")
    assert rights.multiple and set(dict(rights.options)) == set(RightsNotified.RIGHTS)
    assert CATALOGUE.get("rights_notice").has_field("notice_method")
    assert CATALOGUE.get("rectification_order").field("deadline").type == "date"
    assert CATALOGUE.get("inquiry_record").field("recording_notice").type == "flag"
    assert CATALOGUE.get("inspection_record").field("recording_notice").type == "flag"


def test_unknown_kind_is_not_found() -> None:
    with pytest.raises(NotFound, match="no_such_kind"):
        CATALOGUE.get("no_such_kind")


def _minimal() -> dict:
    return {
        "edition": "t",
        "stages": {"decision": "审查决定"},
        "roles": {"officer": "执法人员"},
        "shared_fields": {"party_name": {"key": "party_name", "label": "当事人", "type": "text"}},
        "kinds": [
            {
                "code": "x_notice",
                "title": "某通知书",
                "stage": "decision",
                "layout": "form",
                "fields": [{"use": "party_name", "required": True}],
                "signatures": [{"role": "officer", "label": "执法人员"}],
            }
        ],
    }


def test_a_minimal_catalogue_parses_with_shared_fields_overridden() -> None:
    catalogue = parse_catalogue(_minimal())
    field = catalogue.get("x_notice").field("party_name")
    assert field.label == "当事人" and field.required


def test_a_broken_catalogue_is_refused_with_every_problem_and_its_place() -> None:
    data = _minimal()
    kind = data["kinds"][0]
    kind["fields"] += [
        {"key": "when", "label": "时间", "type": "timestamp"},
        {"key": "end", "label": "结束", "type": "datetime", "after": "start"},
        {"key": "mode", "label": "方式", "type": "choice"},
        {"use": "nothing_shared"},
        {"key": "note", "label": "", "type": "text", "required_when": {"party_name": ["a"]}},
    ]
    kind["signatures"].append({"role": "stranger"})
    kind["stage"] = "somewhere"
    data["kinds"].append(dict(kind))
    with pytest.raises(ProfileInvalid) as caught:
        parse_catalogue(data, "test.yaml")
    details = caught.value.details
    expected = [
        "kinds[0](x_notice).stage",
        "kinds[0](x_notice).fields[1](when).type",
        "kinds[0](x_notice).fields[2](end).after",
        "kinds[0](x_notice).fields[3](mode).options",
        "kinds[0](x_notice).fields[4].use",
        "kinds[0](x_notice).fields[5](note).label",
        "kinds[0](x_notice).fields[5](note).required_when.party_name",
        "kinds[0](x_notice).signatures[1].role",
        "kinds[1].code",
    ]
    for place in expected:
        assert any(d.startswith(f"test.yaml: {place}:") for d in details), (place, details)
    assert caught.value.exit_code == 2 and "文书目录" in caught.value.message


def test_a_catalogue_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("kinds: [unclosed", "utf-8")
    with pytest.raises(ProfileInvalid, match="bad.yaml"):
        load_catalogue(path)


def test_the_shipped_file_round_trips_through_a_path(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[3] / "src/liuhen/documents/catalogue.yaml"
    path = tmp_path / "copy.yaml"
    path.write_text(shipped.read_text("utf-8"), "utf-8")
    assert [k.code for k in load_catalogue(path)] == [k.code for k in CATALOGUE]
    assert yaml.safe_load(shipped.read_text("utf-8"))["edition"] == CATALOGUE.edition
