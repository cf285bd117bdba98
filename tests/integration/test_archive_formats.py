"""Archive formats (issue 17 items 3 and 4): a case with a document issued under the agency's
seal exported as a package whose case file is PDF/A-2b and which holds an OFD rendition of
the case file and of each issued document; verify-package reports the PDF/A file, the OFD
files and the seals, and fails when one byte of any of them changes; an older package still
verifies; a seal is timestamped by an RFC 3161 authority over HTTP when one is configured."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ofdkit
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from tests.factories import make_agency, skip_steps
from tests.helpers import SYSTEM, run_cli
from tests.tsa_server import running_tsa

from liuhen.archive.pdfa_check import pdfa_problems
from liuhen.archive.verify_package import verify_package
from liuhen.demo.documents import sample_document
from liuhen.errors import PROBLEMS_FOUND
from liuhen.services.archiving.packages import export_package
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.documents import save_document
from liuhen.store import tables as t
from liuhen.store.store import Store

OLD_PACKAGE = Path(__file__).parent.parent / "data" / "packages" / "before-renditions"


def _open_case(store: Store) -> str:
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
        opened_at=store.clock(),
    )


@pytest.fixture(scope="module")
def package(templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """A case with a 现场检查笔录 and a 行政处罚决定书 issued under seal, exported (SQLite)."""
    from tests.conftest import ADMIN_PASSWORD, DEMO_TIME, FakeClock

    from liuhen.services.admin.setup import initialise

    root = tmp_path_factory.mktemp("formats")
    settings = templates.settings(root / "data", engine="sqlite")
    clock = FakeClock(DEMO_TIME)
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(settings, clock=clock)
    case = _open_case(store)
    save_document(
        store, SYSTEM, case_id=case, act_id=None, filled=sample_document("inspection_record")
    )
    save_document(
        store,
        SYSTEM,
        case_id=case,
        act_id=None,
        filled=sample_document("penalty_decision"),
        override=skip_steps(),
    )
    out = root / "package"
    export_package(store, SYSTEM, case, out)
    store.close()
    yield out


def _index(bag: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((bag / "data/metadata/files.json").read_text("utf-8"))


def _flip(bag: Path, rel: str, at: float = 0.5) -> None:
    path = bag / rel
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x01
    path.write_bytes(bytes(data))


def _copy(package: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(package, tmp_path / "copy"))


def test_case_file_is_pdfa_2b_by_the_offline_check_and_the_index_says_so(package):
    pdf = (package / "data/case-file.pdf").read_bytes()
    assert pdfa_problems(pdf) == []
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert reader.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    assert pdf.startswith(b"%PDF-1.7")
    case_file = _index(package)["case_file"]
    assert case_file["conformance"] == "PDF/A-2B" and case_file["pdfa_problems"] == []
    report = verify_package(package)
    assert report.ok, report.problems
    assert any("PDF/A-2B，通过" in n for n in report.notes), report.notes


def test_every_ofd_rendition_opens_in_an_independent_reader_with_the_pdfs_text(package):
    """ofdkit (a separate OFD reader from PyPI) opens each OFD; page by page its text runs,
    in drawing order, are the text pypdf extracts from the PDF the rendition is of (and its
    reading-order text has the same characters)."""
    renditions = _index(package)["renditions"]
    sources = sorted(r["source"] for r in renditions)
    assert sources[0] == "data/case-file.pdf" and len(renditions) == 3, sources
    assert all(r["standard"] == "GB/T 33190-2016" for r in renditions)
    for entry in renditions:
        with ofdkit.open((package / entry["path"]).read_bytes()) as doc:
            theirs = ["".join(run.text for run in page.runs) for page in doc.pages]
            reading = [page.text() for page in doc.pages]
            title = doc.info.title
        pdf = PdfReader(package / entry["source"])
        ours = [page.extract_text() for page in pdf.pages]
        assert len(theirs) == len(ours), entry["path"]
        for got, read, want in zip(theirs, reading, ours, strict=True):
            assert "".join(got.split()) == "".join(want.split()), entry["path"]
            assert sorted("".join(read.split())) == sorted("".join(want.split()))
        assert title
    decision = next(r for r in renditions if "行政处罚决定书" in r["path"])
    with ofdkit.open((package / decision["path"]).read_bytes()) as doc:
        assert "罚款人民币伍佰元整" in doc.text() and doc.info.author == "示范镇人民政府"
    report = verify_package(package, four_properties=True)
    assert any("OFD 版式文件 3 个" in n for n in report.notes), report.notes
    checks = report.four_properties["checks"]
    usable = [c for c in checks if c["item"].startswith("data/ofd/")]
    assert len(usable) == 3 and all(c["ok"] and "OFD 版式文件" in c["detail"] for c in usable)


def test_sealed_documents_are_marked_and_their_seals_checked(package, tmp_path):
    sealed = [f for f in _index(package)["files"] if f.get("sealed")]
    assert [Path(f["path"]).name[3:] for f in sealed] == ["行政处罚决定书.pdf"]
    report = verify_package(package)
    assert any("以机关印章出具的文书 1 份，电子印章核验通过" in n for n in report.notes)
    with running_tsa(datetime(2026, 11, 23, tzinfo=UTC)) as tsa:
        root = tsa.root_pem
    unstamped = verify_package(package, tsa_ca=root)
    missing = {p.item for p in unstamped.problems if p.kind == "seal_timestamp_missing"}
    assert missing == {"data/case-file.pdf", sealed[0]["path"]}, unstamped.problems


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("data/case-file.pdf", "pdfa_or_seal"),
        ("ofd:case-file", "ofd_invalid"),
        ("ofd:行政处罚决定书", "ofd_invalid"),
        ("sealed", "seal_invalid"),
    ],
)
def test_one_changed_byte_in_the_pdfa_an_ofd_or_a_sealed_document_fails(
    package, tmp_path, target, kind
):
    bag = _copy(package, tmp_path)
    index = _index(bag)
    if target.startswith("ofd:"):
        rel = next(r["path"] for r in index["renditions"] if target[4:] in r["path"])
    elif target == "sealed":
        rel = next(f["path"] for f in index["files"] if f.get("sealed"))
    else:
        rel = target
    _flip(bag, rel, at=0.4)
    report = verify_package(bag)
    assert not report.ok
    named = [p for p in report.problems if p.item == rel]
    assert named, report.problems
    kinds = {p.kind for p in named}
    if kind == "pdfa_or_seal":
        assert kinds & {"seal_invalid", "pdfa_invalid"}, kinds
    else:
        assert kind in kinds, kinds


def test_a_package_exported_before_the_archive_formats_still_verifies():
    """tests/data/packages/before-renditions was exported by the version before this one
    (files.json version 1: no PDF/A claim, no OFD, no ``sealed`` marks)."""
    assert _index(OLD_PACKAGE)["version"] == 1
    report = verify_package(OLD_PACKAGE)
    assert report.ok, report.problems
    assert any("尚无 PDF/A 案卷和 OFD 版式文件" in n for n in report.notes), report.notes


def test_a_seal_is_timestamped_by_the_configured_authority_over_http(make_settings, tmp_path):
    """With LIUHEN_SEAL_TSA_URL set, sealing a document asks that RFC 3161 authority (a real
    responder on 127.0.0.1) over HTTP; pyHanko validates the signature and its timestamp
    token against the seal CA and the TSA root; check_seal reports the token's time."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from tests.conftest import ADMIN_PASSWORD, DEMO_TIME, FakeClock

    from liuhen.documents.seal import FIELD, check_seal
    from liuhen.services.admin.setup import initialise

    stamped_at = datetime(2026, 11, 23, 2, 30, 5, tzinfo=UTC)
    with running_tsa(stamped_at) as tsa:
        settings = make_settings(tmp_path / "data", env={"LIUHEN_SEAL_TSA_URL": tsa.url})
        assert settings.seal_tsa_url == tsa.url
        clock = FakeClock(DEMO_TIME)
        initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
        store = Store.open(settings, clock=clock)
        try:
            case = _open_case(store)
            saved = save_document(
                store,
                SYSTEM,
                case_id=case,
                act_id=None,
                filled=sample_document("penalty_decision"),
                override=skip_steps(),
            )
            size = store.blobs.size(saved.pdf_sha256)
            pdf = b"".join(store.blobs.read_range(saved.pdf_sha256, 0, size - 1))
            with store.read() as conn:  # the seal CA, as the ledger recorded it
                [issued] = conn.execute(
                    select(t.ledger_events.c.payload).where(
                        t.ledger_events.c.action == "seal.certificate_issued"
                    )
                ).scalars()
            ca_pem = issued["ca_certificate"].encode("ascii")
            export_package(store, SYSTEM, case, tmp_path / "package")
        finally:
            store.close()
        assert tsa.requests, "the authority was asked over HTTP"
    from liuhen.documents.seal import _asn1_cert, _run

    [signature] = [
        s for s in PdfFileReader(io.BytesIO(pdf)).embedded_signatures if s.field_name == FIELD
    ]
    context = ValidationContext(
        trust_roots=[_asn1_cert(ca_pem), _asn1_cert(tsa.root_pem)], allow_fetching=False
    )
    status = _run(lambda: async_validate_pdf_signature(signature, context))  # any loop
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    assert stamp.timestamp == stamped_at and status.bottom_line
    check = check_seal(pdf, ca_pem, tsa.root_pem)
    assert check.ok and check.timestamp_trusted
    assert datetime.fromisoformat(check.timestamp) == stamped_at
    report = verify_package(tmp_path / "package")
    assert report.ok, report.problems
    assert any("带 RFC 3161 时间戳（2026-11-23T02:30:05+00:00）" in n for n in report.notes)
    (tmp_path / "tsa.pem").write_bytes(tsa.root_pem)
    pinned = run_cli(
        ["verify-package", str(tmp_path / "package"), "--tsa-ca", str(tmp_path / "tsa.pem")]
    )
    assert pinned.code == 0, pinned.out + pinned.err
    other = tmp_path / "other-tsa.pem"
    with running_tsa(stamped_at) as another:
        other.write_bytes(another.root_pem)
    refused = run_cli(["verify-package", str(tmp_path / "package"), "--tsa-ca", str(other)])
    assert refused.code == PROBLEMS_FOUND and "时间戳" in refused.out, refused.out
    report = verify_package(tmp_path / "package", tsa_ca=another.root_pem)
    assert report.first_problem is not None
    assert report.first_problem.kind == "seal_timestamp_untrusted"
    untrusted = check_seal(pdf, ca_pem)
    assert untrusted.ok and not untrusted.timestamp_trusted
    changed = bytearray(pdf)
    changed[len(pdf) // 3] ^= 0x01
    assert not check_seal(bytes(changed), ca_pem, tsa.root_pem).ok


def test_sealing_fails_whole_when_the_authority_does_not_answer(make_settings, tmp_path):
    from tests.conftest import ADMIN_PASSWORD, DEMO_TIME, FakeClock

    from liuhen.errors import Unavailable
    from liuhen.services.admin.setup import initialise

    with running_tsa(datetime(2026, 11, 23, tzinfo=UTC)) as tsa:
        url = tsa.url  # served, then closed: nobody listens there any more
    settings = make_settings(tmp_path / "data", env={"LIUHEN_SEAL_TSA_URL": url})
    clock = FakeClock(DEMO_TIME)
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        case = _open_case(store)
        with pytest.raises(Unavailable, match="LIUHEN_SEAL_TSA_URL"):
            save_document(
                store,
                SYSTEM,
                case_id=case,
                act_id=None,
                filled=sample_document("penalty_decision"),
                override=skip_steps(),
            )
        from liuhen.services.cases.bundles import assemble_bundle

        assert assemble_bundle(store, case)["text_records"] == []
    finally:
        store.close()


def _page_png(pdf: Path, page: int, tmp_path: Path) -> Any:
    import numpy as np
    from PIL import Image

    stem = tmp_path / f"{pdf.stem}-{page}"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "72", "-f", str(page), "-l", str(page), "-singlefile"]
        + [str(pdf), str(stem)],
        check=True,
    )
    return np.asarray(Image.open(f"{stem}.png").convert("L"), dtype=float)


def test_an_embedded_documents_seal_is_drawn_flat_as_it_looks_on_the_original(package, tmp_path):
    """The 决定书's seal (a signature field on its own file) is drawn into the case file's
    page: rendered by poppler, the seal's box there looks as on the original, not flipped."""
    from liuhen.documents.seal import BOX

    decision = next(p for p in (package / "data/documents").glob("*行政处罚决定书.pdf"))
    last = len(PdfReader(decision).pages)
    want = "".join(PdfReader(decision).pages[-1].extract_text().split())
    case_file = PdfReader(package / "data/case-file.pdf")
    pages = enumerate(case_file.pages, start=1)
    [at] = [i for i, p in pages if want in "".join(p.extract_text().split())]
    assert "/Annots" not in case_file.pages[at - 1] or all(
        a.get_object().get("/FT") != "/Sig" for a in case_file.pages[at - 1]["/Annots"]
    )
    original = _page_png(decision, last, tmp_path)
    drawn = _page_png(package / "data/case-file.pdf", at, tmp_path)
    height = original.shape[0]
    x1, y1, x2, y2 = BOX
    box = (slice(height - y2, height - y1), slice(x1, x2))
    ours, theirs = drawn[box], original[box]
    assert (theirs < 200).mean() > 0.05, "the original shows a seal there"
    assert abs(ours - theirs).mean() < 6, abs(ours - theirs).mean()
    assert abs(ours[::-1] - theirs).mean() > 2 * abs(ours - theirs).mean() + 1
