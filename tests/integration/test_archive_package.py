"""Archive packages (issue 6): a demo case exported as a BagIt bag that ``bagit`` validates
and ``verify_package`` verifies offline, and every kind of tampering named by the verifier.

Each tampering is tried twice: as a careless intruder does it (the manifests now disagree)
and as a careful one does it, rewriting both manifests and tag manifests afterwards, so the
checks behind the bag (signed checkpoint, inclusion proofs, the export event's digests, the
metadata) are the ones that must catch it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bagit
import pytest
from pypdf import PdfReader
from tests.conftest import FakeClock
from tests.helpers import SYSTEM, make_case_with_files, reseal_bag
from tests.integration.test_archive_case_file import (
    _check_catalogue_matches_pages,
    _fonts_embedded,
    _squash,
    _stamped,
)
from tests.signature_png import signature_png

from liuhen.archive.verify_package import verify_package
from liuhen.documents.catalogue import default_catalogue as catalogue
from liuhen.errors import InvalidInput, StorageError
from liuhen.ledger.canonical import digest
from liuhen.ledger.checkpoint import checkpoint_from_dict, load_public_key, verify_checkpoint
from liuhen.services.archiving.packages import export_package
from liuhen.services.archiving.queries.packages import current_records
from liuhen.services.cases.cases import find_case
from liuhen.services.cases.signing import sign_line, slot_of, taken_lines
from liuhen.store.store import Store

DEMO_NUMBER = "示镇综执立〔2026〕12号"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory, demos) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    """A copy of the demo on SQLite for the module, its clock three days on."""
    root = tmp_path_factory.mktemp("demo")
    demo = demos.open(root / "data", clock=FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
    yield demo.store
    demo.store.close()


@pytest.fixture(scope="module")
def package(demo_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo case's package, one of its documents signed by hand on the screen first."""
    case_id = find_case(demo_store, DEMO_NUMBER)
    record = next(r for r in current_records(demo_store, case_id) if r["doc_kind"] in catalogue())
    line = slot_of("party", taken_lines(record["details"], "party"))
    sign_line(
        demo_store, SYSTEM, case_id=case_id, record_id=record["id"], slot=line,
        name="李建华", image=signature_png(),
    )  # fmt: skip
    out = tmp_path_factory.mktemp("export") / "package"
    export_package(demo_store, SYSTEM, case_id, out)
    return out


def copy_of(package: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(package, target)
    return target


def files_index(bag: Path) -> dict:
    return json.loads((bag / "data/metadata/files.json").read_text("utf-8"))


def the_av_file(bag: Path) -> Path:
    return next((bag / "data/av").iterdir())


def reseal(bag: Path) -> None:
    """Rewrite both payload manifests, bag-info's Payload-Oxum and both tag manifests."""
    reseal_bag(bag)


# -- the five tamperings of issue 6 ------------------------------------------------------


def flip_av_byte(bag: Path) -> str:
    path = the_av_file(bag)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return path.relative_to(bag).as_posix()


def remove_document(bag: Path) -> str:
    path = next((bag / "data/documents").iterdir())
    path.unlink()
    return path.relative_to(bag).as_posix()


def change_event(bag: Path) -> str:
    path = bag / "data/ledger/events.jsonl"
    lines = path.read_text("utf-8").splitlines()
    event = json.loads(lines[0])
    event["actor_label"] = "王五（冒名）"
    lines[0] = json.dumps(event, ensure_ascii=False, sort_keys=True)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return f"#{event['seq']}"


def change_signature(bag: Path) -> str:
    path = bag / "data/ledger/checkpoint.json"
    cp = json.loads(path.read_text("utf-8"))
    signature = bytearray(__import__("base64").b64decode(cp["signature"]))
    signature[0] ^= 0x01
    cp["signature"] = __import__("base64").b64encode(bytes(signature)).decode()
    path.write_text(json.dumps(cp, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return "data/ledger/checkpoint.json"


def edit_metadata(bag: Path) -> str:
    path = bag / "data/metadata/case-bundle.json"
    bundle = json.loads(path.read_text("utf-8"))
    bundle["party"]["name"] = "另一家食杂店"
    path.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return "data/metadata/case-bundle.json"


TAMPERINGS: dict[str, Callable[[Path], str]] = {
    "av_byte_changed": flip_av_byte,
    "document_removed": remove_document,
    "ledger_event_changed": change_event,
    "checkpoint_signature_changed": change_signature,
    "metadata_edited": edit_metadata,
}
CARELESS_ITEM = {  # what the bag check names first when the manifests were left alone
    "ledger_event_changed": "data/ledger/events.jsonl",
}
CAREFUL_KIND = {  # which deeper check catches it when the manifests were rewritten
    "av_byte_changed": "export_mismatch",
    "document_removed": "export_file_missing",
    "ledger_event_changed": "event_altered",
    "checkpoint_signature_changed": "checkpoint_signature",
    "metadata_edited": "export_mismatch",
}


def _quiet_bagit_validate(bag: Path) -> None:
    logging.getLogger("bagit").disabled = True
    try:
        bagit.Bag(str(bag)).validate()
    finally:
        logging.getLogger("bagit").disabled = False


# -- tests --------------------------------------------------------------------------------


def test_demo_case_package_is_valid_for_bagit_and_verifies_offline(package, demo_store):
    _quiet_bagit_validate(package)  # raises BagValidationError if anything is off
    report = verify_package(package)
    assert report.ok, report.problems
    assert report.first_problem is None
    assert report.case["number"] == DEMO_NUMBER
    assert report.key_fingerprint == demo_store.fingerprint
    assert report.events >= 4 and report.proofs_verified == report.events
    names = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    for required in (
        "data/case-file.pdf",
        "data/metadata/case-bundle.json",
        "data/metadata/files.json",
        "data/ledger/events.jsonl",
        "data/ledger/proofs.json",
        "data/ledger/checkpoint.json",
        "data/ledger/public-key.pem",
        "manifest-sha256.txt",
        "manifest-sm3.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sm3.txt",
        "export-event.json",
    ):
        assert required in names


def test_package_holds_every_stored_file_of_the_case_byte_for_byte(package, demo_store):
    index = files_index(package)
    roles = {f["role"] for f in index["files"]}
    assert {"segment", "rendered", "signature"} <= roles  # the signed document: rendered
    for entry in index["files"]:
        data = (package / entry["path"]).read_bytes()
        with demo_store.blobs.open(entry["sha256"]) as stored:
            assert data == stored.read()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert hashlib.new("sm3", data).hexdigest() == entry["sm3"]
    bundle = json.loads((package / "data/metadata/case-bundle.json").read_text("utf-8"))
    segment = bundle["av_records"][0]["segments"][0]["sha256"]
    assert segment in {f["sha256"] for f in index["files"]}
    signed = [  # the handwriting is its own file of its document, in the manifests
        (r["id"], s["image_sha256"])
        for r in bundle["text_records"]
        for s in r.get("signatures", [])
        if s.get("image_sha256")
    ]
    pngs = [f for f in index["files"] if f["role"] == "signature"]
    assert signed and [(f["record_id"], f["sha256"]) for f in pngs] == signed
    manifest = (package / "manifest-sha256.txt").read_text("utf-8")
    assert all(f"{f['sha256']}  {f['path']}" in manifest for f in pngs)


def test_a_handwritten_signature_taken_out_of_the_package_is_named(package, tmp_path):
    bag = copy_of(package, tmp_path)
    index = files_index(bag)
    png = next(f for f in index["files"] if f["role"] == "signature")
    (bag / png["path"]).unlink()
    index["files"].remove(png)
    (bag / "data/metadata/files.json").write_text(json.dumps(index), "utf-8")
    reseal(bag)
    report = verify_package(bag)
    assert "signature_missing" in {p.kind for p in report.problems}, report.problems


def test_sm3_manifests_list_every_file_with_its_sm3(package):
    payload = {
        p.relative_to(package).as_posix() for p in (package / "data").rglob("*") if p.is_file()
    }
    lines = (package / "manifest-sm3.txt").read_text("utf-8").splitlines()
    listed = {line.split(None, 1)[1]: line.split(None, 1)[0] for line in lines}
    assert set(listed) == payload
    for rel, value in listed.items():
        assert hashlib.new("sm3", (package / rel).read_bytes()).hexdigest() == value
    tags = dict(
        reversed(line.split(None, 1))
        for line in (package / "tagmanifest-sm3.txt").read_text("utf-8").splitlines()
    )
    assert (
        hashlib.new("sm3", (package / "manifest-sm3.txt").read_bytes()).hexdigest()
        == tags["manifest-sm3.txt"]
    )


def test_export_is_a_signed_ledger_event_written_last_that_lists_every_file(package):
    record = json.loads((package / "export-event.json").read_text("utf-8"))
    export = record["event"]
    assert export["action"] == "case.exported" and export["payload"]["format"] == "bagit"
    assert digest(export["payload"]) == export["payload_digest"]
    for rel, key in (
        ("data/metadata/case-bundle.json", "metadata_sha256"),
        ("data/metadata/files.json", "files_sha256"),
        ("data/case-file.pdf", "case_file_sha256"),
    ):
        assert hashlib.sha256((package / rel).read_bytes()).hexdigest() == export["payload"][key]
    contents = {c["path"]: c for c in export["payload"]["contents"]}
    on_disk = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    unlisted = {"export-event.json", "tagmanifest-sha256.txt", "tagmanifest-sm3.txt"}
    assert set(contents) == on_disk - unlisted
    for rel, entry in contents.items():
        data = (package / rel).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["sm3"] == hashlib.new("sm3", data).hexdigest()
    cp, signature, _ = checkpoint_from_dict(record["checkpoint"])
    key = load_public_key((package / "data/ledger/public-key.pem").read_bytes())
    assert verify_checkpoint(key, cp, signature)
    assert cp.tree_size > export["seq"]
    events = (package / "data/ledger/events.jsonl").read_text("utf-8").splitlines()
    assert all(json.loads(line)["seq"] < export["seq"] for line in events)


@pytest.mark.parametrize("careful", [False, True], ids=["careless", "manifests_rewritten"])
@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_tampered_package_fails_and_names_the_item(package, tmp_path, tampering, careful):
    bag = copy_of(package, tmp_path)
    named = TAMPERINGS[tampering](bag)
    if careful:
        reseal(bag)
    report = verify_package(bag)
    assert not report.ok
    first = report.first_problem
    assert first is not None
    if careful:
        assert first.kind == CAREFUL_KIND[tampering], report.problems
        assert named in first.item, (named, first)
    else:
        assert CARELESS_ITEM.get(tampering, named) in first.item, (named, first)
        with pytest.raises(bagit.BagError):
            _quiet_bagit_validate(bag)


def test_extra_file_in_the_bag_is_named(package, tmp_path):
    bag = copy_of(package, tmp_path)
    (bag / "data/documents/补充材料.txt").write_text("后来放进去的", "utf-8")
    report = verify_package(bag)
    assert report.first_problem.kind == "file_unlisted"
    assert report.first_problem.item == "data/documents/补充材料.txt"


def test_not_a_package_is_unreadable_input(tmp_path):
    with pytest.raises(InvalidInput):
        verify_package(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="bagit.txt"):
        verify_package(tmp_path / "empty")


def test_export_refuses_a_directory_that_is_not_empty(demo_store, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "x.txt").write_text("x", "utf-8")
    with pytest.raises(InvalidInput, match="--out"):
        export_package(demo_store, SYSTEM, find_case(demo_store, DEMO_NUMBER), out)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_imported_case_without_files_exports_and_says_what_is_not_held(demo_store, tmp_path):
    out = tmp_path / "imported"
    result = export_package(
        demo_store, SYSTEM, find_case(demo_store, "示镇当罚〔2026〕0031号"), out
    )
    assert result.files == 0
    report = verify_package(out)
    assert report.ok, report.problems
    index = files_index(out)
    bundle = json.loads((out / "data/metadata/case-bundle.json").read_text("utf-8"))
    segments = [s for r in bundle["av_records"] for s in r.get("segments", [])]
    assert len(index["not_held"]) == len(segments)
    if segments:
        assert any("只有摘要" in note for note in report.notes)


def test_export_works_on_each_database_and_refuses_a_damaged_blob(store, tmp_path):
    made = make_case_with_files(store, tmp_path)
    out = tmp_path / "pkg"
    result = export_package(store, SYSTEM, made["case"], out)
    assert verify_package(out).ok
    assert result.event_seq < result.tree_size
    blob = (
        Path(store.settings.data_dir)
        / "blobs/sha256"
        / made["blob"][:2]
        / made["blob"][2:4]
        / made["blob"]
    )
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes().replace("货架".encode(), "纸箱".encode()))
    events = store.event_count()
    with pytest.raises(StorageError, match="fixity"):
        export_package(store, SYSTEM, made["case"], tmp_path / "pkg2")
    assert store.event_count() == events  # no export event for a package never completed
    assert not (tmp_path / "pkg2").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pkg2")]


def test_forged_event_with_recomputed_hashes_fails_its_inclusion_proof(package, tmp_path):
    from liuhen.ledger.chain import chain_hash
    from liuhen.ledger.events import EVENT_FIELDS, event_bytes
    from liuhen.ledger.merkle import leaf_hash

    bag = copy_of(package, tmp_path)
    path = bag / "data/ledger/events.jsonl"
    lines = path.read_text("utf-8").splitlines()
    event = json.loads(lines[1])
    event["payload"] = {**event["payload"], "forged": "改过的内容"}
    event["payload_digest"] = digest(event["payload"])
    raw = event_bytes({k: event[k] for k in EVENT_FIELDS})
    event["event_bytes"] = raw.decode("utf-8")
    event["leaf_hash"] = leaf_hash(raw).hex()
    event["chain_hash"] = chain_hash(bytes.fromhex(event["prev_hash"]), raw).hex()
    lines[1] = json.dumps(event, ensure_ascii=False, sort_keys=True)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    reseal(bag)
    report = verify_package(bag)
    assert report.first_problem.kind == "proof_failed"
    assert f"#{event['seq']}" in report.first_problem.item


def test_published_fingerprint_is_checked_when_given(package, demo_store):
    assert verify_package(package, expected_fingerprint=demo_store.fingerprint).ok
    report = verify_package(package, expected_fingerprint="SHA256:" + "0" * 64)
    assert report.first_problem.kind == "key_unexpected"


def test_the_case_file_is_sealed_and_its_seal_checked_offline(package, demo_store, tmp_path):
    """The case-file PDF carries the agency's electronic seal; verify-package checks it
    against the CA the package carries (its fingerprint noted for the clerk) or the one the
    agency publishes (``seal_ca``); a re-sealed file from another CA, a swapped certificate
    file with rebuilt manifests, or a wrong pin each fail, naming the file."""
    from liuhen.documents.seal import check_seal, seal_pdf
    from liuhen.store.seal_keys import DirectoryVault, agency_seal

    chain = (package / "data/metadata/seal-certificate.pem").read_bytes()
    ca = chain[chain.rfind(b"-----BEGIN CERTIFICATE-----") :]
    check = check_seal((package / "data/case-file.pdf").read_bytes(), ca)
    assert check.ok and check.signer == demo_store_agency(demo_store), check
    report = verify_package(package)
    assert report.ok and any("电子印章，核验通过" in n and "SHA256:" in n for n in report.notes)
    assert verify_package(package, seal_ca=ca).ok
    other, _issued = agency_seal(DirectoryVault(tmp_path / "other"), b"x", "x1", "冒名机关")
    wrong = verify_package(package, seal_ca=other.ca_pem)
    assert wrong.first_problem.kind == "seal_ca_unexpected"
    bag = copy_of(package, tmp_path)
    import weasyprint  # type: ignore[import-untyped]

    forged_pdf = weasyprint.HTML(string="<h1>行政执法案卷</h1>").write_pdf()
    resealed = seal_pdf(forged_pdf, other, agency="冒名机关", reason="x")
    (bag / "data/case-file.pdf").write_bytes(resealed)
    (bag / "data/metadata/seal-certificate.pem").write_bytes(other.cert_pem + other.ca_pem)
    forged = verify_package(bag, seal_ca=ca)
    assert not forged.ok and "data/metadata/seal-certificate.pem" in {
        p.item for p in forged.problems
    }


def demo_store_agency(store) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from liuhen.store import tables as t

    with store.read() as conn:
        return str(conn.execute(select(t.agencies.c.name)).scalars().first())


def test_demo_case_file_reads_in_chinese_and_its_catalogue_cites_the_real_pages(package):
    reader = PdfReader(package / "data/case-file.pdf")
    index = json.loads((package / "data/metadata/files.json").read_text("utf-8"))
    catalogue = index["catalogue"]
    assert [c["title"] for c in catalogue] == [
        "现场检查（勘验）笔录",
        "音像资料说明（现场检查音像记录）",
    ]
    cover = _squash(reader.pages[0].extract_text())
    for text in (
        "示范县老街食杂店占道经营案",
        "示镇综执立〔2026〕12号",
        "行政处罚案卷",
        "共2件，2页",
    ):
        assert text in cover
    _check_catalogue_matches_pages(reader, catalogue)
    av_page = _squash(reader.pages[_stamped(reader)[2]].extract_text())
    for label in ("存储位置", "制作方法", "制作时间", "制作人", "证明对象", "声像内容摘要"):
        assert label in av_page
    assert "卷内备考表" in _squash(reader.pages[-1].extract_text())
    assert any("NotoSerifCJK" in name.replace("-", "") for name in _fonts_embedded(reader))


def test_four_properties_report_ships_in_the_package(package):
    report = json.loads((package / "data/metadata/four-properties.json").read_text("utf-8"))
    assert report["standard"] == "DA/T 70-2018" and report["ok"] is True
    names = {k: v["name"] for k, v in report["summary"].items()}
    assert names == {
        "authenticity": "真实性",
        "integrity": "完整性",
        "usability": "可用性",
        "security": "安全性",
    }
    usable = {c["item"] for c in report["checks"] if c["property"] == "usability" and c["ok"]}
    assert {f["path"] for f in files_index(package)["files"]} <= usable
    # the demo's footage lasts as long as its segment says: nothing to flag
    assert [c for c in report["checks"] if not c["ok"]] == []


def test_segment_longer_than_its_file_is_a_warning(package, tmp_path):
    from liuhen.archive.four_properties import assess_package

    bag = copy_of(package, tmp_path)
    bundle_path = bag / "data/metadata/case-bundle.json"
    bundle = json.loads(bundle_path.read_text("utf-8"))
    segment = bundle["av_records"][0]["segments"][0]
    segment["end"] = (datetime.fromisoformat(segment["end"]) + timedelta(hours=1)).isoformat()
    bundle_path.write_text(json.dumps(bundle, ensure_ascii=False), "utf-8")
    report = assess_package(bag, checked_at=datetime(2026, 11, 24, tzinfo=UTC))
    warnings = [c for c in report.checks if not c.ok and c.level == "warning"]
    assert any("文件时长" in c.detail for c in warnings), [
        c.detail for c in report.checks if not c.ok
    ]


def test_four_properties_name_an_unusable_file_and_missing_metadata(package, tmp_path):
    from liuhen.archive.four_properties import assess_package

    bag = copy_of(package, tmp_path)
    video = the_av_file(bag)
    video.write_bytes(b"not a video at all" * 100)
    bundle_path = bag / "data/metadata/case-bundle.json"
    bundle = json.loads(bundle_path.read_text("utf-8"))
    del bundle["av_records"][0]["stored_at"]
    bundle_path.write_text(json.dumps(bundle, ensure_ascii=False), "utf-8")
    report = assess_package(bag, checked_at=datetime(2026, 11, 24, tzinfo=UTC))
    summary = report.summary()
    assert not summary["usability"]["ok"] and not summary["integrity"]["ok"]
    assert not summary["authenticity"]["ok"] and summary["security"]["ok"]
    failed = {(c.property, c.item) for c in report.checks if not c.ok and c.level == "error"}
    rel = video.relative_to(bag).as_posix()
    assert ("usability", rel) in failed and ("authenticity", rel) in failed
    assert any(p == "integrity" and "音像记录" in item for p, item in failed)


def test_four_properties_fail_a_case_file_whose_chinese_font_is_not_embedded(package, tmp_path):
    from tests.pdf_samples import pdf_with_unembedded_song

    from liuhen.archive.four_properties import assess_package

    bag = copy_of(package, tmp_path)
    (bag / "data/case-file.pdf").write_bytes(pdf_with_unembedded_song("案卷封面"))
    report = assess_package(bag, checked_at=datetime(2026, 11, 24, tzinfo=UTC))
    usability = [c for c in report.checks if c.property == "usability" and not c.ok]
    assert [(c.item, c.level) for c in usability] == [("data/case-file.pdf", "error")]
    assert "STSong-Light" in usability[0].detail and "未嵌入" in usability[0].detail
    fine = assess_package(package, checked_at=datetime(2026, 11, 24, tzinfo=UTC))
    assert fine.summary()["usability"]["ok"], [c.detail for c in fine.checks if not c.ok]
