"""案卷评查表: a closed case's score sheet (评议考核, 002§35), the reviewer's scoring form,
its PDF and .xlsx, and the yearly figures by section and officer
(``services/oversight/scoring*.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.errors import InvalidInput, LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.oversight.review_stats import review_stats
from liuhen.services.oversight.scoring import Review, load_review, may_review, sign_review
from liuhen.services.oversight.scoring_export import review_pdf, review_xlsx
from liuhen.services.oversight.scoring_view import review_view
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.forms import FormErrors, Posted, posted_form

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(permission("case.read"))]
Reviewer = Annotated[User, Depends(permission("case.review"))]
Dashboard = Annotated[User, Depends(permission("dashboard.read"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(
    request: Request,
    user: User,
    review: Review,
    *,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    from liuhen.web.pages import render

    view = review_view(review, get_store(request).settings.tz)
    if values is None:
        values = {"seen": str(review.version)}
        for m in view.get("manual", []):
            values[f"{m['id']}.deduct"] = str(m["deduct"])
            values[f"{m['id']}.note"] = m["note"]
            values[f"{m['id']}.veto"] = "1" if m["vetoed"] else ""
    return render(
        request,
        "case_review.html",
        {
            "active": "cases",
            "v": view,
            "can_score": review.card is not None and may_review(user.actor, review.case),
            "values": values,
            "errors": errors,
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=errors.status if errors else 200,
    )


@router.get("/cases/{case_ref}/review")
def review_page(request: Request, case_ref: str, user: Reader) -> Response:
    store, case = get_store(request), loaded_case(request)
    review = load_review(store, user.actor, case["id"], case=case)
    store.record_view(
        user.actor,
        "case.review_viewed",
        subject_type="case",
        subject_id=case["id"],
        case_id=case["id"],
        payload={"version": review.version},
    )
    return _page(request, user, review)


@router.post("/cases/{case_ref}/review")
def review_form(
    request: Request,
    case_ref: str,
    user: Reviewer,
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    store, case = get_store(request), loaded_case(request)
    check_csrf(request, str(posted.get("csrf", "")))
    form = Posted(posted, store.settings.tz)
    values: dict[str, Any] = {k: form.text(k) for k in posted if k != "csrf"}
    review = load_review(store, user.actor, case["id"], case=case, action="case.review")
    lines = review.card.sheet.manual_lines() if review.card is not None else ()
    known = ["seen", *(f"{x.id}.{f}" for x in lines for f in ("deduct", "veto", "note"))]
    try:
        seen = _seen(form.text("seen"))
        scores = {
            x.id: {
                "deduct": form.text(f"{x.id}.deduct") or 0,
                "veto": form.flag(f"{x.id}.veto"),
                "note": form.text(f"{x.id}.note"),
            }
            for x in lines
        }
        sign_review(store, user.actor, case["id"], seen, scores, case=case, loaded=review)
    except LiuhenError as exc:
        errors = FormErrors.of(exc, known, lambda key: key.removeprefix("scores."))
        return _page(request, user, review, errors=errors, values=values)
    return RedirectResponse(f"/cases/{case['id']}/review?saved=1", status_code=303)


def _seen(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput("seen: 页面已过期，请刷新后再评分") from None


def _download(name: str, data: bytes, media_type: str) -> Response:
    from urllib.parse import quote

    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.get("/cases/{case_ref}/review.pdf")
def review_pdf_download(request: Request, case_ref: str, user: Reader) -> Response:
    case = loaded_case(request)
    name, pdf = review_pdf(get_store(request), user.actor, case["id"], case=case)
    return _download(name, pdf, "application/pdf")


@router.get("/cases/{case_ref}/review.xlsx")
def review_xlsx_download(request: Request, case_ref: str, user: Reader) -> Response:
    case = loaded_case(request)
    name, data = review_xlsx(get_store(request), user.actor, case["id"], case=case)
    return _download(name, data, XLSX)


@router.get("/reviews")
def reviews_page(request: Request, user: Dashboard, year: str = "") -> Response:
    from liuhen.web.pages import render

    stats = review_stats(get_store(request), user.actor, year)
    return render(request, "reviews.html", {"active": "dashboard", "s": stats})
