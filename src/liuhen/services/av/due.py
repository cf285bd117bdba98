"""Whose footage is due: the acts of a user that need audio-video and have none stored yet,
with the deadline the profile sets (24 hours or 2 working days after the act; after the
return for remote work). The case page and the home page warn; reminders call this too.
Lateness of footage already stored is the ``av_upload_deadline`` rule's finding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from liuhen.domain.case import Act, Case
from liuhen.ledger.events import Actor
from liuhen.rules import load_bundle, load_profile
from liuhen.rules.checks.av_deadlines import AVUploadDeadline
from liuhen.rules.checks.av_required import AVRequired
from liuhen.rules.engine.context import fmt_time
from liuhen.rules.engine.periods import Period, due_after
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.services.cases.bundles import assemble_bundle
from liuhen.services.permissions import require_case
from liuhen.store import tables as t
from liuhen.store.store import Store

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


def av_uploads_due(
    store: Store,
    actor: Actor,
    now: datetime,
    *,
    case_id: str | None = None,
    calendar: WorkCalendar | None = None,
) -> list[UploadDue]:
    """The acts of ``actor``'s officer (all officers' acts of ``case_id`` when given) that
    need audio-video and have none stored, overdue first, then by due time."""
    require_case(store, actor, "case.read", case_id)
    with store.read() as conn:
        officer = (
            conn.execute(select(t.users.c.officer_id).where(t.users.c.id == actor.id)).scalar()
            if actor.id
            else None
        )
        query = select(t.acts.c.case_id, t.acts.c.officer_ids).where(t.acts.c.ended_at.is_not(None))
        if case_id is not None:
            query = query.where(t.acts.c.case_id == case_id)
        rows = conn.execute(query).all()
    if case_id is None and officer is None:
        return []
    cases = sorted({c for c, ids in rows if case_id is not None or officer in (ids or [])})
    out: list[UploadDue] = []
    calendar = calendar or store.calendar()  # once, not per case and act
    for cid in cases:
        out += _case_due(store, cid, officer if case_id is None else None, now, calendar)
    out.sort(key=lambda d: (_ORDER[d.state], d.due or now, d.case_number))
    return out


def _case_due(
    store: Store, case_id: str, officer: str | None, now: datetime, calendar: WorkCalendar
) -> list[UploadDue]:
    bundle = assemble_bundle(store, case_id)
    return uploads_due_in(bundle, officer, now, calendar, store.settings.tz)


def uploads_due_in(
    bundle: dict[str, Any], officer: str | None, now: datetime, calendar: WorkCalendar, tz: Any
) -> list[UploadDue]:
    """The acts of an assembled case bundle that need audio-video and have none (only
    ``officer``'s when given), overdue first, then by due time (no query)."""
    case: Case = load_bundle(bundle)
    profile = load_profile(bundle["agency"]["profile"])
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
        need = next((n for r in required if (n := r.requirement(act)) is not None), None)
        if need is None:
            continue
        out.append(_due(case, act, need, deadline, now, calendar, tz))
    out.sort(key=lambda d: (_ORDER[d.state], d.due or now, d.case_number))
    return out


_ORDER = {"overdue": 0, "soon": 1, "upcoming": 2, "waiting": 3}


def _due(
    case: Case,
    act: Act,
    need: tuple[str, str],
    rule: AVUploadDeadline,
    now: datetime,
    calendar: WorkCalendar,
    tz: Any,
) -> UploadDue:
    period: Period = rule.limit
    start: datetime | None = act.ended_at
    from_what = "执法活动结束"
    if act.remote and rule.remote_limit is not None:
        period, start, from_what = rule.remote_limit, act.returned_at, "返回单位"
    due = due_after(start, period, calendar, tz).at if start is not None else None
    if due is None:
        state = "waiting"
    elif now > due:
        state = "overdue"
    elif due - now <= SOON:
        state = "soon"
    else:
        state = "upcoming"
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
