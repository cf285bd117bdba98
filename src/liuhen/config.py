"""One frozen ``Settings``, built once at the edge from ``LIUHEN_*`` variables and flags.

Nothing in LiuHen reads the environment or opens a database at import time: the CLI and
the web app call ``Settings.from_env(**overrides)`` once and pass the result down.
Every setting is listed in docs/settings.md (a test keeps the two in step).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liuhen.errors import ConfigError
from liuhen.setting_values import BOUNDS
from liuhen.setting_values import fingerprint_setting as _fingerprint_setting
from liuhen.setting_values import int_setting as _int_setting

ENVIRONMENTS = ("development", "production", "test")
COOKIE_SECURE = ("auto", "always")

CP_MS = (
    "检查点至多每隔多少毫秒签发一次（0–1000），默认 0：每次提交都签发，每条写入在确认时即被签名覆盖，"
    "成组提交的查看记录 4 个进程时仍达每秒 2,000 条以上（docs/performance.md）。大于 0 时，写入在该间隔内"
    "（至多约一秒）由检查点覆盖，未签名的末尾期间可被能写数据库的人连同瓦片追加（docs/security.md）"
)
CP_EVENTS = "LIUHEN_CHECKPOINT_MS 大于 0 时，未签名事件达到该条数即签发检查点，默认 10000"
WRITE_BATCH = (
    "同一进程内同时到达的写入至多多少次合并为一个数据库事务（各自一个保存点，失败的只回滚自己），"
    "共用一次提交和一个检查点；默认 64，1 为每次写入单独提交。用 SQLite 且 liuhen serve --workers "
    "大于 1 时未设置则为 1（多个进程共用 SQLite 时合并反而使写入变慢）。PostgreSQL 上，合并中的后续"
    "写入等待其他事务的行锁超过 10 毫秒即退出合并、单独提交（docs/performance.md）"
)
JOB_DAYS = ("后台任务（导出、四性检测、复制件制作、定期复核等）结束多少天后删除其任务记录（进度和结果），默认 30："
            "计划任务每天删除一次（集群中只在一个节点上运行，条数记入台账），排队中和进行中的不删")  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """Where LiuHen keeps its data and how it behaves. See docs/settings.md."""

    data_dir: Path = field(
        metadata={"env": "LIUHEN_DATA_DIR", "doc": "数据目录：SQLite 文件、本地存储、签名密钥"}
    )
    database_url: str = field(
        metadata={"env": "LIUHEN_DATABASE_URL", "doc": "数据库地址，默认数据目录下的 SQLite"}
    )
    store_url: str = field(
        metadata={"env": "LIUHEN_STORE_URL", "doc": "文件存储地址：file:///目录 或 s3://桶/前缀"}
    )
    s3_endpoint: str | None = field(
        default=None,
        metadata={
            "env": "LIUHEN_S3_ENDPOINT",
            "doc": "S3 兼容存储的地址，如 http://127.0.0.1:8333",
        },
    )
    s3_access_key: str | None = field(
        default=None, metadata={"env": "LIUHEN_S3_ACCESS_KEY", "doc": "S3 访问密钥 ID"}
    )
    s3_secret_key: str | None = field(
        default=None, metadata={"env": "LIUHEN_S3_SECRET_KEY", "doc": "S3 访问密钥"}
    )
    s3_region: str = field(
        default="us-east-1", metadata={"env": "LIUHEN_S3_REGION", "doc": "S3 区域名"}
    )
    witness_dir: Path | None = field(
        default=None,
        metadata={
            "env": "LIUHEN_WITNESS_DIR",
            "doc": "检查点见证目录（数据库之外再存一份已签名检查点）；其他见证（目录、S3 存储桶、上级机关的"
            "liuhen witness serve）用 liuhen witness add 登记，S3 存储桶见证使用上面的 LIUHEN_S3_* 地址与凭据",
        },
    )
    ledger_fingerprint: str | None = field(
        default=None,
        metadata={
            "env": "LIUHEN_LEDGER_FINGERPRINT",
            "doc": "固定的日志签名公钥指纹（SHA256: 加 64 位十六进制，记在数据目录之外，如配置管理或"
            "上级机关的函件）：liuhen verify 与签名密钥比对，不符即报告密钥被替换、日志可能被重签",
        },
    )
    key_passphrase_file: Path | None = field(
        default=None,
        metadata={
            "env": "LIUHEN_KEY_PASSPHRASE_FILE",
            "doc": "签名密钥口令文件（第一行为口令，仅属主可读，放在数据目录之外）：设置后 liuhen init "
            "新建的签名密钥以口令加密保存（PKCS#8），liuhen init --encrypt-key 加密已有密钥；"
            "每个读取密钥的命令和 liuhen serve 都用它解开密钥，口令缺失或错误时一行报错、退出码 2。"
            "与 LIUHEN_KEY_PASSPHRASE 同时设置时以本项为准",
        },
    )
    key_passphrase: str | None = field(
        default=None,
        repr=False,
        metadata={
            "env": "LIUHEN_KEY_PASSPHRASE",
            "doc": "签名密钥口令（直接给出，用途同 LIUHEN_KEY_PASSPHRASE_FILE；环境变量可能被同机"
            "其他进程看到，建议用口令文件）",
        },
    )
    timezone: str = field(
        default="Asia/Shanghai",
        metadata={"env": "LIUHEN_TIMEZONE", "doc": "时区，默认 Asia/Shanghai"},
    )
    environment: str = field(
        default="development",
        metadata={
            "env": "LIUHEN_ENV",
            "doc": "运行环境：development、production 或 test"
            "（test 仅供自动化测试：新密码以最低成本哈希，切勿用于实际部署）",
        },
    )
    session_idle_minutes: int = field(
        default=30,
        metadata={"env": "LIUHEN_SESSION_IDLE_MINUTES", "doc": "登录会话空闲超时（分钟）"},
    )
    cookie_secure: str = field(
        default="auto",
        metadata={
            "env": "LIUHEN_COOKIE_SECURE",
            "doc": "登录 Cookie 何时带 Secure 标志：auto（默认：经 https 访问时，包括受信任的反向代理"
            "以 X-Forwarded-Proto: https 转来的请求；LIUHEN_ENV=production 时总是带）或 always（总是带，"
            "在反向代理之后以 https 对外服务时建议设置）",
        },
    )
    trusted_proxies: str = field(
        default="127.0.0.1,::1",
        metadata={
            "env": "LIUHEN_TRUSTED_PROXIES",
            "doc": "受信任的反向代理地址（逗号分隔的 IP 或网段，如 10.0.0.5,192.168.1.0/24），默认本机："
            "只相信来自这些地址的 X-Forwarded-Proto / X-Forwarded-For（判断是否经 https 访问、"
            "登录来源地址），liuhen serve 也据此设置 uvicorn 的 forwarded_allow_ips",
        },
    )
    fixity_cycle_days: int = field(
        default=90,
        metadata={
            "env": "LIUHEN_FIXITY_CYCLE_DAYS",
            "doc": "文件定期复核周期（天）：每个存储文件至少每隔这么多天重新计算一次摘要，默认 90",
        },
    )
    fixity_rate_mb: int = field(
        default=50,
        metadata={
            "env": "LIUHEN_FIXITY_RATE_MB",
            "doc": "liuhen fixity 读取文件的限速（MB/秒，0 为不限速），默认 50，避免影响日常使用",
        },
    )
    fixity_interval_minutes: int = field(
        default=60,
        metadata={
            "env": "LIUHEN_FIXITY_INTERVAL_MINUTES",
            "doc": "liuhen serve 运行定期复核（只复核超过复核周期的文件）的间隔（分钟，0 为不运行），默认 60",
        },
    )
    upload_expiry_hours: int = field(
        default=72,
        metadata={
            "env": "LIUHEN_UPLOAD_EXPIRY_HOURS",
            "doc": "未完成的断点续传上传保留多久（小时）：超时未续传的暂存文件自动清除，默认 72",
        },
    )
    export_retention_hours: int = field(
        default=72,
        metadata={
            "env": "LIUHEN_EXPORT_RETENTION_HOURS",
            "doc": "网页上导出的电子归档包和案卷 PDF 完成后保留多久（小时），默认 72：过期的文件由计划任务"
            "删除（每小时一次，集群中只在一个节点上运行），下载时提示已过期、请重新导出",
        },
    )
    job_retention_days: int = field(
        default=30, metadata={"env": "LIUHEN_JOB_RETENTION_DAYS", "doc": JOB_DAYS}
    )
    gc_grace_hours: int = field(
        default=24,
        metadata={
            "env": "LIUHEN_GC_GRACE_HOURS",
            "doc": "liuhen gc 只清理超过这么多小时未写入、且没有任何记录引用的存储文件（小时），默认 24："
            "正在写入、尚未登记的文件不会被列入（命令行 --grace 可临时改变）",
        },
    )
    upload_reserve_mb: int = field(
        default=1024,
        metadata={
            "env": "LIUHEN_UPLOAD_RESERVE_MB",
            "doc": "上传时须保留的磁盘空间（MB）：剩余空间不足以容纳文件加保留量时拒绝上传，默认 1024",
        },
    )
    upload_max_gb: int = field(
        default=64,
        metadata={
            "env": "LIUHEN_UPLOAD_MAX_GB",
            "doc": "单个上传文件的最大长度（GB），默认 64",
        },
    )
    av_join_minutes: int = field(
        default=30,
        metadata={
            "env": "LIUHEN_AV_JOIN_MINUTES",
            "doc": "同一设备、同一执法人员的音像文件相隔不超过该时间（分钟）视为同一段录像的片段："
            "逐个上传或分批导入的片段并入已存储的音像记录（形成新版本），超过则另立记录，默认 30",
        },
    )
    share_link_days: int = field(
        default=7,
        metadata={
            "env": "LIUHEN_SHARE_LINK_DAYS",
            "doc": "当事人复制件下载链接的有效期（天），默认 7",
        },
    )
    share_link_uses: int = field(
        default=5,
        metadata={
            "env": "LIUHEN_SHARE_LINK_USES",
            "doc": "当事人复制件下载链接可下载的次数（每下载一个文件计一次），默认 5",
        },
    )
    api_rate_per_minute: int = field(
        default=600,
        metadata={
            "env": "LIUHEN_API_RATE_PER_MINUTE",
            "doc": "每个账号每分钟最多可调用的接口（/api/）次数，由数据库计数、各节点共用；"
            "超过后答复 429，一分钟内恢复。默认 600，0 为不限",
        },
    )
    signin_rate_per_minute: int = field(
        default=30,
        metadata={
            "env": "LIUHEN_SIGNIN_RATE_PER_MINUTE",
            "doc": "同一网络地址每分钟最多可提交的登录（密码、动态验证码）次数，各节点共用；"
            "与按账号的锁定（连续 5 次失败）并用。默认 30，0 为不限",
        },
    )
    checkpoint_ms: int = field(default=0, metadata={"env": "LIUHEN_CHECKPOINT_MS", "doc": CP_MS})
    checkpoint_events: int = field(
        default=10_000, metadata={"env": "LIUHEN_CHECKPOINT_EVENTS", "doc": CP_EVENTS}
    )
    write_batch: int = field(default=64, metadata={"env": "LIUHEN_WRITE_BATCH", "doc": WRITE_BATCH})
    seal_tsa_url: str | None = field(
        default=None,
        metadata={
            "env": "LIUHEN_SEAL_TSA_URL",
            "doc": "RFC 3161 可信时间戳服务的地址（http:// 或 https://）：设置后，电子印章带时间戳"
            "（PAdES-B-T），盖章时向该服务请求；未设置则不带时间戳。服务不应答时不盖章并报错",
        },
    )
    admin_password: str | None = field(
        default=None,
        repr=False,
        metadata={
            "env": "LIUHEN_ADMIN_PASSWORD",
            "doc": "liuhen init 创建首个管理员时使用的密码（未设置则提示输入）",
        },
    )

    # -- derived paths -------------------------------------------------------------
    @property
    def signing_key_path(self) -> Path:
        return self.data_dir / "keys" / "ledger-ed25519.pem"

    @property
    def checkpoint_log_path(self) -> Path:
        return self.data_dir / "checkpoints.jsonl"

    @property
    def uploads_dir(self) -> Path:
        """Staging of resumable uploads (``<id>.json`` and ``<id>.part``)."""
        return self.data_dir / "uploads"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """``LIUHEN_TRUSTED_PROXIES`` as networks (a bare address is a network of one)."""
        try:
            return tuple(
                ip_network(part.strip(), strict=False)
                for part in self.trusted_proxies.split(",")
                if part.strip()
            )
        except ValueError:
            raise ConfigError(
                f"LIUHEN_TRUSTED_PROXIES: {self.trusted_proxies!r} 不是逗号分隔的 IP 地址或网段"
            ) from None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from ``env`` (default ``os.environ``); non-None overrides win."""
        env = os.environ if env is None else env
        raw: dict[str, object] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            if overrides.get(f.name) is not None:
                raw[f.name] = overrides[f.name]
            elif env.get(name, "") != "":
                raw[f.name] = env[name]
        data_dir = Path(str(raw.get("data_dir", "./liuhen-data"))).expanduser()
        raw["data_dir"] = data_dir.resolve()
        raw.setdefault("database_url", f"sqlite:///{raw['data_dir']}/liuhen.sqlite3")
        raw.setdefault("store_url", f"file://{raw['data_dir']}/blobs")
        for name in ("witness_dir", "key_passphrase_file"):
            if name in raw:
                raw[name] = Path(str(raw[name])).expanduser()
        if "ledger_fingerprint" in raw:
            raw["ledger_fingerprint"] = _fingerprint_setting(raw["ledger_fingerprint"])
        envs = {f.name: f.metadata["env"] for f in fields(cls)}
        for name in BOUNDS:
            if name in raw:
                raw[name] = _int_setting(envs[name], raw[name])
        settings = cls(**raw)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail with one line naming the setting, never later with a stack trace."""
        db = urlsplit(self.database_url)
        if db.scheme not in ("sqlite", "postgresql", "postgresql+psycopg"):
            raise ConfigError(
                f"LIUHEN_DATABASE_URL: {self.database_url!r} 不是受支持的数据库地址，"
                "应为 sqlite:///路径 或 postgresql+psycopg://用户@主机/库名"
            )
        store = urlsplit(self.store_url)
        if store.scheme not in ("file", "s3"):
            raise ConfigError(
                f"LIUHEN_STORE_URL: {self.store_url!r} 不是受支持的存储地址，应为 file:///目录 或 s3://桶/前缀"
            )
        if store.scheme == "s3" and not store.netloc:
            raise ConfigError(f"LIUHEN_STORE_URL: {self.store_url!r} 缺少桶名，应为 s3://桶/前缀")
        if store.scheme == "s3" and not self.s3_endpoint:
            raise ConfigError("LIUHEN_S3_ENDPOINT: 使用 s3:// 存储时必须设置对象存储地址")
        if self.seal_tsa_url and urlsplit(self.seal_tsa_url).scheme not in ("http", "https"):
            raise ConfigError(
                f"LIUHEN_SEAL_TSA_URL: {self.seal_tsa_url!r} 不是时间戳服务地址，应为 http:// 或 https:// 开头"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"LIUHEN_TIMEZONE: {self.timezone!r} 不是有效的时区名，如 Asia/Shanghai"
            ) from None
        choices = (("LIUHEN_ENV", self.environment, ENVIRONMENTS),
                   ("LIUHEN_COOKIE_SECURE", self.cookie_secure, COOKIE_SECURE))  # fmt: skip
        for env, value, allowed in choices:
            if value not in allowed:
                raise ConfigError(f"{env}: {value!r} 无效，应为 {'、'.join(allowed)} 之一")
        self.trusted_networks  # noqa: B018  (refuses an address it cannot read)
        for f in fields(self):
            if f.name in BOUNDS:
                low, high, what = BOUNDS[f.name]
                value = getattr(self, f.name)
                if value < low or (high is not None and value > high):
                    raise ConfigError(f"{f.metadata['env']}: 应为{what}")

    def describe(self) -> dict[str, str | None]:
        """Settings for display, secrets masked."""
        out: dict[str, str | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("admin_password", "s3_secret_key", "key_passphrase") and value:
                value = "******"
            out[f.metadata["env"]] = None if value is None else str(value)
        return out

    def as_env(self) -> dict[str, str]:
        """The settings as the ``LIUHEN_*`` variables that rebuild them (``from_env``): for
        the worker processes of ``liuhen serve --workers``."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.metadata["env"]] = str(value)
        return out


def setting_docs() -> list[tuple[str, str]]:
    """(variable, description) for every setting, for docs/settings.md."""
    return [(f.metadata["env"], f.metadata["doc"]) for f in fields(Settings)]
