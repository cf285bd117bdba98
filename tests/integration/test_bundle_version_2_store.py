"""Bundle version 2 through the store (issue 18 item 2): every new fact survives import and
export; a version-1 bundle is stored as version 2; a remote act recorded before version 2 is
read back on its trip."""

from __future__ import annotations

from tests.helpers import SYSTEM
from tests.unit.rules.test_bundle_version_2 import _version_1, full_case
from tests.unit.rules.test_rules_catalogue import g

from liuhen.rules import case_to_bundle, load_bundle
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.services.cases.bundles import export_bundle


def _by_id(items):  # type: ignore[no-untyped-def]
    return {i["id"]: i for i in items}


def test_every_new_fact_round_trips_through_import_and_export(store):
    bundle = case_to_bundle(full_case())
    bundle["agency"]["profile"] = "township-legal-office"
    bundle["party"]["electronic_service"] = {
        "consented_at": "2026-09-15T10:00:00+08:00",
        "record_id": "T8",
    }
    result = import_bundle(store, SYSTEM, bundle)
    out = export_bundle(store, SYSTEM, result.case_id)
    assert out["version"] == 2
    [co] = out["co_parties"]
    assert {k: v for k, v in co.items() if k != "electronic_service"} == {
        k: v for k, v in bundle["co_parties"][0].items() if k != "electronic_service"
    }
    [trip] = out["trips"]
    assert {k: v for k, v in trip.items() if k != "officer_ids"} == {
        k: v for k, v in bundle["trips"][0].items() if k != "officer_ids"
    }
    officers = _by_id(out["officers"])
    assert [officers[o]["name"] for o in trip["officer_ids"]] == ["张伟"]  # followed to new ids
    assert out["party"]["id"] == "P1"
    assert (
        out["party"]["electronic_service"]["record_id"]
        == out["co_parties"][0]["electronic_service"]["record_id"]
    )  # both confirmations are T8, under its new id
    texts = {t["kind"]: t["id"] for t in out["text_records"]}
    consent = out["co_parties"][0]["electronic_service"]
    assert consent["record_id"] == texts["electronic_service_consent"]  # followed to its new id
    assert consent["consented_at"] == bundle["co_parties"][0]["electronic_service"]["consented_at"]
    [fix] = out["case"]["application"]["corrections"]
    assert fix["record_id"] == texts["correction_record"] and fix["items"] == ["身份证号"]
    acts = [a for a in out["acts"] if a.get("trip_id")]
    assert [a["kind"] for a in acts] == ["inspection"] and acts[0]["trip_id"] == "TR1"
    sent = {s["mode"]: s for s in out["services"]}
    [tried] = [s for s in out["services"] if len(s.get("attempts", [])) == 2]
    assert tried["attempts"] == _by_id(bundle["services"])["S1"]["attempts"]
    assert sent["public_notice"]["public_notice"]["taken_down_at"] == "2026-11-17T10:00:00+08:00"
    assert sent["public_notice"]["party_id"] == "P2"
    again = load_bundle(out)  # the export is a valid version-2 bundle: same facts
    assert [p.name for p in again.parties] == [p.name for p in full_case().parties]


def test_a_version_1_bundle_is_stored_as_version_2(store):
    old = _version_1(g())
    old["agency"]["profile"] = "zhangying-town"
    result = import_bundle(store, SYSTEM, old)
    out = export_bundle(store, SYSTEM, result.case_id)
    assert out["version"] == 2 and "remote" not in out["acts"][0]
    assert sorted(t["id"] for t in out["trips"]) == sorted(
        "T-" + i["id"] for i in old["acts"][:1] + old["services"][:1]
    )
    assert out["party"]["electronic_service"] == {"consented_at": "2026-09-15T10:00:00+08:00"}
