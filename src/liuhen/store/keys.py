"""The checkpoint signing key file: loaded, or created once, whole, readable by the owner.

The key's format and signatures are ``ledger.checkpoint``'s (pure); this module only
touches the file.
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
