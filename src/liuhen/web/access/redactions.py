"""审查遮盖: the approver's page for one document of a copy request. It shows the document's
text with the proposed (or last confirmed) marks highlighted; each mark can be kept or
removed, its ground and reason changed, and marks added by typing the words to cover. The
POST saves the whole set as a new version (``services/access/redactions.py``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain.redaction import find_spans
from liuhen.errors import InvalidInput, LiuhenError
from liuhen.services.access.redactions import confirm_marks
from liuhen.services.access.review import Review, redaction_review
from liuhen.services.admin.users import User
from liuhen.web.access.footage import router as footage_router
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.forms import FormErrors, Posted, case_facts, posted_form

router = APIRouter(include_in_schema=False)
router.include_router(footage_router)  # 审查录像遮盖: the same review flow, for a video
Decider = Annotated[User, Depends(permission("approval.decide"))]
MARK_FIELDS = ("keep", "kind", "ground", "reason")
ADD_FIELDS = ("add.text", "add.segment", "add.kind", "add.ground", "add.reason")
_SERVICE_KEY = re.compile(r"^marks\[(\d+)\]\.(\w+)$")


def _path(case_ref: str, request_id: str, record_id: str = "") -> str:
    base = f"/cases/{case_ref}/access-requests/{request_id}"
    return f"{base}/redactions/{record_id}" if record_id else base


def _page(
    request: Request,
    review: Review,
    *,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    defaults: dict[str, Any] = {"add.kind": "name", "add.ground": "privacy"}
    for m in review.marks:
        n = m.number
        defaults.update({f"m{n}.keep": "1", f"m{n}.kind": m.mark.kind,
                         f"m{n}.ground": m.mark.ground, f"m{n}.reason": m.mark.reason})  # fmt: skip
    return render(
        request,
        "redaction_review.html",
        {
            "active": "cases",
            "facts": case_facts(store, loaded_case(request)),
            "r": review,
            "item": review.request,
            "values": values or defaults,
            "errors": errors,
            "segments": [("", "全文各处")] + [(s.key, s.label) for s in review.text.segments],
        },
        status_code=errors.status if errors else 200,
    )


@router.get("/cases/{case_ref}/access-requests/{request_id}/redactions/{record_id}")
def review_page(
    request: Request, case_ref: str, request_id: str, record_id: str, user: Decider
) -> Response:
    review = redaction_review(
        get_store(request), user.actor, request_id, record_id, case=loaded_case(request)
    )
    return _page(request, review)


@router.post("/cases/{case_ref}/access-requests/{request_id}/redactions/{record_id}")
def review_form(
    request: Request,
    case_ref: str,
    request_id: str,
    record_id: str,
    user: Decider,
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    case = loaded_case(request)
    review = redaction_review(store, user.actor, request_id, record_id, case=case, log=False)
    form = Posted(posted, store.settings.tz)
    values: dict[str, Any] = {k: form.text(k) for k in posted if k != "csrf"}
    numbers: list[str] = []
    try:
        marks, numbers = _posted_marks(review, form)
        confirm_marks(
            store, user.actor, request_id, record_id, marks,
            case=case, loaded=(review.request, review.text),
        )  # fmt: skip
    except LiuhenError as exc:
        known = [f"m{m.number}.{f}" for m in review.marks for f in MARK_FIELDS] + list(ADD_FIELDS)
        errors = FormErrors.of(exc, known, lambda key: _form_key(key, numbers))
        return _page(request, review, errors=errors, values=values)
    return RedirectResponse(
        f"{_path(case['id'], request_id)}?saved=redacted#redactions", status_code=303
    )


def _posted_marks(review: Review, form: Posted) -> tuple[list[dict[str, Any]], list[str]]:
    """The marks the form keeps and adds, and for each the form's name of it (``m3``,
    ``add``): a service message about ``marks[i]`` is shown beside that input."""
    marks, numbers = [], []
    for m in review.marks:
        if not form.flag(f"m{m.number}.keep"):
            continue
        marks.append(
            {**m.mark.to_dict(), **{f: form.text(f"m{m.number}.{f}") for f in MARK_FIELDS[1:]}}
        )
        numbers.append(f"m{m.number}")
    words = form.text("add.text")
    if words:
        spans = find_spans(review.text.segments, words, form.text("add.segment") or None)
        if not spans:
            raise InvalidInput(
                "遮盖内容有误", details=[f"add.text: 文书中找不到“{words}”，请照原文输入"]
            )
        taken = {(m["segment"], m["start"]) for m in marks}
        for segment, start, end in spans:
            if (segment, start) in taken:
                continue
            marks.append({"segment": segment, "start": start, "end": end,
                          **{f: form.text(f"add.{f}") for f in ("kind", "ground", "reason")}})  # fmt: skip
            numbers.append("add")
    elif form.text("add.reason"):
        raise InvalidInput("遮盖内容有误", details=["add.text: 请输入要遮盖的原文文字"])
    return marks, numbers


def _form_key(key: str, numbers: list[str]) -> str:
    """``marks[2].reason`` (the service's count from 1) -> ``m5.reason`` or ``add.reason``."""
    found = _SERVICE_KEY.match(key)
    if not found or not 0 < int(found.group(1)) <= len(numbers):
        return key
    field = {"end": "reason", "start": "reason", "segment": "reason"}.get(
        found.group(2), found.group(2)
    )
    if numbers[int(found.group(1)) - 1] == "add":
        return "add.text" if found.group(2) in ("start", "end") else f"add.{field}"
    return f"{numbers[int(found.group(1)) - 1]}.{field}"
