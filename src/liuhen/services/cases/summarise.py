"""One case's summary from its assembled bundle (``summarise_bundle``): the engine's findings,
the acts that needed AV, the next recorded time to judge again. Pure of storage: the store's
side (reading bundles, caching summaries, keeping them current) is ``summaries``."""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import datetime, tzinfo
from typing import Any

from liuhen.domain.case import Case
from liuhen.domain.finding import Finding
from liuhen.errors import LiuhenError
from liuhen.rules import load_profile
from liuhen.rules.engine import _zone, sort_key
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.profile import Profile
from liuhen.rules.footage_due import to_summary, uploads_due
from liuhen.rules.gates import OpenContext
from liuhen.rules.sources.bundle import stored_case
from liuhen.rules.sources.calendar import WorkCalendar

VERSION = 4
"""Bump when the summary's shape or meaning changes: every stored summary is then rebuilt."""

# -- computing one summary --------------------------------------------------------------


def _evaluate(
    case: Case, profile: Profile, calendar: WorkCalendar, now: datetime
) -> tuple[list[Finding], OpenContext]:
    """The case's findings, and the context that noted which deadlines are still open."""
    ctx = OpenContext(case, calendar, now, _zone(profile.timezone))
    findings: list[Finding] = []
    for rule in profile.rules_for(case.procedure):
        findings.extend(rule.check(ctx))
    findings.sort(key=sort_key)
    return findings, ctx


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def summarise_bundle(
    bundle: Mapping[str, Any],
    *,
    stage: str,
    now: datetime,
    calendar: WorkCalendar | None = None,
    damaged: int = 0,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """The summary of one assembled case bundle (``stage`` from its transitions); ``tz``
    counts the footage deadlines' working days (default: the profile's time zone)."""
    c = bundle["case"]
    calendar = calendar or WorkCalendar()
    base: dict[str, Any] = {
        "v": VERSION,
        "calendar": calendar.key,
        "recompute_at": _iso(_next_recorded_time(bundle, now)),
        "number": c.get("number", c["id"]),
        "title": c.get("title", ""),
        "procedure": c["procedure"],
        "stage": stage,
        "section": bundle["agency"].get("unit", ""),
        "opened_at": c["opened_at"],
        "closed_at": c.get("ended_at"),
        "party": bundle.get("party", {}),
        "damaged": damaged,
    }
    try:
        case = stored_case(bundle)
        profile = load_profile(bundle["agency"]["profile"])
        findings, ctx = _evaluate(case, profile, calendar, now)
    except LiuhenError as exc:  # a case the engine cannot read yet: listed without counts
        return {**base, "error": exc.message, "officers": [], "findings": [], "av_due": []}
    names = {o.id: o.name for o in case.officers}
    officer_ids = sorted({o for a in case.acts for o in a.officer_ids})
    types = {r.id: r.type_name for r in profile.rules}
    act_officers = {a.id: sorted(a.officer_ids) for a in case.acts}
    zone = tz or _zone(profile.timezone)
    return {
        **base,
        "error": None,
        "officers": [[o, names.get(o, o)] for o in officer_ids],
        "av_acts": _av_acts(case, profile, ctx),
        "av_due": [  # footage still to store (rules/footage_due): home-page warnings
            to_summary(d, act_officers.get(d.act_id, []))
            for d in uploads_due(case, profile, now, calendar, zone)
        ],
        "av_records": [av.id for av in case.av_records],
        "case_file_rule": any(r.type_name == "case_file_deadline" for r in profile.rules),
        "findings": [_finding_row(f, types, ctx.open) for f in findings],
    }


def _finding_row(f: Finding, types: Mapping[str, str], open_: Container[Any]) -> dict[str, Any]:
    """A finding as the summary keeps it; ``open_``: the (rule, kind, id) still open."""
    return {
        "rule": f.rule_id,
        "type": types.get(f.rule_id, ""),
        "status": f.status,
        "severity": f.severity,
        "due": _iso(f.due),
        "open": (f.rule_id, f.subject.kind, f.subject.id) in open_,
        "subject": [f.subject.kind, f.subject.id],
        "citation": f.citation,
        "message": f.message,
    }


def _next_recorded_time(bundle: Any, now: datetime) -> datetime | None:
    """The earliest time recorded in the bundle that is still ahead of ``now`` (a closing or
    an act entered with a time later today): the engine reads the case differently once it
    passes, so the summary is rebuilt then. Every zoned ISO time in the bundle counts."""
    found: datetime | None = None
    stack = [bundle]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and len(item) >= 20 and item[4:5] == "-" and "T" in item:
            try:
                moment = datetime.fromisoformat(item)
            except ValueError:
                continue
            if moment.tzinfo is not None and moment > now and (found is None or moment < found):
                found = moment
    return found


def _av_acts(case: Case, profile: Profile, ctx: CheckContext) -> dict[str, list[str]]:
    """The acts the profile says must be recorded on AV (``needed``) and those that are."""
    rules = [r for r in profile.rules_for(case.procedure) if r.type_name == "av_required"]
    needed, have = [], []
    for act in case.acts:
        if act.started_at > ctx.now:
            continue
        if any(r._requirement(act) is not None for r in rules):  # type: ignore[attr-defined]
            needed.append(act.id)
            if ctx.av_by_act.get(act.id):
                have.append(act.id)
    return {"needed": needed, "have": have}


# -- the cache --------------------------------------------------------------------------
