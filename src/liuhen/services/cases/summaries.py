"""Case summaries: the engine's figures for one case, cached in ``case_summaries``.

A summary is derived from the records (never the source of truth): stage, procedure, section,
officers, dates, the acts that needed AV and whether they have it, AV uploads and the case
file against their deadlines, and every finding with its due time. It is rebuilt when the
case's newest *change* on the ledger is newer than ``source_seq`` (one cheap query for all
cases). Deadlines keep passing after a summary is computed, so nothing time-dependent is
stored as a verdict: a finding that was pending keeps its due time and ``state_at`` decides
at read time whether it is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

import yaml
from sqlalchemy import delete, func, select

from liuhen.domain.case import Case
from liuhen.domain.finding import PENDING, VIOLATION, Finding, Subject
from liuhen.errors import LiuhenError
from liuhen.rules import load_profile
from liuhen.rules.engine import _zone, sort_key
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.periods import Period
from liuhen.rules.engine.profile import Profile
from liuhen.rules.engine.registry import Rule
from liuhen.rules.sources.bundle import stored_case
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.store import tables as t
from liuhen.store.store import Store

VERSION = 2
"""Bump when the summary's shape or meaning changes: every stored summary is then rebuilt."""

READ_ACTIONS = frozenset({"case.viewed", "case.exported", "record.file_read", "case.summarised"})
"""Ledger actions that only look at a case: they do not make its summary stale."""

GRACE = timedelta(seconds=1)  # a deadline is met up to the end of its last second (periods.py)


# -- categories of the accountability articles ------------------------------------------


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    short: str
    citations: tuple[str, ...]
    rule_types: frozenset[str]
    ledger_actions: frozenset[str]


@cache
def categories() -> tuple[Category, ...]:
    """The categories of 000§21, 002§36, 004§39, from ``rules/data/accountability.yaml``."""
    text = resources.files("liuhen.rules").joinpath("data/accountability.yaml").read_text("utf-8")
    return tuple(
        Category(
            id=c["id"],
            name=c["name"],
            short=c["short"],
            citations=tuple(c["citations"]),
            rule_types=frozenset(c.get("rule_types", ())),
            ledger_actions=frozenset(c.get("ledger_actions", ())),
        )
        for c in yaml.safe_load(text)["categories"]
    )


@cache
def _category_of_type() -> dict[str, str]:
    return {rt: c.id for c in categories() for rt in c.rule_types}


def category_of(rule_type: str) -> str:
    return _category_of_type().get(rule_type, "other")


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
) -> dict[str, Any]:
    """The summary of one assembled case bundle (``stage`` from its transitions)."""
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
        return {**base, "error": exc.message, "officers": [], "findings": []}
    names = {o.id: o.name for o in case.officers}
    officer_ids = sorted({o for a in case.acts for o in a.officer_ids})
    types = {r.id: r.type_name for r in profile.rules}
    return {
        **base,
        "error": None,
        "officers": [[o, names.get(o, o)] for o in officer_ids],
        "av_acts": _av_acts(case, profile, ctx),
        "av_records": [av.id for av in case.av_records],
        "case_file_rule": any(r.type_name == "case_file_deadline" for r in profile.rules),
        "findings": [
            {
                "rule": f.rule_id,
                "type": types.get(f.rule_id, ""),
                "status": f.status,
                "severity": f.severity,
                "due": _iso(f.due),
                "open": (f.rule_id, f.subject.kind, f.subject.id) in ctx.open,
                "subject": [f.subject.kind, f.subject.id],
                "citation": f.citation,
                "message": f.message,
            }
            for f in findings
        ],
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


# -- reading a summary as of now --------------------------------------------------------


def is_violation(finding: Mapping[str, Any], now: datetime) -> bool:
    """A violation when computed, or pending with its deadline passed since."""
    if finding["status"] == VIOLATION:
        return True
    due = finding.get("due")
    return due is not None and now >= datetime.fromisoformat(due) + GRACE


# The state texts ``CheckContext.deadline`` (rules/engine/context.py) puts in a deadline's message.
_WAITING_TEXT = "尚未完成，请在期限前完成"
_OVERDUE_TEXT = "至今未完成，已逾期"


def _overdue_text(message: str) -> str:
    """The message of a finding that was waiting, as the engine words it once overdue."""
    return message.replace(_WAITING_TEXT, _OVERDUE_TEXT)


@dataclass(frozen=True)
class CaseState:
    """One summary evaluated at ``now``: what the list, dashboard and inbox show."""

    violations: int | None
    pending: int | None
    categories: dict[str, int]
    overdue: list[dict[str, Any]]  # outstanding items past their due time, oldest first
    due: list[dict[str, Any]]  # outstanding items not yet due, soonest first
    av_needed: int
    av_have: int
    av_total: int
    av_late: int
    av_waiting: int
    case_file: str  # on_time | late | waiting | none


def state_at(summary: Mapping[str, Any], now: datetime) -> CaseState:
    if summary.get("error") is not None:
        return CaseState(None, None, {}, [], [], 0, 0, 0, 0, 0, "none")
    violations = pending = 0
    cats: dict[str, int] = {}
    overdue: list[dict[str, Any]] = []
    due: list[dict[str, Any]] = []
    late_av: set[str] = set()
    waiting_av: set[str] = set()
    file_state = "on_time" if summary.get("closed_at") and summary["case_file_rule"] else "none"
    for f in summary["findings"]:
        bad = is_violation(f, now)
        if bad:
            violations += 1
            cat = category_of(f["type"])
            cats[cat] = cats.get(cat, 0) + 1
        else:
            pending += 1
        if f["due"] and (f["open"] or f["status"] == PENDING):  # outstanding, not done late
            if bad and f["status"] == PENDING:  # its deadline passed since: say so
                f = {**f, "status": VIOLATION, "message": _overdue_text(f["message"])}
            (overdue if bad else due).append(f)
        kind, subject_id = f["subject"]
        if f["type"] == "av_upload_deadline" and kind == "av_record":
            (late_av if bad else waiting_av).add(subject_id)
        if f["type"] == "case_file_deadline":
            file_state = "late" if bad else "waiting"
    if summary.get("damaged"):
        cats["altered"] = cats.get("altered", 0) + int(summary["damaged"])
    overdue.sort(key=lambda f: f["due"])
    due.sort(key=lambda f: f["due"])
    av = summary["av_acts"]
    return CaseState(
        violations=violations,
        pending=pending,
        categories=cats,
        overdue=overdue,
        due=due,
        av_needed=len(av["needed"]),
        av_have=len(av["have"]),
        av_total=len(summary["av_records"]),
        av_late=len(late_av),
        av_waiting=len(waiting_av - late_av),
        case_file=file_state,
    )


# -- the cache --------------------------------------------------------------------------


def _newest_changes(conn: Any, case_ids: Iterable[str] | None = None) -> dict[str, int]:
    query = (
        select(t.ledger_events.c.case_id, func.max(t.ledger_events.c.seq))
        .where(
            t.ledger_events.c.case_id.is_not(None),
            t.ledger_events.c.action.not_in(sorted(READ_ACTIONS)),
        )
        .group_by(t.ledger_events.c.case_id)
    )
    if case_ids is not None:
        query = query.where(t.ledger_events.c.case_id.in_(list(case_ids)))
    return {case_id: int(seq) for case_id, seq in conn.execute(query)}


def _stage_of(conn: Any, case_id: str) -> str:
    row = conn.execute(
        select(t.case_transitions.c.stage)
        .where(t.case_transitions.c.case_id == case_id)
        .order_by(t.case_transitions.c.at.desc())
        .limit(1)
    ).first()
    return row.stage if row else "initiation"


def _damaged(conn: Any, case_id: str) -> int:
    actions = sorted({a for c in categories() for a in c.ledger_actions})
    return int(
        conn.execute(
            select(func.count())
            .select_from(t.ledger_events)
            .where(t.ledger_events.c.case_id == case_id, t.ledger_events.c.action.in_(actions))
        ).scalar_one()
    )


def compute(store: Store, case_id: str) -> dict[str, Any]:
    """A fresh summary of one stored case, as of the store's clock."""
    from liuhen.services.cases.bundles import assemble_bundle

    bundle = assemble_bundle(store, case_id)
    with store.read() as conn:
        stage = _stage_of(conn, case_id)
        damaged = _damaged(conn, case_id)
    return summarise_bundle(
        bundle, stage=stage, now=store.clock(), calendar=store.calendar(), damaged=damaged
    )


def save(
    store: Store, rows: Iterable[tuple[str, str, dict[str, Any], int]], *, conn: Any = None
) -> None:
    """Store summaries: (case_id, agency_id, summary, source_seq). A derived cache, so no
    ledger event: it is rebuilt from the records whenever they change."""
    items = list(rows)
    if not items:
        return
    now = store.clock()
    values = [
        {
            "case_id": case_id,
            "agency_id": agency_id,
            "section": summary["section"],
            "stage": summary["stage"],
            "summary": {k: v for k, v in summary.items() if k not in ("id", "agency_id")},
            "source_seq": seq,
            "computed_at": now,
        }
        for case_id, agency_id, summary, seq in items
    ]
    ids = [v["case_id"] for v in values]

    def write(c: Any) -> None:
        c.execute(delete(t.case_summaries).where(t.case_summaries.c.case_id.in_(ids)))
        c.execute(t.case_summaries.insert(), values)

    if conn is not None:
        write(conn)
    else:
        with store.engine.begin() as c:
            write(c)


def refresh(store: Store, case_ids: Iterable[str]) -> None:
    """Recompute and store the summaries of ``case_ids`` now (e.g. eagerly after a write)."""
    ids = list(case_ids)
    with store.read() as conn:
        newest = _newest_changes(conn, ids)
        agencies = dict(
            conn.execute(
                select(t.cases.c.id, t.cases.c.agency_id).where(t.cases.c.id.in_(ids))
            ).all()
        )
    save(store, [(i, agencies[i], compute(store, i), newest.get(i, 0)) for i in agencies])


class _Memo:
    """What this process already knows, per store: the newest change of every case (read
    incrementally: the ledger only grows), each case's agency (cases are insert-only), the
    summaries decoded so far (one per ``source_seq``), and each summary's state at a moment,
    reused until the next of its deadlines passes. Entries are shared: do not change them."""

    def __init__(self) -> None:
        self.watermark = -1
        self.newest: dict[str, int] = {}
        self.agency: dict[str, str] = {}
        self.summaries: dict[str, tuple[int, dict[str, Any]]] = {}
        self.states: dict[str, tuple[dict[str, Any], datetime, datetime, CaseState]] = {}
        self.lock = Lock()

    def sync(self, conn: Any) -> None:
        """Catch up with the ledger and the case table (cheap when nothing changed)."""
        with self.lock:  # web requests run in threads
            self._sync(conn)

    def _sync(self, conn: Any) -> None:
        top = conn.execute(select(func.max(t.ledger_events.c.seq))).scalar()
        if top is not None and top > self.watermark:
            for case_id, seq in conn.execute(
                select(t.ledger_events.c.case_id, func.max(t.ledger_events.c.seq))
                .where(
                    t.ledger_events.c.seq > self.watermark,
                    t.ledger_events.c.seq <= top,
                    t.ledger_events.c.case_id.is_not(None),
                    t.ledger_events.c.action.not_in(sorted(READ_ACTIONS)),
                )
                .group_by(t.ledger_events.c.case_id)
            ):
                self.newest[case_id] = max(self.newest.get(case_id, 0), int(seq))
            self.watermark = int(top)
        count = conn.execute(select(func.count()).select_from(t.cases)).scalar_one()
        if count != len(self.agency):
            self.agency = dict(conn.execute(select(t.cases.c.id, t.cases.c.agency_id)).all())

    def state(self, summary: dict[str, Any], now: datetime) -> CaseState:
        case_id = summary["id"]
        held = self.states.get(case_id)
        if held is not None and held[0] is summary and held[1] <= now < held[2]:
            return held[3]
        state = state_at(summary, now)
        self.states[case_id] = (summary, now, _valid_until(summary, now), state)
        return state


_MEMOS: WeakKeyDictionary[Store, _Memo] = WeakKeyDictionary()
_FOREVER = datetime.max.replace(tzinfo=UTC)
_BATCH = 500


def _valid_until(summary: Mapping[str, Any], now: datetime) -> datetime:
    """When the state computed at ``now`` may change: the next deadline still to pass."""
    upcoming = [
        datetime.fromisoformat(f["due"]) + GRACE
        for f in summary.get("findings", ())
        if f["status"] == PENDING and f["due"]
    ]
    if summary.get("recompute_at"):
        upcoming.append(datetime.fromisoformat(summary["recompute_at"]))
    return min((d for d in upcoming if d > now), default=_FOREVER)


def _current(
    held: tuple[int, dict[str, Any]] | None, latest: int, now: datetime, calendar: str
) -> bool:
    """A summary still stands: nothing changed on the case since, same shape, judged with
    the holiday schedules in force now, and no time recorded in it was still ahead when it
    was computed and has passed since."""
    if held is None or held[0] < latest or held[1].get("v") != VERSION:
        return False
    if held[1].get("calendar") != calendar:
        return False
    later = held[1].get("recompute_at")
    return later is None or now < datetime.fromisoformat(later)


def _memo(store: Store) -> _Memo:
    memo = _MEMOS.get(store)
    if memo is None:
        memo = _MEMOS[store] = _Memo()
    return memo


def with_states(
    store: Store, agency_id: str | None = None, now: datetime | None = None
) -> list[tuple[dict[str, Any], CaseState]]:
    """Every case's summary (of one agency, or all) with its state at ``now``; stale
    summaries are rebuilt and stored first. Summaries carry ``id`` and ``agency_id``."""
    now = now or store.clock()
    key = store.calendar().key
    memo = _memo(store)
    stale: list[tuple[str, str, dict[str, Any], int]] = []
    with store.read() as conn:
        memo.sync(conn)
        ids = [c for c, a in memo.agency.items() if agency_id is None or a == agency_id]
        wanted = [
            c for c in ids if not _current(memo.summaries.get(c), memo.newest.get(c, 0), now, key)
        ]
        for i in range(0, len(wanted), _BATCH):
            for case_id, seq, summary in conn.execute(
                select(
                    t.case_summaries.c.case_id,
                    t.case_summaries.c.source_seq,
                    t.case_summaries.c.summary,
                ).where(t.case_summaries.c.case_id.in_(wanted[i : i + _BATCH]))
            ):
                if _current((seq, summary), memo.newest.get(case_id, 0), now, key):
                    summary.update(id=case_id, agency_id=memo.agency[case_id])
                    memo.summaries[case_id] = (seq, summary)
    for case_id in wanted:
        latest = memo.newest.get(case_id, 0)
        held = memo.summaries.get(case_id)
        if not _current(held, latest, now, key):
            agency = memo.agency[case_id]
            summary = {**compute(store, case_id), "id": case_id, "agency_id": agency}
            stale.append((case_id, agency, summary, latest))
            memo.summaries[case_id] = (latest, summary)
    save(store, stale)
    out = []
    for case_id in ids:
        summary = memo.summaries[case_id][1]
        out.append((summary, memo.state(summary, now)))
    return out


def summaries(store: Store, agency_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Every case's summary (of one agency, or all), rebuilding the stale ones first."""
    return {s["id"]: s for s, _ in with_states(store, agency_id)}


def open_findings(summary: Mapping[str, Any], now: datetime) -> tuple[int | None, int | None]:
    """(violations, pending) as of ``now`` — what the case list shows."""
    state = state_at(summary, now)
    return state.violations, state.pending


__all__ = [
    "PENDING",
    "VIOLATION",
    "CaseState",
    "Category",
    "categories",
    "category_of",
    "compute",
    "open_findings",
    "refresh",
    "save",
    "state_at",
    "summaries",
    "with_states",
    "summarise_bundle",
]
