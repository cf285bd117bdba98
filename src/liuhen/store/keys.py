"""The checkpoint signing key file: loaded, or created once, whole, readable by the owner;
encrypted at rest with a passphrase when one is configured.

Only ``liuhen init`` creates a key (``load_or_create_key``), and only for a ledger that has
no event yet: every other path reads it (``read_key``) and a missing or unreadable key is a
problem to report, never a reason to mint a new one (a second node or a restored machine
would otherwise sign with a key nobody pinned). The key's format and signatures are
``ledger.checkpoint``'s (pure); this module only touches the file.

A key file is either unencrypted PKCS#8 PEM or PKCS#8 encrypted with the passphrase
(``BestAvailableEncryption``); the passphrase comes from the file named by
``LIUHEN_KEY_PASSPHRASE_FILE`` or from ``LIUHEN_KEY_PASSPHRASE`` (``key_passphrase``). An
encrypted key without its passphrase, or with a wrong one, is a ``ConfigError`` naming the
setting: nothing is read or signed with it. ``protect_key`` encrypts or decrypts the file
in place, whole (a temporary file renamed over it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.config import Settings
from liuhen.errors import ConfigError
from liuhen.ledger.checkpoint import (
    generate_key,
    key_fingerprint,
    load_private_key,
    private_key_pem,
)

ENCRYPTED_HEADER = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
PASSPHRASE_SETTINGS = "LIUHEN_KEY_PASSPHRASE_FILE 或 LIUHEN_KEY_PASSPHRASE"


def key_passphrase(settings: Settings) -> bytes | None:
    """The configured passphrase: the first line of ``LIUHEN_KEY_PASSPHRASE_FILE`` (which
    wins when both are set), else ``LIUHEN_KEY_PASSPHRASE``; None when neither is set."""
    if settings.key_passphrase_file is not None:
        path = settings.key_passphrase_file
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"LIUHEN_KEY_PASSPHRASE_FILE: 口令文件 {path} 无法读取（{exc.strerror}）"
            ) from None
        passphrase = text.splitlines()[0] if text.strip() else b""
        if not passphrase.strip():
            raise ConfigError(f"LIUHEN_KEY_PASSPHRASE_FILE: 口令文件 {path} 是空的")
        return passphrase
    if settings.key_passphrase:
        return settings.key_passphrase.encode("utf-8")
    return None


def is_encrypted(path: Path) -> bool:
    """True when the key file at ``path`` holds an encrypted private key."""
    try:
        return Path(path).read_bytes().lstrip().startswith(ENCRYPTED_HEADER)
    except OSError:
        return False


def key_bytes(key: Ed25519PrivateKey, passphrase: bytes | None) -> bytes:
    """``key`` as the file holds it: PKCS#8 PEM, encrypted when a passphrase is given."""
    if passphrase is None:
        return private_key_pem(key)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def decode_key(path: Path, pem: bytes, passphrase: bytes | None) -> Ed25519PrivateKey:
    """The key in ``pem`` (read from ``path``). ``ConfigError`` naming the passphrase settings
    for an encrypted key without its passphrase or with a wrong one; ``ValueError`` when the
    file holds no Ed25519 key at all. A passphrase given for an unencrypted key is unused."""
    if not pem.lstrip().startswith(ENCRYPTED_HEADER):
        return load_private_key(pem)
    if passphrase is None:
        raise ConfigError(
            f"{PASSPHRASE_SETTINGS}: 签名密钥 {path} 已用口令加密，但没有设置口令："
            "请设置 LIUHEN_KEY_PASSPHRASE_FILE（口令文件）或 LIUHEN_KEY_PASSPHRASE"
        )
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError):
        raise ConfigError(
            f"{PASSPHRASE_SETTINGS}: 口令不能解开签名密钥 {path}（口令错误或密钥文件损坏）："
            "请检查所设置的口令"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 key")
    return key


def write_key(path: Path, data: bytes, *, replace: bool) -> bool:
    """Write ``data`` to ``path`` whole, mode 0o600: a temporary file in the same folder,
    fsynced, then renamed over the old file (``replace``) or hard-linked into place only if
    there is none. Returns False when ``replace`` is False and another file won."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
            _sync_dir(path.parent)
            return True
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False  # another process won the race: use its key
        _sync_dir(path.parent)
        return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_or_create_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """The signing key at ``path``; if there is none, a new one written there first,
    encrypted with ``passphrase`` when one is given.

    A new file is created with mode 0o600 (parent directories as needed) and appears
    whole or not at all (``write_key``), so two processes starting together end up with
    the same key. An existing file that is not an Ed25519 PKCS#8 PEM key raises
    ``ValueError``; an encrypted one without its passphrase, ``ConfigError``.
    """
    path = Path(path)
    if not path.exists():
        write_key(path, key_bytes(generate_key(), passphrase), replace=False)
    try:
        return decode_key(path, path.read_bytes(), passphrase)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def next_key_path(current: Path) -> Path:
    """Where ``liuhen ledger rotate-key`` makes the new key before the rotation is recorded
    (``ledger-ed25519.next.pem``); it takes the key file's name once recorded."""
    return current.with_name(current.stem + ".next.pem")


def find_key(settings: Settings, fingerprint: str, *, need: bool) -> Ed25519PrivateKey | None:
    """The key ``fingerprint`` names, from the key file or from a rotation's new key file
    not yet renamed (``next_key_path``); None when neither holds it, or with ``need`` a
    ``ConfigError`` saying which key to install where."""
    current = settings.signing_key_path
    for path in (current, next_key_path(current)):
        key, _why = read_key(path, key_passphrase(settings))
        if key is not None and key_fingerprint(key) == fingerprint:
            return key
    if not need:
        return None
    raise ConfigError(
        f"LIUHEN_DATA_DIR: 日志的签名密钥已轮换为 {fingerprint}，本节点没有这把密钥："
        f"请把新密钥装到 {current}（仅属主可读）后重启"
    )


def read_key(
    path: Path, passphrase: bytes | None = None
) -> tuple[Ed25519PrivateKey | None, str | None]:
    """``(key, None)``, or ``(None, why)`` when the file is missing or holds no usable key.
    Never creates anything. An encrypted key without its passphrase or with a wrong one
    raises ``ConfigError`` (a setting to fix, not a damaged store)."""
    path = Path(path)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return None, f"签名密钥文件 {path} 不存在"
    except OSError as exc:
        return None, f"签名密钥文件 {path} 无法读取（{exc.strerror}）"
    try:
        return decode_key(path, pem, passphrase), None
    except ValueError as exc:
        return None, f"签名密钥文件 {path} 不是可用的 Ed25519 私钥（{exc}）"


def protect_key(path: Path, passphrase: bytes | None, *, encrypt: bool) -> bool:
    """Encrypt (``encrypt``) or decrypt the key file in place with ``passphrase``; return
    False when it already is as asked. The same key, so its fingerprint is unchanged."""
    path = Path(path)
    key, problem = read_key(path, passphrase)
    if key is None:
        raise ConfigError(f"LIUHEN_DATA_DIR: {problem}：无法{'加密' if encrypt else '解密'}")
    if passphrase is None:
        raise ConfigError(
            f"{PASSPHRASE_SETTINGS}: {'加密' if encrypt else '解密'}签名密钥需要口令："
            "请设置 LIUHEN_KEY_PASSPHRASE_FILE（口令文件）或 LIUHEN_KEY_PASSPHRASE"
        )
    if is_encrypted(path) == encrypt:
        return False
    write_key(path, key_bytes(key, passphrase if encrypt else None), replace=True)
    return True
