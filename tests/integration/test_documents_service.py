"""Documents made in LiuHen: validated, rendered to PDF and .docx, read by the engine."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from docx import Document
from pypdf import PdfReader
from tests.factories import make_agency, skip_steps
from tests.helpers import SYSTEM

from liuhen.demo.documents import sample_document
from liuhen.documents.catalogue import get_kind
from liuhen.errors import InvalidInput
from liuhen.services.admin.agency import add_officer, create_agency
from liuhen.services.cases.bundles import assemble_bundle
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.documents import correct_document, save_document
from liuhen.services.cases.queries.documents import record_files
from liuhen.services.cases.records import record_history


@pytest.fixture
def case(store, clock):  # type: ignore[no-untyped-def]
    filled = sample_document("inspection_record")
    agency = make_agency(
        store,
        name=filled.agency or "示范镇人民政府",
        profile_id="township-legal-office",
        officers={o.name: o.certificate_number for o in filled.officers},
    )["agency"]
    return open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number="示镇综执立〔2026〕30号",
        title="李建华占道经营案",
        procedure="general",
        party={"kind": "person", "name": "李建华"},
        opened_at=clock.now,
    )


def test_saved_document_is_rendered_stored_and_read_by_the_engine(store, case):
    filled = sample_document("inspection_record")
    saved = save_document(store, SYSTEM, case_id=case, act_id=None, filled=filled)
    files = {f["media_type"]: f for f in record_files(store, saved.record_id)}
    pdf = b"".join(
        store.blobs.read_range(saved.pdf_sha256, 0, store.blobs.size(saved.pdf_sha256) - 1)
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert filled.number in text.replace(" ", "")
    docx = Document(
        io.BytesIO(
            b"".join(
                store.blobs.read_range(
                    saved.docx_sha256, 0, store.blobs.size(saved.docx_sha256) - 1
                )
            )
        )
    )
    assert any(filled.number in p.text for p in docx.paragraphs) or any(
        filled.number in c.text for table in docx.tables for row in table.rows for c in row.cells
    )
    assert set(files) == {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
    record = next(
        r for r in assemble_bundle(store, case)["text_records"] if r["id"] == saved.record_id
    )
    assert record["kind"] == "inspection_record" and record["number"] == filled.number
    assert len(record["officer_ids"]) == len(filled.officers)


def test_missing_required_field_is_refused_and_nothing_is_stored(store, case):
    filled = sample_document("inspection_record")
    key = next(k for k, v in filled.values.items() if v)
    broken = replace(filled, values={**filled.values, key: ""})
    events, blobs = store.event_count(), len(list(store.blobs.iter_keys()))
    with pytest.raises(InvalidInput) as caught:
        save_document(store, SYSTEM, case_id=case, act_id=None, filled=broken)
    assert any(d.startswith(f"{key}:") for d in caught.value.details) or caught.value.details
    assert store.event_count() == events and len(list(store.blobs.iter_keys())) == blobs


def test_officer_not_on_the_agency_roster_is_refused(store, clock):
    filled = sample_document("inspection_record")
    agency = create_agency(store, SYSTEM, name="另一镇人民政府", profile_id="township-legal-office")
    first = filled.officers[0]
    add_officer(
        store, SYSTEM, agency_id=agency, name=first.name, certificate_no=first.certificate_number
    )
    case = open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number="另镇立〔2026〕1号",
        title="占道经营案",
        procedure="general",
        party={"kind": "person", "name": "李建华"},
        opened_at=clock.now,
    )
    events = store.event_count()
    with pytest.raises(InvalidInput) as caught:
        save_document(store, SYSTEM, case_id=case, act_id=None, filled=filled)
    assert (
        caught.value.details[0].startswith("officers:")
        and filled.officers[1].name in caught.value.details[0]
    )
    assert store.event_count() == events


def test_correction_is_a_new_version_with_new_renderings(store, case):
    filled = sample_document("inspection_record")
    first = save_document(store, SYSTEM, case_id=case, act_id=None, filled=filled)
    texts = {f.key for f in get_kind(filled.kind).fields if f.type in ("text", "multiline")}
    key = next(k for k, v in filled.values.items() if k in texts and v)
    fixed = replace(filled, values={**filled.values, key: filled.values[key] + "（补正）"})
    second = correct_document(
        store, SYSTEM, record_id=first.record_id, filled=fixed, reason="补正检查地点"
    )
    versions = record_history(store, second.record_id)
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["correction_reason"] == "补正检查地点"
    assert record_files(store, second.record_id) and record_files(store, first.record_id)


def test_a_document_issued_under_seal_carries_the_agencys_electronic_seal(store, case):
    """A 行政处罚决定书 is issued under the agency's seal: its PDF is sealed (PAdES, a visible
    seal on the last page), validates against the seal CA the ledger records, and names the
    agency; an unsealed 笔录 is not sealed."""
    from sqlalchemy import select

    from liuhen.archive.pdfa_check import pdfa_problems
    from liuhen.documents.seal import check_seal
    from liuhen.store import tables as t

    decision = save_document(
        store,
        SYSTEM,
        case_id=case,
        act_id=None,
        filled=sample_document("penalty_decision"),
        override=skip_steps(),  # the case has none of a decision's steps: this is about its seal
    )
    pdf = b"".join(
        store.blobs.read_range(decision.pdf_sha256, 0, store.blobs.size(decision.pdf_sha256) - 1)
    )
    with store.read() as conn:
        [issued] = conn.execute(
            select(t.ledger_events.c.payload).where(
                t.ledger_events.c.action == "seal.certificate_issued"
            )
        ).scalars()
    check = check_seal(pdf, issued["ca_certificate"].encode("ascii"))
    assert check.ok and "示范镇人民政府" in check.signer, check
    assert pdfa_problems(pdf) == [] and b"pdfaid:part" in pdf  # PDF/A-2b, sealed after
    record = save_document(
        store, SYSTEM, case_id=case, act_id=None, filled=sample_document("inspection_record")
    )
    plain = b"".join(
        store.blobs.read_range(record.pdf_sha256, 0, store.blobs.size(record.pdf_sha256) - 1)
    )
    assert check_seal(plain, issued["ca_certificate"].encode("ascii")).problem == "没有电子印章"
