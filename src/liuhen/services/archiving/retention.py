"""Retention (保管期限): which class a record falls in, for how long it is kept, from when.

The classes and terms are profile data (the ``retention_schedule`` rule, each class with its
citation): AV made while handling a case is kept as long as the case file and other AV for
3 years (004§12); AV of a disputed, obstructed or mass-incident act is kept long-term
(001§14); the case's documents follow the case file (001§12). A case record's period starts
when the case file is handed over to the archive (归档移交); AV that no case holds counts
from when it was stored. Long-term and permanent records have no end date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liuhen.domain import vocab
from liuhen.errors import InvalidInput
from liuhen.rules import load_profile
from liuhen.rules.checks.retention import TERM_YEARS, RetentionSchedule


@dataclass(frozen=True)
class RecordRetention:
    record_id: str
    case_id: str | None
    case_number: str
    title: str
    class_code: str
    class_name: str
    term: str
    term_name: str
    citation: str
    starts_at: datetime | None
    until: datetime | None
    explanation: str
    approver_positions: tuple[str, ...]
    disposal_citation: str

    def expired(self, now: datetime) -> bool:
        return self.until is not None and now >= self.until

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("starts_at", "until"):
            out[key] = out[key].isoformat() if out[key] else None
        out["approver_positions"] = list(self.approver_positions)
        return out


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def schedule_for(profile_id: str) -> RetentionSchedule:
    profile = load_profile(profile_id or "base")
    for rule in profile.rules:
        if isinstance(rule, RetentionSchedule):
            return rule
    raise InvalidInput(f"profile: 《{profile.name}》没有保管期限表（retention_schedule 规则）")


def record_title(record: Mapping[str, Any]) -> str:
    """A record's title; imported records may have none, so name them by their kind."""
    if record["title"]:
        return str(record["title"])
    if record["kind"] == "av":
        segments = record["details"].get("segments") or [{}]
        name = segments[0].get("file_name", "")
        return f"音像记录 {name}" if name else "音像记录"
    kind = record["doc_kind"] or record["details"].get("kind", "")
    return vocab.DOCUMENT_KINDS.get(kind, "文书")


def long_term_reason(act_details: Mapping[str, Any] | None, schedule: RetentionSchedule) -> str:
    """The 001§14 circumstance among an act's flags, if any ('' when none)."""
    flags = schedule.classes["long_term"].flags
    act_flags = (act_details or {}).get("flags", [])
    return next((vocab.ACT_FLAGS[f] for f in flags if f in act_flags), "")


def retention_of(
    record: Mapping[Any, Any],
    case: Mapping[Any, Any] | None,
    case_file: Mapping[Any, Any] | None,
    schedule: RetentionSchedule,
    long_reason: str = "",
) -> RecordRetention:
    """The retention of the latest version ``record`` of a record, from what was read: its
    case (None for footage no case holds), the case's current case file, the profile's
    schedule and, for AV, the 001§14 circumstance of its act (``long_term_reason``)."""
    stated = (record["details"].get("retention") or {}).get("term", "")
    if record["kind"] == "av" and (long_reason or stated in ("long_term", "permanent")):
        code = "long_term"
        long_reason = long_reason or f"记录上标明的保存期限为“{vocab.RETENTION_TERMS[stated]}”"
    elif record["kind"] == "av":
        code = "case_av" if case is not None else "other_av"
    else:
        code = "document"
    cls = schedule.classes[code]
    term, citation = cls.term, cls.citation
    starts_at: datetime | None = None
    if term == "case":
        details = (case_file or {}).get("details", {})
        term = (details.get("retention") or {}).get("term") or schedule.case_file_term
        handed = details.get("handed_over_at")
        starts_at = datetime.fromisoformat(handed) if handed else None
        why = f"随案卷保存，案卷保存期限“{vocab.RETENTION_TERMS.get(term, term)}”，" + (
            "自案卷归档移交之日起算" if starts_at else "案卷尚未归档移交，保管期限尚未起算"
        )
    elif code == "other_av":
        starts_at = record["created_at"]
        why = "未关联案件的音像记录，自存储之日起算"
    else:
        why = f"长期保存：{long_reason}"
    years = TERM_YEARS.get(term)
    until = add_years(starts_at, years) if (starts_at is not None and years is not None) else None
    if years is None:
        why += "；长期或永久保存，不设处置日期"
    return RecordRetention(
        record_id=record["id"],
        case_id=case["id"] if case is not None else None,
        case_number=case["number"] if case is not None else "",
        title=record_title(record),
        class_code=code,
        class_name=cls.name,
        term=term,
        term_name=vocab.RETENTION_TERMS.get(term, term),
        citation=citation,
        starts_at=starts_at,
        until=until,
        explanation=why,
        approver_positions=schedule.disposal_positions,
        disposal_citation=schedule.disposal_citation,
    )
