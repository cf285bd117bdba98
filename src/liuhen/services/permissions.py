"""Who may do what: the one permission check every web route and CLI command calls.

The matrix is data (role -> actions). docs/permissions.md shows it as a table and a test
keeps the two in step. Issue 7 narrows it further by scope and confidentiality.
"""

from __future__ import annotations

from liuhen.errors import PermissionDenied
from liuhen.ledger.events import Actor

ROLES: dict[str, str] = {
    "officer": "执法人员",
    "section_head": "科室/承办机构负责人",
    "legal_reviewer": "法制审核人员",
    "head": "机关负责人",
    "custodian": "档案/音像管理员",
    "supervisor": "监督人员",
    "admin": "系统管理员",
}

ACTIONS: dict[str, str] = {
    "case.read": "查看案件",
    "case.create": "立案/启动程序",
    "case.import": "导入案件数据包",
    "record.create": "制作执法文书与记录",
    "av.upload": "上传音像记录",
    "approval.decide": "审批",
    "ledger.read": "查看全过程日志与检查点",
    "integrity.verify": "运行完整性校验",
    "integrity.fixity": "运行文件定期复核（fixity）",
    "case.export": "导出案卷与电子归档包",
    "ledger.checkpoint": "签发检查点",
    "user.manage": "管理用户",
    "device.manage": "管理执法记录设备",
    "device.check": "记录设备使用前检查与故障",
    "access.request": "登记当事人查阅/复制申请",
    "record.dispose": "处置保管期满的记录",
    "dashboard.read": "查看监督看板",
    "demo.load": "载入演示数据",
}

_ALL = frozenset(ACTIONS)
MATRIX: dict[str, frozenset[str]] = {
    "officer": frozenset(
        {"case.read", "case.create", "record.create", "av.upload", "device.check", "access.request"}
    ),
    "section_head": frozenset(
        {
            "case.read",
            "case.create",
            "record.create",
            "approval.decide",
            "access.request",
            "dashboard.read",
        }
    ),
    "legal_reviewer": frozenset({"case.read", "record.create", "approval.decide"}),
    "head": frozenset(
        {"case.read", "approval.decide", "ledger.read", "case.export", "dashboard.read"}
    ),
    "custodian": frozenset(
        {
            "case.read",
            "av.upload",
            "ledger.read",
            "integrity.verify",
            "integrity.fixity",
            "case.export",
            "device.manage",
            "device.check",
            "access.request",
            "record.dispose",
        }
    ),
    "supervisor": frozenset({"case.read", "ledger.read", "integrity.verify", "dashboard.read"}),
    "admin": _ALL
    - {
        "case.create",
        "record.create",
        "approval.decide",
        "av.upload",
        "device.check",
        "access.request",
        "record.dispose",
    },
    "system": _ALL,
}


def actions_for(roles: tuple[str, ...]) -> frozenset[str]:
    """Every action any of ``roles`` may take (for showing only the buttons that work)."""
    return frozenset().union(*(MATRIX.get(role, frozenset()) for role in roles))


def allowed(actor: Actor, action: str) -> bool:
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    return any(action in MATRIX.get(role, frozenset()) for role in actor.roles)


def require(actor: Actor, action: str) -> None:
    """Raise PermissionDenied (in Chinese, naming the action) unless a role allows it."""
    if not allowed(actor, action):
        raise PermissionDenied(f"{actor.label} 无权执行“{ACTIONS[action]}”（{action}）")
