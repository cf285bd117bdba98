"""Every provision both ways (issue 18 item 1).

For each provision of PROVISIONS.md §2–§8, under the profile of the regulation it comes from,
every rule that cites it has two cases built from the provision's text: one the engine must
report (a finding of that rule; its citation is the provision itself wherever the provision is
named only inside the rule's parameters, per act kind or service mode) and a near-identical
one it must not. The
provision-by-provision table in docs/rules.md lists the same pairs; ``test_table_and_cases_agree``
keeps the table, the profiles and these cases in step. Discretionary provisions (根据实际情况)
only ever advise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.samples import add, at, change, drop, edit
from tests.unit.rules.provision_cases import (
    advised_simple,
    catalogued,
    copy_by,
    corrected_on_the_spot,
    decided_after_notice,
    disputed_footage_kept,
    exempted,
    interrupted,
    late_opening,
    mailed_reminder,
    remote_upload,
    served_on_a_trip,
    service_av,
    stored_after,
    unrecorded_act,
    view_by,
)
from tests.unit.rules.test_rules_catalogue import (
    SCENARIOS,
    application,
    coercion,
    g,
    gap_case,
    insp,
    with_access,
)

from liuhen.domain.av import OpeningStatement
from liuhen.domain.case import MailEvidence
from liuhen.domain.finding import ADVICE, VIOLATION
from liuhen.rules import list_profiles, load_profile
from liuhen.rules.sources.docgen import PROVISION_TABLE_HEAD, provision_rows

ROOT = Path(__file__).resolve().parents[3]
NOW = "2026-11-23 09:00"


@dataclass(frozen=True)
class Both:
    """A case that must be reported and a near-identical one that must not."""

    reported: Callable[[], object]
    clean: Callable[[], object]
    now: str = NOW


def scenario(rule_id: str, profile: str) -> Both:
    """The rule catalogue's pair for ``rule_id`` (written for ``profile``), reused where the
    provision's profile words the requirement the same way."""
    s = next(s for s in SCENARIOS if s.rule_id == rule_id and s.profile == profile)
    return Both(s.violating, s.satisfying, s.now)


def both(reported: Callable[[], object], clean: Callable[[], object], now: str = NOW) -> Both:
    return Both(reported, clean, now)


ELEMENTS_001 = frozenset({"time", "place", "officers", "act", "notice"})

CASES: dict[tuple[str, str], Both] = {
    # -- 000 山西某镇 --------------------------------------------------------------------
    ("000§9", "av-required"): scenario("av-required", "shanxi-township"),
    ("000§10", "av-advised"): scenario("av-advised", "shanxi-township"),
    ("000§12", "av-precheck"): scenario("av-precheck", "zhangying-town"),
    ("000§13", "av-opening-statement"): both(lambda: late_opening(90), lambda: late_opening(20)),
    ("000§13", "av-continuity"): scenario("av-continuity", "shanxi-township"),
    ("000§13", "av-coverage"): scenario("av-coverage", "shanxi-forestry"),
    ("000§14", "av-interruption"): both(
        lambda: interrupted(explained_by=None), lambda: interrupted(explained_by="written")
    ),
    ("000§16", "av-upload-deadline"): both(lambda: stored_after("2026-09-17 10:00"), g),
    ("000§16", "av-unlinked"): scenario("av-unlinked", "shanxi-township"),
    ("000§17", "view-approval"): both(lambda: view_by("", "officer"), lambda: view_by("张伟")),
    ("000§17", "copy-approval"): both(
        lambda: copy_by("section_head"), lambda: copy_by("deputy_head")
    ),
    ("000§17", "disclosure-approval"): both(
        lambda: with_access("disclosure", "section_head"),
        lambda: with_access("disclosure", "deputy_head"),
    ),
    ("000§17", "access-confidential"): scenario("access-confidential", "township-legal-office"),
    ("000§19", "retention-schedule"): scenario("retention-schedule", "shanxi-township"),
    ("000§19", "copy-approval"): both(lambda: copy_by("officer"), lambda: copy_by("head")),
    ("000§19", "disclosure-approval"): scenario("disclosure-approval", "shanxi-township"),
    ("000§21", "av-required"): scenario("av-required", "shanxi-township"),
    ("000§21", "av-upload-deadline"): both(lambda: stored_after("2026-09-18 10:00"), g),
    ("000§21", "disclosure-approval"): scenario("disclosure-approval", "shanxi-township"),
    ("000§21", "av-device-condition"): scenario("av-device-condition", "shanxi-township"),
    # -- 001 彭阳县某局 ------------------------------------------------------------------
    ("001§6", "av-recording-notice"): scenario("av-recording-notice", "pengyang-bureau"),
    ("001§8", "av-evidence-statement"): scenario("av-evidence-statement", "shanxi-township"),
    ("001§8", "av-required"): scenario("av-required", "shanxi-township"),
    ("001§8", "av-advised"): scenario("av-advised", "shanxi-township"),
    ("001§8", "av-exemption-reason"): both(
        lambda: exempted("text_sufficient", text=False),
        lambda: exempted("text_sufficient", text=True),
    ),
    ("001§9", "av-opening-statement"): both(
        lambda: edit(
            g(),
            "av_records",
            "AV1",
            opening_statement=OpeningStatement(None, ELEMENTS_001 - {"act"}),
        ),
        lambda: edit(
            g(), "av_records", "AV1", opening_statement=OpeningStatement(None, ELEMENTS_001)
        ),
    ),
    ("001§9", "av-continuity"): scenario("av-continuity", "shanxi-township"),
    ("001§9", "av-interruption"): scenario("av-interruption", "pengyang-bureau"),
    ("001§10", "av-upload-deadline"): both(
        lambda: remote_upload("2026-09-21 11:00"), lambda: remote_upload("2026-09-21 09:00")
    ),
    ("001§10", "av-unlinked"): scenario("av-unlinked", "shanxi-township"),
    ("001§11", "case-file-contents"): both(lambda: catalogued("T7"), catalogued),
    ("001§11", "case-file-deadline"): scenario("case-file-deadline", "pengyang-bureau"),
    ("001§11", "case-file-av-statement"): scenario("case-file-av-statement", "pengyang-bureau"),
    ("001§12", "case-file-retention"): scenario("case-file-retention", "shanxi-township"),
    ("001§12", "retention-schedule"): scenario("retention-schedule", "shanxi-township"),
    ("001§13", "view-approval"): both(
        lambda: view_by("某人", "section_head"), lambda: view_by("某人", "deputy_head")
    ),
    ("001§13", "copy-approval"): both(
        lambda: copy_by("section_head"), lambda: copy_by("deputy_head")
    ),
    ("001§13", "access-confidential"): scenario("access-confidential", "township-legal-office"),
    ("001§14", "retention-schedule"): both(
        lambda: disputed_footage_kept("3y"), lambda: disputed_footage_kept("long_term")
    ),
    ("001§14", "av-long-term"): scenario("av-long-term", "pengyang-bureau"),
    ("001§15", "retention-schedule"): scenario("retention-schedule", "shanxi-township"),
    ("001§15", "copy-approval"): both(lambda: copy_by("unit_head"), lambda: copy_by("head")),
    # -- 002 乡镇（法制科审核） ----------------------------------------------------------
    ("002§8", "av-required"): both(lambda: drop(application(), "av_records", "AV1"), application),
    ("002§8", "application-records"): scenario("application-records", "township-legal-office"),
    ("002§9", "initiation-approval"): both(
        lambda: edit(
            g(),
            "approvals",
            "P1",
            steps=tuple(s for s in g().approvals[0].steps if s.position != "section_head"),
        ),
        g,
    ),
    ("002§10", "complaint-record"): scenario("complaint-record", "township-legal-office"),
    ("002§11", "av-required"): both(lambda: drop(g(), "av_records", "AV2"), g),
    ("002§11", "officers-recorded"): scenario("officers-recorded", "township-legal-office"),
    ("002§12", "rights-notified"): scenario("rights-notified", "township-legal-office"),
    ("002§13", "act-documents"): scenario("act-documents", "shanxi-forestry"),
    ("002§13", "record-signatures"): scenario("record-signatures", "township-legal-office"),
    ("002§14", "av-required"): both(lambda: drop(g(), "av_records", "AV1"), g),
    ("002§14", "av-exemption-reason"): scenario("av-exemption-reason", "shanxi-forestry"),
    ("002§15", "preservation-record"): scenario("preservation-record", "shanxi-forestry"),
    ("002§16", "draft-decision-record"): scenario("draft-decision-record", "township-legal-office"),
    ("002§17", "legal-review-record"): scenario("legal-review-record", "township-legal-office"),
    ("002§18", "expert-opinion-record"): scenario("expert-opinion-record", "township-legal-office"),
    ("002§19", "collective-discussion-minutes"): scenario(
        "collective-discussion-minutes", "shanxi-forestry"
    ),
    ("002§20", "head-approval-record"): scenario("head-approval-record", "township-legal-office"),
    ("002§22", "av-required"): both(
        lambda: advised_simple(disputed=True), lambda: advised_simple(disputed=False)
    ),
    ("002§22", "simple-procedure-record"): scenario("simple-procedure-record", "shanxi-forestry"),
    ("002§23", "service-direct"): scenario("service-direct", "township-legal-office"),
    ("002§23", "av-required"): both(
        lambda: edit(drop(g(), "av_records", "AV3"), "services", "S1", av_record_ids=()), g
    ),
    ("002§24", "service-mail"): scenario("service-mail", "township-legal-office"),
    ("002§25", "service-lien"): scenario("service-lien", "shanxi-forestry"),
    ("002§25", "av-required"): both(
        lambda: service_av("lien", False), lambda: service_av("lien", True)
    ),
    ("002§26", "service-entrusted"): scenario("service-entrusted", "township-legal-office"),
    ("002§26", "service-transferred"): scenario("service-transferred", "shanxi-forestry"),
    ("002§27", "service-public-notice"): scenario("service-public-notice", "shanxi-township"),
    ("002§27", "av-required"): both(
        lambda: service_av("public_notice", False), lambda: service_av("public_notice", True)
    ),
    ("002§28", "performance-recorded"): scenario("performance-recorded", "township-legal-office"),
    ("002§28", "rectification-reinspection"): scenario(
        "rectification-reinspection", "shanxi-forestry"
    ),
    ("002§29", "reminder-before-court"): scenario("reminder-before-court", "township-legal-office"),
    ("002§29", "av-required"): both(
        lambda: mailed_reminder(mode="direct"), lambda: mailed_reminder(mode="mail")
    ),
    ("002§29", "reminder-statement-reviewed"): scenario(
        "reminder-statement-reviewed", "township-legal-office"
    ),
    ("002§30", "court-enforcement-recorded"): scenario(
        "court-enforcement-recorded", "shanxi-forestry"
    ),
    ("002§31", "av-upload-deadline"): scenario("av-upload-deadline", "shanxi-forestry"),
    ("002§31", "case-file-contents"): both(lambda: catalogued("T7"), catalogued),
    ("002§31", "case-file-deadline"): both(
        lambda: g(case_file=change(g().case_file, formed_at=at("2026-11-12 10:00"))), g
    ),
    ("002§31", "av-unlinked"): scenario("av-unlinked", "shanxi-township"),
    ("002§32", "av-custodian"): scenario("av-custodian", "township-legal-office"),
    ("002§33", "view-approval"): scenario("view-approval", "township-legal-office"),
    ("002§33", "copy-approval"): both(
        lambda: copy_by("principal_head"), lambda: copy_by("legal_office_head")
    ),
    ("002§34", "access-confidential"): scenario("access-confidential", "township-legal-office"),
    ("002§36", "av-required"): both(lambda: drop(g(), "av_records", "AV1"), g),
    ("002§36", "av-upload-deadline"): scenario("av-upload-deadline", "shanxi-forestry"),
    ("002§36", "copy-approval"): both(
        lambda: copy_by("section_head"), lambda: copy_by("legal_office_head")
    ),
    ("002§36", "av-device-condition"): scenario("av-device-condition", "shanxi-township"),
    ("002§37", "approval-roles"): scenario("approval-roles", "township-legal-office"),
    # -- 003 张营镇 ----------------------------------------------------------------------
    ("003§10", "av-required"): scenario("av-required", "shanxi-township"),
    ("003§11", "av-advised"): scenario("av-advised", "shanxi-township"),
    ("003§13", "av-precheck"): scenario("av-precheck", "zhangying-town"),
    ("003§14", "av-opening-statement"): both(lambda: late_opening(75), lambda: late_opening(45)),
    ("003§14", "av-continuity"): scenario("av-continuity", "shanxi-township"),
    ("003§14", "av-coverage"): scenario("av-coverage", "shanxi-forestry"),
    ("003§15", "av-interruption"): both(
        lambda: interrupted(explained_by=None), lambda: interrupted(explained_by="written")
    ),
    ("003§17", "retention-schedule"): scenario("retention-schedule", "shanxi-township"),
    ("003§17", "av-upload-deadline"): both(
        lambda: remote_upload("2026-09-24 10:00"), lambda: remote_upload("2026-09-22 17:00")
    ),
    ("003§17", "av-unlinked"): scenario("av-unlinked", "shanxi-township"),
    ("003§18", "view-approval"): both(lambda: view_by("", "officer"), lambda: view_by("李娜")),
    ("003§18", "copy-approval"): both(
        lambda: copy_by("legal_office_head"), lambda: copy_by("deputy_head")
    ),
    ("003§18", "disclosure-approval"): scenario("disclosure-approval", "shanxi-township"),
    ("003§18", "access-confidential"): scenario("access-confidential", "township-legal-office"),
    ("003§20", "retention-schedule"): scenario("retention-schedule", "shanxi-township"),
    ("003§20", "copy-approval"): both(
        lambda: copy_by("officer"), lambda: copy_by("principal_head")
    ),
    ("003§20", "disclosure-approval"): scenario("disclosure-approval", "shanxi-township"),
    ("003§22", "av-required"): scenario("av-required", "shanxi-township"),
    ("003§22", "av-upload-deadline"): both(lambda: stored_after("2026-09-18 10:00"), g),
    ("003§22", "disclosure-approval"): scenario("disclosure-approval", "shanxi-township"),
    ("003§22", "av-device-condition"): scenario("av-device-condition", "shanxi-township"),
    # -- 004 山西省林业和草原局 -----------------------------------------------------------
    ("004§6", "av-not-suitable"): scenario("av-not-suitable", "shanxi-forestry"),
    ("004§6", "av-exemption-reason"): both(
        lambda: exempted("explosive_area", text=True, proof_device=True),
        lambda: exempted("explosive_area", text=True, proof_device=False),
    ),
    ("004§7", "av-continuity"): both(lambda: gap_case(False), lambda: gap_case(True, "battery")),
    ("004§7", "av-coverage"): scenario("av-coverage", "shanxi-forestry"),
    ("004§9", "av-continuity"): both(
        lambda: gap_case(True), lambda: gap_case(True, "battery")
    ),  # 非因技术原因不得中止: a stop explained only in free text is not shown to be technical
    ("004§9", "av-after-the-fact"): scenario("av-after-the-fact", "shanxi-forestry"),
    ("004§9", "av-interruption"): both(
        lambda: interrupted(explained_by="voice", cause="non_technical", resumed=True),
        lambda: interrupted(explained_by="voice", cause="battery", resumed=True),
    ),
    ("004§10", "av-catalogue"): scenario("av-catalogue", "shanxi-forestry"),
    ("004§10", "av-custodian"): scenario("av-custodian", "township-legal-office"),
    ("004§11", "av-upload-deadline"): scenario("av-upload-deadline", "shanxi-forestry"),
    ("004§11", "av-custodian"): scenario("av-custodian", "township-legal-office"),
    ("004§12", "av-retention"): scenario("av-retention", "shanxi-forestry"),
    ("004§12", "retention-schedule"): scenario("retention-schedule", "shanxi-township"),
    ("004§12", "av-unlinked"): scenario("av-unlinked", "shanxi-township"),
    ("004§13", "av-required"): both(lambda: drop(g(), "av_records", "AV1"), g),
    ("004§14", "act-documents"): both(lambda: drop(g(), "text_records", "T1"), g),
    ("004§14", "av-required"): both(lambda: drop(insp(), "av_records", "AV1"), insp),
    ("004§14", "rectification-order-record"): scenario(
        "rectification-order-record", "shanxi-forestry"
    ),
    ("004§14", "inspection-signatures"): scenario("inspection-signatures", "shanxi-forestry"),
    ("004§15", "av-required"): both(lambda: drop(insp(), "av_records", "AV2"), insp),
    ("004§15", "rectification-reinspection"): scenario(
        "rectification-reinspection", "shanxi-forestry"
    ),
    ("004§15", "reinspection-signatures"): scenario("reinspection-signatures", "shanxi-forestry"),
    ("004§16", "initiation-approval"): scenario("initiation-approval", "shanxi-forestry"),
    ("004§17", "act-documents"): scenario("act-documents", "shanxi-forestry"),
    ("004§17", "record-signatures"): scenario("record-signatures", "township-legal-office"),
    ("004§18", "av-required"): both(
        lambda: unrecorded_act("survey", av_made=False),
        lambda: unrecorded_act("survey", av_made=True),
    ),
    ("004§19", "preservation-record"): scenario("preservation-record", "shanxi-forestry"),
    ("004§20", "act-documents"): both(
        lambda: unrecorded_act("suspend", av_made=True, document=None),
        lambda: unrecorded_act("suspend", av_made=True, document="coercion_decision"),
    ),
    ("004§21", "head-approval"): scenario("head-approval", "shanxi-forestry"),
    ("004§21", "penalty-opinion-record"): scenario("penalty-opinion-record", "shanxi-forestry"),
    ("004§22", "collective-discussion"): scenario("collective-discussion", "shanxi-forestry"),
    ("004§23", "collective-discussion-minutes"): scenario(
        "collective-discussion-minutes", "shanxi-forestry"
    ),
    ("004§24", "av-advised"): both(
        lambda: advised_simple(disputed=True), lambda: advised_simple(disputed=False)
    ),
    ("004§24", "simple-procedure-record"): scenario("simple-procedure-record", "shanxi-forestry"),
    ("004§25", "service-direct"): scenario("service-direct", "township-legal-office"),
    ("004§26", "service-mail"): both(
        lambda: add(
            drop(g(), "services", "S1"),
            "services",
            change(
                g().services[0],
                mode="mail",
                av_record_ids=(),
                mail=MailEvidence("other", "X1", True, True, True),
            ),
        ),
        lambda: add(
            drop(g(), "services", "S1"),
            "services",
            change(
                g().services[0],
                mode="mail",
                av_record_ids=(),
                mail=MailEvidence("registered", "X1", True, True, True),
            ),
        ),
    ),
    ("004§27", "service-lien"): scenario("service-lien", "shanxi-forestry"),
    ("004§27", "av-required"): both(
        lambda: service_av("lien", False), lambda: service_av("lien", True)
    ),
    ("004§28", "service-entrusted"): scenario("service-entrusted", "township-legal-office"),
    ("004§28", "service-transferred"): scenario("service-transferred", "shanxi-forestry"),
    ("004§29", "service-public-notice"): scenario("service-public-notice", "shanxi-township"),
    ("004§29", "av-required"): both(
        lambda: service_av("public_notice", False), lambda: service_av("public_notice", True)
    ),
    ("004§30", "execution-evidence"): scenario("execution-evidence", "shanxi-forestry"),
    ("004§31", "reminder-before-court"): scenario("reminder-before-court", "township-legal-office"),
    ("004§32", "court-enforcement-recorded"): scenario(
        "court-enforcement-recorded", "shanxi-forestry"
    ),
    ("004§33", "act-documents"): both(lambda: drop(coercion(), "text_records", "T2"), coercion),
    ("004§33", "av-required"): scenario("av-required", "shanxi-township"),
    ("004§35", "av-upload-deadline"): scenario("av-upload-deadline", "shanxi-forestry"),
    ("004§35", "case-file-contents"): both(lambda: catalogued("T7"), catalogued),
    ("004§35", "case-file-deadline"): both(
        lambda: g(case_file=change(g().case_file, formed_at=at("2026-11-12 10:00"))), g
    ),
    ("004§36", "av-custodian"): scenario("av-custodian", "township-legal-office"),
    ("004§37", "view-approval"): both(
        lambda: view_by("某人", "deputy_head"),
        lambda: view_by("某人", "deputy_head", authorised=True),
    ),
    ("004§37", "copy-approval"): scenario("copy-approval", "shanxi-forestry"),
    ("004§38", "access-confidential"): scenario("access-confidential", "township-legal-office"),
    ("004§39", "av-required"): scenario("av-required", "shanxi-township"),
    ("004§39", "av-device-condition"): scenario("av-device-condition", "shanxi-township"),
}

PROFILE_OF = {p.source[:3]: p.id for p in list_profiles() if p.source}


def _ids(key: tuple[str, str]) -> str:
    return f"{key[0]}/{key[1]}"


def _found(key: tuple[str, str], which: str, check) -> list:
    provision, rule_id = key
    pair = CASES[key]
    case = pair.reported() if which == "reported" else pair.clean()
    return [f for f in check(case, PROFILE_OF[provision[:3]], at(pair.now)) if f.rule_id == rule_id]


@pytest.mark.parametrize("key", sorted(CASES), ids=_ids)
def test_reported(key: tuple[str, str], check) -> None:
    provision, rule_id = key
    found = _found(key, "reported", check)
    assert found, f"{rule_id} did not report the case built from {provision}"
    rule = load_profile(PROFILE_OF[provision[:3]]).rule(rule_id)
    cited = {f.citation for f in found}
    if provision != rule.citation and provision not in rule.spec.also_cites:
        # cited only inside the parameters (per act kind, per mode): the finding names it
        assert provision in cited, (provision, cited)
    expected = ADVICE if rule.severity == "advice" else VIOLATION
    assert {f.status for f in found} <= {expected, "pending"}, [f.status for f in found]


@pytest.mark.parametrize("key", sorted(CASES), ids=_ids)
def test_not_reported(key: tuple[str, str], check) -> None:
    assert _found(key, "clean", check) == []


def test_table_and_cases_agree() -> None:
    """docs/rules.md's table lists, per provision, exactly the rules these cases cover, and a
    provision with no rule gives the reason it cannot be decided from records."""
    rows = provision_rows(list_profiles())
    assert len(rows) > 80
    pairs = {(c, r) for c, _, rules, _ in rows for r in rules}
    assert pairs == set(CASES), {
        "in the table without cases": sorted(pairs - set(CASES)),
        "cases for no rule of the table": sorted(set(CASES) - pairs),
    }
    assert [c for c, _, rules, reason in rows if not rules and not reason] == []
    text = (ROOT / "docs" / "rules.md").read_text("utf-8")
    table = text.split(PROVISION_TABLE_HEAD, 1)[1].split("\n\n", 1)[0]
    printed = {
        (cells[0], rule.strip("`"))
        for line in table.splitlines()[2:]
        if (cells := [c.strip() for c in line.strip("|").split("|")])
        for rule in cells[2].split("、")
        if rule != "—"
    }
    assert printed == set(CASES)


def test_discretionary_advice_is_never_a_violation(check) -> None:
    """000§10 根据实际情况: the bare act draws advice (提示), not a violation; with a text record
    it draws nothing (000§6)."""
    found = [f for f in check(CASES[("000§10", "av-advised")].reported(), "shanxi-township")]
    advised = [f for f in found if f.rule_id == "av-advised"]
    assert advised and all(f.status == ADVICE and f.severity == "advice" for f in advised)


def test_a_recording_that_could_not_resume_explained_in_writing_is_no_coverage_gap(check) -> None:
    """000§14 / 004§9: recording stopped for good at 09:30 of a 09:00–09:40 inspection, the
    cause explained in writing afterwards: neither av-coverage nor av-interruption reports it;
    without the written explanation both do."""
    written = interrupted(explained_by="written", stopped_early=True)
    assert not {f.rule_id for f in check(written, "shanxi-township")} & {
        "av-coverage",
        "av-interruption",
    }
    bare = interrupted(explained_by=None, stopped_early=True)
    assert {"av-coverage", "av-interruption"} <= {f.rule_id for f in check(bare, "shanxi-township")}


def test_findings_cite_only_their_profiles_own_regulation_or_national_law(check) -> None:
    """A township's findings never quote the forestry bureau's articles (the base retention
    rule once cited 004§12 under every profile)."""
    for key, pair in CASES.items():
        profile = PROFILE_OF[key[0][:3]]
        own = key[0][:3]
        for f in check(pair.reported(), profile, at(pair.now)):
            code = f.citation[:3]
            assert not code.isdigit() or code == own, (key, f.rule_id, f.citation)


@pytest.mark.parametrize(
    ("decided", "reported"),
    [("2026-10-13 16:00", True), ("2026-10-14 09:00", False)],
)
def test_the_hearing_request_period_counts_working_days(decided, reported, check) -> None:
    """行政处罚法§64(一) and §85: a notice served on 2026-09-30 leaves the party five working
    days — 10-08, 10-09, Saturday 10-10 (a make-up working day), 10-12 and 10-13; National
    Day's holiday (10-01 to 10-07) does not count — so a decision on 10-13 is too early and one
    on 10-14 is not."""
    case = decided_after_notice("2026-09-30 11:00", decided)
    found = [f for f in check(case, "shanxi-forestry") if f.rule_id == "hearing-request-period"]
    assert bool(found) is reported
    if reported:
        assert found[0].citation == "行政处罚法§64" and "2026-10-13" in found[0].message


@pytest.mark.parametrize(
    ("profile", "citation"),
    [
        ("shanxi-township", "行政强制法§24"),
        ("pengyang-bureau", "行政强制法§24"),
        ("township-legal-office", "行政强制法§24"),
        ("zhangying-town", "行政强制法§24"),
        ("shanxi-forestry", "004§33"),
    ],
)
def test_a_seal_up_needs_its_decision_and_its_list(profile, citation, check) -> None:
    """行政强制法§24: 查封、扣押 needs the decision *and* the 清单; the decision alone is
    reported (004§33 under the forestry bureau, which cites its own article)."""
    without_list = drop(coercion(), "text_records", "T3")
    without_list = change(
        without_list, case_file=change(without_list.case_file, catalogue=("T1", "T2"))
    )
    found = [f for f in check(without_list, profile) if f.rule_id == "act-documents"]
    assert [f.citation for f in found] == [citation]
    assert "查封、扣押清单" in found[0].message
    assert [f for f in check(coercion(), profile) if f.rule_id == "act-documents"] == []


def test_an_application_corrected_on_the_spot_needs_the_record_of_the_correction(check) -> None:
    """002§8: 当场更正申请材料中的错误 is one of the things to record."""
    found = [
        f
        for f in check(corrected_on_the_spot(recorded=False), "township-legal-office")
        if f.rule_id == "application-records"
    ]
    assert found and "当场更正申请材料记录" in found[0].message
    clean = check(corrected_on_the_spot(recorded=True), "township-legal-office")
    assert [f for f in clean if f.rule_id == "application-records"] == []


@pytest.mark.parametrize(
    ("profile", "late", "in_time"),
    [
        ("zhangying-town", "2026-09-24 10:00", "2026-09-22 09:00"),
        ("shanxi-township", "2026-09-24 10:00", "2026-09-22 09:00"),
        ("pengyang-bureau", "2026-09-21 11:00", "2026-09-21 09:00"),
    ],
)
def test_a_service_on_a_trip_stores_its_av_after_the_return(profile, late, in_time, check) -> None:
    """003§17 ¶2, 000§16, 001§10: the after-return deadline covers a service made on the trip
    and its audio-video, not only acts. AV3 (recorded 2026-09-16) stored on 09-22 is late
    counted from the recording, in time counted from the return on 09-20."""

    def upload(case):
        return [f for f in check(case, profile) if f.rule_id == "av-upload-deadline"]

    assert upload(served_on_a_trip(late))
    assert upload(served_on_a_trip(in_time)) == []
    assert upload(served_on_a_trip(in_time, remote=False))  # not on a trip: late


def test_messages_name_a_time_once_and_never_an_empty_deadline(check) -> None:
    """The approval message once printed the act's time twice; an unserved rights notice of a
    closed case left "（期限 ）：" with nothing in it."""
    found = _found(("002§9", "initiation-approval"), "reported", check)
    assert found[0].message.count("2026-09-15 09:00") == 1
    unserved = drop(g(), "services", "S1")
    served = [
        f
        for f in check(unserved, "township-legal-office")
        if f.rule_id == "documents-served" and f.citation == "行政处罚法§44"
    ]
    assert served and "（期限 ）" not in served[0].message
    assert "结案 2026-10-09 10:00" in served[0].message and "结案时仍未送达" in served[0].message


def test_liuhen_check_counts_advice_apart_from_violations_and_pending(check) -> None:
    from liuhen.cli.rules_cmds import render_case

    case = CASES[("000§10", "av-advised")].reported()
    found = check(case, "shanxi-township")
    text = render_case("x.json", case.id, load_profile("shanxi-township"), found)
    # the bare inspection also lacks its 现场检查笔录 (act-documents): one violation
    assert "（违规 1，待办 0，提示 1）" in text


def test_001_asks_for_the_statement_during_the_recording_not_first(check) -> None:
    """001§9 在音像记录过程中……进行语音说明: a statement five minutes in is made; 003§14 (and
    000§13) 先语音说明 want it first. 004 has no opening statement (004§7: continuity only)."""
    late = late_opening(300)
    assert [f for f in check(late, "pengyang-bureau") if f.rule_id == "av-opening-statement"] == []
    assert [f for f in check(late, "zhangying-town") if f.rule_id == "av-opening-statement"]
    assert "av-opening-statement" not in load_profile("shanxi-forestry").rule_ids()
