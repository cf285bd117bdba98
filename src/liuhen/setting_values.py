"""Reading one setting's value (``config.Settings.from_env``): an integer, a public-key
fingerprint; a value that cannot be read is one line naming the setting."""

from __future__ import annotations

from liuhen.errors import ConfigError


def int_setting(name: str, value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ConfigError(f"{name}: {value!r} 不是整数") from None


def fingerprint_setting(value: object) -> str:
    from liuhen.ledger.checkpoint import parse_fingerprint

    try:
        return parse_fingerprint(str(value))
    except ValueError:
        raise ConfigError(
            f"LIUHEN_LEDGER_FINGERPRINT: {value!r} 不是公钥指纹，应为 SHA256: 加 64 位十六进制"
        ) from None
