"""The agencies' electronic seals (电子印章): a key and certificate per agency, issued by
this installation's own seal CA, kept in the data directory beside the ledger key.

``keys/seal-ca.pem`` holds the CA (an EC P-256 key and its self-signed certificate, ten
years); ``keys/seals/<agency id>.pem`` an agency's seal key and certificate (five years,
subject = the agency's name, key usage digital signature + non-repudiation). Each file is
written whole and readable by the owner only (``keys.write_key``: two processes creating
one at once end with the same one). An external CA or an SM2
certificate can replace these by configuration later; the sealing code takes any
``SealCredential``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from liuhen.store.keys import write_key

CA_YEARS = 10
SEAL_YEARS = 5


@dataclass(frozen=True)
class SealCredential:
    """An agency's seal: its private key and certificate (PEM), and the CA certificate."""

    key_pem: bytes
    cert_pem: bytes
    ca_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    @property
    def fingerprint(self) -> str:
        """``SHA256:`` and the hex SHA-256 of the certificate's DER."""
        return "SHA256:" + self.certificate.fingerprint(hashes.SHA256()).hex()


def seal_ca(keys_dir: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The installation's seal CA, created the first time it is asked for."""
    path = keys_dir / "seal-ca.pem"
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "留痕 电子印章根证书"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "留痕 LiuHen"),
            ]
        )
        cert = (
            _builder(name, name, key.public_key(), CA_YEARS)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        write_key(path, _pem(key) + cert.public_bytes(serialization.Encoding.PEM), replace=False)
    key, cert = _read(path)
    return key, cert


def agency_seal(keys_dir: Path, agency_id: str, agency_name: str) -> tuple[SealCredential, bool]:
    """The seal of ``agency_id``, issued by the seal CA the first time it is asked for, and
    whether this call issued it (of processes issuing at once, only the one whose file won)."""
    if not agency_id.isalnum():
        raise ValueError(f"agency id {agency_id!r} is not a plain identifier")
    ca_key, ca_cert = seal_ca(keys_dir)
    path = keys_dir / "seals" / f"{agency_id}.pem"
    issued = False
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, agency_name[:64]),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency_name[:64]),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"liuhen:{agency_id}"),
            ]
        )
        cert = (
            _builder(subject, ca_cert.subject, key.public_key(), SEAL_YEARS)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        pem = _pem(key) + cert.public_bytes(serialization.Encoding.PEM)
        issued = write_key(path, pem, replace=False)
    key, cert = _read(path)
    credential = SealCredential(
        key_pem=_pem(key),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
    )
    return credential, issued


def _builder(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey, years: int
) -> x509.CertificateBuilder:
    now = datetime.now(UTC) - timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365 * years))
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _read(path: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    data = path.read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: not an EC seal key")
    return key, x509.load_pem_x509_certificate(data)
