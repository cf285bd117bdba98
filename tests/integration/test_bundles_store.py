"""Case bundles through the store: import, export, re-import elsewhere, same findings."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests import samples
from tests.helpers import SYSTEM

from liuhen.errors import BundleInvalid, InvalidInput
from liuhen.ledger.events import Actor
from liuhen.rules import case_to_bundle, load_bundle, load_profile
from liuhen.rules.engine import evaluate
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.services.cases.bundles import case_findings, export_bundle
from liuhen.store import tables as t
from liuhen.store.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def _keys(findings) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return sorted((f.rule_id, f.status, f.citation) for f in findings)


def _with_profile(case, profile: str) -> dict:  # type: ignore[no-untyped-def]
    bundle = case_to_bundle(case)
    bundle["agency"]["profile"] = profile
    return bundle


def _bundles() -> list[tuple[str, dict]]:
    late_av = samples.make_case("general")
    av = late_av.av_records[0]
    late_av = samples.edit(
        late_av, "av_records", av.id, stored_at=av.segments[-1].end + timedelta(hours=30)
    )
    general = samples.make_case("general")
    unsigned = samples.drop(general, "approvals", general.approvals[0].id)
    return [
        (
            "township example",
            json.loads((EXAMPLES / "township-general-penalty.json").read_text("utf-8")),
        ),
        (
            "forestry example",
            json.loads((EXAMPLES / "forestry-inspection-rectification.json").read_text("utf-8")),
        ),
        ("general, AV stored late", _with_profile(late_av, "township-legal-office")),
        ("general, initiation approval missing", _with_profile(unsigned, "shanxi-forestry")),
        ("inspection", _with_profile(samples.make_case("inspection"), "shanxi-forestry")),
        ("simple", _with_profile(samples.make_case("simple"), "shanxi-township")),
        ("coercion", _with_profile(samples.make_case("coercion"), "pengyang-bureau")),
    ]


@pytest.mark.parametrize(("label", "bundle"), _bundles(), ids=[b[0] for b in _bundles()])
def test_stored_case_has_the_findings_of_its_bundle(store, label, bundle):
    expected = _keys(
        evaluate(
            load_bundle(bundle), load_profile(bundle["agency"]["profile"]), WorkCalendar(), NOW
        )
    )
    result = import_bundle(store, SYSTEM, bundle)
    assert result.created
    assert _keys(case_findings(store, result.case_id, NOW)) == expected


def test_exported_bundle_reimported_elsewhere_gives_same_case_and_findings(
    store, tmp_path, clock, make_settings
):
    bundle = _bundles()[2][1]
    first = import_bundle(store, SYSTEM, bundle)
    exported = export_bundle(store, SYSTEM, first.case_id)
    other = make_settings(tmp_path / "other")
    initialise(other, admin_password="Admin-pass-2026", clock=clock)
    elsewhere = Store.open(other, clock=clock)
    try:
        second = import_bundle(elsewhere, SYSTEM, exported)
        again = export_bundle(elsewhere, SYSTEM, second.case_id)
        assert _keys(case_findings(elsewhere, second.case_id, NOW)) == _keys(
            case_findings(store, first.case_id, NOW)
        )
        assert _keys(case_findings(store, first.case_id, NOW)), "the late AV should give findings"
        strip = lambda b: json.dumps(  # noqa: E731 - ids differ between stores, nothing else may
            {k: v for k, v in b.items() if k != "case"}, sort_keys=True, ensure_ascii=False
        )
        assert (
            len(again["acts"]) == len(exported["acts"])
            and again["case"]["number"] == exported["case"]["number"]
        )
        assert strip(again).count('"kind"') == strip(exported).count('"kind"')
        assert verify(elsewhere, Actor.system("校验")).ok
    finally:
        elsewhere.close()


def test_import_is_idempotent(store):
    bundle = _bundles()[0][1]
    assert import_bundle(store, SYSTEM, bundle).created
    events = store.event_count()
    assert not import_bundle(store, SYSTEM, bundle).created
    assert store.event_count() == events


def test_bad_bundle_names_the_json_path_and_stores_nothing(store):
    bundle = _bundles()[0][1]
    bundle["acts"][0]["ended_at"] = "2020-01-01T00:00:00+08:00"
    events = store.event_count()
    with pytest.raises(BundleInvalid) as caught:
        import_bundle(store, SYSTEM, bundle)
    assert any("$.acts[0]" in d for d in caught.value.details)
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.cases)).scalar_one() == 0
    assert store.event_count() == events


def test_bundle_without_profile_is_refused(store):
    bundle = _bundles()[0][1]
    bundle["agency"].pop("profile")
    with pytest.raises(InvalidInput, match="agency.profile"):
        import_bundle(store, SYSTEM, bundle)


def test_import_then_verify_is_clean(store):
    for _label, bundle in _bundles():
        import_bundle(store, SYSTEM, bundle)
    report = verify(store, Actor.system("校验"))
    assert report.ok, report.problems
