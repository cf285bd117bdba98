"""The supervision dashboard (监督看板): figures per agency, section and officer for a period.

Everything is read from the case summaries (``services/summaries.py``) and evaluated as of
now, so a deadline that passed since a summary was computed already counts. Each figure
names a *metric* (a predicate over one case); the case list filtered by the same metric
shows exactly the cases behind the figure (drill-down). Viewing is on the ledger (000§18).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from liuhen.errors import InvalidInput, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.cases import PROCEDURES, STAGES
from liuhen.services.permissions import require
from liuhen.services.summaries import CaseState, categories, state_at, summaries
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


@dataclass
class Tally:
    """The figures of one group of cases (an agency, a section, an officer, a month)."""

    cases: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    procedures: dict[str, int] = field(default_factory=dict)
    av_needed: int = 0
    av_have: int = 0
    av_missing_cases: int = 0
    av_done: int = 0
    av_late: int = 0
    av_late_cases: int = 0
    files_on_time: int = 0
    files_late: int = 0
    violations: int = 0
    violation_cases: int = 0
    overdue_cases: int = 0
    unreadable: int = 0
    categories: dict[str, int] = field(default_factory=dict)

    def add(self, s: Mapping[str, Any], st: CaseState) -> None:
        self.cases += 1
        self.stages[s["stage"]] = self.stages.get(s["stage"], 0) + 1
        self.procedures[s["procedure"]] = self.procedures.get(s["procedure"], 0) + 1
        if st.violations is None:
            self.unreadable += 1
            return
        self.av_needed += st.av_needed
        self.av_have += st.av_have
        self.av_missing_cases += st.av_needed > st.av_have
        self.av_done += st.av_total - st.av_waiting
        self.av_late += st.av_late
        self.av_late_cases += st.av_late > 0
        self.files_on_time += st.case_file == "on_time"
        self.files_late += st.case_file == "late"
        self.violations += st.violations
        self.violation_cases += st.violations > 0
        self.overdue_cases += bool(st.overdue)
        for cat, n in st.categories.items():
            self.categories[cat] = self.categories.get(cat, 0) + n

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


def _selected(
    store: Store, filters: Filters, now: datetime, options: Options | None = None
) -> Iterable[tuple[dict[str, Any], CaseState, date]]:
    tz = store.settings.tz
    for s in summaries(store, filters.agency_id).values():
        opened = datetime.fromisoformat(s["opened_at"]).astimezone(tz).date()
        month = date(opened.year, opened.month, 1)
        if not filters.start <= month <= filters.end:
            continue
        if options is not None:
            options.sections.add(s["section"])
            options.officers.update((o, n) for o, n in s["officers"])
        if filters.section and s["section"] != filters.section:
            continue
        if filters.officer and all(o != filters.officer for o, _ in s["officers"]):
            continue
        yield s, state_at(s, now), month


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
    total = Tally()
    by_agency: dict[str, Tally] = {}
    by_section: dict[str, Tally] = {}
    by_officer: dict[str, Tally] = {}
    names: dict[str, str] = {}
    months = {m: Tally() for m in filters.months()}
    overdue: list[dict[str, Any]] = []
    options = Options()
    for s, st, month in _selected(store, filters, now, options):
        total.add(s, st)
        by_agency.setdefault(s["agency_id"], Tally()).add(s, st)
        by_section.setdefault(s["section"], Tally()).add(s, st)
        for officer_id, name in s["officers"]:
            names[officer_id] = name
            by_officer.setdefault(officer_id, Tally()).add(s, st)
        months[month].add(s, st)
        for f in st.overdue:
            overdue.append(
                {
                    "case_id": s["id"],
                    "number": s["number"],
                    "title": s["title"],
                    "section": s["section"],
                    "rule_id": f["rule"],
                    "citation": f["citation"],
                    "due": f["due"],
                    "message": f["message"],
                }
            )
    overdue.sort(key=lambda f: f["due"])
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
        by_agency=dict(sorted(by_agency.items(), key=lambda kv: -kv[1].cases)),
        by_section=dict(sorted(by_section.items(), key=lambda kv: -kv[1].cases)),
        by_officer=dict(sorted(by_officer.items(), key=lambda kv: (-kv[1].cases, kv[0]))),
        officer_names=names,
        months=list(months.items()),
        overdue=overdue[:OVERDUE_SHOWN],
        overdue_count=len(overdue),
        sections=sorted(options.sections),
        officers=sorted(options.officers, key=lambda o: o[1]),
    )


def case_ids(store: Store, actor: Actor, filters: Filters, metric_name: str) -> list[str]:
    """The cases behind one figure: those in ``filters`` for which the metric holds."""
    require(actor, "dashboard.read")
    test = metric(metric_name)
    now = store.clock()
    return [s["id"] for s, st, _ in _selected(store, filters, now) if test(s, st)]
