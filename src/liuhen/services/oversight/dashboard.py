"""The supervision dashboard (监督看板): figures per agency, section and officer for a period.

Everything is read from the case summaries (``services/cases/summaries.py``) and evaluated as of
now, so a deadline that passed since a summary was computed already counts. Each figure
names a *metric* (a predicate over one case); the case list filtered by the same metric
shows exactly the cases behind the figure (drill-down). Viewing is on the ledger (000§18).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from liuhen.errors import InvalidInput, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.cases.cases import PROCEDURES, STAGES
from liuhen.services.cases.summaries import CaseState, categories, with_states
from liuhen.services.permissions import allowed, require
from liuhen.store import tables as t
from liuhen.store.store import Store

OVERDUE_SHOWN = 20


@dataclass(frozen=True)
class Filters:
    """Which cases: an agency (None: all the actor may see), section, officer, and the months
    in which the cases were opened (``start``..``end``, both first days of months)."""

    agency_id: str | None
    section: str
    officer: str
    start: date
    end: date

    def query(self) -> dict[str, str]:
        """The filters as URL parameters (for drill-down links and the export)."""
        out = {"from": self.start.strftime("%Y-%m"), "to": self.end.strftime("%Y-%m")}
        if self.agency_id:
            out["agency"] = self.agency_id
        if self.section:
            out["section"] = self.section
        if self.officer:
            out["officer"] = self.officer
        return out

    def months(self) -> list[date]:
        out, m = [], self.start
        while m <= self.end:
            out.append(m)
            m = _next_month(m)
        return out


def _next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def _month(raw: str, name: str) -> date:
    try:
        year, month = raw.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise InvalidInput(f"{name}: 月份格式应为 YYYY-MM（例如 2026-01），收到 {raw!r}") from None


def make_filters(
    store: Store,
    *,
    user_agency: str | None,
    agency: str = "",
    section: str = "",
    officer: str = "",
    start: str = "",
    end: str = "",
) -> Filters:
    """Filters from request parameters. A user of an agency sees only that agency; the period
    defaults to the twelve months up to now."""
    now = store.clock().astimezone(store.settings.tz).date()
    last = _month(end, "to") if end else date(now.year, now.month, 1)
    first = _month(start, "from") if start else date(last.year - 1, last.month, 1)
    if start and not end:
        last = max(last, first)
    if first > last:
        raise InvalidInput("from: 起始月份不能晚于截止月份")
    if (last.year - first.year) * 12 + last.month - first.month > 120:
        raise InvalidInput("from: 统计期间最长十年")
    if user_agency is not None and agency and agency != user_agency:
        raise PermissionDenied("agency: 只能查看本机关的监督看板")
    return Filters(user_agency or agency or None, section.strip(), officer.strip(), first, last)


# -- metrics: one predicate per figure, shared by the dashboard and the drill-down --------

Metric = Callable[[Mapping[str, Any], CaseState], bool]


def metric(name: str) -> Metric:
    """The predicate behind a figure; InvalidInput for an unknown name."""
    simple: dict[str, Metric] = {
        "all": lambda s, st: True,
        "violations": lambda s, st: bool(st.violations),
        "overdue": lambda s, st: bool(st.overdue),
        "av_missing": lambda s, st: st.av_needed > st.av_have,
        "av_late": lambda s, st: st.av_late > 0,
        "file_late": lambda s, st: st.case_file == "late",
        "unreadable": lambda s, st: s.get("error") is not None,
    }
    if name in simple:
        return simple[name]
    kind, _, value = name.partition(":")
    if kind == "stage" and value in STAGES:
        return lambda s, st: s["stage"] == value
    if kind == "procedure" and value in PROCEDURES:
        return lambda s, st: s["procedure"] == value
    if kind == "cat" and value in {c.id for c in categories()}:
        return lambda s, st: st.categories.get(value, 0) > 0
    raise InvalidInput(f"metric: 未知的看板指标 {name!r}")


METRIC_NAMES: dict[str, str] = {
    "all": "全部案件",
    "violations": "有违规问题的案件",
    "overdue": "有逾期未办事项的案件",
    "av_missing": "应当音像记录而没有的案件",
    "av_late": "音像记录未按时存储的案件",
    "file_late": "未按时形成案卷的案件",
    "unreadable": "无法评查的案件",
}


def metric_label(name: str) -> str:
    kind, _, value = name.partition(":")
    if kind == "stage":
        return f"阶段：{STAGES.get(value, value)}"
    if kind == "procedure":
        return f"程序：{PROCEDURES.get(value, value)}"
    if kind == "cat":
        return next((c.name for c in categories() if c.id == value), value)
    return METRIC_NAMES.get(name, name)


# -- aggregation --------------------------------------------------------------------------


FIELDS = (
    "cases",
    "av_needed",
    "av_have",
    "av_missing_cases",
    "av_done",
    "av_late",
    "av_late_cases",
    "files_on_time",
    "files_late",
    "violations",
    "violation_cases",
    "overdue_cases",
    "unreadable",
)


def contribution(st: CaseState) -> tuple[int, ...]:
    """One case's share of every count in ``FIELDS`` (computed once, added to each group)."""
    if st.violations is None:
        return (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
    return (
        1,
        st.av_needed,
        st.av_have,
        int(st.av_needed > st.av_have),
        st.av_total - st.av_waiting,
        st.av_late,
        int(st.av_late > 0),
        int(st.case_file == "on_time"),
        int(st.case_file == "late"),
        st.violations,
        int(st.violations > 0),
        int(bool(st.overdue)),
        0,
    )


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

    @classmethod
    def of(cls, rows: list[tuple[dict[str, Any], CaseState, tuple[int, ...]]]) -> Tally:
        """The tally of ``rows`` (summary, state, contribution), summed column by column."""
        tally = cls()
        if rows:
            tally.n = [sum(column) for column in zip(*(r[2] for r in rows), strict=True)]
        tally.stages = dict(Counter(r[0]["stage"] for r in rows))
        tally.procedures = dict(Counter(r[0]["procedure"] for r in rows))
        cats: Counter[str] = Counter()
        for r in rows:
            if r[1].categories:
                cats.update(r[1].categories)
        tally.categories = dict(cats)
        return tally

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


def _in_reach(actor: Actor, s: dict[str, Any]) -> bool:
    """The case is within the reader's dashboard scope (own / section / agency)."""
    case = {
        "agency_id": s.get("agency_id"),
        "section": s.get("section"),
        "officer_ids": [o for o, _ in s.get("officers") or ()],
    }
    return allowed(actor, "dashboard.read", case)


def _selected(
    store: Store,
    actor: Actor,
    filters: Filters,
    now: datetime,
    options: Options | None = None,
) -> Iterable[tuple[dict[str, Any], CaseState, date]]:
    tz = store.settings.tz
    months: dict[str, date] = {}
    for s, state in with_states(store, filters.agency_id, now):
        if not _in_reach(actor, s):
            continue
        key = s["opened_at"][:13] + s["opened_at"][-6:]  # date, hour and UTC offset
        month = months.get(key)
        if month is None:  # the month in the agency's time zone, once per distinct hour
            opened = datetime.fromisoformat(s["opened_at"]).astimezone(tz).date()
            month = months[key] = date(opened.year, opened.month, 1)
        if not filters.start <= month <= filters.end:
            continue
        if options is not None:
            options.sections.add(s["section"])
            options.officers.update((o, n) for o, n in s["officers"])
        if filters.section and s["section"] != filters.section:
            continue
        if filters.officer and all(o != filters.officer for o, _ in s["officers"]):
            continue
        yield s, state, month


@dataclass
class Options:
    """The sections and officers with cases in the agency and period (for the filter form)."""

    sections: set[str] = field(default_factory=set)
    officers: set[tuple[str, str]] = field(default_factory=set)


def _agency_names(store: Store) -> dict[str, str]:
    with store.read() as conn:
        return dict(conn.execute(select(t.agencies.c.id, t.agencies.c.name)).all())


def build(store: Store, actor: Actor, filters: Filters) -> Dashboard:
    """Every figure of the dashboard for ``filters``, as of now; the view is on the ledger."""
    require(actor, "dashboard.read")
    now = store.clock()
    rows: list[tuple[dict[str, Any], CaseState, tuple[int, ...]]] = []
    groups: dict[str, dict[Any, list[Any]]] = {"agency": {}, "section": {}, "officer": {}}
    months: dict[date, list[Any]] = {m: [] for m in filters.months()}
    names: dict[str, str] = {}
    overdue: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    options = Options()
    for s, st, month in _selected(store, actor, filters, now, options):
        row = (s, st, contribution(st))
        rows.append(row)
        groups["agency"].setdefault(s["agency_id"], []).append(row)
        groups["section"].setdefault(s["section"], []).append(row)
        for officer_id, name in s["officers"]:
            names[officer_id] = name
            groups["officer"].setdefault(officer_id, []).append(row)
        months[month].append(row)
        if st.overdue:
            overdue.extend((f["due"], s, f) for f in st.overdue)

    def tallies(key: str) -> dict[Any, Tally]:
        ordered = sorted(groups[key].items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return {k: Tally.of(v) for k, v in ordered}

    total = Tally.of(rows)
    oldest = [
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
        for due, s, f in heapq.nsmallest(OVERDUE_SHOWN, overdue, key=lambda o: o[0])
    ]
    with store.transaction(actor) as tx:
        tx.record(
            "dashboard.viewed",
            subject_type="dashboard",
            subject_id=filters.agency_id or "*",
            payload={"filters": filters.query(), "cases": total.cases},
        )
    return Dashboard(
        filters=filters,
        now=now,
        agencies=_agency_names(store),
        total=total,
        by_agency=tallies("agency"),
        by_section=tallies("section"),
        by_officer=tallies("officer"),
        officer_names=names,
        months=[(m, Tally.of(v)) for m, v in months.items()],
        overdue=oldest,
        overdue_count=len(overdue),
        sections=sorted(options.sections),
        officers=sorted(options.officers, key=lambda o: o[1]),
    )


def case_ids(store: Store, actor: Actor, filters: Filters, metric_name: str) -> list[str]:
    """The cases behind one figure: those in ``filters`` for which the metric holds."""
    require(actor, "dashboard.read")
    test = metric(metric_name)
    now = store.clock()
    return [s["id"] for s, st, _ in _selected(store, actor, filters, now) if test(s, st)]
