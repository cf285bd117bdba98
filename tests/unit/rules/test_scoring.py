"""案卷评查 (``rules.scoring``): the score sheet is profile data, each line citing its source;
a closed case's sheet is computed from its findings (every deduction names its finding), a
reviewer's manual scores change the total, and a veto line fails the file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from tests.samples import at

from liuhen.domain.finding import PENDING, VIOLATION, Finding, Subject
from liuhen.errors import ProfileInvalid
from liuhen.rules import WorkCalendar, evaluate, load_bundle, load_profile
from liuhen.rules.scoring import ManualScore, manual_from, manual_problems, score
from liuhen.rules.sources.profile_lint import lint_profile

BUNDLES = Path(__file__).resolve().parents[3] / "src/liuhen/demo/bundles"
NOW = at("2026-12-01 09:00")
CLOSED = {
    "general": "09-forestry-general-12-case-file-late.json",
    "simple": "03-township-simple-0031.json",
    "coercion": "05-township-coercion-4-unapproved.json",
    "inspection": "10-forestry-inspection-8-unsigned.json",
}


def card_of(name: str, manual: dict[str, ManualScore] | None = None):  # type: ignore[no-untyped-def]
    path = BUNDLES / name
    profile = load_profile(json.loads(path.read_text("utf-8"))["agency"]["profile"])
    findings = evaluate(load_bundle(path), profile, WorkCalendar(), NOW)
    assert profile.score_sheet is not None
    return score(profile.score_sheet, findings, manual or {}), findings


@pytest.mark.parametrize("procedure", sorted(CLOSED))
def test_each_closed_demo_case_has_a_sheet_whose_deductions_name_their_findings(procedure):
    card, findings = card_of(CLOSED[procedure])
    assert card.sheet.points == 100
    violations = [f for f in findings if f.status == VIOLATION and f.severity != "advice"]
    linked = [d.finding for d in card.deductions()] + [v.finding for v in card.vetoes]
    assert sorted(violations, key=id) == sorted(linked, key=id)
    for d in card.deductions():
        assert d.finding is not None and d.finding.rule_id in d.line.rules
    assert card.total == 100 - sum(c.lost for c in card.categories)
    assert {line.id for line in card.unscored} == {
        "subject-lawful",
        "evidence-sufficient",
        "law-applied",
        "file-in-order",
    }


def test_a_late_case_file_costs_the_forestry_bureaus_own_line():
    card, _ = card_of(CLOSED["general"])
    [d] = card.deductions()
    assert (d.line.id, d.line.citation, d.points) == ("file-formed", "004§35", 2)
    assert d.finding is not None and d.finding.rule_id == "case-file-deadline"
    assert (card.total, card.grade, card.failed) == (98, "优秀", False)


def test_coercion_without_the_heads_approval_fails_the_file_whatever_its_points():
    card, _ = card_of(CLOSED["coercion"])
    [veto] = card.vetoes
    assert veto.line.id == "coercion-approved" and veto.line.citation == "行政强制法§18"
    assert veto.finding is not None and veto.finding.rule_id == "coercion-approval"
    assert card.total == 100 and card.grade == "不合格" and card.failed


def test_manual_scores_change_the_total_and_a_manual_veto_fails_the_file():
    given = {
        "evidence-sufficient": {"deduct": 6, "note": "询问笔录未问及违法所得"},
        "law-applied": {"deduct": 0, "note": ""},
        "file-in-order": {"deduct": 2, "note": "卷内目录页号不连续"},
        "subject-lawful": {"veto": False},
    }
    assert manual_problems(load_profile("shanxi-forestry").score_sheet, given) == []  # type: ignore[arg-type]
    card, _ = card_of(CLOSED["general"], manual_from(given))
    assert card.complete and card.total == 98 - 6 - 2 and card.grade == "优秀"
    manual = [d for d in card.deductions() if d.manual is not None]
    assert [(d.line.id, d.points, d.reason) for d in manual] == [
        ("evidence-sufficient", 6, "询问笔录未问及违法所得"),
        ("file-in-order", 2, "卷内目录页号不连续"),
    ]
    vetoed = manual_from({**given, "subject-lawful": {"veto": True, "note": "超越职权"}})
    card, _ = card_of(CLOSED["general"], vetoed)
    assert card.failed and card.grade == "不合格" and card.vetoes[0].manual is not None


def test_a_line_never_loses_more_than_its_max_nor_a_category_more_than_its_points():
    sheet = load_profile("township-legal-office").score_sheet
    assert sheet is not None
    late = [
        Finding(
            "date-order", "行政处罚法§44", "major", VIOLATION, Subject("case", str(i)), "倒置", "r"
        )
        for i in range(5)
    ]
    card = score(sheet, late, {"file-in-order": ManualScore("file-in-order", 5, note="乱")})
    lost = [d.points for d in card.deductions() if d.line.id == "date-order"]
    assert lost == [3, 3, 3, 0, 0] and card.deductions()[3].capped
    archive = next(c for c in card.categories if c.category.id == "archive")
    assert archive.score == 0


def test_a_rule_on_no_line_costs_its_severity_and_pending_or_advice_costs_nothing():
    sheet = load_profile("zhangying-town").score_sheet
    assert sheet is not None
    found = [
        Finding("new-rule", "003§9", "major", VIOLATION, Subject("act", "A1"), "新问题", "r"),
        Finding(
            "av-upload-deadline", "003§17", "major", PENDING, Subject("av_record", "V1"), "", ""
        ),
        Finding("av-advised", "003§11", "advice", VIOLATION, Subject("act", "A1"), "", ""),
    ]
    card = score(sheet, found, {})
    [d] = card.deductions()
    assert (d.line.id, d.line.category, d.points, d.line.citation) == (
        "rule:new-rule",
        "procedure",
        2,
        "003§9",
    )
    assert [f.rule_id for f in card.pending] == ["av-upload-deadline"]


def test_manual_scores_out_of_range_or_without_a_reason_name_their_field():
    sheet = load_profile("township-legal-office").score_sheet
    assert sheet is not None
    problems = manual_problems(
        sheet,
        {
            "law-applied": {"deduct": 16, "note": "x"},
            "evidence-sufficient": {"deduct": 3},
            "date-order": {"deduct": 1, "note": "x"},
            "file-in-order": {"veto": True, "note": "x"},
        },
    )
    assert problems == [
        "scores.law-applied.deduct: 扣分须在 0 至 15 分之间",
        "scores.evidence-sufficient.note: 扣分或否决须写明理由",
        "scores.date-order: 评查表中没有需要人工评分的项目 date-order",
        "scores.file-in-order.veto: 该项目不是否决项",
    ]


SHEET = """
score_sheet:
  citation: 003§19
  lines:
    - {id: continuity, category: recording, title: 连续记录, rules: [av-continuity], deduct: 1}
    - {id: outsider, category: recording, title: 他人条文, citation: 004§11, rules: [av-upload-deadline], deduct: 1}
    - {id: ghost, category: archive, title: 不存在的规则, citation: 003§17, rules: [no-such-rule], deduct: 1}
"""


def own_profile(tmp_path: Path, sheet: str) -> Path:
    path = tmp_path / "my-town.yaml"
    path.write_text(
        "id: my-town\nname: 某镇办法\nsource: 003_c099024a1de7f10b.txt\n"
        f"extends: {load_profile('zhangying-town').path}\n{sheet}",
        encoding="utf-8",
    )
    return path


def test_a_sheet_line_without_its_citation_is_refused_with_its_yaml_path(tmp_path):
    path = own_profile(tmp_path, SHEET)
    with pytest.raises(ProfileInvalid) as caught:
        load_profile(path)
    [problem] = caught.value.details
    assert problem.startswith(f"{path}:9: score_sheet.lines[0]: 缺少 citation")
    report = lint_profile(path)
    assert not report.ok
    assert any("score_sheet.lines[1].citation: 引用 004§11" in p for p in report.problems)
    assert any(
        "score_sheet.lines[2].rules[0]: 本配置没有规则 no-such-rule" in p for p in report.problems
    )


def test_lint_accepts_an_agencys_own_sheet_and_loading_merges_it_over_its_parents(tmp_path):
    sheet = SHEET.replace("title: 连续记录,", "title: 连续记录, citation: 003§14,")
    sheet = sheet.replace("citation: 004§11", "citation: 003§17").replace(
        "no-such-rule", "av-precheck"
    )
    path = own_profile(tmp_path, sheet + "  disable: [av-made, av-stored]\n")
    assert lint_profile(path).problems == []
    merged = load_profile(path).score_sheet
    assert merged is not None and merged.citation == "003§19"
    assert merged.line("av-stored") is None and merged.line("ghost") is not None
    assert merged.line("officers-qualified") == load_profile("base").score_sheet.line(  # type: ignore[union-attr]
        "officers-qualified"
    )


def test_every_shipped_profile_has_a_sheet_whose_lines_cite_their_source():
    for profile_id in ("township-legal-office", "zhangying-town", "shanxi-township"):
        sheet = load_profile(profile_id).score_sheet
        assert sheet is not None and sheet.points == 100
        assert all(line.citation for line in sheet.lines)
        assert [c.name for c in sheet.categories] == [
            "执法主体", "程序", "证据", "适用法律", "文书", "全过程记录", "归档"
        ]  # fmt: skip
    assert {b.grade for b in sheet.bands} == {"优秀", "合格", "不合格"}
    assert replace(sheet, bands=sheet.bands).grade_of(59.5, False) == "不合格"


def test_every_rule_of_a_shipped_profile_is_on_a_line_of_its_sheet():
    """A rule added to a shipped profile needs its place on the sheet (which line, how many
    points): the ``unlisted`` fallback is for an agency's own rules, not for ours."""
    from liuhen.rules.sources.profiles import list_profiles

    missing = {
        p.id: [r.id for r in p.rules if p.score_sheet.line_for_rule(r.id) is None]  # type: ignore[union-attr]
        for p in list_profiles()
    }
    advice = {r.id for p in list_profiles() for r in p.rules if r.severity == "advice"}
    assert {k: [r for r in v if r not in advice] for k, v in missing.items() if v} == {
        k: [] for k, v in missing.items() if v
    }
