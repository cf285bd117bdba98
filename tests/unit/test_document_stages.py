"""Every document kind belongs to exactly one stage of the procedure, in stage order."""

from __future__ import annotations

from liuhen.domain.document_stages import DOCUMENT_STAGES, STAGE_OF_KIND, kinds_by_stage
from liuhen.domain.vocab import DOCUMENT_KINDS


def test_every_document_kind_has_a_known_stage() -> None:
    assert set(STAGE_OF_KIND) == set(DOCUMENT_KINDS)
    assert set(STAGE_OF_KIND.values()) <= set(DOCUMENT_STAGES)


def test_kinds_by_stage_lists_each_kind_once_in_procedure_order() -> None:
    grouped = kinds_by_stage()
    assert [stage for stage, _ in grouped] == [
        "立案", "调查取证", "审查决定", "告知", "送达", "执行", "结案归档", "其他",
    ]  # fmt: skip
    codes = [code for _, kinds in grouped for code, _ in kinds]
    assert sorted(codes) == sorted(DOCUMENT_KINDS)
    by_stage = dict(grouped)
    assert ("rights_notice", "行政处罚事先告知书（权利告知书）") in by_stage["告知"]
    assert by_stage["送达"] == [
        ("electronic_service_consent", "电子送达确认书"),
        ("service_receipt", "送达回证"),
    ]
