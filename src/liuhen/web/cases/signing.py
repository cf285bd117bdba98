"""签名: the party, a witness or an officer signs a saved document on the phone's screen
(``static/signature.js`` draws the strokes on a canvas and posts them as a PNG), or a
refusal is recorded with its reason and where the recording shows it. Each line saved makes
the document's next version (``services/cases/signing.py``); the page then offers the next
line still open, and the case page's 下一步 once none is."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.errors import LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.cases.signing import Refusal, sign_line
from liuhen.services.cases.signing_view import SigningPage, signing_page
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.forms import FormErrors, Posted, case_facts, posted_form

router = APIRouter(include_in_schema=False)
Officer = Annotated[User, Depends(permission("record.create"))]
Posted_ = Annotated[FormData, Depends(posted_form)]
PNG_URI = "data:image/png;base64,"
FIELDS = ("name", "signature", "reason", "witness", "av_record", "av_offset", "slot")


def _page(
    request: Request,
    page: SigningPage,
    slot: str,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    saved: str = "",
) -> Response:
    from liuhen.web.pages import render

    case = loaded_case(request)
    box = page.box(slot)
    defaults = {"name": page.default_name(box) if box else "", "mode": "sign"}
    return render(
        request,
        "sign.html",
        {
            "facts": case_facts(get_store(request), case),
            "page": page,
            "box": box,
            "values": {**defaults, **(values or {})},
            "errors": errors,
            "saved": saved,
        },
        status_code=errors.status if errors else 200,
    )


@router.get("/cases/{case_ref}/records/{record_id}/sign")
def signing_form(
    request: Request, case_ref: str, record_id: str, user: Officer, slot: str = "", saved: str = ""
) -> Response:
    page = signing_page(get_store(request), loaded_case(request), record_id)
    return _page(request, page, slot, saved={"1": "已保存签名", "2": "已记录拒签"}.get(saved, ""))


def _png(text: str) -> bytes:
    """The canvas's data URI as bytes; anything else as it came (the service names it)."""
    if not text.startswith(PNG_URI):
        return text.encode("utf-8", "replace")
    try:
        return base64.b64decode(text.removeprefix(PNG_URI), validate=True)
    except (binascii.Error, ValueError):
        return b"not a png"


def _offset(text: str) -> int | None:
    """``03:15`` or ``1:03:15`` or ``195`` seconds into the recording; None when unreadable."""
    parts = text.replace("：", ":").split(":")
    if not text or len(parts) > 3 or not all(p.strip().isdigit() for p in parts):
        return None
    seconds = 0
    for p in parts:
        seconds = seconds * 60 + int(p)
    return seconds


@router.post("/cases/{case_ref}/records/{record_id}/sign")
def save_signature(
    request: Request, case_ref: str, record_id: str, user: Officer, posted: Posted_
) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    case = loaded_case(request)
    reader = Posted(posted, store.settings.tz)
    slot, refused = reader.text("slot"), reader.text("mode") == "refuse"
    values = {k: reader.text(k) for k in (*FIELDS, "mode") if k != "signature"}
    refusal = None
    if refused:
        offset = _offset(reader.text("av_offset"))
        refusal = Refusal(reader.text("reason"), reader.text("witness"), reader.text("av_record"))
        refusal = Refusal(refusal.reason, refusal.witness, refusal.av_record_id, offset)
    try:
        signed = sign_line(
            store,
            user.actor,
            case_id=str(case["id"]),
            record_id=record_id,
            slot=slot,
            name=reader.text("name"),
            image=None if refused else _png(str(posted.get("signature", ""))),
            refusal=refusal,
            case=case,
        )
    except LiuhenError as exc:
        errors = FormErrors.of(exc, FIELDS)
        page = signing_page(store, case, record_id)
        return _page(request, page, slot, values=values, errors=errors)
    after = f"/cases/{case['id']}/records/{signed.record_id}/sign?saved={'2' if refused else '1'}"
    return RedirectResponse(after, 303)
