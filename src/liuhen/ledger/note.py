"""C2SP signed notes (``signed-note``) and checkpoints as notes (``tlog-checkpoint``).

A signed note is a text ending in a newline, a blank line, and signature lines::

    — <key name> base64(4-byte key ID || signature)

A key is named by its *vkey*, ``<name>+<hex key ID>+base64(type || public key)``, where the
key ID is ``SHA-256(name || "\\n" || type || public key)[:4]``. Two types are used here:
``0x01`` (Ed25519 over the note text: the ledger's checkpoints, named by their origin) and
``0x04`` (timestamped Ed25519 cosignatures, ``ledger.cosignature``).

A checkpoint's note text is ``ledger.checkpoint.checkpoint_body`` (origin, size, root and one
extension line with the time), so a checkpoint signed before notes were used is the same
signature in a note: ``checkpoint_note`` only adds the signature line. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from liuhen.ledger.checkpoint import ROOT_SIZE, Checkpoint, checkpoint_body

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014"
MAX_SIGNATURES = 32


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        raw = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{DASH} {self.name} {raw}\n"


@dataclass(frozen=True)
class Note:
    """A parsed signed note: ``text`` (with its final newline) and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def with_signatures(self, extra: list[NoteSignature]) -> Note:
        """This note with ``extra`` added (a signature already present is not repeated)."""
        have = list(self.signatures)
        for s in extra:
            if s not in have:
                have.append(s)
        return Note(self.text, tuple(have))


def raw_public(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, sig_type: int, raw: bytes) -> bytes:
    """``SHA-256(name || 0x0A || type || public key)[:4]`` (signed-note, tlog-cosignature)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + raw).digest()[:4]


def check_key_name(name: object) -> str:
    if not isinstance(name, str) or not name or not name.isprintable():
        raise ValueError(f"key name must be printable and non-empty: {name!r}")
    if "+" in name or any(ch.isspace() for ch in name):
        raise ValueError(f"key name must have no space or '+': {name!r}")
    return name


def vkey(name: str, key: Ed25519PublicKey | Ed25519PrivateKey, sig_type: int = ED25519) -> str:
    """The verifier key ``<name>+<hex key ID>+base64(type || public key)``."""
    raw = raw_public(key)
    material = base64.b64encode(bytes([sig_type]) + raw).decode("ascii")
    return f"{check_key_name(name)}+{key_id(name, sig_type, raw).hex()}+{material}"


@dataclass(frozen=True)
class Verifier:
    """A parsed vkey: who signs (``name``), with which key, of which signature type."""

    name: str
    key_id: bytes
    sig_type: int
    public_key: Ed25519PublicKey

    @property
    def text(self) -> str:
        return vkey(self.name, self.public_key, self.sig_type)


def parse_vkey(text: str) -> Verifier:
    """A vkey of an Ed25519 key (type 0x01 or 0x04); ``ValueError`` naming what is wrong."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise ValueError(f"not a verifier key (name+id+key): {text!r}")
    name, hex_id, material = parts
    check_key_name(name)
    try:
        blob = base64.b64decode(material, validate=True)
        wanted = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"verifier key is not hex and base64: {text!r}") from exc
    if len(blob) != 33 or blob[0] not in (ED25519, COSIGNATURE_V1):
        raise ValueError("verifier key is not an Ed25519 (0x01) or cosignature/v1 (0x04) key")
    if key_id(name, blob[0], blob[1:]) != wanted:
        raise ValueError("verifier key's ID does not match its name and key")
    public = Ed25519PublicKey.from_public_bytes(blob[1:])
    return Verifier(name, wanted, blob[0], public)


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def parse_note(text: str) -> Note:
    """Split a signed note into its text and signature lines; ``ValueError`` if malformed."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise ValueError("a signed note ends with a newline")
    if _CONTROL.search(text):
        raise ValueError("a signed note holds no control characters")
    cut = text.rfind("\n\n")
    if cut < 0:
        raise ValueError("a signed note has a blank line before its signatures")
    body, tail = text[: cut + 1], text[cut + 2 :]
    lines = tail.split("\n")[:-1]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise ValueError(f"a signed note has 1 to {MAX_SIGNATURES} signature lines")
    return Note(body, tuple(_signature(line) for line in lines))


def _signature(line: str) -> NoteSignature:
    prefix, _, rest = line.partition(" ")
    name, _, encoded = rest.partition(" ")
    if prefix != DASH or not name or not encoded or " " in encoded:
        raise ValueError(f"not a signature line: {line!r}")
    check_key_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"signature is not base64: {line!r}") from exc
    if len(raw) < 5:
        raise ValueError(f"signature too short: {line!r}")
    return NoteSignature(name, raw[:4], raw[4:])


def sign_note(text: str, name: str, key: Ed25519PrivateKey) -> NoteSignature:
    """An Ed25519 (type 0x01) signature line over ``text`` by ``key`` named ``name``."""
    return NoteSignature(name, key_id(name, ED25519, raw_public(key)), key.sign(text.encode()))


def note_signed_by(note: Note, verifier: Verifier) -> bool | None:
    """True when ``verifier``'s Ed25519 signature on the note verifies; False when a line
    with its name and key ID does not (signed-note: reject the note); None when it has none.
    """
    found: bool | None = None
    for s in note.signatures:
        if s.name != verifier.name or s.key_id != verifier.key_id:
            continue
        try:
            verifier.public_key.verify(s.signature, note.text.encode("utf-8"))
        except (InvalidSignature, ValueError):
            return False
        found = True
    return found


def checkpoint_note(cp: Checkpoint, signature: bytes, public: Ed25519PublicKey) -> Note:
    """The checkpoint as a signed note, its signature line named by its origin."""
    text = checkpoint_body(cp).decode("utf-8")
    kid = key_id(cp.origin, ED25519, raw_public(public))
    return Note(text, (NoteSignature(cp.origin, kid, signature),))


def parse_checkpoint_text(text: str) -> Checkpoint:
    """The checkpoint in a note text: origin, size, base64 root, and LiuHen's time line."""
    lines = text.split("\n")
    if len(lines) < 5 or lines[-1] != "" or not all(lines[:-1]):
        raise ValueError("a checkpoint is origin, size, root and a time line, each non-empty")
    origin, size_text, root_text, time_text = lines[:4]
    if not size_text.isascii() or not size_text.isdigit() or size_text != str(int(size_text)):
        raise ValueError(f"checkpoint size is not a decimal without leading zeros: {size_text!r}")
    try:
        root = base64.b64decode(root_text, validate=True)
        when = datetime.fromisoformat(time_text)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"checkpoint root or time is malformed: {exc}") from exc
    if len(root) != ROOT_SIZE:
        raise ValueError("checkpoint root is not 32 bytes")
    cp = Checkpoint(int(size_text), root, when, origin)
    if checkpoint_body(cp).decode("utf-8") != text:
        raise ValueError("checkpoint text is not in its canonical form")
    return cp


def log_entry(cp: Checkpoint, signature: bytes, public: Ed25519PublicKey) -> dict[str, str]:
    """A checkpoint log line: ``{"note": <the signed checkpoint note>}``."""
    return {"note": checkpoint_note(cp, signature, public).render()}


def read_log_entry(entry: object) -> tuple[Checkpoint, bytes, str]:
    """``(checkpoint, the log's signature, who claims to sign)`` from a log line: a signed
    note (``log_entry``; the signature line named by the origin; the claim is
    ``key ID <hex>``, see ``claim_of``) or the JSON object older stores wrote
    (``checkpoint_to_dict``; the claim is its key fingerprint). ``ValueError`` when it is
    neither."""
    from liuhen.ledger.checkpoint import checkpoint_from_dict

    if isinstance(entry, dict) and "note" in entry:
        note = parse_note(entry["note"]) if isinstance(entry["note"], str) else None
        if note is None:
            raise ValueError("checkpoint note is not text")
        cp = parse_checkpoint_text(note.text)
        own = [s for s in note.signatures if s.name == cp.origin]
        if len(own) != 1 or len(own[0].signature) != 64:
            raise ValueError("checkpoint note has no single signature named by its origin")
        return cp, own[0].signature, f"key ID {own[0].key_id.hex()}"
    if not isinstance(entry, dict):
        raise ValueError("not a JSON object")
    return checkpoint_from_dict(entry)


def claim_of(origin: str, public: Ed25519PublicKey) -> str:
    """What a note signed by ``public`` under ``origin`` claims (``read_log_entry``)."""
    return f"key ID {key_id(origin, ED25519, raw_public(public)).hex()}"
