"""The supervision dashboard (监督看板): figures per agency, section and officer for a period.

The figures are sums of each case's share, kept per agency, section, month, stage,
procedure and officer as summaries are written and as deadlines pass
(``store/summary_index``): a dashboard reads a few hundred rows of counts, not every case,
and a deadline that passed since a summary was computed already counts. Each figure names a
*metric* (a condition on one case's share); the case list filtered by the same metric shows
exactly the cases behind the figure (drill-down). Viewing is on the ledger (000§18).
"""

from __future__ import annotations

import heapq
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from liuhen.ledger.events import Actor
from liuhen.services.cases.summaries import categories, ensure_current, state_at
from liuhen.services.oversight.dashboard_filters import Filters, metric
from liuhen.services.oversight.queries import agency_names
from liuhen.services.permissions import case_scope, require
from liuhen.store import dashboard_counts
from liuhen.store import tables as t
from liuhen.store.queries import case_list, case_page
from liuhen.store.queries import dashboard as counts
from liuhen.store.queries.case_list import Filter, Scope
from liuhen.store.queries.dashboard import Group, Part
from liuhen.store.store import Store

OVERDUE_SHOWN = 20


# -- aggregation --------------------------------------------------------------------------


FIELDS = t.DASHBOARD_FIELDS


class Tally:
    """The figures of one group of cases (an agency, a section, an officer, a month)."""

    def __init__(self) -> None:
        self.n = [0] * len(FIELDS)
        self.stages: dict[str, int] = {}
        self.procedures: dict[str, int] = {}
        self.categories: dict[str, int] = {}

    def __getattr__(self, name: str) -> int:
        try:
            return self.n[FIELDS.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def add(self, group: Group) -> None:
        for i, value in enumerate(group.counts):
            self.n[i] += value
        _, _, _, stage, procedure, _ = group.key
        cases = group.counts[0]
        self.stages[stage] = self.stages.get(stage, 0) + cases
        self.procedures[procedure] = self.procedures.get(procedure, 0) + cases

    def add_category(self, category: str, n: int) -> None:
        self.categories[category] = self.categories.get(category, 0) + n

    def tidy(self) -> Tally:
        """Leave out what counts nothing (a group's stages, procedures, categories)."""
        for found in (self.stages, self.procedures, self.categories):
            for key in [k for k, v in found.items() if not v]:
                del found[key]
        return self

    @staticmethod
    def _share(good: int, total: int) -> float | None:
        return None if total == 0 else round(100 * good / total, 1)

    @property
    def av_share(self) -> float | None:
        return self._share(self.av_have, self.av_needed)

    @property
    def av_on_time(self) -> float | None:
        return self._share(self.av_done - self.av_late, self.av_done)

    @property
    def files_share(self) -> float | None:
        return self._share(self.files_on_time, self.files_on_time + self.files_late)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "stages": self.stages,
            "procedures": self.procedures,
            "av_acts_needed": self.av_needed,
            "av_acts_recorded": self.av_have,
            "av_share": self.av_share,
            "av_missing_cases": self.av_missing_cases,
            "av_uploads": self.av_done,
            "av_uploads_late": self.av_late,
            "av_on_time": self.av_on_time,
            "av_late_cases": self.av_late_cases,
            "case_files_on_time": self.files_on_time,
            "case_files_late": self.files_late,
            "case_files_share": self.files_share,
            "violations": self.violations,
            "violation_cases": self.violation_cases,
            "overdue_cases": self.overdue_cases,
            "unreadable_cases": self.unreadable,
            "categories": {c.id: self.categories.get(c.id, 0) for c in categories()},
        }


@dataclass
class Dashboard:
    filters: Filters
    now: datetime
    agencies: dict[str, str]
    total: Tally
    by_agency: dict[str, Tally]
    by_section: dict[str, Tally]
    by_officer: dict[str, Tally]
    officer_names: dict[str, str]
    months: list[tuple[date, Tally]]
    overdue: list[dict[str, Any]]
    overdue_count: int
    sections: list[str] = field(default_factory=list)
    officers: list[tuple[str, str]] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What pages derive from the figures (charts), kept with them while they hold."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters.query(),
            "as_of": self.now.isoformat(),
            "categories": [
                {"id": c.id, "name": c.name, "citations": list(c.citations)} for c in categories()
            ],
            "total": self.total.to_dict(),
            "by_agency": [
                {"agency_id": k, "name": self.agencies.get(k, k), **v.to_dict()}
                for k, v in self.by_agency.items()
            ],
            "by_section": [{"section": k, **v.to_dict()} for k, v in self.by_section.items()],
            "by_officer": [
                {"officer_id": k, "name": self.officer_names.get(k, k), **v.to_dict()}
                for k, v in self.by_officer.items()
            ],
            "months": [{"month": m.strftime("%Y-%m"), **v.to_dict()} for m, v in self.months],
            "oldest_overdue": self.overdue,
            "overdue_items": self.overdue_count,
        }


def reach(actor: Actor) -> Scope:
    """The cases the actor's dashboard covers: its ``dashboard.read`` scope, where a case is
    one's own when one is an officer on it (not for having opened it), whatever its marks."""
    scope = case_scope(actor, "dashboard.read")
    assert scope is not None
    return replace(scope, user_id=None, cleared=None)


@dataclass(frozen=True)
class _Selection:
    """What the dashboard adds up: the kept counts of ``part`` (None: none of them) and the
    shares of ``extra`` single cases (the reader's own, outside that part)."""

    part: Part | None
    extra: list[str]


def _selection(conn: Any, scope: Scope, filters: Filters, officer: str | None) -> _Selection:
    months = filters.month_range()
    part: Part | None = None
    extra: list[str] = []
    if scope.everything:
        part = Part(filters.agency_id, filters.section or None, officer, months)
    elif scope.agency_id is not None and scope.section is None:  # the whole agency
        part = Part(scope.agency_id, filters.section or None, officer, months)
    elif scope.agency_id is not None:  # one section, and one's own cases outside it
        if not filters.section or filters.section == scope.section:
            part = Part(scope.agency_id, scope.section, officer, months)
        if scope.officer_id is not None:
            extra = counts.own_cases(conn, scope.officer_id, scope.agency_id, scope.section, months)
    elif scope.officer_id is not None:  # one's own cases only
        extra = counts.own_cases(conn, scope.officer_id, filters.agency_id, None, months)
    return _Selection(part, extra)


def _read(
    conn: Any, selection: _Selection, filters: Filters, officer: str | None
) -> tuple[list[Group], list[tuple[tuple[str, ...], str, int]]]:
    """The groups (and category counts) of a selection, for the cases themselves
    (``officer`` None), one officer, or every officer's share ("*")."""
    found: list[Group] = []
    cats: list[tuple[tuple[str, ...], str, int]] = []
    if selection.part is not None:  # summed in SQL by what the tallies group on
        part = replace(selection.part, officer=officer)
        by = ("officer_id",) if officer == "*" else ("agency_id", "section", "month")
        found += counts.groups(conn, part, (*by, "stage", "procedure"))
        cats += counts.categories(conn, part, by)
    extra, extra_cats = counts.case_groups(conn, selection.extra)

    def keep(key: tuple[str, ...]) -> bool:
        if filters.section and key[1] != filters.section:
            return False
        if officer is None:
            return key[5] == ""
        return key[5] != "" if officer == "*" else key[5] == officer

    found += [g for g in extra if keep(g.key)]
    cats += [c for c in extra_cats if keep(c[0])]
    return found, cats


def _tallies(
    groups: list[Group], cats: list[tuple[tuple[str, ...], str, int]], position: int
) -> dict[str, Tally]:
    """Tallies per value of one key position (0 agency, 1 section, 2 month, 5 officer),
    most cases first."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for group in groups:
        tallies[group.key[position]].add(group)
    for key, category, n in cats:
        tallies[key[position]].add_category(category, n)
    ordered = sorted(tallies.items(), key=lambda kv: (-kv[1].cases, kv[0]))
    return {k: v.tidy() for k, v in ordered}


def _total(groups: list[Group], cats: list[tuple[tuple[str, ...], str, int]]) -> Tally:
    total = Tally()
    for group in groups:
        total.add(group)
    for _, category, n in cats:
        total.add_category(category, n)
    return total.tidy()


def _oldest_overdue(
    conn: Any, scope: Scope, filters: Filters, now: datetime
) -> list[dict[str, Any]]:
    """The ``OVERDUE_SHOWN`` oldest overdue items: they lie in the cases whose oldest
    overdue item is oldest, so only that many cases are read."""
    wanted = _case_filter(filters, overdue=True)
    rows = case_page.page(conn, scope, wanted, now, limit=OVERDUE_SHOWN, order="overdue")
    items: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for case_id, _agency, summary in rows:
        summary["id"] = case_id
        items += [(f["due"], summary, f) for f in state_at(summary, now).overdue]
    return [
        {
            "case_id": s["id"],
            "number": s["number"],
            "title": s["title"],
            "section": s["section"],
            "rule_id": f["rule"],
            "citation": f["citation"],
            "due": due,
            "message": f["message"],
        }
        for due, s, f in heapq.nsmallest(OVERDUE_SHOWN, items, key=lambda o: o[0])
    ]


def _case_filter(filters: Filters, **more: Any) -> Filter:
    return Filter(
        agency_id=filters.agency_id,
        section=filters.section,
        officer_id=filters.officer,
        months=filters.month_range(),
        **more,
    )


_BUILT: WeakKeyDictionary[Store, OrderedDict[Any, Dashboard]] = WeakKeyDictionary()
_BUILT_LOCK = Lock()


def build(store: Store, actor: Actor, filters: Filters) -> Dashboard:
    """Every figure of the dashboard for ``filters``, as of now; the view is on the ledger.

    The figures of a reach and filters are kept in this process until the counts change
    (``dashboard_counts.generation``: any summary written, any deadline passed)."""
    require(actor, "dashboard.read")
    now = store.clock()
    ensure_current(store, now)
    scope = reach(actor)
    with store.read() as conn:
        key = (dashboard_counts.generation(conn), scope, filters)
    with _BUILT_LOCK:
        kept = _BUILT.setdefault(store, OrderedDict()).get(key)
    dash = replace(kept, now=now) if kept is not None else _build(store, scope, filters, now)
    if kept is None:
        with _BUILT_LOCK:
            known = _BUILT[store]
            known[key] = dash
            while len(known) > 100:
                known.popitem(last=False)
    store.record_view(
        actor,
        "dashboard.viewed",
        subject_type="dashboard",
        subject_id=filters.agency_id or "*",
        payload={"filters": filters.query(), "cases": dash.total.cases},
    )
    return dash


def _build(store: Store, scope: Scope, filters: Filters, now: datetime) -> Dashboard:
    officer = filters.officer or None
    with store.read() as conn:
        selection = _selection(conn, scope, filters, officer)
        main, main_cats = _read(conn, selection, filters, officer)
        people, people_cats = _read(conn, selection, filters, officer or "*")
        if filters.section or filters.officer:  # the form's choices ignore both filters
            unfiltered = replace(filters, section="", officer="")
            everything = _selection(conn, scope, unfiltered, None)
            sections = {g.key[1] for g in _read(conn, everything, unfiltered, None)[0]}
            officers = {g.key[5] for g in _read(conn, everything, unfiltered, "*")[0]}
        else:
            sections = {g.key[1] for g in main}
            officers = {g.key[5] for g in people}
        names = counts.officer_names(conn, sorted(officers | {g.key[5] for g in people}))
        oldest = _oldest_overdue(conn, scope, filters, now)
    total = _total(main, main_cats)
    by_month = _tallies(main, main_cats, 2)
    return Dashboard(
        filters=filters,
        now=now,
        agencies=agency_names(store),
        total=total,
        by_agency=_tallies(main, main_cats, 0),
        by_section=_tallies(main, main_cats, 1),
        by_officer=_tallies(people, people_cats, 5),
        officer_names=names,
        months=[(m, by_month.get(m.strftime("%Y-%m")) or Tally()) for m in filters.months()],
        overdue=oldest,
        overdue_count=total.overdue_items,
        sections=sorted(sections),
        officers=sorted(((o, names.get(o, o)) for o in officers), key=lambda o: o[1]),
    )


def drill_filter(actor: Actor, filters: Filters, metric_name: str, base: Filter) -> Filter:
    """``base`` narrowed to the cases behind one figure (InvalidInput for an unknown one)."""
    require(actor, "dashboard.read")
    metric(metric_name)  # InvalidInput names an unknown metric
    narrowed = _case_filter(filters, metric=metric_name, within=reach(actor))
    return replace(
        base,
        agency_id=narrowed.agency_id,
        section=narrowed.section,
        officer_id=narrowed.officer_id,
        months=narrowed.months,
        metric=narrowed.metric,
        within=narrowed.within,
    )


def case_ids(store: Store, actor: Actor, filters: Filters, metric_name: str) -> list[str]:
    """The cases behind one figure: those in ``filters`` for which the metric holds."""
    require(actor, "dashboard.read")
    metric(metric_name)
    now = store.clock()
    ensure_current(store, now)
    with store.read() as conn:
        return case_list.ids(conn, reach(actor), _case_filter(filters, metric=metric_name), now)
