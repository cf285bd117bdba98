"""Approvals as values: who may sign in which capacity, an approval's state, its steps in bundle form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liuhen.domain import vocab

ROLE_POSITIONS: dict[str, tuple[str, ...]] = {
    "officer": ("officer",),
    "section_head": ("section_head", "unit_head"),
    "legal_reviewer": ("legal_reviewer", "legal_office_head"),
    "head": ("head", "principal_head", "deputy_head"),
}
"""In which capacities (vocab.POSITIONS) a user of each role may sign an approval step."""

DECISIONS = {"approved": "同意", "rejected": "不同意", "submitted": "提请"}


@dataclass(frozen=True)
class ApprovalState:
    id: str
    case_id: str | None
    case_number: str
    case_title: str
    kind: str
    kind_name: str
    emergency: bool
    fields: dict[str, Any]
    steps: list[dict[str, Any]]
    closed: bool
    outcome: str | None
    requested_at: datetime
    subject_record_id: str | None = None
    subject_title: str = ""
    case_procedure: str = ""
    case_profile: str = ""
    """The case's procedure and its agency's profile: which approvers its rule wants."""


def positions_for(roles: tuple[str, ...]) -> list[str]:
    return [p for role in roles for p in ROLE_POSITIONS.get(role, ())]


def bundle_steps(steps: list[dict[str, Any]], tz: Any) -> list[dict[str, Any]]:
    """Approval steps in case-bundle form (for the snapshot the engine reads)."""
    return [
        {
            "role": s["role"],
            "name": s["name"],
            "at": s["decided_at"].astimezone(tz).isoformat(),
            "position": s["position_code"],
            "opinion": s["opinion"],
            **(
                {"officer_id": s["details"]["officer_id"]} if s["details"].get("officer_id") else {}
            ),
        }
        for s in steps
    ]


def state_of(
    row: Mapping[str, Any],
    steps: Sequence[Mapping[str, Any]],
    *,
    case_number: str = "",
    case_title: str = "",
    subject_title: str = "",
    case_procedure: str = "",
    case_profile: str = "",
) -> ApprovalState:
    """An approval's state from its row and its steps (by position): closed by a rejection,
    or by an approval marked final."""
    outcome = None
    for s in steps:
        if s["decision"] == "rejected":
            outcome = "rejected"
        elif s["decision"] == "approved" and s["details"].get("final"):
            outcome = "approved"
    return ApprovalState(
        id=row["id"],
        case_id=row["case_id"],
        case_number=case_number,
        case_title=case_title,
        kind=row["kind"],
        kind_name=vocab.APPROVAL_KINDS.get(row["kind"], row["kind"]),
        emergency=row["emergency"],
        fields=row["details"].get("fields", {}),
        steps=[dict(s) for s in steps],
        closed=outcome is not None,
        outcome=outcome,
        requested_at=row["created_at"],
        subject_record_id=row["subject_record_id"],
        subject_title=subject_title,
        case_procedure=case_procedure,
        case_profile=case_profile,
    )
