"""监督看板: the supervision dashboard page, its .xlsx export and its JSON API.

A user of an agency (the supervisor, the head …) sees that agency only, read-only; every
figure links to the case list filtered to the cases behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import quote_plus, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from liuhen.services.admin.users import User
from liuhen.services.cases.cases import PROCEDURES, STAGES
from liuhen.services.cases.rejudge import notice as rejudging_notice
from liuhen.services.cases.summaries import categories
from liuhen.services.oversight.dashboard import Dashboard, build
from liuhen.services.oversight.dashboard_filters import Filters, make_filters
from liuhen.services.oversight.dashboard_xlsx import workbook
from liuhen.web.auth.permission import get_store, permission
from liuhen.web.oversight.charts import Series, bar_chart, line_chart

router = APIRouter()
Reader = Annotated[User, Depends(permission("dashboard.read"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filters_from(
    request: Request, user: User, agency: str, section: str, officer: str, start: str, end: str
) -> Filters:
    """The dashboard's filters as a request chose them (the dashboard's pages and a
    figure's drill-down into the case list)."""
    return make_filters(
        get_store(request),
        user_agency=user.agency_id,
        agency=agency,
        section=section,
        officer=officer,
        start=start,
        end=end,
    )


@lru_cache(maxsize=4096)
def _quoted(value: str) -> str:
    """``quote_plus`` of a parameter name or value: the dashboard's ~400 links repeat the
    same few (months, sections, officers, metrics), and quoting is most of a link's cost."""
    return quote_plus(value)


def share(value: object, bad: object, link: str) -> Markup:
    """A percentage linked to its cases (``—`` without one). The dashboard's ~900 figures
    and links are made in Python, not by template macros: a macro call, or a function
    called from a template, costs several times the function's own work."""
    return Markup(_share(value, bad, str(escape(link))))


def count(value: object, link: str, bad: bool = True) -> Markup:
    """A count linked to its cases, a plain 0 when there are none."""
    return Markup(_count(value, str(escape(link)), bad))


def row_figures(filters: Filters, t: Any, narrow: dict[str, str], categories: list[Any]) -> Markup:
    """The cells of one row of the tables by agency, section and officer (the template
    writes the row's name): cases, the three shares, overdue, violations, each category.
    The row's links differ only in their metric: the rest of the address is made once."""
    link = _drills(filters, narrow)
    cells = [
        f'<a class="fig" href="{link("all")}">{_text(t.cases)}</a>',
        _share(t.av_share, t.av_missing_cases, link("av_missing")),
        _share(t.av_on_time, t.av_late, link("av_late")),
        _share(t.files_share, t.files_late, link("file_late")),
        _count(t.overdue_cases, link("overdue")),
        _count(t.violations, link("violations")),
    ]
    lines = [f'<td class="num">{cell}</td>' for cell in cells]
    by_category = "".join(
        f'<td class="num">{_count(t.categories.get(c.id, 0), link(f"cat:{c.id}"))}</td>'
        for c in categories
    )
    return Markup("\n        ".join([*lines, by_category]))


def _drills(filters: Filters, narrow: dict[str, str]) -> Callable[[str], str]:
    """metric -> ``drill(filters, metric, **narrow)``, HTML-escaped (an attribute's value)."""
    prefix = str(escape(_drill_prefix(filters, narrow)))

    def link(metric: str) -> str:
        return prefix + str(escape(_quoted(metric)))

    return link


def _text(value: object) -> str:
    """``value`` escaped, as text (a number needs no escaping)."""
    return str(value) if type(value) is int else str(escape(value))


def _share(value: object, bad: object, href: str) -> str:
    """``share`` with its link already escaped, as text."""
    if value is None:
        return '<span class="muted">—</span>'
    tone = "bad" if bad else "good"
    return f'<a class="fig {tone}" href="{href}">{_text(value)}%</a>'


def _count(value: object, href: str, bad: bool = True) -> str:
    """``count`` with its link already escaped, as text."""
    if not value:
        return '<span class="fig zero">0</span>'
    tone = " bad" if bad else ""
    return f'<a class="fig{tone}" href="{href}">{_text(value)}</a>'


def drill(filters: Filters, metric: str, **narrow: str) -> str:
    """The case list behind one figure (``narrow`` replaces section/officer/from/to); the
    same string ``urlencode`` makes of the parameters."""
    return _drill_prefix(filters, narrow) + _quoted(metric)


def _drill_prefix(filters: Filters, narrow: dict[str, str]) -> str:
    """``drill``'s address up to the metric's value (the part a row's links share)."""
    query = {**filters.query(), **narrow}
    query.pop("metric", None)
    head = "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in query.items() if v)
    return "/cases?" + head + ("&" if head else "") + "metric="


def _charts(dash: Dashboard) -> dict[str, Any]:
    f = dash.filters
    labels = [f"{m:%y.%m}" for m, _ in dash.months]

    def month_links(metric: str) -> list[str]:
        return [
            drill(f, metric, **{"from": f"{m:%Y-%m}", "to": f"{m:%Y-%m}"}) for m, _ in dash.months
        ]

    return {
        "cases": bar_chart(
            labels,
            Series("立案数", [t.cases for _, t in dash.months], "s1", month_links("all")),
            "每月立案数",
        ),
        "shares": line_chart(
            labels,
            [
                Series(
                    "音像记录率",
                    [t.av_share for _, t in dash.months],
                    "s1",
                    month_links("av_missing"),
                ),
                Series(
                    "按时存储率",
                    [t.av_on_time for _, t in dash.months],
                    "s2",
                    month_links("av_late"),
                ),
                Series(
                    "案卷按时率",
                    [t.files_share for _, t in dash.months],
                    "s3",
                    month_links("file_late"),
                ),
            ],
            "每月音像记录率、音像按时存储率、案卷按时形成率",
        ),
        "violations": bar_chart(
            labels,
            Series(
                "违规问题", [t.violations for _, t in dash.months], "bad", month_links("violations")
            ),
            "每月立案案件的违规问题数",
        ),
    }


@router.get("/dashboard", include_in_schema=False)
def dashboard_page(
    request: Request,
    user: Reader,
    agency: str = "",
    section: str = "",
    officer: str = "",
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    filters = filters_from(request, user, agency, section, officer, start, end)
    dash = build(store, user.actor, filters)
    return render(
        request,
        "dashboard.html",
        {
            "dash": dash,
            "f": filters,
            "categories": categories(),
            "stages": STAGES,
            "procedures": PROCEDURES,
            "drill": drill,
            "share": share,
            "count": count,
            "row_figures": row_figures,
            "charts": dash.memo.get("charts") or dash.memo.setdefault("charts", _charts(dash)),
            "export_url": "/dashboard.xlsx?" + urlencode(filters.query()),
            "choose_agency": user.agency_id is None,
            "rejudging": rejudging_notice(store),
        },
    )


@router.get("/dashboard.xlsx", include_in_schema=False)
def dashboard_export(
    request: Request,
    user: Reader,
    agency: str = "",
    section: str = "",
    officer: str = "",
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
) -> Response:
    store = get_store(request)
    filters = filters_from(request, user, agency, section, officer, start, end)
    data = workbook(store, user.actor, build(store, user.actor, filters))
    name = f"supervision-{filters.start:%Y%m}-{filters.end:%Y%m}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/api/dashboard", tags=["dashboard"], summary="监督看板数据")
def api_dashboard(
    request: Request,
    user: Reader,
    agency: str = "",
    section: str = "",
    officer: str = "",
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
) -> dict[str, Any]:
    store = get_store(request)
    filters = filters_from(request, user, agency, section, officer, start, end)
    # the pages' notice while the summaries are re-judged (the figures may lag), or null
    return {
        **build(store, user.actor, filters).to_dict(),
        "rejudging": rejudging_notice(store) or None,
    }
