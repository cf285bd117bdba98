"""Footage that no case holds: listed for the custodians with its age, flagged by the
profile's ``av_unlinked`` rule once it stays unlinked too long, and always kept.

Retention never depends on a tag picked at upload: unlinked footage is kept like any
other (004§12), and this list is how it gets found and linked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from liuhen.domain.finding import PENDING, VIOLATION
from liuhen.errors import ProfileInvalid
from liuhen.ledger.events import Actor
from liuhen.rules import load_profile
from liuhen.rules.checks.av_devices import AVUnlinked
from liuhen.rules.engine.context import fmt_time
from liuhen.rules.engine.periods import due_after
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.services.av.queries.views import unlinked_lookups
from liuhen.services.av.views import unlinked_av
from liuhen.services.permissions import allowed, footage_facts, require
from liuhen.store.store import Store


@dataclass(frozen=True)
class UnlinkedFootage:
    id: str
    title: str
    stored_at: datetime
    age: timedelta
    device: str
    officer: str
    segments: int
    started_at: datetime
    due: datetime | None
    status: str  # violation (past the profile's time) | pending
    citation: str
    message: str
    remedy: str

    @property
    def age_text(self) -> str:
        days, hours = self.age.days, self.age.seconds // 3600
        return f"{days}日{hours}小时" if days else f"{hours}小时{self.age.seconds % 3600 // 60}分"


def unlinked_footage(
    store: Store, actor: Actor, now: datetime, calendar: WorkCalendar | None = None
) -> list[UnlinkedFootage]:
    """Every unlinked AV record (latest versions) the actor may read, oldest first, each
    judged by the profile of its agency (``footage_facts``: its device's, the receiving
    agency's, its uploader's; the first agency when none is known)."""
    require(actor, "case.read")
    every = unlinked_av(store)
    found = unlinked_lookups(store, [i["id"] for i in every])
    agencies, first, devices = found.profiles, found.first_agency, found.devices
    officers, users, uploaders = found.officers, found.user_agencies, found.uploaders

    def facts(item: dict[str, Any]) -> dict[str, Any]:
        device = devices.get(str(item.get("device_id")))
        uploader = uploaders.get(item["id"], "")
        return footage_facts(
            item["title"],
            item,
            uploader,
            device["agency_id"] if device else None,
            users.get(uploader),
        )

    # within the reader's reach: the footage's agency (as footage_scope decides it)
    judged = [(i, facts(i)) for i in every]
    items = [(i, f) for i, f in judged if allowed(actor, "case.read", f)]
    calendar = calendar or store.calendar()
    tz = store.settings.tz
    out = []
    for item, scope in items:
        device = devices.get(item.get("device_id", ""))
        agency = scope["agency_id"] or first
        rule = _rule(agencies.get(agency)) if agency else None
        out.append(_entry(item, device, rule, officers, now, calendar, tz))
    out.sort(key=lambda f: f.stored_at)
    return out


def _entry(
    item: dict[str, Any],
    device: Mapping[str, Any] | None,
    rule: AVUnlinked | None,
    officers: Mapping[str, str],
    now: datetime,
    calendar: WorkCalendar,
    tz: tzinfo,
) -> UnlinkedFootage:
    """One unlinked recording with its deadline under ``rule`` (none without a rule)."""
    stored = datetime.fromisoformat(item["stored_at"])
    started = min(datetime.fromisoformat(s["start"]) for s in item["segments"])
    subject = f"音像记录（{fmt_time(started, tz)}，{len(item['segments'])} 段）"
    due = due_after(stored, rule.limit, calendar, tz).at if rule else None
    late = due is not None and now > due
    state = (
        f"至今（{fmt_time(now, tz)}）仍未关联，已逾期"
        if late
        else f"尚未关联，请在 {fmt_time(due, tz)} 前关联"
        if due
        else "尚未关联"
    )
    message, remedy = (
        rule.message(subject=subject, stored=fmt_time(stored, tz), state=state)
        if rule
        else (f"{subject}尚未关联案件", "关联到所属案件和执法环节；未关联的音像记录继续保存。")
    )
    return UnlinkedFootage(
        id=item["id"],
        title=item["title"],
        stored_at=stored,
        age=now - stored,
        device=(f"{device['serial_no']}" if device else str(item.get("device_id", ""))),
        officer=officers.get(item.get("officer_id", ""), str(item.get("officer_id", ""))),
        segments=len(item["segments"]),
        started_at=started,
        due=due,
        status=VIOLATION if late else PENDING,
        citation=rule.citation if rule else "",
        message=message,
        remedy=remedy,
    )


def _rule(profile_id: str | None) -> AVUnlinked | None:
    if not profile_id:
        return None
    try:
        profile = load_profile(profile_id)
    except ProfileInvalid:  # an agency whose profile is missing still sees its footage
        return None
    return next((r for r in profile.rules if isinstance(r, AVUnlinked)), None)
