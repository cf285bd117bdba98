"""The demo's case bundles: a township and a forestry bureau, every procedure, some flawed.

Built from the engine's sample cases (``liuhen.domain.samples``), each varied the way real
files go wrong (AV stored late, an approval missing, a re-inspection overdue, a case file
formed late, a complainant never told), so the demo shows live findings next to clean cases.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from liuhen.domain import samples
from liuhen.domain.case import Case
from liuhen.rules import case_to_bundle

TOWNSHIP = {
    "name": "示范镇人民政府（演示）",
    "profile": "township-legal-office",
    "unit": "综合行政执法队",
}
FORESTRY = {
    "name": "示范县林业和草原局（演示）",
    "profile": "shanxi-forestry",
    "unit": "森林资源执法大队",
}


def _bundle(
    case: Case, agency: dict[str, str], number: str, title: str | None = None
) -> dict[str, Any]:
    bundle = case_to_bundle(case)
    bundle["agency"] = dict(agency)
    bundle["case"]["number"] = number
    bundle["case"]["id"] = number
    if title:
        bundle["case"]["title"] = title
    return bundle


def _av_late(case: Case, hours: int) -> Case:
    av = case.av_records[0]
    return samples.edit(
        case, "av_records", av.id, stored_at=av.segments[-1].end + timedelta(hours=hours)
    )


def _without_first_approval(case: Case) -> Case:
    return samples.drop(case, "approvals", case.approvals[0].id)


def _re_inspection_unsigned(case: Case) -> Case:
    """The 整改复查意见书 was made but the party never signed and no refusal was noted."""
    opinion = next(t for t in case.text_records if t.kind == "re_inspection_opinion")
    return samples.edit(case, "text_records", opinion.id, signatures=(), refusals=())


def _case_file_late(case: Case, days: int) -> Case:
    assert case.case_file is not None and case.ended_at is not None
    late = samples.change(case.case_file, formed_at=case.ended_at + timedelta(days=days))
    return samples.change(case, case_file=late)


def _application(number: str) -> dict[str, Any]:
    opened = "2026-11-02T09:10:00+08:00"
    return {
        "format": "liuhen-case-bundle",
        "version": 1,
        "agency": dict(TOWNSHIP),
        "case": {
            "id": number,
            "number": number,
            "title": "刘某临时占用道路摆放建材申请",
            "cause": "临时占用道路",
            "procedure": "application",
            "opened_at": opened,
            "application": {
                "oral": False,
                "accepted": True,
                "needs_supplement": True,
                "corrected_on_spot": False,
            },
        },
        "party": {"kind": "person", "name": "刘某", "address": "示范镇南街6号"},
        "officers": [
            {"id": "O1", "name": "张建国", "certificate_number": "14010020230001"},
            {"id": "O2", "name": "李明", "certificate_number": "14010020230002"},
        ],
        "acts": [
            {
                "id": "A1",
                "kind": "application_acceptance",
                "started_at": opened,
                "ended_at": "2026-11-02T09:40:00+08:00",
                "place": "示范镇便民服务中心窗口",
                "officer_ids": ["O1", "O2"],
            }
        ],
        "text_records": [
            {
                "id": "T1",
                "kind": "application_registration",
                "made_at": "2026-11-02T09:20:00+08:00",
                "act_id": "A1",
            },
            {
                "id": "T2",
                "kind": "application_receipt",
                "made_at": "2026-11-02T09:30:00+08:00",
                "act_id": "A1",
            },
            {
                "id": "T3",
                "kind": "acceptance_notice",
                "made_at": "2026-11-02T09:35:00+08:00",
                "act_id": "A1",
            },
        ],
    }


def _complaint(number: str) -> dict[str, Any]:
    opened = "2026-11-05T15:00:00+08:00"
    return {
        "format": "liuhen-case-bundle",
        "version": 1,
        "agency": dict(TOWNSHIP),
        "case": {
            "id": number,
            "number": number,
            "title": "实名举报东街夜间施工扰民",
            "cause": "夜间施工噪声",
            "procedure": "complaint",
            "opened_at": opened,
            "outcome": "not_opened",
            "complaint": {"real_name": True, "pursued": False, "complainant": "周某"},
        },
        "party": {"kind": "organisation", "name": "示范县某建筑工程有限公司"},
        "text_records": [
            {"id": "T1", "kind": "complaint_registration", "made_at": opened},
        ],
    }


def demo_bundles() -> list[dict[str, Any]]:
    """About ten cases across the procedures, under two profiles."""
    general = samples.make_case("general")
    inspection = samples.make_case("inspection")
    return [
        _bundle(general, TOWNSHIP, "示镇综执罚〔2026〕21号", "某木材加工厂未经批准堆放木材案"),
        _bundle(
            _av_late(general, 72),
            TOWNSHIP,
            "示镇综执罚〔2026〕22号",
            "某木材加工厂占用东街道路堆放原木案",
        ),
        _bundle(samples.make_case("simple"), TOWNSHIP, "示镇当罚〔2026〕0031号"),
        _bundle(samples.make_case("coercion"), TOWNSHIP, "示镇强〔2026〕3号"),
        _bundle(
            _without_first_approval(samples.make_case("coercion")),
            TOWNSHIP,
            "示镇强〔2026〕4号",
            "某石料厂扣押开采设备案（未经审批）",
        ),
        _application("示镇申〔2026〕15号"),
        _complaint("示镇举〔2026〕9号"),
        _bundle(inspection, FORESTRY, "示林检〔2026〕7号"),
        _bundle(
            _case_file_late(general, 45),
            FORESTRY,
            "示林罚〔2026〕12号",
            "某木材加工厂非法收购林木案",
        ),
        _bundle(
            _re_inspection_unsigned(inspection),
            FORESTRY,
            "示林检〔2026〕8号",
            "某林场采伐作业队整改复查（意见书未签收）",
        ),
    ]
