"""Signed checkpoints: the ledger's Merkle root at a size and time, signed with Ed25519.

The signed body follows the C2SP ``tlog-checkpoint`` note: four lines, each ending in
``\\n``, UTF-8::

    liuhen/example-agency                       origin: names the log
    8                                           tree size, decimal, no leading zeros
    XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=    root hash, standard base64
    2024-05-01T08:30:00.000000Z                 time, UTC, microseconds, ``Z``

The fourth line takes the place of a C2SP extension line. The time is normalised to UTC,
so a checkpoint made at ``+08:00`` signs the same bytes as the same instant in UTC. The
origin is printable, at most 255 characters, and has no whitespace or ``+`` (as C2SP asks).

Keys are Ed25519, as unencrypted PKCS#8 PEM (``private_key_pem`` / ``load_private_key``;
``store.keys`` keeps the file, readable by the owner only); the CLI names a public key by
``key_fingerprint``: ``SHA256:`` and the hex SHA-256 of its raw 32 bytes.
``checkpoint_to_dict`` / ``checkpoint_from_dict`` give the JSON form used in the checkpoint
log and in export packages. Pure: no file is read or written here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ROOT_SIZE = 32
SIGNATURE_SIZE = 64
_MAX_ORIGIN = 255
_FINGERPRINT = re.compile(r"SHA256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Checkpoint:
    """The state of one log: ``root_hash`` of its first ``tree_size`` leaves at ``timestamp``.

    Validated on construction, so every ``Checkpoint`` has a body that can be signed.
    """

    tree_size: int
    root_hash: bytes
    timestamp: datetime
    origin: str

    def __post_init__(self) -> None:
        if not isinstance(self.tree_size, int) or isinstance(self.tree_size, bool):
            raise ValueError("tree_size must be an int")
        if self.tree_size < 0:
            raise ValueError(f"tree_size must not be negative: {self.tree_size}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != ROOT_SIZE:
            raise ValueError(f"root_hash must be {ROOT_SIZE} bytes")
        if not isinstance(self.timestamp, datetime) or self.timestamp.utcoffset() is None:
            raise ValueError("timestamp must be a timezone-aware datetime")
        _check_origin(self.origin)


def _check_origin(origin: object) -> None:
    if not isinstance(origin, str) or not origin:
        raise ValueError("origin must be a non-empty string")
    if len(origin) > _MAX_ORIGIN:
        raise ValueError(f"origin is longer than {_MAX_ORIGIN} characters")
    if not origin.isprintable() or "+" in origin or any(ch.isspace() for ch in origin):
        raise ValueError(f"origin must be printable, without whitespace or '+': {origin!r}")


def _timestamp_text(timestamp: datetime) -> str:
    utc = timestamp.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def checkpoint_body(cp: Checkpoint) -> bytes:
    """The exact bytes that are signed (see the module docstring)."""
    root = base64.b64encode(cp.root_hash).decode("ascii")
    text = f"{cp.origin}\n{cp.tree_size}\n{root}\n{_timestamp_text(cp.timestamp)}\n"
    return text.encode("utf-8")


def generate_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """``key`` as unencrypted PKCS#8 PEM, the form the signing key file holds."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``pem``; ``ValueError`` if it is anything else."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 key")
    return key


def _public(key: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The public half of ``key`` as SubjectPublicKeyInfo PEM, for export packages."""
    return _public(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in ``pem``; ``ValueError`` if it is anything else."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def key_fingerprint(public_key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """``SHA256:`` and the hex SHA-256 of the raw 32-byte public key."""
    raw = _public(public_key).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return "SHA256:" + hashlib.sha256(raw).hexdigest()


def parse_fingerprint(text: str) -> str:
    """A fingerprint as ``key_fingerprint`` writes it, from ``SHA256:<hex>`` or the bare 64
    hex digits (any case, surrounding spaces ignored); ``ValueError`` for anything else."""
    value = text.strip()
    if value[:7].upper() == "SHA256:":
        value = value[7:]
    value = value.lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValueError(f"not a key fingerprint (SHA256: and 64 hex digits): {text!r}")
    return "SHA256:" + value


def sign_checkpoint(key: Ed25519PrivateKey, cp: Checkpoint) -> bytes:
    """The 64-byte Ed25519 signature over ``checkpoint_body(cp)``."""
    return key.sign(checkpoint_body(cp))


def verify_checkpoint(
    public_key: Ed25519PublicKey | Ed25519PrivateKey, cp: Checkpoint, signature: bytes
) -> bool:
    """True iff ``signature`` is ``public_key``'s signature of ``cp``. Never raises."""
    try:
        if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
            return False
        _public(public_key).verify(signature, checkpoint_body(cp))
    except (InvalidSignature, TypeError, ValueError, AttributeError):
        return False
    return True


def checkpoint_to_dict(cp: Checkpoint, signature: bytes, key_fingerprint: str) -> dict[str, Any]:
    """The JSON-able form: hex root, base64 signature, the body's UTC time text."""
    return {
        "origin": cp.origin,
        "tree_size": cp.tree_size,
        "root_hash": cp.root_hash.hex(),
        "timestamp": _timestamp_text(cp.timestamp),
        "signature": base64.b64encode(signature).decode("ascii"),
        "key_fingerprint": key_fingerprint,
    }


def checkpoint_from_dict(d: dict[str, Any]) -> tuple[Checkpoint, bytes, str]:
    """``(checkpoint, signature, key_fingerprint)`` from ``checkpoint_to_dict`` output.

    Checks the shape only; call ``verify_checkpoint`` to trust it. Any missing or
    malformed field raises ``ValueError`` naming it.
    """
    if not isinstance(d, dict):
        raise ValueError("checkpoint must be a JSON object")
    tree_size = _field(d, "tree_size", int)
    if isinstance(tree_size, bool):
        raise ValueError("checkpoint.tree_size must be an integer")
    root_hex = _field(d, "root_hash", str)
    try:
        root_hash = bytes.fromhex(root_hex)
    except ValueError as exc:
        raise ValueError("checkpoint.root_hash is not hex") from exc
    time_text = _field(d, "timestamp", str)
    try:
        timestamp = datetime.fromisoformat(time_text)
    except ValueError as exc:
        raise ValueError(f"checkpoint.timestamp is not ISO 8601: {time_text!r}") from exc
    try:
        signature = base64.b64decode(_field(d, "signature", str), validate=True)
    except binascii.Error as exc:
        raise ValueError("checkpoint.signature is not base64") from exc
    if len(signature) != SIGNATURE_SIZE:
        raise ValueError(f"checkpoint.signature must be {SIGNATURE_SIZE} bytes")
    fingerprint = _field(d, "key_fingerprint", str)
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise ValueError(f"checkpoint.key_fingerprint is malformed: {fingerprint!r}")
    try:
        cp = Checkpoint(tree_size, root_hash, timestamp, _field(d, "origin", str))
    except ValueError as exc:
        raise ValueError(f"checkpoint: {exc}") from exc
    return cp, signature, fingerprint


def _field(d: dict[str, Any], name: str, kind: type) -> Any:
    if name not in d:
        raise ValueError(f"checkpoint.{name} is missing")
    value = d[name]
    if not isinstance(value, kind):
        raise ValueError(f"checkpoint.{name} must be {kind.__name__}")
    return value
