"""Case summaries: the engine's figures for one case, cached in ``case_summaries``.

A summary is derived from the records (never the source of truth): stage, procedure, section,
officers, dates, the acts that needed AV and whether they have it, AV uploads and the case
file against their deadlines, and every finding with its due time. It is rebuilt when the
case's newest *change* (``case_changes``, written with every ledger event that changes a
case) is newer than ``source_seq``. Deadlines keep passing after a summary is computed, so
nothing time-dependent is stored as a verdict: a finding that was pending keeps its due time
and ``state_at`` (``rules/summary_state``) decides at read time whether it is overdue.

Beside each summary the store keeps an index (``store/summary_index``): the columns lists
are filtered, sorted, counted and searched on, and the case's share of the dashboard's
counts. ``ensure_current`` brings both up to date before a list or the dashboard is read:
it rebuilds the stale summaries (found by index, not by reading every case) and recomputes
the shares whose next deadline has passed.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from liuhen.domain.case import Case
from liuhen.domain.finding import PENDING, VIOLATION, Finding, Subject
from liuhen.errors import LiuhenError
from liuhen.ledger.events import READ_ACTIONS
from liuhen.rules import load_profile
from liuhen.rules.engine import _zone, sort_key
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.periods import Period
from liuhen.rules.engine.profile import Profile
from liuhen.rules.engine.registry import Rule
from liuhen.rules.footage_due import to_summary, uploads_due
from liuhen.rules.sources.bundle import stored_case
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.rules.sources.summary_state import (
    GRACE,
    CaseState,
    Category,
    categories,
    category_of,
    is_violation,
    state_at,
)
from liuhen.services.cases.queries.summaries import (
    newest_changes_and_agencies,
    stage_and_damaged,
    stale_cases,
    stored_summaries,
    write_retrying,
)
from liuhen.services.cases.rejudge_state import pending
from liuhen.store import summary_index
from liuhen.store.store import Store

VERSION = 4
"""Bump when the summary's shape or meaning changes: every stored summary is then rebuilt."""

# -- computing one summary --------------------------------------------------------------


class _TrackingContext(CheckContext):
    """The engine's context, noting which deadline findings are still outstanding (not done),
    so "overdue" can be told apart from "done late"."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.open: set[tuple[str, str, str]] = set()

    def deadline(
        self,
        rule: Rule,
        subject: Subject,
        start: datetime,
        period: Period,
        done_at: datetime | None,
        **values: Any,
    ) -> Finding | None:
        found = super().deadline(rule, subject, start, period, done_at, **values)
        if found is not None and done_at is None:
            self.open.add((rule.id, subject.kind, subject.id))
        return found


def _evaluate(
    case: Case, profile: Profile, calendar: WorkCalendar, now: datetime
) -> tuple[list[Finding], _TrackingContext]:
    ctx = _TrackingContext(case, calendar, now, _zone(profile.timezone))
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


def compute(store: Store, case_id: str, now: datetime | None = None) -> dict[str, Any]:
    """A fresh summary of one stored case, as of ``now`` (default: the store's clock)."""
    from liuhen.services.cases.bundles import assemble_bundle

    bundle = assemble_bundle(store, case_id)
    actions = sorted({a for c in categories() for a in c.ledger_actions})
    stage, damaged = stage_and_damaged(store, case_id, actions)
    return summarise_bundle(
        bundle,
        stage=stage,
        now=now or store.clock(),
        calendar=store.calendar(),
        damaged=damaged,
        tz=store.settings.tz,
    )


def save(
    store: Store, rows: Iterable[tuple[str, str, dict[str, Any], int]], *, conn: Any = None
) -> None:
    """Store summaries: (case_id, agency_id, summary, source_seq), with their index and their
    share of the dashboard (``store/summary_index``). A derived cache, so no ledger event: it
    is rebuilt from the records whenever they change."""
    items = list(rows)
    if not items:
        return
    tz = store.settings.tz
    if conn is not None:
        summary_index.write(conn, items, now=store.clock(), tz=tz)
        return
    write_retrying(store, items, tz=tz)


def refresh(store: Store, case_ids: Iterable[str]) -> None:
    """Recompute and store the summaries of ``case_ids`` now (e.g. eagerly after a write)."""
    ids = list(case_ids)
    newest, agencies = newest_changes_and_agencies(store, ids)
    save(store, [(i, agencies[i], compute(store, i), newest.get(i, 0)) for i in agencies])


class _Memo:
    """What this process knows, per store: every summary was current as of the change
    ``watermark`` (only later changes are looked up), the holiday schedules ``calendar``
    were checked against every summary, and the time zone of the index was checked."""

    def __init__(self) -> None:
        self.watermark = -1
        self.calendar: str | None = None
        self.timezone_checked = False
        self.checked_at: datetime | None = None  # the store's clock at the last full check
        self.changes = -1  # ``store.changes`` then
        self.lock = Lock()


_MEMOS: WeakKeyDictionary[Store, _Memo] = WeakKeyDictionary()
_BATCH = 200
TRUST = timedelta(seconds=1)
"""How long a check stands for this process when it wrote nothing since: another process's
change shows on lists up to this much later (the case page itself is always read fresh)."""


def _memo(store: Store) -> _Memo:
    memo = _MEMOS.get(store)
    if memo is None:
        memo = _MEMOS[store] = _Memo()
    return memo


def _check_timezone(store: Store) -> None:
    """Months in the index were cut in the settings' time zone; rebuild it if not."""
    with store.read() as conn:
        stored = summary_index.stored_timezone(conn)
    if stored != store.settings.timezone:
        with store.engine.begin() as conn:
            summary_index.hold_for_rebuild(conn)  # processes that all saw it: one rebuilds
            if summary_index.stored_timezone(conn) != store.settings.timezone:
                summary_index.rebuild(
                    conn, tz=store.settings.tz, tz_name=store.settings.timezone, now=store.clock()
                )


def ensure_current(store: Store, now: datetime | None = None) -> None:
    """Bring the summaries and their index up to date as of ``now``: rebuild the summaries of
    cases changed since (or never summarised, or with a recorded time now passed, or of
    another version or holiday schedule — unless the job ``summaries`` re-judging them
    after a schedule's load waits or runs: that is left to it), then recompute the dashboard shares whose next
    deadline has passed. When nothing changed this is three indexed queries."""
    now = now or store.clock()
    key = store.calendar().key
    memo = _memo(store)
    with memo.lock:  # one thread of the process catches up; the others wait for it
        changes = store.changes
        if (
            memo.checked_at is not None
            and memo.changes == changes
            and memo.calendar == key
            and timedelta(0) <= now - memo.checked_at < TRUST
        ):
            return
        if not memo.timezone_checked:
            _check_timezone(store)
            memo.timezone_checked = True
        wide = memo.calendar != key  # every summary to check against the schedules
        if wide and _left_to_job(store, key):
            wide = False  # the job ``summaries`` re-judges them (services/cases/rejudge)
        stale, top, agencies = stale_cases(
            store, after=memo.watermark, now=now, version=VERSION, calendar=key if wide else None
        )
        rows = [c for c in sorted(stale) if c in agencies]
        for i in range(0, len(rows), _BATCH):
            chunk = rows[i : i + _BATCH]
            save(store, [(c, agencies[c], compute(store, c), stale[c]) for c in chunk])
        memo.watermark = max(memo.watermark, top)
        if wide or memo.calendar == key:
            memo.calendar = key  # else looked at again next time: the job may end or fail
        with store.read() as conn:
            behind = summary_index.sweep_needed(conn, now)
        if behind:
            with store.engine.begin() as conn:
                summary_index.sweep(conn, now)
        memo.checked_at, memo.changes = now, changes


def _left_to_job(store: Store, key: str) -> bool:
    """Whether the job re-judging the summaries under the schedules ``key`` waits or runs
    (then requests leave the calendar-wide staleness to it)."""
    return key != "" and pending(store, key) is not None


def settled(store: Store, key: str) -> bool:
    """Whether this process's last check found every summary judged under the schedules
    ``key`` (none left to the re-judging job)."""
    return _memo(store).calendar == key


def generation(store: Store) -> int:
    """The newest case change this process has brought the summaries up to (after
    ``ensure_current``): any count of cases that depends on nothing but the records is the
    same as long as this is."""
    return _memo(store).watermark


def with_states(
    store: Store, agency_id: str | None = None, now: datetime | None = None
) -> list[tuple[dict[str, Any], CaseState]]:
    """Every case's summary (of one agency, or all) with its state at ``now``, stale ones
    rebuilt first; summaries carry ``id`` and ``agency_id``. Reads every summary: for tools
    and tests; pages read the index (``store/queries``)."""
    now = now or store.clock()
    ensure_current(store, now)
    out = []
    for case_id, agency, summary in stored_summaries(store, agency_id):
        summary.update(id=case_id, agency_id=agency)
        out.append((summary, state_at(summary, now)))
    return out


def summaries(store: Store, agency_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Every case's summary (of one agency, or all), rebuilding the stale ones first."""
    return {s["id"]: s for s, _ in with_states(store, agency_id)}


def open_findings(summary: Mapping[str, Any], now: datetime) -> tuple[int | None, int | None]:
    """(violations, pending) as of ``now`` — what the case list shows."""
    state = state_at(summary, now)
    return state.violations, state.pending


__all__ = [
    "GRACE",
    "PENDING",
    "READ_ACTIONS",
    "VIOLATION",
    "CaseState",
    "Category",
    "categories",
    "category_of",
    "compute",
    "ensure_current",
    "is_violation",
    "open_findings",
    "refresh",
    "save",
    "state_at",
    "summaries",
    "with_states",
    "summarise_bundle",
]
