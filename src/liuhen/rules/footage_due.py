"""Whose footage is due: the acts that the profile says need audio-video and have none
stored yet, with the deadline it sets (24 hours or 2 working days after the act; after the
return for remote work). Pure: a loaded case and its profile in, items out. Case summaries
keep these items (``to_summary``), so a user's warnings are read without loading cases;
``services/av/due`` serves them. Lateness of footage already stored is the
``av_upload_deadline`` rule's finding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from liuhen.domain.case import Act, Case
from liuhen.rules.checks.av_deadlines import AVUploadDeadline
from liuhen.rules.checks.av_required import AVRequired
from liuhen.rules.engine.calendar import WorkingDays
from liuhen.rules.engine.context import fmt_time
from liuhen.rules.engine.periods import Period, due_after
from liuhen.rules.engine.profile import Profile

SOON = timedelta(hours=12)
"""An upload due within this time is "due soon" (the warning turns amber before red)."""


@dataclass(frozen=True)
class UploadDue:
    case_id: str
    case_number: str
    act_id: str
    act_kind: str
    act_place: str
    ended_at: datetime
    what: str
    """Why the act needs audio-video (its kind, or its flag), as the profile says."""
    citation: str
    limit: str
    from_what: str
    due: datetime | None
    """None: the remote-work clock has not started (return not yet recorded)."""
    state: str  # overdue | soon | upcoming | waiting

    def as_dict(self, tz: Any) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "case_number": self.case_number,
            "act_id": self.act_id,
            "act_kind": self.act_kind,
            "ended_at": self.ended_at.isoformat(),
            "what": self.what,
            "citation": self.citation,
            "limit": self.limit,
            "due": self.due.isoformat() if self.due else None,
            "due_text": fmt_time(self.due, tz) if self.due else "",
            "state": self.state,
        }


def uploads_due(
    case: Case,
    profile: Profile,
    now: datetime,
    calendar: WorkingDays,
    tz: Any,
    officer: str | None = None,
) -> list[UploadDue]:
    """The acts of ``case`` (of ``officer`` when given) that the profile says need
    audio-video and that have none stored, with their deadlines, in act order."""
    rules = profile.rules_for(case.procedure)
    required = [r for r in rules if isinstance(r, AVRequired)]
    deadline = next((r for r in rules if isinstance(r, AVUploadDeadline)), None)
    if deadline is None or not required:
        return []
    has_av = {av.act_id for av in case.av_records if av.act_id}
    out = []
    for act in case.acts:
        if act.ended_at is None or act.id in has_av or act.ended_at > now:
            continue
        if officer is not None and officer not in act.officer_ids:
            continue
        need = next(
            (n for r in required if (n := r.requirement(act, case.devices)) is not None), None
        )
        if need is None:
            continue
        out.append(_due(case, act, need, deadline, now, calendar, tz))
    return out


def state_of(due: datetime | None, now: datetime) -> str:
    """overdue | soon | upcoming | waiting (no deadline yet: the return is not recorded)."""
    if due is None:
        return "waiting"
    if now > due:
        return "overdue"
    return "soon" if due - now <= SOON else "upcoming"


def to_summary(item: UploadDue, officers: list[str]) -> dict[str, Any]:
    """What a case summary keeps of an upload due (its state is decided when read)."""
    return {
        "act": item.act_id,
        "kind": item.act_kind,
        "place": item.act_place,
        "ended_at": item.ended_at.isoformat(),
        "officers": officers,
        "what": item.what,
        "citation": item.citation,
        "limit": item.limit,
        "from_what": item.from_what,
        "due": item.due.isoformat() if item.due else None,
    }


def from_summary(
    case_id: str, case_number: str, item: Mapping[str, Any], now: datetime
) -> UploadDue:
    due = datetime.fromisoformat(item["due"]) if item["due"] else None
    return UploadDue(
        case_id=case_id,
        case_number=case_number,
        act_id=item["act"],
        act_kind=item["kind"],
        act_place=item["place"],
        ended_at=datetime.fromisoformat(item["ended_at"]),
        what=item["what"],
        citation=item["citation"],
        limit=item["limit"],
        from_what=item["from_what"],
        due=due,
        state=state_of(due, now),
    )


def _due(
    case: Case,
    act: Act,
    need: tuple[str, str],
    rule: AVUploadDeadline,
    now: datetime,
    calendar: WorkingDays,
    tz: Any,
) -> UploadDue:
    period: Period = rule.limit
    start: datetime | None = act.ended_at
    from_what = "执法活动结束"
    trip = case.trip(act.trip_id)
    if trip is not None and rule.remote_limit is not None:
        period, start, from_what = rule.remote_limit, trip.returned_at, "返回单位"
    due = due_after(start, period, calendar, tz).at if start is not None else None
    state = state_of(due, now)
    assert act.ended_at is not None
    return UploadDue(
        case_id=case.id,
        case_number=case.number,
        act_id=act.id,
        act_kind=act.kind,
        act_place=act.place,
        ended_at=act.ended_at,
        what=need[0],
        citation=rule.citation,
        limit=str(period),
        from_what=from_what,
        due=due,
        state=state,
    )
