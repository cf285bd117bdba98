"""The case list (with live findings and filters), the case page, and their API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from liuhen.services.admin.users import User
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.services.cases.bundles import export_bundle
from liuhen.services.cases.cases import PROCEDURES, STAGES, Filter, list_page
from liuhen.services.cases.rejudge import notice as rejudging_notice
from liuhen.services.cases.view import case_view
from liuhen.web.access.requests import case_card
from liuhen.web.archiving.case_archive import case_archive
from liuhen.web.auth.permission import get_store, loaded_case, permission
from liuhen.web.av.panel import av_due_for, av_panel
from liuhen.web.cases.next_panel import next_panel
from liuhen.web.cases.panel import case_panel
from liuhen.web.paging import API_MAX_SIZE, API_PAGE_SIZE, PAGE_SIZE, api_size, paged, requested

router = APIRouter()

PROBLEM_FILTERS = {
    "violations": "有违规",
    "pending": "有待办",
    "overdue": "有逾期事项",
    "clean": "无问题",
}


@router.get("/cases", include_in_schema=False)
def case_list(
    request: Request,
    user: Annotated[User, Depends(permission("case.read"))],
    stage: str = "",
    procedure: str = "",
    problems: str = "",
    q: str = "",
    metric: str = "",
    agency: str = "",
    section: str = "",
    officer: str = "",
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    q = q.strip()
    overdue = problems == "overdue"  # the same items as 我的待办 and the dashboard count
    wanted = Filter(
        stage=stage, procedure=procedure, problems="" if overdue else problems, q=q, overdue=overdue
    )
    drill = None
    if metric:  # a dashboard figure's drill-down: exactly the cases behind it
        wanted, drill = _drill(
            request, user, wanted, metric, (agency, section, officer, start, end)
        )
    number = requested(request)
    listing = list_page(store, user.actor, wanted, page=number, size=PAGE_SIZE)
    items = [c.to_dict() for c in listing.items]
    home = number == 1 and wanted == Filter() and drill is None
    page = paged(request, items, listing.number, listing.matched, more=listing.more)
    return render(
        request,
        "cases.html",
        {
            "cases": page.items,
            "page": page,
            "matched": listing.matched,
            "more": listing.more,
            "total": listing.total,
            "stages": STAGES,
            "procedures": PROCEDURES,
            "problem_filters": PROBLEM_FILTERS,
            "chosen": {"stage": stage, "procedure": procedure, "problems": problems, "q": q},
            "drill": drill,
            # the footage warning is the home view's (the list's first page, unfiltered):
            # not repeated above every page of results and every search
            "av_due_items": av_due_for(request) if home else [],
            "rejudging": rejudging_notice(store),
        },
    )


def _drill(
    request: Request, user: User, wanted: Filter, metric: str, chosen: tuple[str, ...]
) -> tuple[Filter, dict[str, Any]]:
    """The filter of a dashboard figure's cases (``metric`` under the dashboard's ``chosen``
    agency, section, officer, from and to) and what the list says of it."""
    from liuhen.services.oversight.dashboard import drill_filter
    from liuhen.services.oversight.dashboard_filters import metric_label
    from liuhen.web.oversight.dashboard import filters_from

    filters = filters_from(request, user, *chosen)
    wanted = drill_filter(user.actor, filters, metric, wanted)
    return wanted, {"label": metric_label(metric), "filters": filters, "back": filters.query()}


@router.get("/cases/{case_ref}", include_in_schema=False)
def case_page(
    request: Request, case_ref: str, user: Annotated[User, Depends(permission("case.read"))]
) -> Response:
    from liuhen.web.pages import render

    case = loaded_case(request)
    store = get_store(request)
    now = store.clock()
    view = case_view(store, user.actor, case["id"], now, case=case)
    return render(
        request,
        "case.html",
        {
            "view": view,
            "next": next_panel(request, view, now),
            "panel": case_panel(request, view),
            "av": av_panel(request, view),
            "archive": case_archive(request, view),
            "access": case_card(request, view),
        },
    )


@router.get(
    "/api/cases",
    tags=["cases"],
    summary="案件列表（含评查问题数），分页",
    description=(
        f"本人可查阅的案件，最新立案在前，每页 ``size`` 件（默认 {API_PAGE_SIZE}，至多 "
        f"{API_MAX_SIZE}），``page`` 为页码（超出末页时给出末页）。``matched`` 为案件总数，"
        "``links.next`` 为下一页的地址（末页没有）。"
    ),
)
def api_cases(
    request: Request,
    user: Annotated[User, Depends(permission("case.read"))],
    page: Annotated[str, Query(description="页码，从 1 起")] = "1",  # read by ``requested``
    size: Annotated[str, Query(description=f"每页件数，1–{API_MAX_SIZE}")] = str(API_PAGE_SIZE),
) -> dict[str, object]:
    store = get_store(request)
    per_page = api_size(size)
    listing = list_page(store, user.actor, page=requested(request), size=per_page, full=True)
    shown = paged(request, listing.items, listing.number, listing.matched, per_page)
    return {
        "cases": [c.to_dict() for c in listing.items],
        "page": shown.number,
        "pages": shown.pages,
        "size": per_page,
        "matched": listing.matched,
        "links": shown.links,
        "rejudging": rejudging_notice(store) or None,  # the pages' notice: findings may lag
    }


@router.get("/api/cases/{case_ref}/bundle", tags=["cases"], summary="导出案件数据包")
def api_export_bundle(
    request: Request, case_ref: str, user: Annotated[User, Depends(permission("case.read"))]
) -> dict[str, Any]:
    case = loaded_case(request)
    return export_bundle(get_store(request), user.actor, case["id"], case=case)


@router.post("/api/cases/import", tags=["cases"], summary="导入案件数据包", status_code=201)
def api_import_bundle(
    request: Request,
    bundle: Annotated[dict[str, Any], Body()],
    user: Annotated[User, Depends(permission("case.import"))],
) -> dict[str, Any]:
    result = import_bundle(get_store(request), user.actor, bundle)
    return {"case_id": result.case_id, "number": result.number, "created": result.created}
