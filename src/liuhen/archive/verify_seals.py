"""Step 5 of ``verify-package``: the case-file PDF's electronic seal.

A package exported since seals exist holds ``data/metadata/seal-certificate.pem`` (the
agency's seal certificate, then the seal CA's). The case file's seal must validate against
that CA — intact, valid, chained, covering the whole file — or the package fails, naming
``data/case-file.pdf``. As with the ledger key, the CA in the package proves only that the
file is as that CA's holder sealed it: ``seal_ca`` (the CA the agency publishes, PEM) pins
it, and without a pin the report gives the CA's fingerprint for the clerk to compare.
Documents issued under the agency's seal (``sealed`` in the file index) are checked the same
way (``check_document_seals``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from liuhen.archive.package_report import Bag, PackageReport

CASE_FILE = "data/case-file.pdf"
SEAL_CERTIFICATE = "data/metadata/seal-certificate.pem"


def check_case_file_seal(
    bag: Bag, report: PackageReport, seal_ca: bytes | None, tsa_ca: bytes | None = None
) -> None:
    from liuhen.documents.seal import check_seal

    chain = bag.read(SEAL_CERTIFICATE)
    if chain is None:
        if seal_ca is not None:
            report.add(SEAL_CERTIFICATE, "seal_missing", "包中没有印章证书：案卷未加盖电子印章")
        else:
            report.notes.append("案卷未加盖电子印章（导出时尚无电子印章功能）")
        return
    try:
        ca = x509.load_pem_x509_certificates(chain)[-1]
    except (ValueError, IndexError):
        report.add(SEAL_CERTIFICATE, "seal_certificate_invalid", "不是 PEM 格式的印章证书")
        return
    fingerprint = "SHA256:" + ca.fingerprint(hashes.SHA256()).hex()
    if seal_ca is not None:
        pinned = x509.load_pem_x509_certificate(seal_ca)
        if pinned.fingerprint(hashes.SHA256()) != ca.fingerprint(hashes.SHA256()):
            report.add(
                SEAL_CERTIFICATE,
                "seal_ca_unexpected",
                f"印章根证书指纹 {fingerprint} 不是给定的机关印章根证书：案卷不是由该机关盖章",
            )
            return
    pdf = bag.read(CASE_FILE)
    if pdf is None:
        return  # the bag step has named the missing file
    found = check_seal(pdf, chain[chain.rfind(b"-----BEGIN CERTIFICATE-----") :], tsa_ca)
    if not found.ok:
        report.add(CASE_FILE, "seal_invalid", f"案卷 PDF 的电子印章核验未通过：{found.problem}")
        return
    if not _stamped(report, CASE_FILE, found, tsa_ca):
        return
    pin = "" if seal_ca is not None else f"，印章根证书指纹 {fingerprint}（请与机关公布的核对）"
    stamp = f"，带 RFC 3161 时间戳（{found.timestamp}）" if found.timestamp else ""
    report.notes.append(f"案卷 PDF 加盖 {found.signer} 的电子印章{stamp}，核验通过{pin}")


def check_document_seals(
    bag: Bag,
    report: PackageReport,
    index: Mapping[str, Any],
    seal_ca: bytes | None,
    tsa_ca: bytes | None = None,
) -> None:
    """Every document the file index marks ``sealed`` (issued under the agency's seal) must
    carry a seal that validates against the seal CA (the one given, or the package's)."""
    from liuhen.documents.seal import check_seal

    sealed = [f for f in index.get("files") or [] if f.get("sealed") is True]
    if not sealed:
        return
    chain = bag.read(SEAL_CERTIFICATE) or b""
    ca = seal_ca or chain[chain.rfind(b"-----BEGIN CERTIFICATE-----") :]
    good = 0
    for entry in sealed:
        rel = str(entry.get("path", ""))
        pdf = bag.read(rel)
        if pdf is None:
            continue  # the bag step has named the missing file
        found = check_seal(pdf, ca, tsa_ca)
        if found.ok:
            good += _stamped(report, rel, found, tsa_ca)
        else:
            report.add(
                rel, "seal_invalid", f"以机关印章出具的文书，电子印章核验未通过：{found.problem}"
            )
    if good:
        report.notes.append(f"以机关印章出具的文书 {good} 份，电子印章核验通过")


def _stamped(report: PackageReport, rel: str, found: Any, tsa_ca: bytes | None) -> bool:
    """With a TSA root given, the seal must carry a timestamp that chains to it."""
    if tsa_ca is None or (found.timestamp and found.timestamp_trusted):
        return True
    if not found.timestamp:
        report.add(
            rel, "seal_timestamp_missing", "印章没有 RFC 3161 时间戳，而核验要求时间戳（--tsa-ca）"
        )
    else:
        report.add(
            rel,
            "seal_timestamp_untrusted",
            f"印章的时间戳（{found.timestamp}）不是由给定的时间戳服务根证书（--tsa-ca）签发",
        )
    return False
