"""Whose footage is due (``rules/footage_due`` says how it is decided): a user's acts that
need audio-video and have none stored, from the case summaries' index (only the cases of the
user's officer that have such acts are read), or one case's, from its records. The case page
and the home page warn; reminders call this too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liuhen.domain.case import Case
from liuhen.ledger.events import Actor
from liuhen.rules import load_profile
from liuhen.rules.footage_due import SOON, UploadDue, from_summary, uploads_due
from liuhen.rules.sources.bundle import stored_case
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.services.av.queries.due import footage_due_of_officer
from liuhen.services.cases.bundles import assemble_bundle
from liuhen.services.permissions import require_case
from liuhen.store.store import Store

__all__ = [
    "SOON",
    "UploadDue",
    "Warnings",
    "av_uploads_due",
    "footage_warnings",
    "ordered",
    "uploads_due_in",
]

_ORDER = {"overdue": 0, "soon": 1, "upcoming": 2, "waiting": 3}


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
    if case_id is not None:
        out = _case_due(store, case_id, now, calendar or store.calendar())
    else:
        out = _officer_due(store, actor, now)[0]
    return ordered(out, now)


def ordered(items: list[UploadDue], now: datetime) -> list[UploadDue]:
    """Overdue first, then due soon, upcoming, waiting; each by due time."""
    items.sort(key=lambda d: (_ORDER[d.state], d.due or now, d.case_number))
    return items


class Warnings(list[UploadDue]):
    """The first uploads of a warning, with ``total``: how many there are in all."""

    total = 0


def footage_warnings(store: Store, actor: Actor, now: datetime, shown: int = 20) -> Warnings:
    """The uploads of ``actor``'s officer that are overdue or due within ``SOON`` (the home
    page's warning): the ``shown`` earliest, and how many in all."""
    require_case(store, actor, "case.read", None)
    items, total = _officer_due(store, actor, now, soon=True, shown=shown)
    items.sort(key=lambda d: (_ORDER[d.state], d.due or now, d.case_number))
    found = Warnings(items)
    found.total = total
    return found


def _officer_due(
    store: Store, actor: Actor, now: datetime, *, soon: bool = False, shown: int | None = None
) -> tuple[list[UploadDue], int]:
    """From the index (``footage_due``): the officer's uploads due (only those overdue or
    due within ``SOON`` when ``soon``), the earliest ``shown``, and how many in all."""
    from liuhen.services.cases.summaries import ensure_current

    officer = actor.officer_id  # the user's, loaded with the session (``User.actor``)
    if actor.id is None or officer is None:
        return [], 0
    ensure_current(store, now)
    due_by = now + SOON if soon else None
    picked, total = footage_due_of_officer(store, officer, due_by=due_by, shown=shown)
    return [from_summary(case_id, number, item, now) for case_id, number, item in picked], total


def _case_due(store: Store, case_id: str, now: datetime, calendar: WorkCalendar) -> list[UploadDue]:
    return uploads_due_in(assemble_bundle(store, case_id), None, now, calendar, store.settings.tz)


def uploads_due_in(
    bundle: dict[str, Any],
    officer: str | None,
    now: datetime,
    calendar: WorkCalendar,
    tz: Any,
    stored: Case | None = None,
) -> list[UploadDue]:
    """The acts of an assembled case bundle that need audio-video and have none (only
    ``officer``'s when given), overdue first, then by due time (no query). ``stored``: the
    bundle's ``stored_case``, when the caller has built it already."""
    profile = load_profile(bundle["agency"]["profile"])
    case = stored if stored is not None else stored_case(bundle)
    return ordered(uploads_due(case, profile, now, calendar, tz, officer), now)
