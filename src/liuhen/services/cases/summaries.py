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

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from liuhen.domain.finding import PENDING, VIOLATION
from liuhen.ledger.events import READ_ACTIONS
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
    stale_cases,
    stored_summaries,
    write_retrying,
)
from liuhen.services.cases.rejudge_state import pending
from liuhen.services.cases.summarise import VERSION, summarise_bundle
from liuhen.store import summary_index
from liuhen.store.store import Store


def compute(store: Store, case_id: str, now: datetime | None = None) -> dict[str, Any]:
    """A fresh summary of one stored case, as of ``now`` (default: the store's clock);
    NotFound when there is no such case."""
    found = compute_many(store, [case_id], now)
    if case_id not in found:
        from liuhen.services.cases.queries.loaded import load_case

        load_case(store, case_id)  # raises NotFound, naming the case
    return found[case_id]


def compute_many(
    store: Store, case_ids: Iterable[str], now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """``compute`` of each of ``case_ids`` that is stored, by case id, from a fixed number of
    queries for all of them (``case_rows_many``): what the re-judging of every case after
    a holiday schedule's load and the catching up of stale summaries ask for."""
    from liuhen.services.cases.bundles import bundle_of
    from liuhen.services.cases.queries.case_rows_many import rows_of_cases, stages_and_damaged
    from liuhen.services.cases.queries.loaded import load_cases

    cases = load_cases(store, case_ids)
    if not cases:
        return {}
    actions = sorted({a for c in categories() for a in c.ledger_actions})
    with store.read() as conn:
        rows = rows_of_cases(conn, cases)
        facts = stages_and_damaged(conn, list(rows), actions)
    when, calendar, tz = now or store.clock(), store.calendar(), store.settings.tz
    return {
        case_id: summarise_bundle(
            bundle_of(case_rows, tz),
            stage=facts[case_id][0],
            now=when,
            calendar=calendar,
            damaged=facts[case_id][1],
            tz=tz,
        )
        for case_id, case_rows in rows.items()
    }


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
    fresh = compute_many(store, agencies)
    save(store, [(i, agencies[i], fresh[i], newest.get(i, 0)) for i in agencies if i in fresh])


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
            fresh = compute_many(store, chunk)
            save(store, [(c, agencies[c], fresh[c], stale[c]) for c in chunk if c in fresh])
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
    "VERSION",
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
