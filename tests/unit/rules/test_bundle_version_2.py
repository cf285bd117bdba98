"""Bundle version 2 (issue 18 item 2): a bundle that can hold real cases.

Several parties, trips (外出执法) that acts, services and records belong to, consent to
electronic service, on-the-spot corrections, service attempts, public notices with both dates,
the coercion documents of each measure; version-1 bundles are upgraded on import; and the rules
read the new facts, each both ways (a case that must be reported, a near-identical one not).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from tests.samples import add, at, change, edit
from tests.unit.rules.test_rules_catalogue import coercion, g, with_consent, with_service

from liuhen.domain.case import (
    Act,
    Application,
    Correction,
    ElectronicServiceConsent,
    Party,
    PublicNoticeEvidence,
    Receipt,
    ServiceAttempt,
    TextRecord,
    Trip,
)
from liuhen.errors import BundleInvalid
from liuhen.rules import WorkCalendar, case_to_bundle, evaluate, load_bundle, load_profile
from liuhen.rules.sources.bundle_migrate import upgrade

ROOT = Path(__file__).resolve().parents[3]
V1 = ROOT / "tests" / "data" / "bundles-v1"
NOW = at("2026-11-23 09:00")
CURRENT = {
    "examples": [ROOT / "docs" / "examples"],
    "demo": [ROOT / "src" / "liuhen" / "demo" / d for d in ("bundles", "samples", "recorded")],
    "published": [ROOT / "tests" / "data" / "published"],
}


def _ids(case, profile: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for f in evaluate(case, load_profile(profile), WorkCalendar(), NOW):
        found.setdefault(f.rule_id, []).append(f)
    return found


def full_case():
    """The township general case with every version-2 fact: a co-party who agreed to
    electronic service (its 确认书 T8), the inspection on a trip, a service tried by post first,
    a public notice with both dates, an application corrected on the spot (record T9)."""
    c = g()
    c = add(
        c,
        "text_records",
        TextRecord("T8", "electronic_service_consent", at("2026-09-15 10:00"), "A1"),
        TextRecord("T9", "correction_record", at("2026-09-15 10:05"), "A1"),
    )
    consent = ElectronicServiceConsent(at("2026-09-15 10:00"), "li@example.cn", "T8")
    co = Party(
        "person", "李某", "140102199202021234", "某镇东街1号", electronic_service=consent, id="P2"
    )
    c = change(c, co_parties=(co,), party=change(c.party, id="P1"))
    c = add(
        c, "trips", Trip("TR1", at("2026-09-14 07:00"), at("2026-09-14 18:00"), "外村", ("O1",))
    )
    c = edit(c, "acts", "A1", trip_id="TR1")
    tried = ServiceAttempt(at("2026-09-16 09:00"), "mail", "returned", None, "EMS1234", "查无此人")
    served = ServiceAttempt(at("2026-09-16 10:50"), "direct", "delivered", Receipt(True, True))
    c = edit(c, "services", "S1", attempts=(tried, served), party_id="P1")
    notice = PublicNoticeEvidence(
        "", "政府公告栏", at("2026-09-18 10:00"), True, True, at("2026-11-17 10:00")
    )
    c = add(c, "services", change(c.services[0], id="S8", mode="public_notice", av_record_ids=(),
                                   public_notice=notice, attempts=(tried,), party_id="P2"))  # fmt: skip
    fix = Correction(at("2026-09-15 10:05"), ("身份证号",), "T9")
    return change(c, application=Application(corrections=(fix,)))


def test_every_new_fact_round_trips_through_json() -> None:
    case = full_case()
    text = json.dumps(case_to_bundle(case), ensure_ascii=False)
    data = json.loads(text)
    assert data["version"] == 2 and data["co_parties"][0]["id"] == "P2"
    assert data["trips"][0]["returned_at"] == "2026-09-14T18:00:00+08:00"
    assert load_bundle(data) == case


def _v1_files() -> list[Path]:
    return sorted(V1.glob("*/*.json"))


@pytest.mark.parametrize("path", _v1_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_version_1_example_and_demo_bundle_imports_as_its_version_2_file(path) -> None:
    """Each version-1 example and demo bundle (kept as it was in tests/data/bundles-v1) loads,
    and is the very case its version-2 file holds, with the same findings."""
    old = json.loads(path.read_text("utf-8"))
    assert old["version"] == 1
    [now] = [d / path.name for d in CURRENT[path.parent.name] if (d / path.name).exists()]
    new = json.loads(now.read_text("utf-8"))
    assert new["version"] == 2
    case = load_bundle(old)
    assert case == load_bundle(new)
    # only the version changed, and a ``corrected_on_spot: false`` that said nothing went
    assert upgrade(old) == new
    profile = load_profile(old["agency"].get("profile") or "shanxi-township")
    assert evaluate(case, profile, WorkCalendar(), NOW) == evaluate(
        load_bundle(now), profile, WorkCalendar(), NOW
    )


def _version_1(case) -> dict:
    """``case`` written the way version 1 wrote it: remote/returned_at on the act and the
    service, consent_at on the service, corrected_on_spot on the application."""
    data = case_to_bundle(case)
    data["version"] = 1
    data["acts"][0] |= {"remote": True, "returned_at": "2026-09-20T10:00:00+08:00"}
    data["services"][0] |= {
        "remote": True,
        "returned_at": "2026-09-20T10:00:00+08:00",
        "consent_at": "2026-09-15T10:00:00+08:00",
    }
    data["case"]["application"] = {"accepted": True, "corrected_on_spot": True}
    data["text_records"].append(
        {"id": "T9", "kind": "correction_record", "made_at": "2026-09-15T10:05:00+08:00"}
    )
    return data


def test_a_version_1_bundle_moves_its_facts_to_trips_the_party_and_corrections() -> None:
    old = _version_1(g())
    frozen = copy.deepcopy(old)
    case = load_bundle(old)
    assert old == frozen  # the caller's dict is not changed
    [act_trip, service_trip] = case.trips
    assert (act_trip.id, act_trip.returned_at) == ("T-A1", at("2026-09-20 10:00"))
    assert act_trip.departed_at is None  # version 1 never said when they left
    assert case.acts[0].trip_id == "T-A1" and case.services[0].trip_id == service_trip.id
    assert case.party.electronic_service == ElectronicServiceConsent(at("2026-09-15 10:00"))
    assert case.application is not None
    assert case.application.corrections == (Correction(record_id="T9"),)
    assert upgrade(upgrade(old)) == upgrade(old)  # idempotent
    again = case_to_bundle(case)
    assert again["version"] == 2 and "remote" not in again["acts"][0]
    assert load_bundle(again) == case


def test_references_of_the_new_facts_are_checked_with_their_paths() -> None:
    data = case_to_bundle(full_case())
    data["acts"][0]["trip_id"] = "TR9"
    data["services"][0]["party_id"] = "P7"
    data["co_parties"][0]["electronic_service"]["record_id"] = "T77"
    data["case"]["application"]["corrections"][0]["record_id"] = "T78"
    data["trips"][0]["returned_at"] = "2026-09-14T06:00:00+08:00"
    [notice] = [i for i, s in enumerate(data["services"]) if s["id"] == "S8"]
    data["services"][notice]["public_notice"]["taken_down_at"] = "2026-09-17T10:00:00+08:00"
    with pytest.raises(BundleInvalid) as exc:
        load_bundle(data)
    assert set(exc.value.details) == {
        "$.acts[0].trip_id: 引用了不存在的外出执法 'TR9'",
        "$.services[0].party_id: 引用了不存在的当事人 'P7'",
        "$.co_parties[0].electronic_service.record_id: 引用了不存在的文书 'T77'",
        "$.case.application.corrections[0].record_id: 引用了不存在的文书 'T78'",
        "$.trips[0].returned_at: 返回时间早于出发时间",
        f"$.services[{notice}].public_notice.taken_down_at: 撤下时间早于公告发布时间",
    }
    del data["co_parties"][0]["id"]
    with pytest.raises(BundleInvalid):
        load_bundle(data)  # a co-party must have an id


# -- the rules on the new facts, both ways ---------------------------------------------------


def test_av_recorded_on_a_trip_outside_any_act_counts_from_the_return() -> None:
    """003§17 ¶2: every record made on the trip, not only an act's or a service's. AV1 ends
    2026-09-14 09:40; back on Sunday 09-20; stored Tuesday 09-22 09:00 is within 2 working days
    of the return but not of the recording."""
    stored = edit(g(), "av_records", "AV1", stored_at=at("2026-09-22 09:00"))
    trip = Trip("TR1", at("2026-09-14 07:00"), at("2026-09-20 10:00"))
    on_trip = edit(add(stored, "trips", trip), "av_records", "AV1", trip_id="TR1")
    assert "av-upload-deadline" in _ids(stored, "zhangying-town")
    assert "av-upload-deadline" not in _ids(on_trip, "zhangying-town")


def test_electronic_service_needs_the_consent_of_the_party_served() -> None:
    """行政处罚法§61 ¶2: the consent is the served party's own; a co-party's does not count."""
    consent = ElectronicServiceConsent(at("2026-09-16 10:00"))
    co = Party("person", "李某", electronic_service=consent, id="P2")
    case = change(with_service("electronic"), co_parties=(co,))
    to_principal = _ids(case, "township-legal-office")
    assert "行政处罚法§61" in {f.citation for f in to_principal.get("service-electronic", [])}
    to_co = edit(case, "services", "S9", party_id="P2")
    assert "service-electronic" not in _ids(to_co, "township-legal-office")
    assert "service-electronic" not in _ids(
        with_consent(with_service("electronic"), "2026-09-16 10:00"), "township-legal-office"
    )


def test_a_failed_attempt_records_why_other_modes_failed_before_a_public_notice() -> None:
    """002§27: why every other mode failed — a recorded failed attempt says it."""
    notice = PublicNoticeEvidence("", "政府公告栏", at("2026-09-17 10:00"), True, True)
    bare = with_service("public_notice", public_notice=notice)
    returned = ServiceAttempt(at("2026-09-16 09:00"), "mail", "returned", None, "EMS1", "查无此人")
    tried = edit(bare, "services", "S9", attempts=(returned,))
    assert "other_modes_failed" not in str(_ids(tried, "township-legal-office"))
    problems = [
        f.message for f in _ids(bare, "township-legal-office").get("service-public-notice", [])
    ]
    assert problems and "其他方式均无法送达" in problems[0]
    assert "service-public-notice" not in _ids(tried, "township-legal-office")


def test_each_coercion_measure_needs_its_own_documents() -> None:
    """行政强制法§44 and §37: a demolition needs its 公告 and 强制执行决定书, not a 查封、扣押
    决定书; §51: 代履行 needs its 代履行决定书."""
    c = coercion()
    demolition = Act(
        "A8", "demolish", at("2026-10-20 09:00"), at("2026-10-20 11:00"), "北山", ("O1", "O2")
    )
    c = add(c, "acts", demolition)
    missing = [f.message for f in _ids(c, "pengyang-bureau").get("case-documents", [])]
    assert any("强制拆除公告" in m for m in missing) and any("强制执行决定书" in m for m in missing)
    docs = (
        TextRecord("T20", "demolition_notice", at("2026-09-20 09:00")),
        TextRecord("T21", "enforcement_decision", at("2026-10-15 09:00")),
    )
    done = add(c, "text_records", *docs)
    missing = [f.message for f in _ids(done, "pengyang-bureau").get("case-documents", [])]
    assert not any("强制拆除公告" in m or "强制执行决定书" in m for m in missing)
    on_behalf = add(c, "acts", change(demolition, id="A9", kind="perform_on_behalf"))
    on_behalf = add(on_behalf, "text_records", *docs)
    cited = {f.citation for f in _ids(on_behalf, "pengyang-bureau").get("case-documents", [])}
    assert "行政强制法§51" in cited
    decided = add(
        on_behalf,
        "text_records",
        TextRecord("T22", "perform_on_behalf_decision", at("2026-10-16 09:00")),
    )
    cited = {f.citation for f in _ids(decided, "pengyang-bureau").get("case-documents", [])}
    assert "行政强制法§51" not in cited


def test_an_uncoded_interruption_is_reported_under_004_only() -> None:
    """004§9 非因技术原因不得中止: a stop explained only in words does not show it was
    technical; the other profiles take the words (000§14, 003§15)."""
    from tests.unit.rules.test_rules_catalogue import gap_case

    words = gap_case(True)
    assert "av-interruption" in _ids(words, "shanxi-forestry")
    assert "av-interruption" not in _ids(words, "zhangying-town")
    coded = gap_case(True, "battery")
    assert "av-interruption" not in _ids(coded, "shanxi-forestry")


HEAVY = """\
id: forestry-with-thresholds
name: 某林业局（含较大数额标准）
agency: 某林业局
source: 004_f52585dae22cddca.txt
extends: shanxi-forestry
rules:
  - id: collective-discussion
    params:
      heavy: {fines: {person: 5000, organisation: 50000}, kinds: [吊销许可证件], citation: 004§22}
"""


@pytest.fixture
def thresholds(tmp_path):
    path = tmp_path / "forestry-with-thresholds.yaml"
    path.write_text(HEAVY, "utf-8")
    return load_profile(path)


def test_a_fine_from_the_agencys_larger_amount_on_needs_collective_discussion(thresholds) -> None:
    """004§22: 较重的行政处罚 is collective; the agency's 较大数额 (profile data, cited) derives
    "heavy" from the amount and the party's kind, without the complex_or_major flag."""
    from liuhen.domain.case import Penalty

    def collective(case):
        found = evaluate(case, thresholds, WorkCalendar(), NOW)
        return [f for f in found if f.rule_id == "collective-discussion"]

    person = change(g().party, kind="person")
    heavy = change(g(), party=person, penalty=Penalty("fine", 6000))
    [found] = collective(heavy)
    assert found.citation == "004§22" and "罚款 6000 元达到较大数额 5000 元" in found.message
    assert collective(change(heavy, penalty=Penalty("fine", 4000))) == []
    organisation = change(heavy, party=change(person, kind="organisation"))
    assert collective(organisation) == []  # 50,000 for an organisation
    assert collective(change(organisation, penalty=Penalty("fine", 50000)))
    assert collective(change(g(), penalty=Penalty("吊销许可证件")))
    assert "collective-discussion" not in _ids(heavy, "shanxi-forestry")  # no amounts shipped
    assert "004§22" in thresholds.rule("collective-discussion").citations()


def test_a_version_2_file_holding_a_version_1_field_is_refused_by_name() -> None:
    """Only version 1 (and rows stored before version 2) are upgraded: a version-2 file that
    still says ``remote`` is told so; a version-1 ``remote`` that is not true/false is too."""
    data = case_to_bundle(g())
    data["acts"][0]["remote"] = True
    with pytest.raises(BundleInvalid) as exc:
        load_bundle(data)
    assert exc.value.details == ["$.acts[0]: 未知字段 remote"]
    data["version"] = 1
    assert load_bundle(data).trips[0].id == "T-A1"
    data["acts"][0]["remote"] = "是"
    with pytest.raises(BundleInvalid) as exc:
        load_bundle(data)
    assert exc.value.details == ["$.acts[0]: 未知字段 remote"]
