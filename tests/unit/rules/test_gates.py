"""Gates (``rules.gates``): which findings hold a decision, a closing or a filing is profile
data (a rule's ``blocks``), judged on the case as the step would leave it; a deadline met late
is on the record but holds nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.samples import at

from liuhen.errors import ProfileInvalid
from liuhen.rules import WorkCalendar, evaluate, load_bundle, load_profile
from liuhen.rules.gates import (
    after_closing,
    after_decision,
    after_filing,
    blocking,
    prospective_decision,
)

BUNDLES = Path(__file__).resolve().parents[3] / "src/liuhen/demo/bundles"
GENERAL = "01-township-general-21.json"


def case_without(*record_ids: str, approvals: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    case = load_bundle(BUNDLES / GENERAL)
    return replace(
        case,
        ended_at=None,
        outcome=None,
        case_file=None,
        text_records=tuple(r for r in case.text_records if r.id not in record_ids),
        approvals=tuple(a for a in case.approvals if a.id not in approvals),
        services=tuple(s for s in case.services if not set(s.document_ids) & set(record_ids)),
        execution=(),
    )


def test_a_decision_without_the_heads_approval_or_the_notice_is_held_with_both_articles():
    case = case_without("T3", "T7", approvals=("P3",))
    now = at("2026-09-24 10:00")
    after = after_decision(case, prospective_decision("penalty_decision", now))
    found = blocking(after, load_profile("township-legal-office"), WorkCalendar(), now, "decide")
    assert {(f.rule_id, f.citation) for f in found} == {
        ("head-approval", "行政处罚法§57"),
        ("rights-notified", "002§12"),
    }


def test_the_complete_demo_case_passes_every_gate():
    case = load_bundle(BUNDLES / GENERAL)
    profile, calendar, now = (
        load_profile("township-legal-office"),
        WorkCalendar(),
        at("2026-12-01 09:00"),
    )
    assert blocking(case, profile, calendar, now, "decide") == []
    assert (
        blocking(after_closing(case, case.ended_at, "penalty"), profile, calendar, now, "close")
        == []
    )  # type: ignore[arg-type]
    assert blocking(after_filing(case, now), profile, calendar, now, "file") == []


def test_closing_a_penalty_without_its_documents_names_each_missing_one():
    case = case_without("T3", "T7")
    now = at("2026-10-09 10:00")
    found = blocking(
        after_closing(case, now, "penalty"),
        load_profile("township-legal-office"),
        WorkCalendar(),
        now,
        "close",
    )
    missing = [f for f in found if f.rule_id == "case-documents"]
    assert {f.citation for f in missing} >= {"行政处罚法§44", "行政处罚法§59"}
    assert any(f.rule_id == "performance-recorded" for f in found)


def test_a_decision_served_late_is_a_finding_but_holds_no_closing():
    case = load_bundle(BUNDLES / GENERAL)
    late = replace(
        case,
        services=tuple(
            replace(s, served_at=at("2026-10-30 10:00")) if s.id == "S2" else s
            for s in case.services
        ),
    )
    profile, now = load_profile("township-legal-office"), at("2026-11-02 10:00")
    assert any(
        f.rule_id == "documents-served" for f in evaluate(late, profile, WorkCalendar(), now)
    )
    assert blocking(late, profile, WorkCalendar(), now, "close") == []


def test_which_rules_hold_a_gate_is_the_profiles_choice(tmp_path: Path):
    own = tmp_path / "own.yaml"
    own.write_text(
        "id: own\nname: 本机关\nextends: township-legal-office\n"
        "rules:\n  - id: rights-notified\n    blocks: [close]\n",
        encoding="utf-8",
    )
    case = case_without("T3", "T7", approvals=("P3",))
    now = at("2026-09-24 10:00")
    after = after_decision(case, prospective_decision("penalty_decision", now))
    found = blocking(after, load_profile(own), WorkCalendar(), now, "decide")
    assert [f.rule_id for f in found] == ["head-approval"]


def test_a_profile_naming_an_unknown_gate_is_refused_with_its_line(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\nname: 本机关\nextends: base\nrules:\n  - id: rights-notified\n    blocks: [publish]\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileInvalid) as caught:
        load_profile(bad)
    assert any("bad.yaml:" in d and "publish" in d for d in caught.value.details)
