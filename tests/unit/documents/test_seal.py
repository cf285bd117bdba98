"""The agency's electronic seal on a PDF: it validates against the installation's seal CA,
and a changed byte, appended bytes, another installation's CA or no seal at all are each
named; the seal key and certificate are made once and kept."""

from __future__ import annotations

from pathlib import Path

import weasyprint  # type: ignore[import-untyped]

from liuhen.documents.seal import check_seal, seal_pdf
from liuhen.store.seal_keys import DirectoryVault, agency_seal

PASS = b"seal-test-passphrase"

AGENCY = "永济市张营镇人民政府"


def a_pdf() -> bytes:
    return weasyprint.HTML(string="<h1>询问笔录（复制件）</h1><p>被询问人：王某</p>").write_pdf()


def test_a_sealed_pdf_validates_and_names_the_agency(tmp_path):
    vault = DirectoryVault(tmp_path)
    credential, _issued = agency_seal(vault, PASS, "a1", AGENCY)
    sealed = seal_pdf(a_pdf(), credential, agency=AGENCY, reason="复制件")
    check = check_seal(sealed, credential.ca_pem)
    assert check.ok and AGENCY in check.signer and check.signed_at
    assert agency_seal(vault, PASS, "a1", AGENCY) == (credential, False), "made once, kept"
    assert (tmp_path / "agency-a1.pem").stat().st_mode & 0o077 == 0
    kept = (tmp_path / "agency-a1.pem").read_bytes()
    assert kept.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert b"BEGIN PRIVATE KEY" not in kept


def test_tampering_appending_and_a_foreign_ca_are_each_named(tmp_path):
    credential, _issued = agency_seal(DirectoryVault(tmp_path / "ours"), PASS, "a1", AGENCY)
    sealed = seal_pdf(a_pdf(), credential, agency=AGENCY, reason="复制件")
    changed = bytearray(sealed)
    changed[200] ^= 0x01
    assert check_seal(bytes(changed), credential.ca_pem).problem == "印章之后文件内容被改动"
    appended = check_seal(sealed + b"\n% appended after the seal\n", credential.ca_pem)
    assert not appended.ok and appended.problem == "印章之后文件被追加了内容"
    assert not check_seal(sealed + b"\n%%EOF\n", credential.ca_pem).ok
    theirs, _issued = agency_seal(DirectoryVault(tmp_path / "theirs"), PASS, "a1", AGENCY)
    foreign = check_seal(sealed, theirs.ca_pem)
    assert not foreign.ok and foreign.problem == "印章证书不是本机关印章根证书签发的"


def test_an_unsealed_or_unreadable_file_is_a_finding_not_a_traceback(tmp_path):
    credential, _issued = agency_seal(DirectoryVault(tmp_path), PASS, "a1", AGENCY)
    assert check_seal(a_pdf(), credential.ca_pem).problem == "没有电子印章"
    unreadable = check_seal(b"not a pdf", credential.ca_pem)
    assert not unreadable.sealed and unreadable.problem.startswith("无法读取 PDF")


def _issue(args: tuple[str, str]) -> tuple[bytes, bool]:
    credential, issued = agency_seal(DirectoryVault(Path(args[0])), PASS, args[1], AGENCY)
    return credential.cert_pem, issued


def test_four_processes_issuing_one_agencys_seal_at_once_end_with_one_certificate(tmp_path):
    """The seal file is linked into place whole: every process gets the same certificate and
    exactly one of them is the issuer (the one that records it on the ledger)."""
    from tests.processes import racing_context

    with racing_context().Pool(4) as pool:
        results = pool.map(_issue, [(str(tmp_path), "a1")] * 4)
    assert len({cert for cert, _ in results}) == 1
    assert [issued for _, issued in results].count(True) == 1
