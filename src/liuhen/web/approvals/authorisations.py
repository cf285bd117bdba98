"""授权: the principal head's written authorisations of deputies to approve in their stead
(services/approvals/authorisations.py) — the list with each grant's state, a form to grant one and a
button to revoke it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.errors import LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.approvals.authorisations import (
    GRANTOR_POSITIONS,
    SCOPES,
    grant_authorisation,
    grantee_choices,
    list_grants,
    revoke_authorisation,
)
from liuhen.services.approvals.model import ROLE_POSITIONS
from liuhen.services.permissions import actions_for
from liuhen.web.auth.permission import check_csrf, get_store, permission
from liuhen.web.forms import Posted, posted_form

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(permission("case.read"))]
Grantor = Annotated[User, Depends(permission("authorisation.grant"))]
Posted_ = Annotated[FormData, Depends(posted_form)]
SAVED = {"granted": "授权已登记，并记入全过程日志。", "revoked": "授权已撤销，并记入全过程日志。"}


def _page(
    request: Request,
    user: User,
    *,
    error: LiuhenError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    positions = [p for p in ROLE_POSITIONS["head"] if p not in GRANTOR_POSITIONS]
    return render(
        request,
        "authorisations.html",
        {
            "active": "authorisations",
            "grants": list_grants(store, user.actor),
            "now": store.clock(),
            "can_grant": "authorisation.grant" in actions_for(user.roles),
            "grantees": grantee_choices(store, user.actor),
            "positions": [(p, vocab.POSITIONS[p]) for p in positions],
            "scopes": list(SCOPES.items()),
            "position_names": vocab.POSITIONS,
            "scope_names": SCOPES,
            "error": error,
            "values": values or {"position": "deputy_head", "scope": "access_request"},
            "saved": SAVED.get(request.query_params.get("saved", ""), ""),
        },
        status_code=error.http_status if error else 200,
    )


@router.get("/authorisations")
def authorisations_page(request: Request, user: Reader) -> Response:
    return _page(request, user)


@router.post("/authorisations")
def grant(request: Request, user: Grantor, posted: Posted_) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    form = Posted(posted, store.settings.tz)
    keys = ("user_id", "position", "scope", "starts_at", "ends_at", "reference")
    values = {k: form.text(k) for k in keys}
    try:
        starts = form.moment("starts_at", "开始时间", required=False)
        ends = form.moment("ends_at", "截止时间")
        form.check("授权信息有误")
        grant_authorisation(
            store,
            user.actor,
            user_id=values["user_id"],
            position=values["position"],
            scope=values["scope"],
            starts_at=starts,
            ends_at=ends,
            reference=values["reference"],
        )
    except LiuhenError as exc:
        return _page(request, user, error=exc, values=values)
    return RedirectResponse("/authorisations?saved=granted", status_code=303)


@router.post("/authorisations/{grant_id}/revoke")
def revoke(request: Request, grant_id: str, user: Grantor, posted: Posted_) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    try:
        revoke_authorisation(store, user.actor, grant_id, reason=str(posted.get("reason", "")))
    except LiuhenError as exc:
        return _page(request, user, error=exc)
    return RedirectResponse("/authorisations?saved=revoked", status_code=303)
