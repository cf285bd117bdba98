"""The one exception tree of LiuHen.

Every error a user can cause or meet is a ``LiuhenError``. Each class carries a stable
``code`` (documented in docs/errors.md), and the message says, in Chinese, what is wrong
and what to do. The mapping to HTTP statuses and CLI exit codes lives here, once:

    LiuhenError                 500 / exit 1   something failed that the user did not cause
    ├── InvalidInput            400 / exit 2   bad input: a field, a file, a JSON path
    │   ├── ProfileInvalid      400 / exit 2   a policy profile fails validation
    │   ├── BundleInvalid       400 / exit 2   a case bundle fails validation
    │   └── BackupInvalid       400 / exit 2   a backup directory is damaged or incomplete
    ├── ConfigError             --- / exit 2   a setting is wrong (names the setting)
    ├── NotFound                404 / exit 2   no such case, event, user ...
    │   └── Disposed            410 / exit 2   the file was disposed of after its retention
    ├── AuthError               401 / exit 3   not signed in, wrong password
    ├── PermissionDenied        403 / exit 3   signed in, but the role may not do this
    ├── Conflict                409 / exit 2   the request contradicts stored state
    │   └── GateBlocked         409 / exit 2   open findings hold a decision, closing or filing
    ├── ForbiddenChange         409 / exit 2   an attempt to alter or delete an original
    ├── StorageError            507 / exit 1   the disk or the object store failed
    ├── RestoreUnverified       500 / exit 1   a restored store did not verify (not recorded)
    ├── RateLimited             429 / exit 4   too many requests in a minute: wait and retry
    └── Unavailable             503 / exit 4   the database cannot be reached now: try again

A check that runs to the end and finds problems (``verify``, ``verify-package``, ``fixity``)
is not an error: it prints its report and exits with ``PROBLEMS_FOUND``.
"""

from __future__ import annotations

from collections.abc import Sequence

PROBLEMS_FOUND = 1
"""Exit code of a check that ran to the end and found problems; its report is the output."""


class LiuhenError(Exception):
    """内部错误。Base of all LiuHen errors; ``details`` lists every problem, one per line."""

    code = "internal"
    http_status = 500
    exit_code = 1

    def __init__(self, message: str, *, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {d}" for d in self.details)

    def to_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message, "details": self.details}

    @property
    def http_headers(self) -> dict[str, str]:
        """Headers an HTTP answer carrying this error must have (none, but see RateLimited)."""
        return {}


class InvalidInput(LiuhenError):
    """输入有误：字段、文件或 JSON 路径不合要求。"""

    code = "invalid_input"
    http_status = 400
    exit_code = 2


class ProfileInvalid(InvalidInput):
    """制度配置文件不合要求（给出文件、行号与原因）。"""

    code = "profile_invalid"


class BundleInvalid(InvalidInput):
    """案件数据包不合要求（给出 JSON 路径）。"""

    code = "bundle_invalid"


class BackupInvalid(InvalidInput):
    """备份目录损坏、不完整或不是留痕的备份（恢复前逐个核对清单中的 SHA-256，未改动任何数据）。"""

    code = "backup_invalid"


class ConfigError(LiuhenError):
    """设置有误（给出设置名）。"""

    code = "config_error"
    http_status = 500
    exit_code = 2


class NotFound(LiuhenError):
    """找不到案件、事件、用户等对象。"""

    code = "not_found"
    http_status = 404
    exit_code = 2


class Disposed(NotFound):
    """文件保管期满，已经批准处置（销毁）：说明处置时间和审批。"""

    code = "disposed"
    http_status = 410


class AuthError(LiuhenError):
    """未登录或用户名、密码错误。"""

    code = "auth_failed"
    http_status = 401
    exit_code = 3


class PermissionDenied(LiuhenError):
    """已登录，但角色无权执行该操作。"""

    code = "permission_denied"
    http_status = 403
    exit_code = 3
    actor: object = None  # who was refused, which action, on which case (for the ledger)
    action: str | None = None
    case_id: str | None = None


class Conflict(LiuhenError):
    """请求与已存数据冲突（如重复的编号）。"""

    code = "conflict"
    http_status = 409
    exit_code = 2


class GateBlocked(Conflict):
    """尚有未解决的评查发现，不能作出决定、结案或归档：列出每项发现及所引条文；须先补正，或由机关负责人说明理由越过提示。"""

    code = "gate_blocked"


class ForbiddenChange(Conflict):
    """试图修改或删除原始记录（只能以新版本更正）。"""

    code = "forbidden_change"


class Gone(LiuhenError):
    """链接已过期、已用完或已撤销（当事人复制件下载链接）。"""

    code = "gone"
    http_status = 410
    exit_code = 2


class UploadLocked(Conflict):
    """另一请求正在写入同一上传（断点续传，稍后查询后重试）。"""

    code = "upload_locked"
    http_status = 423


class ChecksumMismatch(InvalidInput):
    """本次上传的数据块校验值不符（已丢弃该块，请重传）。"""

    code = "checksum_mismatch"
    http_status = 460


class UploadGone(NotFound):
    """上传已过期或已终止。"""

    code = "upload_gone"
    http_status = 410


class StorageError(LiuhenError):
    """磁盘或对象存储故障（如空间不足）。"""

    code = "storage_error"
    http_status = 507
    exit_code = 1


class RestoreUnverified(LiuhenError):
    """恢复后的存储未通过校验：未记录恢复事件，被取代的数据保留在数据目录的 replaced-* 中。"""

    code = "restore_unverified"
    http_status = 500
    exit_code = 1


class RateLimited(LiuhenError):
    """请求过于频繁（超过每分钟的次数限制）：请按 Retry-After 所示的秒数之后再试。"""

    code = "rate_limited"
    http_status = 429
    exit_code = 4

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def http_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(LiuhenError):
    """数据库暂时无法访问（连接中断、服务重启或繁忙）：未保存任何内容，请稍后重试。"""

    code = "unavailable"
    http_status = 503
    exit_code = 4
