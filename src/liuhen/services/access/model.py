"""Party requests to view or copy records as values: the vocabulary, the request, who must grant it (from the profile's ``access_approval`` rules)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liuhen.domain import vocab
from liuhen.errors import LiuhenError
from liuhen.rules.sources.profiles import load_profile
from liuhen.services.approvals.model import ApprovalState

KINDS = {"view": "查阅", "copy": "复制"}
MARKS = {"state_secret": "国家秘密", "commercial_secret": "商业秘密", "privacy": "个人隐私"}
"""Confidentiality marks a case may carry (``cases.confidentiality``)."""
ID_TYPES = {
    "resident_id": "居民身份证",
    "passport": "护照",
    "credit_code": "统一社会信用代码",
    "other": "其他证件",
}
RELATIONS = {
    "party": "当事人本人",
    "legal_representative": "法定代表人/负责人",
    "agent": "委托代理人",
    "relative": "近亲属",
    "interested": "其他利害关系人",
}
STATUSES = {
    "pending": "待审批",
    "approved": "已批准",
    "refused": "已拒绝",
    "delivered": "已交付",
    "expired": "链接已过期",
}
EVENT_NAMES = {
    "access.requested": "登记申请",
    "approval.requested": "提请审批",
    "approval.decided": "审批意见",
    "access.granted": "同意申请",
    "access.refused": "不同意申请",
    "access.copy_made": "制作复制件（加注水印、加盖电子印章）",
    "access.copy_failed": "复制件制作失败",
    "access.viewed": "陪同查阅（只读）",
    "access.redaction_confirmed": "审查确认遮盖内容",
    "access.faces_detected": "检测录像中的人脸（离线）",
    "share.issued": "生成交付链接",
    "share.viewed": "申请人打开链接",
    "share.downloaded": "申请人下载复制件",
    "share.refused": "失效链接被访问，已拒绝",
    "share.revoked": "撤销交付链接",
}
COPY_KIND = "copy"
"""``records.kind`` of a derived copy: not a recording of an act, never read by the checks."""
PDF = "application/pdf"
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")


@dataclass(frozen=True)
class ApproverRule:
    positions: tuple[str, ...]
    deputies: tuple[str, ...]
    citation: str
    confidential_citation: str

    @property
    def names(self) -> str:
        names = [vocab.POSITIONS[p] for p in self.positions]
        names += [f"经授权的{vocab.POSITIONS[p]}" for p in self.deputies]
        return "或".join(names)


@dataclass
class AccessRequest:
    id: str
    case_id: str
    case_number: str
    number: str
    kind: str
    requester: dict[str, Any]
    purpose: str
    items: list[dict[str, Any]]
    approver: dict[str, Any]
    approval: ApprovalState | None
    created_at: datetime
    created_by: str
    status: str = "pending"
    copies: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    copy_failed: str = ""
    redaction: dict[str, Any] = field(default_factory=dict)
    """What registration proposed for redaction (``services/access/redactions.py``)."""

    @property
    def kind_name(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def status_name(self) -> str:
        return STATUSES[self.status]

    @property
    def requester_label(self) -> str:
        r = self.requester
        return f"{r['name']}（{RELATIONS.get(r['relation'], r['relation'])}）"

    @property
    def included(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i["included"]]

    @property
    def excluded(self) -> list[dict[str, Any]]:
        return [i for i in self.items if not i["included"]]

    @property
    def missing_copies(self) -> list[dict[str, Any]]:
        """Items of a granted copy request that have no copy yet (after a failure)."""
        if self.kind != "copy" or self.approval is None or self.approval.outcome != "approved":
            return []
        done = {c["derived_from"] for c in self.copies}
        return [i for i in self.included if i["record_id"] not in done]

    @property
    def refusal(self) -> str:
        if self.approval is None:
            return ""
        return next((s["opinion"] for s in self.approval.steps if s["decision"] == "rejected"), "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the API (the credential number masked)."""
        return {
            "id": self.id,
            "case_id": self.case_id,
            "case_number": self.case_number,
            "number": self.number,
            "kind": self.kind,
            "kind_name": self.kind_name,
            "requester": {**self.requester, "id_number": mask_id(self.requester["id_number"])},
            "purpose": self.purpose,
            "items": self.items,
            "approver": self.approver,
            "approval_id": self.approval.id if self.approval else None,
            "status": self.status,
            "status_name": self.status_name,
            "refusal": self.refusal,
            "copies": self.copies,
            "links": [{k: v for k, v in link.items() if k != "targets"} for link in self.links],
            "created_at": self.created_at.isoformat(),
        }


def mask_id(number: str) -> str:
    """A credential number as shown on lists: the first 4 and last 4 characters."""
    return number if len(number) <= 8 else number[:4] + "*" * (len(number) - 8) + number[-4:]


def _resident_id_ok(number: str) -> bool:
    if not _RESIDENT_ID.match(number):
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


def _requester(raw: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    value = {k: str(raw.get(k, "") or "").strip() for k in ("name", "id_type", "id_number")}
    value["relation"] = str(raw.get("relation", "") or "").strip()
    value["phone"] = str(raw.get("phone", "") or "").strip()
    value["id_number"] = value["id_number"].upper()
    problems = []
    if not value["name"]:
        problems.append("requester.name: 申请人姓名（名称）不能为空")
    if value["id_type"] not in ID_TYPES:
        problems.append(f"requester.id_type: 请选择证件类型（{'、'.join(ID_TYPES.values())}）")
    if not value["id_number"]:
        problems.append("requester.id_number: 证件号码不能为空")
    elif value["id_type"] == "resident_id" and not _resident_id_ok(value["id_number"]):
        problems.append("requester.id_number: 居民身份证号码应为 18 位且校验位正确")
    if value["relation"] not in RELATIONS:
        problems.append(
            f"requester.relation: 请选择与案件的关系（{'、'.join(RELATIONS.values())}）"
        )
    return value, problems


# -- the profile's rule -----------------------------------------------------------------
def approver_rule(profile_id: str, kind: str) -> ApproverRule:
    """Who must grant a request of ``kind`` under the profile, and the citations."""
    positions: tuple[str, ...] = ()
    deputies: tuple[str, ...] = ()
    citation = confidential = ""
    try:
        rules = load_profile(profile_id).rules if profile_id else ()
    except LiuhenError:
        rules = ()
    for rule in rules:
        params = rule.spec.params
        if rule.spec.type == "access_approval" and params.get("kind") == kind:
            positions = tuple(params.get("approvers", ()))
            deputies = tuple(params.get("authorised_approvers", ()))
            citation = rule.citation
        if rule.spec.type == "access_confidential" and kind in params.get("kinds", (kind,)):
            confidential = rule.citation
    if not positions:  # no rule for this kind: the agency's head, as every regulation has it
        positions = ("head", "principal_head")
    return ApproverRule(positions, deputies, citation, confidential)
