"""The integrity page (latest signed checkpoint, last verification) and 调阅记录: who
looked at which case or file, and when."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from liuhen.services.access.log import view_log
from liuhen.services.admin.users import User
from liuhen.services.archiving.integrity import VerifyReport, record_verification, verify
from liuhen.services.archiving.queries.integrity import last_verification
from liuhen.services.permissions import actions_for
from liuhen.web.auth.permission import check_csrf, get_store, permission

router = APIRouter()


@router.get("/ledger", include_in_schema=False)
def ledger_page(
    request: Request, user: Annotated[User, Depends(permission("ledger.read"))]
) -> Response:
    return _page(request, user, None)


def _page(request: Request, user: User, failed: VerifyReport | None) -> Response:
    """The integrity page; ``failed``: a run just made that found problems (it is shown, not
    recorded: a damaged store is left as it was found)."""
    from liuhen.web.pages import render

    store = get_store(request)
    checkpoint = store.latest_checkpoint()
    return render(
        request,
        "ledger.html",
        {
            "checkpoint": checkpoint,
            "events": store.event_count(),
            "fingerprint": store.fingerprint if store.public_key is not None else None,
            "run": last_verification(store),
            "failed": failed.to_dict() if failed is not None else None,
            "can_verify": "integrity.verify" in actions_for(user.roles),
        },
    )


@router.post("/ledger/verify", include_in_schema=False)
def run_verification(
    request: Request,
    user: Annotated[User, Depends(permission("integrity.verify"))],
    csrf: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "",
) -> Response:
    """Verify without recomputing every case's summary from its records (``liuhen verify``
    does that too), or (``scope`` ``since_last``) continue from the last recorded run; an
    intact run is recorded and the page shown again, a failed one is shown at once (a
    continued run that finds anything has run in full: ``verify``)."""
    check_csrf(request, csrf)
    store = get_store(request)
    report = verify(store, user.actor, caches=False, since_last=scope == "since_last")
    if not report.ok:
        return _page(request, user, report)
    record_verification(store, user.actor, report)
    return RedirectResponse("/ledger", status_code=303)


@router.get("/ledger/views", include_in_schema=False)
def views_page(
    request: Request,
    user: Annotated[User, Depends(permission("ledger.read"))],
    case: str = "",
    who: str = "",
) -> Response:
    from liuhen.web.pages import render

    rows = view_log(get_store(request), user.actor, case=case[:100], user=who[:80])
    return render(
        request, "ledger_views.html", {"rows": rows, "chosen": {"case": case, "who": who}}
    )
