"""Signing a saved document on the screen: the handwriting becomes the document's next
version with the image in its PDF and its digest on the ledger; a refusal keeps its reason
and the audio-video time mark; bad payloads are refused with one Chinese message and
nothing stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from tests.factories import make_agency
from tests.helpers import SYSTEM
from tests.signature_png import signature_png

from liuhen.demo.documents import sample_document
from liuhen.errors import Conflict, InvalidInput
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.documents import save_document
from liuhen.services.cases.queries.documents import record_files
from liuhen.services.cases.records import add_record, record_history
from liuhen.services.cases.signing import Refusal, sign_line
from liuhen.store import tables as t
from liuhen.store.store import Store


def events(store: Store, action: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(select(t.ledger_events).where(t.ledger_events.c.action == action))
        return [dict(r) for r in rows.mappings()]


@pytest.fixture
def document(store: Store, clock: Any) -> dict[str, str]:
    """An 现场检查笔录 saved for signing on the screen (its party box empty) and a recording
    of the case."""
    filled = sample_document("inspection_record")
    ids = make_agency(
        store,
        name=filled.agency or "示范镇人民政府",
        profile_id="township-legal-office",
        officers={o.name: o.certificate_number for o in filled.officers},
    )
    case = open_case(
        store,
        SYSTEM,
        agency_id=ids["agency"],
        number="示镇综执立〔2026〕31号",
        title="李建华占道经营案",
        procedure="general",
        party={"kind": "person", "name": "李建华"},
        opened_at=clock.now,
    )
    unsigned = replace(filled, signatures=tuple(s for s in filled.signatures if s.role != "party"))
    saved = save_document(
        store, SYSTEM, case_id=case, act_id=None, filled=unsigned, signing_on_screen=True
    )
    start = clock.now
    av = add_record(
        store,
        SYSTEM,
        case_id=case,
        act_id=None,
        kind="av",
        doc_kind="",
        title="现场执法录像",
        details={
            "device_id": "dev-1",
            "officer_id": ids[filled.officers[0].name],
            "segments": [
                {"start": start.isoformat(), "end": (start + timedelta(minutes=10)).isoformat()}
            ],
        },
    )
    return {"case": case, "record": saved.record_id, "av": av}


def _pdf_images(store: Store, record_id: str) -> int:
    pdf = next(f for f in record_files(store, record_id) if f["media_type"] == "application/pdf")
    sha = pdf["blob_sha256"]
    with store.blobs.open(sha) as f:
        reader = PdfReader(io.BytesIO(f.read()))
    return len({image.name for page in reader.pages for image in page.images})  # shared once


def _docx_pictures(store: Store, record_id: str) -> list[bytes]:
    docx = next(f for f in record_files(store, record_id) if f["file_name"].endswith(".docx"))
    with store.blobs.open(docx["blob_sha256"]) as f, zipfile.ZipFile(io.BytesIO(f.read())) as z:
        return [z.read(n) for n in z.namelist() if n.startswith("word/media/")]


def test_a_party_signature_makes_the_signed_version_with_its_image_on_the_ledger(
    store: Store, document: dict[str, str]
) -> None:
    png = signature_png()
    assert _pdf_images(store, document["record"]) == 0
    signed = sign_line(
        store,
        SYSTEM,
        case_id=document["case"],
        record_id=document["record"],
        slot="party-1",
        name="李建华",
        image=png,
    )
    history = record_history(store, document["record"])
    assert [r["id"] for r in history] == [document["record"], signed.record_id]
    party = history[-1]["details"]["signatures"][-1]
    assert party["role"] == "party" and party["image_sha256"] == signed.image_sha256
    assert "在屏幕上签名" in history[-1]["correction_reason"]
    assert _pdf_images(store, signed.record_id) == 1  # the handwriting, at its place
    assert _docx_pictures(store, document["record"]) == []
    assert _docx_pictures(store, signed.record_id) == [png]  # and in the Word copy
    event = events(store, "document.signed")[-1]
    assert event["payload"]["image_sha256"] == signed.image_sha256
    assert event["payload"]["slot"] == "party-1"
    with pytest.raises(Conflict, match="更新的版本"):  # the old version cannot be signed again
        sign_line(
            store,
            SYSTEM,
            case_id=document["case"],
            record_id=document["record"],
            slot="party-1",
            name="李建华",
            image=png,
        )


def test_a_refusal_keeps_its_reason_and_the_recording_time_mark(
    store: Store, document: dict[str, str]
) -> None:
    refused = sign_line(
        store,
        SYSTEM,
        case_id=document["case"],
        record_id=document["record"],
        slot="party-1",
        name="李建华",
        refusal=Refusal("对检查结果有异议", "王五（村委会）", document["av"], 195),
    )
    details = record_history(store, refused.record_id)[-1]["details"]
    refusal = details["refusals"][-1]
    assert refusal["reason"] == "对检查结果有异议"
    assert refusal["av_record_id"] == document["av"] and refusal["av_offset_seconds"] == 195
    event = events(store, "document.signature_refused")[-1]
    assert event["payload"]["av_offset_seconds"] == 195


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "签名为空"),
        (b"GIF89a" + b"\0" * 100, "不是 PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (300 * 1024), "签名图像过大"),
        ("blank", "签名为空"),
    ],
    ids=["empty", "not-png", "too-large", "nothing-drawn"],
)
def test_bad_signature_payloads_are_refused_with_one_message_and_nothing_stored(
    store: Store, document: dict[str, str], payload: Any, message: str
) -> None:
    if payload == "blank":
        payload = signature_png(strokes=0)
    events = store.event_count()
    with pytest.raises(InvalidInput) as caught:
        sign_line(
            store,
            SYSTEM,
            case_id=document["case"],
            record_id=document["record"],
            slot="party-1",
            name="李建华",
            image=payload,
        )
    assert len(caught.value.details) == 1
    assert caught.value.details[0].startswith("signature: ") and message in caught.value.details[0]
    assert store.event_count() == events


def test_a_refusal_without_reason_or_recording_names_each_field(
    store: Store, document: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        sign_line(
            store,
            SYSTEM,
            case_id=document["case"],
            record_id=document["record"],
            slot="party-1",
            name="李建华",
            refusal=Refusal("", "", "", None),
        )
    fields = {d.split(":")[0] for d in caught.value.details}
    assert fields == {"reason", "av_record"}
