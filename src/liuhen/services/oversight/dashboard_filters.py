"""What a dashboard shows: the filters (agency, section, officer, months) from a request's
parameters, and the metrics, one predicate per figure, shared by the dashboard and the
case list's drill-down (``metric``), with their labels."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from liuhen.errors import InvalidInput, PermissionDenied
from liuhen.services.cases.cases import PROCEDURES, STAGES
from liuhen.services.cases.summaries import CaseState, categories
from liuhen.store.store import Store

__all__ = ["METRIC_NAMES", "Filters", "Metric", "make_filters", "metric", "metric_label"]


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
        """The filters as URL parameters (for drill-down links and the export): a copy of
        ``_query``, worked out once (the dashboard asks for it for each of its ~400 links)."""
        return dict(self._query)

    @cached_property
    def _query(self) -> dict[str, str]:
        out = {"from": self.start.strftime("%Y-%m"), "to": self.end.strftime("%Y-%m")}
        if self.agency_id:
            out["agency"] = self.agency_id
        if self.section:
            out["section"] = self.section
        if self.officer:
            out["officer"] = self.officer
        return out

    def month_range(self) -> tuple[str, str]:
        return (self.start.strftime("%Y-%m"), self.end.strftime("%Y-%m"))

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
