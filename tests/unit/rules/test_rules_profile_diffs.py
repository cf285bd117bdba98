"""The same case under two profiles gives the differences the regulations imply."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from tests.samples import add, at, av, edit, make_case

from liuhen.domain.case import Trip
from liuhen.rules import WorkCalendar, evaluate, load_profile


def _ids(case, profile: str, now: str = "2026-11-23 09:00", calendar: WorkCalendar | None = None):
    return {
        f.rule_id: f
        for f in evaluate(case, load_profile(profile), calendar or WorkCalendar(), at(now))
    }


def friday_evening_upload(hours_later: int):
    """AV of an inquiry recorded Friday 2026-11-20 19:00–19:30, stored ``hours_later`` after."""
    case = make_case()
    case = edit(
        case, "acts", "A2", started_at=at("2026-11-20 19:00"), ended_at=at("2026-11-20 19:30")
    )
    case = edit(
        case,
        "text_records",
        "T2",
        started_at=at("2026-11-20 19:00"),
        ended_at=at("2026-11-20 19:30"),
        made_at=at("2026-11-20 19:30"),
    )
    record = av("AV2", at("2026-11-20 19:00"), 30, act_id="A2")
    return edit(
        case,
        "av_records",
        "AV2",
        segments=record.segments,
        precheck=record.precheck,
        stored_at=record.ended_at + timedelta(hours=hours_later),
    )


@pytest.mark.parametrize(
    ("profile", "citation"), [("township-legal-office", "002§31"), ("shanxi-forestry", "004§11")]
)
def test_av_stored_30_hours_after_friday_evening_breaks_the_24_hour_rule(
    profile: str, citation: str
) -> None:
    found = _ids(friday_evening_upload(30), profile)["av-upload-deadline"]
    assert found.status == "violation" and found.citation == citation
    assert found.due == at("2026-11-21 19:30")


@pytest.mark.parametrize("profile", ["shanxi-township", "pengyang-bureau", "zhangying-town"])
def test_av_stored_30_hours_after_friday_evening_is_within_two_working_days(profile: str) -> None:
    assert "av-upload-deadline" not in _ids(friday_evening_upload(30), profile)


def test_two_working_day_profiles_are_due_on_tuesday_for_friday_recordings() -> None:
    case = edit(friday_evening_upload(0), "av_records", "AV2", stored_at=None)
    found = _ids(case, "shanxi-township", now="2026-11-23 09:00")["av-upload-deadline"]
    assert found.status == "pending" and found.due == at("2026-11-24 23:59:59")
    late = _ids(case, "shanxi-township", now="2026-11-25 08:00")["av-upload-deadline"]
    assert late.status == "violation"


def _case_file_formed(days_after_end: int):
    case = make_case()
    cf = case.case_file
    formed = case.ended_at + timedelta(days=days_after_end)
    return make_case(case_file=replace(cf, formed_at=formed, handed_over_at=formed))


def test_case_file_formed_25_days_after_the_act_is_late_under_20_days_not_under_30() -> None:
    case = _case_file_formed(
        25
    )  # ended 2026-10-09; 20 days -> 10/29, 30 days -> 11/8 (Sunday) -> 11/9
    assert _ids(case, "pengyang-bureau")["case-file-deadline"].citation == "001§11"
    assert "case-file-deadline" not in _ids(case, "township-legal-office")
    assert "case-file-deadline" not in _ids(case, "shanxi-forestry")
    assert "case-file-deadline" not in _ids(case, "shanxi-township")  # 档案法: no fixed number


def test_case_file_deadline_ending_on_a_sunday_rolls_to_monday() -> None:
    late_sunday = _case_file_formed(30)  # 11/8 Sunday: the period ends 11/9
    assert "case-file-deadline" not in _ids(late_sunday, "township-legal-office")
    tuesday = _case_file_formed(32)
    assert _ids(tuesday, "township-legal-office")["case-file-deadline"].due == at(
        "2026-11-09 23:59:59"
    )


def test_remote_work_rule_counts_from_the_return() -> None:
    trip = Trip("T1", at("2026-09-14 07:00"), at("2026-09-16 18:00"))
    case = edit(add(make_case(), "trips", trip), "acts", "A1", trip_id="T1")
    case = edit(case, "av_records", "AV1", stored_at=at("2026-09-17 20:00"))  # 26 h after return
    assert (
        _ids(case, "pengyang-bureau")["av-upload-deadline"].citation == "001§10"
    )  # 24 h after return
    assert "av-upload-deadline" not in _ids(case, "shanxi-township")  # 2 working days after return
    assert "av-upload-deadline" in _ids(
        case, "shanxi-forestry"
    )  # no remote rule: 24 h from recording


def test_remote_act_without_return_time_is_pending() -> None:
    case = add(make_case(), "trips", Trip("T1", at("2026-09-14 07:00")))  # not back yet
    case = edit(case, "acts", "A1", trip_id="T1")
    case = edit(case, "av_records", "AV1", stored_at=None)
    found = _ids(case, "shanxi-township")["av-upload-deadline"]
    assert found.status == "pending" and found.due is None


def test_initiation_approved_by_section_head_only_passes_002_but_not_004() -> None:
    case = make_case()
    steps = tuple(s for s in case.approvals[0].steps if s.position != "principal_head")
    case = edit(case, "approvals", "P1", steps=steps)
    assert "initiation-approval" not in _ids(case, "township-legal-office")
    assert _ids(case, "shanxi-forestry")["initiation-approval"].citation == "004§16"


def test_emergency_initiation_filed_within_24_hours_passes_only_where_002_allows_it() -> None:
    case = make_case()
    steps = case.approvals[0].steps

    def filed(when: str):
        return edit(
            case,
            "approvals",
            "P1",
            emergency=True,
            steps=tuple(replace(s, at=at(when)) for s in steps),
        )

    in_time = filed("2026-09-15 20:00")  # 11 h after the inquiry began
    assert "initiation-approval" not in _ids(in_time, "township-legal-office")
    assert _ids(in_time, "shanxi-forestry")["initiation-approval"].status == "violation"
    assert (
        _ids(filed("2026-09-16 10:00"), "township-legal-office")["initiation-approval"].status
        == "violation"
    )


def test_emergency_start_without_approval_yet_is_pending_for_24_hours() -> None:
    case = make_case(approvals=make_case().approvals[1:])
    found = _ids(case, "township-legal-office", now="2026-09-15 20:00")["initiation-approval"]
    assert found.status == "pending" and found.due == at("2026-09-16 09:00")


def test_copy_approver_differs_by_profile() -> None:
    from liuhen.domain.case import AccessDecision, AccessRequest

    request = AccessRequest(
        "R1",
        "copy",
        at("2026-10-29 10:00"),
        "王某",
        ("T1",),
        AccessDecision("granted", "赵敏", "legal_office_head", False, at("2026-10-30 10:00")),
    )
    case = add(make_case(), "access_requests", request)
    assert "copy-approval" not in _ids(case, "township-legal-office")  # 002§33 法制科负责人
    assert _ids(case, "pengyang-bureau")["copy-approval"].citation == "001§13"  # 机关负责人
    assert _ids(case, "shanxi-forestry")["copy-approval"].citation == "004§37"  # 局主要负责人


def test_deadline_in_a_year_without_calendar_data_is_flagged(tmp_path) -> None:
    case = edit(
        friday_evening_upload(0),
        "acts",
        "A2",
        started_at=at("2026-12-31 17:00"),
        ended_at=at("2026-12-31 17:30"),
    )
    case = edit(case, "text_records", "T2", started_at=None, ended_at=None)
    record = av("AV2", at("2026-12-31 17:00"), 30, act_id="A2")
    case = edit(
        case,
        "av_records",
        "AV2",
        segments=record.segments,
        precheck=record.precheck,
        stored_at=at("2027-01-04 10:00"),
    )
    found = _ids(case, "shanxi-township", now="2027-01-05 09:00")["av-upload-deadline"]
    assert found.calendar_unknown and found.status == "pending" and found.due is None
    assert "2027年" in found.message
    f = tmp_path / "2027.yaml"
    f.write_text("2027:\n  holidays: [2027-01-01..2027-01-03]\n  workdays: []\n", "utf-8")
    known = _ids(
        case, "shanxi-township", now="2027-01-05 09:00", calendar=WorkCalendar.from_files([f])
    )
    assert "av-upload-deadline" not in known  # 1/4 is the first working day, 1/5 the second
