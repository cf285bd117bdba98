"""The demo is data: every bundle in liuhen/demo validates and imports cleanly on each database,
the demo loads the same cases with the same findings as when it was built in Python, and every
document kind keeps its sample."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.helpers import SYSTEM

from liuhen.demo import data
from liuhen.demo.documents import sample_kinds
from liuhen.demo.loader import load_demo
from liuhen.documents import default_catalogue
from liuhen.rules.sources.bundle import validate_bundle
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.services.cases.bundles import assemble_bundle, bundle_findings, case_findings
from liuhen.store import tables as t

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
BUNDLES = [
    name for folder in ("recorded", "bundles", "samples") for name in data.bundle_names(folder)
]

# What the demo showed at NOW when services/demo.py and demo_cases.py built it in Python.
DEMO_FINDINGS = {
    "示镇综执立〔2026〕12号": [],
    "示镇综执罚〔2026〕21号": [],
    "示镇综执罚〔2026〕22号": [("av-upload-deadline", "violation")],
    "示镇当罚〔2026〕0031号": [],
    "示镇强〔2026〕3号": [],
    "示镇强〔2026〕4号": [("coercion-approval", "violation")],
    "示镇申〔2026〕15号": [("application-records", "violation"), ("av-required", "violation")],
    "示镇举〔2026〕9号": [("complaint-record", "violation")],
    "示林检〔2026〕7号": [],
    "示林罚〔2026〕12号": [("case-file-deadline", "violation")],
    "示林检〔2026〕8号": [("reinspection-signatures", "violation")],
}


def _keys(findings):  # type: ignore[no-untyped-def]
    return sorted((f.rule_id, f.status, f.due) for f in findings)


def test_the_demo_ships_its_bundles():
    assert len(data.bundle_names("recorded")) == 1
    assert len(data.bundle_names("bundles")) == 10
    assert len(data.bundle_names("samples")) == 4


@pytest.mark.parametrize("name", BUNDLES)
def test_demo_bundle_validates_and_imports_cleanly(store, name):
    bundle = data.read(name)
    assert validate_bundle(bundle, name) == []
    result = import_bundle(store, SYSTEM, bundle)
    assert result.created and result.number == bundle["case"]["number"]
    stored = assemble_bundle(store, result.case_id)
    assert len(stored["text_records"]) == len(bundle.get("text_records", []))
    assert len(stored["av_records"]) == len(bundle.get("av_records", []))
    assert _keys(case_findings(store, result.case_id, NOW)) == _keys(bundle_findings(bundle, NOW))


def test_demo_loads_the_cases_and_findings_it_had_in_python(store):
    result = load_demo(store, SYSTEM)
    assert result.loaded and set(result.accounts) == {
        p["username"] for p in data.roster()["people"]
    }
    with store.read() as conn:
        cases = dict(conn.execute(select(t.cases.c.number, t.cases.c.id)).all())
        recorded = sorted(
            conn.execute(
                select(
                    t.record_files.c.role, t.record_files.c.file_name, t.record_files.c.blob_sha256
                )
                .join(t.records, t.records.c.id == t.record_files.c.record_id)
                .where(t.records.c.case_id == cases["示镇综执立〔2026〕12号"])
            ).all()
        )
    assert set(cases) == set(DEMO_FINDINGS)
    found = {
        number: sorted((f.rule_id, f.status) for f in case_findings(store, case_id, NOW))
        for number, case_id in cases.items()
    }
    assert found == DEMO_FINDINGS
    # the officer's case keeps its stored 笔录 and footage, the segment naming the footage
    assert [(role, name) for role, name, _ in recorded] == [
        ("original", "现场检查笔录.txt"),
        ("segment", "DSJ-V9-0001_20261120092900.mp4"),
    ]
    bundle = assemble_bundle(store, cases["示镇综执立〔2026〕12号"])
    assert bundle["av_records"][0]["segments"][0]["sha256"] == recorded[1][2]


def test_every_document_kind_has_a_sample_in_the_demo_bundles():
    assert sample_kinds() == sorted(kind.code for kind in default_catalogue())
