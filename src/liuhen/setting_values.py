"""Reading one setting's value (``config.Settings.from_env``): an integer (within its
``BOUNDS``), a public-key fingerprint; a value that cannot be read is one line naming the
setting."""

from __future__ import annotations

from liuhen.errors import ConfigError

BOUNDS: dict[str, tuple[int, int | None, str]] = {
    "session_idle_minutes": (1, None, "正整数（分钟）"),
    "fixity_cycle_days": (1, None, "正整数（天）"),
    "fixity_rate_mb": (0, None, "不小于 0 的整数（MB/秒）"),
    "fixity_interval_minutes": (0, None, "不小于 0 的整数（分钟，0 为不运行）"),
    "upload_expiry_hours": (1, None, "正整数（小时）"),
    "gc_grace_hours": (1, None, "正整数（小时）"),
    "export_retention_hours": (1, None, "正整数（小时）"),
    "job_retention_days": (1, None, "正整数（天）"),
    "upload_reserve_mb": (0, None, "不小于 0 的整数（MB）"),
    "upload_max_gb": (1, None, "正整数（GB）"),
    "av_join_minutes": (0, 24 * 60, " 0 至 1440 之间的整数（分钟）"),
    "share_link_days": (1, None, "正整数（天）"),
    "share_link_uses": (1, None, "正整数（次）"),
    "checkpoint_ms": (0, 1000, " 0 至 1000 之间的整数（毫秒）"),
    "checkpoint_events": (1, None, "正整数（条）"),
    "write_batch": (1, 1000, " 1 至 1000 之间的整数（次写入）"),
    "api_rate_per_minute": (0, None, " 0（不限）或正整数（每分钟次数）"),
    "signin_rate_per_minute": (0, None, " 0（不限）或正整数（每分钟次数）"),
}
"""The integer settings: (lowest, highest or None, what a value must be), checked once."""


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
