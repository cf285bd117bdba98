"""The agencies' electronic seals (电子印章): a key and certificate per agency, issued by
this installation's own seal CA, kept where every node finds them, encrypted.

The CA (an EC P-256 key and its self-signed certificate, ten years; entry ``ca``) and each
agency's seal key and certificate (five years, subject = the agency's name, key usage
digital signature + non-repudiation; entry ``agency:<id>``) are kept in a ``SealVault``:
the database's ``seal_keys`` table (``DatabaseVault``; every node of a cluster reads the
same one, and two nodes issuing at once end with one, the first insert) or, for a tool
without a database, a directory (``DirectoryVault``, files written whole, owner-only). Each
entry is the private key as encrypted PKCS#8 PEM (``BestAvailableEncryption``) followed by
the certificate: the key is never stored in the clear. The passphrase (``seal_passphrase``)
is the one configured for the signing key (``LIUHEN_KEY_PASSPHRASE_FILE`` /
``LIUHEN_KEY_PASSPHRASE``), else a random one in the key custody folder
(``keys/seal-passphrase``, owner-only, made with the first seal), which every node receives
with the signing key. Seals made before were plaintext files in one node's data directory
(``keys/seal-ca.pem``, ``keys/seals/<id>.pem``): ``adopt_node_seals`` moves them into the
vault, encrypted, and removes the files (a node whose CA lost to another node's drops its
own; the certificates it issued stay on the ledger). An external CA or an SM2 certificate
can replace these by configuration later; the sealing code takes any ``SealCredential``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from liuhen.config import Settings
from liuhen.errors import ConfigError
from liuhen.store.keys import ENCRYPTED_HEADER, key_passphrase, write_key

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


class SealVault(Protocol):
    """Where seal entries live: ``get`` an entry's bytes (None when absent); ``put_once``
    stores them unless the entry exists and says whether these bytes won."""

    def get(self, name: str) -> bytes | None: ...

    def put_once(self, name: str, data: bytes) -> bool: ...


class DirectoryVault:
    """Entries as files in a folder (``ca.pem``, ``agency-<id>.pem``), written whole."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, name: str) -> Path:
        return self.folder / (name.replace(":", "-") + ".pem")

    def get(self, name: str) -> bytes | None:
        path = self._path(name)
        return path.read_bytes() if path.exists() else None

    def put_once(self, name: str, data: bytes) -> bool:
        return write_key(self._path(name), data, replace=False)


class DatabaseVault:
    """Entries as rows of ``seal_keys`` (the first insert of a name wins)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def get(self, name: str) -> bytes | None:
        from sqlalchemy import select

        from liuhen.store.seal_tables import seal_keys

        with self.engine.connect() as conn:
            found = conn.execute(
                select(seal_keys.c.pem).where(seal_keys.c.name == name)
            ).scalar_one_or_none()
        return found.encode("ascii") if found is not None else None

    def put_once(self, name: str, data: bytes) -> bool:
        from sqlalchemy.exc import IntegrityError

        from liuhen.store.seal_tables import seal_keys

        try:
            with self.engine.begin() as conn:
                conn.execute(
                    seal_keys.insert().values(
                        name=name, pem=data.decode("ascii"), created_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            return False  # another node issued it first: use theirs
        return True


PASSPHRASE_FILE = "seal-passphrase"


def seal_passphrase(settings: Settings, vault: SealVault) -> bytes:
    """The passphrase the seal keys are encrypted with: the signing key's configured one,
    else ``keys/seal-passphrase`` (made here only while the vault holds no seal yet: a node
    without the file next to existing seals must be given it, not mint another).

    The file is looked for again after the vault has been asked: another process of this
    node (the same data directory) may have written the file and then the CA between the
    two looks, and its file is this node's."""
    configured = key_passphrase(settings)
    if configured is not None:
        return configured
    path = settings.data_dir / "keys" / PASSPHRASE_FILE
    if not path.exists():
        if vault.get("ca") is not None and not path.exists():
            raise ConfigError(
                f"LIUHEN_KEY_PASSPHRASE_FILE: 本库的电子印章已加密保存，本节点没有解开它的口令文件 {path}："
                "请从已在运行的节点的 keys/ 目录复制该文件（仅属主可读），或各节点设置同一口令"
                " LIUHEN_KEY_PASSPHRASE_FILE"
            )
        write_key(path, secrets.token_urlsafe(32).encode("ascii") + b"\n", replace=False)
    return path.read_bytes().strip()


def seal_ca(
    vault: SealVault, passphrase: bytes
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The installation's seal CA, created the first time it is asked for."""
    data = vault.get("ca")
    if data is None:
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
        vault.put_once("ca", _entry(key, cert, passphrase))
        data = vault.get("ca")
    return _decode(data, passphrase)


def agency_seal(
    vault: SealVault, passphrase: bytes, agency_id: str, agency_name: str
) -> tuple[SealCredential, bool]:
    """The seal of ``agency_id``, issued by the seal CA the first time it is asked for, and
    whether this call issued it (of processes issuing at once, only the one whose entry won)."""
    if not agency_id.isalnum():
        raise ValueError(f"agency id {agency_id!r} is not a plain identifier")
    ca_key, ca_cert = seal_ca(vault, passphrase)
    name = f"agency:{agency_id}"
    issued = False
    data = vault.get(name)
    if data is None:
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
        issued = vault.put_once(name, _entry(key, cert, passphrase))
        data = vault.get(name)
    key, cert = _decode(data, passphrase)
    credential = SealCredential(
        key_pem=_pem(key),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
    )
    return credential, issued


def adopt_node_seals(keys_dir: Path, vault: SealVault, passphrase: bytes) -> int:
    """Move the plaintext seal files an earlier version kept in this node's ``keys_dir``
    into ``vault``, encrypted, and remove them; returns how many files were taken in. An
    entry the vault holds already (another node adopted its own first) wins; this node's
    file is removed all the same (its certificates are on the ledger)."""
    moved = 0
    files = [(keys_dir / "seal-ca.pem", "ca")]
    folder = keys_dir / "seals"
    if folder.is_dir():
        files += [(p, f"agency:{p.stem}") for p in sorted(folder.glob("*.pem"))]
    for path, name in files:
        if not path.exists():
            continue
        data = path.read_bytes()
        if not data.lstrip().startswith(ENCRYPTED_HEADER):
            key = serialization.load_pem_private_key(data, password=None)
            if isinstance(key, ec.EllipticCurvePrivateKey):
                cert = x509.load_pem_x509_certificate(data)
                moved += vault.put_once(name, _entry(key, cert, passphrase))
        path.unlink()
    return moved


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


def _entry(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, passphrase: bytes) -> bytes:
    """What the vault keeps: the key encrypted (PKCS#8), then the certificate."""
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    return encrypted + cert.public_bytes(serialization.Encoding.PEM)


def _decode(
    data: bytes | None, passphrase: bytes
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    if data is None:
        raise ValueError("a seal entry vanished after it was written")
    return _decrypted(data, passphrase)


@lru_cache(maxsize=64)
def _decrypted(
    data: bytes, passphrase: bytes
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The key and certificate of an entry (decrypted once a process: the key derivation
    is slow on purpose, and an entry never changes)."""
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError):
        raise ConfigError(
            "LIUHEN_KEY_PASSPHRASE_FILE: 本节点的口令解不开本库保存的电子印章私钥：各节点须使用同一口令"
            "（LIUHEN_KEY_PASSPHRASE_FILE，或从已在运行的节点复制 keys/seal-passphrase）"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("a seal entry holds no EC key")
    return key, x509.load_pem_x509_certificate(data)
