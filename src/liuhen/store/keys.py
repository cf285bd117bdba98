"""The checkpoint signing key file: loaded, or created once, whole, readable by the owner.

Only ``liuhen init`` creates a key (``load_or_create_key``), and only for a ledger that has
no event yet: every other path reads it (``read_key``) and a missing or unreadable key is a
problem to report, never a reason to mint a new one (a second node or a restored machine
would otherwise sign with a key nobody pinned). The key's format and signatures are
``ledger.checkpoint``'s (pure); this module only touches the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.ledger.checkpoint import generate_key, load_private_key, private_key_pem


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key at ``path``; if there is none, a new one written there first.

    A new file is created with mode 0o600 (parent directories as needed) and appears
    whole or not at all: it is written to a temporary file and hard-linked into place,
    so two processes starting together end up with the same key. An existing file that
    is not an unencrypted Ed25519 PKCS#8 PEM key raises ``ValueError``.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(private_key_pem(generate_key()))
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process won the race: use its key
        finally:
            os.unlink(tmp)
    try:
        return load_private_key(path.read_bytes())
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def read_key(path: Path) -> tuple[Ed25519PrivateKey | None, str | None]:
    """``(key, None)``, or ``(None, why)`` when the file is missing or holds no usable key.
    Never creates anything."""
    path = Path(path)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return None, f"签名密钥文件 {path} 不存在"
    except OSError as exc:
        return None, f"签名密钥文件 {path} 无法读取（{exc.strerror}）"
    try:
        return load_private_key(pem), None
    except ValueError as exc:
        return None, f"签名密钥文件 {path} 不是可用的 Ed25519 私钥（{exc}）"
