"""A finding (问题/评查发现): one rule of the profile that a case breaks or still owes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

VIOLATION = "violation"
"""The requirement is broken, or its deadline has passed."""
PENDING = "pending"
"""The requirement is not met yet but not due yet (``due`` says when), or cannot be decided
yet because the working-day calendar of the deadline's year is unknown."""
ADVICE = "advice"
"""A discretionary provision (根据实际情况): the engine advises, it never reports a violation."""

SEVERITIES: dict[str, str] = {
    "veto": "否决项",
    "major": "严重",
    "minor": "一般",
    "advice": "提示",
}
STATUSES: dict[str, str] = {VIOLATION: "违规", PENDING: "待办", ADVICE: "提示"}

SUBJECT_KINDS: dict[str, str] = {
    "case": "案件",
    "act": "执法环节",
    "text_record": "文书",
    "av_record": "音像记录",
    "approval": "审批",
    "service": "送达",
    "execution": "执行",
    "case_file": "案卷",
    "access_request": "查阅复制申请",
}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a finding is about: the case itself or one of its acts, records, approvals ..."""

    kind: str
    id: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id}


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    citation: str
    severity: str
    status: str
    subject: Subject
    message: str
    remedy: str
    due: datetime | None = None
    calendar_unknown: bool = False
    case_id: str = ""

    def to_dict(self) -> dict[str, object]:
        """The JSON shape used by ``liuhen check --json`` and the API."""
        return {
            "rule_id": self.rule_id,
            "citation": self.citation,
            "severity": self.severity,
            "status": self.status,
            "due": self.due.isoformat() if self.due else None,
            "subject": self.subject.to_dict(),
            "message": self.message,
            "remedy": self.remedy,
            "calendar_unknown": self.calendar_unknown,
            "case_id": self.case_id,
        }
