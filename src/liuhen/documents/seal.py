"""Sealing a PDF with an agency's electronic seal, and checking a sealed PDF.

The seal is a PAdES signature (pyHanko, ``PAdES-B-B``: CMS with the signing certificate's
digest signed in) over the whole file, in a signature field on the last page whose
appearance is the red round seal (``seal_image``); any PDF reader shows who sealed it and
whether the file changed since. ``check_seal`` validates a sealed PDF against the seal CA:
intact (no byte of the signed range changed), the signature valid, the certificate chaining
to the CA, and the signature covering the entire file (nothing appended after it).

With a timestamp authority (``tsa_url``, the setting ``LIUHEN_SEAL_TSA_URL``) the signature
carries an RFC 3161 timestamp token over it (``PAdES-B-T``), fetched over HTTP when sealing;
``check_seal`` then requires the token intact and valid, reports its time, and says whether
it chains to a TSA root the caller trusts (``tsa_ca_pem``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from typing import Any, TypeVar

import aiohttp
from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from liuhen.errors import Unavailable
from liuhen.store.seal_keys import SealCredential

T = TypeVar("T")
FIELD = "LiuHenSeal"
BOX = (400, 60, 540, 200)
"""Where the seal sits on the last page (points from the lower left): the lower right,
where a 公章 goes over the date."""


@dataclass(frozen=True)
class SealCheck:
    """What ``check_seal`` found: ``ok`` only if every part holds."""

    sealed: bool
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    whole_file: bool = False
    signer: str = ""
    signed_at: str = ""
    problem: str = ""
    timestamp: str = ""
    """The RFC 3161 timestamp's time (ISO 8601), when the seal carries one."""
    timestamp_trusted: bool = False
    """Whether that timestamp's TSA chains to a root given to ``check_seal``."""

    @property
    def ok(self) -> bool:
        whole = self.sealed and self.intact and self.valid and self.trusted and self.whole_file
        return whole and not self.problem


def _asn1_cert(pem: bytes) -> asn1_x509.Certificate:
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def seal_pdf(
    pdf: bytes,
    credential: SealCredential,
    *,
    agency: str,
    reason: str,
    tsa_url: str | None = None,
) -> bytes:
    """``pdf`` with the seal of ``agency`` applied (the input is not changed); with
    ``tsa_url``, timestamped by that RFC 3161 authority (``Unavailable`` if it does not
    answer with a token: nothing is sealed)."""
    from liuhen.documents.seal_image import seal_image

    key = serialization.load_pem_private_key(credential.key_pem, password=None)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    ca = _asn1_cert(credential.ca_pem)
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(credential.cert_pem),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([ca]),  # type: ignore[no-untyped-call]
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    pages = int(writer.root["/Pages"]["/Count"])
    style = StaticStampStyle(background=PdfImage(seal_image(agency)), border_width=0)
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name=FIELD, reason=reason, name=agency),
        signer=signer,
        timestamper=HTTPTimeStamper(tsa_url, timeout=15) if tsa_url else None,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(FIELD, on_page=pages - 1, box=BOX),
    )
    try:
        out = _run(lambda: pdf_signer.async_sign_pdf(writer))
    except (TimestampRequestError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        detail = f"{type(exc).__name__}：{exc}"[:200]
        raise Unavailable(
            f"LIUHEN_SEAL_TSA_URL: 时间戳服务 {tsa_url} 没有给出时间戳（{detail}）："
            "文件未盖章，未保存任何内容，请稍后重试或检查该设置"
        ) from None
    return bytes(out.getvalue())


def check_seal(pdf: bytes, ca_pem: bytes, tsa_ca_pem: bytes | None = None) -> SealCheck:
    """Validate the seal of ``pdf`` against the seal CA ``ca_pem`` (and its timestamp, if
    any, against the TSA root ``tsa_ca_pem``); never raises (and pyHanko's own log of a
    failed path validation is kept quiet: the result says it)."""
    quiet = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.CRITICAL)
    try:
        return _check(pdf, ca_pem, tsa_ca_pem)
    finally:
        for q, level in zip(quiet, levels, strict=True):
            q.setLevel(level)


def _check(pdf: bytes, ca_pem: bytes, tsa_ca_pem: bytes | None) -> SealCheck:
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        found = [s for s in reader.embedded_signatures if s.field_name == FIELD]
    except Exception as exc:  # noqa: BLE001 — a file too damaged to read is the finding
        return SealCheck(False, problem=f"无法读取 PDF（{type(exc).__name__}）")
    if not found:
        return SealCheck(False, problem="没有电子印章")
    try:
        roots = [_asn1_cert(ca_pem), *([_asn1_cert(tsa_ca_pem)] if tsa_ca_pem else [])]
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = _run(lambda: async_validate_pdf_signature(found[0], context))
    except Exception as exc:  # noqa: BLE001
        return SealCheck(True, problem=f"印章无法核验（{type(exc).__name__}：{exc}）"[:200])
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    stamp = status.timestamp_validity
    stamp_ok = stamp is None or bool(stamp.intact and stamp.valid)
    sealed_ok = bool(status.intact and status.valid and status.trusted) and whole
    return SealCheck(
        sealed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        whole_file=whole,
        signer=_common_name(status.signing_cert),
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else "",
        problem=""
        if sealed_ok and stamp_ok
        else _why(status, whole)
        if not sealed_ok
        else "时间戳无效",
        timestamp=stamp.timestamp.isoformat() if stamp is not None else "",
        timestamp_trusted=bool(stamp is not None and stamp.trusted),
    )


def _common_name(cert: object) -> str:
    """The signer's name (the certificate's common name: the agency)."""
    try:
        return str(cert.subject.native.get("common_name", ""))  # type: ignore[attr-defined]
    except AttributeError:
        return ""


def _why(status: object, whole: bool) -> str:
    if not getattr(status, "intact", False):
        return "印章之后文件内容被改动"
    if not getattr(status, "valid", False):
        return "印章签名无效"
    if not getattr(status, "trusted", False):
        return "印章证书不是本机关印章根证书签发的"
    if not whole:
        return "印章之后文件被追加了内容"
    return "印章核验未通过"


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run pyHanko's coroutine to the end. Its synchronous wrappers call ``asyncio.run``,
    which fails in a thread whose event loop is running (a server's, a browser driver's):
    there the coroutine runs on a fresh loop in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def seal_digest(pdf: bytes) -> str:
    """The SHA-256 of a sealed file, as the ledger records it."""
    return hashlib.sha256(pdf).hexdigest()
